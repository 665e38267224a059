/*
 * The ops the KVM backend overrides, each installed only if KVM offers its
 * feature; otherwise the native op stays, and boot says so.
 */
#include "backends/kvm/kvm.h"
#include "backends/kvm/kvm_ops.h"
#include "backends/common/pvclock.h"
#include "pvops/backend.h"
#include "kernel/printk.h"
#include "arch/x86/mm.h"

/* ---- kvmclock: the same record as Xen's vcpu_time_info ---- */
static volatile struct vcpu_time_info kvm_clock_rec __aligned(64);

uint64_t kvm_clock_read(void)
{
	return pvclock_read_ns(&kvm_clock_rec);
}

void kvm_install_clock(void)
{
	if (!kvm_has(KVM_FEATURE_CLOCKSOURCE2)) {
		printk("kvm: no kvmclock (CLOCKSOURCE2): time.sched_clock stays native (TSC)\n");
		return;
	}
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, virt_to_phys((void *)&kvm_clock_rec) | KVM_MSR_ENABLED);
	pv_ops.time.sched_clock = kvm_clock_read;
	kvm.clock = true;
	printk("kvm: kvmclock (MSR_KVM_SYSTEM_TIME_NEW): time.sched_clock, TSC %lu kHz\n",
	       pvclock_tsc_khz(&kvm_clock_rec));
}

/* ---- steal time: how long the host ran something else instead of us ---- */
static volatile struct kvm_steal_time kvm_steal __aligned(64);

const volatile struct kvm_steal_time *kvm_steal_record(void)
{
	return &kvm_steal;
}

static uint64_t kvm_steal_clock(int cpu)
{
	uint32_t version;
	uint64_t steal;

	(void)cpu;
	do {
		version = kvm_steal.version;
		asm volatile("" ::: "memory");
		steal = kvm_steal.steal;
		asm volatile("" ::: "memory");
	} while ((version & 1) || version != kvm_steal.version);
	return steal;
}

void kvm_install_steal_time(void)
{
	if (!kvm_has(KVM_FEATURE_STEAL_TIME)) {
		printk("kvm: no STEAL_TIME: time.steal_clock stays native (0)\n");
		return;
	}
	wrmsr(MSR_KVM_STEAL_TIME, virt_to_phys((void *)&kvm_steal) | KVM_MSR_ENABLED);
	pv_ops.time.steal_clock = kvm_steal_clock;
	kvm.steal = true;
	printk("kvm: steal time (MSR_KVM_STEAL_TIME): time.steal_clock\n");
}

/*
 * PV EOI: when KVM injects an interrupt whose EOI it can handle lazily, it
 * sets bit 0 of this word.  Clearing the bit is then the EOI, and the APIC
 * write (a VM exit) is skipped.  Only this CPU and the host touch the word,
 * and the host only while this CPU is not running, so no atomics are needed.
 */
static volatile uint32_t kvm_eoi_word __aligned(4);

const volatile void *kvm_eoi_word_addr(void)
{
	return &kvm_eoi_word;
}

static void kvm_pv_eoi(void)
{
	if (kvm_eoi_word & KVM_PV_EOI_MASK) {
		kvm_eoi_word &= ~KVM_PV_EOI_MASK;
		kvm.eoi_skipped++;
		return;
	}
	kvm.eoi_written++;
	lapic_eoi();
}

void kvm_install_pv_eoi(void)
{
	if (!kvm_has(KVM_FEATURE_PV_EOI)) {
		printk("kvm: no PV_EOI: apic.eoi stays native (an APIC write, a VM exit)\n");
		return;
	}
	wrmsr(MSR_KVM_PV_EOI_EN, virt_to_phys((void *)&kvm_eoi_word) | KVM_MSR_ENABLED);
	pv_ops.apic.eoi = kvm_pv_eoi;
	kvm.pv_eoi = true;
	printk("kvm: PV EOI (MSR_KVM_PV_EOI_EN): apic.eoi skips the APIC write when it can\n");
}

/* ---- io_delay: port 0x80 costs an exit, and KVM says no delay is needed ---- */
static void kvm_io_delay(void) { }
DEF_PV_INSN(kvm_insn_io_delay, cpu.io_delay, kvm_io_delay, PV_CLB_NONE, "");

void kvm_install_io_delay(void)
{
	if (!kvm_has(KVM_FEATURE_NOP_IO_DELAY)) {
		printk("kvm: no NOP_IO_DELAY: cpu.io_delay stays native (outb to port 0x80)\n");
		return;
	}
	pv_ops.cpu.io_delay = kvm_io_delay;
	kvm.nop_io_delay = true;
	printk("kvm: NOP_IO_DELAY: cpu.io_delay becomes nothing (its sites all NOPs)\n");
}
