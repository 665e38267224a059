/* `bench`: instruction counts of the pv ops and of a workload (kernel/bench.c). */
#ifndef PVOS_BENCH_H
#define PVOS_BENCH_H

void bench_run_all(void) __attribute__((noreturn));

#endif
