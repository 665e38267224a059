/* The kernel tick and the TSC clock (arch/x86/time.c). */
#ifndef PVOS_TIME_H
#define PVOS_TIME_H

#include "kernel/types.h"

#define TIMER_HZ	100

void timer_init(void);
void timer_init_cpu(void);		/* another CPU's tick, once the boot CPU calibrated */
void udelay(uint64_t us);
uint64_t ticks(void);
uint64_t tsc_khz(void);
void tsc_set_khz(uint64_t khz);		/* a hypervisor's figure instead of calibrating */
uint64_t tsc_sched_clock(void);		/* time.sched_clock, natively */

#endif
