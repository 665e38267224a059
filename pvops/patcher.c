/*
 * The patcher: walks every recorded site once the backend is installed and
 * rewrites it (pvops/patch.c decides how, arch/x86's text_poke writes).
 * Runs with no other CPU running; the site being rewritten is never the one
 * executing, and each write is done with interrupts off, so each is safe on
 * its own.
 *
 * It can run again (pvops_repatch): after a backend change, or to undo the
 * patching.  It then expects every site to hold exactly what the last pass
 * wrote, which it recomputes from the table as it was then (last_table), so
 * it needs no copy of any site.
 */
#include "pvops/pvops_init.h"
#include "pvops/backend.h"
#include "kernel/options.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/console.h"
#include "arch/x86/mm.h"
#include "arch/x86/traps.h"

extern const struct pv_insn __start_pv_insns[], __stop_pv_insns[];

struct pv_patch_stats pv_stats;
static uint64_t last_table[PV_NR_OPS];	/* pv_ops as the last pass saw it */

enum pv_conv pv_conv_of(unsigned int op)
{
	const struct pv_op_info *i = pv_op_lookup(op);

	return i ? i->conv : PV_CONV_NONE;
}

uint64_t pv_slot_value(unsigned int op)
{
	return ((const uint64_t *)&pv_ops)[op];
}

/* The inline template standing for `target` as op `op`, if a backend has one. */
const struct pv_insn *pv_find_insn(unsigned int op, const void *target)
{
	for (const struct pv_insn *i = __start_pv_insns; i < __stop_pv_insns; i++)
		if (i->op == op && i->equiv == target)
			return i;
	return NULL;
}

static void print_site(const struct pv_site *s, const uint8_t *before, const uint8_t *after,
		       const char *how)
{
	printk("pvops: site %lx ", (unsigned long)s->addr);
	print_symbol(s->addr);
	printk(" %s: ", pv_op_info[s->op].name);
	print_hex_bytes(before, s->len);
	printk(" -> ");
	print_hex_bytes(after, s->len);
	printk(" (%s)\n", how);
}

static void count(struct pv_site *s, enum pv_outcome how)
{
	s->flags = (uint8_t)how;
	pv_stats.inlined += how == PV_INLINE;
	pv_stats.direct += how == PV_DIRECT;
	pv_stats.left += how == PV_LEFT;
	pv_stats.refused += how == PV_REFUSED;
}

/* The unpatched form of a site: the indirect call, NOPs after it. */
static void indirect_bytes(const struct pv_site *s, const struct pv_check_ctx *ctx, uint8_t *out)
{
	pv_encode_indirect(out, s->addr, ctx->table + 8ULL * s->op);
	pv_nop_fill(out + PV_SITE_CALL_LEN, s->len - PV_SITE_CALL_LEN);
}

/* What the site should hold now; NULL if it does. */
static const char *check_current(const struct pv_site *s, const struct pv_check_ctx *ctx,
				 const uint8_t *now)
{
	uint8_t want[PV_SITE_MAX_LEN];
	struct pv_plan last;

	if (s->flags == PV_NOT_YET)
		return pv_check_bytes(s, now, ctx);
	if (s->flags == PV_INLINE || s->flags == PV_DIRECT) {
		pv_plan_site(s, pv_conv_of(s->op), last_table[s->op],
			     pv_find_insn(s->op, (const void *)last_table[s->op]), &last);
		memcpy(want, last.bytes, s->len);
	} else {
		indirect_bytes(s, ctx, want);
	}
	return memcmp(now, want, s->len) ? "bytes changed since the last patch pass" : NULL;
}

static void refuse(struct pv_site *s, const char *why)
{
	printk("pvops: refused site entry #%ld (addr %lx, op %u, len %u): %s\n",
	       (long)(s - __start_pv_sites), (unsigned long)s->addr, s->op, s->len, why);
	count(s, PV_REFUSED);
}

/* The plan for this pass: patched, or (patch == false) the indirect call back. */
static void plan_one(const struct pv_site *s, bool patch, const struct pv_check_ctx *ctx,
		     struct pv_plan *plan)
{
	uint64_t target = pv_slot_value(s->op);

	if (!patch) {
		indirect_bytes(s, ctx, plan->bytes);
		plan->how = PV_LEFT;
		plan->why = NULL;
		return;
	}
	pv_plan_site(s, pv_conv_of(s->op), target, pv_find_insn(s->op, (const void *)target), plan);
	if (plan->how == PV_LEFT || plan->how == PV_REFUSED)
		printk("pvops: site %lx %s %s: %s\n", (unsigned long)s->addr,
		       pv_op_info[s->op].name, pv_outcome_name(plan->how), plan->why);
	if (plan->how == PV_LEFT)
		indirect_bytes(s, ctx, plan->bytes);
}

static void patch_one(struct pv_site *s, bool patch, const struct pv_check_ctx *ctx)
{
	const char *bad = s->flags == PV_REFUSED ? "" : pv_check_entry(s, ctx);
	uint8_t now[PV_SITE_MAX_LEN];
	struct pv_plan plan;

	if (!bad) {
		memcpy(now, (const void *)s->addr, s->len);
		bad = check_current(s, ctx, now);
	}
	if (bad) {
		if (*bad)		/* once refused, refused for good: said once */
			refuse(s, bad);
		else
			count(s, PV_REFUSED);
		return;
	}
	plan_one(s, patch, ctx, &plan);
	if (plan.how != PV_REFUSED && memcmp(now, plan.bytes, s->len))
		text_poke((void *)s->addr, plan.bytes, s->len);
	if (opt.pvops_verbose && patch)
		print_site(s, now, plan.how == PV_REFUSED ? now : plan.bytes,
			   pv_outcome_name(plan.how));
	count(s, plan.how);
}

/* Test only (pvops.corrupt): damage three entries the way a bad build might. */
static void corrupt_entries(void)
{
	long n = __stop_pv_sites - __start_pv_sites;

	if (n < 3)
		return;
	__start_pv_sites[n / 4].addr = (uint64_t)&pv_ops;	/* outside text */
	__start_pv_sites[n / 2].len = 2;			/* too short */
	__start_pv_sites[3 * n / 4].op = 999;			/* unknown op */
	printk("pvops: test: corrupted site entries #%ld (address), #%ld (length), #%ld (op)\n",
	       n / 4, n / 2, 3 * n / 4);
}

/* One pass over every site, with interrupts off throughout. */
static void patch_pass(bool patch)
{
	struct pv_check_ctx ctx = {
		.text_start = (uint64_t)_stext, .text_end = (uint64_t)_etext,
		.table = (uint64_t)&pv_ops, .nr_ops = PV_NR_OPS, .conv_of = pv_conv_of,
	};
	unsigned long flags;

	local_irq_save(flags);
	pv_stats.inlined = pv_stats.direct = pv_stats.left = pv_stats.refused = 0;
	for (struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++)
		patch_one(s, patch, &ctx);
	text_poke_done();
	memcpy(last_table, &pv_ops, sizeof(last_table));
	pv_stats.sites = (unsigned int)(__stop_pv_sites - __start_pv_sites);
	local_irq_restore(flags);
}

/* Again, later: to the table as it is now (patch), or back to indirect calls. */
void pvops_repatch(bool patch)
{
	patch_pass(patch);
}

void pvops_patch_all(bool patch)
{
	uint64_t t0;

	if (opt.pvops_corrupt)
		corrupt_entries();
	t0 = native_rdtsc();
	patch_pass(patch);
	pv_stats.tsc = native_rdtsc() - t0;
	printk("pvops: %u sites: %u inline, %u direct, %u left indirect, %u refused\n",
	       pv_stats.sites, pv_stats.inlined, pv_stats.direct, pv_stats.left, pv_stats.refused);
	if (opt.pvops_pause) {
		printk("pvops: paused after patching; press a key on the console to go on\n");
		console_getc_wait();
	}
}
