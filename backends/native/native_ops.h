/*
 * The native backend's out-of-line ops, for backends that inherit some of
 * them (KVM keeps the native irq and MMU ops) and for native_insns.c.
 */
#ifndef PVOS_NATIVE_OPS_H
#define PVOS_NATIVE_OPS_H

#include "pvops/backend.h"

extern const struct pv_ops native_pv_ops;

void pv_native_safe_halt(void);
void pv_native_halt(void);
void pv_native_alloc_pt(unsigned long pfn, int level);
void pv_native_release_pt(unsigned long pfn, int level);
void pv_native_nop(void);
void pv_native_wait(volatile uint8_t *p, uint8_t val);
void pv_native_kick(int cpu);
void pv_native_io_delay(void);
void pv_native_wbinvd(void);

extern char pv_native_save_fl_thunk[], pv_native_restore_fl_thunk[];
extern char pv_native_irq_disable_thunk[], pv_native_irq_enable_thunk[];
extern char pv_native_read_cr2_thunk[], pv_native_read_cr3_thunk[];
extern char pv_native_write_cr3_thunk[], pv_native_set_pte_thunk[];
extern char pv_native_pte_clear_thunk[], pv_native_flush_tlb_one_thunk[];
extern char pv_native_flush_tlb_local_thunk[], pv_native_make_pte_thunk[];
extern char pv_native_pte_val_thunk[], pv_native_spin_unlock_thunk[];

#endif
