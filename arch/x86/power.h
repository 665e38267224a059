/* Stopping the PC (arch/x86/power.c): isa-debug-exit, else ACPI S5. */
#ifndef PVOS_POWER_H
#define PVOS_POWER_H

void pc_exit(int status);

#endif
