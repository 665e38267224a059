/*
 * Host unit tests for the override records' engine, pvops/override.c: a
 * backend's table is the native one plus its records that hold, applied in
 * order.  The kernel's backends and `pvsites --plan` both build their
 * tables with this code, so what it decides is what the plan viewer shows
 * and what boot installs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pvops/override.h"

static const char xen[] = "xen", kvm[] = "kvm";	/* stand-ins for two descriptors */
static const char fn_a[1], fn_b[1], fn_c[1], fn_d[1];	/* stand-ins for functions */
#define ADDR(p)	((uint64_t)(uintptr_t)(p))
#define NSLOTS	4

static const struct pv_override recs[] = {
	{ .backend = xen, .func = fn_a, .op = 0, .when = PV_WHEN_ALWAYS },
	{ .backend = kvm, .func = fn_b, .op = 1, .features = 1u << 3 },
	{ .backend = kvm, .func = fn_c, .op = 1, .when = PV_WHEN_HYPERCALLS | PV_WHEN_VMMCALL },
	{ .backend = kvm, .func = fn_d, .op = 2, .when = PV_WHEN_PVSPIN,
	  .features = 1u << 5 | 1u << 9 },
	{ .backend = kvm, .func = fn_a, .op = 7 },		/* beyond a 4-slot table */
};
#define END	(recs + sizeof(recs) / sizeof(recs[0]))

static void native(uint64_t *slots)
{
	for (int i = 0; i < NSLOTS; i++)
		slots[i] = 0x1000 + (uint64_t)i;
}

/* A record holds when all its facts and all its feature bits do; more is fine. */
static void test_holds(void **state)
{
	struct pv_facts none = { 0 }, some = { PV_WHEN_PVSPIN, 1u << 5 };
	struct pv_facts all = { PV_WHEN_PVSPIN | PV_WHEN_HYPERCALLS, 0xffffffffu };

	(void)state;
	assert_true(pv_override_holds(&recs[0], &none));
	assert_false(pv_override_holds(&recs[1], &none));
	assert_false(pv_override_holds(&recs[3], &some));	/* bit 9 missing */
	assert_true(pv_override_holds(&recs[3], &all));
	assert_false(pv_override_holds(&recs[2], &all));	/* vmmcall not a fact */
}

/* Only the backend's own records, and only those that hold, in order. */
static void test_apply_own_records(void **state)
{
	uint64_t slots[NSLOTS];
	struct pv_facts f = { PV_WHEN_HYPERCALLS | PV_WHEN_VMMCALL, 1u << 3 };

	(void)state;
	native(slots);
	assert_int_equal(pv_overrides_apply(slots, NSLOTS, recs, END, kvm, &f), 2);
	assert_int_equal(slots[0], 0x1000);		/* xen's record: not kvm's */
	assert_int_equal(slots[1], ADDR(fn_c));		/* the later of two records wins */
	assert_int_equal(slots[2], 0x1002);		/* needs pvspin and bits 5, 9 */
	assert_int_equal(slots[3], 0x1003);
}

/* Applying again after a fact is learnt adds what it allows, keeps the rest. */
static void test_apply_again(void **state)
{
	uint64_t slots[NSLOTS];
	struct pv_facts f = { 0, 1u << 3 | 1u << 5 | 1u << 9 };

	(void)state;
	native(slots);
	pv_overrides_apply(slots, NSLOTS, recs, END, kvm, &f);
	assert_int_equal(slots[1], ADDR(fn_b));
	assert_int_equal(slots[2], 0x1002);
	f.when |= PV_WHEN_PVSPIN;
	assert_int_equal(pv_overrides_apply(slots, NSLOTS, recs, END, kvm, &f), 2);
	assert_int_equal(slots[1], ADDR(fn_b));
	assert_int_equal(slots[2], ADDR(fn_d));
}

static void test_when_names(void **state)
{
	(void)state;
	assert_int_equal(pv_when_bit("pvspin"), 0);
	assert_int_equal(pv_when_bit("pvspin=force"), 1);
	assert_int_equal(pv_when_bit("vmmcall"), 4);
	assert_int_equal(pv_when_bit("vmcal"), -1);
	assert_int_equal(pv_when_bit("vmcalls"), -1);
	assert_int_equal(pv_when_bit(""), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_holds),
		cmocka_unit_test(test_apply_own_records),
		cmocka_unit_test(test_apply_again),
		cmocka_unit_test(test_when_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
