/* Starting the PC's other CPUs (arch/x86/smp.c): MADT, INIT, SIPI, trampoline. */
#ifndef PVOS_X86_SMP_H
#define PVOS_X86_SMP_H

void pc_start_cpus(int max);
void pc_ap_entry(void) __attribute__((noreturn));	/* from arch/x86/trampoline.S */

/* arch/x86/trampoline.S: the code, and the words filled in for each CPU. */
extern const char trampoline_start[], trampoline_end[];
extern const char trampoline_cr3[], trampoline_gs[], trampoline_stack[], trampoline_entry[];

#endif
