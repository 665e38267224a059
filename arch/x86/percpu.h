/*
 * Per-CPU data.  pvos runs on one CPU today; everything that is really per
 * CPU already lives here so that SMP only has to change this_cpu() (to read
 * %gs, as Linux does) and allocate one struct per CPU.
 */
#ifndef PVOS_PERCPU_H
#define PVOS_PERCPU_H

#include "kernel/types.h"

struct fault_catch;

struct cpu_data {
	int id;
	volatile uint64_t ticks;		/* timer interrupts taken */
	struct fault_catch *fault_catch;	/* see expect_fault() */
	int in_exception;			/* nesting depth of dumps */
};

extern struct cpu_data cpu_data[1];

static inline struct cpu_data *this_cpu(void)
{
	return &cpu_data[0];
}

#endif
