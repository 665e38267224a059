/*
 * `lockbench`: how many times every CPU together gets one lock in a fixed
 * span of guest time, each doing a little work inside the lock and a
 * little outside.  This is where paravirtual locks earn their keep: when
 * there are more vCPUs than physical CPUs, the hypervisor preempts a vCPU
 * that holds the lock (or whose ticket is next), and every waiter that
 * spins burns its whole time slice waiting for a vCPU that is not running.
 * A waiter that sleeps in the hypervisor (lock.wait) gives its slice back.
 * Compare a boot with `pvspin=off` (tools/bench.sh does, docs/smp.md).
 *
 * Guest time is sched_clock(): under `qemu -icount` it is virtual time,
 * which advances with the instructions executed, so a run is repeatable.
 * One line per CPU and a total:
 *
 *     lockbench: cpu=N acquisitions=A
 *     lockbench: total cpus=C acquisitions=A guest_ms=M per_sec=P pvspin=on|off
 */
#include "kernel/lockbench.h"
#include "kernel/smp.h"
#include "kernel/printk.h"
#include "kernel/exit.h"
#include "arch/x86/time.h"
#include "pvops/pvops.h"
#include "pvops/pvlock.h"

#define LOCKBENCH_MS	200
#define WORK_INSIDE	40	/* loop rounds: a few hundred instructions with the lock */
#define WORK_OUTSIDE	400	/* and ten times as long without it */

static struct spinlock lock = SPINLOCK("lockbench");
static volatile uint64_t shared, acquired[MAX_CPUS];
static volatile bool go;

static __noinline void work(int rounds)
{
	for (volatile int i = 0; i < rounds; i++)
		;
}

static void contend(void *end_ns)
{
	uint64_t end = *(const uint64_t *)end_ns, n = 0;

	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		asm volatile("pause");
	while (sched_clock() < end) {
		spin_lock(&lock);
		shared++;
		work(WORK_INSIDE);
		spin_unlock(&lock);
		work(WORK_OUTSIDE);
		n++;
	}
	acquired[smp_processor_id()] = n;
}

void lockbench_run(void)
{
	struct cpu_work w[MAX_CPUS];
	uint64_t start = sched_clock(), end = start + LOCKBENCH_MS * 1000000ULL, total = 0;
	int me = smp_processor_id();

	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpu_online(cpu) && cpu != me) {
			w[cpu] = (struct cpu_work){ .fn = contend, .arg = &end };
			smp_run(cpu, &w[cpu]);
		}
	__atomic_store_n(&go, true, __ATOMIC_RELEASE);
	contend(&end);
	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		if (!cpu_online(cpu))
			continue;
		if (cpu != me)
			smp_wait(&w[cpu]);
		printk("lockbench: cpu=%d acquisitions=%lu\n", cpu, acquired[cpu]);
		total += acquired[cpu];
	}
	printk("lockbench: total cpus=%d acquisitions=%lu guest_ms=%d per_sec=%lu pvspin=%s\n",
	       nr_cpus_online, total, LOCKBENCH_MS, total * 1000 / LOCKBENCH_MS,
	       pvlock_installed() ? "on" : "off");
	if (shared != total)
		panic("lockbench: the lock lost increments: %lu for %lu acquisitions", shared, total);
	pvos_exit(EXIT_PASS);
}
