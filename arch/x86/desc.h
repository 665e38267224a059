/* Segment selectors of the native GDT (arch/x86/desc.c). */
#ifndef PVOS_DESC_H
#define PVOS_DESC_H

#define KERNEL_CS	0x08
#define KERNEL_DS	0x10
#define TSS_SLOT(cpu)	(3 + 2 * (cpu))	/* a TSS descriptor takes two slots */

void pc_trap_init(void);		/* the boot CPU: builds the tables */
void pc_trap_init_cpu(int cpu);		/* every CPU: loads them, with its own TSS */

#endif
