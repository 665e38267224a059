/* Ending a run so that the host sees how it went (kernel/exit.c; README: "Exit status"). */
#ifndef PVOS_EXIT_H
#define PVOS_EXIT_H

#define EXIT_PASS	0
#define EXIT_FAIL	1

void pvos_exit(int status) __attribute__((noreturn));

#endif
