/*
 * The engine of link-time call sites: pure functions that check a
 * struct pv_call and decide what its five bytes become.  Like
 * pvops/patch.c they touch no kernel state, so the host unit tests
 * (tests/host/test_pvcalls.c) and the host tools run exactly this code;
 * pvops/calls.c is the kernel-side loop that feeds it the real table.
 */
#ifndef PVOS_CALL_PATCH_H
#define PVOS_CALL_PATCH_H

#include <stdint.h>
#include <stdbool.h>
#include "pvops/calls.h"
#include "pvops/site.h"

/* What the patcher did with a call; kept beside the table, never in it. */
enum pv_call_outcome {
	PV_CALL_NOT_YET = 0,
	PV_CALL_DIRECT,		/* call/jmp rel32 straight to the slot's function */
	PV_CALL_NOP,		/* the function is a bare ret: nothing to call */
	PV_CALL_LEFT,		/* still through the trampoline */
	PV_CALL_REFUSED,
};

/* What the engine checks a call against. */
struct pv_call_ctx {
	uint64_t text_start, text_end;		/* kernel text: [start, end) */
	uint64_t tramp_start, tramp_end;	/* the trampolines, inside the text */
	unsigned int nr_ops;
	enum pv_conv (*conv_of)(unsigned int op);	/* PV_CONV_NONE if unknown */
	uint64_t (*trampoline_of)(unsigned int op);	/* 0 if the op has none */
};

struct pv_call_plan {
	enum pv_call_outcome how;
	uint8_t bytes[PV_CALL_LEN];
	const char *why;		/* for LEFT and REFUSED */
};

int pv_trampoline_op(const uint8_t *code, uint64_t addr, uint64_t table, unsigned int nr_ops);
uint8_t pv_call_opcode(unsigned int kind);
bool pv_encode_branch(uint8_t *p, uint8_t opcode, uint64_t from, uint64_t to);
void pv_call_empty(unsigned int kind, uint8_t *out);
const char *pv_call_check_entry(const struct pv_call *c, const struct pv_call_ctx *x);
bool pv_call_original(const struct pv_call *c, const struct pv_call_ctx *x, uint8_t *out);
const char *pv_call_check_bytes(const struct pv_call *c, const uint8_t *bytes,
				const struct pv_call_ctx *x);
void pv_call_plan(const struct pv_call *c, const struct pv_call_ctx *x, uint64_t target,
		  uint8_t target_first_byte, struct pv_call_plan *plan);
const char *pv_call_outcome_name(enum pv_call_outcome o);

#endif
