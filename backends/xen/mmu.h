/*
 * The MMU ops under Xen PV (backends/xen/mmu.c): machine frames, page-table
 * writes as hypercalls, lazy-MMU batching, page-table pages.
 */
#ifndef PVOS_XEN_MMU_H
#define PVOS_XEN_MMU_H

#include "kernel/types.h"
#include "arch/x86/cpu.h"

/* Pseudo-physical <-> machine, through the p2m and Xen's read-only m2p. */
uint64_t xen_virt_to_machine(const void *va);
unsigned long xen_mfn_to_pfn(unsigned long mfn);
void xen_mmu_early_init(void);
void xen_make_ro(unsigned long pfn, bool ro);

/* The ops, for xen_fill_pv_ops (callee-save ones through their thunks). */
unsigned long xen_read_cr3(void);
void xen_set_cr3_of(int cpu, unsigned long pa);	/* a starting vCPU's, before it runs */
void xen_flush_tlb_multi(uint32_t cpus, unsigned long va);
extern char xen_read_cr2_thunk[], xen_read_cr3_thunk[], xen_write_cr3_thunk[];
extern char xen_set_pte_thunk[], xen_set_pmd_thunk[], xen_set_pud_thunk[];
extern char xen_set_p4d_thunk[], xen_pte_clear_thunk[], xen_flush_tlb_one_thunk[];
extern char xen_flush_tlb_local_thunk[], xen_make_pte_thunk[], xen_pte_val_thunk[];
void xen_alloc_pt(unsigned long pfn, int level);
void xen_release_pt(unsigned long pfn, int level);
void xen_lazy_mmu_enter(void);
void xen_lazy_mmu_flush(void);
void xen_lazy_mmu_leave(void);
bool xen_lazy_mmu_enabled(void);	/* false with xen.lazy_mmu=off */

/* Hooks for the self-tests: the raw hypercalls, their results unchecked. */
long xen_mmu_update_raw(pteval_t *p, pteval_t v);
long xen_pin_raw(unsigned long pfn, int level);

#endif
