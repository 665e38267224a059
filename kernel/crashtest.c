/*
 * Test-only: the command-line option crash=pf|ud|gp|de|text|panic makes the
 * kernel fault on purpose a couple of calls deep, so that the exception
 * dump (registers, CR2, a backtrace with symbol names) can be seen and
 * checked by tests/boot.  crash=lock-recursion|lock-owner|lock-held
 * misuses a spinlock each way `lockdebug` must catch (the last two need a
 * second CPU).  Each should end in a failing exit.
 */
#include "kernel/crashtest.h"
#include "kernel/options.h"
#include "kernel/printk.h"
#include "kernel/exit.h"
#include "kernel/types.h"
#include "arch/x86/mm.h"
#include "kernel/smp.h"
#include "pvops/pvops.h"


/* Through a variable, so the compiler cannot see (and warn about) the null. */
static volatile uintptr_t bad_address = 0x8;

static __noinline void crash_null_write(void)
{
	*(volatile int *)bad_address = 1;
}

static __noinline void crash_invalid_opcode(void)
{
	asm volatile("ud2");
}

static __noinline void crash_noncanonical(void)
{
	*(volatile int *)(bad_address | 0x8000000000000000UL) = 1;
}

static __noinline void crash_divide(void)
{
	volatile int zero = 0;
	volatile int x = 1 / zero;

	(void)x;
}

static __noinline void crash_text_write(void)
{
	*(volatile char *)_stext = 0x90;
}

static struct spinlock crash_lock = SPINLOCK("crash test lock");

static __noinline void crash_lock_recursion(void)
{
	spin_lock(&crash_lock);
	spin_lock(&crash_lock);
}

static void take_crash_lock(void *arg)
{
	(void)arg;
	spin_lock(&crash_lock);
}

static void release_crash_lock(void *arg)
{
	(void)arg;
	spin_unlock(&crash_lock);
}

/* CPU 1 needed: the boot CPU takes the lock, CPU 1 releases it. */
static __noinline void crash_lock_owner(void)
{
	if (!cpu_online(1))
		panic("crash=lock-owner needs a second CPU (-smp 2)");
	spin_lock(&crash_lock);
	smp_call(1, release_crash_lock, NULL);
}

/* CPU 1 takes the lock and keeps it; the boot CPU waits for it forever. */
static __noinline void crash_lock_held(void)
{
	if (!cpu_online(1))
		panic("crash=lock-held needs a second CPU (-smp 2)");
	smp_call(1, take_crash_lock, NULL);
	spin_lock(&crash_lock);
}

static __noinline void crash_dispatch(int what)
{
	static void (*const fns[])(void) = {
		[CRASH_PF] = crash_null_write, [CRASH_UD] = crash_invalid_opcode,
		[CRASH_GP] = crash_noncanonical, [CRASH_DE] = crash_divide,
		[CRASH_TEXT] = crash_text_write, [CRASH_LOCK_RECURSION] = crash_lock_recursion,
		[CRASH_LOCK_OWNER] = crash_lock_owner, [CRASH_LOCK_HELD] = crash_lock_held,
	};

	if (what == CRASH_PANIC)
		panic("crash=panic asked for a panic");
	fns[what]();
}

void crash_test(int what)
{
	printk("crashtest: provoking an exception (crash= on the command line)\n");
	crash_dispatch(what);
	printk("crashtest: the exception did not happen\n");
	pvos_exit(EXIT_FAIL);
}
