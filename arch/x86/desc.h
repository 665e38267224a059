/* Segment selectors of the native GDT (arch/x86/desc.c). */
#ifndef PVOS_DESC_H
#define PVOS_DESC_H

#define KERNEL_CS	0x08
#define KERNEL_DS	0x10
#define TSS_SLOT	3

void pc_trap_init(void);

#endif
