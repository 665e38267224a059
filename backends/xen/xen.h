/*
 * What the xen backend learned at entry (backends/xen/enlighten.c):
 * start_info, the p2m list, the shared info page, and the backend itself;
 * and each vCPU's own record.  Each other file of backends/xen has a header
 * of its own.  Nothing outside backends/xen includes these.
 */
#ifndef PVOS_XEN_H
#define PVOS_XEN_H

#include "backends/xen/hypercall.h"
#include "pvops/backend.h"
#include "arch/x86/percpu.h"

extern start_info_t *xen_start_info;
extern volatile struct shared_info *xen_shared_info;
extern const unsigned long *xen_p2m;		/* pseudo-physical pfn -> machine frame */
extern unsigned long xen_nr_pages;
extern unsigned long xen_boot_reserved_end;	/* pseudo-phys end of Xen's boot data */
extern bool xen_entered, xen_is_dom0;
extern const struct pv_backend xen_backend;
void xen_start_kernel(start_info_t *si, unsigned long xen_rsp);	/* from boot/xen_head.S */
void xen_set_iopl(void);	/* a dom0 vCPU may use I/O ports (the exit port) */

/*
 * Each vCPU's record: its struct cpu_data's hv_area (arch/x86/percpu.h),
 * which cpu_data[n].backend also points at.  Its vcpu_info (the event mask
 * and pending flags, the vCPU's clock, cr2) is registered with
 * VCPUOP_register_vcpu_info (smp.c), so Xen keeps it here rather than in
 * the shared info page (which has room for 32): the irq ops find this CPU's
 * at a fixed %gs offset, inline in one instruction (ops.c), with no table
 * indexed by CPU number.  The area's alignment keeps it within one page, as
 * Xen requires.
 */
struct xen_cpu {
	struct vcpu_info vcpu_info;
};
STATIC_ASSERT(sizeof(struct xen_cpu) <= CPU_HV_AREA_SIZE);

static inline struct xen_cpu *xen_cpu_of(int cpu)
{
	return (struct xen_cpu *)cpu_data[cpu].hv_area;
}

static inline volatile struct vcpu_info *xen_vcpu(void)
{
	return &((struct xen_cpu *)this_cpu()->backend)->vcpu_info;
}

/* This vCPU's event flags as %gs-relative operands, for inline code (ops.c). */
#define XEN_VCPU_PENDING	(CPU_HV_AREA + 0)
#define XEN_VCPU_MASK		(CPU_HV_AREA + 1)
STATIC_ASSERT(__builtin_offsetof(struct vcpu_info, evtchn_upcall_pending) == 0);
STATIC_ASSERT(__builtin_offsetof(struct vcpu_info, evtchn_upcall_mask) == 1);

static inline unsigned long xen_pfn_to_mfn(unsigned long pfn) { return xen_p2m[pfn]; }

#endif
