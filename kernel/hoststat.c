/*
 * hoststat (command-line word `hoststat`): measurements judged by the
 * hypervisor, not claimed by the guest.  pvos runs fixed workloads and,
 * before and after each, prints
 *
 *     hoststat: snapshot <label>
 *
 * and waits for one byte on the console.  A harness on the host side
 * (tests/kvm) reads the hypervisor's own exit counters when it sees the
 * line, then sends the byte.  The difference between two snapshots is what
 * the workload cost the host.  Back-to-back pairs, first ("cal") and last
 * ("cal2"), measure what a snapshot itself costs, to subtract.
 */
#include "kernel/hoststat.h"
#include "kernel/console.h"
#include "kernel/printk.h"
#include "kernel/exit.h"
#include "arch/x86/apic.h"
#include "arch/x86/time.h"
#include "pvops/pvops.h"

#define HOSTSTAT_TICKS		500
#define HOSTSTAT_IO_DELAYS	1000

/*
 * Wait for the host's byte sleeping, one look per timer tick: polling the
 * UART in a loop would cost an exit per poll, as many as the host is slow,
 * and that noise would land in the measured windows.
 */
static void snapshot(const char *label)
{
	uint64_t deadline = ticks() + 60 * TIMER_HZ;

	printk("hoststat: snapshot %s\n", label);
	while (console_getc() < 0) {
		if (ticks() > deadline)
			panic("hoststat: no answer from the host for 60 s at '%s'", label);
		safe_halt();
	}
}

/* Sleep through n timer interrupts: each costs the host an injection and an EOI. */
static uint64_t timer_window(uint64_t n)
{
	uint64_t start = ticks();

	while (ticks() < start + n)
		safe_halt();
	return ticks() - start;
}

void hoststat_run(void)
{
	uint64_t n;

	snapshot("cal-start");
	snapshot("cal-end");
	snapshot("timer-start");
	n = timer_window(HOSTSTAT_TICKS);
	snapshot("timer-end");
	printk("hoststat: timer-window ticks=%lu\n", n);
	snapshot("io-start");
	for (int i = 0; i < HOSTSTAT_IO_DELAYS; i++)
		io_delay();
	snapshot("io-end");
	printk("hoststat: io-window io_delays=%d\n", HOSTSTAT_IO_DELAYS);
	/* Again at the end: the first handshake of a run can cost a tick more. */
	snapshot("cal2-start");
	snapshot("cal2-end");
	pvos_exit(EXIT_PASS);
}
