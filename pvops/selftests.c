/*
 * Self-tests of the patching itself: after boot, every recorded site must
 * hold exactly what the patcher says it wrote, and the boot line's counts
 * must add up.  The strongest check is the scan: no site may still hold its
 * original indirect call unless it was counted as left or refused.
 */
#include "kernel/selftest.h"
#include "kernel/options.h"
#include "kernel/string.h"
#include "pvops/pvops_init.h"
#include "pvops/backend.h"

static bool holds_indirect_call(const struct pv_site *s)
{
	uint8_t want[PV_SITE_CALL_LEN];

	pv_encode_indirect(want, s->addr, (uint64_t)&pv_ops + 8ULL * s->op);
	return !memcmp((const void *)s->addr, want, sizeof(want));
}

/* What the patcher should have written, recomputed from today's table. */
static bool holds_planned_bytes(const struct pv_site *s)
{
	uint64_t target = pv_slot_value(s->op);
	struct pv_plan plan;

	pv_plan_site(s, pv_conv_of(s->op), target, pv_find_insn(s->op, (const void *)target), &plan);
	return plan.how == s->flags && !memcmp((const void *)s->addr, plan.bytes, s->len);
}

SELFTEST(test_site_scan, "every site holds what the patcher reports")
{
	struct pv_patch_stats seen = { 0 };

	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++) {
		long i = s - __start_pv_sites;

		seen.inlined += s->flags == PV_INLINE;
		seen.direct += s->flags == PV_DIRECT;
		seen.left += s->flags == PV_LEFT;
		seen.refused += s->flags == PV_REFUSED;
		if (s->flags == PV_INLINE || s->flags == PV_DIRECT) {
			st_check(t, !holds_indirect_call(s), "site #%ld (%lx) still indirect", i,
				 (unsigned long)s->addr);
			st_check(t, holds_planned_bytes(s), "site #%ld (%lx) holds other bytes", i,
				 (unsigned long)s->addr);
		} else if (s->flags == PV_LEFT) {
			st_check(t, holds_indirect_call(s), "left site #%ld (%lx) was changed", i,
				 (unsigned long)s->addr);
		} else if (s->flags != PV_REFUSED) {
			st_fail(t, __LINE__, "site #%ld was never looked at", i);
		}
	}
	st_check(t, seen.inlined == pv_stats.inlined && seen.direct == pv_stats.direct &&
		     seen.left == pv_stats.left && seen.refused == pv_stats.refused,
		 "site flags (%u/%u/%u/%u) disagree with the boot counts",
		 seen.inlined, seen.direct, seen.left, seen.refused);
}

SELFTEST(test_site_counts, "boot counts add up and match the mode")
{
	struct pv_patch_stats *c = &pv_stats;

	st_check(t, c->sites == (unsigned int)(__stop_pv_sites - __start_pv_sites), "site total");
	st_check(t, c->inlined + c->direct + c->left + c->refused == c->sites,
		 "%u + %u + %u + %u != %u", c->inlined, c->direct, c->left, c->refused, c->sites);
	if (opt.pvops == PVOPS_OFF)
		st_check(t, c->inlined + c->direct == 0, "pvops=off patched %u sites",
			 c->inlined + c->direct);
	else if (!opt.pvops_corrupt)
		st_check(t, c->left + c->refused == 0, "%u left, %u refused", c->left, c->refused);
	else
		st_check(t, c->refused == 3, "%u refused, want the 3 corrupted", c->refused);
}

/* Every site the way the counts say: used after a repatch. */
static bool sites_agree(struct st_ctx *t, const char *when)
{
	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++) {
		bool ok = s->flags == PV_REFUSED ||
			  (s->flags == PV_LEFT ? holds_indirect_call(s) : holds_planned_bytes(s));

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
	bool patched = opt.pvops != PVOPS_OFF;

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
