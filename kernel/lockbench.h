/* `lockbench` (kernel/lockbench.c): lock throughput with every CPU contending. */
#ifndef PVOS_LOCKBENCH_H
#define PVOS_LOCKBENCH_H

void lockbench_run(void) __attribute__((noreturn));

#endif
