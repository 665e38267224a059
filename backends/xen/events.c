/*
 * Event channels and time under Xen.
 *
 * Xen has no interrupt vectors for a PV guest: it sets bits.  An event on
 * port p sets bit p of shared_info's evtchn_pending; unless the port is
 * masked, also the word's bit in the evtchn_pending_sel of the vCPU the
 * port is bound to, and that vCPU's evtchn_upcall_pending; then, unless
 * the vCPU's own mask is set, Xen calls its event callback (xen_entry.S),
 * which reaches xen_upcall() through trap_dispatch.  The upcall walks the
 * two levels of bits, clears each pending bit (that is the acknowledgement,
 * so the apic.eoi op does nothing) and runs the port's handler.
 *
 * The pending bits are shared by every vCPU, the selectors are not: a word
 * this vCPU's selector names may also hold another vCPU's pending port,
 * which this one must leave alone (its owner's selector names the word
 * too, and its owner handles it).  So each port records the vCPU it is
 * bound to, and an upcall takes only its own (Linux's cpu_evtchn_mask).
 *
 * Time: VIRQ_TIMER is per vCPU.  Each binds its own and re-arms a one-shot
 * set_timer_op deadline on each event; each event is one tick of that
 * CPU.  The clock is the vCPU's vcpu_time_info, read with the pvclock
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

static struct {
	xen_evtchn_handler_t handler;
	uint8_t cpu;		/* the vCPU it notifies: 0 for one pvos did not bind */
} xen_ports[XEN_MAX_PORTS];

static int xen_port_cpu(unsigned int port)
{
	return port < XEN_MAX_PORTS ? xen_ports[port].cpu : 0;
}

static void xen_dispatch_port(unsigned int port, struct trap_frame *f)
{
	if (port < XEN_MAX_PORTS && xen_ports[port].handler)
		xen_ports[port].handler(port, f);
	else
		printk("xen: event on unbound port %u\n", port);
}

/* One pass over the pending words the selector names; this vCPU's ports only. */
static void xen_scan_pending(unsigned long sel, struct trap_frame *f)
{
	volatile struct shared_info *s = xen_shared_info;
	int me = smp_processor_id();

	while (sel) {
		unsigned int w = (unsigned int)__builtin_ctzl(sel);
		unsigned long pend;

		sel &= sel - 1;
		pend = s->evtchn_pending[w] & ~s->evtchn_mask[w];
		while (pend) {
			unsigned int b = (unsigned int)__builtin_ctzl(pend);

			pend &= pend - 1;
			if (xen_port_cpu(w * BITS_PER_WORD + b) != me)
				continue;
			__atomic_fetch_and(&s->evtchn_pending[w], ~(1UL << b), __ATOMIC_SEQ_CST);
			xen_dispatch_port(w * BITS_PER_WORD + b, f);
		}
	}
}

/* Runs with events masked (Xen masked them to deliver the upcall). */
static void xen_upcall(struct trap_frame *f)
{
	volatile struct vcpu_info *v = xen_vcpu();

	while (v->evtchn_upcall_pending) {
		v->evtchn_upcall_pending = 0;
		xen_scan_pending(__atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST), f);
	}
}

/* Masking is the guest's own bit to set; unmasking needs Xen (EVTCHNOP_unmask). */
static void xen_evtchn_mask(unsigned int port)
{
	__atomic_fetch_or(&xen_shared_info->evtchn_mask[port / BITS_PER_WORD],
			  1UL << (port % BITS_PER_WORD), __ATOMIC_SEQ_CST);
}

void xen_evtchn_bind(unsigned int port, int cpu, xen_evtchn_handler_t h)
{
	struct evtchn_unmask unmask = { .port = port };

	if (port >= XEN_MAX_PORTS)
		panic("xen: event channel port %u is beyond the %d pvos handles", port,
		      XEN_MAX_PORTS);
	xen_ports[port].cpu = (uint8_t)cpu;
	xen_ports[port].handler = h;
	if (!h) {
		xen_evtchn_mask(port);
		return;
	}
	xen_check(HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &unmask),
		  "event_channel_op(EVTCHNOP_unmask port %u)", port);
}

bool xen_evtchn_handled(unsigned int port)
{
	return port < XEN_MAX_PORTS && xen_ports[port].handler;
}

unsigned int xen_evtchn_bind_ipi(int cpu, xen_evtchn_handler_t h, const char *what)
{
	struct evtchn_bind_ipi bind = { .vcpu = (uint32_t)cpu };

	xen_check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &bind),
		  "event_channel_op(EVTCHNOP_bind_ipi %s, vCPU %d)", what, cpu);
	xen_evtchn_bind(bind.port, cpu, h);
	return bind.port;
}

void xen_evtchn_send(unsigned int port, const char *what)
{
	struct evtchn_send send = { .port = port };

	xen_check(HYPERVISOR_event_channel_op(EVTCHNOP_send, &send),
		  "event_channel_op(EVTCHNOP_send %s, port %u)", what, port);
}

void xen_evtchn_clear(unsigned int port)
{
	__atomic_fetch_and(&xen_shared_info->evtchn_pending[port / BITS_PER_WORD],
			   ~(1UL << (port % BITS_PER_WORD)), __ATOMIC_SEQ_CST);
}

/* Sleep until port is pending (masked or not), or until an event this vCPU may take. */
void xen_evtchn_poll(unsigned int port)
{
	evtchn_port_t p = port;
	struct sched_poll poll = { .nr_ports = 1, .timeout = 0 };	/* no timeout */

	set_xen_guest_handle(poll.ports, &p);
	xen_check(HYPERVISOR_sched_op(SCHEDOP_poll, &poll), "sched_op(SCHEDOP_poll port %u)", port);
}

void xen_events_init(void)
{
	set_irq_handler(XEN_UPCALL_VECTOR, xen_upcall);
}

/* ---- time ---- */

static uint64_t xen_clock_base;
volatile uint64_t xen_timer_events[MAX_CPUS];

static struct {
	uint64_t next_tick;
	struct vcpu_runstate_info runstate;	/* Xen writes it as the vCPU runs */
	uint64_t steal_base;	/* its steal time when pvos registered it */
	bool have_runstate;
} xen_time[MAX_CPUS];

/* Xen's system time: nanoseconds since Xen booted, the timer's time base. */
static uint64_t xen_system_time(void)
{
	return pvclock_read_ns(&xen_vcpu()->time);
}

uint64_t xen_sched_clock(void)
{
	return xen_system_time() - xen_clock_base;
}

/* Runnable-but-not-running plus offline time, as Xen counts it since the vCPU was made. */
static uint64_t xen_runstate_steal(int cpu)
{
	volatile struct vcpu_runstate_info *r = &xen_time[cpu].runstate;
	uint64_t entry, steal;

	do {
		entry = r->state_entry_time;
		barrier();
		steal = r->time[RUNSTATE_runnable] + r->time[RUNSTATE_offline];
		barrier();
	} while (entry != r->state_entry_time);
	return steal;
}

/*
 * Steal time of CPU `cpu` since pvos started counting.  Xen's figures go
 * back to the vCPU's creation: a domU's vCPU sits offline while xl builds
 * the domain, and `xl create -c` keeps it paused until the console client
 * is up (over a second).  That is not time stolen from pvos, so the value
 * at registration is the zero, as sched_clock's is at timer_init.
 */
uint64_t xen_steal_clock(int cpu)
{
	if (cpu < 0 || cpu >= MAX_CPUS || !xen_time[cpu].have_runstate)
		return 0;
	return xen_runstate_steal(cpu) - xen_time[cpu].steal_base;
}

static void xen_runstate_init(int cpu)
{
	struct vcpu_register_runstate_memory_area area = { .addr.v = &xen_time[cpu].runstate };

	xen_check(HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, cpu, &area),
		  "vcpu_op(VCPUOP_register_runstate_memory_area vCPU %d)", cpu);
	xen_time[cpu].steal_base = xen_runstate_steal(cpu);	/* Xen filled it in at once */
	xen_time[cpu].have_runstate = true;
}

#define XEN_TICK_NS	(1000000000ULL / TIMER_HZ)

/* set_timer_op sets the calling vCPU's timer: each CPU arms its own. */
static void xen_arm_timer(void)
{
	uint64_t now = xen_system_time(), *next = &xen_time[smp_processor_id()].next_tick;

	*next += XEN_TICK_NS;
	if (*next <= now)	/* fell behind (a slow emulator): skip, don't burst */
		*next = now + XEN_TICK_NS;
	xen_check(HYPERVISOR_set_timer_op(*next), "set_timer_op(%lu)", *next);
}

static void xen_timer_event(unsigned int port, struct trap_frame *f)
{
	(void)port;
	(void)f;
	xen_timer_events[smp_processor_id()]++;
	this_cpu()->ticks++;
	xen_arm_timer();
}

/* This vCPU's tick and steal time: on each CPU, by itself. */
unsigned int xen_timer_init_cpu(void)
{
	int cpu = smp_processor_id();
	struct evtchn_bind_virq bind = { .virq = VIRQ_TIMER, .vcpu = (uint32_t)cpu };

	/* Xen may start a PV vCPU with a periodic timer; pvos wants only its own. */
	xen_check(HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, cpu, NULL),
		  "vcpu_op(VCPUOP_stop_periodic_timer vCPU %d)", cpu);
	xen_check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bind),
		  "event_channel_op(EVTCHNOP_bind_virq VIRQ_TIMER vCPU %d)", cpu);
	xen_evtchn_bind(bind.port, cpu, xen_timer_event);
	xen_runstate_init(cpu);
	xen_time[cpu].next_tick = xen_system_time();
	xen_arm_timer();
	return bind.port;
}

/*
 * The boot vCPU's.  Xen says the TSC's rate in vcpu_time_info: time.c takes
 * it instead of calibrating (udelay and lockdebug's limit count TSC ticks).
 */
void xen_timer_init(void)
{
	uint64_t khz = pvclock_tsc_khz(&xen_vcpu()->time);
	unsigned int port;

	xen_clock_base = xen_system_time();
	tsc_set_khz(khz);
	port = xen_timer_init_cpu();
	printk("timer: Xen VIRQ_TIMER on event channel %u, set_timer_op at %d Hz, one per vCPU; "
	       "TSC %lu kHz from vcpu_time_info; steal time from the runstate area\n",
	       port, TIMER_HZ, khz);
}
