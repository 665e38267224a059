/*
 * Choosing and installing a backend at boot (pvops/select.c and
 * pvops/patcher.c).
 */
#ifndef PVOS_PVOPS_INIT_H
#define PVOS_PVOPS_INIT_H

#include "pvops/patch.h"

struct pv_patch_stats {
	unsigned int sites, inlined, direct, left, refused;
	uint64_t tsc;		/* rdtsc ticks the whole pass took (instructions under -icount) */
};

extern struct pv_patch_stats pv_stats;
extern const char *pv_backend_name;
extern const struct pv_backend *pv_backend;

/* For `bench` (both builds): hypercalls so far (false if not counted), patch cost. */
bool pvops_hypercalls(uint64_t *n);
bool pvops_patch_cost(uint64_t *tsc, unsigned int *sites);
void pvops_report(void);	/* at exit: what the backend got from the host */

/* A backend may claim the machine at entry (Xen PV) before the command line is read. */
void pvops_entered_by(const char *backend, const char *why);
void pvops_init(int choice);
void pvops_patch_all(bool patch);
void pvops_repatch(bool patch);

/* For tests and tools: the recorded sites and templates. */
extern struct pv_site __start_pv_sites[], __stop_pv_sites[];
const struct pv_insn *pv_find_insn(unsigned int op, const void *target);
uint64_t pv_slot_value(unsigned int op);
enum pv_conv pv_conv_of(unsigned int op);

#endif
