/*
 * KVM hypercalls: which instruction, and whether this host takes it.
 *
 * Intel's instruction is vmcall, AMD's vmmcall; each raises #UD on the
 * other vendor's CPU.  KVM catches that #UD and, by default, rewrites the
 * instruction in guest memory to the one it prefers before emulating it
 * (kvm_fix_hypercall).  A KVM without VMX or SVM underneath (a software
 * one, such as PVM) does the same to both.  pvos never lets that happen to
 * its text: the rewrite is a write into read-only code behind the
 * patcher's back, and the next site scan would find bytes nobody planned.
 *
 * So before any hypercall site is patched or used, the backend probes.  It
 * runs the instruction from a scratch page mapped read-only and executable,
 * catching any exception: a host that takes it returns 0 for
 * KVM_HC_VAPIC_POLL_IRQ (a hypercall that does nothing); a host that tries
 * to rewrite it takes a write fault on that page, which pvos catches; a
 * host that knows no such instruction raises #UD.  Only an instruction that
 * came back right, its bytes unchanged, goes into the hypercall sites.
 * Otherwise hv.hypercall stays native (-ENOSYS), and so does every feature
 * built on hypercalls, and the boot line says why.
 */
#include "backends/kvm/kvm.h"
#include "backends/kvm/hypercall.h"
#include "pvops/backend.h"
#include "kernel/options.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/vsprintf.h"
#include "arch/x86/mm.h"
#include "arch/x86/traps.h"

asm(".pushsection .text, \"ax\"\n"
    ".globl kvm_hypercall_vmcall, kvm_hypercall_vmmcall\n"
    "kvm_hypercall_vmcall:\n\tvmcall\n\tret\n"
    "kvm_hypercall_vmmcall:\n\tvmmcall\n\tret\n"
    ".popsection\n");
extern char kvm_hypercall_vmcall[], kvm_hypercall_vmmcall[];

DEF_PV_INSN(kvm_insn_vmcall, hv.hypercall, kvm_hypercall_vmcall, PV_CLB_RAX, "vmcall");
DEF_PV_INSN(kvm_insn_vmmcall, hv.hypercall, kvm_hypercall_vmmcall, PV_CLB_RAX, "vmmcall");

/* hv.hypercall is the one the probe found working (kvm_use_hypercall). */
PV_OVERRIDE(kvm_backend, hv.hypercall, kvm_hypercall_vmcall, PV_WHEN_HYPERCALLS | PV_WHEN_VMCALL, 0);
PV_OVERRIDE(kvm_backend, hv.hypercall, kvm_hypercall_vmmcall, PV_WHEN_HYPERCALLS | PV_WHEN_VMMCALL, 0);

struct kvm_hc_insn {
	const char *name;
	uint8_t bytes[3];
	uint32_t when;		/* the fact its override record needs */
};

static const struct kvm_hc_insn kvm_hc_insns[] = {
	{ "vmcall", { 0x0f, 0x01, 0xc1 }, PV_WHEN_VMCALL },	/* Intel */
	{ "vmmcall", { 0x0f, 0x01, 0xd9 }, PV_WHEN_VMMCALL },	/* AMD, Hygon */
};

/*
 * kvm.fake_rewrite (test only): "movb $0x90, -7(%rip)" writes to its own
 * first byte, as a rewriting host would, so the probe's failure path runs
 * on any host.
 */
static const uint8_t kvm_fake_rewrite[] = { 0xc6, 0x05, 0xf9, 0xff, 0xff, 0xff, 0x90 };

static int kvm_fake_rewrite_opt;
CMDLINE_FLAG(opt_kvm_fake_rewrite, "kvm.fake_rewrite", &kvm_fake_rewrite_opt,
	       "test: the KVM hypercall probe meets a host that rewrites it");

/* Call the probe page with KVM's hypercall registers: nr in %rax, args in %rbx.. */
static void kvm_probe_call(void *ret)
{
	long r;

	asm volatile("call *%[fn]"
		     : "=a"(r), "+r"(current_stack_pointer)
		     : "a"((unsigned long)KVM_HC_VAPIC_POLL_IRQ), "b"(0UL), "c"(0UL), "d"(0UL),
		       "S"(0UL), [fn] "r"(FIXMAP_HV_PROBE)
		     : "memory", "cc");
	*(long *)ret = r;
}

/* Why the code at `page` (the probe just ran it) is no usable hypercall; NULL if it is. */
static const char *kvm_probe_verdict(const uint8_t *page, const uint8_t *code, size_t len,
				     bool faulted, const struct fault_record *r, long ret,
				     char *why, size_t size)
{
	if (faulted && r->vector == VEC_PF && (r->error & 2) && r->cr2 - FIXMAP_HV_PROBE < PAGE_SIZE)
		snprintf(why, size, "the host tried to rewrite it (a write fault on the read-only probe page)");
	else if (faulted)
		snprintf(why, size, "it raised %s at %lx", exception_name(r->vector), r->rip);
	else if (memcmp(page, code, len))
		snprintf(why, size, "the host rewrote it to %02x %02x %02x", page[0], page[1], page[2]);
	else if (ret != 0)
		snprintf(why, size, "KVM_HC_VAPIC_POLL_IRQ returned %ld, not 0", ret);
	else
		return NULL;
	return why;
}

/* Run code + ret from FIXMAP_HV_PROBE (read-only, executable), any exception caught. */
static const char *kvm_probe(const uint8_t *code, size_t len, char *why, size_t size)
{
	phys_addr_t pa = alloc_page();
	struct fault_record r = { 0 };
	const char *verdict;
	uint8_t *page;
	long ret = -1;
	bool faulted;

	if (!pa || map_page(FIXMAP_HV_PROBE, pa, PAGE_KERNEL_RX)) {
		snprintf(why, size, "no page to probe it from");
		return why;
	}
	page = phys_to_virt(pa);	/* the writable, no-execute alias */
	memcpy(page, code, len);
	page[len] = 0xc3;		/* ret */
	faulted = expect_fault(VEC_ANY, kvm_probe_call, &ret, &r);
	unmap_page(FIXMAP_HV_PROBE);
	verdict = kvm_probe_verdict(page, code, len, faulted, &r, ret, why, size);
	free_page(pa);
	return verdict;
}

static void kvm_use_hypercall(const struct kvm_hc_insn *h, bool own)
{
	kvm.facts.when |= PV_WHEN_HYPERCALLS | h->when;
	pv_install_overrides(&kvm_backend, &kvm.facts);
	kvm.hypercalls = true;
	kvm.hypercall_insn = h->name;
	printk("kvm: hypercalls: %s works (probed on a read-only scratch page)\n", h->name);
	if (!own)
		printk("kvm: note: %s is not this CPU vendor's instruction, yet the host takes it\n",
		       h->name);
}

/* "vmmcall: why; vmcall: why", or "vmmcall and vmcall: why" when both say the same. */
static void kvm_say_why_not(const char *why[2], const char *name[2])
{
	size_t size = sizeof(kvm.hypercall_why);

	if (!strcmp(why[0], why[1]))
		snprintf(kvm.hypercall_why, size, "%s and %s: %s", name[0], name[1], why[0]);
	else
		snprintf(kvm.hypercall_why, size, "%s: %s; %s: %s", name[0], why[0], name[1], why[1]);
}

/* Vendor first; the other only if the vendor's own fails. */
void kvm_install_hypercall(void)
{
	char buf[2][96];
	const char *why[2], *name[2];
	struct cpuid_regs r;
	int own;

	cpuid(0, 0, &r);
	/* "AuthenticAMD" and "HygonGenuine": ebx "Auth"/"Hygo" */
	kvm.amd = r.ebx == 0x68747541 || r.ebx == 0x6f677948;
	own = kvm.amd ? 1 : 0;
	if (kvm_fake_rewrite_opt) {
		why[0] = kvm_probe(kvm_fake_rewrite, sizeof(kvm_fake_rewrite), buf[0], sizeof(buf[0]));
		snprintf(kvm.hypercall_why, sizeof(kvm.hypercall_why), "kvm.fake_rewrite: %s",
			 why[0] ? why[0] : "the stand-in did not fault (a pvos bug)");
		printk("kvm: hypercalls off: %s; hv.hypercall stays native (-ENOSYS)\n",
		       kvm.hypercall_why);
		return;
	}
	for (int i = 0; i < 2; i++) {
		const struct kvm_hc_insn *h = &kvm_hc_insns[own ^ i];

		name[i] = h->name;
		why[i] = kvm_probe(h->bytes, sizeof(h->bytes), buf[i], sizeof(buf[i]));
		if (!why[i]) {
			kvm_use_hypercall(h, i == 0);
			return;
		}
	}
	kvm_say_why_not(why, name);
	printk("kvm: hypercalls off: %s; hv.hypercall stays native (-ENOSYS)\n",
	       kvm.hypercall_why);
}
