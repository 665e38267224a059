/*
 * Link-time call sites, in the kernel: the trampolines, and the pass that
 * retargets every call to them (docs/pvops.md, "Link-time call sites").
 *
 * A C-convention op's wrapper is a plain C call to its trampoline,
 * pvcall_<group>_<name>, whose one instruction jumps through the op's
 * slot, so an unpatched call is always correct.  tools/pvcalls.c finds
 * every call and tail-call jmp to a trampoline in the first link and lists
 * them in .pv_calls; this pass points each one straight at the slot's
 * function (pvops/call_patch.c decides the bytes), and points it back at
 * the trampoline to undo.  It runs inside the patcher's pass
 * (pvops/patcher.c), so with interrupts off and every other CPU stopped.
 *
 * As with the recorded sites, the table never changes after the build:
 * what the pass did with each call is one byte beside it, and a later pass
 * recomputes what the last one wrote from the table as it was then.
 */
#include "pvops/patcher.h"
#include "pvops/call_patch.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "arch/x86/mm.h"
#include "arch/x86/paging.h"
#include "arch/x86/ksyms.h"

/*
 * The trampolines, from PV_OP_LIST's C rows: 8 bytes apart, each exactly
 * jmp *pv_ops+OFFSET(%rip) and int3 padding.  They are written from inside
 * a function only so that the asm can take offsetof() as an operand; the
 * function itself is never called.
 */
#define PV_TRAMP_NAME(group, name)	"pvcall_" #group "_" #name
#define PV_TRAMPOLINE_CALLEE(group, name)
#define PV_TRAMPOLINE_C(group, name)					\
	asm volatile(".pushsection .text.pv_trampolines, \"ax\"\n\t"	\
		     ".balign 8, 0xcc\n\t"				\
		     ".globl " PV_TRAMP_NAME(group, name) "\n\t"	\
		     ".type " PV_TRAMP_NAME(group, name) ", @function\n" \
		     PV_TRAMP_NAME(group, name) ":\n\t"			\
		     "jmp *pv_ops+%c0(%%rip)\n\t"			\
		     ".size " PV_TRAMP_NAME(group, name) ", . - "	\
		     PV_TRAMP_NAME(group, name) "\n\t"			\
		     ".balign 8, 0xcc\n\t"				\
		     ".popsection"					\
		     : : "i"(offsetof(struct pv_ops, group.name)));
#define PV_TRAMPOLINE(group, name, conv, ...) PV_TRAMPOLINE_##conv(group, name)

static __used void pv_emit_trampolines(void)
{
	PV_OP_EACH(PV_TRAMPOLINE)
}

struct pv_call_stats pv_call_stats;
static uint64_t tramp_of[PV_NR_OPS];	/* each op's trampoline, 0 if it has none */
static bool tramps_found;

/*
 * Each op's trampoline, read back from the code (pvops/call_patch.c
 * decodes the jmp): no table of their addresses is kept in data, where
 * tools/pvcalls.c would rightly take it for a function pointer.
 */
static void find_trampolines(void)
{
	uint64_t a = (uint64_t)__start_pv_trampolines, end = (uint64_t)__stop_pv_trampolines;

	for (; a + PV_TRAMP_LEN <= end; a += PV_TRAMP_STRIDE) {
		int op = pv_trampoline_op((const uint8_t *)a, a, (uint64_t)&pv_ops, PV_NR_OPS);

		if (op >= 0)
			tramp_of[op] = a;
	}
	tramps_found = true;
}

uint64_t pv_trampoline_of(unsigned int op)
{
	if (!tramps_found)
		find_trampolines();
	return op < PV_NR_OPS ? tramp_of[op] : 0;
}

void pv_call_kernel_ctx(struct pv_call_ctx *x)
{
	*x = (struct pv_call_ctx){
		.text_start = (uint64_t)_stext, .text_end = (uint64_t)_etext,
		.tramp_start = (uint64_t)__start_pv_trampolines,
		.tramp_end = (uint64_t)__stop_pv_trampolines,
		.nr_ops = PV_NR_OPS, .conv_of = pv_conv_of, .trampoline_of = pv_trampoline_of,
	};
}

enum pv_call_outcome pv_call_outcome_of(const struct pv_call *c)
{
	return (enum pv_call_outcome)__start_pv_call_outcomes[c - __start_pv_calls];
}

static void count(const struct pv_call *c, enum pv_call_outcome how)
{
	__start_pv_call_outcomes[c - __start_pv_calls] = (uint8_t)how;
	pv_call_stats.direct += how == PV_CALL_DIRECT;
	pv_call_stats.nop += how == PV_CALL_NOP;
	pv_call_stats.left += how == PV_CALL_LEFT;
	pv_call_stats.refused += how == PV_CALL_REFUSED;
}

/* The first code byte of a slot's function, 0 if it is not kernel text. */
static uint8_t first_byte(uint64_t target)
{
	if (target < (uint64_t)_stext || target >= (uint64_t)_etext)
		return 0;
	return *(const uint8_t *)target;
}

/* What a call holds once planned for slots `slots`, as the pass writes it. */
void pv_call_planned(const struct pv_call *c, const uint64_t *slots, struct pv_call_plan *plan)
{
	struct pv_call_ctx x;

	pv_call_kernel_ctx(&x);
	pv_call_plan(c, &x, slots[c->op], first_byte(slots[c->op]), plan);
}

/* What the call should hold now, after the last pass; NULL if it does. */
static const char *check_current(const struct pv_call *c, const struct pv_call_ctx *x,
				 const uint64_t *last_table, const uint8_t *now)
{
	enum pv_call_outcome last = pv_call_outcome_of(c);
	struct pv_call_plan want;

	if (last == PV_CALL_NOT_YET)
		return pv_call_check_bytes(c, now, x);
	if (last == PV_CALL_LEFT)
		pv_call_original(c, x, want.bytes);
	else
		pv_call_planned(c, last_table, &want);
	return memcmp(now, want.bytes, PV_CALL_LEN) ? "bytes changed since the last patch pass"
						    : NULL;
}

static void refuse(const struct pv_call *c, const char *why)
{
	printk("pvops: refused link-time call #%ld (addr %lx, op %u, kind %u): %s\n",
	       (long)(c - __start_pv_calls), (unsigned long)c->addr, c->op, c->kind, why);
	count(c, PV_CALL_REFUSED);
}

static void patch_one(const struct pv_call *c, bool patch, const struct pv_call_ctx *x,
		      const uint64_t *last_table)
{
	const char *bad = pv_call_outcome_of(c) == PV_CALL_REFUSED ? "" : pv_call_check_entry(c, x);
	uint8_t now[PV_CALL_LEN];
	struct pv_call_plan plan;

	if (!bad) {
		memcpy(now, (const void *)c->addr, PV_CALL_LEN);
		bad = check_current(c, x, last_table, now);
	}
	if (bad) {
		if (*bad)		/* once refused, refused for good: said once */
			refuse(c, bad);
		else
			count(c, PV_CALL_REFUSED);
		return;
	}
	if (patch)
		pv_call_planned(c, (const uint64_t *)&pv_ops, &plan);
	else
		pv_call_plan(c, x, x->trampoline_of(c->op), 0, &plan);
	if (plan.why)
		printk("pvops: link-time call %lx %s %s: %s\n", (unsigned long)c->addr,
		       pv_op_info[c->op].name, pv_call_outcome_name(plan.how), plan.why);
	if (memcmp(now, plan.bytes, PV_CALL_LEN))
		text_poke((void *)c->addr, plan.bytes, PV_CALL_LEN);
	count(c, plan.how);
}

/*
 * Every call, patched to pv_ops as it is now or (patch == false) back to
 * its trampoline.  last_table is pv_ops as the last pass saw it.  Called
 * by the patcher's pass, which runs text_poke_done() after it.
 */
void pv_calls_pass(bool patch, const uint64_t *last_table)
{
	struct pv_call_ctx x;

	pv_call_kernel_ctx(&x);
	pv_call_stats = (struct pv_call_stats){
		.calls = (unsigned int)(__stop_pv_calls - __start_pv_calls),
	};
	for (const struct pv_call *c = __start_pv_calls; c < __stop_pv_calls; c++)
		patch_one(c, patch, &x, last_table);
}

/*
 * Test only (pvops.corrupt): damage three entries the way a bad build
 * might: one outside the text, one of no known kind, and one naming
 * another op than the trampoline it calls.
 */
void pv_calls_corrupt(void)
{
	long n = __stop_pv_calls - __start_pv_calls;
	struct pv_call *c = &__start_pv_calls[3 * n / 4];

	if (n < 3)
		return;
	__start_pv_calls[n / 4].addr = (uint64_t)&pv_ops;
	__start_pv_calls[n / 2].kind = 7;
	c->op = c->op == PV_OP(cpu.wbinvd) ? PV_OP(cpu.io_delay) : PV_OP(cpu.wbinvd);
	printk("pvops: test: corrupted link-time call entries #%ld (address), #%ld (kind), "
	       "#%ld (op)\n", n / 4, n / 2, 3 * n / 4);
}
