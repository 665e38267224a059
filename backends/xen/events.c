/*
 * Event channels and time under Xen.
 *
 * Xen has no interrupt vectors for a PV guest: it sets bits.  An event on
 * port p sets bit p of shared_info's evtchn_pending, the word's bit in the
 * vCPU's evtchn_pending_sel, and evtchn_upcall_pending; then, unless the
 * vCPU's mask is set, it calls the event callback (xen_entry.S), which
 * reaches xen_upcall() through trap_dispatch.  The upcall walks the two
 * levels of bits, clears each pending bit (that is the acknowledgement, so
 * the apic.eoi op does nothing) and runs the port's handler.
 *
 * The tick: VIRQ_TIMER bound to a port, a one-shot set_timer_op deadline
 * re-armed on each event.  The clock: vcpu_time_info, read with the pvclock
 * version protocol (backends/common/pvclock.c).
 */
#include "backends/xen/xen.h"
#include "backends/xen/events.h"
#include "backends/xen/xen_vectors.h"
#include "backends/common/pvclock.h"
#include "arch/x86/apic.h"
#include "arch/x86/time.h"
#include "arch/x86/percpu.h"
#include "arch/x86/traps.h"
#include "kernel/printk.h"

#define XEN_MAX_PORTS	256	/* more than pvos binds; a higher port panics */
#define BITS_PER_WORD	64

static xen_evtchn_handler_t xen_handlers[XEN_MAX_PORTS];
volatile uint64_t xen_timer_events;

static void xen_dispatch_port(unsigned int port)
{
	if (port < XEN_MAX_PORTS && xen_handlers[port])
		xen_handlers[port](port);
	else
		printk("xen: event on unbound port %u\n", port);
}

/* One pass over the pending words the selector names. */
static void xen_scan_pending(unsigned long sel)
{
	volatile struct shared_info *s = xen_shared_info;

	while (sel) {
		unsigned int w = (unsigned int)__builtin_ctzl(sel);
		unsigned long pend;

		sel &= sel - 1;
		pend = s->evtchn_pending[w] & ~s->evtchn_mask[w];
		while (pend) {
			unsigned int b = (unsigned int)__builtin_ctzl(pend);

			pend &= pend - 1;
			__atomic_fetch_and(&s->evtchn_pending[w], ~(1UL << b), __ATOMIC_SEQ_CST);
			xen_dispatch_port(w * BITS_PER_WORD + b);
		}
	}
}

/* Runs with events masked (Xen masked them to deliver the upcall). */
static void xen_upcall(struct trap_frame *f)
{
	volatile struct vcpu_info *v = xen_vcpu();

	(void)f;
	while (v->evtchn_upcall_pending) {
		v->evtchn_upcall_pending = 0;
		xen_scan_pending(__atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST));
	}
}

void xen_evtchn_bind(unsigned int port, xen_evtchn_handler_t h)
{
	struct evtchn_unmask unmask = { .port = port };

	if (port >= XEN_MAX_PORTS)
		panic("xen: event channel port %u is beyond the %d pvos handles", port,
		      XEN_MAX_PORTS);
	xen_handlers[port] = h;
	xen_check(HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &unmask),
		  "event_channel_op(EVTCHNOP_unmask port %u)", port);
}

void xen_events_init(void)
{
	set_irq_handler(XEN_UPCALL_VECTOR, xen_upcall);
}

/* ---- time ---- */

static uint64_t xen_clock_base;

/* Xen's system time: nanoseconds since Xen booted, the timer's time base. */
static uint64_t xen_system_time(void)
{
	return pvclock_read_ns(&xen_vcpu()->time);
}

uint64_t xen_sched_clock(void)
{
	return xen_system_time() - xen_clock_base;
}

/* Steal time: how long this vCPU was runnable but not running, or offline. */
static struct vcpu_runstate_info xen_runstate;
static bool xen_have_runstate;

uint64_t xen_steal_clock(int cpu)
{
	volatile struct vcpu_runstate_info *r = &xen_runstate;
	uint64_t entry, steal;

	(void)cpu;
	if (!xen_have_runstate)
		return 0;
	do {
		entry = r->state_entry_time;
		barrier();
		steal = r->time[RUNSTATE_runnable] + r->time[RUNSTATE_offline];
		barrier();
	} while (entry != r->state_entry_time);
	return steal;
}

static void xen_runstate_init(void)
{
	struct vcpu_register_runstate_memory_area area = { .addr.v = &xen_runstate };
	long rc = HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, &area);

	xen_check(rc, "vcpu_op(VCPUOP_register_runstate_memory_area)");
	xen_have_runstate = true;
}

#define XEN_TICK_NS	(1000000000ULL / TIMER_HZ)
static uint64_t xen_next_tick;

static void xen_arm_timer(void)
{
	uint64_t now = xen_system_time();

	xen_next_tick += XEN_TICK_NS;
	if (xen_next_tick <= now)	/* fell behind (a slow emulator): skip, don't burst */
		xen_next_tick = now + XEN_TICK_NS;
	xen_check(HYPERVISOR_set_timer_op(xen_next_tick), "set_timer_op(%lu)", xen_next_tick);
}

static void xen_timer_event(unsigned int port)
{
	(void)port;
	xen_timer_events++;
	this_cpu()->ticks++;
	xen_arm_timer();
}

void xen_timer_init(void)
{
	struct evtchn_bind_virq bind = { .virq = VIRQ_TIMER, .vcpu = 0 };

	xen_clock_base = xen_system_time();
	/* Xen may start a PV vCPU with a periodic timer; pvos wants only its own. */
	xen_check(HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL),
		  "vcpu_op(VCPUOP_stop_periodic_timer)");
	xen_check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bind),
		  "event_channel_op(EVTCHNOP_bind_virq VIRQ_TIMER)");
	xen_evtchn_bind(bind.port, xen_timer_event);
	xen_runstate_init();
	xen_next_tick = xen_system_time();
	xen_arm_timer();
	printk("timer: Xen VIRQ_TIMER on event channel %u, set_timer_op at %d Hz; "
	       "TSC %lu kHz from vcpu_time_info; steal time from the runstate area\n",
	       bind.port, TIMER_HZ, pvclock_tsc_khz(&xen_vcpu()->time));
}
