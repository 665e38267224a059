/*
 * Self-tests of the link-time call sites (pvops/calls.c): after boot every
 * entry of .pv_calls must hold what the patcher reports, read from the
 * bytes themselves, not recomputed by the engine that wrote them: a direct
 * call or jmp to the function in the op's slot now, the NOP (or ret) when
 * that function is a bare ret, or still the branch to the op's trampoline.
 * And the pass runs again: every call back to its trampoline, then
 * patched again.  (Each op's link-time call and tail call keep the
 * registers the C ABI promises: selftests_regs.c.)
 */
#include "kernel/selftest.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "pvops/select.h"
#include "pvops/patcher.h"
#include "pvops/backend.h"

static uint64_t branch_target(const struct pv_call *c)
{
	const uint8_t *p = (const uint8_t *)c->addr;
	int32_t rel = (int32_t)((uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 |
				(uint32_t)p[4] << 24);

	return c->addr + PV_CALL_LEN + (uint64_t)(int64_t)rel;
}

/* Does the call hold what its outcome says?  NULL if it does. */
static const char *call_holds(const struct pv_call *c)
{
	const uint8_t *p = (const uint8_t *)c->addr;
	uint64_t slot = pv_slot_value(c->op);
	uint8_t empty[PV_CALL_LEN];

	switch (pv_call_outcome_of(c)) {
	case PV_CALL_DIRECT:
		return p[0] == pv_call_opcode(c->kind) && branch_target(c) == slot ? NULL :
		       "not a direct branch to the slot's function";
	case PV_CALL_NOP:
		pv_call_empty(c->kind, empty);
		return !memcmp(p, empty, PV_CALL_LEN) && *(const uint8_t *)slot == 0xc3 ? NULL :
		       "not the empty form, or the slot's function is not a bare ret";
	case PV_CALL_LEFT:
		return p[0] == pv_call_opcode(c->kind) && branch_target(c) == pv_trampoline_of(c->op) ?
		       NULL : "left, but no branch to its trampoline";
	case PV_CALL_REFUSED:
		return NULL;
	default:
		return "never looked at";
	}
}

/* Every call as its outcome says, and the outcomes as the counts say. */
static bool calls_agree(struct st_ctx *t, const char *when)
{
	struct pv_call_stats seen = { .calls = (unsigned int)(__stop_pv_calls - __start_pv_calls) };

	for (const struct pv_call *c = __start_pv_calls; c < __stop_pv_calls; c++) {
		const char *bad = call_holds(c);

		seen.direct += pv_call_outcome_of(c) == PV_CALL_DIRECT;
		seen.nop += pv_call_outcome_of(c) == PV_CALL_NOP;
		seen.left += pv_call_outcome_of(c) == PV_CALL_LEFT;
		seen.refused += pv_call_outcome_of(c) == PV_CALL_REFUSED;
		if (bad) {
			st_fail(t, __LINE__, "%s: call #%ld (%lx, %s, %s): %s", when,
				(long)(c - __start_pv_calls), (unsigned long)c->addr,
				pv_op_info[c->op].name, pv_call_outcome_name(pv_call_outcome_of(c)), bad);
			return false;
		}
	}
	st_check(t, !memcmp(&seen, &pv_call_stats, sizeof(seen)),
		 "%s: outcomes %u/%u/%u/%u disagree with the counts %u/%u/%u/%u", when, seen.direct,
		 seen.nop, seen.left, seen.refused, pv_call_stats.direct, pv_call_stats.nop,
		 pv_call_stats.left, pv_call_stats.refused);
	return true;
}

SELFTEST(test_calls_scan, "every link-time call holds a branch to its slot's function, or the NOP")
{
	const struct pv_call_stats *c = &pv_call_stats;
	unsigned int jmps = 0;

	for (const struct pv_call *e = __start_pv_calls; e < __stop_pv_calls; e++)
		jmps += e->kind == PV_CALL_KIND_JMP;
	st_check(t, c->calls > 0 && jmps > 0, "%u calls, %u of them jmps: want some of each",
		 c->calls, jmps);
	calls_agree(t, "at boot");
	if (!pvops_patching())
		st_check(t, c->left == c->calls, "pvops=off: %u of %u left", c->left, c->calls);
	else if (!pvops_corrupted())
		st_check(t, c->left + c->refused == 0 && c->direct > 0,
			 "%u direct, %u left, %u refused", c->direct, c->left, c->refused);
	else
		st_check(t, c->refused == 3, "%u refused, want the 3 corrupted", c->refused);
	/* Natively alloc_pt, release_pt, lazy_mmu_* and kick are a bare ret. */
	if (!strcmp(pvops_backend_name(), "native") && pvops_patching() && !pvops_corrupted())
		st_check(t, c->nop > 0, "natively no call became a NOP");
}

SELFTEST(test_calls_repatch, "link-time calls go back to their trampolines, then are patched again")
{
	struct pv_call_stats boot = pv_call_stats;
	bool patched = pvops_patching();
	uint64_t t0 = sched_clock();	/* a link-time call */

	pvops_repatch(false);
	st_check(t, pv_call_stats.left == boot.calls - boot.refused &&
		     pv_call_stats.refused == boot.refused,
		 "unpatched: %u left, %u refused of %u", pv_call_stats.left, pv_call_stats.refused,
		 boot.calls);
	calls_agree(t, "unpatched");
	st_check(t, sched_clock() >= t0, "sched_clock through its trampoline went back");
	pvops_repatch(patched);
	st_check(t, !memcmp(&pv_call_stats, &boot, sizeof(boot)),
		 "repatched: %u/%u/%u/%u, boot had %u/%u/%u/%u", pv_call_stats.direct,
		 pv_call_stats.nop, pv_call_stats.left, pv_call_stats.refused, boot.direct, boot.nop,
		 boot.left, boot.refused);
	calls_agree(t, "repatched");
}
