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
 * normal SysV ABI.  A struct pv_callee_save slot holds a "callee-save thunk":
 * code that preserves every register but %rax.  Hot ops use the callee-save
 * kind, so that a call site need not spill registers around the call, and
 * so that one short native instruction can replace it in place.
 */
#ifndef PVOS_PV_OPS_H
#define PVOS_PV_OPS_H

#include "kernel/types.h"
#include "pvops/site.h"

typedef uint64_t pteval_t;

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* A callee-save thunk, made by PV_CALLEE_SAVE_THUNK() in pvops/pvops.h. */
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
	void (*wait)(volatile uint8_t *ptr, uint8_t val);	/* SMP slow path */
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

extern struct pv_ops pv_ops;

/* Every op once: group, name, calling convention.  Order is free. */
#define PV_OP_LIST(X)					\
	X(irq, save_fl, CALLEE)				\
	X(irq, restore_fl, CALLEE)			\
	X(irq, irq_disable, CALLEE)			\
	X(irq, irq_enable, CALLEE)			\
	X(irq, safe_halt, C)				\
	X(irq, halt, C)					\
	X(mmu, read_cr2, CALLEE)			\
	X(mmu, read_cr3, CALLEE)			\
	X(mmu, write_cr3, CALLEE)			\
	X(mmu, set_pte, CALLEE)				\
	X(mmu, set_pmd, CALLEE)				\
	X(mmu, set_pud, CALLEE)				\
	X(mmu, set_p4d, CALLEE)				\
	X(mmu, pte_clear, CALLEE)			\
	X(mmu, flush_tlb_one, CALLEE)			\
	X(mmu, flush_tlb_local, CALLEE)			\
	X(mmu, make_pte, CALLEE)			\
	X(mmu, pte_val, CALLEE)				\
	X(mmu, alloc_pt, C)				\
	X(mmu, release_pt, C)				\
	X(mmu, lazy_mmu_enter, C)			\
	X(mmu, lazy_mmu_flush, C)			\
	X(mmu, lazy_mmu_leave, C)			\
	X(lock, spin_lock, C)				\
	X(lock, spin_unlock, CALLEE)			\
	X(lock, spin_trylock, C)			\
	X(lock, wait, C)				\
	X(lock, kick, C)				\
	X(cpu, cpuid, C)				\
	X(cpu, rdmsr, C)				\
	X(cpu, wrmsr, C)				\
	X(cpu, load_idt, C)				\
	X(cpu, load_gdt, C)				\
	X(cpu, load_tr, C)				\
	X(cpu, io_delay, C)				\
	X(cpu, wbinvd, C)				\
	X(apic, eoi, C)					\
	X(apic, send_ipi, C)				\
	X(time, sched_clock, C)				\
	X(time, steal_clock, C)				\
	X(hv, hypercall, CALLEE)

/* The op number recorded in a site: its slot's index in the table. */
#define PV_OP(slot)	(offsetof(struct pv_ops, slot) / sizeof(void *))
#define PV_NR_OPS	(sizeof(struct pv_ops) / sizeof(void *))

struct pv_op_info {
	const char *name;	/* "irq.save_fl" */
	enum pv_conv conv;
};

/* Indexed by op number; name is NULL for a number that is no op. */
extern const struct pv_op_info pv_op_info[];
const struct pv_op_info *pv_op_lookup(unsigned int op);

#endif
