/*
 * The patcher: walks every recorded site once the backend is installed and
 * rewrites it (pvops/patch.c decides how, arch/x86's text_poke writes).
 * Runs with no other CPU running; the site being rewritten is never the one
 * executing, and each write is done with interrupts off, so each is safe on
 * its own.
 *
 * What it did with each site is kept beside the sites, one byte each
 * (pv_outcome_of): the site records themselves never change after the
 * build, as Linux's .parainstructions never do.
 *
 * After the sites, the same pass retargets the link-time call sites
 * (pvops/calls.c): plain calls of the C ops' trampolines, found at link
 * time; they get their own count line.
 *
 * It can run again (pvops_repatch): after a backend change, or to undo the
 * patching.  It then expects every site to hold exactly what the last pass
 * wrote, which it recomputes from the table as it was then (last_table), so
 * it needs no copy of any site.
 */
#include "pvops/select.h"
#include "pvops/patcher.h"
#include "pvops/backend.h"
#include "kernel/options.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/console.h"
#include "arch/x86/mm.h"
#include "arch/x86/traps.h"
#include "kernel/smp.h"
#include "arch/x86/ksyms.h"

struct pv_patch_stats pv_stats;
static uint64_t last_table[PV_NR_OPS];	/* pv_ops as the last pass saw it */

static int opt_verbose, opt_pause, opt_corrupt;
CMDLINE_FLAG(opt_pvops_verbose, "pvops.verbose", &opt_verbose,
	       "print each site as it is patched");
CMDLINE_FLAG(opt_pvops_pause, "pvops.pause", &opt_pause,
	       "wait for a key after patching");
CMDLINE_FLAG(opt_pvops_corrupt, "pvops.corrupt", &opt_corrupt,
	       "test: corrupt 3 site and 3 link-time call entries");

bool pvops_corrupted(void)
{
	return opt_corrupt;
}

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
const struct pv_insn *pv_find_insn(unsigned int op, uint64_t target)
{
	for (const struct pv_insn *i = __start_pv_insns; i < __stop_pv_insns; i++)
		if (i->op == op && (uint64_t)i->equiv == target)
			return i;
	return NULL;
}

/* The running kernel, as the patch engine sees it. */
void pv_kernel_ctx(struct pv_check_ctx *c)
{
	*c = (struct pv_check_ctx){
		.text_start = (uint64_t)_stext, .text_end = (uint64_t)_etext,
		.table = (uint64_t)&pv_ops, .nr_ops = PV_NR_OPS, .conv_of = pv_conv_of,
		.find_insn = pv_find_insn,
	};
}

enum pv_outcome pv_outcome_of(const struct pv_site *s)
{
	return (enum pv_outcome)__start_pv_outcomes[s - __start_pv_sites];
}

void pv_set_outcome(const struct pv_site *s, enum pv_outcome how)
{
	__start_pv_outcomes[s - __start_pv_sites] = (uint8_t)how;
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

static void count(const struct pv_site *s, enum pv_outcome how)
{
	pv_set_outcome(s, how);
	pv_stats.inlined += how == PV_INLINE;
	pv_stats.direct += how == PV_DIRECT;
	pv_stats.left += how == PV_LEFT;
	pv_stats.refused += how == PV_REFUSED;
}

/* What the site should hold now; NULL if it does. */
static const char *check_current(const struct pv_site *s, const struct pv_check_ctx *ctx,
				 const uint8_t *now)
{
	enum pv_outcome last = pv_outcome_of(s);
	struct pv_plan want;

	if (last == PV_NOT_YET)
		return pv_check_bytes(s, now, ctx);
	if (last == PV_INLINE || last == PV_DIRECT)
		pv_plan(s, ctx, last_table, &want);
	else
		pv_unpatched(s, ctx, want.bytes);
	return memcmp(now, want.bytes, s->len) ? "bytes changed since the last patch pass" : NULL;
}

static void refuse(const struct pv_site *s, const char *why)
{
	printk("pvops: refused site entry #%ld (addr %lx, op %u, len %u): %s\n",
	       (long)(s - __start_pv_sites), (unsigned long)s->addr, s->op, s->len, why);
	count(s, PV_REFUSED);
}

/* The plan for this pass: patched, or (patch == false) the indirect call back. */
static void plan_one(const struct pv_site *s, bool patch, const struct pv_check_ctx *ctx,
		     struct pv_plan *plan)
{
	if (!patch) {
		pv_unpatched(s, ctx, plan->bytes);
		plan->how = PV_LEFT;
		plan->why = NULL;
		return;
	}
	pv_plan(s, ctx, (const uint64_t *)&pv_ops, plan);
	if (plan->how == PV_LEFT || plan->how == PV_REFUSED)
		printk("pvops: site %lx %s %s: %s\n", (unsigned long)s->addr,
		       pv_op_info[s->op].name, pv_outcome_name(plan->how), plan->why);
}

static void patch_one(const struct pv_site *s, bool patch, const struct pv_check_ctx *ctx)
{
	const char *bad = pv_outcome_of(s) == PV_REFUSED ? "" : pv_check_entry(s, ctx);
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
	if (opt_verbose && patch)
		print_site(s, now, plan.how == PV_REFUSED ? now : plan.bytes,
			   pv_outcome_name(plan.how));
	count(s, plan.how);
}

/*
 * Test only (pvops.corrupt): damage three entries the way a bad build
 * might.  The one place a site record is ever written.
 */
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
	struct pv_check_ctx ctx;
	unsigned long flags;

	pv_kernel_ctx(&ctx);
	local_irq_save(flags);
	pv_stats.inlined = pv_stats.direct = pv_stats.left = pv_stats.refused = 0;
	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++)
		patch_one(s, patch, &ctx);
	pv_calls_pass(patch, last_table);	/* link-time call sites: pvops/calls.c */
	text_poke_done();
	memcpy(last_table, &pv_ops, sizeof(last_table));
	pv_stats.sites = (unsigned int)(__stop_pv_sites - __start_pv_sites);
	local_irq_restore(flags);
}

/*
 * May a CPU that stop_machine interrupted at f wait there while the sites
 * change?  Not inside a site's code: that code may become other
 * instructions, and the CPU would resume in the middle of one.  But if all
 * it has run of the site is the padding, it may start the site again from
 * its first byte, which the padding makes no different.  (At a site's end
 * it is out of it: a CPU woken from the hlt of an inline "sti; hlt", or
 * back from a call, which always ends a site.)
 */
static bool stop_point_ok(struct trap_frame *f)
{
	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++) {
		uint64_t end = s->addr + s->len;

		if (f->rip <= s->addr || f->rip >= end)
			continue;
		if (f->rip - s->addr != pv_pad_len((const uint8_t *)s->addr, s->len))
			return false;
		f->rip = s->addr;
		return true;
	}
	return true;
}

struct repatch {
	const struct pv_ops *table;	/* install first, or NULL */
	bool patch;
};

static void repatch_stopped(void *arg)
{
	const struct repatch *r = arg;

	if (r->table)
		pv_ops = *r->table;
	patch_pass(r->patch);
}

/*
 * Again, later: to the table as it is now (patch), or back to indirect
 * calls.  With other CPUs running, they wait in stop_machine, out of every
 * site, while the sites change, and serialize before they go on.
 */
void pvops_repatch(bool patch)
{
	pvops_repatch_table(NULL, patch);
}

/*
 * The same, with another table installed first, in the same stop: no CPU
 * runs a site between the table's change and the sites'.  With interrupts
 * off on this CPU too, so that no interrupt handler runs an op halfway.
 */
void pvops_repatch_table(const struct pv_ops *table, bool patch)
{
	struct repatch r = { .table = table, .patch = patch };
	unsigned long flags;

	if (nr_cpus_online > 1) {
		stop_machine(repatch_stopped, &r, stop_point_ok);
		return;
	}
	local_irq_save(flags);
	repatch_stopped(&r);
	local_irq_restore(flags);
}

/* What boot prints after patching; the monitor's `patch` prints it again. */
void pvops_print_counts(void)
{
	printk("pvops: %u sites: %u inline, %u direct, %u left indirect, %u refused\n",
	       pv_stats.sites, pv_stats.inlined, pv_stats.direct, pv_stats.left, pv_stats.refused);
	printk("pvops: %u link-time calls: %u direct, %u nop, %u left indirect, %u refused\n",
	       pv_call_stats.calls, pv_call_stats.direct, pv_call_stats.nop, pv_call_stats.left,
	       pv_call_stats.refused);
}

void pvops_patch_all(bool patch)
{
	uint64_t t0;

	if (opt_corrupt) {
		corrupt_entries();
		pv_calls_corrupt();
	}
	t0 = native_rdtsc();
	patch_pass(patch);
	pv_stats.tsc = native_rdtsc() - t0;
	pvops_print_counts();
	if (opt_pause) {
		printk("pvops: paused after patching; press a key on the console to go on\n");
		console_getc_wait();
	}
}
