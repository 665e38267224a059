/*
 * The engine of link-time call sites (see call_patch.h).  The rules are
 * the recorded sites' (pvops/patch.c), and simpler, since a call site is
 * always exactly one 5-byte instruction:
 *
 *  - a call through the trampoline is always correct, so when in doubt the
 *    engine leaves it, or puts it back;
 *  - nothing but those five bytes is ever written;
 *  - a call may become a direct call or jmp to the slot's function, or,
 *    when that function is a bare `ret`, nothing: a NOP for a call, and
 *    for a tail call the `ret` itself (then a NOP that never runs).
 */
#include "pvops/call_patch.h"
#include "pvops/patch.h"
#include <stddef.h>

#define OPCODE_RET	0xc3

static uint32_t rel32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * The op a trampoline at addr jumps through: its code must be exactly
 * jmp *table+8*op(%rip) (ff 25 rel32).  -1 if it is anything else.
 */
int pv_trampoline_op(const uint8_t *code, uint64_t addr, uint64_t table, unsigned int nr_ops)
{
	uint64_t slot, off;

	if (code[0] != 0xff || code[1] != 0x25)
		return -1;
	slot = addr + PV_TRAMP_LEN + (uint64_t)(int64_t)(int32_t)rel32(code + 2);
	off = slot - table;
	if (slot < table || off % 8 || off / 8 >= nr_ops)
		return -1;
	return (int)(off / 8);
}

/* e8 for a call, e9 for a tail call's jmp, 0 for any other kind. */
uint8_t pv_call_opcode(unsigned int kind)
{
	if (kind == PV_CALL_KIND_CALL)
		return PV_CALL_OPCODE_CALL;
	if (kind == PV_CALL_KIND_JMP)
		return PV_CALL_OPCODE_JMP;
	return 0;
}

/* opcode rel32: false, nothing written, if `to` is beyond +-2 GiB. */
bool pv_encode_branch(uint8_t *p, uint8_t opcode, uint64_t from, uint64_t to)
{
	int64_t rel = (int64_t)(to - (from + PV_CALL_LEN));

	if (rel < INT32_MIN || rel > INT32_MAX)
		return false;
	p[0] = opcode;
	for (int i = 0; i < 4; i++)
		p[1 + i] = (uint8_t)((uint64_t)rel >> (8 * i));
	return true;
}

/*
 * A call of an empty function: a call becomes one 5-byte NOP; a tail call
 * returns to its own caller, as the callee's ret would have, so it becomes
 * that ret, and a NOP fills the four bytes no one reaches.
 */
void pv_call_empty(unsigned int kind, uint8_t *out)
{
	if (kind == PV_CALL_KIND_JMP) {
		out[0] = OPCODE_RET;
		pv_nop_fill(out + 1, PV_CALL_LEN - 1);
	} else {
		pv_nop_fill(out, PV_CALL_LEN);
	}
}

/* Checks that need only the entry itself; NULL when it is sound. */
const char *pv_call_check_entry(const struct pv_call *c, const struct pv_call_ctx *x)
{
	if (c->addr < x->text_start || c->addr >= x->text_end ||
	    x->text_end - c->addr < PV_CALL_LEN)
		return "address outside kernel text";
	if (c->addr + PV_CALL_LEN > x->tramp_start && c->addr < x->tramp_end)
		return "address inside the trampolines";
	if (!pv_call_opcode(c->kind))
		return "unknown kind";
	if (c->op >= x->nr_ops || x->conv_of(c->op) == PV_CONV_NONE)
		return "unknown op";
	if (x->conv_of(c->op) != PV_CONV_C || !x->trampoline_of(c->op))
		return "op has no trampoline (not a C-convention op)";
	return NULL;
}

/* What the call held when linked: call or jmp to its op's trampoline. */
bool pv_call_original(const struct pv_call *c, const struct pv_call_ctx *x, uint8_t *out)
{
	return pv_encode_branch(out, pv_call_opcode(c->kind), c->addr, x->trampoline_of(c->op));
}

/* A checked entry's bytes must be that original call. */
const char *pv_call_check_bytes(const struct pv_call *c, const uint8_t *bytes,
				const struct pv_call_ctx *x)
{
	uint8_t want[PV_CALL_LEN];

	if (!pv_call_original(c, x, want))
		return "trampoline beyond the reach of rel32";
	for (int i = 0; i < PV_CALL_LEN; i++)
		if (bytes[i] != want[i])
			return bytes[0] == want[0] ? "rel32 does not reach its op's trampoline"
						   : "bytes are not a call or jmp to its trampoline";
	return NULL;
}

static void plan_left(const struct pv_call *c, const struct pv_call_ctx *x, const char *why,
		      struct pv_call_plan *plan)
{
	pv_call_original(c, x, plan->bytes);
	plan->how = PV_CALL_LEFT;
	plan->why = why;
}

/*
 * A checked call's new bytes, for a slot holding `target` whose first code
 * byte is target_first_byte: the trampoline itself means back to the
 * original; a bare ret, the empty form; else a direct branch.
 */
void pv_call_plan(const struct pv_call *c, const struct pv_call_ctx *x, uint64_t target,
		  uint8_t target_first_byte, struct pv_call_plan *plan)
{
	if (target == x->trampoline_of(c->op)) {
		plan_left(c, x, NULL, plan);
	} else if (target_first_byte == OPCODE_RET) {
		pv_call_empty(c->kind, plan->bytes);
		plan->how = PV_CALL_NOP;
		plan->why = NULL;
	} else if (pv_encode_branch(plan->bytes, pv_call_opcode(c->kind), c->addr, target)) {
		plan->how = PV_CALL_DIRECT;
		plan->why = NULL;
	} else {
		plan_left(c, x, "target beyond the reach of rel32", plan);
	}
}

const char *pv_call_outcome_name(enum pv_call_outcome o)
{
	static const char *const names[] = {
		[PV_CALL_NOT_YET] = "not yet patched", [PV_CALL_DIRECT] = "direct",
		[PV_CALL_NOP] = "nop", [PV_CALL_LEFT] = "left indirect",
		[PV_CALL_REFUSED] = "refused",
	};

	return o <= PV_CALL_REFUSED ? names[o] : "?";
}
