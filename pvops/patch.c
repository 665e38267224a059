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

/*
 * The recommended multi-byte NOPs (0f 1f /0 is "nopl"), one instruction
 * each.  Lengths 10 and 11 add 0x66 prefixes, which every x86-64 CPU decodes
 * in one go.
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
	[10] = { 0x66, 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	[11] = { 0x66, 0x66, 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

/* Fill len bytes with the fewest NOP instructions: longest first. */
void pv_nop_fill(uint8_t *p, unsigned int len)
{
	while (len) {
		unsigned int n = len > PV_NOP_MAX ? PV_NOP_MAX : len;

		for (unsigned int i = 0; i < n; i++)
			p[i] = nops[n][i];
		p += n;
		len -= n;
	}
}

unsigned int pv_nop_count(unsigned int len)
{
	return (len + PV_NOP_MAX - 1) / PV_NOP_MAX;
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
 * A direct call that fills a site of len bytes.  A 6-byte site gets one
 * redundant CS prefix (2e), which 64-bit mode ignores, so the call stays a
 * single instruction, as cheap as the indirect call it replaces; Linux pads
 * its retpoline calls the same way.  Longer sites (up to 3 spare bytes) get
 * more prefixes; beyond that, NOPs after the call.
 */
#define PV_CALL_MAX_PREFIXES 3

bool pv_encode_site_call(uint8_t *p, uint64_t from, uint64_t to, unsigned int len)
{
	unsigned int prefixes = len - PV_CALL_REL32_LEN;

	if (len < PV_CALL_REL32_LEN)
		return false;
	if (prefixes > PV_CALL_MAX_PREFIXES) {
		if (!pv_encode_call(p, from, to))
			return false;
		pv_nop_fill(p + PV_CALL_REL32_LEN, prefixes);
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
		return "longer than any instruction";
	if (s->op >= c->nr_ops || c->conv_of(s->op) == PV_CONV_NONE)
		return "unknown op";
	if (s->clobbers & ~PV_CLB_C_ABI)
		return "clobber mask names a callee-saved register";
	if ((pv_conv_clobbers(c->conv_of(s->op)) & ~s->clobbers) != 0)
		return "site does not allow the clobbers its op's convention needs";
	return NULL;
}

/* The site must hold the indirect call through its own slot. */
const char *pv_check_bytes(const struct pv_site *s, const uint8_t *bytes,
			   const struct pv_check_ctx *c)
{
	uint8_t want[PV_SITE_CALL_LEN];

	pv_encode_indirect(want, s->addr, c->table + (uint64_t)s->op * 8);
	for (int i = 0; i < PV_SITE_CALL_LEN; i++)
		if (bytes[i] != want[i])
			return "bytes are not the indirect call through its slot";
	return NULL;
}

static void plan_inline(const struct pv_site *s, const struct pv_insn *insn,
			struct pv_plan *plan)
{
	unsigned int n = (unsigned int)(insn->end - insn->code);

	for (unsigned int i = 0; i < n; i++)
		plan->bytes[i] = insn->code[i];
	pv_nop_fill(plan->bytes + n, s->len - n);
	plan->how = PV_INLINE;
	plan->why = NULL;
}

/*
 * Decide a checked site's new bytes: the inline code if the backend has one
 * that fits and clobbers only what the site allows, else a direct call to
 * the slot's target, else leave the indirect call.
 */
void pv_plan_site(const struct pv_site *s, enum pv_conv conv, uint64_t target,
		  const struct pv_insn *insn, struct pv_plan *plan)
{
	if (insn && insn->end >= insn->code &&
	    (unsigned int)(insn->end - insn->code) <= s->len &&
	    (insn->clobbers & ~s->clobbers) == 0) {
		plan_inline(s, insn, plan);
		return;
	}
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

/* A site's unpatched form: the indirect call through its slot, NOPs after it. */
void pv_unpatched(const struct pv_site *s, const struct pv_check_ctx *c, uint8_t *out)
{
	pv_encode_indirect(out, s->addr, c->table + 8ULL * s->op);
	pv_nop_fill(out + PV_SITE_CALL_LEN, s->len - PV_SITE_CALL_LEN);
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

	pv_plan_site(s, c->conv_of(s->op), target, c->find_insn(s->op, target), plan);
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
