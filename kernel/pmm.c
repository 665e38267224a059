/*
 * The kernel's physical page allocator: the bitmap allocator over the RAM
 * the boot memory map reports, minus the first 1 MiB (BIOS data, real-mode
 * leftovers) and the kernel image itself.
 */
#include "kernel/pagealloc.h"
#include "kernel/boot_info.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "arch/x86/mm.h"
#include "pvops/pvops.h"

#define PMM_MAX_BYTES	(4ULL << 30)
#define PMM_FRAMES	(PMM_MAX_BYTES >> PAGE_SHIFT)

static uint64_t pmm_bitmap[PMM_FRAMES / 64];
static struct pagealloc pmm;
static struct spinlock pmm_lock = SPINLOCK("page allocator");

void pmm_init(void)
{
	uint64_t ignored = 0;

	pa_init(&pmm, pmm_bitmap, PMM_FRAMES);
	for (int i = 0; i < boot_info.nr_mem; i++) {
		const struct mem_region *r = &boot_info.mem[i];
		uint64_t first = ALIGN_UP(r->base, PAGE_SIZE) >> PAGE_SHIFT;
		uint64_t end = ALIGN_DOWN(r->base + r->len, PAGE_SIZE) >> PAGE_SHIFT;

		if (r->type != MEM_RAM || end <= first)
			continue;
		if (end > PMM_FRAMES)
			ignored += end - MAX(first, PMM_FRAMES);
		pa_free_range(&pmm, first, end - first);
	}
	pa_reserve_range(&pmm, 0, 0x100000 >> PAGE_SHIFT);
	pa_reserve_range(&pmm, virt_to_phys(_kernel_start) >> PAGE_SHIFT,
			 (ALIGN_UP((uint64_t)_end, PAGE_SIZE) - (uint64_t)_kernel_start) >> PAGE_SHIFT);
	if (!pmm.nr_free)
		panic("pmm: the memory map (%d entries) has no usable RAM", boot_info.nr_mem);
	printk("pmm: %lu MiB free in %lu pages", (pmm.nr_free << PAGE_SHIFT) >> 20, pmm.nr_free);
	if (ignored)
		printk(" (%lu MiB above 4 GiB not used)", (ignored << PAGE_SHIFT) >> 20);
	printk("\n");
}

phys_addr_t alloc_page(void)
{
	uint64_t f;
	bool got;

	spin_lock(&pmm_lock);
	got = pa_alloc(&pmm, &f);
	spin_unlock(&pmm_lock);
	if (!got)
		return 0;
	memset(phys_to_virt(f << PAGE_SHIFT), 0, PAGE_SIZE);
	return f << PAGE_SHIFT;
}

void free_page(phys_addr_t pa)
{
	bool freed;

	spin_lock(&pmm_lock);
	freed = pa_free(&pmm, pa >> PAGE_SHIFT);
	spin_unlock(&pmm_lock);
	if (!freed)
		panic("pmm: free of page %lx that is not allocated", pa);
}

uint64_t pmm_free_pages(void)
{
	return pmm.nr_free;
}
