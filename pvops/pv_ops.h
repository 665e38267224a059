/*
 * struct pv_ops: the one table through which pvos does every privileged
 * operation.  It is grouped as Linux groups its paravirt ops.
 *
 * At boot the table holds the native functions, so an unpatched kernel runs
 * on bare hardware (or under KVM) with no setup at all.  A backend
 * (backends/) overwrites the slots it needs, and then the patcher
 * (pvops/patcher.c) rewrites every recorded call site to match.
 *
 * Slots are of two kinds.  A plain slot holds a C function called with the
 * normal SysV ABI.  A struct pv_callee_save slot holds code that preserves
 * every register but %rax: natively the instruction itself and a ret, for a
 * hypervisor a "callee-save thunk" around a C function.  Hot ops use the
 * callee-save kind, so that a call site need not spill registers around the
 * call, and so that one short native instruction can replace it in place.
 */
#ifndef PVOS_PV_OPS_H
#define PVOS_PV_OPS_H

#include "kernel/types.h"
#include "arch/x86/cpu.h"
#include "pvops/site.h"

/* A callee-save function: native asm, or a PV_CALLEE_SAVE_THUNK (pvops/backend.h). */
struct pv_callee_save {
	void *func;
};

struct pv_irq_ops {
	struct pv_callee_save save_fl;		/* unsigned long (void) */
	struct pv_callee_save restore_fl;	/* void (unsigned long flags) */
	struct pv_callee_save irq_disable;	/* void (void) */
	struct pv_callee_save irq_enable;	/* void (void) */
	void (*safe_halt)(void);		/* enable interrupts and wait */
	void (*halt)(void);			/* wait, interrupts as they are */
};

struct pv_mmu_ops {
	struct pv_callee_save read_cr2;		/* unsigned long (void) */
	struct pv_callee_save read_cr3;		/* unsigned long (void) */
	struct pv_callee_save write_cr3;	/* void (unsigned long) */
	struct pv_callee_save set_pte;		/* void (pteval_t *, pteval_t) */
	struct pv_callee_save set_pmd;
	struct pv_callee_save set_pud;
	struct pv_callee_save set_p4d;
	struct pv_callee_save pte_clear;	/* void (pteval_t *) */
	struct pv_callee_save flush_tlb_one;	/* void (unsigned long va) */
	struct pv_callee_save flush_tlb_local;	/* void (void) */
	void (*flush_tlb_multi)(uint32_t cpus, unsigned long va);	/* other CPUs' TLBs */
	struct pv_callee_save make_pte;		/* pteval_t (pteval_t pseudo-phys) */
	struct pv_callee_save pte_val;		/* pteval_t (pteval_t as stored) */
	void (*alloc_pt)(unsigned long pfn, int level);
	void (*release_pt)(unsigned long pfn, int level);
	void (*lazy_mmu_enter)(void);
	void (*lazy_mmu_flush)(void);
	void (*lazy_mmu_leave)(void);
};

struct spinlock;

struct pv_lock_ops {
	void (*spin_lock)(struct spinlock *);
	struct pv_callee_save spin_unlock;	/* void (struct spinlock *) */
	int (*spin_trylock)(struct spinlock *);
	/* The paravirtual slow path: sleep until *ptr == want or kicked; wake cpu. */
	void (*wait)(volatile uint16_t *ptr, uint16_t want);
	void (*kick)(int cpu);
};

struct pv_cpu_ops {
	void (*cpuid)(uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r);
	uint64_t (*rdmsr)(uint32_t msr);
	void (*wrmsr)(uint32_t msr, uint64_t val);
	void (*load_idt)(const struct desc_ptr *);
	void (*load_gdt)(const struct desc_ptr *);
	void (*load_tr)(unsigned int selector);
	void (*io_delay)(void);
	void (*wbinvd)(void);
};

struct pv_apic_ops {
	void (*eoi)(void);
	void (*send_ipi)(int cpu, int vector);
};

struct pv_time_ops {
	uint64_t (*sched_clock)(void);		/* nanoseconds since boot */
	uint64_t (*steal_clock)(int cpu);	/* nanoseconds stolen by the host */
};

/*
 * A raw hypercall in KVM's register convention (Linux's kvm_hypercallN):
 * number in %rax, arguments in %rbx, %rcx, %rdx, %rsi, result in %rax, every
 * other register preserved.  Its sites are patched to the vmcall or vmmcall
 * instruction itself.  Natively there is no one to call: it returns -ENOSYS.
 */
struct pv_hv_ops {
	struct pv_callee_save hypercall;
};

struct pv_ops {
	struct pv_irq_ops irq;
	struct pv_mmu_ops mmu;
	struct pv_lock_ops lock;
	struct pv_cpu_ops cpu;
	struct pv_apic_ops apic;
	struct pv_time_ops time;
	struct pv_hv_ops hv;
};

/* The live table, and the native one it starts as (both in pvops/table.c). */
extern struct pv_ops pv_ops;
extern const struct pv_ops pv_native_ops;

/*
 * Every op once, in one row that says everything pvos needs to know of it:
 * its group and name, how it is called (C or CALLEE), the room its sites
 * reserve, and what it is natively.  Two kinds of row:
 *
 *   ASM(group, name, conv, room, clobbers, "code")
 *	natively the op is this code.  backends/native/native.c turns the row
 *	into the function pv_native_<name> (the code, then ret) and into the
 *	inline template the patcher copies into a site; `clobbers` (PV_CLB_*)
 *	says which registers the code changes, plus PV_INSN_CALLS if the code
 *	ends with a call out (its slow path).
 *   FN(group, name, conv, room, function)
 *	natively the op is this C function (plain C convention).
 *
 * `room` is the bytes every site of the op owns: the 6-byte indirect call,
 * or the longest inline code any backend has for the op, whichever is
 * longer.  Bigger sites cost text and, where a backend's code is shorter,
 * one padding instruction; the self-test "every template fits its op's
 * room exactly" (pvops/selftests.c) keeps the numbers honest both ways.
 *
 * From the rows come the op names (pv_ops.c), the native table that pv_ops
 * starts as (table.c), the native functions and templates (backends/
 * native), and the register self-test's call sites.  Adding an op is: a
 * row here, its wrapper in pvops/pvops.h, and an override in each backend
 * that does it differently (docs/pvops.md).  Order is free.
 */
#define PV_OP_LIST(ASM, FN)							\
	ASM(irq, save_fl, CALLEE, 16, PV_CLB_RAX, "pushfq; popq %rax")		\
	ASM(irq, restore_fl, CALLEE, 31, PV_CLB_NONE, "pushq %rdi; popfq")		\
	ASM(irq, irq_disable, CALLEE, 9, PV_CLB_NONE, "cli")			\
	ASM(irq, irq_enable, CALLEE, 25, PV_CLB_NONE, "sti")			\
	ASM(irq, safe_halt, C, 6, PV_CLB_NONE, "sti; hlt")				\
	ASM(irq, halt, C, 6, PV_CLB_NONE, "hlt")					\
	ASM(mmu, read_cr2, CALLEE, 6, PV_CLB_RAX, "mov %cr2, %rax")		\
	ASM(mmu, read_cr3, CALLEE, 6, PV_CLB_RAX, "mov %cr3, %rax")		\
	ASM(mmu, write_cr3, CALLEE, 6, PV_CLB_NONE, "mov %rdi, %cr3")		\
	ASM(mmu, set_pte, CALLEE, 6, PV_CLB_NONE, "mov %rsi, (%rdi)")		\
	ASM(mmu, set_pmd, CALLEE, 6, PV_CLB_NONE, "mov %rsi, (%rdi)")		\
	ASM(mmu, set_pud, CALLEE, 6, PV_CLB_NONE, "mov %rsi, (%rdi)")		\
	ASM(mmu, set_p4d, CALLEE, 6, PV_CLB_NONE, "mov %rsi, (%rdi)")		\
	ASM(mmu, pte_clear, CALLEE, 6, PV_CLB_NONE, "andq $0, (%rdi)")		\
	ASM(mmu, flush_tlb_one, CALLEE, 6, PV_CLB_NONE, "invlpg (%rdi)")		\
	ASM(mmu, flush_tlb_local, CALLEE, 6, PV_CLB_RAX,				\
	    "mov %cr3, %rax; mov %rax, %cr3")					\
	FN(mmu, flush_tlb_multi, C, 6, ipi_flush_tlb_multi)			\
	/* The identity, its value in %rax both ways: natively nothing at all. */ \
	ASM(mmu, make_pte, CALLEE, 6, PV_CLB_NONE, "")				\
	ASM(mmu, pte_val, CALLEE, 6, PV_CLB_NONE, "")				\
	/* Natively nothing needs to know when a page becomes a page table. */	\
	ASM(mmu, alloc_pt, C, 6, PV_CLB_NONE, "")					\
	ASM(mmu, release_pt, C, 6, PV_CLB_NONE, "")				\
	ASM(mmu, lazy_mmu_enter, C, 6, PV_CLB_NONE, "")				\
	ASM(mmu, lazy_mmu_flush, C, 6, PV_CLB_NONE, "")				\
	ASM(mmu, lazy_mmu_leave, C, 6, PV_CLB_NONE, "")				\
	/* The uncontended path inline: take a ticket, is it being served? */	\
	ASM(lock, spin_lock, C, 24, PV_CLB_RAX | PV_INSN_CALLS,			\
	    "mov $2, %eax; lock xaddw %ax, 2(%rdi); and $-2, %eax; "		\
	    "cmpw %ax, (%rdi); je 1f; call pv_native_spin_wait; 1:")		\
	ASM(lock, spin_unlock, CALLEE, 6, PV_CLB_NONE, "addw $2, (%rdi)")		\
	FN(lock, spin_trylock, C, 6, pv_native_spin_trylock)			\
	FN(lock, wait, C, 6, pv_native_wait)					\
	ASM(lock, kick, C, 6, PV_CLB_NONE, "")					\
	FN(cpu, cpuid, C, 6, pv_native_cpuid)					\
	FN(cpu, rdmsr, C, 6, pv_native_rdmsr)					\
	FN(cpu, wrmsr, C, 6, pv_native_wrmsr)					\
	FN(cpu, load_idt, C, 6, pv_native_load_idt)				\
	FN(cpu, load_gdt, C, 6, pv_native_load_gdt)				\
	FN(cpu, load_tr, C, 6, pv_native_load_tr)					\
	ASM(cpu, io_delay, C, 6, PV_CLB_NONE, "outb %al, $0x80")			\
	ASM(cpu, wbinvd, C, 6, PV_CLB_NONE, "wbinvd")				\
	FN(apic, eoi, C, 6, lapic_eoi)						\
	FN(apic, send_ipi, C, 6, lapic_send_ipi)					\
	FN(time, sched_clock, C, 6, tsc_sched_clock)				\
	FN(time, steal_clock, C, 6, pv_native_steal_clock)				\
	/* No hypervisor to call: -ENOSYS (38), touching only %rax. */		\
	ASM(hv, hypercall, CALLEE, 7, PV_CLB_RAX, "mov $-38, %rax")

/*
 * Every op, whatever its kind of row: X(group, name, conv, ...), where X
 * takes (and may ignore) the rest of the row.
 */
#define PV_OP_EACH(X)	PV_OP_LIST(X, X)

/*
 * Each op's native function, declared with its slot's type (a callee-save
 * one is code, char[]), so that its definition is checked against the slot.
 */
#define PV_DECL_ASM(group, name, conv, room, clb, code) \
	PV_DECL_##conv(group, name, pv_native_##name)
#define PV_DECL_FN(group, name, conv, room, fn)	PV_DECL_##conv(group, name, fn)
#define PV_DECL_C(group, name, fn)		extern __typeof__(*pv_ops.group.name) fn;
#define PV_DECL_CALLEE(group, name, fn)	extern char fn[];
PV_OP_LIST(PV_DECL_ASM, PV_DECL_FN)

/* The op number recorded in a site: its slot's index in the table. */
#define PV_OP(slot)	(offsetof(struct pv_ops, slot) / sizeof(void *))
#define PV_NR_OPS	(sizeof(struct pv_ops) / sizeof(void *))

/* PV_ROOM(irq, save_fl): the bytes each site of the op owns (its row's room). */
#define PV_ROOM_ENUM(group, name, conv, room, ...)	PV_ROOM_##group##_##name = (room),
enum pv_op_room { PV_OP_EACH(PV_ROOM_ENUM) };
#define PV_ROOM(group, name)	PV_ROOM_##group##_##name

struct pv_op_info {
	const char *name;	/* "irq.save_fl" */
	enum pv_conv conv;
	unsigned int room;	/* bytes each of its sites owns */
};

/* Indexed by op number; name is NULL for a number that is no op. */
extern const struct pv_op_info pv_op_info[];
const struct pv_op_info *pv_op_lookup(unsigned int op);

#endif
