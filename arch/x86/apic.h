/* The local APIC (arch/x86/apic.c): the native EOI, IPIs and timer. */
#ifndef PVOS_APIC_H
#define PVOS_APIC_H

#include "kernel/types.h"

void lapic_init(void);			/* the boot CPU: maps it, masks the 8259s */
void lapic_init_cpu(void);		/* every CPU: enables its own */
uint32_t lapic_id(void);
void lapic_send_init(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, uint32_t page);
void lapic_timer_start(uint32_t count_per_tick);
uint32_t lapic_timer_free_run(bool start);
uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);
void lapic_eoi(void);				/* apic.eoi, natively */
void lapic_send_ipi(int cpu, int vector);	/* apic.send_ipi, natively */

#endif
