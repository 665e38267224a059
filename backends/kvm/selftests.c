/*
 * Self-tests of the KVM backend, run under real KVM (tests/kvm boots pvos
 * nested in QEMU).  On any other machine they skip, saying why.  When QEMU
 * hides a feature (-cpu host,-kvm-pv-eoi,...), the test of that feature
 * checks that the native op stayed instead.
 */
#include "kernel/selftest.h"
#include "kernel/string.h"
#include "backends/kvm/kvm.h"
#include "backends/kvm/kvm_ops.h"
#include "backends/kvm/hypercall.h"
#include "pvops/select.h"
#include "pvops/patcher.h"
#include "arch/x86/apic.h"
#include "arch/x86/time.h"
#include "arch/x86/mm.h"
#include "kernel/vsprintf.h"
#include "kernel/options.h"

static bool under_kvm(struct st_ctx *t)
{
	if (pv_backend != &kvm_backend) {
		st_skip(t, "not running on the kvm backend");
		return false;
	}
	return true;
}

/* Spin, not hlt: if the timer stopped, a halted test would never come back. */
static void wait_ticks(uint64_t n)
{
	uint64_t end = ticks() + n, deadline = native_rdtsc() + tsc_khz() * 1000 * 5;

	while (ticks() < end && native_rdtsc() < deadline)
		asm volatile("pause");
}

SELFTEST(test_kvmclock, "kvm: kvmclock is monotonic and advances with the timer")
{
	uint64_t prev, t0, t1, n0;

	if (!under_kvm(t))
		return;
	if (!kvm.clock) {
		st_check(t, pv_ops.time.sched_clock == pv_native_ops.time.sched_clock, "sched_clock not native");
		return;
	}
	prev = sched_clock();
	for (int i = 0; i < 100000; i++) {
		uint64_t now = sched_clock();

		st_check(t, now >= prev, "went back from %lu to %lu", prev, now);
		prev = now;
	}
	n0 = ticks();
	t0 = sched_clock();
	wait_ticks(20);
	t1 = sched_clock();
	/* 20 ticks at 100 Hz: 200 ms; allow a wide band, the host is nested TCG. */
	st_check(t, t1 - t0 >= 100000000ULL * (ticks() - n0) / 20, "%lu ns for %lu ticks",
		 t1 - t0, ticks() - n0);
}

SELFTEST(test_kvm_steal_time, "kvm: steal-time record registered, version protocol kept")
{
	const volatile struct kvm_steal_time *st = kvm_steal_record(smp_processor_id());

	if (!under_kvm(t))
		return;
	if (!kvm.steal) {
		st_check(t, steal_clock(0) == 0, "native steal_clock is not 0");
		return;
	}
	uint64_t s0, s1;
	int me = smp_processor_id();

	st_check(t, (rdmsr(MSR_KVM_STEAL_TIME) & ~63ULL) == virt_to_phys((const void *)st),
		 "MSR holds %lx", rdmsr(MSR_KVM_STEAL_TIME));
	s0 = steal_clock(me);
	wait_ticks(5);
	s1 = steal_clock(me);
	st_check(t, st->version != 0 && !(st->version & 1), "record version %u", st->version);
	st_check(t, s1 >= s0, "steal time went back from %lu to %lu", s0, s1);
}

/*
 * A host may offer PV EOI, accept the MSR, and still never set the flag
 * (hosts that virtualize EOI in hardware do so).  That is the host's
 * choice, not a pvos bug, so the test skips, saying so; tests/kvm demands
 * the saving where it knows the host delivers it (nested kvm-amd).
 */
SELFTEST(test_kvm_pv_eoi, "kvm: timer interrupts keep arriving; PV EOI skips APIC writes")
{
	const struct kvm_cpu_count *n = kvm_count();	/* this CPU's: its MSR is checked */
	uint64_t skipped = n->eoi_skipped, written = n->eoi_written, start = ticks();
	char why[160];

	if (!under_kvm(t))
		return;
	wait_ticks(20);
	st_check(t, ticks() >= start + 20, "%lu ticks", ticks() - start);
	if (!kvm.pv_eoi) {
		st_check(t, pv_ops.apic.eoi == pv_native_ops.apic.eoi, "apic.eoi not native");
		return;
	}
	st_check(t, rdmsr(MSR_KVM_PV_EOI_EN) ==
		     (virt_to_phys((const void *)kvm_eoi_word_addr(smp_processor_id())) | KVM_MSR_ENABLED),
		 "MSR_KVM_PV_EOI_EN holds %lx", rdmsr(MSR_KVM_PV_EOI_EN));
	if (n->eoi_skipped == skipped && !t->failed) {
		snprintf(why, sizeof(why), "PV EOI enabled but unused: the host flagged none of "
			 "%lu EOIs (it may virtualize EOI itself, as APICv and AVIC do)",
			 n->eoi_written - written);
		st_skip(t, why);
	}
}

SELFTEST(test_kvm_hypercalls, "kvm: hypercalls as probed: KVM answers, or the native -ENOSYS")
{
	long r;

	if (!under_kvm(t))
		return;
	if (!kvm.hypercalls) {
		r = kvm_hypercall0(KVM_HC_VAPIC_POLL_IRQ);
		st_check(t, r == -38, "hypercalls are off, yet hv.hypercall returned %ld, not -ENOSYS", r);
		return;
	}
	r = kvm_hypercall0(KVM_HC_VAPIC_POLL_IRQ);
	st_check(t, r == 0, "KVM_HC_VAPIC_POLL_IRQ returned %ld", r);
	r = kvm_hypercall2(0xfff0, 1, 2);
	st_check(t, r == -KVM_ENOSYS, "hypercall 0xfff0 returned %ld", r);
}

static int check_sites_of(unsigned int op, const uint8_t *code, size_t n, struct st_ctx *t)
{
	int found = 0;
	uint8_t nops[PV_SITE_MAX_LEN];

	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++) {
		if (s->op != op)
			continue;
		found++;
		pv_nop_fill(nops, s->len - (unsigned int)n);	/* padding, then the code */
		st_check(t, !memcmp((const uint8_t *)s->addr + s->len - n, code, n) &&
			     !memcmp((const void *)s->addr, nops, s->len - n),
			 "site %lx holds other bytes", (unsigned long)s->addr);
	}
	return found;
}

/* Hypercalls off: no site may hold either instruction, or the host would rewrite it. */
static int sites_without_hypercall_insn(struct st_ctx *t)
{
	static const uint8_t vmcall[] = { 0x0f, 0x01, 0xc1 }, vmmcall[] = { 0x0f, 0x01, 0xd9 };
	int found = 0;

	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++) {
		if (s->op != PV_OP(hv.hypercall))
			continue;
		found++;
		for (unsigned int i = 0; i + 3 <= s->len; i++)
			st_check(t, memcmp((const uint8_t *)s->addr + i, vmcall, 3) &&
				     memcmp((const uint8_t *)s->addr + i, vmmcall, 3),
				 "site %lx holds a hypercall instruction", (unsigned long)s->addr);
	}
	return found;
}

SELFTEST(test_kvm_sites, "kvm: hypercall sites hold the probed instruction, io_delay sites NOPs")
{
	static const uint8_t vmcall[] = { 0x0f, 0x01, 0xc1 }, vmmcall[] = { 0x0f, 0x01, 0xd9 };
	static const uint8_t outb80[] = { 0xe6, 0x80 };
	bool mm;

	if (!under_kvm(t))
		return;
	if (!pvops_patching()) {	/* test_site_scan checks the indirect calls */
		st_skip(t, "pvops=off: every site stays an indirect call");
		return;
	}
	mm = kvm.hypercalls && !strcmp(kvm.hypercall_insn, "vmmcall");
	if (kvm.hypercalls)
		st_check(t, check_sites_of(PV_OP(hv.hypercall), mm ? vmmcall : vmcall, 3, t) > 0,
			 "no hypercall site");
	else
		st_check(t, sites_without_hypercall_insn(t) > 0, "no hypercall site");
	if (kvm.nop_io_delay)
		st_check(t, check_sites_of(PV_OP(cpu.io_delay), NULL, 0, t) > 0, "no io_delay site");
	else
		st_check(t, check_sites_of(PV_OP(cpu.io_delay), outb80, 2, t) > 0, "no io_delay site");
}
