/*
 * The native backend: pvos on bare hardware, or on a hypervisor that
 * virtualizes the CPU in hardware (KVM inherits most of this).
 *
 * Each op is a C function around the instruction in native.h.  pv_ops
 * starts out holding these, so the kernel is correct from its first
 * instruction.  native_insns.c gives the patcher the same instructions as
 * bytes, so that patched native code runs the instruction itself.
 */
#include "pvops/backend.h"
#include "backends/native/native_ops.h"

unsigned long pv_native_save_fl(void) { return native_save_fl(); }
void pv_native_restore_fl(unsigned long f) { native_restore_fl(f); }
void pv_native_irq_disable(void) { native_irq_disable(); }
void pv_native_irq_enable(void) { native_irq_enable(); }
void pv_native_safe_halt(void) { native_safe_halt(); }
void pv_native_halt(void) { native_halt(); }

unsigned long pv_native_read_cr2(void) { return native_read_cr2(); }
unsigned long pv_native_read_cr3(void) { return native_read_cr3(); }
void pv_native_write_cr3(unsigned long v) { native_write_cr3(v); }
void pv_native_set_pte(pteval_t *p, pteval_t v) { native_set_pte(p, v); }
void pv_native_pte_clear(pteval_t *p) { native_pte_clear(p); }
void pv_native_flush_tlb_one(unsigned long va) { native_flush_tlb_one(va); }
void pv_native_flush_tlb_local(void) { native_flush_tlb_local(); }
pteval_t pv_native_make_pte(pteval_t v) { return v; }
pteval_t pv_native_pte_val(pteval_t v) { return v; }

/* Natively nothing needs to know when a page becomes a page table. */
void pv_native_alloc_pt(unsigned long pfn, int level) { (void)pfn; (void)level; }
void pv_native_release_pt(unsigned long pfn, int level) { (void)pfn; (void)level; }
void pv_native_nop(void) { }

void pv_native_spin_lock(struct spinlock *l) { native_spin_lock(&l->locked); }
void pv_native_spin_unlock(struct spinlock *l) { native_spin_unlock(&l->locked); }
int pv_native_spin_trylock(struct spinlock *l) { return native_spin_trylock(&l->locked); }

/* Without a hypervisor to sleep in, waiting for a lock is spinning. */
void pv_native_wait(volatile uint8_t *p, uint8_t val)
{
	if (*p == val)
		asm volatile("pause" ::: "memory");
}

void pv_native_kick(int cpu) { (void)cpu; }

void pv_native_cpuid(uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	native_cpuid(leaf, sub, r);
}

uint64_t pv_native_rdmsr(uint32_t msr) { return native_rdmsr(msr); }
void pv_native_wrmsr(uint32_t msr, uint64_t v) { native_wrmsr(msr, v); }
void pv_native_load_idt(const struct desc_ptr *d) { native_load_idt(d); }
void pv_native_load_gdt(const struct desc_ptr *d) { native_load_gdt(d); }
void pv_native_load_tr(unsigned int sel) { native_load_tr(sel); }
void pv_native_io_delay(void) { native_io_delay(); }
void pv_native_wbinvd(void) { native_wbinvd(); }

/* No hypervisor: a hypercall fails with -ENOSYS (38), touching only %rax. */
asm(".pushsection .text, \"ax\"\n"
    ".globl pv_native_hypercall\n"
    ".type pv_native_hypercall, @function\n"
    "pv_native_hypercall:\n\t"
    "mov $-38, %rax\n\t"
    "ret\n"
    ".size pv_native_hypercall, . - pv_native_hypercall\n"
    ".popsection\n");
extern char pv_native_hypercall[];

PV_CALLEE_SAVE_THUNK(pv_native_save_fl);
PV_CALLEE_SAVE_THUNK(pv_native_restore_fl);
PV_CALLEE_SAVE_THUNK(pv_native_irq_disable);
PV_CALLEE_SAVE_THUNK(pv_native_irq_enable);
PV_CALLEE_SAVE_THUNK(pv_native_read_cr2);
PV_CALLEE_SAVE_THUNK(pv_native_read_cr3);
PV_CALLEE_SAVE_THUNK(pv_native_write_cr3);
PV_CALLEE_SAVE_THUNK(pv_native_set_pte);
PV_CALLEE_SAVE_THUNK(pv_native_pte_clear);
PV_CALLEE_SAVE_THUNK(pv_native_flush_tlb_one);
PV_CALLEE_SAVE_THUNK(pv_native_flush_tlb_local);
PV_CALLEE_SAVE_THUNK_RAX(pv_native_make_pte);
PV_CALLEE_SAVE_THUNK_RAX(pv_native_pte_val);
PV_CALLEE_SAVE_THUNK(pv_native_spin_unlock);

#define NATIVE_PV_OPS {							\
	.irq = {							\
		.save_fl = PV_CALLEE_SAVE(pv_native_save_fl),		\
		.restore_fl = PV_CALLEE_SAVE(pv_native_restore_fl),	\
		.irq_disable = PV_CALLEE_SAVE(pv_native_irq_disable),	\
		.irq_enable = PV_CALLEE_SAVE(pv_native_irq_enable),	\
		.safe_halt = pv_native_safe_halt,			\
		.halt = pv_native_halt,					\
	},								\
	.mmu = {							\
		.read_cr2 = PV_CALLEE_SAVE(pv_native_read_cr2),		\
		.read_cr3 = PV_CALLEE_SAVE(pv_native_read_cr3),		\
		.write_cr3 = PV_CALLEE_SAVE(pv_native_write_cr3),	\
		.set_pte = PV_CALLEE_SAVE(pv_native_set_pte),		\
		.set_pmd = PV_CALLEE_SAVE(pv_native_set_pte),		\
		.set_pud = PV_CALLEE_SAVE(pv_native_set_pte),		\
		.set_p4d = PV_CALLEE_SAVE(pv_native_set_pte),		\
		.pte_clear = PV_CALLEE_SAVE(pv_native_pte_clear),	\
		.flush_tlb_one = PV_CALLEE_SAVE(pv_native_flush_tlb_one), \
		.flush_tlb_local = PV_CALLEE_SAVE(pv_native_flush_tlb_local), \
		.make_pte = PV_CALLEE_SAVE(pv_native_make_pte),		\
		.pte_val = PV_CALLEE_SAVE(pv_native_pte_val),		\
		.alloc_pt = pv_native_alloc_pt,				\
		.release_pt = pv_native_release_pt,			\
		.lazy_mmu_enter = pv_native_nop,			\
		.lazy_mmu_flush = pv_native_nop,			\
		.lazy_mmu_leave = pv_native_nop,			\
	},								\
	.lock = {							\
		.spin_lock = pv_native_spin_lock,			\
		.spin_unlock = PV_CALLEE_SAVE(pv_native_spin_unlock),	\
		.spin_trylock = pv_native_spin_trylock,			\
		.wait = pv_native_wait,					\
		.kick = pv_native_kick,					\
	},								\
	.cpu = {							\
		.cpuid = pv_native_cpuid,				\
		.rdmsr = pv_native_rdmsr,				\
		.wrmsr = pv_native_wrmsr,				\
		.load_idt = pv_native_load_idt,				\
		.load_gdt = pv_native_load_gdt,				\
		.load_tr = pv_native_load_tr,				\
		.io_delay = pv_native_io_delay,				\
		.wbinvd = pv_native_wbinvd,				\
	},								\
	.apic = {							\
		.eoi = native_apic_eoi,					\
		.send_ipi = native_send_ipi,				\
	},								\
	.time = {							\
		.sched_clock = native_sched_clock,			\
		.steal_clock = native_steal_clock,			\
	},								\
	.hv = {								\
		.hypercall = { .func = pv_native_hypercall },		\
	},								\
}

/* The live table starts native; native_pv_ops keeps a copy to go back to. */
struct pv_ops pv_ops = NATIVE_PV_OPS;
const struct pv_ops native_pv_ops = NATIVE_PV_OPS;

static bool native_detect(char *why, size_t size)
{
	(void)why;
	(void)size;
	return true;
}

static void native_install(void)
{
	pv_ops = native_pv_ops;
}

static const struct pv_backend native_backend = {
	.name = "native",
	.priority = 0,
	.detect = native_detect,
	.install = native_install,
};
PV_BACKEND(native_backend);
