/*
 * The patch engine (see patch.h).  Three rules govern it, from the threads
 * Linux's paravirt patching grew from (docs/sources.md: Amsden, 2007):
 *
 *  - an unpatched site, an indirect call through pv_ops, is always correct,
 *    so when in doubt the engine leaves a site alone;
 *  - nothing is ever written past a site's recorded end: a replacement that
 *    does not fit is not used;
 *  - a replacement may change only the registers the site said it may.
 */
#include "pvops/patch.h"
#include <stddef.h>

/* No libc here (the kernel links this file too). */
static int memcmp_bytes(const uint8_t *a, const uint8_t *b, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (a[i] != b[i])
			return 1;
	return 0;
}

/*
 * The recommended multi-byte NOPs (0f 1f /0 is "nopl"), one instruction
 * each, byte for byte what GNU as writes for `.nops N`, so that a site
 * padded by the assembler (pvops/pvops.h) can be checked exactly.
 */
#define PV_NOP_MAX 11
static const uint8_t nops[PV_NOP_MAX + 1][PV_NOP_MAX] = {
	[1] = { 0x90 },
	[2] = { 0x66, 0x90 },
	[3] = { 0x0f, 0x1f, 0x00 },
	[4] = { 0x0f, 0x1f, 0x40, 0x00 },
	[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	[6] = { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	[7] = { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
	[8] = { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	[9] = { 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	[10] = { 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	[11] = { 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

/*
 * Fill len bytes of padding with one instruction: a NOP up to 11 bytes,
 * else a short jmp over int3s (never executed), as Linux's add_nops does
 * for long gaps.  One padding instruction per site, whatever its room.
 */
#define PV_JMP8_LEN 2
#define PV_INT3 0xcc

void pv_nop_fill(uint8_t *p, unsigned int len)
{
	if (len > PV_NOP_MAX) {
		p[0] = 0xeb;
		p[1] = (uint8_t)(len - PV_JMP8_LEN);
		for (unsigned int i = PV_JMP8_LEN; i < len; i++)
			p[i] = PV_INT3;
		return;
	}
	for (unsigned int i = 0; i < len; i++)
		p[i] = nops[len][i];
}

unsigned int pv_nop_count(unsigned int len)
{
	return len ? 1 : 0;
}

/* How many leading bytes of p[0..len) are padding as pv_nop_fill writes it. */
unsigned int pv_pad_len(const uint8_t *p, unsigned int len)
{
	uint8_t fill[PV_SITE_MAX_LEN];

	if (len > PV_SITE_MAX_LEN)
		len = PV_SITE_MAX_LEN;
	for (unsigned int k = len; k > 0; k--) {
		pv_nop_fill(fill, k);
		if (!memcmp_bytes(p, fill, k))
			return k;
	}
	return 0;
}

/* call rel32 (e8): false if the target is out of the +-2 GiB reach. */
bool pv_encode_call(uint8_t *p, uint64_t from, uint64_t to)
{
	int64_t rel = (int64_t)(to - (from + PV_CALL_REL32_LEN));

	if (rel < INT32_MIN || rel > INT32_MAX)
		return false;
	p[0] = 0xe8;
	for (int i = 0; i < 4; i++)
		p[1 + i] = (uint8_t)((uint64_t)rel >> (8 * i));
	return true;
}

/*
 * A direct call that fills a site of len bytes and ends where it ends.  A
 * 6-byte site gets one redundant CS prefix (2e), which 64-bit mode ignores,
 * so the call stays a single instruction, as cheap as the indirect call it
 * replaces; Linux pads its retpoline calls the same way.  Longer sites (up
 * to 3 spare bytes) get more prefixes; beyond that, padding before the call.
 */
#define PV_CALL_MAX_PREFIXES 3

bool pv_encode_site_call(uint8_t *p, uint64_t from, uint64_t to, unsigned int len)
{
	unsigned int prefixes = len - PV_CALL_REL32_LEN;

	if (len < PV_CALL_REL32_LEN)
		return false;
	if (prefixes > PV_CALL_MAX_PREFIXES) {
		if (!pv_encode_call(p + prefixes, from + prefixes, to))
			return false;
		pv_nop_fill(p, prefixes);
		return true;
	}
	if (!pv_encode_call(p + prefixes, from + prefixes, to))
		return false;
	for (unsigned int i = 0; i < prefixes; i++)
		p[i] = 0x2e;
	return true;
}

/* call *slot(%rip) (ff 15): what every site holds before patching. */
void pv_encode_indirect(uint8_t *p, uint64_t site, uint64_t slot_addr)
{
	uint32_t rel = (uint32_t)(slot_addr - (site + PV_SITE_CALL_LEN));

	p[0] = 0xff;
	p[1] = 0x15;
	for (int i = 0; i < 4; i++)
		p[2 + i] = (uint8_t)(rel >> (8 * i));
}

/* The registers a direct call to an op of this convention may change. */
unsigned int pv_conv_clobbers(enum pv_conv conv)
{
	return conv == PV_CONV_CALLEE ? PV_CLB_CALLEE : PV_CLB_C_ABI;
}

/* Checks that need only the entry itself; NULL when it is sound. */
const char *pv_check_entry(const struct pv_site *s, const struct pv_check_ctx *c)
{
	if (s->addr < c->text_start || s->addr >= c->text_end ||
	    s->len > c->text_end - s->addr)
		return "address outside kernel text";
	if (s->len < PV_SITE_CALL_LEN)
		return "shorter than the indirect call it must hold";
	if (s->len > PV_SITE_MAX_LEN)
		return "longer than any op's room";
	if (s->op >= c->nr_ops || c->conv_of(s->op) == PV_CONV_NONE)
		return "unknown op";
	if (s->clobbers & ~PV_CLB_C_ABI)
		return "clobber mask names a callee-saved register";
	if ((pv_conv_clobbers(c->conv_of(s->op)) & ~s->clobbers) != 0)
		return "site does not allow the clobbers its op's convention needs";
	return NULL;
}

/* The site must hold its padding, then the indirect call through its own slot. */
const char *pv_check_bytes(const struct pv_site *s, const uint8_t *bytes,
			   const struct pv_check_ctx *c)
{
	uint8_t want[PV_SITE_MAX_LEN];
	unsigned int pad = s->len - PV_SITE_CALL_LEN;

	pv_unpatched(s, c, want);
	if (memcmp_bytes(bytes + pad, want + pad, PV_SITE_CALL_LEN))
		return "bytes are not the indirect call through its slot";
	if (memcmp_bytes(bytes, want, pad))
		return "the padding before its call is not the padding pvos writes";
	return NULL;
}

/* Where a template's closing `call rel32` (PV_INSN_CALLS) goes: absolute. */
uint64_t pv_insn_call_target(const struct pv_insn *insn)
{
	const uint8_t *r = insn->end - 4;
	int32_t rel = (int32_t)((uint32_t)r[0] | (uint32_t)r[1] << 8 |
				(uint32_t)r[2] << 16 | (uint32_t)r[3] << 24);

	return (uint64_t)(uintptr_t)insn->end + (uint64_t)(int64_t)rel;
}

/*
 * Padding first, then the code, so that it ends where the site ends (a call
 * out returns to the site's end).  A closing call is re-aimed from the
 * site; false if its target is out of reach from there.
 */
static bool plan_inline(const struct pv_site *s, const struct pv_insn *insn,
			uint64_t (*call_target)(const struct pv_insn *), struct pv_plan *plan)
{
	unsigned int n = (unsigned int)(insn->end - insn->code), pad = s->len - n;

	pv_nop_fill(plan->bytes, pad);
	for (unsigned int i = 0; i < n; i++)
		plan->bytes[pad + i] = insn->code[i];
	if (insn->calls && !pv_encode_call(plan->bytes + s->len - PV_CALL_REL32_LEN,
					   s->addr + s->len - PV_CALL_REL32_LEN,
					   call_target(insn)))
		return false;
	plan->how = PV_INLINE;
	plan->why = NULL;
	return true;
}

/* Code that fits the site, changes only what it may, and can be re-aimed. */
static bool pv_insn_fits(const struct pv_insn *insn, const struct pv_site *s)
{
	unsigned int n;

	if (insn->end < insn->code)
		return false;
	n = (unsigned int)(insn->end - insn->code);
	return n <= s->len && (insn->clobbers & ~s->clobbers) == 0 &&
	       (!insn->calls || (n >= PV_CALL_REL32_LEN && insn->end[-5] == 0xe8));
}

/*
 * Decide a checked site's new bytes: the inline code if the backend has one
 * that fits and clobbers only what the site allows, else a direct call to
 * the slot's target, else leave the indirect call.
 */
static void plan_site(const struct pv_site *s, enum pv_conv conv, uint64_t target,
		      const struct pv_insn *insn,
		      uint64_t (*call_target)(const struct pv_insn *), struct pv_plan *plan)
{
	if (insn && pv_insn_fits(insn, s) && plan_inline(s, insn, call_target, plan))
		return;
	if (pv_conv_clobbers(conv) & ~s->clobbers) {
		plan->how = PV_REFUSED;
		plan->why = "site does not allow the clobbers a call needs";
		return;
	}
	if (!pv_encode_site_call(plan->bytes, s->addr, target, s->len)) {
		plan->how = PV_LEFT;
		plan->why = "target beyond the reach of call rel32";
		return;
	}
	plan->how = PV_DIRECT;
	plan->why = NULL;
}

void pv_plan_site(const struct pv_site *s, enum pv_conv conv, uint64_t target,
		  const struct pv_insn *insn, struct pv_plan *plan)
{
	plan_site(s, conv, target, insn, pv_insn_call_target, plan);
}

/* A site's unpatched form: padding, then the indirect call through its slot. */
void pv_unpatched(const struct pv_site *s, const struct pv_check_ctx *c, uint8_t *out)
{
	unsigned int pad = s->len - PV_SITE_CALL_LEN;

	pv_nop_fill(out, pad);
	pv_encode_indirect(out + pad, s->addr + pad, c->table + 8ULL * s->op);
}

/*
 * The one plan of a checked site, used by the patcher, its self-tests and
 * tools: what the site holds once patched for a table whose slots hold
 * `slots` (pv_ops now, or as an earlier pass saw it).  A site left
 * indirect keeps its unpatched bytes.
 */
void pv_plan(const struct pv_site *s, const struct pv_check_ctx *c, const uint64_t *slots,
	     struct pv_plan *plan)
{
	uint64_t target = slots[s->op];

	plan_site(s, c->conv_of(s->op), target, c->find_insn(s->op, target),
		  c->insn_call_target ? c->insn_call_target : pv_insn_call_target, plan);
	if (plan->how == PV_LEFT)
		pv_unpatched(s, c, plan->bytes);
}

const char *pv_outcome_name(enum pv_outcome o)
{
	static const char *const names[] = {
		[PV_NOT_YET] = "not yet patched", [PV_INLINE] = "inline",
		[PV_DIRECT] = "direct", [PV_LEFT] = "left indirect",
		[PV_REFUSED] = "refused",
	};

	return o <= PV_REFUSED ? names[o] : "?";
}
