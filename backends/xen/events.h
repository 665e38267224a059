/* Event channels, VIRQ_TIMER and Xen's clock (backends/xen/events.c). */
#ifndef PVOS_XEN_EVENTS_H
#define PVOS_XEN_EVENTS_H

#include "kernel/types.h"
#include "arch/x86/percpu.h"

struct trap_frame;

/* A port's handler runs in the upcall; f is what the event interrupted. */
typedef void (*xen_evtchn_handler_t)(unsigned int port, struct trap_frame *f);

/*
 * Port `port` notifies CPU cpu's vCPU: only that CPU's upcall takes it.
 * With a handler the port is unmasked; without, it is kept masked, never
 * upcalls, and is only waited for with xen_evtchn_poll.
 */
void xen_evtchn_bind(unsigned int port, int cpu, xen_evtchn_handler_t h);
bool xen_evtchn_handled(unsigned int port);	/* bound, with a handler */
unsigned int xen_evtchn_bind_ipi(int cpu, xen_evtchn_handler_t h, const char *what);
void xen_evtchn_send(unsigned int port, const char *what);
void xen_evtchn_clear(unsigned int port);	/* its pending bit */
void xen_evtchn_poll(unsigned int port);	/* SCHEDOP_poll: sleep until it is pending */
void xen_events_init(void);

void xen_timer_init(void);			/* the boot vCPU's, and the clock */
unsigned int xen_timer_init_cpu(void);		/* this vCPU's tick; returns its port */
uint64_t xen_sched_clock(void);
uint64_t xen_steal_clock(int cpu);
extern volatile uint64_t xen_timer_events[MAX_CPUS];	/* per CPU */

#endif
