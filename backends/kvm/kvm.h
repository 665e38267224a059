/*
 * The KVM backend (backends/kvm/kvm.c): what was detected and what is in
 * use.  Its ops are kvm_ops.h's, its hypercalls hypercall.h's.
 */
#ifndef PVOS_KVM_H
#define PVOS_KVM_H

#include "pvops/backend.h"
#include "arch/x86/percpu.h"
#include <asm/kvm_para.h>
#include <linux/kvm_para.h>

/*
 * What one CPU counted.  Each CPU writes only its own entry (so no atomics,
 * and a cache line each); kvm_sum() adds them up for the report.
 */
struct kvm_cpu_count {
	uint64_t eoi_skipped, eoi_written;	/* PV EOI */
	uint64_t ipis, ipi_failed;		/* KVM_HC_SEND_IPI: sent, refused (sent natively) */
	uint64_t flush_deferred, flush_ipi;	/* remote flushes: left to KVM, by IPI */
	uint64_t sleeps, kicks, kick_failed;	/* PV_UNHALT: hlts in lock.wait, kicks */
} __aligned(64);

struct kvm_state {
	uint32_t base;		/* CPUID leaf with the signature: 0x40000000 or above */
	uint32_t features;	/* CPUID base+1 EAX: KVM_FEATURE_* bits */
	bool amd;		/* vmmcall (AMD, Hygon) rather than vmcall (Intel) */
	bool clock, steal, pv_eoi, nop_io_delay;	/* in use */
	bool send_ipi, tlb_flush, unhalt;		/* in use (SMP) */
	bool hypercalls;	/* the probe found an instruction the host takes */
	const char *hypercall_insn;		/* "vmcall" or "vmmcall" */
	char hypercall_why[192];		/* why not, when hypercalls are off */
	char unhalt_why[48];			/* PV_UNHALT offered, but the kick probe failed */
	struct pv_facts facts;	/* features in use and facts found: its override records' */
	struct kvm_cpu_count count[MAX_CPUS];
};

extern struct kvm_state kvm;
extern const struct pv_backend kvm_backend;

static inline bool kvm_has(int feature)
{
	return kvm.features & (1u << feature);
}

/* This CPU's counters. */
static inline struct kvm_cpu_count *kvm_count(void)
{
	return &kvm.count[smp_processor_id()];
}

/* One counter summed over every CPU: kvm_sum(eoi_skipped). */
#define kvm_sum(field) ({						\
	uint64_t __sum = 0;						\
	for (int __cpu = 0; __cpu < MAX_CPUS; __cpu++)			\
		__sum += kvm.count[__cpu].field;			\
	__sum; })

void kvm_report(void);
void kvm_use_feature(int feature);

/* A feature's bit in CPUID 0x40000001 EAX, as an override record needs it. */
#define KVM_BIT(name)	(1u << KVM_FEATURE_##name)

#endif
