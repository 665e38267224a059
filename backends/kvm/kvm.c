/*
 * The KVM backend.  Under KVM the CPU virtualizes cli/sti and paging in
 * hardware, so, as Linux does, pvos keeps those ops native (and patched
 * inline) and paravirtualizes only what still costs a VM exit or is better
 * told by the host: the clock (kvmclock), stolen time, EOI (PV EOI), the
 * I/O delay (nothing at all), and hypercalls; and with several vCPUs, IPIs,
 * remote TLB flushes and lock waiting (kvm_smp.c).  Everything else is
 * inherited from the native backend.
 *
 * Detection follows Linux: the hypervisor bit in CPUID.1:ECX, then the
 * signature "KVMKVMKVM\0\0\0" in leaves 0x40000000..0x4000ff00 (KVM with
 * Hyper-V enlightenments sits at 0x40000100), then the feature bits of the
 * following leaf.
 */
#include "backends/kvm/kvm.h"
#include "backends/kvm/kvm_ops.h"
#include "backends/kvm/hypercall.h"
#include "pvops/backend.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/vsprintf.h"

struct kvm_state kvm;

static bool kvm_detect(char *why, size_t size)
{
	struct cpuid_regs r;
	char sig[13], first[13];

	cpuid(1, 0, &r);
	if (!(r.ecx & (1u << 31))) {
		snprintf(why, size, "CPUID.1:ECX has no hypervisor bit");
		return false;
	}
	cpuid_signature(KVM_CPUID_SIGNATURE, first);
	for (uint32_t base = KVM_CPUID_SIGNATURE; base < 0x40010000; base += 0x100) {
		cpuid_signature(base, sig);
		if (!memcmp(sig, "KVMKVMKVM\0\0\0", 12)) {
			kvm.base = base;
			cpuid(base + 1, 0, &r);
			kvm.features = r.eax;
			snprintf(why, size, "CPUID %#x: KVMKVMKVM, features %#x", base, kvm.features);
			return true;
		}
	}
	snprintf(why, size, "CPUID 0x40000000 says \"%s\", no KVMKVMKVM signature", first);
	return false;
}

static void list_add(char *list, size_t size, const char *fmt, ...) __printf(3, 4);
static void list_add(char *list, size_t size, const char *fmt, ...)
{
	size_t len = strlen(list);
	va_list ap;

	if (len && len + 2 < size) {
		memcpy(list + len, ", ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(list + len, size - len, fmt, ap);
	va_end(ap);
}

/* The SMP features in use, with what they did. */
static void report_smp(char *used, size_t used_size, char *missed, size_t missed_size)
{
	uint64_t deferred = kvm_sum(flush_deferred), flushes = deferred + kvm_sum(flush_ipi);

	if (kvm.send_ipi)
		list_add(used, used_size, "PV IPIs (%lu by KVM_HC_SEND_IPI)", kvm_sum(ipis));
	if (kvm.send_ipi && kvm_sum(ipi_failed))
		list_add(missed, missed_size, "PV IPIs (KVM_HC_SEND_IPI refused %lu; sent natively)",
			 kvm_sum(ipi_failed));
	if (kvm.tlb_flush)
		list_add(used, used_size, "PV TLB flush (%lu of %lu remote flushes left to KVM)",
			 deferred, flushes);
	if (kvm.unhalt)
		list_add(used, used_size, "PV spinlocks (%lu sleeps in lock.wait, %lu kicks)",
			 kvm_sum(sleeps), kvm_sum(kicks));
	if (*kvm.unhalt_why)
		list_add(missed, missed_size, "PV_UNHALT (%s)", kvm.unhalt_why);
	if (kvm.unhalt && kvm_sum(kick_failed))
		list_add(missed, missed_size, "PV spinlocks (KVM_HC_KICK_CPU refused %lu)",
			 kvm_sum(kick_failed));
}

/*
 * What KVM delivered, judged after the fact: a feature can be offered in
 * CPUID, accepted by its MSR, and still never used by the host.  PV EOI is
 * the case in point: hosts that virtualize EOI in hardware (Intel APICv,
 * AMD AVIC), and some software KVMs, never set the flag.  Counts are summed
 * over every CPU.
 */
void kvm_report(void)
{
	char used[400] = "", missed[400] = "";
	uint64_t skipped = kvm_sum(eoi_skipped), eois = skipped + kvm_sum(eoi_written);

	if (kvm.clock)
		list_add(used, sizeof(used), "kvmclock");
	if (kvm.steal)
		list_add(used, sizeof(used), "steal time");
	if (kvm.pv_eoi && (skipped || !eois))
		list_add(used, sizeof(used), "PV EOI (%lu of %lu EOIs skipped)", skipped, eois);
	else if (kvm.pv_eoi)
		list_add(missed, sizeof(missed), "PV EOI (enabled, but the host flagged none of "
			 "%lu EOIs)", eois);
	if (kvm.nop_io_delay)
		list_add(used, sizeof(used), "NOP io_delay");
	if (kvm.hypercalls)
		list_add(used, sizeof(used), "hypercalls (%s)", kvm.hypercall_insn);
	else
		list_add(missed, sizeof(missed), "hypercalls (%s)", kvm.hypercall_why);
	report_smp(used, sizeof(used), missed, sizeof(missed));
	printk("kvm: in use: %s\n", *used ? used : "nothing");
	printk("kvm: offered but not delivered: %s\n", *missed ? missed : "none");
}

/* The monitor's `hv`: what CPUID offers, then what pvos got of it (as at exit). */
static void kvm_describe(void)
{
	static const char *const names[] = {
		[KVM_FEATURE_CLOCKSOURCE] = "clocksource", [KVM_FEATURE_NOP_IO_DELAY] = "nop_io_delay",
		[KVM_FEATURE_MMU_OP] = "mmu_op", [KVM_FEATURE_CLOCKSOURCE2] = "clocksource2",
		[KVM_FEATURE_ASYNC_PF] = "async_pf", [KVM_FEATURE_STEAL_TIME] = "steal_time",
		[KVM_FEATURE_PV_EOI] = "pv_eoi", [KVM_FEATURE_PV_UNHALT] = "pv_unhalt",
		[KVM_FEATURE_PV_TLB_FLUSH] = "pv_tlb_flush", [KVM_FEATURE_ASYNC_PF_VMEXIT] = "async_pf_vmexit",
		[KVM_FEATURE_PV_SEND_IPI] = "pv_send_ipi", [KVM_FEATURE_POLL_CONTROL] = "poll_control",
		[KVM_FEATURE_PV_SCHED_YIELD] = "pv_sched_yield", [KVM_FEATURE_ASYNC_PF_INT] = "async_pf_int",
		[KVM_FEATURE_MSI_EXT_DEST_ID] = "msi_ext_dest_id",
	};

	printk("hv: kvm: CPUID %#x+1 offers features %#x:", kvm.base, kvm.features);
	for (unsigned int bit = 0; bit < 32; bit++)
		if (kvm.features & (1u << bit))
			printk(" %s", bit < ARRAY_SIZE(names) && names[bit] ? names[bit] : "?");
	printk("\n");
	kvm_report();
}

/*
 * The monitor's `counts`.  A VM exit happens behind the guest's back: only
 * the host counts them (KVM's debugfs; tests/kvm/exits.sh reads them).
 * pvos counts the hypercalls it makes and the exits its PV features saved.
 */
static void kvm_counts(void)
{
	uint64_t skipped = kvm_sum(eoi_skipped);

	printk("counts: kvm: hypercalls since boot: KVM_HC_SEND_IPI %lu (apic.send_ipi), "
	       "KVM_HC_KICK_CPU %lu (lock.kick)\n", kvm_sum(ipis), kvm_sum(kicks));
	printk("counts: kvm: exits saved: %lu of %lu EOIs skipped (PV EOI, apic.eoi); "
	       "%lu remote TLB flushes left to KVM (mmu.flush_tlb_multi); io_delay %s\n",
	       skipped, skipped + kvm_sum(eoi_written), kvm_sum(flush_deferred),
	       kvm.nop_io_delay ? "a NOP (no exit)" : "native (an exit each)");
	printk("counts: kvm: VM exits are counted only by the host (KVM's debugfs 'exits'), "
	       "not by the guest\n");
}

/*
 * Feature `feature` is in use: the records that need it (PV_OVERRIDE, in
 * kvm_ops.c, kvm_smp.c and hypercall.c) go into pv_ops, and no other
 * code writes the table, so `pvsites --plan kvm` sees what boot does.
 */
void kvm_use_feature(int feature)
{
	kvm.facts.features |= 1u << feature;
	pv_install_overrides(&kvm_backend, &kvm.facts);
}

static void kvm_install(void)
{
	pv_ops = pv_native_ops;	/* start native, override what KVM does better */
	kvm.facts = (struct pv_facts){ 0 };
	kvm_install_clock();
	kvm_install_steal_time();
	kvm_install_pv_eoi();
	kvm_install_io_delay();
	kvm_install_hypercall();
	kvm_install_send_ipi();
	kvm_install_tlb_flush();
	kvm_install_unhalt();
}

const struct pv_backend kvm_backend = {
	.name = "kvm",
	.priority = 10,
	.detect = kvm_detect,
	.install = kvm_install,
	.report = kvm_report,
	.cpu_init = kvm_cpu_init,
	.describe = kvm_describe,
	.counts = kvm_counts,
};
PV_BACKEND(kvm_backend);
