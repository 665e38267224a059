/*
 * The patcher: walks every recorded site once the backend is installed and
 * rewrites it (pvops/patch.c decides how, arch/x86's text_poke writes).
 * Runs with interrupts off and no other CPU running; the site being
 * rewritten is never the one executing, so each write is safe on its own.
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

static void patch_one(struct pv_site *s, bool patch, const struct pv_check_ctx *ctx)
{
	const char *bad = pv_check_entry(s, ctx);
	uint8_t before[PV_SITE_MAX_LEN];
	struct pv_plan plan;
	uint64_t target;

	if (!bad) {
		memcpy(before, (const void *)s->addr, s->len);
		bad = pv_check_bytes(s, before, ctx);
	}
	if (bad) {
		printk("pvops: refused site entry #%ld (addr %lx, op %u, len %u): %s\n",
		       (long)(s - __start_pv_sites), (unsigned long)s->addr, s->op, s->len, bad);
		count(s, PV_REFUSED);
		return;
	}
	if (!patch) {
		count(s, PV_LEFT);
		return;
	}
	target = pv_slot_value(s->op);
	pv_plan_site(s, pv_conv_of(s->op), target, pv_find_insn(s->op, (const void *)target), &plan);
	if (plan.how == PV_INLINE || plan.how == PV_DIRECT)
		text_poke((void *)s->addr, plan.bytes, s->len);
	else
		printk("pvops: site %lx %s %s: %s\n", (unsigned long)s->addr,
		       pv_op_info[s->op].name, pv_outcome_name(plan.how), plan.why);
	if (opt.pvops_verbose)
		print_site(s, before, plan.how <= PV_DIRECT ? plan.bytes : before,
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

void pvops_patch_all(bool patch)
{
	struct pv_check_ctx ctx = {
		.text_start = (uint64_t)_stext, .text_end = (uint64_t)_etext,
		.table = (uint64_t)&pv_ops, .nr_ops = PV_NR_OPS, .conv_of = pv_conv_of,
	};

	uint64_t t0;

	if (opt.pvops_corrupt)
		corrupt_entries();
	t0 = native_rdtsc();
	for (struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++)
		patch_one(s, patch, &ctx);
	text_poke_done();
	pv_stats.tsc = native_rdtsc() - t0;
	pv_stats.sites = (unsigned int)(__stop_pv_sites - __start_pv_sites);
	printk("pvops: %u sites: %u inline, %u direct, %u left indirect, %u refused\n",
	       pv_stats.sites, pv_stats.inlined, pv_stats.direct, pv_stats.left, pv_stats.refused);
	if (opt.pvops_pause) {
		printk("pvops: paused after patching; press a key on the console to go on\n");
		console_getc_wait();
	}
}
