/* How pvos_exit() stops the machine; a backend may replace machine_exit. */
#ifndef PVOS_EXIT_H
#define PVOS_EXIT_H

extern void (*machine_exit)(int status);
void native_machine_exit(int status);

#endif
