/*
 * The KVM backend's interface to the rest of backends/kvm: what was
 * detected, what is in use, and the hypercall wrappers.
 */
#ifndef PVOS_KVM_H
#define PVOS_KVM_H

#include "pvops/pvops.h"
#include <asm/kvm_para.h>
#include <linux/kvm_para.h>

struct kvm_state {
	uint32_t base;		/* CPUID leaf with the signature: 0x40000000 or above */
	uint32_t features;	/* CPUID base+1 EAX: KVM_FEATURE_* bits */
	bool amd;		/* vmmcall (AMD, Hygon) rather than vmcall (Intel) */
	bool clock, steal, pv_eoi, nop_io_delay;	/* in use */
	bool hypercalls;	/* the probe found an instruction the host takes */
	const char *hypercall_insn;		/* "vmcall" or "vmmcall" */
	char hypercall_why[192];		/* why not, when hypercalls are off */
	uint64_t eoi_skipped, eoi_written;
};

extern struct kvm_state kvm;

static inline bool kvm_has(int feature)
{
	return kvm.features & (1u << feature);
}

void kvm_install_clock(void);
void kvm_install_steal_time(void);
void kvm_install_pv_eoi(void);
void kvm_install_io_delay(void);
void kvm_install_hypercall(void);
void kvm_report(void);
const volatile struct kvm_steal_time *kvm_steal_record(void);
const volatile void *kvm_eoi_word_addr(void);
uint64_t kvm_clock_read(void);

/* One hypercall site (pvops/pvops.h's PV_ASM_SITE) in KVM's registers. */
static inline long kvm_hypercall4(unsigned int nr, unsigned long a1, unsigned long a2,
				  unsigned long a3, unsigned long a4)
{
	long ret;

	asm volatile(PV_ASM_SITE
		     : "=a"(ret), "+r"(current_stack_pointer)
		     : "a"((unsigned long)nr), "b"(a1), "c"(a2), "d"(a3), "S"(a4),
		       PV_ASM_ARGS(hv.hypercall, PV_CLB_CALLEE)
		     : "memory", "cc");
	return ret;
}

static inline long kvm_hypercall0(unsigned int nr) { return kvm_hypercall4(nr, 0, 0, 0, 0); }
static inline long kvm_hypercall1(unsigned int nr, unsigned long a1)
{ return kvm_hypercall4(nr, a1, 0, 0, 0); }
static inline long kvm_hypercall2(unsigned int nr, unsigned long a1, unsigned long a2)
{ return kvm_hypercall4(nr, a1, a2, 0, 0); }
static inline long kvm_hypercall3(unsigned int nr, unsigned long a1, unsigned long a2,
				  unsigned long a3)
{ return kvm_hypercall4(nr, a1, a2, a3, 0); }

#endif
