/*
 * `lockdebug` on the command line: every spinlock op checked, by putting a
 * checking layer in front of the lock slots of pv_ops, before the patcher
 * runs, so that without the word it costs nothing at all.  Each misuse is a
 * panic that names the lock and the CPUs involved:
 *
 *  - taking a lock this CPU already holds (it would wait for itself);
 *  - releasing a lock another CPU holds, or nobody does;
 *  - holding a lock too long (LOCKDEBUG_MS), seen by the holder at unlock,
 *    or by a waiter that has waited that long.
 *
 * While checking, a waiter polls with trylock instead of queueing, so that
 * it can look at the clock: fairness is given up for the diagnosis.
 */
#include "pvops/lockdebug.h"
#include "pvops/backend.h"
#include "kernel/options.h"
#include "kernel/printk.h"
#include "arch/x86/percpu.h"
#include "arch/x86/time.h"

#define LOCKDEBUG_MS	2000

static int opt_lockdebug;
CMDLINE_FLAG(opt_lockdebug_opt, "lockdebug", &opt_lockdebug,
	     "check every spinlock op: recursion, foreign unlock, held too long");

static struct pv_lock_ops inner;	/* the slots as the backend filled them */

/* TSC ticks in LOCKDEBUG_MS; 0 (never too long) before the clock is calibrated. */
static uint64_t too_long(void)
{
	return tsc_khz() * LOCKDEBUG_MS;
}

static const char *lock_name(const struct spinlock *l)
{
	return l->name ? l->name : "an unnamed lock";
}

static void waited_too_long(struct spinlock *l, uint64_t start)
{
	uint64_t limit = too_long();

	if (limit && native_rdtsc() - start > limit)
		panic("lockdebug: CPU %d waited %d ms for %s (%p), held by CPU %d all that time",
		      smp_processor_id(), LOCKDEBUG_MS, lock_name(l), (void *)l, l->owner);
}

static void lockdebug_lock(struct spinlock *l)
{
	uint64_t start = native_rdtsc();

	if (l->owner == smp_processor_id())
		panic("lockdebug: CPU %d takes %s (%p), which it already holds", l->owner,
		      lock_name(l), (void *)l);
	while (!inner.spin_trylock(l)) {
		waited_too_long(l, start);
		asm volatile("pause" ::: "memory");
	}
	l->owner = (int16_t)smp_processor_id();
	l->since = native_rdtsc();
}

static int lockdebug_trylock(struct spinlock *l)
{
	if (!inner.spin_trylock(l))
		return 0;
	l->owner = (int16_t)smp_processor_id();
	l->since = native_rdtsc();
	return 1;
}

void lockdebug_unlock(struct spinlock *l)
{
	int me = smp_processor_id();
	uint64_t limit = too_long();

	if (l->owner != me)
		panic("lockdebug: CPU %d releases %s (%p), but %s%d holds it", me, lock_name(l),
		      (void *)l, l->owner < 0 ? "no CPU: " : "CPU ", l->owner);
	if (limit && native_rdtsc() - l->since > limit)
		panic("lockdebug: CPU %d held %s (%p) longer than %d ms", me, lock_name(l),
		      (void *)l, LOCKDEBUG_MS);
	l->owner = -1;
	((void (*)(struct spinlock *))inner.spin_unlock.func)(l);	/* callee-save: a C call is safe */
}
PV_CALLEE_SAVE_THUNK(lockdebug_unlock);

void lockdebug_install(void)
{
	if (!opt_lockdebug)
		return;
	inner = pv_ops.lock;
	pv_ops.lock.spin_lock = lockdebug_lock;
	pv_ops.lock.spin_trylock = lockdebug_trylock;
	pv_ops.lock.spin_unlock = PV_CALLEE_SAVE(lockdebug_unlock);
	printk("lockdebug: every spinlock op checked (recursion, foreign unlock, held > %d ms)\n",
	       LOCKDEBUG_MS);
}
