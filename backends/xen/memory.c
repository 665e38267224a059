/*
 * xen_memory_init: pvos's memory on the pages and page tables Xen gave.
 *
 * At entry only Xen's bootstrap mapping exists: pseudo-physical page p at
 * KERNEL_VMA + p * 4096, for the kernel and what Xen placed after it
 * (start_info, p2m list, bootstrap page tables, a stack), plus some slack.
 * pvos adopts those tables as kernel_pgd and adds its direct map to them.
 *
 * paging.c's map_page reaches page tables through the direct map, so the
 * first few MiB of it (everything Xen set up, and enough free pages for the
 * rest's tables) are built by hand in page-aligned .bss arrays, which the
 * kernel mapping reaches while they are still writable.  Then they are
 * made read-only, pinned, and hooked into the top level.  The rest of RAM
 * is mapped through paging.c in lazy-MMU mode, 4 KiB at a time (a PV guest
 * gets no 2 MiB pages), and the kernel's text and rodata become read-only.
 */
#include "backends/xen/xen.h"
#include "backends/xen/memory.h"
#include "backends/xen/mmu.h"
#include "arch/x86/mm.h"
#include "kernel/options.h"
#include "kernel/printk.h"

#define XEN_EARLY_L1S		8			/* 16 MiB by hand at most */
#define TABLE_PROT		(PTE_P | PTE_W | PTE_A)
#define PAGE_OF(va)		(virt_to_phys(va) >> PAGE_SHIFT)

/* [0] the direct map's level 3, [1] its first level 2, then level-1 tables. */
static pteval_t xen_early_pt[2 + XEN_EARLY_L1S][512] __aligned(PAGE_SIZE);

static bool xen_is_boot_pt(unsigned long pfn)
{
	unsigned long first = PAGE_OF((void *)xen_start_info->pt_base);

	return (pfn >= first && pfn < first + xen_start_info->nr_pt_frames) ||
	       (pfn >= PAGE_OF(xen_early_pt) && pfn < PAGE_OF(xen_early_pt) + ARRAY_SIZE(xen_early_pt));
}

/* Page tables must never be mapped writable; nor, by pvos's rules, kernel text. */
static pteval_t xen_direct_prot(unsigned long pfn)
{
	phys_addr_t pa = pfn << PAGE_SHIFT;

	if (xen_is_boot_pt(pfn) || (pa >= virt_to_phys(_kernel_start) && pa < virt_to_phys(_erodata)))
		return PAGE_KERNEL_RO;
	return PAGE_KERNEL;
}

static pteval_t xen_table_entry(void *table)
{
	return ((pteval_t)xen_pfn_to_mfn(PAGE_OF(table)) << PAGE_SHIFT) | TABLE_PROT;
}

/* Read-only at its kernel-image address, then pinned: a page table from now on. */
static void xen_seal_early_table(void *table, int level)
{
	unsigned long va = (unsigned long)table, pfn = PAGE_OF(table);
	uint64_t ro = ((uint64_t)xen_pfn_to_mfn(pfn) << PAGE_SHIFT) | PAGE_KERNEL_RO;

	xen_check(HYPERVISOR_update_va_mapping(va, ro, UVMF_INVLPG),
		  "update_va_mapping(%lx read-only)", va);
	xen_check(xen_pin_raw(pfn, level), "mmuext_op(MMUEXT_PIN_L%d_TABLE pfn %lx)", level, pfn);
}

/* The direct map of [0, end) by hand; returns end. */
static phys_addr_t xen_early_direct_map(void)
{
	phys_addr_t end = MIN(ALIGN_UP(xen_boot_reserved_end, LARGE_PAGE_SIZE) + LARGE_PAGE_SIZE,
			      xen_nr_pages << PAGE_SHIFT);
	unsigned long nr_l1 = (unsigned long)(ALIGN_UP(end, LARGE_PAGE_SIZE) / LARGE_PAGE_SIZE);
	pteval_t *l4 = (pteval_t *)xen_start_info->pt_base;

	if (nr_l1 > XEN_EARLY_L1S)
		panic("xen: Xen's boot data ends at %lx, beyond the %d MiB pvos maps by hand",
		      xen_boot_reserved_end, XEN_EARLY_L1S * 2);
	for (unsigned long pfn = 0; pfn < end >> PAGE_SHIFT; pfn++)
		xen_early_pt[2 + pfn / 512][pfn % 512] =
			((pteval_t)xen_pfn_to_mfn(pfn) << PAGE_SHIFT) | xen_direct_prot(pfn);
	for (unsigned long i = 0; i < nr_l1; i++) {
		xen_early_pt[1][i] = xen_table_entry(xen_early_pt[2 + i]);
		xen_seal_early_table(xen_early_pt[2 + i], 1);
	}
	xen_early_pt[0][0] = xen_table_entry(xen_early_pt[1]);
	xen_seal_early_table(xen_early_pt[1], 2);
	xen_seal_early_table(xen_early_pt[0], 3);
	set_p4d(&l4[DIRECT_MAP_PML4_SLOT], xen_table_entry(xen_early_pt[0]));
	return end;
}

/* The kernel image's text and rodata read-only (Xen maps the whole image writable). */
static void xen_protect_kernel_image(void)
{
	for (char *p = _kernel_start; p < _erodata; p += PAGE_SIZE)
		map_page((unsigned long)p, virt_to_phys(p), p < _etext ? PAGE_KERNEL_RX : PAGE_KERNEL_RO);
}

static int xen_bad_update_opt;
CMDLINE_FLAG(opt_xen_bad_update, "xen.bad_update", &xen_bad_update_opt,
	       "test: a page-table update Xen refuses");

/* Test only (xen.bad_update): map a page table writable, which Xen must refuse. */
static void xen_bad_update(void)
{
	pteval_t *e;

	printk("xen: test: asking mmu_update for a writable mapping of the top-level page table\n");
	map_page(FIXMAP_TEST, kernel_pgd_phys(), PAGE_KERNEL_RO);
	e = lookup_pte(FIXMAP_TEST);
	set_pte(e, make_pte(kernel_pgd_phys() | PAGE_KERNEL));
	panic("xen: mmu_update accepted a writable mapping of a page table");
}

/*
 * One page of the direct map beyond the part built by hand.  Its entry was
 * never present, so there is nothing to read back and no TLB entry to
 * flush: where the level-1 table exists, set_pte alone, which lazy mode
 * queues.  map_page reads the entry it replaces, and that read must flush
 * the queue (paging.c), so it is used only where it has a table to create,
 * once per 2 MiB.
 */
static void xen_map_direct(phys_addr_t pa)
{
	unsigned long va = (unsigned long)phys_to_virt(pa);
	pteval_t prot = xen_direct_prot(pa >> PAGE_SHIFT), *e = lookup_pte(va);

	if (e)
		set_pte(e, make_pte(pa | prot));
	else if (map_page(va, pa, prot))
		panic("xen: cannot map %lx in the direct map", pa);
}

void xen_memory_init(void)
{
	phys_addr_t early_end = xen_early_direct_map(), top = xen_nr_pages << PAGE_SHIFT;
	uint64_t calls = xen_hypercalls_here();

	paging_adopt(xen_read_cr3());
	pmm_init();
	lazy_mmu_enter();
	for (phys_addr_t pa = early_end; pa < top; pa += PAGE_SIZE)
		xen_map_direct(pa);
	lazy_mmu_leave();
	xen_protect_kernel_image();
	printk("paging: Xen's boot tables adopted; kernel text RX, rodata RO; direct map of "
	       "%lu MiB at %lx in 4 KiB pages (%lu by hand), %lu hypercalls\n",
	       top >> 20, (unsigned long)DIRECT_MAP_BASE, early_end >> 20,
	       xen_hypercalls_here() - calls);
	if (!xen_lazy_mmu_enabled())
		printk("xen: lazy MMU off (xen.lazy_mmu=off): every page-table update is a "
		       "hypercall of its own\n");
	if (xen_bad_update_opt)
		xen_bad_update();
}
