/*
 * The self-test runner (see selftest.h).  Tests run in link order, one after
 * another, on the booted kernel: what they check is the real machine state.
 */
#include "kernel/selftest.h"
#include "kernel/printk.h"
#include "kernel/exit.h"
#include "kernel/string.h"
#include "kernel/vsprintf.h"
#include "kernel/options.h"

void st_fail(struct st_ctx *t, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;		/* keep the first reason: it is the cause */
	t->failed = true;
	n = snprintf(t->reason, sizeof(t->reason), "line %d: ", line);
	va_start(ap, fmt);
	vsnprintf(t->reason + n, sizeof(t->reason) - (size_t)n, fmt, ap);
	va_end(ap);
}

void st_skip(struct st_ctx *t, const char *why)
{
	t->skipped = true;
	strncpy0(t->reason, why, sizeof(t->reason));
}

/*
 * A harness must turn one failing self-test into a failing run: a TAP
 * "not ok" line, exit status fail, and wherever pvos runs the host's own
 * sign of it (QEMU's status, a Xen domain's shutdown reason crash).  To
 * prove that it does, `selftest.fail` makes this test fail.
 */
static int opt_selftest_fail;
CMDLINE_FLAG(opt_selftest_fail_word, "selftest.fail", &opt_selftest_fail,
	     "test only: one self-test fails, to prove a harness sees it");

SELFTEST(test_selftest_fail, "selftest: a failure is reported when asked for (selftest.fail)")
{
	st_check(t, !opt_selftest_fail, "selftest.fail on the command line: failing on purpose");
}

/* Every test once, TAP on the console; the number that failed. */
int selftest_run(void)
{
	int n = (int)(__stop_selftests - __start_selftests), failed = 0, skipped = 0;

	printk("selftest: running %d tests\n1..%d\n", n, n);
	for (int i = 0; i < n; i++) {
		struct st_ctx t = { 0 };

		__start_selftests[i].fn(&t);
		if (t.skipped && !t.failed) {
			printk("ok %d - %s # SKIP %s\n", i + 1, __start_selftests[i].name, t.reason);
			skipped++;
		} else if (t.failed) {
			printk("not ok %d - %s # %s\n", i + 1, __start_selftests[i].name, t.reason);
			failed++;
		} else {
			printk("ok %d - %s\n", i + 1, __start_selftests[i].name);
		}
	}
	printk("selftest: %d passed, %d failed, %d skipped\n", n - failed - skipped, failed, skipped);
	return failed;
}

void selftest_run_all(void)
{
	pvos_exit(selftest_run() ? EXIT_FAIL : EXIT_PASS);
}
