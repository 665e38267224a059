/*
 * Self-tests of the xen backend, run when pvos boots as a Xen PV guest
 * (tests/boot/xen-dom0.t boots it as dom0 in QEMU).  Anywhere else they
 * skip, saying why.  They check what only Xen can show: that page tables
 * are really Xen's (pinned, read-only), that lazy mode really batches, that
 * the tick is a Xen event, and that the console is the right one.
 */
#include "kernel/selftest.h"
#include "kernel/string.h"
#include "kernel/console.h"
#include "kernel/printk.h"
#include "backends/xen/xen.h"
#include "backends/xen/console.h"
#include "backends/xen/events.h"
#include "backends/xen/mmu.h"
#include "backends/xen/spinlock.h"
#include "kernel/smp.h"
#include "pvops/select.h"
#include "arch/x86/mm.h"
#include "arch/x86/traps.h"
#include "arch/x86/apic.h"
#include "arch/x86/time.h"
#include <xen/errno.h>

#define TEST_VA FIXMAP_TEST

static bool under_xen(struct st_ctx *t)
{
	if (pv_backend != &xen_backend) {
		st_skip(t, "not running on the xen backend");
		return false;
	}
	return true;
}

/*
 * Writing an unused top-level entry: Xen emulates some writes to level-1
 * tables (when the new entry is valid it applies it, "ptwr"), never to
 * higher levels, so this one must fault.
 */
static void poke(void *va) { *(volatile uint64_t *)va = 0; }

SELFTEST(test_xen_pt_pinned, "xen: page-table pages are pinned and read-only; writing one faults")
{
	phys_addr_t page = alloc_page(), pt, pa;
	pteval_t entry = 0;
	struct fault_record r = { 0 };
	void *va;

	if (!under_xen(t))
		return;
	map_page(TEST_VA, page, PAGE_KERNEL);		/* makes sure TEST_VA has a level-1 table */
	pt = virt_to_phys(lookup_pte(TEST_VA)) & PTE_ADDR;
	va = phys_to_virt(pt);
	st_check(t, translate((unsigned long)va, &pa, &entry) && !(entry & PTE_W),
		 "the table at %lx is mapped writable (%lx)", pt, entry);
	st_check(t, xen_pin_raw(pt >> PAGE_SHIFT, 1) == -XEN_EINVAL,
		 "pinning the table again did not fail as already pinned");
	st_check(t, expect_fault(VEC_PF, poke, (pteval_t *)phys_to_virt(kernel_pgd_phys()) + 1, &r),
		 "a direct write to the top-level table did not fault");
	st_check(t, (r.error & 3) == 3, "error code %lx: want a write to a present page", r.error);
	st_check(t, xen_mmu_update_raw(lookup_pte(TEST_VA), make_pte(pt | PAGE_KERNEL)) < 0,
		 "Xen let pvos map a page table writable");
	unmap_page(TEST_VA);
	free_page(page);
}

/* n updates of n ptes; returns the hypercalls they took. */
static uint64_t update_ptes(phys_addr_t page, int n, bool lazy)
{
	uint64_t before = xen_hypercalls_here();

	if (lazy)
		lazy_mmu_enter();
	for (int i = 0; i < n; i++)
		set_pte(lookup_pte(TEST_VA + (unsigned long)i * PAGE_SIZE), make_pte(page | PAGE_KERNEL_RO));
	if (lazy)
		lazy_mmu_leave();
	return xen_hypercalls_here() - before;
}

SELFTEST(test_xen_lazy_batches, "xen: lazy-MMU mode batches pte updates into fewer hypercalls")
{
	enum { N = 64 };
	phys_addr_t page = alloc_page(), pa;
	uint64_t direct, batched;
	unsigned long flags;

	if (!under_xen(t))
		return;
	if (!xen_lazy_mmu_enabled()) {
		st_skip(t, "xen.lazy_mmu=off: nothing is batched");
		return;
	}
	for (int i = 0; i < N; i++)
		map_page(TEST_VA + (unsigned long)i * PAGE_SIZE, page, PAGE_KERNEL);
	local_irq_save(flags);		/* no timer hypercalls in the counts */
	direct = update_ptes(page, N, false);
	batched = update_ptes(page, N, true);
	local_irq_restore(flags);
	printk("xen: %d pte updates: %lu hypercalls one by one, %lu in lazy mode\n", N, direct,
	       batched);
	st_check(t, direct == N, "%lu hypercalls for %d unbatched updates", direct, N);
	st_check(t, batched == 1, "%lu hypercalls for %d batched updates, want 1", batched, N);
	st_check(t, translate(TEST_VA + (N - 1) * PAGE_SIZE, &pa, NULL) && pa == page,
		 "the last batched update is not in place");
	for (int i = 0; i < N; i++)
		unmap_page(TEST_VA + (unsigned long)i * PAGE_SIZE);
	free_page(page);
}

SELFTEST(test_xen_timer_events, "xen: VIRQ_TIMER events arrive and drive the tick")
{
	volatile uint64_t *events = &xen_timer_events[smp_processor_id()];
	uint64_t e0 = *events, t0 = ticks(), deadline = sched_clock() + 2000000000ULL;

	if (!under_xen(t))
		return;
	while (*events < e0 + 5 && sched_clock() < deadline)
		safe_halt();
	st_check(t, *events >= e0 + 5, "%lu timer events in 2 s", *events - e0);
	st_check(t, ticks() - t0 == *events - e0, "%lu ticks for %lu events", ticks() - t0,
		 *events - e0);
}

SELFTEST(test_xen_console, "xen: the console is console_io as dom0, the ring as domU")
{
	char names[96];

	if (!under_xen(t))
		return;
	console_names(names, sizeof(names));
	st_check(t, !strcmp(xen_console_kind, xen_is_dom0 ? "console_io" : "ring"),
		 "console %s as %s", xen_console_kind, xen_is_dom0 ? "dom0" : "domU");
	st_check(t, !strncmp(names, "xen", 3), "console list \"%s\" does not start with the Xen console", names);
}

/*
 * The console's port must have a handler, or each of xenconsoled's kicks
 * becomes an "event on unbound port" line, which is more output, which
 * xenconsoled takes and kicks again.  As a domU, write a line, wait for
 * xenconsoled to take it (the drain pvos does before shutting down), and
 * see its kick arrive.  dom0's VIRQ_CONSOLE comes only with typed input
 * (xen-dom0.t types a line).
 */
SELFTEST(test_xen_console_events, "xen: the console's event channel is bound; xenconsoled's kicks arrive")
{
	unsigned long e0 = xen_console_events;
	uint64_t deadline = sched_clock() + 2000000000ULL;

	if (!under_xen(t))
		return;
	st_check(t, xen_evtchn_handled(xen_console_port), "console port %u has no handler",
		 xen_console_port);
	if (xen_is_dom0)
		return;
	printk("# a line for xenconsoled to take\n");
	st_check(t, xen_console_drain(), "xenconsoled left output in the ring for 2 s");
	while (xen_console_events == e0 && sched_clock() < deadline)
		safe_halt();
	st_check(t, xen_console_events > e0, "no console event in 2 s after xenconsoled took output");
}

/*
 * Console hypercalls cannot panic when they fail (the panic would need the
 * console), so they are counted: none may have failed so far.  To show the
 * count works, one write that must fail: a buffer in Xen's own part of the
 * address space, which no guest may pass (-EFAULT).  Then the record is put
 * back as it was.
 */
SELFTEST(test_xen_console_writes, "xen: no console hypercall failed; a failing one is counted")
{
	struct xen_console_errors before = xen_console_errors, provoked;

	if (!under_xen(t))
		return;
	st_check(t, before.count == 0, "%lu console hypercalls failed; the first was %s: %ld",
		 before.count, before.first_call, before.first_rc);
	if (!xen_is_dom0) {
		st_skip(t, "the provoked failure needs console_io, which only dom0 uses");
		return;
	}
	xen_console_io_write((const char *)HYPERVISOR_VIRT_START, 1);
	provoked = xen_console_errors;
	xen_console_errors = before;
	st_check(t, provoked.count == before.count + 1, "a write from Xen's range counted %lu failures",
		 provoked.count - before.count);
	st_check(t, before.count || provoked.first_rc == -XEN_EFAULT,
		 "a write from Xen's range failed with %ld, want -EFAULT", provoked.first_rc);
}

SELFTEST(test_xen_clock, "xen: sched_clock from vcpu_time_info advances; steal time is read")
{
	uint64_t a, b;

	if (!under_xen(t))
		return;
	a = sched_clock();
	for (volatile int i = 0; i < 100000; i++)
		;
	b = sched_clock();
	st_check(t, b > a, "sched_clock went from %lu to %lu", a, b);
	/* Counted from the same moment as sched_clock, so never more (events.c). */
	st_check(t, steal_clock(0) <= b + 1000000ULL, "steal time %lu exceeds uptime %lu",
		 steal_clock(0), b);
}

/* ---- several vCPUs ---- */

static bool several_vcpus(struct st_ctx *t)
{
	if (!under_xen(t))
		return false;
	if (nr_cpus_online < 2) {
		st_skip(t, "one vCPU: boot Xen with dom0_max_vcpus=2 or more");
		return false;
	}
	return true;
}

static struct {
	volatile struct vcpu_info *used;	/* what the irq ops use */
	uint8_t record_pending, slot_pending;	/* after an event while masked */
} probe[MAX_CPUS];

/* With events masked, an IPI to itself: where does Xen flag it pending? */
static void probe_vcpu_info(void *arg)
{
	int me = smp_processor_id();
	volatile struct vcpu_info *slot = &xen_shared_info->vcpu_info[me];
	unsigned long flags;

	(void)arg;
	local_irq_save(flags);
	probe[me].used = xen_vcpu();
	slot->evtchn_upcall_pending = 0;
	apic_send_ipi(me, VEC_IPI_CALL);
	probe[me].record_pending = xen_cpu_of(me)->vcpu_info.evtchn_upcall_pending;
	probe[me].slot_pending = slot->evtchn_upcall_pending;
	local_irq_restore(flags);	/* the upcall takes it: a wake-up with nothing to do */
}

/*
 * After VCPUOP_register_vcpu_info Xen keeps a vCPU's vcpu_info in pvos's
 * per-CPU record, no longer in the shared info page: an event that comes
 * while the vCPU has events masked is flagged in the record, and the old
 * slot stays as pvos left it.
 */
SELFTEST(test_xen_vcpu_info, "xen: each vCPU's vcpu_info is its own, in its per-CPU record")
{
	if (!several_vcpus(t))
		return;
	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		if (!cpu_online(cpu))
			continue;
		if (cpu == smp_processor_id())
			probe_vcpu_info(NULL);
		else
			smp_call(cpu, probe_vcpu_info, NULL);
		st_check(t, probe[cpu].used == &xen_cpu_of(cpu)->vcpu_info,
			 "CPU %d's irq ops use the vcpu_info at %p, not its record's", cpu,
			 (void *)probe[cpu].used);
		st_check(t, probe[cpu].record_pending == 1,
			 "CPU %d: an event while masked left its record's upcall_pending at 0", cpu);
		st_check(t, probe[cpu].slot_pending == 0,
			 "CPU %d: Xen flagged the event in the shared info page's slot", cpu);
	}
}

static volatile uint16_t kick_word;
static volatile bool waiter_ready;
static volatile unsigned int wait_calls;

/*
 * Any event raising this vCPU's upcall_pending ends SCHEDOP_poll, masked or
 * not (spinlock.c).  With events masked and upcall_pending already raised
 * (an IPI to itself), only the kick can: one call, however long.
 */
static void wait_for_kick(void *arg)
{
	unsigned long flags;

	(void)arg;
	local_irq_save(flags);
	apic_send_ipi(smp_processor_id(), VEC_IPI_CALL);
	wait_calls = 0;
	__atomic_store_n(&waiter_ready, true, __ATOMIC_RELEASE);
	do {
		wait_calls++;
		lock_wait(&kick_word, 1);
	} while (kick_word != 1);
	local_irq_restore(flags);
}

static uint64_t sum(const volatile uint64_t *per_cpu)
{
	uint64_t n = 0;

	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		n += per_cpu[cpu];
	return n;
}

static int another_cpu(void)
{
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpu_online(cpu) && cpu != smp_processor_id())
			return cpu;
	return -1;
}

SELFTEST(test_xen_lock_kick, "xen: lock.wait sleeps in SCHEDOP_poll until lock.kick's event")
{
	struct cpu_work w = { .fn = wait_for_kick };
	uint64_t deadline = sched_clock() + 2000000000ULL, polls;
	int cpu;

	if (!several_vcpus(t))
		return;
	cpu = another_cpu();
	polls = xen_lock_polls[cpu];
	kick_word = 0;
	waiter_ready = false;
	smp_run(cpu, &w);
	while (!__atomic_load_n(&waiter_ready, __ATOMIC_ACQUIRE) && sched_clock() < deadline)
		safe_halt();
	udelay(20000);			/* time for it to fall asleep */
	kick_word = 1;
	lock_kick(cpu);
	while (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE) && sched_clock() < deadline)
		asm volatile("pause");
	st_check(t, w.done, "CPU %d is still waiting 2 s after its kick", cpu);
	st_check(t, wait_calls == 1, "CPU %d called lock.wait %u times, want 1: it did not sleep",
		 cpu, wait_calls);
	printk("xen: CPU %d slept in SCHEDOP_poll %lu time(s) until the kick; pv spinlocks so far: "
	       "%lu polls, %lu kicks\n", cpu, xen_lock_polls[cpu] - polls, sum(xen_lock_polls),
	       sum(xen_lock_kicks));
}
