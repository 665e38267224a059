/*
 * KVM hypercalls (backends/kvm/hypercall.c): the probe that decides whether
 * there are any, and the wrappers, each one recorded hv.hypercall site.
 */
#ifndef PVOS_KVM_HYPERCALL_H
#define PVOS_KVM_HYPERCALL_H

#include "pvops/pvops.h"

void kvm_install_hypercall(void);

/* One hypercall site (pvops/pvops.h's PV_ASM_SITE) in KVM's registers. */
static inline long kvm_hypercall4(unsigned int nr, unsigned long a1, unsigned long a2,
				  unsigned long a3, unsigned long a4)
{
	long ret;

	asm volatile(PV_ASM_SITE
		     : "=a"(ret), "+r"(current_stack_pointer)
		     : "a"((unsigned long)nr), "b"(a1), "c"(a2), "d"(a3), "S"(a4),
		       PV_ASM_ARGS(hv, hypercall, PV_CLB_CALLEE)
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
