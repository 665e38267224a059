/*
 * The patcher (pvops/patcher.c): every recorded site rewritten for the
 * installed backend, and again later (pvops_repatch); what it did with
 * each; the running kernel as the patch engine (pvops/patch.c) sees it.
 */
#ifndef PVOS_PATCHER_H
#define PVOS_PATCHER_H

#include "pvops/patch.h"

struct pv_patch_stats {
	unsigned int sites, inlined, direct, left, refused;
	uint64_t tsc;		/* rdtsc ticks the whole pass took (instructions under -icount) */
};

extern struct pv_patch_stats pv_stats;

void pvops_patch_all(bool patch);
void pvops_repatch(bool patch);	/* to the table as it is now, or back to indirect calls */

/* The recorded sites, and one outcome byte for each beside them (boot/linker.ld). */
extern struct pv_site __start_pv_sites[], __stop_pv_sites[];
extern uint8_t __start_pv_outcomes[];
enum pv_outcome pv_outcome_of(const struct pv_site *s);
void pv_set_outcome(const struct pv_site *s, enum pv_outcome how);	/* tests only */

void pv_kernel_ctx(struct pv_check_ctx *c);
const struct pv_insn *pv_find_insn(unsigned int op, uint64_t target);
uint64_t pv_slot_value(unsigned int op);
enum pv_conv pv_conv_of(unsigned int op);
bool pvops_corrupted(void);		/* pvops.corrupt was given */

#endif
