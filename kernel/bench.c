/*
 * `bench`: what each pv op costs, and what a workload that mixes them costs,
 * counted with rdtsc.  Under `qemu -icount shift=0` the guest's TSC advances
 * by exactly one per instruction executed, so the counts are instructions
 * and identical run after run (and include a hypervisor's own instructions
 * when one runs under the same QEMU); under KVM or on hardware they are
 * cycles, and noisy.
 *
 * It runs right after patching, before the timer starts, with interrupts
 * off: nothing else can run in the middle of a measurement.  Every result
 * is one line, read by tools/bench.sh:
 *
 *     bench: <op> n=<repetitions> total=<count> per_op=<count/n, 3 decimals>
 *
 * Micro benchmarks subtract the same loop run empty.
 */
#include "kernel/bench.h"
#include "kernel/printk.h"
#include "kernel/exit.h"
#include "kernel/string.h"
#include "kernel/vsprintf.h"
#include "arch/x86/mm.h"
#include "arch/x86/traps.h"
#include "pvops/pvops.h"
#include "pvops/select.h"

#define MICRO_N		1000
#define MACRO_PAGES	10000
#define FAULTS		1000
#define PTE_BATCH	64
#define BENCH_VA	SCRATCH_AREA

static volatile unsigned long sink;
static struct spinlock bench_lock = SPINLOCK_INIT;

static inline uint64_t now(void)
{
	return native_rdtsc();
}

static void report(const char *op, uint64_t n, uint64_t total)
{
	uint64_t milli = total * 1000 / n;

	printk("bench: %s n=%lu total=%lu per_op=%lu.%03lu\n", op, n, total,
	       milli / 1000, milli % 1000);
}

/* Each micro benchmark is its own function so that the loops compare. */
#define MICRO(name, body)						\
	static __noinline uint64_t micro_##name(void)			\
	{								\
		uint64_t t0 = now();					\
		for (int i = 0; i < MICRO_N; i++) {			\
			body;						\
			barrier();					\
		}							\
		return now() - t0;					\
	}

static pteval_t *scratch_pte;
static unsigned long scratch_cr3;

MICRO(empty, (void)0)
MICRO(irq_save_restore, { unsigned long f; local_irq_save(f); local_irq_restore(f); })
MICRO(irq_disable_enable, { local_irq_disable(); local_irq_enable(); })
MICRO(read_cr2, sink = read_cr2())
MICRO(read_cr3, sink = read_cr3())
MICRO(write_cr3, write_cr3(scratch_cr3))
MICRO(set_pte, set_pte(scratch_pte, *scratch_pte))
MICRO(flush_tlb_one, flush_tlb_one(FIXMAP_TEST))
MICRO(spin_lock_unlock, { spin_lock(&bench_lock); spin_unlock(&bench_lock); })
/*
 * One op both ways (docs/pvops.md, "Link-time call sites"): a recorded site,
 * which natively becomes the outb itself, and a link-time call, which can
 * only become a direct call of the function that does the outb.
 */
MICRO(io_delay_site, PV((void)PVOP_CALL0(cpu, io_delay), native_io_delay()))
MICRO(io_delay_call, PV(pvcall_cpu_io_delay(), native_io_delay()))
/*
 * And an op that is a direct call either way (no backend inlines it): a
 * recorded site against a link-time call, the two mechanisms' own cost.
 */
MICRO(sched_clock_site, sink = PV(PVOP_CALL0(time, sched_clock), tsc_sched_clock()))
MICRO(sched_clock_call, sink = sched_clock())

static const struct micro {
	const char *name;
	uint64_t (*fn)(void);
} micro[] = {
	{ "irq_save_restore", micro_irq_save_restore },
	{ "irq_disable_enable", micro_irq_disable_enable },
	{ "read_cr2", micro_read_cr2 },
	{ "read_cr3", micro_read_cr3 },
	{ "write_cr3", micro_write_cr3 },
	{ "set_pte", micro_set_pte },
	{ "flush_tlb_one", micro_flush_tlb_one },
	{ "spin_lock_unlock", micro_spin_lock_unlock },
	{ "io_delay_site", micro_io_delay_site },
	{ "io_delay_call", micro_io_delay_call },
	{ "sched_clock_site", micro_sched_clock_site },
	{ "sched_clock_call", micro_sched_clock_call },
};

static void run_one(const struct micro *m, uint64_t empty)
{
	uint64_t t = m->fn();

	report(m->name, MICRO_N, t > empty ? t - empty : 0);
	local_irq_disable();	/* irq_disable_enable leaves them on */
}

static void run_micro(void)
{
	uint64_t empty = micro_empty();

	for (size_t i = 0; i < ARRAY_SIZE(micro); i++)
		run_one(&micro[i], empty);
}

/* Map, touch and unmap 10,000 pages, each step under a lock and irqs off. */
static __noinline uint64_t macro_map_touch_unmap(phys_addr_t page)
{
	uint64_t t0 = now();

	for (int i = 0; i < MACRO_PAGES; i++) {
		unsigned long va = BENCH_VA + (unsigned long)i * PAGE_SIZE, f;

		spin_lock(&bench_lock);
		local_irq_save(f);
		map_page(va, page, PAGE_KERNEL);
		*(volatile uint64_t *)va = (uint64_t)i;
		unmap_page(va);
		local_irq_restore(f);
		spin_unlock(&bench_lock);
	}
	return now() - t0;
}

static void touch(void *va) { (void)*(volatile uint64_t *)va; }

/* The page-fault path: an exception in and out, 1,000 times. */
static __noinline uint64_t macro_page_faults(void)
{
	struct fault_record r;
	uint64_t t0 = now();

	for (int i = 0; i < FAULTS; i++)
		expect_fault(VEC_PF, touch, (void *)BENCH_VA, &r);
	return now() - t0;
}

/*
 * pte updates in batches of 64, in lazy-MMU mode or not: instructions and
 * hypercalls.  Both counts are taken before anything is printed: under Xen
 * printing is a hypercall too (console_io).
 */
static void pte_updates(const char *op, phys_addr_t page, bool lazy)
{
	uint64_t calls0 = 0, calls1 = 0, t0, t1;
	bool counted = pvops_hypercalls(&calls0);

	t0 = now();
	for (int i = 0; i < MACRO_PAGES; i += PTE_BATCH) {
		if (lazy)
			lazy_mmu_enter();
		for (int j = i; j < i + PTE_BATCH && j < MACRO_PAGES; j++)
			set_pte(lookup_pte(BENCH_VA + (unsigned long)j * PAGE_SIZE),
				make_pte(page | PAGE_KERNEL_RO));
		if (lazy)
			lazy_mmu_leave();
	}
	t1 = now();
	counted = counted && pvops_hypercalls(&calls1);
	report(op, MACRO_PAGES, t1 - t0);
	if (counted)
		printk("bench: %s_hypercalls n=%d total=%lu per_op=%lu.%03lu\n", op, MACRO_PAGES,
		       calls1 - calls0, (calls1 - calls0) / MACRO_PAGES,
		       (calls1 - calls0) * 1000 / MACRO_PAGES % 1000);
}

static void run_macro(void)
{
	phys_addr_t page = alloc_page();

	report("map_touch_unmap", MACRO_PAGES, macro_map_touch_unmap(page));
	report("page_fault", FAULTS, macro_page_faults());
	pte_updates("pte_update_unbatched", page, false);
	pte_updates("pte_update_batched", page, true);
	for (int i = 0; i < MACRO_PAGES; i++)
		unmap_page(BENCH_VA + (unsigned long)i * PAGE_SIZE);
}

/* The page set_pte and flush_tlb_one work on, and the cr3 write_cr3 writes. */
static void map_scratch(void)
{
	static phys_addr_t page;

	if (!page)
		page = alloc_page();
	map_page(FIXMAP_TEST, page, PAGE_KERNEL);
	scratch_pte = lookup_pte(FIXMAP_TEST);
	scratch_cr3 = read_cr3();
}

/*
 * The monitor's `bench <op>|all`, at any time after boot: the same loops,
 * with interrupts off around each so that no tick lands in one.  False if
 * no benchmark has that name.
 */
bool bench_micro(const char *name)
{
	bool all = !strcmp(name, "all"), found = false;
	unsigned long flags;
	uint64_t empty;

	local_irq_save(flags);
	map_scratch();
	empty = micro_empty();
	for (size_t i = 0; i < ARRAY_SIZE(micro); i++)
		if (all || !strcmp(micro[i].name, name)) {
			if (!found)
				printk("bench: per_op (TSC ticks: instructions under qemu -icount, "
				       "cycles otherwise)\n");
			found = true;
			run_one(&micro[i], empty);
		}
	local_irq_restore(flags);
	return found;
}

/* "irq_save_restore, ...": for the monitor's error line. */
const char *bench_micro_names(void)
{
	static char names[320];
	size_t len = 0;

	for (size_t i = 0; i < ARRAY_SIZE(micro) && len < sizeof(names); i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : "",
					micro[i].name);
	return names;
}

void bench_run_all(void)
{
	uint64_t tsc;
	unsigned int sites;

	local_irq_disable();
	map_scratch();
	printk("bench: backend %s; counts are rdtsc ticks (instructions under -icount)\n",
	       pvops_backend_name());
	if (pvops_patch_cost(&tsc, &sites) && sites)
		report("patch_site", sites, tsc);
	run_micro();
	run_macro();
	printk("bench: done\n");
	pvos_exit(EXIT_PASS);
}
