/*
 * The patcher (pvops/patcher.c): every recorded site rewritten for the
 * installed backend, and again later (pvops_repatch); what it did with
 * each; the running kernel as the patch engine (pvops/patch.c) sees it.
 */
#ifndef PVOS_PATCHER_H
#define PVOS_PATCHER_H

#include "pvops/patch.h"

struct pv_ops;

struct pv_patch_stats {
	unsigned int sites, inlined, direct, left, refused;
	uint64_t tsc;		/* rdtsc ticks the whole pass took (instructions under -icount) */
};

extern struct pv_patch_stats pv_stats;

void pvops_patch_all(bool patch);
void pvops_repatch(bool patch);	/* to the table as it is now, or back to indirect calls */
void pvops_repatch_table(const struct pv_ops *table, bool patch);	/* install table first */
void pvops_print_counts(void);	/* the two count lines boot prints */

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

/*
 * Link-time call sites (pvops/calls.c): the table tools/pvcalls.c wrote,
 * one outcome byte for each beside it, and the trampolines they call
 * (boot/linker.ld).  The patcher's pass runs pv_calls_pass after the sites.
 */
#include "pvops/call_patch.h"

struct pv_call_stats {
	unsigned int calls, direct, nop, left, refused;
};

extern struct pv_call_stats pv_call_stats;
extern struct pv_call __start_pv_calls[], __stop_pv_calls[];
extern uint8_t __start_pv_call_outcomes[];
extern const uint8_t __start_pv_trampolines[], __stop_pv_trampolines[];

void pv_calls_pass(bool patch, const uint64_t *last_table);
void pv_calls_corrupt(void);		/* pvops.corrupt */
enum pv_call_outcome pv_call_outcome_of(const struct pv_call *c);
uint64_t pv_trampoline_of(unsigned int op);
void pv_call_kernel_ctx(struct pv_call_ctx *x);
void pv_call_planned(const struct pv_call *c, const uint64_t *slots, struct pv_call_plan *plan);

#endif
