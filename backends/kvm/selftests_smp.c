/*
 * Self-tests of what the KVM backend does with several vCPUs: each vCPU
 * registered its own records, IPIs arrive (by KVM_HC_SEND_IPI or
 * natively), a remote TLB flush reaches vCPUs the host has preempted, and
 * a kick ends a vCPU's hlt in lock.wait.  Where a feature is off, its test
 * checks that the native op stayed; on one CPU the cross-CPU ones skip.
 *
 * Every wait here is bounded: a lost IPI or kick fails the test, saying
 * which, instead of hanging the run.
 */
#include "kernel/selftest.h"
#include "kernel/smp.h"
#include "backends/kvm/kvm.h"
#include "backends/kvm/kvm_ops.h"
#include "pvops/select.h"
#include "arch/x86/mm.h"
#include "arch/x86/time.h"
#include "arch/x86/traps.h"

#define KVM_TEST_VECTOR	VEC_TEST_IPI	/* arch/x86/traps.h */
#define TEST_VA		FIXMAP_TEST

static bool on_kvm(struct st_ctx *t)
{
	if (pv_backend != &kvm_backend) {
		st_skip(t, "not running on the kvm backend");
		return false;
	}
	return true;
}

static bool several(struct st_ctx *t)
{
	if (nr_cpus_online < 2) {
		st_skip(t, "one CPU: boot with -smp 2 or more");
		return false;
	}
	return true;
}

/* A TSC deadline `s` seconds from now: the clock op itself may be under test. */
static uint64_t deadline_s(uint64_t s)
{
	return native_rdtsc() + tsc_khz() * 1000 * s;
}

/* Wait until *p == v, at most 5 s; false if it never was. */
static bool wait_for(volatile uint32_t *p, uint32_t v)
{
	uint64_t end = deadline_s(5);

	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != v)
		if (native_rdtsc() > end)
			return false;
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

/* ---- PV_SEND_IPI ---- */

static volatile uint32_t ipis_taken[MAX_CPUS];

static void test_ipi(struct trap_frame *f)
{
	(void)f;
	apic_eoi();
	__atomic_fetch_add(&ipis_taken[smp_processor_id()], 1, __ATOMIC_RELEASE);
}

/* Each online CPU, this one too: one IPI, taken within 5 s. */
SELFTEST(test_kvm_pv_ipi, "kvm: apic.send_ipi reaches every vCPU, this one too (KVM_HC_SEND_IPI, or native)")
{
	uint64_t refused = kvm_sum(ipi_failed), sent = kvm_sum(ipis);
	int targets = 0;

	if (!on_kvm(t))
		return;
	if (!kvm.send_ipi)
		st_check(t, pv_ops.apic.send_ipi == pv_native_ops.apic.send_ipi, "send_ipi not native");
	set_irq_handler(KVM_TEST_VECTOR, test_ipi);
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpu_online(cpu)) {
			uint32_t before = ipis_taken[cpu];

			apic_send_ipi(cpu, KVM_TEST_VECTOR);
			st_check(t, wait_for(&ipis_taken[cpu], before + 1), "CPU %d never took the IPI", cpu);
			targets++;
		}
	set_irq_handler(KVM_TEST_VECTOR, NULL);
	st_check(t, kvm_sum(ipi_failed) == refused, "KVM refused %lu IPIs", kvm_sum(ipi_failed) - refused);
	if (kvm.send_ipi)
		st_check(t, kvm_sum(ipis) - sent >= (uint64_t)targets, "%lu IPIs by hypercall for %d CPUs",
			 kvm_sum(ipis) - sent, targets);
}

/* ---- PV_TLB_FLUSH ---- */

static struct {
	volatile uint32_t remapped;	/* the round whose remap is done */
	volatile uint64_t read_after[MAX_CPUS];
	volatile uint32_t spinning[MAX_CPUS];
} fl;

/* Read TEST_VA until the round's remap is done, then once more: that value must be new. */
static void read_until_remapped(void *arg)
{
	uint32_t round = (uint32_t)(unsigned long)arg;
	int me = smp_processor_id();
	uint64_t v;

	for (;;) {
		uint32_t done = __atomic_load_n(&fl.remapped, __ATOMIC_ACQUIRE);

		v = *(volatile uint64_t *)TEST_VA;
		if (done == round)
			break;
		fl.spinning[me] = round;
	}
	fl.read_after[me] = v;
}

/* One round: the others read page `from` until this CPU maps `to` in its place. */
static void flush_round(struct st_ctx *t, uint32_t round, phys_addr_t to, uint64_t want)
{
	static struct cpu_work w[MAX_CPUS];
	int me = smp_processor_id();

	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpu_online(cpu) && cpu != me) {
			w[cpu] = (struct cpu_work){ .fn = read_until_remapped,
						    .arg = (void *)(unsigned long)round };
			smp_run(cpu, &w[cpu]);
		}
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)	/* each has the old page in its TLB */
		if (cpu_online(cpu) && cpu != me && !wait_for(&fl.spinning[cpu], round))
			st_fail(t, __LINE__, "round %u: CPU %d never started reading", round, cpu);
	map_page(TEST_VA, to, PAGE_KERNEL);		/* the flush: IPI, or left to KVM */
	__atomic_store_n(&fl.remapped, round, __ATOMIC_RELEASE);
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpu_online(cpu) && cpu != me) {
			smp_wait(&w[cpu]);
			st_check(t, fl.read_after[cpu] == want, "round %u: CPU %d read %lx after the "
				 "remap, want %lx (a stale TLB entry)", round, cpu, fl.read_after[cpu], want);
		}
}

SELFTEST(test_kvm_pv_tlb_flush, "kvm: a page remapped under vCPUs reading it: each reads the new one (IPI, or KVM's flush)")
{
	phys_addr_t page[2] = { alloc_page(), alloc_page() };

	if (!on_kvm(t))
		goto out;
	if (!kvm.tlb_flush)
		st_check(t, pv_ops.mmu.flush_tlb_multi == pv_native_ops.mmu.flush_tlb_multi,
			 "flush_tlb_multi not native");
	if (!several(t))
		goto out;
	for (int i = 0; i < 2; i++)
		*(uint64_t *)phys_to_virt(page[i]) = 0x1111 * (i + 1);
	fl.remapped = 0;
	map_page(TEST_VA, page[0], PAGE_KERNEL);
	for (uint32_t round = 1; round <= 10 && !t->failed; round++)
		flush_round(t, round, page[round % 2], 0x1111 * (round % 2 + 1));
	unmap_page(TEST_VA);
out:
	free_page(page[0]);
	free_page(page[1]);
}

/* ---- PV_UNHALT ---- */

static struct {
	volatile uint32_t stage;
	volatile uint16_t word;		/* never what the waiter wants: only a kick ends its wait */
} kw;

/*
 * On another CPU, interrupts off throughout, so that only a kick can end a
 * hlt: (1) wait after the kick was sent, (2) wait before it is sent.
 */
static void wait_twice(void *arg)
{
	(void)arg;
	local_irq_disable();
	safe_halt();			/* use up a kick left over from the locks: sti; hlt */
	local_irq_disable();
	__atomic_store_n(&kw.stage, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&kw.stage, __ATOMIC_ACQUIRE) != 2)
		asm volatile("pause");
	lock_wait(&kw.word, 1);		/* kicked already: the hlt returns at once */
	__atomic_store_n(&kw.stage, 3, __ATOMIC_RELEASE);
	lock_wait(&kw.word, 1);		/* sleeps until the kick */
	__atomic_store_n(&kw.stage, 4, __ATOMIC_RELEASE);
	local_irq_enable();
}

/* Wait for the stage; if it does not come, fail, and kick again to free the CPU. */
static bool reached(struct st_ctx *t, int cpu, uint32_t stage, const char *what)
{
	if (wait_for(&kw.stage, stage))
		return true;
	st_fail(t, __LINE__, "CPU %d: %s", cpu, what);
	lock_kick(cpu);
	return wait_for(&kw.stage, stage);
}

static void kick_tests(struct st_ctx *t, int cpu)
{
	static struct cpu_work w;

	kw.stage = 0;
	kw.word = 0;
	w = (struct cpu_work){ .fn = wait_twice };
	smp_run(cpu, &w);
	if (!reached(t, cpu, 1, "never got ready"))
		return;
	lock_kick(cpu);
	__atomic_store_n(&kw.stage, 2, __ATOMIC_RELEASE);
	if (!reached(t, cpu, 3, "a kick sent before lock.wait was lost (the hlt did not return)"))
		return;
	udelay(20000);			/* let it reach its hlt */
	lock_kick(cpu);
	if (!reached(t, cpu, 4, "lock.kick did not end the hlt in lock.wait"))
		return;
	smp_wait(&w);
}

SELFTEST(test_kvm_pv_unhalt, "kvm: lock.kick ends a vCPU's hlt in lock.wait, and a kick sent before is not lost")
{
	uint64_t kicks = kvm_sum(kicks), refused = kvm_sum(kick_failed);
	int cpu = 0;

	if (!on_kvm(t))
		return;
	if (!kvm.unhalt) {
		st_check(t, pv_ops.lock.wait == pv_native_ops.lock.wait &&
			     pv_ops.lock.kick == pv_native_ops.lock.kick, "lock.wait/kick not native");
		return;
	}
	if (!several(t))
		return;
	while (!cpu_online(cpu) || cpu == smp_processor_id())
		cpu++;
	kick_tests(t, cpu);
	st_check(t, kvm_sum(kick_failed) == refused, "KVM refused %lu kicks",
		 kvm_sum(kick_failed) - refused);
	st_check(t, kvm_sum(kicks) - kicks >= 2, "%lu kicks counted, want 2", kvm_sum(kicks) - kicks);
}
