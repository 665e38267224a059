/*
 * The monitor's memory commands (kernel/monitor.h): `walk` shows what the
 * MMU finds for an address, level by level, as the tables hold it and as
 * pvos reads it (under Xen PV the tables hold machine frames, pvos thinks
 * in pseudo-physical ones; natively the two are the same).  `lazy` turns
 * lazy-MMU batching on or off where a backend batches (Xen), and `counts`
 * shows what pvos caused the hypervisor to do; both ask the backend
 * (pvops/select.h), which alone knows the hypervisor.
 */
#include "kernel/monitor.h"
#include "kernel/printk.h"
#include "arch/x86/mm.h"
#include "pvops/pvops.h"
#include "pvops/select.h"

#define LAZY_PTES	64	/* one batch of bench.c's pte loop */
#define LAZY_VA		SCRATCH_AREA

static bool canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

static void print_step(const struct pt_step *s)
{
	static const char *const names[] = { "", "PTE", "PMD", "PUD", "PML4" };
	uint64_t mfn = (s->raw & PTE_ADDR) >> PAGE_SHIFT, pfn = (s->val & PTE_ADDR) >> PAGE_SHIFT;

	printk("  L%d %-4s [%3d] = %016lx", s->level, names[s->level], s->index,
	       (unsigned long)s->raw);
	if (s->present)
		printk("  mfn %#lx pfn %#lx%s%s%s%s", (unsigned long)mfn, (unsigned long)pfn,
		       s->val & PTE_W ? " W" : " RO", s->val & PTE_NX ? " NX" : " X",
		       s->val & PTE_U ? " user" : "", s->level > 1 && s->leaf ? " (large page)" : "");
	printk("\n");
}

/* Where the leaf points: its frame, and va's offset inside the page it maps. */
static void print_target(uint64_t va, const struct pt_step *s)
{
	uint64_t span = 1UL << (PAGE_SHIFT + 9 * (s->level - 1));

	printk("walk: %lx -> physical %lx\n", (unsigned long)va,
	       (unsigned long)((s->val & PTE_ADDR & ~(span - 1)) | (va & (span - 1))));
}

static void cmd_walk(int argc, char **argv)
{
	struct pt_step steps[4];
	uint64_t va;
	int n;

	if (!mon_parse_u64("walk", argv[1], true, &va))
		return;
	if (!canonical(va)) {
		mon_error("walk", "%lx is not a canonical address (bits 63..47 must be equal)",
			  (unsigned long)va);
		return;
	}
	printk("walk: %016lx\n", (unsigned long)va);
	n = page_walk(va, steps);
	for (int i = 0; i < n; i++)
		print_step(&steps[i]);
	if (!steps[n - 1].present)
		mon_error("walk", "%lx is not mapped at level %d", (unsigned long)va, steps[n - 1].level);
	else if (steps[n - 1].foreign)
		printk("walk: the level-%d table is not pvos's memory (the hypervisor's): stop\n",
		       steps[n - 1].level - 1);
	else
		print_target(va, &steps[n - 1]);
}
MONITOR_CMD(mon_walk, "walk", "<va>", "page walk: each level's entry (machine and pseudo-physical frame)",
	    1, 1, cmd_walk);

static void cmd_counts(int argc, char **argv)
{
	pvops_counts();
}
MONITOR_CMD(mon_counts, "counts", "", "hypercalls (and exits) pvos caused since boot, by op",
	    0, 0, cmd_counts);

/* LAZY_PTES set_pte calls in one lazy-MMU section; how many hypercalls they took. */
static bool pte_loop(phys_addr_t page, uint64_t *calls)
{
	uint64_t before, after;

	if (!pvops_hypercalls(&before))
		return false;
	lazy_mmu_enter();
	for (int i = 0; i < LAZY_PTES; i++)
		set_pte(lookup_pte(LAZY_VA + (unsigned long)i * PAGE_SIZE),
			make_pte(page | PAGE_KERNEL_RO));
	lazy_mmu_leave();
	pvops_hypercalls(&after);
	*calls = after - before;
	return true;
}

static void cmd_lazy(int argc, char **argv)
{
	static phys_addr_t page;
	uint64_t calls;
	bool on;

	if (!mon_parse_onoff("lazy", argv[1], &on))
		return;
	if (!pvops_set_lazy(on)) {
		mon_error("lazy", "the %s backend does not batch page-table writes", pvops_backend_name());
		return;
	}
	if (!page)
		page = alloc_page();
	for (int i = 0; i < LAZY_PTES; i++)
		map_page(LAZY_VA + (unsigned long)i * PAGE_SIZE, page, PAGE_KERNEL);
	if (pte_loop(page, &calls))
		printk("lazy: batching %s: %d pte updates in a lazy-MMU section took %lu hypercalls\n",
		       on ? "on" : "off", LAZY_PTES, (unsigned long)calls);
	for (int i = 0; i < LAZY_PTES; i++)
		unmap_page(LAZY_VA + (unsigned long)i * PAGE_SIZE);
}
MONITOR_CMD(mon_lazy, "lazy", "on|off", "lazy-MMU batching on or off (Xen), and a pte loop's hypercalls",
	    1, 1, cmd_lazy);
