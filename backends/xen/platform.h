/* xen_platform (backends/xen/platform.c), and the entry stubs it hands Xen (xen_entry.S). */
#ifndef PVOS_XEN_PLATFORM_H
#define PVOS_XEN_PLATFORM_H

#include "kernel/platform.h"

extern const struct platform xen_platform;

/* backends/xen/xen_entry.S */
extern char xen_trap_stubs[], xen_hypervisor_callback[], xen_failsafe_callback[];
extern char xen_ap_start[];	/* where a started vCPU begins (smp.c) */
void xen_failsafe(void);	/* called by xen_failsafe_callback */

struct trap_info;
void xen_fill_trap_ctxt(struct trap_info ctxt[256]);	/* a starting vCPU's trap table */

#endif
