/*
 * Several CPUs (kernel/smp.c): which are online, and how one CPU gives
 * another something to run.  The platform starts them (struct platform's
 * start_cpus); from then on this is the same on every platform.
 */
#ifndef PVOS_SMP_H
#define PVOS_SMP_H

#include "kernel/types.h"
#include "arch/x86/percpu.h"

/* A function for one CPU to run; `done` turns true when it has returned. */
struct cpu_work {
	void (*fn)(void *arg);
	void *arg;
	volatile bool done;
};

extern volatile int nr_cpus_online;

bool cpu_online(int cpu);
void smp_boot(void);			/* the boot CPU, once its tick runs */
void smp_cpu_ready(void) __noreturn;	/* another CPU, once set up: online, then idle */

/* Hand w to an online CPU other than this one; smp_wait waits for it. */
void smp_run(int cpu, struct cpu_work *w);
void smp_wait(struct cpu_work *w);
void smp_call(int cpu, void (*fn)(void *), void *arg);	/* run and wait */

/* A mask of the online CPUs but this one (bit n: CPU n). */
uint32_t cpus_online_but_me(void);

/*
 * Run fn(arg) on this CPU while every other online CPU waits in an
 * interrupt handler with interrupts off (Linux's stop_machine).  may_stop
 * says whether a CPU interrupted at that frame may wait there (it may move
 * the frame's rip forward); if not, it is interrupted again a little later.
 * Each CPU executes a serializing instruction before it goes on, so that it
 * runs code fn changed as changed (the Intel SDM's rule for cross-modifying
 * code).  Call it with interrupts on and no spinlock held.  fn must take no
 * lock that a stopped CPU may hold (it may have been interrupted inside
 * one): the patcher's text_poke takes none, and printk waits only a
 * bounded time.
 */
struct trap_frame;
void stop_machine(void (*fn)(void *), void *arg, bool (*may_stop)(struct trap_frame *f));

#endif
