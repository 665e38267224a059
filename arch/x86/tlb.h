/* Remote TLB flushes by IPI (arch/x86/tlb.c): mmu.flush_tlb_multi, natively. */
#ifndef PVOS_TLB_H
#define PVOS_TLB_H

#include "kernel/types.h"

#define TLB_FLUSH_ALL	(~0UL)

void ipi_flush_tlb_multi(uint32_t cpus, unsigned long va);
void tlb_init(void);		/* the IPI's handler */

#endif
