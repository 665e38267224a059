/*
 * The patch engine: pure functions that decide what a call site becomes and
 * produce its new bytes.  They touch no kernel state, so the host unit tests
 * (tests/host/test_patch.c) run exactly this code; pvops/patcher.c is the
 * small kernel-side loop that feeds them real sites and writes the result.
 */
#ifndef PVOS_PATCH_H
#define PVOS_PATCH_H

#include <stdint.h>
#include <stdbool.h>
#include "pvops/site.h"

/* A backend's inline replacement for one op (see DEF_PV_INSN in pvops/backend.h). */
struct pv_insn {
	uint16_t op;
	uint16_t clobbers;	/* PV_CLB_* registers the code changes */
	uint8_t calls;		/* ends with `call rel32` to re-aim (PV_INSN_CALLS) */
	const uint8_t *code, *end;
	const void *equiv;	/* used only while the op's slot holds this */
} __attribute__((aligned(8)));

/* What the patcher did with a site; kept beside the sites (pv_outcome_of), never in them. */
enum pv_outcome {
	PV_NOT_YET = 0,
	PV_INLINE,
	PV_DIRECT,
	PV_LEFT,
	PV_REFUSED,
};

/* What the engine checks a site against, and plans it with. */
struct pv_check_ctx {
	uint64_t text_start, text_end;	/* kernel text: [start, end) */
	uint64_t table;			/* address of pv_ops */
	unsigned int nr_ops;
	enum pv_conv (*conv_of)(unsigned int op);	/* PV_CONV_NONE if unknown */
	/* The template standing for `target` as op `op`, if a backend has one. */
	const struct pv_insn *(*find_insn)(unsigned int op, uint64_t target);
	/*
	 * Where a template's closing call goes; NULL: pv_insn_call_target,
	 * for code that runs where it is linked.  A tool that copied the code
	 * out of an image knows the address it was linked at.
	 */
	uint64_t (*insn_call_target)(const struct pv_insn *insn);
};

struct pv_plan {
	enum pv_outcome how;
	uint8_t bytes[PV_SITE_MAX_LEN];	/* the site's new contents (len bytes) */
	const char *why;		/* for LEFT and REFUSED */
};

void pv_nop_fill(uint8_t *p, unsigned int len);
unsigned int pv_nop_count(unsigned int len);
unsigned int pv_pad_len(const uint8_t *p, unsigned int len);
uint64_t pv_insn_call_target(const struct pv_insn *insn);
bool pv_encode_call(uint8_t *p, uint64_t from, uint64_t to);
bool pv_encode_site_call(uint8_t *p, uint64_t from, uint64_t to, unsigned int len);
void pv_encode_indirect(uint8_t *p, uint64_t site, uint64_t slot_addr);
unsigned int pv_conv_clobbers(enum pv_conv conv);

const char *pv_check_entry(const struct pv_site *s, const struct pv_check_ctx *c);
const char *pv_check_bytes(const struct pv_site *s, const uint8_t *bytes,
			   const struct pv_check_ctx *c);
void pv_plan_site(const struct pv_site *s, enum pv_conv conv, uint64_t target,
		  const struct pv_insn *insn, struct pv_plan *plan);
void pv_plan(const struct pv_site *s, const struct pv_check_ctx *c, const uint64_t *slots,
	     struct pv_plan *plan);
void pv_unpatched(const struct pv_site *s, const struct pv_check_ctx *c, uint8_t *out);
const char *pv_outcome_name(enum pv_outcome o);

#endif
