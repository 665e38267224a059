/*
 * Self-tests of the patching itself: after boot, every recorded site must
 * hold exactly what the patcher says it wrote, and the boot line's counts
 * must add up.  The strongest check is the scan: no site may still hold its
 * original indirect call unless it was counted as left or refused.  Then
 * the patcher's promises: it runs again, and a re-patch refuses a site
 * changed behind its back; and the op table's promise: the native table,
 * functions and templates made from PV_OP_LIST agree.  (The registers each
 * op keeps are selftests_regs.c's.)
 */
#include "kernel/selftest.h"
#include "kernel/options.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/vsprintf.h"
#include "pvops/select.h"
#include "pvops/patcher.h"
#include "pvops/backend.h"
#include "kernel/smp.h"
#include "arch/x86/apic.h"
#include "arch/x86/mm.h"
#include "arch/x86/traps.h"
#include "arch/x86/ksyms.h"

#define TEST_VA FIXMAP_TEST

static bool holds_indirect_call(const struct pv_site *s)
{
	struct pv_check_ctx c;
	uint8_t want[PV_SITE_MAX_LEN];

	pv_kernel_ctx(&c);
	pv_unpatched(s, &c, want);
	return !memcmp((const void *)s->addr, want, s->len);
}

/* What the patcher should have written, recomputed from today's table. */
static bool holds_planned_bytes(const struct pv_site *s)
{
	struct pv_check_ctx c;
	struct pv_plan plan;

	pv_kernel_ctx(&c);
	pv_plan(s, &c, (const uint64_t *)&pv_ops, &plan);
	return plan.how == pv_outcome_of(s) && !memcmp((const void *)s->addr, plan.bytes, s->len);
}

SELFTEST(test_site_scan, "every site holds what the patcher reports")
{
	struct pv_patch_stats seen = { 0 };

	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++) {
		long i = s - __start_pv_sites;

		seen.inlined += pv_outcome_of(s) == PV_INLINE;
		seen.direct += pv_outcome_of(s) == PV_DIRECT;
		seen.left += pv_outcome_of(s) == PV_LEFT;
		seen.refused += pv_outcome_of(s) == PV_REFUSED;
		if (pv_outcome_of(s) == PV_INLINE || pv_outcome_of(s) == PV_DIRECT) {
			st_check(t, !holds_indirect_call(s), "site #%ld (%lx) still indirect", i,
				 (unsigned long)s->addr);
			st_check(t, holds_planned_bytes(s), "site #%ld (%lx) holds other bytes", i,
				 (unsigned long)s->addr);
		} else if (pv_outcome_of(s) == PV_LEFT) {
			st_check(t, holds_indirect_call(s), "left site #%ld (%lx) was changed", i,
				 (unsigned long)s->addr);
		} else if (pv_outcome_of(s) != PV_REFUSED) {
			st_fail(t, __LINE__, "site #%ld was never looked at", i);
		}
	}
	st_check(t, seen.inlined == pv_stats.inlined && seen.direct == pv_stats.direct &&
		     seen.left == pv_stats.left && seen.refused == pv_stats.refused,
		 "site outcomes (%u/%u/%u/%u) disagree with the boot counts",
		 seen.inlined, seen.direct, seen.left, seen.refused);
}

SELFTEST(test_site_counts, "boot counts add up and match the mode")
{
	struct pv_patch_stats *c = &pv_stats;

	st_check(t, c->sites == (unsigned int)(__stop_pv_sites - __start_pv_sites), "site total");
	st_check(t, c->inlined + c->direct + c->left + c->refused == c->sites,
		 "%u + %u + %u + %u != %u", c->inlined, c->direct, c->left, c->refused, c->sites);
	if (!pvops_patching())
		st_check(t, c->inlined + c->direct == 0, "pvops=off patched %u sites",
			 c->inlined + c->direct);
	else if (!pvops_corrupted())
		st_check(t, c->left + c->refused == 0, "%u left, %u refused", c->left, c->refused);
	else
		st_check(t, c->refused == 3, "%u refused, want the 3 corrupted", c->refused);
}

/* Every site the way the counts say: used after a repatch. */
static bool sites_agree(struct st_ctx *t, const char *when)
{
	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++) {
		bool ok = pv_outcome_of(s) == PV_REFUSED ||
			  (pv_outcome_of(s) == PV_LEFT ? holds_indirect_call(s) : holds_planned_bytes(s));

		if (!ok) {
			st_fail(t, __LINE__, "%s: site %lx (%s) holds other bytes", when,
				(unsigned long)s->addr, pv_op_info[s->op].name);
			return false;
		}
	}
	return true;
}

SELFTEST(test_repatch, "the patcher runs again: every site back to indirect, then patched again")
{
	struct pv_patch_stats boot = pv_stats;
	bool patched = pvops_patching();

	pvops_repatch(false);
	st_check(t, pv_stats.inlined + pv_stats.direct == 0 && pv_stats.refused == boot.refused,
		 "unpatching left %u inline, %u direct", pv_stats.inlined, pv_stats.direct);
	sites_agree(t, "unpatched");
	st_check(t, read_cr3() != 0 && !irqs_disabled(), "the unpatched kernel misbehaves");
	pvops_repatch(patched);
	st_check(t, pv_stats.inlined == boot.inlined && pv_stats.direct == boot.direct &&
		     pv_stats.left == boot.left && pv_stats.refused == boot.refused,
		 "repatched counts %u/%u/%u/%u, boot had %u/%u/%u/%u", pv_stats.inlined,
		 pv_stats.direct, pv_stats.left, pv_stats.refused, boot.inlined, boot.direct,
		 boot.left, boot.refused);
	sites_agree(t, "repatched");
}

/*
 * A site of its own for test_repatch_refuses_changed: nothing but that test
 * runs it, so no patch pass executes it while its bytes are wrong.
 */
static __noinline unsigned long repatch_victim(void)
{
	return read_cr2();
}

static struct pv_site *victim_site(void)
{
	uint64_t off;

	for (struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++) {
		const char *fn = ksym_lookup(s->addr, &off);

		if (s->op == PV_OP(mmu.read_cr2) && fn && !strcmp(fn, "repatch_victim"))
			return s;
	}
	return NULL;
}

static uint8_t outcome_before[2048];	/* each site's outcome before the tampered pass */

/* Each site's outcome now; false if there are more sites than the array keeps. */
static bool remember_outcomes(void)
{
	long n = __stop_pv_sites - __start_pv_sites;

	if (n > (long)sizeof(outcome_before))
		return false;
	for (long i = 0; i < n; i++)
		outcome_before[i] = (uint8_t)pv_outcome_of(&__start_pv_sites[i]);
	return true;
}

/* After the pass over a tampered victim: it alone is refused, the rest as before. */
static void check_only_victim_refused(struct st_ctx *t, const struct pv_site *v,
				      const struct pv_patch_stats *before)
{
	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++)
		if (s != v && pv_outcome_of(s) != outcome_before[s - __start_pv_sites])
			st_fail(t, __LINE__, "site %lx (%s) went from %s to %s", (unsigned long)s->addr,
				pv_op_info[s->op].name,
				pv_outcome_name(outcome_before[s - __start_pv_sites]),
				pv_outcome_name(pv_outcome_of(s)));
	st_check(t, pv_outcome_of(v) == PV_REFUSED, "the changed site was %s, not refused",
		 pv_outcome_name(pv_outcome_of(v)));
	st_check(t, pv_stats.refused == before->refused + 1, "%u refused, want %u",
		 pv_stats.refused, before->refused + 1);
	sites_agree(t, "after the refusal");
}

/* After the victim is restored and the kernel re-patched: all as before the test. */
static void check_repatched(struct st_ctx *t, const struct pv_site *v, uint8_t outcome,
			    const struct pv_patch_stats *before)
{
	st_check(t, pv_stats.inlined == before->inlined && pv_stats.direct == before->direct &&
		     pv_stats.left == before->left && pv_stats.refused == before->refused,
		 "re-patched counts %u/%u/%u/%u, before %u/%u/%u/%u", pv_stats.inlined,
		 pv_stats.direct, pv_stats.left, pv_stats.refused, before->inlined,
		 before->direct, before->left, before->refused);
	st_check(t, pv_outcome_of(v) == outcome, "the restored site is %s, was %s",
		 pv_outcome_name(pv_outcome_of(v)), pv_outcome_name(outcome));
	sites_agree(t, "re-patched after the restore");
	st_check(t, repatch_victim() == read_cr2(), "the restored site reads another cr2");
}

/* Write the victim site through text_poke and set the outcome the patcher keeps. */
static void write_victim(const struct pv_site *v, const uint8_t *bytes, uint8_t outcome)
{
	text_poke((void *)v->addr, bytes, v->len);
	text_poke_done();
	pv_set_outcome(v, outcome);
}

/*
 * Change one site's bytes as a stray write would, re-patch: exactly that site
 * must be refused and left alone.  Then put its bytes and outcome back, so
 * that the rest of the run is unaffected, and re-patch cleanly.
 */
SELFTEST(test_repatch_refuses_changed, "a re-patch refuses the one site whose bytes changed behind it")
{
	struct pv_site *v = victim_site();
	struct pv_patch_stats before = pv_stats;
	bool patched = pvops_patching();
	uint8_t saved[PV_SITE_MAX_LEN], other[PV_SITE_MAX_LEN], outcome;

	if (!v || pv_outcome_of(v) == PV_REFUSED) {
		if (pvops_corrupted())	/* its entry may be one of the three corrupted */
			st_skip(t, "pvops.corrupt damaged or refused the victim site");
		else
			st_fail(t, __LINE__, "no usable site in repatch_victim");
		return;
	}
	outcome = pv_outcome_of(v);
	memcpy(saved, (const void *)v->addr, v->len);
	pv_nop_fill(other, v->len);	/* no pass writes this: read_cr2 is never empty */
	if (!remember_outcomes() || !memcmp(saved, other, v->len)) {
		st_fail(t, __LINE__, "too many sites to remember, or the site is all NOPs");
		return;
	}
	printk("selftest: site %lx (%s) changed behind the patcher's back: it must refuse it\n",
	       (unsigned long)v->addr, pv_op_info[v->op].name);
	write_victim(v, other, outcome);
	pvops_repatch(patched);
	check_only_victim_refused(t, v, &before);
	st_check(t, !memcmp((const void *)v->addr, other, v->len), "the refused site was rewritten");
	write_victim(v, saved, outcome);
	pvops_repatch(patched);
	check_repatched(t, v, outcome, &before);
}


/*
 * The op table is written once, in PV_OP_LIST, and made into four things:
 * the names (pv_ops.c), the native table (table.c), and for an ASM row the
 * native function and its inline template (backends/native).  They must
 * agree, or adding an op would need more than its row.
 */
static void check_asm_row(struct st_ctx *t, unsigned int op, const char *name,
			  const uint8_t *fn, unsigned int clobbers)
{
	const struct pv_insn *i = pv_find_insn(op, (uint64_t)fn);
	size_t n;

	st_check(t, pv_op_info[op].name && !strcmp(pv_op_info[op].name, name),
		 "op %u is named %s, not %s", op, pv_op_info[op].name, name);
	st_check(t, ((const uint64_t *)&pv_native_ops)[op] == (uint64_t)fn,
		 "%s: the native table does not hold pv_native_ of it", name);
	if (!i) {
		st_fail(t, __LINE__, "%s: no native template stands for its function", name);
		return;
	}
	n = (size_t)(i->end - i->code);
	st_check(t, (i->clobbers | (i->calls ? PV_INSN_CALLS : 0)) == clobbers,
		 "%s: template clobbers %#x, row says %#x", name, i->clobbers, clobbers);
	if (i->calls) {		/* the call's rel32 differs; where it goes may not */
		st_check(t, n >= 5 && !memcmp(fn, i->code, n - 4) && fn[n] == 0xc3 &&
			     (uint64_t)fn + n + *(const int32_t *)(fn + n - 4) ==
				     pv_insn_call_target(i),
			 "%s: the native function is not its template followed by ret", name);
		return;
	}
	st_check(t, !memcmp(fn, i->code, n) && fn[n] == 0xc3,
		 "%s: the native function is not its template followed by ret", name);
}

static void check_fn_row(struct st_ctx *t, unsigned int op, const char *name, const void *fn)
{
	st_check(t, pv_op_info[op].name && !strcmp(pv_op_info[op].name, name),
		 "op %u is named %s, not %s", op, pv_op_info[op].name, name);
	st_check(t, ((const uint64_t *)&pv_native_ops)[op] == (uint64_t)fn,
		 "%s: the native table does not hold the row's function", name);
}

#define CHECK_ASM_ROW(group, name, conv, room, clb, code) \
	check_asm_row(t, PV_OP(group.name), #group "." #name, (const uint8_t *)pv_native_##name, clb);
#define CHECK_FN_ROW(group, name, conv, room, fn) \
	check_fn_row(t, PV_OP(group.name), #group "." #name, (const void *)fn);

SELFTEST(test_op_rows, "each PV_OP_LIST row: its name, native table entry, function and template agree")
{
	PV_OP_LIST(CHECK_ASM_ROW, CHECK_FN_ROW)
}

/*
 * Rooms are honest both ways: no backend's code is longer than its op's
 * room (it would never be used), and no room is longer than the longest
 * code or the call (every site would carry bytes nobody can fill).  And
 * every site the compiler emitted is exactly its op's room.
 */
static void check_rooms(struct st_ctx *t)
{
	unsigned int longest[PV_NR_OPS] = { 0 };

	for (const struct pv_insn *i = __start_pv_insns; i < __stop_pv_insns; i++) {
		unsigned int n = (unsigned int)(i->end - i->code);

		st_check(t, n <= pv_op_info[i->op].room, "%s: a template of %u bytes, room %u",
			 pv_op_info[i->op].name, n, pv_op_info[i->op].room);
		if (n > longest[i->op])
			longest[i->op] = n;
	}
	for (unsigned int op = 0; op < PV_NR_OPS; op++) {
		unsigned int want = longest[op] > PV_SITE_CALL_LEN ? longest[op] : PV_SITE_CALL_LEN;

		if (pv_op_info[op].name)
			st_check(t, pv_op_info[op].room == want,
				 "%s: room %u, but its longest code or call is %u bytes",
				 pv_op_info[op].name, pv_op_info[op].room, want);
	}
}

SELFTEST(test_op_rooms, "every op's room fits its longest code exactly; every site is its op's room")
{
	check_rooms(t);
	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++)
		if (s->op < PV_NR_OPS && pv_op_info[s->op].name && pv_outcome_of(s) != PV_REFUSED)
			st_check(t, s->len == pv_op_info[s->op].room, "site %lx (%s): %u bytes, room %u",
				 (unsigned long)s->addr, pv_op_info[s->op].name, s->len,
				 pv_op_info[s->op].room);
}

/* ---- the live re-patch: others run patched sites all along ---- */

static volatile bool stop_looping;
static volatile uint64_t loops[MAX_CPUS];
static struct spinlock repatch_lock = SPINLOCK("repatch test");
static volatile uint64_t repatch_counter;

static void loop_through_sites(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop_looping, __ATOMIC_ACQUIRE)) {
		unsigned long f;

		local_irq_save(f);
		spin_lock(&repatch_lock);
		repatch_counter++;
		spin_unlock(&repatch_lock);
		local_irq_restore(f);
		(void)read_cr3();
		loops[smp_processor_id()]++;
	}
}

SELFTEST(test_smp_live_repatch, "smp: re-patch off and on 20 times while every other CPU runs patched sites")
{
	struct cpu_work w[MAX_CPUS];
	bool patched = pvops_patching();
	uint64_t total = 0;
	int me = smp_processor_id();

	if (nr_cpus_online < 2) {
		st_skip(t, "one CPU: boot with -smp 2 or more");
		return;
	}
	stop_looping = false;
	repatch_counter = 0;
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpu_online(cpu) && cpu != me) {
			loops[cpu] = 0;
			w[cpu] = (struct cpu_work){ .fn = loop_through_sites };
			smp_run(cpu, &w[cpu]);
		}
	for (int i = 0; i < 20; i++)
		pvops_repatch(i % 2 ? patched : false);
	pvops_repatch(patched);
	__atomic_store_n(&stop_looping, true, __ATOMIC_RELEASE);
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpu_online(cpu) && cpu != me) {
			smp_wait(&w[cpu]);
			total += loops[cpu];
			st_check(t, loops[cpu] > 0, "CPU %d never went round its loop", cpu);
		}
	st_check(t, repatch_counter == total, "the lock lost increments: %lu for %lu loops",
		 repatch_counter, total);
	st_check(t, pv_stats.refused == 0 || pvops_corrupted(), "%u sites refused", pv_stats.refused);
}
