/*
 * The ops the KVM backend overrides, each installed only if KVM offers its
 * feature; otherwise the native op stays, and boot says so.  Each op is
 * one override record (PV_OVERRIDE) naming its feature, which its install
 * applies (kvm_use_feature) and `pvsites --plan kvm` reads.
 *
 * kvmclock, steal time and the PV EOI word are per vCPU: each vCPU writes
 * its own MSR with the address of its own record, and KVM updates that
 * record only for that vCPU.  So each is an array indexed by CPU id; the
 * boot CPU registers entry 0 at install, every other CPU its own entry as
 * it starts (kvm_cpu_init, the backend's cpu_init).
 */
#include "backends/kvm/kvm.h"
#include "backends/kvm/kvm_ops.h"
#include "backends/common/pvclock.h"
#include "pvops/backend.h"
#include "kernel/printk.h"
#include "arch/x86/mm.h"

/* ---- kvmclock: the same record as Xen's vcpu_time_info ---- */
static volatile struct vcpu_time_info kvm_clock_rec[MAX_CPUS] __aligned(64);

/* Each of these runs on the CPU it names: the MSRs are that vCPU's. */
static void kvm_register_clock(int cpu)
{
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, virt_to_phys((void *)&kvm_clock_rec[cpu]) | KVM_MSR_ENABLED);
}

/*
 * This CPU's record; the boot CPU's until KVM first filled this one (version
 * 0: never updated), which keeps a clock read early on a new CPU sane.
 */
uint64_t kvm_clock_read(void)
{
	const volatile struct vcpu_time_info *rec = &kvm_clock_rec[smp_processor_id()];

	return pvclock_read_ns(rec->version ? rec : &kvm_clock_rec[0]);
}

PV_OVERRIDE(kvm_backend, time.sched_clock, kvm_clock_read, PV_WHEN_ALWAYS, KVM_BIT(CLOCKSOURCE2));

const volatile struct vcpu_time_info *kvm_clock_record(int cpu)
{
	return &kvm_clock_rec[cpu];
}

void kvm_install_clock(void)
{
	if (!kvm_has(KVM_FEATURE_CLOCKSOURCE2)) {
		printk("kvm: no kvmclock (CLOCKSOURCE2): time.sched_clock stays native (TSC)\n");
		return;
	}
	kvm.clock = true;
	kvm_register_clock(0);
	kvm_use_feature(KVM_FEATURE_CLOCKSOURCE2);
	printk("kvm: kvmclock (MSR_KVM_SYSTEM_TIME_NEW, one record per vCPU): time.sched_clock, "
	       "TSC %lu kHz\n", pvclock_tsc_khz(&kvm_clock_rec[0]));
}

/* ---- steal time: how long the host ran something else instead of us ---- */
static volatile struct kvm_steal_time kvm_steal[MAX_CPUS] __aligned(64);

static void kvm_register_steal(int cpu)
{
	wrmsr(MSR_KVM_STEAL_TIME, virt_to_phys((void *)&kvm_steal[cpu]) | KVM_MSR_ENABLED);
}

volatile struct kvm_steal_time *kvm_steal_record(int cpu)
{
	return &kvm_steal[cpu];
}

static uint64_t kvm_steal_clock(int cpu)
{
	const volatile struct kvm_steal_time *st;
	uint32_t version;
	uint64_t steal;

	if (cpu < 0 || cpu >= MAX_CPUS)
		return 0;
	st = &kvm_steal[cpu];
	do {
		version = st->version;
		asm volatile("" ::: "memory");
		steal = st->steal;
		asm volatile("" ::: "memory");
	} while ((version & 1) || version != st->version);
	return steal;
}
PV_OVERRIDE(kvm_backend, time.steal_clock, kvm_steal_clock, PV_WHEN_ALWAYS, KVM_BIT(STEAL_TIME));

void kvm_install_steal_time(void)
{
	if (!kvm_has(KVM_FEATURE_STEAL_TIME)) {
		printk("kvm: no STEAL_TIME: time.steal_clock stays native (0)\n");
		return;
	}
	kvm.steal = true;
	kvm_register_steal(0);
	kvm_use_feature(KVM_FEATURE_STEAL_TIME);
	printk("kvm: steal time (MSR_KVM_STEAL_TIME, one record per vCPU): time.steal_clock\n");
}

/*
 * PV EOI: when KVM injects an interrupt whose EOI it can handle lazily, it
 * sets bit 0 of this vCPU's word.  Clearing the bit is then the EOI, and the
 * APIC write (a VM exit) is skipped.  Only this CPU and the host touch the
 * word, and the host only while this CPU is not running.
 *
 * So the test and the clear must be one instruction (btr, as Linux's
 * __test_and_clear_bit), which no VM exit can split.  As two, an exit
 * between them lets KVM take the flag back (it clears it, keeps the
 * interrupt in service, and need not set it again before re-entry); the
 * guest, having seen it set, would then skip the APIC write too, and that
 * interrupt's EOI would never happen: with several vCPUs sending each other
 * IPIs, a CPU's timer stopped after its first tick.
 */
static volatile uint32_t kvm_eoi_word[MAX_CPUS];

static void kvm_register_eoi(int cpu)
{
	wrmsr(MSR_KVM_PV_EOI_EN, virt_to_phys((void *)&kvm_eoi_word[cpu]) | KVM_MSR_ENABLED);
}

const volatile uint32_t *kvm_eoi_word_addr(int cpu)
{
	return &kvm_eoi_word[cpu];
}

static bool kvm_eoi_test_and_clear(volatile uint32_t *word)
{
	bool was_set;

	asm volatile("btrl %[bit], %[word]"
		     : [word] "+m"(*word), "=@ccc"(was_set)
		     : [bit] "Ir"(KVM_PV_EOI_BIT) : "memory");
	return was_set;
}

static void kvm_pv_eoi(void)
{
	int cpu = smp_processor_id();

	if (kvm_eoi_test_and_clear(&kvm_eoi_word[cpu])) {
		kvm.count[cpu].eoi_skipped++;
		return;
	}
	kvm.count[cpu].eoi_written++;
	lapic_eoi();
}
PV_OVERRIDE(kvm_backend, apic.eoi, kvm_pv_eoi, PV_WHEN_ALWAYS, KVM_BIT(PV_EOI));

void kvm_install_pv_eoi(void)
{
	if (!kvm_has(KVM_FEATURE_PV_EOI)) {
		printk("kvm: no PV_EOI: apic.eoi stays native (an APIC write, a VM exit)\n");
		return;
	}
	kvm.pv_eoi = true;
	kvm_register_eoi(0);
	kvm_use_feature(KVM_FEATURE_PV_EOI);
	printk("kvm: PV EOI (MSR_KVM_PV_EOI_EN, one word per vCPU): apic.eoi skips the APIC "
	       "write when it can\n");
}

/* A CPU other than the boot CPU starts: it registers its own records (cpu_init). */
void kvm_cpu_init(int cpu)
{
	if (kvm.clock)
		kvm_register_clock(cpu);
	if (kvm.steal)
		kvm_register_steal(cpu);
	if (kvm.pv_eoi)
		kvm_register_eoi(cpu);
}

/* ---- io_delay: port 0x80 costs an exit, and KVM says no delay is needed ---- */
static void kvm_io_delay(void) { }
DEF_PV_INSN(kvm_insn_io_delay, cpu.io_delay, kvm_io_delay, PV_CLB_NONE, "");
PV_OVERRIDE(kvm_backend, cpu.io_delay, kvm_io_delay, PV_WHEN_ALWAYS, KVM_BIT(NOP_IO_DELAY));

void kvm_install_io_delay(void)
{
	if (!kvm_has(KVM_FEATURE_NOP_IO_DELAY)) {
		printk("kvm: no NOP_IO_DELAY: cpu.io_delay stays native (outb to port 0x80)\n");
		return;
	}
	kvm_use_feature(KVM_FEATURE_NOP_IO_DELAY);
	kvm.nop_io_delay = true;
	printk("kvm: NOP_IO_DELAY: cpu.io_delay becomes nothing (its sites all NOPs)\n");
}
