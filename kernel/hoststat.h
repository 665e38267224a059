/* hoststat: let the host read its own counters around a guest workload. */
#ifndef PVOS_HOSTSTAT_H
#define PVOS_HOSTSTAT_H

void hoststat_run(void) __attribute__((noreturn));

#endif
