/* The local APIC and the kernel tick (arch/x86/apic.c, arch/x86/time.c). */
#ifndef PVOS_APIC_H
#define PVOS_APIC_H

#include "kernel/types.h"

#define TIMER_HZ	100

void lapic_init(void);
void lapic_timer_start(uint32_t count_per_tick);
uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);

void timer_init(void);
uint64_t ticks(void);
uint64_t tsc_khz(void);

#endif
