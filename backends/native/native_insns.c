/*
 * The native backend's inline templates: for each op that is one short
 * instruction natively, the bytes the patcher copies into the call site.
 * Each is used only while its pv_ops slot still holds the native function,
 * and only where the site is long enough and lets the code clobber what it
 * clobbers (the fourth argument).
 *
 * Register conventions follow the call site (pvops/pvops.h): arguments
 * arrive in %rdi and %rsi, results leave in %rax; make_pte and pte_val take
 * their argument in %rax too.
 */
#include "backends/native/native_ops.h"

DEF_PV_INSN(native_insn_save_fl, irq.save_fl, pv_native_save_fl_thunk,
	    PV_CLB_RAX, "pushfq; popq %rax");
DEF_PV_INSN(native_insn_restore_fl, irq.restore_fl, pv_native_restore_fl_thunk,
	    PV_CLB_NONE, "pushq %rdi; popfq");
DEF_PV_INSN(native_insn_irq_disable, irq.irq_disable, pv_native_irq_disable_thunk,
	    PV_CLB_NONE, "cli");
DEF_PV_INSN(native_insn_irq_enable, irq.irq_enable, pv_native_irq_enable_thunk,
	    PV_CLB_NONE, "sti");
DEF_PV_INSN(native_insn_safe_halt, irq.safe_halt, pv_native_safe_halt,
	    PV_CLB_NONE, "sti; hlt");
DEF_PV_INSN(native_insn_halt, irq.halt, pv_native_halt, PV_CLB_NONE, "hlt");

DEF_PV_INSN(native_insn_read_cr2, mmu.read_cr2, pv_native_read_cr2_thunk,
	    PV_CLB_RAX, "mov %cr2, %rax");
DEF_PV_INSN(native_insn_read_cr3, mmu.read_cr3, pv_native_read_cr3_thunk,
	    PV_CLB_RAX, "mov %cr3, %rax");
DEF_PV_INSN(native_insn_write_cr3, mmu.write_cr3, pv_native_write_cr3_thunk,
	    PV_CLB_NONE, "mov %rdi, %cr3");
DEF_PV_INSN(native_insn_set_pte, mmu.set_pte, pv_native_set_pte_thunk,
	    PV_CLB_NONE, "mov %rsi, (%rdi)");
DEF_PV_INSN(native_insn_set_pmd, mmu.set_pmd, pv_native_set_pte_thunk,
	    PV_CLB_NONE, "mov %rsi, (%rdi)");
DEF_PV_INSN(native_insn_set_pud, mmu.set_pud, pv_native_set_pte_thunk,
	    PV_CLB_NONE, "mov %rsi, (%rdi)");
DEF_PV_INSN(native_insn_set_p4d, mmu.set_p4d, pv_native_set_pte_thunk,
	    PV_CLB_NONE, "mov %rsi, (%rdi)");
DEF_PV_INSN(native_insn_pte_clear, mmu.pte_clear, pv_native_pte_clear_thunk,
	    PV_CLB_NONE, "andq $0, (%rdi)");
DEF_PV_INSN(native_insn_flush_tlb_one, mmu.flush_tlb_one,
	    pv_native_flush_tlb_one_thunk, PV_CLB_NONE, "invlpg (%rdi)");
DEF_PV_INSN(native_insn_flush_tlb_local, mmu.flush_tlb_local,
	    pv_native_flush_tlb_local_thunk, PV_CLB_RAX,
	    "mov %cr3, %rax; mov %rax, %cr3");
/* The identity, with the value in %rax both ways: nothing to do but a NOP. */
DEF_PV_INSN(native_insn_make_pte, mmu.make_pte, pv_native_make_pte_thunk, PV_CLB_NONE, "");
DEF_PV_INSN(native_insn_pte_val, mmu.pte_val, pv_native_pte_val_thunk, PV_CLB_NONE, "");
/* Natively these hooks do nothing, so the whole site becomes NOPs. */
DEF_PV_INSN(native_insn_alloc_pt, mmu.alloc_pt, pv_native_alloc_pt, PV_CLB_NONE, "");
DEF_PV_INSN(native_insn_release_pt, mmu.release_pt, pv_native_release_pt,
	    PV_CLB_NONE, "");
DEF_PV_INSN(native_insn_lazy_enter, mmu.lazy_mmu_enter, pv_native_nop, PV_CLB_NONE, "");
DEF_PV_INSN(native_insn_lazy_flush, mmu.lazy_mmu_flush, pv_native_nop, PV_CLB_NONE, "");
DEF_PV_INSN(native_insn_lazy_leave, mmu.lazy_mmu_leave, pv_native_nop, PV_CLB_NONE, "");

DEF_PV_INSN(native_insn_spin_unlock, lock.spin_unlock, pv_native_spin_unlock_thunk,
	    PV_CLB_NONE, "movb $0, (%rdi)");
DEF_PV_INSN(native_insn_kick, lock.kick, pv_native_kick, PV_CLB_NONE, "");

DEF_PV_INSN(native_insn_io_delay, cpu.io_delay, pv_native_io_delay,
	    PV_CLB_NONE, "outb %al, $0x80");
DEF_PV_INSN(native_insn_wbinvd, cpu.wbinvd, pv_native_wbinvd, PV_CLB_NONE, "wbinvd");
