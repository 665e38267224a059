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

#endif
