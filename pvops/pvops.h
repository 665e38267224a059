/*
 * The wrappers through which all of pvos does privileged work:
 * local_irq_save(), write_cr3(), set_pte(), spin_lock(), cpuid(), ...
 *
 * In the normal (PARAVIRT=1) build each wrapper is one call site of one of
 * two kinds.  A recorded call site (PVOP_CALL*, PVOP_CALLEE*) is an
 * indirect call through its pv_ops slot, plus a struct pv_site in the
 * .pv_sites section saying where it is, which op, how long, and which
 * registers the callee may clobber.  A link-time call site is a plain C
 * call to the op's trampoline (pvcall_*), found at link time
 * (pvops/calls.h).  Either is always safe to run as it is; the patcher may
 * later turn a recorded site into the native instruction or a direct call,
 * and a link-time one into a direct call or a NOP.  In a PARAVIRT=0 build
 * the same wrappers are the native instructions themselves, with no table
 * and no sites.
 *
 * Only pvops/ and backends/ know how this works; the rest of the kernel just
 * calls the wrappers.
 */
#ifndef PVOS_PVOPS_H
#define PVOS_PVOPS_H

#include "pvops/pv_ops.h"
#include "arch/x86/cpu.h"
#include "arch/x86/apic.h"
#include "arch/x86/time.h"
#include "arch/x86/tlb.h"

/*
 * A spinlock: a fair ticket lock (arch/x86/cpu.h), and what `lockdebug`
 * keeps of it (pvops/lockdebug.c): its name, who holds it, since when.
 * SPINLOCK("name") initializes one.
 */
struct spinlock {
	struct ticketlock t;		/* first: the lock ops take its address */
	int16_t owner;			/* lockdebug: the holding CPU, or -1 */
	uint64_t since;			/* lockdebug: rdtsc when it was taken */
	const char *name;
};
#define SPINLOCK(nm)	{ .owner = -1, .name = nm }
#define SPINLOCK_INIT	SPINLOCK("a lock")

#if PARAVIRT

/* Telling gcc the asm uses %rsp makes it set up the frame before the call. */
register unsigned long current_stack_pointer asm("rsp");

/*
 * One call site of op group.name, PV_ROOM(group, name) bytes long: padding,
 * then the indirect call, so that the call ends where the site ends (see
 * pvops/site.h).  Up to 11 bytes of padding is one NOP; more is a short jmp
 * over int3s, one instruction either way, and the bytes pv_nop_fill (patch.c)
 * writes.  771/772 are local labels: the entry records the site's start
 * and, as their difference, its length.  The entry layout is struct pv_site
 * (pvops/site.h).
 */
#define PV_ASM_SITE							\
	"771:\n\t"							\
	".if %c[pv_pad] > 11\n\t"					\
	".byte 0xeb, %c[pv_pad] - 2\n\t"	/* jmp over the int3s */	\
	".skip %c[pv_pad] - 2, 0xcc\n\t"				\
	".else\n\t"							\
	".nops %c[pv_pad]\n\t"						\
	".endif\n\t"							\
	"call *pv_ops+%c[pv_off](%%rip)\n"				\
	"772:\n\t"							\
	".pushsection .pv_sites, \"aw\"\n\t"				\
	".balign 8\n\t"							\
	".quad 771b\n\t"						\
	".short %c[pv_op]\n\t"						\
	".byte 772b-771b, 0\n\t"					\
	".short %c[pv_clb], 0\n\t"					\
	".popsection\n"

#define PV_ASM_ARGS(group, name, clb)					\
	[pv_off] "i"(offsetof(struct pv_ops, group.name)),		\
	[pv_op] "i"(PV_OP(group.name)), [pv_clb] "i"(clb),		\
	[pv_pad] "i"(PV_ROOM(group, name) - PV_SITE_CALL_LEN)

/* Callee-save ops: arguments in %rdi, %rsi; only %rax comes back changed. */
#define PVOP_CALLEE0(group, name) ({						\
	unsigned long __ret;						\
	asm volatile(PV_ASM_SITE					\
		     : "=a"(__ret), "+r"(current_stack_pointer)		\
		     : PV_ASM_ARGS(group, name, PV_CLB_CALLEE)			\
		     : "memory", "cc");					\
	__ret; })

#define PVOP_CALLEE1(group, name, a1) ({					\
	unsigned long __ret;						\
	asm volatile(PV_ASM_SITE					\
		     : "=a"(__ret), "+r"(current_stack_pointer)		\
		     : "D"((unsigned long)(a1)),			\
		       PV_ASM_ARGS(group, name, PV_CLB_CALLEE)			\
		     : "memory", "cc");					\
	__ret; })

#define PVOP_CALLEE2(group, name, a1, a2) ({					\
	unsigned long __ret;						\
	asm volatile(PV_ASM_SITE					\
		     : "=a"(__ret), "+r"(current_stack_pointer)		\
		     : "D"((unsigned long)(a1)), "S"((unsigned long)(a2)), \
		       PV_ASM_ARGS(group, name, PV_CLB_CALLEE)			\
		     : "memory", "cc");					\
	__ret; })

/*
 * Callee-save ops whose one argument is also their result, in %rax both
 * ways: make_pte and pte_val.  Natively they are the identity, so the
 * native "inline code" is empty and the site becomes a single NOP.
 */
#define PVOP_CALLEE_RAX(group, name, a1) ({					\
	unsigned long __ret;						\
	asm volatile(PV_ASM_SITE					\
		     : "=a"(__ret), "+r"(current_stack_pointer)		\
		     : "0"((unsigned long)(a1)),			\
		       PV_ASM_ARGS(group, name, PV_CLB_CALLEE)			\
		     : "memory", "cc");					\
	__ret; })

/*
 * Plain C ops: the callee may clobber every caller-saved register.  The
 * argument and result registers are the asm's outputs below; the rest are
 * listed once, here, and make both the clobber list the compiler obeys and
 * the mask the site records (PV_CLB_C_SITE).  So the two cannot disagree:
 * drop r11 from the list and the record says so too, and pvsites and
 * check-sites refuse every C site, whose convention needs r11.
 */
#define PV_C_SCRATCH(X)	X(r8, PV_CLB_R8) X(r9, PV_CLB_R9) X(r10, PV_CLB_R10) X(r11, PV_CLB_R11)
#define PV_CLOBBER_NAME(reg, bit)	#reg,
#define PV_CLOBBER_BIT(reg, bit)	| (bit)
#define PV_C_CLOBBERS	PV_C_SCRATCH(PV_CLOBBER_NAME) "memory", "cc"
#define PV_CLB_C_SITE	(PV_CLB_RAX | PV_CLB_RCX | PV_CLB_RDX | PV_CLB_RSI | PV_CLB_RDI \
			 PV_C_SCRATCH(PV_CLOBBER_BIT))

#define PVOP_CALL0(group, name) ({						\
	unsigned long __a, __di, __si, __dx, __cx;			\
	asm volatile(PV_ASM_SITE					\
		     : "=a"(__a), "=D"(__di), "=S"(__si), "=d"(__dx),	\
		       "=c"(__cx), "+r"(current_stack_pointer)		\
		     : PV_ASM_ARGS(group, name, PV_CLB_C_SITE)			\
		     : PV_C_CLOBBERS);					\
	(void)__di; (void)__si; (void)__dx; (void)__cx;			\
	__a; })

#define PVOP_CALL1(group, name, a1) ({						\
	unsigned long __a, __di = (unsigned long)(a1), __si, __dx, __cx;	\
	asm volatile(PV_ASM_SITE					\
		     : "=a"(__a), "+D"(__di), "=S"(__si), "=d"(__dx),	\
		       "=c"(__cx), "+r"(current_stack_pointer)		\
		     : PV_ASM_ARGS(group, name, PV_CLB_C_SITE)			\
		     : PV_C_CLOBBERS);					\
	(void)__si; (void)__dx; (void)__cx;				\
	__a; })

#define PVOP_CALL2(group, name, a1, a2) ({					\
	unsigned long __a, __di = (unsigned long)(a1);			\
	unsigned long __si = (unsigned long)(a2), __dx, __cx;		\
	asm volatile(PV_ASM_SITE					\
		     : "=a"(__a), "+D"(__di), "+S"(__si), "=d"(__dx),	\
		       "=c"(__cx), "+r"(current_stack_pointer)		\
		     : PV_ASM_ARGS(group, name, PV_CLB_C_SITE)			\
		     : PV_C_CLOBBERS);					\
	(void)__dx; (void)__cx;						\
	__a; })

#define PVOP_CALL3(group, name, a1, a2, a3) ({					\
	unsigned long __a, __di = (unsigned long)(a1);			\
	unsigned long __si = (unsigned long)(a2);			\
	unsigned long __dx = (unsigned long)(a3), __cx;			\
	asm volatile(PV_ASM_SITE					\
		     : "=a"(__a), "+D"(__di), "+S"(__si), "+d"(__dx),	\
		       "=c"(__cx), "+r"(current_stack_pointer)		\
		     : PV_ASM_ARGS(group, name, PV_CLB_C_SITE)			\
		     : PV_C_CLOBBERS);					\
	(void)__cx;							\
	__a; })

/*
 * Link-time call sites (pvops/calls.h): each C-convention op's trampoline,
 * pvcall_<group>_<name>, declared with its slot's type.  A wrapper that
 * calls one makes an ordinary C call, type-checked, with no site record:
 * tools/pvcalls.c finds it after the first link.  Ops whose native form is
 * code worth inlining (safe_halt, halt, spin_lock, io_delay, wbinvd) and
 * the callee-save ops stay recorded sites (docs/pvops.md).
 */
#define PV_TRAMP_DECL_C(group, name)	extern __typeof__(*pv_ops.group.name) pvcall_##group##_##name;
#define PV_TRAMP_DECL_CALLEE(group, name)
#define PV_TRAMP_DECL(group, name, conv, ...)	PV_TRAMP_DECL_##conv(group, name)
PV_OP_EACH(PV_TRAMP_DECL)

/* PV(pv-form, native-form): which one this build uses for a wrapper. */
#define PV(pv, native)	pv

#else /* !PARAVIRT */

#define PV(pv, native)	native

#endif

/* ---- irq ---- */
static inline unsigned long save_fl(void)
{ return PV(PVOP_CALLEE0(irq, save_fl), native_save_fl()); }
static inline void restore_fl(unsigned long f)
{ PV((void)PVOP_CALLEE1(irq, restore_fl, f), native_restore_fl(f)); }
static inline void local_irq_disable(void)
{ PV((void)PVOP_CALLEE0(irq, irq_disable), native_irq_disable()); }
static inline void local_irq_enable(void)
{ PV((void)PVOP_CALLEE0(irq, irq_enable), native_irq_enable()); }
static inline void safe_halt(void)
{ PV((void)PVOP_CALL0(irq, safe_halt), native_safe_halt()); }
static inline void halt(void)
{ PV((void)PVOP_CALL0(irq, halt), native_halt()); }

#define X86_EFLAGS_IF	0x200UL
#define local_irq_save(f)	do { (f) = save_fl(); local_irq_disable(); } while (0)
#define local_irq_restore(f)	restore_fl(f)
static inline bool irqs_disabled(void) { return !(save_fl() & X86_EFLAGS_IF); }

/* ---- mmu ---- */
static inline unsigned long read_cr2(void)
{ return PV(PVOP_CALLEE0(mmu, read_cr2), native_read_cr2()); }
static inline unsigned long read_cr3(void)
{ return PV(PVOP_CALLEE0(mmu, read_cr3), native_read_cr3()); }
static inline void write_cr3(unsigned long v)
{ PV((void)PVOP_CALLEE1(mmu, write_cr3, v), native_write_cr3(v)); }
static inline void set_pte(pteval_t *p, pteval_t v)
{ PV((void)PVOP_CALLEE2(mmu, set_pte, p, v), native_set_pte(p, v)); }
static inline void set_pmd(pteval_t *p, pteval_t v)
{ PV((void)PVOP_CALLEE2(mmu, set_pmd, p, v), native_set_pte(p, v)); }
static inline void set_pud(pteval_t *p, pteval_t v)
{ PV((void)PVOP_CALLEE2(mmu, set_pud, p, v), native_set_pte(p, v)); }
static inline void set_p4d(pteval_t *p, pteval_t v)
{ PV((void)PVOP_CALLEE2(mmu, set_p4d, p, v), native_set_pte(p, v)); }
static inline void pte_clear(pteval_t *p)
{ PV((void)PVOP_CALLEE1(mmu, pte_clear, p), native_pte_clear(p)); }
static inline void flush_tlb_one(unsigned long va)
{ PV((void)PVOP_CALLEE1(mmu, flush_tlb_one, va), native_flush_tlb_one(va)); }
static inline void flush_tlb_local(void)
{ PV((void)PVOP_CALLEE0(mmu, flush_tlb_local), native_flush_tlb_local()); }
/* Flush va (TLB_FLUSH_ALL: everything) from the TLBs of the CPUs in the mask. */
static inline void flush_tlb_multi(uint32_t cpus, unsigned long va)
{ PV(pvcall_mmu_flush_tlb_multi(cpus, va), ipi_flush_tlb_multi(cpus, va)); }
static inline pteval_t make_pte(pteval_t v)
{ return PV(PVOP_CALLEE_RAX(mmu, make_pte, v), native_make_pte(v)); }
static inline pteval_t pte_val(pteval_t v)
{ return PV(PVOP_CALLEE_RAX(mmu, pte_val, v), native_pte_val(v)); }
static inline void paravirt_alloc_pt(unsigned long pfn, int level)
{ PV(pvcall_mmu_alloc_pt(pfn, level), ((void)pfn, (void)level)); }
static inline void paravirt_release_pt(unsigned long pfn, int level)
{ PV(pvcall_mmu_release_pt(pfn, level), ((void)pfn, (void)level)); }
static inline void lazy_mmu_enter(void)
{ PV(pvcall_mmu_lazy_mmu_enter(), (void)0); }
static inline void lazy_mmu_flush(void)
{ PV(pvcall_mmu_lazy_mmu_flush(), (void)0); }
static inline void lazy_mmu_leave(void)
{ PV(pvcall_mmu_lazy_mmu_leave(), (void)0); }

/* ---- lock ---- */
static inline void spin_lock(struct spinlock *l)
{ PV((void)PVOP_CALL1(lock, spin_lock, l), native_spin_lock(&l->t)); }
static inline void spin_unlock(struct spinlock *l)
{ PV((void)PVOP_CALLEE1(lock, spin_unlock, l), native_spin_unlock(&l->t)); }
static inline int spin_trylock(struct spinlock *l)
{ return PV(pvcall_lock_spin_trylock(l), native_spin_trylock(&l->t)); }
/* For the paravirtual slow path (pvops/pvlock.c). */
static inline void lock_wait(volatile uint16_t *ptr, uint16_t want)
{ PV(pvcall_lock_wait(ptr, want), ((void)ptr, (void)want)); }
static inline void lock_kick(int cpu)
{ PV(pvcall_lock_kick(cpu), (void)cpu); }

/* ---- cpu ---- */
static inline void cpuid(uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r)
{ PV(pvcall_cpu_cpuid(leaf, subleaf, r), native_cpuid(leaf, subleaf, r)); }
/*
 * A hypervisor's CPUID signature leaf: "KVMKVMKVM", "XenVMMXenVMM", ... in
 * sig (unprintable bytes as '?'); returns the leaf's EAX, its highest leaf.
 */
static inline uint32_t cpuid_signature(uint32_t leaf, char sig[13])
{
	struct cpuid_regs r;

	cpuid(leaf, 0, &r);
	__builtin_memcpy(sig, &r.ebx, 4);
	__builtin_memcpy(sig + 4, &r.ecx, 4);
	__builtin_memcpy(sig + 8, &r.edx, 4);
	sig[12] = '\0';
	for (int i = 0; i < 12; i++)
		if (sig[i] && (sig[i] < 0x20 || sig[i] > 0x7e))
			sig[i] = '?';
	return r.eax;
}
static inline uint64_t rdmsr(uint32_t msr)
{ return PV(pvcall_cpu_rdmsr(msr), native_rdmsr(msr)); }
static inline void wrmsr(uint32_t msr, uint64_t v)
{ PV(pvcall_cpu_wrmsr(msr, v), native_wrmsr(msr, v)); }
static inline void load_idt(const struct desc_ptr *d)
{ PV(pvcall_cpu_load_idt(d), native_load_idt(d)); }
static inline void load_gdt(const struct desc_ptr *d)
{ PV(pvcall_cpu_load_gdt(d), native_load_gdt(d)); }
static inline void load_tr(unsigned int sel)
{ PV(pvcall_cpu_load_tr(sel), native_load_tr(sel)); }
static inline void io_delay(void)
{ PV((void)PVOP_CALL0(cpu, io_delay), native_io_delay()); }
static inline void wbinvd(void)
{ PV((void)PVOP_CALL0(cpu, wbinvd), native_wbinvd()); }

/* ---- apic and time: natively the LAPIC and the TSC (arch/x86) ---- */
static inline void apic_eoi(void)
{ PV(pvcall_apic_eoi(), lapic_eoi()); }
static inline void apic_send_ipi(int cpu, int vector)
{ PV(pvcall_apic_send_ipi(cpu, vector), lapic_send_ipi(cpu, vector)); }
static inline uint64_t sched_clock(void)
{ return PV(pvcall_time_sched_clock(), tsc_sched_clock()); }
/* Nobody steals time from bare metal. */
static inline uint64_t steal_clock(int cpu)
{ return PV(pvcall_time_steal_clock(cpu), ((void)cpu, 0)); }

#endif
