/* The xen backend's answers to the monitor (backends/xen/monitor.c, mmu.c). */
#ifndef PVOS_XEN_MONITOR_H
#define PVOS_XEN_MONITOR_H

#include "kernel/types.h"

void xen_describe(void);
void xen_counts(void);
void xen_set_lazy(bool on);	/* backends/xen/mmu.c */

#endif
