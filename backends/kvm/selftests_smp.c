/*
 * Self-tests of what the KVM backend does with several vCPUs: each vCPU
 * registered its own records.
 */
#include "kernel/selftest.h"
#include "kernel/smp.h"
#include "backends/kvm/kvm.h"
#include "backends/kvm/kvm_ops.h"
#include "pvops/select.h"
#include "arch/x86/mm.h"

static bool on_kvm(struct st_ctx *t)
{
	if (pv_backend != &kvm_backend) {
		st_skip(t, "not running on the kvm backend");
		return false;
	}
	return true;
}

/* Run fn on cpu: here if it is this CPU, else there, waiting for it. */
static void run_on(int cpu, void (*fn)(void *), void *arg)
{
	if (cpu == smp_processor_id())
		fn(arg);
	else
		smp_call(cpu, fn, arg);
}

/* ---- per-vCPU records ---- */

static struct {
	uint64_t clock_msr, steal_msr, eoi_msr;
	uint32_t clock_version, steal_version;
} regs[MAX_CPUS];

static void read_own_records(void *arg)
{
	int me = smp_processor_id();

	(void)arg;
	regs[me].clock_msr = kvm.clock ? rdmsr(MSR_KVM_SYSTEM_TIME_NEW) : 0;
	regs[me].steal_msr = kvm.steal ? rdmsr(MSR_KVM_STEAL_TIME) : 0;
	regs[me].eoi_msr = kvm.pv_eoi ? rdmsr(MSR_KVM_PV_EOI_EN) : 0;
	regs[me].clock_version = kvm_clock_record(me)->version;
	regs[me].steal_version = kvm_steal_record(me)->version;
}

static uint64_t enabled_at(const volatile void *rec)
{
	return virt_to_phys((const void *)rec) | KVM_MSR_ENABLED;
}

static void check_records(struct st_ctx *t, int cpu)
{
	if (kvm.clock)
		st_check(t, regs[cpu].clock_msr == enabled_at(kvm_clock_record(cpu)) &&
			     regs[cpu].clock_version && !(regs[cpu].clock_version & 1),
			 "CPU %d: kvmclock MSR %lx, record version %u", cpu, regs[cpu].clock_msr,
			 regs[cpu].clock_version);
	if (kvm.steal)
		st_check(t, regs[cpu].steal_msr == enabled_at(kvm_steal_record(cpu)) &&
			     regs[cpu].steal_version,
			 "CPU %d: steal-time MSR %lx, record version %u", cpu, regs[cpu].steal_msr,
			 regs[cpu].steal_version);
	if (kvm.pv_eoi)
		st_check(t, regs[cpu].eoi_msr == enabled_at(kvm_eoi_word_addr(cpu)),
			 "CPU %d: PV EOI MSR %lx", cpu, regs[cpu].eoi_msr);
}

SELFTEST(test_kvm_percpu_records, "kvm: each vCPU registered its own kvmclock, steal-time and PV EOI records")
{
	if (!on_kvm(t))
		return;
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpu_online(cpu)) {
			run_on(cpu, read_own_records, NULL);
			check_records(t, cpu);
		}
}

