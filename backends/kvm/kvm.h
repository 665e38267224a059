/*
 * The KVM backend (backends/kvm/kvm.c): what was detected and what is in
 * use.  Its ops are kvm_ops.h's, its hypercalls hypercall.h's.
 */
#ifndef PVOS_KVM_H
#define PVOS_KVM_H

#include "pvops/backend.h"
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
extern const struct pv_backend kvm_backend;

static inline bool kvm_has(int feature)
{
	return kvm.features & (1u << feature);
}

void kvm_report(void);

#endif
