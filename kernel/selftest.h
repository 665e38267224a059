/*
 * In-kernel self-tests.  SELFTEST(fn, "name") registers a test in the
 * .selftests section; the command-line word `selftest` runs them all and
 * prints TAP on the console:
 *
 *     1..N
 *     ok 1 - printk formats numbers
 *     not ok 2 - cr3 round trip # line 40: read 0x1000, wrote 0x2000
 *
 * A test reports failure with st_check(); the first failed check's message
 * becomes the TAP reason.  A test that needs a particular backend or device
 * calls st_skip() with the reason.
 */
#ifndef PVOS_SELFTEST_H
#define PVOS_SELFTEST_H

#include "kernel/types.h"

struct st_ctx {
	bool failed, skipped;
	char reason[192];
};

struct selftest {
	const char *name;
	void (*fn)(struct st_ctx *t);
} __aligned(16);

#define SELFTEST(fn, desc)						\
	static void fn(struct st_ctx *t);				\
	static const struct selftest fn##_entry __used			\
		__section(".selftests") = { desc, fn };			\
	static void fn(struct st_ctx *t)

/* Every registered test: the .selftests section (boot/linker.ld). */
extern const struct selftest __start_selftests[], __stop_selftests[];

void st_fail(struct st_ctx *t, int line, const char *fmt, ...) __printf(3, 4);
void st_skip(struct st_ctx *t, const char *why);

/* st_check(t, cond, "fmt", ...): fail with the message unless cond. */
#define st_check(t, cond, ...)						\
	do {								\
		if (!(cond))						\
			st_fail(t, __LINE__, __VA_ARGS__);		\
	} while (0)

int selftest_run(void);		/* all, once more (the monitor): how many failed */
void selftest_run_all(void) __noreturn;	/* all, then exit pass or fail */

#endif
