/*
 * The native backend: pvos on bare hardware, or on a hypervisor that
 * virtualizes the CPU in hardware (KVM inherits most of this).
 *
 * Its table is pv_native_ops (pvops/table.c), which pv_ops starts as, so
 * the kernel is correct from its first instruction.  This file makes the
 * functions that table points to, from the rows of PV_OP_LIST:
 *
 *  - an ASM row's code becomes pv_native_<name>, the code and a ret, and
 *    the same code becomes the inline template the patcher copies into the
 *    sites of that op.  Spelled once, so the two cannot differ; and since
 *    the function changes only the registers the code changes, a callee-save
 *    op needs no thunk natively.
 *  - an FN row's function is C, written here around arch/x86/cpu.h (or in
 *    arch/x86, for the LAPIC and the TSC).
 */
#include "pvops/backend.h"
#include "pvops/pvlock.h"
#include "kernel/printk.h"

#define NATIVE_ASM_FN(name, code)					\
	asm(".pushsection .text, \"ax\"\n"				\
	    ".globl " #name "\n"					\
	    ".type " #name ", @function\n"				\
	    #name ":\n\t" code "\n\tret\n"				\
	    ".size " #name ", . - " #name "\n"				\
	    ".popsection\n");

#define NATIVE_ASM(group, name, conv, room, clb, code)			\
	NATIVE_ASM_FN(pv_native_##name, code)				\
	DEF_PV_INSN(native_insn_##name, group.name, pv_native_##name, clb, code);
#define NATIVE_FN(...)
PV_OP_LIST(NATIVE_ASM, NATIVE_FN)

/*
 * spin_lock's slow path, called from its inline fast path (PV_OP_LIST) with
 * the lock in %rdi and our ticket in %ax when the ticket is not yet served:
 * wait for the head to reach it.  It changes nothing but the flags, so the
 * fast path stays cheap to inline.
 */
NATIVE_ASM_FN(pv_native_spin_wait, "1: pause; cmpw %ax, (%rdi); jne 1b")
int pv_native_spin_trylock(struct spinlock *l) { return native_spin_trylock(&l->t); }

/* Without a hypervisor to sleep in, waiting for a lock is spinning. */
void pv_native_wait(volatile uint16_t *p, uint16_t want)
{
	if (*p != want)
		asm volatile("pause" ::: "memory");
}

void pv_native_cpuid(uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	native_cpuid(leaf, sub, r);
}

uint64_t pv_native_rdmsr(uint32_t msr) { return native_rdmsr(msr); }
void pv_native_wrmsr(uint32_t msr, uint64_t v) { native_wrmsr(msr, v); }
void pv_native_load_idt(const struct desc_ptr *d) { native_load_idt(d); }
void pv_native_load_gdt(const struct desc_ptr *d) { native_load_gdt(d); }
void pv_native_load_tr(unsigned int sel) { native_load_tr(sel); }

/* Nobody steals time from bare metal. */
uint64_t pv_native_steal_clock(int cpu)
{
	(void)cpu;
	return 0;
}

static bool pv_native_detect(char *why, size_t size)
{
	(void)why;
	(void)size;
	return true;
}

/*
 * Its one override, for a measurement: the paravirtual ticket lock with
 * pvspin=force (pvops/pvlock.c), which `pvsites --plan native` assumes off.
 */
extern const struct pv_backend native_backend;
PV_OVERRIDE(native_backend, lock.spin_lock, pv_ticket_lock, PV_WHEN_PVSPIN_FORCE, 0);
PV_OVERRIDE(native_backend, lock.spin_unlock, pv_ticket_unlock, PV_WHEN_PVSPIN_FORCE, 0);

static void pv_native_install(void)
{
	pv_ops = pv_native_ops;
	pvlock_force_native(&native_backend);
}

/* The monitor's `hv` and `counts`: there is no hypervisor to describe or count. */
static void pv_native_describe(void)
{
	printk("hv: native backend: pvos drives the machine itself and uses no hypervisor interface\n");
}

static void pv_native_counts(void)
{
	printk("counts: native backend: no hypercalls; a VM exit, if pvos runs in a VM at all, "
	       "is seen only by the host\n");
}

const struct pv_backend native_backend = {
	.name = "native",
	.priority = 0,
	.detect = pv_native_detect,
	.install = pv_native_install,
	.describe = pv_native_describe,
	.counts = pv_native_counts,
};
PV_BACKEND(native_backend);
