/*
 * What the parts of the xen-pv backend share: what Xen told us at entry
 * (start_info, the p2m list, the shared info page), and the functions each
 * file provides to the others.  Nothing outside backends/xen includes this.
 */
#ifndef PVOS_XEN_H
#define PVOS_XEN_H

#include "backends/xen/hypercall.h"
#include "kernel/platform.h"
#include "pvops/backend.h"

extern start_info_t *xen_start_info;
extern volatile struct shared_info *xen_shared_info;
extern const unsigned long *xen_p2m;		/* pseudo-physical pfn -> machine frame */
extern unsigned long xen_nr_pages;
extern unsigned long xen_boot_reserved_end;	/* pseudo-phys end of Xen's boot data */
extern bool xen_entered, xen_is_dom0;
extern const struct platform xen_platform;
void xen_fill_pv_ops(struct pv_ops *ops);

static inline volatile struct vcpu_info *xen_vcpu(void)
{
	return &xen_shared_info->vcpu_info[0];
}

/* Pseudo-physical <-> machine, through the p2m and Xen's read-only m2p. */
static inline unsigned long xen_pfn_to_mfn(unsigned long pfn) { return xen_p2m[pfn]; }
uint64_t xen_virt_to_machine(const void *va);
unsigned long xen_mfn_to_pfn(unsigned long mfn);

/* console.c */
void xen_console_init(void);
extern const char *xen_console_kind;		/* "console_io" or "ring" */
struct xen_console_errors {
	unsigned long count;		/* console hypercalls that failed */
	long first_rc;			/* the first one's error code ... */
	const char *first_call;		/* ... and what it was */
};
extern struct xen_console_errors xen_console_errors;

/* mmu.c */
void xen_mmu_early_init(void);
void xen_memory_init(void);
void xen_make_ro(unsigned long pfn, bool ro);
unsigned long xen_read_cr3(void);
void xen_bad_update(void);

/* events.c */
typedef void (*xen_evtchn_handler_t)(unsigned int port);
void xen_evtchn_bind(unsigned int port, xen_evtchn_handler_t h);
void xen_events_init(void);
void xen_timer_init(void);
uint64_t xen_sched_clock(void);
uint64_t xen_steal_clock(int cpu);
extern volatile uint64_t xen_timer_events;

/* ops.c */
void xen_force_upcall(void);

/* Hooks for the self-tests. */
long xen_mmu_update_raw(pteval_t *p, pteval_t v);
long xen_pin_raw(unsigned long pfn, int level);
void xen_console_io_write(const char *s, size_t n);

#endif
