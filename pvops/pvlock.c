/*
 * Paravirtual ticket locks, as Linux had them from 2013 until qspinlock.
 *
 * Under a hypervisor a vCPU can be preempted while it holds a lock.  With
 * plain spinning, every waiter then burns its whole time slice for nothing,
 * and a fair lock makes it worse: the next ticket's holder may itself be
 * preempted, so even a free lock waits.  So a waiter spins only a while
 * (SPIN_THRESHOLD), then goes to sleep in the hypervisor (lock.wait), and
 * the unlocker, which can see that somebody sleeps (the slow-path flag in
 * the tail), wakes the holder of the next ticket (lock.kick).
 *
 * No wake-up may be lost: the sleeper publishes what it waits for and sets
 * the flag (a locked op, so a full barrier) before it looks at the head a
 * last time; the unlocker adds to the head with a locked op (a full
 * barrier) before it looks at the flag.  One of the two always sees the
 * other.  lock.wait itself returns at once if the kick came first.
 */
#include "pvops/pvlock.h"
#include "pvops/backend.h"
#include "kernel/options.h"
#include "kernel/printk.h"
#include "arch/x86/percpu.h"

/*
 * Spins before sleeping: enough to ride out a short critical section whose
 * holder is running, few enough not to burn much of a time slice when it
 * is not.  Set by lockbench under Xen (docs/smp.md); Linux's is 1 << 15,
 * with spins far cheaper than TCG's.
 */
#define SPIN_THRESHOLD	(1 << 8)

/* Who sleeps on which lock, for which ticket: the unlocker looks here to kick. */
static struct {
	struct ticketlock *volatile lock;
	volatile uint16_t want;
} waiting[MAX_CPUS];

enum { PVSPIN_OFF, PVSPIN_ON, PVSPIN_FORCE };
static int opt_pvspin = PVSPIN_ON;
static const char *const pvspin_choices[] = { "off", "on", "force", NULL };
CMDLINE_CHOICE(opt_pvspin_opt, "pvspin", &opt_pvspin, pvspin_choices,
	       "paravirtual lock waiting (on), plain spinning (off), or the pv lock natively (force)");
static bool installed;

/* Publish, flag, look once more, sleep; woken by the kick or anything else. */
static void sleep_until_served(struct ticketlock *l, uint16_t t)
{
	int me = smp_processor_id();

	waiting[me].want = t;
	__atomic_store_n(&waiting[me].lock, l, __ATOMIC_RELEASE);
	__atomic_fetch_or(&l->tail, TICKET_SLOWPATH, __ATOMIC_SEQ_CST);
	if (l->head != t)
		lock_wait(&l->head, t);
	__atomic_store_n(&waiting[me].lock, NULL, __ATOMIC_RELEASE);
}

/* The last in the queue clears the flag, so that the next unlocks are fast again. */
static void clear_slowpath_if_alone(struct ticketlock *l, uint16_t t)
{
	uint16_t flagged = (uint16_t)(t + TICKET_INC) | TICKET_SLOWPATH;

	if (l->tail == flagged)
		__atomic_compare_exchange_n(&l->tail, &flagged, (uint16_t)(t + TICKET_INC), false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

void pv_ticket_lock(struct spinlock *sl)
{
	struct ticketlock *l = &sl->t;
	uint16_t t = native_ticket_take(l) & ~TICKET_SLOWPATH;

	while (l->head != t) {
		for (int i = 0; i < SPIN_THRESHOLD && l->head != t; i++)
			asm volatile("pause" ::: "memory");
		if (l->head != t)
			sleep_until_served(l, t);
	}
	if (l->tail & TICKET_SLOWPATH)
		clear_slowpath_if_alone(l, t);
}

static void kick_waiter(struct ticketlock *l, uint16_t next)
{
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		if (__atomic_load_n(&waiting[cpu].lock, __ATOMIC_ACQUIRE) == l &&
		    waiting[cpu].want == next) {
			lock_kick(cpu);
			return;
		}
}

/* The unlock's slow path: somebody sleeps; wake the holder of the next ticket. */
void pv_ticket_unlock_kick(struct spinlock *sl)
{
	kick_waiter(&sl->t, sl->t.head);
}
PV_CALLEE_SAVE_THUNK(pv_ticket_unlock_kick);

/*
 * spin_unlock is a callee-save op, and its fast path needs no register but
 * the lock's: serve the next ticket with a locked add (a full barrier, see
 * above), look at the flag, return.  Only when somebody sleeps does it go
 * through the thunk that saves the registers for C, as Linux's
 * __raw_callee_save___pv_queued_spin_unlock does.
 */
asm(".pushsection .text, \"ax\"\n"
    ".globl pv_ticket_unlock\n"
    ".type pv_ticket_unlock, @function\n"
    "pv_ticket_unlock:\n\t"
    "lock addw $2, (%rdi)\n\t"		/* head += TICKET_INC */
    "testb $1, 2(%rdi)\n\t"			/* tail & TICKET_SLOWPATH */
    "jnz pv_ticket_unlock_kick_thunk\n\t"
    "ret\n"
    ".size pv_ticket_unlock, . - pv_ticket_unlock\n"
    ".popsection\n");
STATIC_ASSERT(TICKET_INC == 2 && TICKET_SLOWPATH == 1);

bool pvlock_installed(void)
{
	return installed;
}

/*
 * The lock goes in by the backend's own override records (pvops/backend.h),
 * those that need `fact`: so `pvsites --plan` shows exactly this.
 */
static bool pvlock_apply(const struct pv_backend *b, struct pv_facts *f, uint32_t fact)
{
	f->when |= fact;
	pv_install_overrides(b, f);
	installed = pv_ops.lock.spin_lock == pv_ticket_lock;
	if (!installed) {
		printk("%s: no override record installs the paravirtual ticket lock: "
		       "spinlocks stay native\n", b->name);
		return false;
	}
	printk("%s: paravirtual ticket locks: spin %d times, then lock.wait; "
	       "an unlock kicks a sleeping next holder (lock.kick)\n", b->name, SPIN_THRESHOLD);
	return true;
}

bool pvlock_install(const struct pv_backend *b, struct pv_facts *f)
{
	if (opt_pvspin == PVSPIN_OFF) {
		printk("%s: pvspin=off: spinlocks stay native (plain spinning)\n", b->name);
		return false;
	}
	return pvlock_apply(b, f, PV_WHEN_PVSPIN);
}

/*
 * pvspin=force: the paravirtual lock even natively, where lock.wait only
 * pauses and lock.kick does nothing, to measure what its fast paths cost
 * over the native ones (make bench: the native-pvspin variant).
 */
void pvlock_force_native(const struct pv_backend *b)
{
	struct pv_facts f = { 0 };

	if (opt_pvspin == PVSPIN_FORCE)
		pvlock_apply(b, &f, PV_WHEN_PVSPIN_FORCE);
}
