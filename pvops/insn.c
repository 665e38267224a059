/*
 * A small x86-64 decoder for the monitor's `sites` (pvops/monitor.c): it
 * knows exactly the instructions pvos itself puts in call sites (the
 * indirect call, direct calls, padding, and every backend's inline code:
 * PV_OP_LIST's ASM rows, Xen's and KVM's DEF_PV_INSN templates) and says
 * so for anything else.  A general decoder would be thousands of lines;
 * this one is a table of byte patterns, each with the text objdump gives.
 * A template added to a backend needs a row here, or `sites` shows its
 * bytes as "not an instruction pvos writes" (tests/monitor checks that no
 * site does).
 */
#include "pvops/insn.h"
#include "pvops/pv_ops.h"
#include "kernel/string.h"
#include "kernel/vsprintf.h"
#include "arch/x86/ksyms.h"

/*
 * A pattern: hex bytes, and operand fields in byte order: ib (imm8), sb
 * (imm8, sign-extended), id (imm32, sign-extended), xb (disp8), xd (disp32),
 * rb/rd (rel8/rel32: a jump or call target), rp (rel32 to data, %rip-based).
 * (Field names start with a letter past f, so no field reads as a hex byte.)
 * In the text, @1 and @2 are the operands in that order.
 */
struct pattern {
	const char *bytes, *text;
};

static const struct pattern patterns[] = {
	/* padding (pv_nop_fill): the NOPs of each length, a jmp over int3s */
	{ "90", "nop" }, { "66 90", "xchg %ax,%ax" }, { "0f 1f 00", "nopl (%rax)" },
	{ "0f 1f 40 00", "nopl 0x0(%rax)" }, { "0f 1f 44 00 00", "nopl 0x0(%rax,%rax,1)" },
	{ "66 0f 1f 44 00 00", "nopw 0x0(%rax,%rax,1)" },
	{ "0f 1f 80 00 00 00 00", "nopl 0x0(%rax)" },
	{ "0f 1f 84 00 00 00 00 00", "nopl 0x0(%rax,%rax,1)" },
	{ "66 0f 1f 84 00 00 00 00 00", "nopw 0x0(%rax,%rax,1)" },
	{ "66 2e 0f 1f 84 00 00 00 00 00", "cs nopw 0x0(%rax,%rax,1)" },
	{ "66 66 2e 0f 1f 84 00 00 00 00 00", "data16 cs nopw 0x0(%rax,%rax,1)" },
	{ "eb rb", "jmp @1" }, { "cc", "int3" },
	/* the site's own call, indirect before patching, direct after */
	{ "ff 15 rp", "call *@1(%rip)" }, { "e8 rd", "call @1" },
	/* the native templates (PV_OP_LIST) */
	{ "9c", "pushf" }, { "58", "pop %rax" }, { "57", "push %rdi" }, { "9d", "popf" },
	{ "fa", "cli" }, { "fb", "sti" }, { "f4", "hlt" },
	{ "0f 20 d0", "mov %cr2,%rax" }, { "0f 20 d8", "mov %cr3,%rax" },
	{ "0f 22 df", "mov %rdi,%cr3" }, { "0f 22 d8", "mov %rax,%cr3" },
	{ "48 89 37", "mov %rsi,(%rdi)" }, { "48 83 27 00", "andq $0x0,(%rdi)" },
	{ "0f 01 3f", "invlpg (%rdi)" }, { "b8 id", "mov @1,%eax" },
	{ "66 f0 0f c1 47 xb", "lock xadd %ax,@1(%rdi)" }, { "83 e0 sb", "and @1,%eax" },
	{ "66 39 07", "cmp %ax,(%rdi)" }, { "74 rb", "je @1" }, { "73 rb", "jae @1" },
	{ "66 83 07 ib", "addw @1,(%rdi)" }, { "e6 ib", "out %al,@1" }, { "0f 09", "wbinvd" },
	{ "48 c7 c0 id", "mov @1,%rax" },
	/* KVM's hypercall instructions */
	{ "0f 01 c1", "vmcall" }, { "0f 01 d9", "vmmcall" },
	/* Xen's event mask and pending bytes in the vcpu_info, through %gs */
	{ "65 c6 04 25 xd ib", "movb @2,%gs:@1" }, { "65 80 3c 25 xd ib", "cmpb @2,%gs:@1" },
	{ "65 0f 93 04 25 xd", "setae %gs:@1" }, { "19 c0", "sbb %eax,%eax" },
	{ "25 id", "and @1,%eax" }, { "0f ba e7 ib", "bt @1,%edi" },
};

static int hexval(char c)
{
	return c >= 'a' ? c - 'a' + 10 : c - '0';
}

static unsigned int field_len(const char *f)
{
	return f[1] == 'b' ? 1 : 4;
}

static int64_t field_value(const char *f, const uint8_t *p)
{
	if (f[1] == 'b')
		return f[0] == 'i' ? (int64_t)p[0] : (int64_t)(int8_t)p[0];
	return (int64_t)(int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 |
				  (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

struct operand {
	char kind;		/* the field's first letter: i, s, x, r */
	char size;		/* b or d */
	bool rip_data;		/* rp */
	int64_t value;
};

/* The pattern's length if the bytes match it (operands filled), else 0. */
static unsigned int match(const char *pat, const uint8_t *p, unsigned int left,
			  struct operand *ops, int *nops)
{
	unsigned int n = 0;

	*nops = 0;
	for (const char *f = pat; *f; f += f[2] ? 3 : 2) {
		bool field = f[0] >= 'g' || f[1] >= 'g';	/* not two hex digits */
		unsigned int len = field ? field_len(f) : 1;

		if (n + len > left)
			return 0;
		if (!field && p[n] != (uint8_t)(hexval(f[0]) << 4 | hexval(f[1])))
			return 0;
		if (field)
			ops[(*nops)++] = (struct operand){ .kind = f[0], .size = f[1],
				.rip_data = f[1] == 'p', .value = field_value(f, p + n) };
		n += len;
	}
	return n;
}

/* One operand as text; end is the address after the instruction. */
static void operand_text(const struct operand *o, uint64_t end, char *buf, size_t size)
{
	uint64_t target = end + (uint64_t)o->value, off;
	const char *sym;

	if (o->rip_data) {
		unsigned int slot = (unsigned int)((target - (uint64_t)&pv_ops) / 8);
		const struct pv_op_info *i = target >= (uint64_t)&pv_ops ? pv_op_lookup(slot) : NULL;

		snprintf(buf, size, "%#lx%s%s%s", (unsigned long)(uint32_t)o->value, i ? " <pv_ops." : "",
			 i ? i->name : "", i ? ">" : "");
	} else if (o->kind == 'r') {
		sym = ksym_lookup(target, &off);
		snprintf(buf, size, "%lx <%s+0x%lx>", (unsigned long)target, sym ? sym : "?",
			 sym ? (unsigned long)off : 0UL);
	} else if (o->kind == 'x') {
		snprintf(buf, size, "%#lx", (unsigned long)o->value);
	} else {
		snprintf(buf, size, o->value < 0 ? "$%ld" : "$%#lx", (long)o->value);
	}
}

static void render(const char *text, const struct operand *ops, uint64_t end, char *buf,
		   size_t size)
{
	size_t len = 0;

	for (const char *t = text; *t && len + 1 < size; t++) {
		if (t[0] == '@' && (t[1] == '1' || t[1] == '2')) {
			operand_text(&ops[t[1] - '1'], end, buf + len, size - len);
			len += strlen(buf + len);
			t++;
		} else {
			buf[len++] = *t;
		}
	}
	buf[len] = '\0';
}

/*
 * The instruction at p (left bytes of it readable, at address addr) as
 * text; its length, or 0 if it is none pvos writes.  Redundant cs prefixes
 * in front of a call (a direct call padded to the site) are part of it.
 */
unsigned int pv_insn_decode(const uint8_t *p, unsigned int left, uint64_t addr, char *buf,
			    size_t size)
{
	unsigned int cs = 0, n;
	struct operand ops[2];
	int nops;

	while (cs < left && p[cs] == 0x2e)
		cs++;
	if (cs && (cs == left || p[cs] != 0xe8))
		cs = 0;		/* a cs prefix pvos writes only before a call */
	for (size_t i = 0; i < ARRAY_SIZE(patterns); i++) {
		n = match(patterns[i].bytes, p + cs, left - cs, ops, &nops);
		if (!n)
			continue;
		for (unsigned int k = 0; k < cs && k * 3 + 3 < size; k++)
			memcpy(buf + k * 3, "cs ", 4);
		render(patterns[i].text, ops, addr + cs + n, buf + cs * 3, size - cs * 3);
		return cs + n;
	}
	return 0;
}
