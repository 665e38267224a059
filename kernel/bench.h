/* `bench`: instruction counts of the pv ops and of a workload (kernel/bench.c). */
#ifndef PVOS_BENCH_H
#define PVOS_BENCH_H

#include "kernel/types.h"

void bench_run_all(void) __attribute__((noreturn));
bool bench_micro(const char *name);	/* one micro benchmark, or "all"; false: no such */
const char *bench_micro_names(void);

#endif
