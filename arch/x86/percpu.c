/*
 * The per-CPU areas (arch/x86/percpu.h).  Each one's self pointer is set
 * here, statically, so that %gs:0 is right the moment a CPU's %gs base
 * points at its area: no code has to run first.
 */
#include "arch/x86/percpu.h"

#define CPU(n) [n] = { .self = &cpu_data[n], .id = n }

struct cpu_data cpu_data[MAX_CPUS] = {
	CPU(0), CPU(1), CPU(2), CPU(3), CPU(4), CPU(5), CPU(6), CPU(7),
};

STATIC_ASSERT(MAX_CPUS == 8);
