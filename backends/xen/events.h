/* Event channels, VIRQ_TIMER and Xen's clock (backends/xen/events.c). */
#ifndef PVOS_XEN_EVENTS_H
#define PVOS_XEN_EVENTS_H

#include "kernel/types.h"

typedef void (*xen_evtchn_handler_t)(unsigned int port);
void xen_evtchn_bind(unsigned int port, xen_evtchn_handler_t h);
void xen_events_init(void);
void xen_timer_init(void);
uint64_t xen_sched_clock(void);
uint64_t xen_steal_clock(int cpu);
extern volatile uint64_t xen_timer_events;

#endif
