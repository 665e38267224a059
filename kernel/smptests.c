/*
 * Self-tests of several CPUs together: each one answers, a lock shared by
 * all of them loses no increment, and a page remapped on one CPU is seen
 * remapped on every other after the shootdown.  (The live re-patch with
 * the others running is pvops/selftests.c's.)  They skip on one CPU (boot
 * QEMU with -smp 2 or more).
 */
#include "kernel/selftest.h"
#include "kernel/smp.h"
#include "kernel/printk.h"
#include "arch/x86/mm.h"
#include "arch/x86/time.h"
#include "pvops/pvops.h"

/*
 * Per CPU.  Each hand-over of a ticket lock needs the next ticket's vCPU
 * to run: under TCG on a busy host the vCPU threads are themselves
 * preempted by the host, and 4 x 10,000 hand-overs once took minutes.
 * 2,000 each still cross the 16-bit ticket wrap (see LOCK_SEED).
 */
#define LOCK_STEPS	2000
/* Start the tickets just below the wrap, so every run takes the lock across it. */
#define LOCK_SEED	0xf000
#define TEST_VA		FIXMAP_TEST

static bool several(struct st_ctx *t)
{
	if (nr_cpus_online < 2) {
		st_skip(t, "one CPU: boot with -smp 2 or more");
		return false;
	}
	return true;
}

/* Run fn on every other online CPU at once, and on this one, then wait for all. */
static void on_all_cpus(void (*fn)(void *), void *arg)
{
	struct cpu_work w[MAX_CPUS];

	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpu_online(cpu) && cpu != smp_processor_id()) {
			w[cpu] = (struct cpu_work){ .fn = fn, .arg = arg };
			smp_run(cpu, &w[cpu]);
		}
	fn(arg);
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpu_online(cpu) && cpu != smp_processor_id())
			smp_wait(&w[cpu]);
}

static volatile uint32_t answered;
static volatile uint64_t ticks_seen[MAX_CPUS];

static void answer(void *arg)
{
	(void)arg;
	ticks_seen[smp_processor_id()] = ticks();
	__atomic_fetch_or(&answered, 1u << smp_processor_id(), __ATOMIC_RELEASE);
}

SELFTEST(test_smp_cpus, "smp: every online CPU runs what it is given, and its own tick runs")
{
	uint64_t first[MAX_CPUS];

	if (!several(t))
		return;
	answered = 0;
	on_all_cpus(answer, NULL);
	st_check(t, answered == (cpus_online_but_me() | (1u << smp_processor_id())),
		 "CPUs %#x answered, online %#x", answered,
		 cpus_online_but_me() | (1u << smp_processor_id()));
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		first[cpu] = ticks_seen[cpu];
	udelay(50000);		/* 5 ticks at 100 Hz */
	on_all_cpus(answer, NULL);
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		st_check(t, !cpu_online(cpu) || ticks_seen[cpu] > first[cpu],
			 "CPU %d's tick stands at %lu", cpu, ticks_seen[cpu]);
}

static struct spinlock counter_lock = SPINLOCK("smp test counter");
static volatile uint64_t counter;

static void increment_many(void *arg)
{
	long steps = (long)arg;

	for (long i = 0; i < steps; i++) {
		spin_lock(&counter_lock);
		counter++;		/* not atomic: only the lock makes it right */
		spin_unlock(&counter_lock);
	}
}

SELFTEST(test_smp_lock_stress, "smp: every CPU increments one counter under one lock; none is lost")
{
	if (!several(t))
		return;
	counter = 0;
	counter_lock.t.head = counter_lock.t.tail = LOCK_SEED;	/* free: nobody holds it */
	on_all_cpus(increment_many, (void *)(long)LOCK_STEPS);
	st_check(t, counter == (uint64_t)LOCK_STEPS * (uint64_t)nr_cpus_online,
		 "counter %lu, want %d CPUs x %d", counter, nr_cpus_online, LOCK_STEPS);
	st_check(t, counter_lock.t.head == (uint16_t)(LOCK_SEED + 2 * counter),
		 "head %#x after %lu acquisitions from %#x", counter_lock.t.head, counter,
		 LOCK_SEED);
}

static volatile uint64_t read_back[MAX_CPUS];

static void read_test_page(void *arg)
{
	(void)arg;
	read_back[smp_processor_id()] = *(volatile uint64_t *)TEST_VA;
}

/* Every other CPU reads TEST_VA (so its TLB holds it); each saw `want`? */
static bool all_read(struct st_ctx *t, uint64_t want, const char *when)
{
	bool ok = true;

	on_all_cpus(read_test_page, NULL);
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpu_online(cpu) && read_back[cpu] != want) {
			st_fail(t, __LINE__, "%s: CPU %d read %lx, want %lx", when, cpu,
				read_back[cpu], want);
			ok = false;
		}
	return ok;
}

SELFTEST(test_smp_tlb_shootdown, "smp: a page remapped on one CPU is seen remapped on all, idle ones too")
{
	phys_addr_t a = alloc_page(), b = alloc_page();

	if (!several(t))
		goto out;
	*(uint64_t *)phys_to_virt(a) = 0xaaaa;
	*(uint64_t *)phys_to_virt(b) = 0xbbbb;
	map_page(TEST_VA, a, PAGE_KERNEL);
	if (all_read(t, 0xaaaa, "first mapping")) {
		map_page(TEST_VA, b, PAGE_KERNEL);	/* the shootdown: others are idle, halted */
		all_read(t, 0xbbbb, "after the remap");
	}
	unmap_page(TEST_VA);
out:
	free_page(a);
	free_page(b);
}
