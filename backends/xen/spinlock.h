/* lock.wait and lock.kick under Xen: SCHEDOP_poll and EVTCHNOP_send (backends/xen/spinlock.c). */
#ifndef PVOS_XEN_SPINLOCK_H
#define PVOS_XEN_SPINLOCK_H

#include "kernel/types.h"
#include "arch/x86/percpu.h"

void xen_lock_wait(volatile uint16_t *ptr, uint16_t want);
void xen_lock_kick(int cpu);
void xen_spinlock_init_cpu(int cpu);	/* its kick channel */
extern volatile uint64_t xen_lock_polls[MAX_CPUS], xen_lock_kicks[MAX_CPUS];	/* by CPU */

#endif
