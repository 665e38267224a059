/*
 * pvos's page tables: 4 levels, 4 KiB pages for the kernel image (so text
 * can be read-only and data no-execute) and 2 MiB pages for the direct map
 * of RAM.
 *
 * This is the one module that writes page-table entries, allocates
 * page-table pages and loads cr3, and it does each through pv_ops: set_pte
 * and friends, make_pte/pte_val around every entry value (a Xen PV guest
 * stores machine frames, not pseudo-physical ones), alloc_pt/release_pt when
 * a page becomes or stops being a page table, write_cr3 to switch.
 */
#include "arch/x86/mm.h"
#include "kernel/boot_info.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "pvops/pvops.h"
#include "kernel/smp.h"

static pteval_t *kernel_pgd;
static struct spinlock pt_lock = SPINLOCK("page tables");	/* map_page, unmap_page */
static phys_addr_t kernel_pgd_pa;

static inline int pt_index(unsigned long va, int level)
{
	return (int)((va >> (PAGE_SHIFT + 9 * (level - 1))) & 511);
}

/* Each level has its own op, so a hypervisor can treat them differently. */
static void set_entry(pteval_t *e, pteval_t v, int level)
{
	if (level == 4)
		set_p4d(e, v);
	else if (level == 3)
		set_pud(e, v);
	else if (level == 2)
		set_pmd(e, v);
	else
		set_pte(e, v);
}

static phys_addr_t alloc_table(int level)
{
	phys_addr_t pa = alloc_page();

	if (!pa)
		panic("paging: out of memory for a level-%d page table", level);
	paravirt_alloc_pt(pa >> PAGE_SHIFT, level);
	return pa;
}

/*
 * The entry for va at `level` (1 = PTE ... 4 = PML4 entry), creating the
 * tables above it if asked.  NULL if a large page or a hole is in the way.
 */
static pteval_t *walk(unsigned long va, int level, bool create)
{
	pteval_t *table = kernel_pgd;

	for (int l = 4; l > level; l--) {
		pteval_t *e = &table[pt_index(va, l)];
		pteval_t v = pte_val(*e);

		if (!(v & PTE_P)) {
			if (!create)
				return NULL;
			v = alloc_table(l - 1) | PTE_P | PTE_W | PTE_A;
			set_entry(e, make_pte(v), l);
		} else if (v & PTE_PS) {
			return NULL;
		}
		table = phys_to_virt(v & PTE_ADDR);
	}
	return &table[pt_index(va, level)];
}

/*
 * A leaf entry as this CPU last wrote it.  In a lazy-MMU section a
 * hypervisor may still hold that write in its queue (Xen batches set_pte and
 * pte_clear into one multicall), so the table in memory can be older: flush
 * the queue first, as Linux's callers of arch_flush_lazy_mmu_mode do.  Only
 * leaves are ever queued (the backends write upper levels at once), so
 * walk() reads those directly, and set_pte(lookup_pte(va), ...) stays
 * batched.  Natively the flush is NOPs; under Xen, nothing when the queue
 * is empty.
 */
static pteval_t read_leaf(const pteval_t *e)
{
	lazy_mmu_flush();
	return pte_val(*e);
}

/*
 * Every CPU runs on these tables, so a changed or removed mapping must
 * leave every TLB: this CPU's, and the others' (a shootdown, which waits
 * for them).  That wait happens after the lock is released, so that a CPU
 * spinning for the lock with interrupts off cannot hold it up.
 */
static inline void flush_after_change(unsigned long va, bool everywhere)
{
	flush_tlb_one(va);
	if (everywhere && nr_cpus_online > 1)
		flush_tlb_multi(cpus_online_but_me(), va);
}

/*
 * A shared mapping is changed under pt_lock.  A private one (everywhere ==
 * false: the text-poke alias) is not: only the CPU that patches touches its
 * entry, and its tables exist from the boot pass, made while one CPU ran.
 * That matters because the patcher runs inside stop_machine, where a
 * stopped CPU may have been interrupted holding pt_lock.
 */
static inline void pt_lock_if(bool shared)
{
	if (shared)
		spin_lock(&pt_lock);
}

static inline void pt_unlock_if(bool shared)
{
	if (shared)
		spin_unlock(&pt_lock);
}

static inline int set_mapping(unsigned long va, phys_addr_t pa, pteval_t prot, bool everywhere)
{
	pteval_t *e;
	bool was_present;

	pt_lock_if(everywhere);
	e = walk(va, 1, true);
	if (!e) {
		pt_unlock_if(everywhere);
		return -1;
	}
	was_present = read_leaf(e) & PTE_P;
	set_pte(e, make_pte((pa & PTE_ADDR) | prot));
	pt_unlock_if(everywhere);
	if (was_present)
		flush_after_change(va, everywhere);
	return 0;
}

static inline void clear_mapping(unsigned long va, bool everywhere)
{
	pteval_t *e;
	bool was_present;

	pt_lock_if(everywhere);
	e = walk(va, 1, false);
	was_present = e && (read_leaf(e) & PTE_P);
	if (was_present)
		pte_clear(e);
	pt_unlock_if(everywhere);
	if (was_present)
		flush_after_change(va, everywhere);
}

int map_page(unsigned long va, phys_addr_t pa, pteval_t prot)
{
	return set_mapping(va, pa, prot, true);
}

void unmap_page(unsigned long va)
{
	clear_mapping(va, true);
}

/*
 * For a mapping no other CPU ever touches, so no other TLB can hold it:
 * the text-poke alias, used by the one CPU that patches, while the others
 * wait in stop_machine with interrupts off and could not answer a
 * shootdown anyway.
 */
int map_page_local(unsigned long va, phys_addr_t pa, pteval_t prot)
{
	return set_mapping(va, pa, prot, false);
}

void unmap_page_local(unsigned long va)
{
	clear_mapping(va, false);
}

pteval_t *lookup_pte(unsigned long va)
{
	return walk(va, 1, false);
}

/* Software page walk: what the MMU would find for va. */
bool translate(unsigned long va, phys_addr_t *pa, pteval_t *entry)
{
	/* Before paging_init (an early exception dump), walk the boot tables. */
	pteval_t *table = kernel_pgd ? kernel_pgd : phys_to_virt(read_cr3() & PTE_ADDR);

	for (int l = 4; l >= 1; l--) {
		pteval_t *e = &table[pt_index(va, l)];
		pteval_t v = l == 1 ? read_leaf(e) : pte_val(*e);
		uint64_t span = 1UL << (PAGE_SHIFT + 9 * (l - 1));

		if (!(v & PTE_P))
			return false;
		if (l == 1 || (v & PTE_PS)) {
			*pa = (v & PTE_ADDR & ~(span - 1)) | (va & (span - 1));
			if (entry)
				*entry = v;
			return true;
		}
		table = phys_to_virt(v & PTE_ADDR);
	}
	return false;
}

/*
 * The monitor's `walk`: each level's entry for va, as it is in memory (a
 * machine frame under Xen PV) and as pte_val reads it (pseudo-physical).
 * Stops after a leaf, a hole, or an entry whose table is not in pvos's
 * direct map (under Xen, Xen's own tables at the top of the address
 * space): reading those could fault.  Returns how many levels it filled.
 */
int page_walk(unsigned long va, struct pt_step steps[4])
{
	pteval_t *table = kernel_pgd;
	phys_addr_t pa;
	int n = 0;

	for (int l = 4; l >= 1; l--, n++) {
		pteval_t *e = &table[pt_index(va, l)];
		struct pt_step *s = &steps[n];

		*s = (struct pt_step){ .level = l, .index = pt_index(va, l), .raw = *e };
		s->val = l == 1 ? read_leaf(e) : pte_val(*e);
		s->present = s->val & PTE_P;
		s->leaf = s->present && (l == 1 || (s->val & PTE_PS));
		if (!s->present || s->leaf)
			return n + 1;
		table = phys_to_virt(s->val & PTE_ADDR);
		s->foreign = !translate((unsigned long)table, &pa, NULL);
		if (s->foreign)
			return n + 1;
	}
	return n;
}

unsigned long kernel_pgd_phys(void)
{
	return kernel_pgd_pa;
}

/*
 * Take over page tables someone else built as the kernel's own (Xen PV:
 * the bootstrap tables at start_info->pt_base, which a PV guest cannot
 * replace wholesale).  The direct map must already reach them.
 */
void paging_adopt(phys_addr_t root_pa)
{
	kernel_pgd_pa = root_pa;
	kernel_pgd = phys_to_virt(root_pa);
}

static void map_range(unsigned long va, phys_addr_t pa, size_t len, pteval_t prot)
{
	for (size_t off = 0; off < len; off += PAGE_SIZE)
		if (map_page(va + off, pa + off, prot))
			panic("paging: cannot map %lx", va + off);
}

/* The kernel image, with the protection each part needs. */
static void map_kernel_image(void)
{
	struct { char *start, *end; pteval_t prot; } parts[] = {
		{ _kernel_start, _etext, PAGE_KERNEL_RX },
		{ _srodata, _erodata, PAGE_KERNEL_RO },
		{ _sdata, _end, PAGE_KERNEL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		unsigned long s = ALIGN_DOWN((unsigned long)parts[i].start, PAGE_SIZE);
		unsigned long e = ALIGN_UP((unsigned long)parts[i].end, PAGE_SIZE);

		map_range(s, virt_to_phys((void *)s), e - s, parts[i].prot);
	}
}

/* Text and rodata stay read-only through the direct map too. */
static pteval_t direct_map_prot(phys_addr_t pa)
{
	if (pa >= virt_to_phys(_kernel_start) && pa < virt_to_phys(_erodata))
		return PAGE_KERNEL_RO;
	return PAGE_KERNEL;
}

static void map_direct_chunk(phys_addr_t pa)
{
	unsigned long va = (unsigned long)phys_to_virt(pa);
	phys_addr_t kstart = ALIGN_DOWN(virt_to_phys(_kernel_start), LARGE_PAGE_SIZE);
	pteval_t *e;

	if (pa >= kstart && pa < virt_to_phys(_end)) {
		for (phys_addr_t p = pa; p < pa + LARGE_PAGE_SIZE; p += PAGE_SIZE)
			map_page((unsigned long)phys_to_virt(p), p, direct_map_prot(p));
		return;
	}
	e = walk(va, 2, true);
	if (!e)
		panic("paging: direct map at %lx is in the way", va);
	set_pmd(e, make_pte(pa | PAGE_KERNEL | PTE_PS));
}

static bool is_memory(const struct mem_region *r)
{
	return r->type == MEM_RAM || r->type == MEM_ACPI || r->type == MEM_NVS;
}

static phys_addr_t direct_map_top(void)
{
	phys_addr_t top = 0;

	for (int i = 0; i < boot_info.nr_mem; i++)
		if (is_memory(&boot_info.mem[i]))
			top = MAX(top, boot_info.mem[i].base + boot_info.mem[i].len);
	return ALIGN_UP(MAX(top, (phys_addr_t)LARGE_PAGE_SIZE), LARGE_PAGE_SIZE);
}

/*
 * Only 2 MiB chunks that hold memory are mapped: device holes (the PCI hole
 * below 4 GiB) stay out of a cacheable mapping.  The first chunk always
 * holds RAM, and with it the legacy VGA buffer at 0xb8000.
 */
static bool chunk_has_memory(phys_addr_t pa)
{
	for (int i = 0; i < boot_info.nr_mem; i++) {
		const struct mem_region *r = &boot_info.mem[i];

		if (is_memory(r) && r->base < pa + LARGE_PAGE_SIZE && r->base + r->len > pa)
			return true;
	}
	return false;
}

/*
 * Build the kernel's page tables while still on the boot tables (whose
 * direct map covers the first 1 GiB, where the allocator hands out pages
 * first), then switch to them.
 */
void paging_init(void)
{
	phys_addr_t top = direct_map_top();
	uint64_t mapped = 0;

	kernel_pgd_pa = alloc_table(4);
	kernel_pgd = phys_to_virt(kernel_pgd_pa);
	map_kernel_image();
	for (phys_addr_t pa = 0; pa < top; pa += LARGE_PAGE_SIZE) {
		if (pa && !chunk_has_memory(pa))
			continue;
		map_direct_chunk(pa);
		mapped += LARGE_PAGE_SIZE;
	}
	write_cr3(kernel_pgd_pa);
	printk("paging: kernel text RX, rodata RO, data NX; direct map of %lu MiB at %lx\n",
	       mapped >> 20, (unsigned long)DIRECT_MAP_BASE);
}

static void sync_core(void)
{
	struct cpuid_regs r;

	cpuid(0, 0, &r);	/* serializing: the CPU refetches patched code */
}

/*
 * Write to kernel text, which stays read-only: map the page(s) a second time,
 * writable, at FIXMAP_POKE, and write there (as Linux's text_poke does).
 * A patch pass pokes many sites in the same few pages, so the alias stays
 * mapped from one poke to the next while the pages are the same, and
 * text_poke_done() removes it.  Under Xen each map or unmap is a hypercall.
 */
static phys_addr_t poke_page[2] = { ~0ULL, ~0ULL };

static void poke_map(int slot, phys_addr_t pa)
{
	if (poke_page[slot] == pa)
		return;
	if (map_page_local(FIXMAP_POKE + slot * PAGE_SIZE, pa, PAGE_KERNEL))
		panic("text_poke: cannot map the alias of %lx", pa);
	poke_page[slot] = pa;
}

void text_poke(void *addr, const void *src, size_t len)
{
	unsigned long va = (unsigned long)addr, flags;
	phys_addr_t first, last;

	if (!len || !translate(va, &first, NULL) || !translate(va + len - 1, &last, NULL))
		panic("text_poke: %lx is not mapped", va);
	local_irq_save(flags);
	poke_map(0, ALIGN_DOWN(first, PAGE_SIZE));
	poke_map(1, ALIGN_DOWN(last, PAGE_SIZE));
	memcpy((void *)(FIXMAP_POKE + (va & (PAGE_SIZE - 1))), src, len);
	sync_core();
	local_irq_restore(flags);
}

/* After the last poke of a pass: no writable alias of text may remain. */
void text_poke_done(void)
{
	for (int slot = 0; slot < 2; slot++) {
		if (poke_page[slot] != ~0ULL)
			unmap_page_local(FIXMAP_POKE + slot * PAGE_SIZE);
		poke_page[slot] = ~0ULL;
	}
}
