/*
 * Self-test: every op keeps the registers its calling convention promises,
 * as patched and as its slot holds it.
 */
#include "kernel/selftest.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/vsprintf.h"
#include "pvops/select.h"
#include "pvops/patcher.h"
#include "pvops/backend.h"
#include "arch/x86/apic.h"
#include "arch/x86/mm.h"
#include "arch/x86/traps.h"
#include "arch/x86/percpu.h"

#define TEST_VA FIXMAP_TEST

/*
 * ---- every op keeps the registers its convention promises ----
 *
 * Each op is called with every general register holding a distinct
 * pattern (its arguments where it takes some), and every register its
 * convention promises to keep is compared afterwards: all but %rax for a
 * callee-save op, %rbx, %rbp, %rsp and %r12-%r15 for a C op.  Each op is
 * called through a recorded site of its own, so that whatever the patcher
 * made of it runs (inline code, a direct call, or with pvops=off the
 * indirect call); a C op then at a link-time call and a link-time tail
 * call of its own (a direct branch, a NOP or ret, or the trampoline); and
 * last the slot's function itself, called through a register.  That
 * register is %r11, not %rax, because make_pte, pte_val and hv.hypercall
 * take their argument in %rax; its value to keep is then the function's
 * address.
 */
enum { RS_RAX, RS_RBX, RS_RCX, RS_RDX, RS_RSI, RS_RDI, RS_RBP, RS_R8, RS_R9, RS_R10,
       RS_R11, RS_R12, RS_R13, RS_R14, RS_R15, RS_RSP, RS_NR };

static const char *const rs_names[RS_NR] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10",
	"r11", "r12", "r13", "r14", "r15", "rsp",
};

/* Values in before the call, out after it: in[i] at i * 8, out[i] at 128 + i * 8. */
struct regset {
	uint64_t in[RS_NR], out[RS_NR];
};
STATIC_ASSERT(offsetof(struct regset, out) == 128);

/* Every register but %rdi (the regset's address) and %rsp; numbers as in the enum. */
#define RS_EACH(X) X(0, rax) X(1, rbx) X(2, rcx) X(3, rdx) X(4, rsi) X(6, rbp) \
	X(7, r8) X(8, r9) X(9, r10) X(10, r11) X(11, r12) X(12, r13) X(13, r14) X(14, r15)
#define RS_LOAD(i, reg)		"mov " #i "*8(%%rdi), %%" #reg "\n\t"
#define RS_STORE(i, reg)	"mov %%" #reg ", 128+" #i "*8(%%rdi)\n\t"

/*
 * Load every register from in[], make the call, store every register to
 * out[].  %rbp (the frame pointer) is saved by hand, the regset's address
 * on the stack; gcc saves the rest, which the asm declares clobbered.
 */
#define RS_AROUND(call)							\
	"push %%rbp\n\t"						\
	"push %%rdi\n\t"						\
	"mov %%rsp, 15*8(%%rdi)\n\t"	/* %rsp as the call sees it */	\
	RS_EACH(RS_LOAD)						\
	"mov 5*8(%%rdi), %%rdi\n\t"					\
	call								\
	"xchg %%rdi, (%%rsp)\n\t"					\
	RS_EACH(RS_STORE)						\
	"mov %%rsp, 128+15*8(%%rdi)\n\t"				\
	"pop %%rax\n\t"							\
	"mov %%rax, 128+5*8(%%rdi)\n\t"					\
	"pop %%rbp\n\t"

#define RS_CLOBBERS "rax", "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", \
	"r12", "r13", "r14", "r15", "memory", "cc"
#define RS_CLB_C	PV_CLB_C_ABI
#define RS_CLB_CALLEE	PV_CLB_CALLEE

/* One function per op, each around a recorded site of that op. */
#define RS_SITE_FN(group, op, conv, ...)				\
	static __noinline void rs_site_##group##_##op(struct regset *rs)	\
	{								\
		asm volatile(RS_AROUND(PV_ASM_SITE)			\
			     : "+D"(rs)					\
			     : PV_ASM_ARGS(group, op, RS_CLB_##conv)	\
			     : RS_CLOBBERS);				\
	}
PV_OP_EACH(RS_SITE_FN)

/*
 * And for each C op, a link-time call of its trampoline, and a tail call:
 * rs_tail_<op> is only `jmp pvcall_<op>`, which tools/pvcalls.c finds as a
 * jmp site (gcc makes none: the kernel is built without sibling calls).
 */
#define RS_LINK_FN_CALLEE(group, op)
#define RS_LINK_FN_C(group, op)						\
	asm(".pushsection .text, \"ax\"\n"				\
	    ".type rs_tail_" #group "_" #op ", @function\n"		\
	    "rs_tail_" #group "_" #op ":\n\t"				\
	    "jmp pvcall_" #group "_" #op "\n"				\
	    ".size rs_tail_" #group "_" #op ", . - rs_tail_" #group "_" #op "\n" \
	    ".popsection");						\
	static __noinline void rs_call_##group##_##op(struct regset *rs)	\
	{								\
		asm volatile(RS_AROUND("call pvcall_" #group "_" #op "\n\t") \
			     : "+D"(rs) : : RS_CLOBBERS);		\
	}								\
	static __noinline void rs_jmp_##group##_##op(struct regset *rs)	\
	{								\
		asm volatile(RS_AROUND("call rs_tail_" #group "_" #op "\n\t") \
			     : "+D"(rs) : : RS_CLOBBERS);		\
	}
#define RS_LINK_FN(group, op, conv, ...)	RS_LINK_FN_##conv(group, op)
PV_OP_EACH(RS_LINK_FN)

#define RS_LINKED_C(group, op)		rs_call_##group##_##op, rs_jmp_##group##_##op
#define RS_LINKED_CALLEE(group, op)	NULL, NULL
#define RS_SITE_ENTRY(group, op, conv, ...) \
	{ PV_OP(group.op), rs_site_##group##_##op, RS_LINKED_##conv(group, op) },
static const struct {
	unsigned int op;
	void (*call)(struct regset *rs);	/* at its recorded site */
	void (*linked)(struct regset *rs);	/* at a link-time call; NULL if none */
	void (*tail)(struct regset *rs);	/* at a link-time tail call; NULL if none */
} rs_sites[] = {
	PV_OP_EACH(RS_SITE_ENTRY)
};

/* The slot's own function, its address in in[RS_R11]. */
static __noinline void rs_via_r11(struct regset *rs)
{
	asm volatile(RS_AROUND("call *%%r11\n\t") : "+D"(rs) : : RS_CLOBBERS);
}

#define RS_IPI_VECTOR	0xf0		/* unused by pvos; the test's handler EOIs it */
#define RS_MSR		0xc0000080	/* EFER: every x86-64 CPU has it */
#define RS_HYPERCALL	0xfffe		/* no hypervisor knows it: -ENOSYS */

/* What the ops are given, so that every call is harmless and undone after. */
struct rs_env {
	unsigned long flags;		/* as the test found them: interrupts on */
	phys_addr_t page, pt_page;	/* TEST_VA's page; a page to make a table */
	pteval_t *pte, pte_v;		/* TEST_VA's entry and its value as stored */
	struct spinlock free_lock, held_lock;
	volatile uint16_t wait_word;
	struct cpuid_regs cpuid;
	struct desc_ptr idt, gdt;
	unsigned int ipis_sent;
};

static volatile unsigned int rs_ipis;

static void rs_ipi(struct trap_frame *f)
{
	(void)f;
	rs_ipis++;
	apic_eoi();
}

static const char rs_no_args[] = "no arguments known for it: add them to rs_args";
static const char rs_not_native[] = "not native here";

/* ltr faults on a busy TSS, and the loaded one is busy: make it available first. */
static uint64_t rs_tr_reloadable(struct rs_env *e)
{
	uint16_t sel;

	asm volatile("sgdt %0; str %1" : "=m"(e->gdt), "=r"(sel) : : "memory");
	((uint64_t *)e->gdt.base)[sel >> 3] &= ~(1UL << 41);	/* type 0xb -> 0x9 */
	return sel;
}

/*
 * MSRs, descriptor tables and IPIs are called only while the slot holds the
 * native function: Xen PV replaces them with a panic (a PV guest has none).
 */
static const char *rs_args_native(unsigned int op, struct rs_env *e, uint64_t *in)
{
	switch (op) {
	case PV_OP(cpu.rdmsr): case PV_OP(cpu.wrmsr): case PV_OP(cpu.load_idt):
	case PV_OP(cpu.load_gdt): case PV_OP(cpu.load_tr): case PV_OP(apic.send_ipi):
		break;
	default:
		return rs_no_args;
	}
	if (pv_slot_value(op) != ((const uint64_t *)&pv_native_ops)[op])
		return rs_not_native;
	switch (op) {
	case PV_OP(cpu.rdmsr): in[RS_RDI] = RS_MSR; break;
	case PV_OP(cpu.wrmsr): in[RS_RDI] = RS_MSR; in[RS_RSI] = rdmsr(RS_MSR); break;
	case PV_OP(cpu.load_idt):
		asm volatile("sidt %0" : "=m"(e->idt));
		in[RS_RDI] = (uint64_t)&e->idt;
		break;
	case PV_OP(cpu.load_gdt):
		asm volatile("sgdt %0" : "=m"(e->gdt));
		in[RS_RDI] = (uint64_t)&e->gdt;
		break;
	case PV_OP(cpu.load_tr): in[RS_RDI] = rs_tr_reloadable(e); break;
	case PV_OP(apic.send_ipi):
		in[RS_RDI] = 0;
		in[RS_RSI] = RS_IPI_VECTOR;
		e->ipis_sent++;
		break;
	}
	return NULL;
}

static const char *rs_args_mmu(unsigned int op, struct rs_env *e, uint64_t *in)
{
	switch (op) {
	case PV_OP(mmu.write_cr3): in[RS_RDI] = read_cr3(); break;
	case PV_OP(mmu.set_pte): case PV_OP(mmu.set_pmd):	/* Xen checks the table, */
	case PV_OP(mmu.set_pud): case PV_OP(mmu.set_p4d):	/* a level-1 one here */
		in[RS_RDI] = (uint64_t)e->pte;
		in[RS_RSI] = e->pte_v;
		break;
	case PV_OP(mmu.pte_clear): in[RS_RDI] = (uint64_t)e->pte; break;
	case PV_OP(mmu.flush_tlb_one): in[RS_RDI] = TEST_VA; break;
	case PV_OP(mmu.flush_tlb_multi): in[RS_RDI] = 0; in[RS_RSI] = TEST_VA; break;	/* no CPU */
	case PV_OP(mmu.make_pte): in[RS_RAX] = e->page | PAGE_KERNEL; break;
	case PV_OP(mmu.pte_val): in[RS_RAX] = e->pte_v; break;
	case PV_OP(mmu.release_pt):
		/* only a table can stop being one */
		paravirt_alloc_pt(e->pt_page >> PAGE_SHIFT, 1);
		/* fall through */
	case PV_OP(mmu.alloc_pt):
		in[RS_RDI] = e->pt_page >> PAGE_SHIFT;
		in[RS_RSI] = 1;
		break;
	default: return rs_args_native(op, e, in);
	}
	return NULL;
}

/* Put op's arguments in in[]: NULL to call it, rs_not_native to leave it out, or rs_no_args. */
static const char *rs_args(unsigned int op, struct rs_env *e, uint64_t *in)
{
	switch (op) {
	case PV_OP(irq.save_fl): case PV_OP(irq.irq_disable): case PV_OP(irq.irq_enable):
	case PV_OP(irq.safe_halt): case PV_OP(irq.halt):	/* interrupts on: the tick wakes it */
	case PV_OP(mmu.read_cr2): case PV_OP(mmu.read_cr3): case PV_OP(mmu.flush_tlb_local):
	case PV_OP(mmu.lazy_mmu_enter): case PV_OP(mmu.lazy_mmu_flush):
	case PV_OP(mmu.lazy_mmu_leave): case PV_OP(cpu.io_delay): case PV_OP(cpu.wbinvd):
	case PV_OP(apic.eoi): case PV_OP(time.sched_clock):
		break;
	case PV_OP(irq.restore_fl): in[RS_RDI] = e->flags; break;
	case PV_OP(lock.spin_unlock):	/* held, by ticket 0, by this CPU (for lockdebug) */
		e->free_lock.t.word = (uint32_t)TICKET_INC << 16;
		e->free_lock.owner = (int16_t)smp_processor_id();
		e->free_lock.since = native_rdtsc();
		/* fall through */
	case PV_OP(lock.spin_lock): in[RS_RDI] = (uint64_t)&e->free_lock; break;
	case PV_OP(lock.spin_trylock): in[RS_RDI] = (uint64_t)&e->held_lock; break;
	case PV_OP(lock.wait):	/* what it waits for is already there: it returns */
		in[RS_RDI] = (uint64_t)&e->wait_word;
		in[RS_RSI] = e->wait_word;
		break;
	case PV_OP(lock.kick): case PV_OP(time.steal_clock): in[RS_RDI] = 0; break;
	case PV_OP(cpu.cpuid):
		in[RS_RDI] = 0;
		in[RS_RSI] = 0;
		in[RS_RDX] = (uint64_t)&e->cpuid;
		break;
	case PV_OP(hv.hypercall): in[RS_RAX] = RS_HYPERCALL; break;
	default: return rs_args_mmu(op, e, in);
	}
	return NULL;
}

/*
 * Undo what the call changed, so that every op meets the same machine.  A
 * self-IPI is waited for before the next is sent: two sent before the first
 * is taken would merge into one in the APIC (a slow host, such as a
 * software KVM, is slow to inject).
 */
static void rs_settle(unsigned int op, struct rs_env *e)
{
	uint64_t deadline = sched_clock() + 1000000000ULL;

	restore_fl(e->flags);
	while (op == PV_OP(apic.send_ipi) && rs_ipis < e->ipis_sent && sched_clock() < deadline)
		asm volatile("pause");
	lazy_mmu_leave();
	if (op == PV_OP(mmu.alloc_pt))
		paravirt_release_pt(e->pt_page >> PAGE_SHIFT, 1);
	e->free_lock.t.word = 0;
	e->free_lock.owner = -1;
}

/* What a convention promises: all but %rax, or the C ABI's callee-saved registers. */
static bool rs_kept(enum pv_conv conv, int i)
{
	if (conv == PV_CONV_CALLEE)
		return i != RS_RAX;
	return i == RS_RBX || i == RS_RBP || i == RS_RSP || (i >= RS_R12 && i <= RS_R15);
}

static void rs_compare(struct st_ctx *t, unsigned int op, const char *how, const struct regset *rs)
{
	for (int i = 0; i < RS_NR; i++) {
		if (!rs_kept(pv_conv_of(op), i) || rs->in[i] == rs->out[i])
			continue;
		printk("selftest: %s %s changed %%%s: %lx -> %lx\n", pv_op_info[op].name, how,
		       rs_names[i], rs->in[i], rs->out[i]);
		st_fail(t, __LINE__, "%s %s changed %%%s", pv_op_info[op].name, how, rs_names[i]);
	}
}

static const char *const rs_hows[] = {
	"at its site", "at its link-time call", "at its link-time tail call", "through its slot",
};

/* Op number i of rs_sites, at its site, its link-time calls, then through its slot. */
static void rs_run(struct st_ctx *t, unsigned int i, struct rs_env *e, char *left_out, size_t size)
{
	unsigned int op = rs_sites[i].op;
	void (*const fn[])(struct regset *) = {
		rs_sites[i].call, rs_sites[i].linked, rs_sites[i].tail, rs_via_r11,
	};
	struct regset rs;

	for (unsigned int how = 0; how < ARRAY_SIZE(fn); how++) {
		const char *why;
		bool via_slot = fn[how] == rs_via_r11;

		if (!fn[how])
			continue;

		for (int r = 0; r < RS_NR; r++)	/* a pattern of its own in each register */
			rs.in[r] = 0x5ac0ffee00000000UL ^ ((uint64_t)(r + 1) << 56) ^
				   (0x01010101UL * (r + 1));
		why = rs_args(op, e, rs.in);
		if (why == rs_no_args) {
			st_fail(t, __LINE__, "%s: %s", pv_op_info[op].name, why);
			return;
		}
		if (why) {
			size_t n = strlen(left_out);

			snprintf(left_out + n, size - n, "%s%s", n ? ", " : "", pv_op_info[op].name);
			return;
		}
		if (via_slot)
			rs.in[RS_R11] = pv_slot_value(op);
		fn[how](&rs);
		rs_settle(op, e);
		rs_compare(t, op, rs_hows[how], &rs);
	}
}

SELFTEST(test_op_registers,
	 "every op keeps the registers its convention promises, at its site, link-time calls and slot")
{
	struct rs_env e = { .flags = save_fl(), .page = alloc_page(), .pt_page = alloc_page(),
			    .free_lock = SPINLOCK("register test's free lock"),
			    .held_lock = SPINLOCK("register test's held lock") };
	uint64_t deadline = sched_clock() + 1000000000ULL;
	char left_out[256] = "";

	if (!(e.flags & X86_EFLAGS_IF)) {
		st_fail(t, __LINE__, "interrupts are off: halt would never return");
		return;
	}
	map_page(TEST_VA, e.page, PAGE_KERNEL);
	e.pte = lookup_pte(TEST_VA);
	e.pte_v = *e.pte;		/* as stored: what set_pte takes */
	e.held_lock.t.word = (uint32_t)TICKET_INC << 16;
	set_irq_handler(RS_IPI_VECTOR, rs_ipi);
	rs_ipis = 0;
	for (unsigned int i = 0; i < ARRAY_SIZE(rs_sites); i++)
		rs_run(t, i, &e, left_out, sizeof(left_out));
	while (rs_ipis < e.ipis_sent && sched_clock() < deadline)
		asm volatile("pause");
	st_check(t, rs_ipis == e.ipis_sent, "%u of %u self-IPIs arrived", rs_ipis, e.ipis_sent);
	set_irq_handler(RS_IPI_VECTOR, NULL);
	if (*left_out)
		printk("selftest: registers: left out, the backend replaced the native op: %s\n",
		       left_out);
	unmap_page(TEST_VA);
	free_page(e.page);
	free_page(e.pt_page);
}
