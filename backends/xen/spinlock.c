/*
 * Paravirtual spinlocks under Xen: how a waiter sleeps and how it is woken
 * (pvops/pvlock.c is the lock itself, the same on every hypervisor).
 *
 * Each vCPU has a kick channel: an event channel bound to itself
 * (EVTCHNOP_bind_ipi) and kept masked, so that it never upcalls; it is only
 * waited for.  lock.wait sleeps in SCHEDOP_poll on it, which returns once
 * the port is pending, masked or not; lock.kick is EVTCHNOP_send on the
 * sleeper's port, as Linux's Xen spinlocks do.
 *
 * No kick is lost.  The waiter clears its port's pending bit, then looks at
 * the lock word, then polls; the unlocker changes the word, then sends.
 * A send before the clear came after the change, which the waiter's look
 * then sees; a send after it leaves the port pending, and the poll returns
 * at once.  (The clear is needed: a kick left over from an earlier wait
 * would end every poll at once.)
 *
 * The poll may end early, which the caller allows (it loops): any event
 * for this vCPU wakes it, even with events masked, if it raises the
 * vCPU's evtchn_upcall_pending from 0 to 1 (Xen's vcpu_mark_events_pending
 * kicks the vCPU whatever its mask).  So it works with interrupts on or
 * off; with them off, only the first such event ends the poll.
 */
#include "backends/xen/xen.h"
#include "backends/xen/events.h"
#include "backends/xen/spinlock.h"
#include "kernel/printk.h"

static unsigned int xen_kick_port[MAX_CPUS];
volatile uint64_t xen_lock_polls[MAX_CPUS], xen_lock_kicks[MAX_CPUS];	/* by CPU */

void xen_lock_wait(volatile uint16_t *ptr, uint16_t want)
{
	unsigned int port = xen_kick_port[smp_processor_id()];

	xen_evtchn_clear(port);		/* a locked op: the read below comes after it */
	if (*ptr == want)
		return;
	xen_lock_polls[smp_processor_id()]++;
	xen_evtchn_poll(port);
}

void xen_lock_kick(int cpu)
{
	if (cpu < 0 || cpu >= MAX_CPUS || !xen_kick_port[cpu])
		panic("xen: lock.kick(cpu %d): that CPU has no kick channel", cpu);
	xen_lock_kicks[smp_processor_id()]++;
	xen_evtchn_send(xen_kick_port[cpu], "lock kick");
}

void xen_spinlock_init_cpu(int cpu)
{
	xen_kick_port[cpu] = xen_evtchn_bind_ipi(cpu, NULL, "lock kick");
}
