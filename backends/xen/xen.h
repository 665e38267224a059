/*
 * What the xen backend learned at entry (backends/xen/enlighten.c):
 * start_info, the p2m list, the shared info page, and the backend itself.
 * Each other file of backends/xen has a header of its own.  Nothing outside
 * backends/xen includes these.
 */
#ifndef PVOS_XEN_H
#define PVOS_XEN_H

#include "backends/xen/hypercall.h"
#include "pvops/backend.h"

extern start_info_t *xen_start_info;
extern volatile struct shared_info *xen_shared_info;
extern const unsigned long *xen_p2m;		/* pseudo-physical pfn -> machine frame */
extern unsigned long xen_nr_pages;
extern unsigned long xen_boot_reserved_end;	/* pseudo-phys end of Xen's boot data */
extern bool xen_entered, xen_is_dom0;
extern const struct pv_backend xen_backend;
void xen_start_kernel(start_info_t *si, unsigned long xen_rsp);	/* from boot/xen_head.S */

static inline volatile struct vcpu_info *xen_vcpu(void)
{
	return &xen_shared_info->vcpu_info[0];
}

static inline unsigned long xen_pfn_to_mfn(unsigned long pfn) { return xen_p2m[pfn]; }

#endif
