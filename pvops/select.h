/*
 * Choosing and installing the backend at boot (pvops/select.c; in a
 * PARAVIRT=0 build pvops/nopv.c, which answers the same questions).
 */
#ifndef PVOS_SELECT_H
#define PVOS_SELECT_H

#include "kernel/types.h"

struct pv_backend;

/* The backend in use, once pvops_init has chosen it (NULL before). */
extern const struct pv_backend *pv_backend;

/* Choose (the entry path's claim, pvops=, CPUID), install and patch. */
void pvops_init(void);
/*
 * A backend that the entry path already decided (a Xen PV guest can run
 * nothing else) claims the machine before kmain: installed there, once.
 */
void pvops_claim(const struct pv_backend *b, const char *why);

const char *pvops_backend_name(void);	/* "native", "xen", "kvm"; "none" in PARAVIRT=0 */
bool pvops_patching(void);		/* false under pvops=off */

/* For `bench` (both builds): hypercalls so far (false if not counted), patch cost. */
bool pvops_hypercalls(uint64_t *n);
bool pvops_patch_cost(uint64_t *tsc, unsigned int *sites);
void pvops_report(void);		/* at exit: what the backend got from the host */
void pvops_cpu_init(int cpu);		/* a CPU other than the boot CPU starts */

/* For the monitor: the backend's hooks (pvops/backend.h), or a line saying it has none. */
void pvops_describe(void);
void pvops_counts(void);
bool pvops_set_lazy(bool on);		/* false: this backend never batches */
const char *pvops_switch(const char *to);	/* off|native|<booted>: NULL, or why not */
const char *pvops_booted_name(void);

#endif
