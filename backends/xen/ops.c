/*
 * The xen backend's pv_ops table: irq and cpu ops here; the MMU ops in
 * mmu.c, time in events.c, IPIs in smp.c, lock.wait and lock.kick in
 * spinlock.c.  A PV kernel runs in ring 3, so "cli" becomes a byte in
 * shared memory (the vCPU's event-upcall mask), "hlt" a SCHEDOP_block, and
 * the instructions Xen does not let a guest have panic with a clear message.
 *
 * Callee-save slots hold PV_CALLEE_SAVE_THUNK thunks around the C
 * functions; the patcher puts the irq ops inline instead (below), since
 * their sites have room for them.
 */
#include "backends/xen/xen.h"
#include "backends/xen/events.h"
#include "backends/xen/mmu.h"
#include "backends/xen/ops.h"
#include "backends/xen/smp.h"
#include "backends/xen/spinlock.h"
#include "pvops/pvlock.h"
#include "kernel/printk.h"
#include "kernel/exit.h"

/* ---- irq: the event-upcall mask is the virtual IF (1 = "cli") ---- */

unsigned long xen_save_fl(void)
{
	return xen_vcpu()->evtchn_upcall_mask ? 0 : X86_EFLAGS_IF;
}

/* Events that arrived while masked are delivered by the next hypercall. */
void xen_force_upcall(void)
{
	xen_check(HYPERVISOR_xen_version(XENVER_version, NULL), "xen_version(XENVER_version)");
}

static void xen_unmask_events(void)
{
	volatile struct vcpu_info *v = xen_vcpu();

	v->evtchn_upcall_mask = 0;
	barrier();		/* unmask, then look: a later event upcalls by itself */
	if (v->evtchn_upcall_pending)
		xen_force_upcall();
}

void xen_restore_fl(unsigned long f)
{
	if (f & X86_EFLAGS_IF)
		xen_unmask_events();
	else
		xen_vcpu()->evtchn_upcall_mask = 1;
	barrier();
}

void xen_irq_disable(void)
{
	xen_vcpu()->evtchn_upcall_mask = 1;
	barrier();
}

void xen_irq_enable(void)
{
	xen_unmask_events();
}

/* SCHEDOP_block unmasks events and sleeps until one is pending: "sti; hlt". */
static void xen_safe_halt(void)
{
	xen_check(HYPERVISOR_sched_op(SCHEDOP_block, NULL), "sched_op(SCHEDOP_block)");
}

/*
 * With events masked nothing would wake a block: give the CPU away instead.
 * pvos_exit ends in a loop of these, and a panic ends in pvos_exit, so a
 * failed yield panics only once; after that the loop just spins.
 */
static void xen_halt(void)
{
	static bool yield_failed;
	long rc;

	if (!xen_vcpu()->evtchn_upcall_mask) {
		xen_safe_halt();
		return;
	}
	rc = HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	if (rc < 0 && !yield_failed) {
		yield_failed = true;
		xen_hypercall_failed(rc, "sched_op(SCHEDOP_yield)");
	}
}

PV_CALLEE_SAVE_THUNK(xen_save_fl);
PV_CALLEE_SAVE_THUNK(xen_restore_fl);
PV_CALLEE_SAVE_THUNK(xen_irq_disable);
PV_CALLEE_SAVE_THUNK(xen_irq_enable);
PV_CALLEE_SAVE_THUNK(xen_force_upcall);

/*
 * The same four ops inline.  This vCPU's vcpu_info is at a fixed %gs
 * offset (xen.h), so "cli" is one store to its mask, and the others call
 * out (the last instruction of the code, so the call returns to the site's
 * end) only when unmasking finds an event pending.  Linux never had these:
 * its vcpu_info is reached through a per-CPU pointer, and its sites were
 * too short (docs/sources.md: Fitzhardinge's "they never fit").  Each
 * op's room in PV_OP_LIST is the length of its code here.
 */
#define XEN_MASK_GS	"%gs:" __stringify(XEN_VCPU_MASK)
#define XEN_PENDING_GS	"%gs:" __stringify(XEN_VCPU_PENDING)

DEF_PV_INSN(xen_insn_irq_disable, irq.irq_disable, xen_irq_disable_thunk, PV_CLB_NONE,
	    "movb $1, " XEN_MASK_GS);
DEF_PV_INSN(xen_insn_irq_enable, irq.irq_enable, xen_irq_enable_thunk,
	    PV_CLB_RAX | PV_INSN_CALLS,
	    "movb $0, " XEN_MASK_GS "; cmpb $0, " XEN_PENDING_GS "; je 1f; "
	    "call xen_force_upcall_thunk; 1:");
/* Masked (1) is "IF clear": CF = (mask < 1), so %eax = IF or 0. */
DEF_PV_INSN(xen_insn_save_fl, irq.save_fl, xen_save_fl_thunk, PV_CLB_RAX,
	    "cmpb $1, " XEN_MASK_GS "; sbb %eax, %eax; and $0x200, %eax");
/* mask = !IF; unmasking looks for a pending event as irq_enable does. */
DEF_PV_INSN(xen_insn_restore_fl, irq.restore_fl, xen_restore_fl_thunk,
	    PV_CLB_RAX | PV_INSN_CALLS,
	    "bt $9, %edi; setnc " XEN_MASK_GS "; jnc 1f; cmpb $0, " XEN_PENDING_GS "; "
	    "je 1f; call xen_force_upcall_thunk; 1:");

/* ---- cpu: what Xen does not let a PV guest do ---- */

/* cpuid is unprivileged; Xen sees it anyway if it turned on CPUID faulting. */
static void xen_cpuid(uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	native_cpuid(leaf, sub, r);
}

static uint64_t xen_rdmsr(uint32_t msr)
{
	panic("xen: rdmsr(%#x): pvos reads no MSR under Xen PV", msr);
}

static void xen_wrmsr(uint32_t msr, uint64_t v)
{
	panic("xen: wrmsr(%#x, %#lx): pvos writes no MSR under Xen PV", msr, v);
}

/* Xen owns the IDT, GDT and TSS; xen_platform uses set_trap_table instead. */
static void xen_load_idt(const struct desc_ptr *d)
{
	panic("xen: load_idt(%lx): a PV guest has no IDT; use set_trap_table", d->base);
}

static void xen_load_gdt(const struct desc_ptr *d)
{
	panic("xen: load_gdt(%lx): a PV guest runs on Xen's GDT", d->base);
}

static void xen_load_tr(unsigned int sel)
{
	panic("xen: load_tr(%#x): a PV guest has no TSS of its own", sel);
}

/* Nothing to wait for (no ISA bus of ours), nothing to write back (Xen's job). */
void xen_nop(void) { }

/*
 * Nothing at all: io_delay and wbinvd (above), and apic.eoi, since an event
 * is acknowledged by clearing its pending bit (events.c), not by an EOI.
 */
DEF_PV_INSN(xen_insn_io_delay, cpu.io_delay, xen_nop, PV_CLB_NONE, "");
DEF_PV_INSN(xen_insn_wbinvd, cpu.wbinvd, xen_nop, PV_CLB_NONE, "");
DEF_PV_INSN(xen_insn_eoi, apic.eoi, xen_nop, PV_CLB_NONE, "");


/*
 * The table: the native one (so that any op added later stays as it was)
 * with every privileged op replaced, one record each (PV_OVERRIDE,
 * pvops/backend.h), which `pvsites --plan xen` reads too.  The spinlocks
 * get a way to sleep and to wake always, and the paravirtual ticket lock
 * itself when xen_trap_init installs it (pvspin=on, the default; with
 * pvspin=off the locks stay native and wait/kick go unused).
 */
#define XEN_OP(slot, fn)	PV_OVERRIDE(xen_backend, slot, fn, PV_WHEN_ALWAYS, 0)

XEN_OP(irq.save_fl, xen_save_fl_thunk);
XEN_OP(irq.restore_fl, xen_restore_fl_thunk);
XEN_OP(irq.irq_disable, xen_irq_disable_thunk);
XEN_OP(irq.irq_enable, xen_irq_enable_thunk);
XEN_OP(irq.safe_halt, xen_safe_halt);
XEN_OP(irq.halt, xen_halt);
XEN_OP(mmu.read_cr2, xen_read_cr2_thunk);
XEN_OP(mmu.read_cr3, xen_read_cr3_thunk);
XEN_OP(mmu.write_cr3, xen_write_cr3_thunk);
XEN_OP(mmu.set_pte, xen_set_pte_thunk);
XEN_OP(mmu.set_pmd, xen_set_pmd_thunk);
XEN_OP(mmu.set_pud, xen_set_pud_thunk);
XEN_OP(mmu.set_p4d, xen_set_p4d_thunk);
XEN_OP(mmu.pte_clear, xen_pte_clear_thunk);
XEN_OP(mmu.flush_tlb_one, xen_flush_tlb_one_thunk);
XEN_OP(mmu.flush_tlb_local, xen_flush_tlb_local_thunk);
XEN_OP(mmu.flush_tlb_multi, xen_flush_tlb_multi);
XEN_OP(mmu.make_pte, xen_make_pte_thunk);
XEN_OP(mmu.pte_val, xen_pte_val_thunk);
XEN_OP(mmu.alloc_pt, xen_alloc_pt);
XEN_OP(mmu.release_pt, xen_release_pt);
XEN_OP(mmu.lazy_mmu_enter, xen_lazy_mmu_enter);
XEN_OP(mmu.lazy_mmu_flush, xen_lazy_mmu_flush);
XEN_OP(mmu.lazy_mmu_leave, xen_lazy_mmu_leave);
XEN_OP(lock.wait, xen_lock_wait);
XEN_OP(lock.kick, xen_lock_kick);
XEN_OP(cpu.cpuid, xen_cpuid);
XEN_OP(cpu.rdmsr, xen_rdmsr);
XEN_OP(cpu.wrmsr, xen_wrmsr);
XEN_OP(cpu.load_idt, xen_load_idt);
XEN_OP(cpu.load_gdt, xen_load_gdt);
XEN_OP(cpu.load_tr, xen_load_tr);
XEN_OP(cpu.io_delay, xen_nop);
XEN_OP(cpu.wbinvd, xen_nop);
XEN_OP(apic.eoi, xen_nop);
XEN_OP(apic.send_ipi, xen_send_ipi);
XEN_OP(time.sched_clock, xen_sched_clock);
XEN_OP(time.steal_clock, xen_steal_clock);
PV_OVERRIDE(xen_backend, lock.spin_lock, pv_ticket_lock, PV_WHEN_PVSPIN, 0);
PV_OVERRIDE(xen_backend, lock.spin_unlock, pv_ticket_unlock, PV_WHEN_PVSPIN, 0);

/* What holds under Xen so far: nothing at first; xen_trap_init adds pvspin. */
struct pv_facts xen_facts;

void xen_fill_pv_ops(struct pv_ops *ops)
{
	*ops = pv_native_ops;
	pv_overrides_apply((uint64_t *)ops, PV_NR_OPS, __start_pv_overrides, __stop_pv_overrides,
			   &xen_backend, &xen_facts);
}
