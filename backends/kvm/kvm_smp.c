/*
 * What KVM offers a guest with several vCPUs, each installed only if the
 * host offers it; otherwise the native op stays, and boot says so:
 *
 *  - PV_SEND_IPI: apic.send_ipi becomes one hypercall, KVM_HC_SEND_IPI,
 *    instead of the APIC's ICR writes (each a VM exit).
 *  - PV_TLB_FLUSH: a remote TLB flush does not interrupt a vCPU the host
 *    has preempted.  It sets KVM_VCPU_FLUSH_TLB in that vCPU's steal-time
 *    record instead, and KVM flushes the vCPU's TLB before it runs again.
 *    An IPI would have to wait until the host runs that vCPU; the flag
 *    waits for nobody.
 *  - PV_UNHALT: the paravirtual ticket lock (pvops/pvlock.c) waits in hlt
 *    and wakes a waiter with KVM_HC_KICK_CPU, instead of spinning through
 *    the time slices of a preempted lock holder.
 *
 * The two hypercalls are used only when the hypercall probe found an
 * instruction the host takes (kvm.hypercalls); the flush needs steal time.
 */
#include "backends/kvm/kvm.h"
#include "backends/kvm/kvm_ops.h"
#include "backends/kvm/hypercall.h"
#include "pvops/backend.h"
#include "pvops/pvlock.h"
#include "kernel/printk.h"
#include "kernel/vsprintf.h"
#include "arch/x86/apic.h"
#include "arch/x86/tlb.h"

/* This CPU's counter, exact even if an interrupt handler counts too. */
#define kvm_inc(field)	__atomic_fetch_add(&kvm_count()->field, 1, __ATOMIC_RELAXED)

static const char *need_hypercalls(void)
{
	return kvm.hypercalls ? NULL : "it needs hypercalls, which are off here";
}

/* Print "kvm: <feature> offered, but <why>: <what stays native>" or "kvm: no ...". */
static bool kvm_can_use(int feature, const char *name, const char *why_not, const char *native)
{
	if (!kvm_has(feature))
		printk("kvm: no %s: %s\n", name, native);
	else if (why_not)
		printk("kvm: %s offered, but %s: %s\n", name, why_not, native);
	else
		return true;
	return false;
}

/* ---- PV_SEND_IPI ---- */

/*
 * Linux's form (kvm_send_ipi_mask): a 128-bit bitmap of APIC ids, bit 0
 * being APIC id `min`, and the ICR's low word (fixed delivery, the vector).
 * KVM answers how many vCPUs it delivered to.  One target: bit 0, from its
 * APIC id.  A refusal is counted, and the IPI goes out natively.
 */
static void kvm_send_ipi(int cpu, int vector)
{
	long delivered = kvm_hypercall4(KVM_HC_SEND_IPI, 1, 0, cpu_data[cpu].apic_id,
					(unsigned long)vector);

	if (delivered == 1) {
		kvm_inc(ipis);
		return;
	}
	kvm_inc(ipi_failed);
	lapic_send_ipi(cpu, vector);
}
PV_OVERRIDE(kvm_backend, apic.send_ipi, kvm_send_ipi, PV_WHEN_HYPERCALLS, KVM_BIT(PV_SEND_IPI));

void kvm_install_send_ipi(void)
{
	if (!kvm_can_use(KVM_FEATURE_PV_SEND_IPI, "PV_SEND_IPI", need_hypercalls(),
			 "apic.send_ipi stays native (ICR writes, VM exits)"))
		return;
	kvm_use_feature(KVM_FEATURE_PV_SEND_IPI);
	kvm.send_ipi = true;
	printk("kvm: PV_SEND_IPI (KVM_HC_SEND_IPI): apic.send_ipi is one hypercall\n");
}

/* ---- PV_TLB_FLUSH ---- */

/*
 * If the host has this vCPU preempted, ask KVM to flush its TLB when it
 * next runs it.  The compare-and-exchange fails if the vCPU ran meanwhile
 * (KVM clears the byte as it enters it): then it needs the IPI.
 */
static bool kvm_flush_lazily(int cpu)
{
	volatile uint8_t *preempted = &kvm_steal_record(cpu)->preempted;
	uint8_t state = __atomic_load_n(preempted, __ATOMIC_ACQUIRE);

	return (state & KVM_VCPU_PREEMPTED) &&
	       __atomic_compare_exchange_n(preempted, &state, state | KVM_VCPU_FLUSH_TLB, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

static void kvm_flush_tlb_multi(uint32_t cpus, unsigned long va)
{
	uint32_t ipi = cpus & ~(1u << smp_processor_id());

	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		if (!(ipi & (1u << cpu)))
			continue;
		if (kvm_flush_lazily(cpu)) {
			ipi &= ~(1u << cpu);
			kvm_inc(flush_deferred);
		} else {
			kvm_inc(flush_ipi);
		}
	}
	ipi_flush_tlb_multi(ipi, va);	/* the rest, natively: IPI and wait */
}
PV_OVERRIDE(kvm_backend, mmu.flush_tlb_multi, kvm_flush_tlb_multi, PV_WHEN_ALWAYS,
	    KVM_BIT(PV_TLB_FLUSH) | KVM_BIT(STEAL_TIME));

void kvm_install_tlb_flush(void)
{
	if (!kvm_can_use(KVM_FEATURE_PV_TLB_FLUSH, "PV_TLB_FLUSH",
			 kvm.steal ? NULL : "it needs steal time (the preempted flag), which is off",
			 "mmu.flush_tlb_multi stays native (an IPI to every target)"))
		return;
	kvm_use_feature(KVM_FEATURE_PV_TLB_FLUSH);
	kvm.tlb_flush = true;
	printk("kvm: PV_TLB_FLUSH (steal time's preempted flag): mmu.flush_tlb_multi leaves a "
	       "preempted vCPU's flush to KVM, IPIs the others\n");
}

/* ---- PV_UNHALT ---- */

/*
 * lock.wait: sleep in hlt until kicked, unless *ptr == want already.  No
 * kick is lost: KVM remembers a kick that comes before the hlt
 * (pv_unhalted), and the hlt then returns at once.  With interrupts on,
 * they go off for the check, and `sti; hlt` (safe_halt) turns them on
 * again in the same breath: an interrupt cannot land between the check
 * and the hlt.  With interrupts off, only a kick ends the hlt.
 */
static void kvm_wait(volatile uint16_t *ptr, uint16_t want)
{
	if (irqs_disabled()) {
		if (*ptr != want) {
			kvm_inc(sleeps);
			halt();
		}
		return;
	}
	local_irq_disable();
	if (*ptr != want) {
		kvm_inc(sleeps);
		safe_halt();
	} else {
		local_irq_enable();
	}
}

/* lock.kick: end cpu's hlt in lock.wait (flags 0, its APIC id). */
static void kvm_kick_cpu(int cpu)
{
	if (kvm_hypercall2(KVM_HC_KICK_CPU, 0, cpu_data[cpu].apic_id) == 0)
		kvm_inc(kicks);
	else
		kvm_inc(kick_failed);
}

/* The paravirtual ticket lock and its wait and kick: all four, or none. */
#define KVM_UNHALT(slot, fn)							\
	PV_OVERRIDE(kvm_backend, slot, fn, PV_WHEN_HYPERCALLS | PV_WHEN_PVSPIN, KVM_BIT(PV_UNHALT))
KVM_UNHALT(lock.wait, kvm_wait);
KVM_UNHALT(lock.kick, kvm_kick_cpu);
KVM_UNHALT(lock.spin_lock, pv_ticket_lock);
KVM_UNHALT(lock.spin_unlock, pv_ticket_unlock);

/*
 * A waiter with interrupts off wakes only from a kick, so the kick must
 * work before anyone waits: kick this vCPU once (its APIC id from CPUID:
 * the APIC is not mapped yet) and see KVM answer 0.  The kick is
 * remembered, so this CPU's next hlt returns at once: a spurious wake-up,
 * which every hlt allows.
 */
static const char *kvm_kick_refused(void)
{
	struct cpuid_regs r;
	long ret;

	cpuid(1, 0, &r);
	ret = kvm_hypercall2(KVM_HC_KICK_CPU, 0, r.ebx >> 24);
	if (!ret)
		return NULL;
	snprintf(kvm.unhalt_why, sizeof(kvm.unhalt_why), "KVM_HC_KICK_CPU returned %ld", ret);
	return kvm.unhalt_why;
}

void kvm_install_unhalt(void)
{
	const char *why = need_hypercalls();

	if (!why && kvm_has(KVM_FEATURE_PV_UNHALT))
		why = kvm_kick_refused();
	if (!kvm_can_use(KVM_FEATURE_PV_UNHALT, "PV_UNHALT", why,
			 "lock.wait/kick unused, spinlocks stay native (plain spinning)"))
		return;
	kvm.facts.features |= KVM_BIT(PV_UNHALT);	/* applied with pvspin, by pvlock_install */
	if (!pvlock_install(&kvm_backend, &kvm.facts))
		return;			/* pvspin=off: it said so */
	kvm.unhalt = true;
	printk("kvm: PV_UNHALT (KVM_HC_KICK_CPU): lock.wait halts the vCPU, lock.kick wakes it\n");
}
