/*
 * Host unit tests for link-time call sites: the relocation scanner that
 * tools/pvcalls.c runs on the first link (tools/pvcalls_scan.c), and the
 * engine that retargets the calls at boot (pvops/call_patch.c).
 *
 * The scanner is run on real ELF files, which this test builds when it
 * runs: two trampolines in .text.pv_trampolines, callers in assembly (a
 * call and a tail-call jmp) and in C (compiled with sibling calls, so gcc
 * makes the tail call itself), linked with `ld -q` like the kernel's first
 * pass.  Each variant adds one reference the scanner must refuse: a
 * function pointer in .data, a lea, a mov $imm, a call into the middle of a
 * trampoline, and broken trampolines; and it must fail clearly on a link
 * without relocations or without trampolines.  A reference from debug info
 * must be ignored.  The engine is checked byte for byte, as patch.c is.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gelf.h>
#include <fcntl.h>
#include <cmocka.h>

#include "tools/pvcalls_scan.h"
#include "pvops/call_patch.h"
#include "pvops/pv_ops.h"

#define OP_SCHED	PV_OP(time.sched_clock)
#define OP_KICK		PV_OP(lock.kick)
#define OP_SPIN		PV_OP(lock.spin_lock)
#define OP_SAVE_FL	PV_OP(irq.save_fl)

/* ------------------------------------------------------------------ */
/* Fixtures: tiny kernels built and linked at run time                */
/* ------------------------------------------------------------------ */

static char dir[] = "/tmp/test_pvcalls.XXXXXX";

static const char tramp_s[] =
	"#define TRAMP(name, off)\\\n"
	"\t.balign 8, 0xcc;\\\n\t.globl name; .type name, @function;\\\n"
	"name:\tjmp *pv_ops+(off)(%rip);\\\n\t.size name, . - name\n"
	"\t.section .text.pv_trampolines, \"ax\"\n"
	"TRAMP(pvcall_time_sched_clock, OFF_SCHED)\n"
	"#if defined(BAD_TRAMP)\n"
	"TRAMP(pvcall_lock_kick, OFF_KICK + 4)\n"
	"#elif defined(WRONG_NAME)\n"
	"TRAMP(pvcall_lock_kick, OFF_SCHED)\n"
	"#else\n"
	"TRAMP(pvcall_lock_kick, OFF_KICK)\n"
	"#endif\n"
	"\t.balign 8, 0xcc\n";

static const char calls_s[] =
	"#define FN(name) .globl name; .type name, @function; name:\n"
	"\t.text\n"
	"FN(asm_call)\tcall pvcall_time_sched_clock\n\tret\n"
	"FN(asm_tail)\tjmp pvcall_lock_kick\n"
	"#ifdef LEA\nFN(lea_user)\tlea pvcall_lock_kick(%rip), %rax\n\tret\n#endif\n"
	"#ifdef MOV_IMM\nFN(mov_user)\tmov $pvcall_lock_kick, %rax\n\tret\n#endif\n"
	"#ifdef MIDDLE\nFN(middle_user)\tcall pvcall_lock_kick+2\n\tret\n#endif\n"
	"\t.section .debug_pvcalls_test, \"\", @progbits\n"
	"\t.quad pvcall_lock_kick\t/* not loaded: skipped */\n"
	"\t.data\n\t.balign 8\n\t.globl pv_ops\npv_ops:\t.zero NR_OPS * 8\n";

static const char callers_c[] =
	"extern unsigned long pvcall_time_sched_clock(void);\n"
	"extern void pvcall_lock_kick(int cpu);\n"
	"unsigned long c_call(void) { return pvcall_time_sched_clock() + 1; }\n"
	"void c_tail(int cpu) { pvcall_lock_kick(cpu); }\n"
	"#ifdef DATA_PTR\nvoid (*kick_ptr)(int) = pvcall_lock_kick;\n#endif\n";

static const char script_ld[] =
	"SECTIONS {\n"
	"  . = 0xffffffff80100000;\n"
	"  .text : { __start_pv_trampolines = .; KEEP(*(.text.pv_trampolines))\n"
	"            __stop_pv_trampolines = .; *(.text .text.*) }\n"
	"  .data : { *(.data .data.*) }\n"
	"  .bss : { *(.bss .bss.*) }\n"
	"  /DISCARD/ : { *(.comment) *(.note.*) *(.eh_frame) }\n"
	"}\n";

/* The same without the trampolines' bounds: what a PARAVIRT=0 link looks like to the scanner. */
static const char plain_ld[] =
	"SECTIONS {\n"
	"  . = 0xffffffff80100000;\n"
	"  .text : { *(.text .text.*) }\n"
	"  .data : { *(.data .data.*) }\n"
	"  /DISCARD/ : { *(.comment) *(.note.*) *(.eh_frame) }\n"
	"}\n";

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	write_file("tramp.S", tramp_s);
	write_file("calls.S", calls_s);
	write_file("callers.c", callers_c);
	write_file("fixture.ld", script_ld);
	write_file("plain.ld", plain_ld);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return run("rm -rf '%s'", dir);
}

/*
 * Build dir/NAME.elf with -DDEFS (e.g. "-DLEA"); ldflags "-q" for a first
 * pass, "" for a link without relocations, and TRAMPS 0 for a link script
 * that does not mark out the trampolines.  Returns the path.
 */
static const char *build(const char *name, const char *defs, const char *ldflags, int tramps)
{
	static char path[128];
	const char *cc = "gcc -c -D__ASSEMBLY__ -fno-pic -fno-pie";

	assert_int_equal(run("cd '%s' && D='%s -DOFF_SCHED=%u -DOFF_KICK=%u -DNR_OPS=%u' && "
			     "%s $D -o %s.tramp.o tramp.S && %s $D -o %s.calls.o calls.S && "
			     "gcc -c -O2 -g -foptimize-sibling-calls -mcmodel=kernel -fno-pic "
			     "-fno-pie -ffreestanding -fcf-protection=none "
			     "-fno-asynchronous-unwind-tables $D -o %s.c.o callers.c && "
			     "ld %s -nostdlib -static -z noexecstack --no-warn-rwx-segments -T %s -e asm_call "
			     "-o %s.elf %s.tramp.o %s.calls.o %s.c.o",
			     dir, defs, (unsigned int)OP_SCHED * 8, (unsigned int)OP_KICK * 8, (unsigned int)PV_NR_OPS,
			     cc, name, cc, name, name, ldflags, tramps ? "fixture.ld" : "plain.ld",
			     name, name, name, name), 0);
	snprintf(path, sizeof(path), "%s/%s.elf", dir, name);
	return path;
}

/* A symbol's value in an ELF file, 0 if it has none. */
static uint64_t sym_addr(const char *path, const char *want)
{
	int fd = open(path, O_RDONLY);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	uint64_t found = 0;
	GElf_Shdr sh;

	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
		Elf_Data *d = gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB ?
			      elf_getdata(scn, NULL) : NULL;

		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;

			if (gelf_getsym(d, (int)i, &s) &&
			    !strcmp(elf_strptr(elf, sh.sh_link, s.st_name), want))
				found = s.st_value;
		}
	}
	elf_end(elf);
	close(fd);
	return found;
}

/* The entry at addr, failing the test if there is none. */
static const struct pv_call *call_at(const struct pvc_scan *s, uint64_t addr)
{
	for (size_t i = 0; i < s->ncalls; i++)
		if (s->calls[i].addr == addr)
			return &s->calls[i];
	fail_msg("no call recorded at %#lx", (unsigned long)addr);
	return NULL;
}

/* Scan a fixture that must be refused: status 1 and every expected phrase said. */
static void expect_refused(const char *path, const char *const *phrases, size_t n)
{
	struct pvc_scan s;

	int rc = pvc_scan_file(path, &s);
	const char *lacks = NULL;
	char said[1024];

	for (size_t i = 0; i < n && !lacks; i++)
		if (!strstr(s.messages, phrases[i]))
			lacks = phrases[i];
	snprintf(said, sizeof(said), "%s", s.messages);
	pvc_scan_free(&s);
	assert_int_equal(rc, 1);
	if (lacks)
		fail_msg("message lacks \"%s\":\n%s", lacks, said);
}

/* ------------------------------------------------------------------ */
/* The scanner                                                        */
/* ------------------------------------------------------------------ */

/* Calls and tail calls, from assembly and from C; debug info ignored. */
static void test_scan_calls_and_tail_calls(void **state)
{
	const char *elf = build("good", "", "-q", 1);
	uint64_t sched = sym_addr(elf, "pvcall_time_sched_clock");
	uint64_t c_call = sym_addr(elf, "c_call"), c_tail = sym_addr(elf, "c_tail");
	const struct pv_call *c;
	struct pvc_scan s;
	size_t in_c_call = 0;

	(void)state;
	assert_int_equal(pvc_scan_file(elf, &s), 0);
	assert_string_equal(s.messages, "");
	assert_int_equal(s.ntramps, 2);
	assert_int_equal(s.ncalls, 4);
	assert_int_equal(s.njmps, 2);
	assert_int_equal(sym_addr(elf, "pvcall_lock_kick"), sched + PV_TRAMP_STRIDE);
	c = call_at(&s, sym_addr(elf, "asm_call"));
	assert_int_equal(c->kind, PV_CALL_KIND_CALL);
	assert_int_equal(c->op, OP_SCHED);
	c = call_at(&s, sym_addr(elf, "asm_tail"));
	assert_int_equal(c->kind, PV_CALL_KIND_JMP);
	assert_int_equal(c->op, OP_KICK);
	c = call_at(&s, c_tail);	/* gcc's own tail call: its first instruction */
	assert_int_equal(c->kind, PV_CALL_KIND_JMP);
	assert_int_equal(c->op, OP_KICK);
	for (size_t i = 0; i < s.ncalls; i++)
		in_c_call += s.calls[i].addr >= c_call && s.calls[i].addr < c_call + 16 &&
			     s.calls[i].kind == PV_CALL_KIND_CALL && s.calls[i].op == OP_SCHED;
	assert_int_equal(in_c_call, 1);
	for (size_t i = 1; i < s.ncalls; i++)
		assert_true(s.calls[i - 1].addr < s.calls[i].addr);
	pvc_scan_free(&s);
}

static void test_scan_refuses_data_pointer(void **state)
{
	const char *const says[] = { "kick_ptr+0x0", ", .data)", "refers to pvcall_lock_kick",
				     "referred to from data: a function pointer" };

	(void)state;
	expect_refused(build("dataptr", "-DDATA_PTR", "-q", 1), says, 4);
}

static void test_scan_refuses_lea(void **state)
{
	const char *const says[] = { "lea_user+0x3", "rel32 not after a call (e8) or jmp (e9)" };

	(void)state;
	expect_refused(build("lea", "-DLEA", "-q", 1), says, 2);
}

static void test_scan_refuses_mov_imm(void **state)
{
	const char *const says[] = { "mov_user+0x3", "absolute relocation" };

	(void)state;
	expect_refused(build("movimm", "-DMOV_IMM", "-q", 1), says, 2);
}

static void test_scan_refuses_middle(void **state)
{
	const char *const says[] = { "middle_user+0x1", "into the middle of a trampoline" };

	(void)state;
	expect_refused(build("middle", "-DMIDDLE", "-q", 1), says, 2);
}

static void test_scan_refuses_bad_trampolines(void **state)
{
	const char *const bad[] = { "trampoline pvcall_lock_kick: not jmp *pv_ops+8*op(%rip)" };
	const char *const wrong[] = {
		"trampoline pvcall_lock_kick: jumps through the slot of time.sched_clock" };

	(void)state;
	expect_refused(build("badtramp", "-DBAD_TRAMP", "-q", 1), bad, 1);
	expect_refused(build("wrongname", "-DWRONG_NAME", "-q", 1), wrong, 1);
}

/* Not a first pass: no relocations, or no trampolines at all. */
static void test_scan_unusable_input(void **state)
{
	struct pvc_scan s;
	char path[128];

	(void)state;
	assert_int_equal(pvc_scan_file(build("norelocs", "", "", 1), &s), 2);
	assert_non_null(strstr(s.messages, "no relocations: link the first pass with ld -q"));
	pvc_scan_free(&s);
	assert_int_equal(pvc_scan_file(build("notramps", "", "-q", 0), &s), 2);
	assert_non_null(strstr(s.messages, "no __start_pv_trampolines"));
	pvc_scan_free(&s);
	assert_int_equal(pvc_scan_file("/nonexistent/pvos.elf", &s), 2);
	assert_non_null(strstr(s.messages, "No such file or directory"));
	pvc_scan_free(&s);
	assert_int_equal(pvc_scan_file(build("text", "", "-q", 1) /* any ELF */, &s), 0);
	pvc_scan_free(&s);
	snprintf(path, sizeof(path), "%s/tramp.S", dir);
	assert_int_equal(pvc_scan_file(path, &s), 2);
	assert_non_null(strstr(s.messages, "not an x86-64 ELF64 executable"));
	pvc_scan_free(&s);
}

/* ------------------------------------------------------------------ */
/* The engine                                                         */
/* ------------------------------------------------------------------ */

#define TEXT_START	0xffffffff80100000ULL
#define TEXT_END	0xffffffff80200000ULL
#define TRAMP_START	0xffffffff80100100ULL	/* sched_clock's, then kick's */
#define TRAMP_END	0xffffffff80100110ULL

static enum pv_conv conv_of(unsigned int op)
{
	const struct pv_op_info *i = pv_op_lookup(op);

	return i ? i->conv : PV_CONV_NONE;
}

static uint64_t tramp_of(unsigned int op)
{
	return op == OP_SCHED ? TRAMP_START : op == OP_KICK ? TRAMP_START + 8 : 0;
}

static const struct pv_call_ctx ctx = {
	.text_start = TEXT_START, .text_end = TEXT_END,
	.tramp_start = TRAMP_START, .tramp_end = TRAMP_END,
	.nr_ops = PV_NR_OPS, .conv_of = conv_of, .trampoline_of = tramp_of,
};

static struct pv_call entry(uint64_t addr, unsigned int op, unsigned int kind)
{
	return (struct pv_call){ .addr = addr, .op = (uint16_t)op, .kind = (uint8_t)kind };
}

static void test_encode_branch(void **state)
{
	uint8_t b[6] = { 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc };

	(void)state;
	assert_int_equal(sizeof(struct pv_call), 16);
	assert_true(pv_encode_branch(b, 0xe8, 0x1000, 0x1234));	/* rel 0x22f */
	assert_memory_equal(b, ((uint8_t[]){ 0xe8, 0x2f, 0x02, 0x00, 0x00, 0xcc }), 6);
	assert_true(pv_encode_branch(b, 0xe9, 0x2000, 0x1000));	/* rel -0x1005 */
	assert_memory_equal(b, ((uint8_t[]){ 0xe9, 0xfb, 0xef, 0xff, 0xff, 0xcc }), 6);
	assert_true(pv_encode_branch(b, 0xe8, TEXT_START, TEXT_START + 5 + INT32_MAX));
	assert_memory_equal(b, ((uint8_t[]){ 0xe8, 0xff, 0xff, 0xff, 0x7f }), 5);
	memset(b, 0xcc, sizeof(b));
	assert_false(pv_encode_branch(b, 0xe8, TEXT_START, TEXT_START + 6 + INT32_MAX));
	assert_false(pv_encode_branch(b, 0xe9, TEXT_START, 0x100000000ULL));
	assert_memory_equal(b, ((uint8_t[]){ 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc }), 6);
	assert_int_equal(pv_call_opcode(PV_CALL_KIND_CALL), 0xe8);
	assert_int_equal(pv_call_opcode(PV_CALL_KIND_JMP), 0xe9);
	assert_int_equal(pv_call_opcode(0), 0);
	assert_int_equal(pv_call_opcode(3), 0);
}

/* A call of a bare ret is one NOP; a tail call is the ret itself, then a NOP. */
static void test_empty_forms(void **state)
{
	uint8_t b[5];

	(void)state;
	pv_call_empty(PV_CALL_KIND_CALL, b);
	assert_memory_equal(b, ((uint8_t[]){ 0x0f, 0x1f, 0x44, 0x00, 0x00 }), 5);
	pv_call_empty(PV_CALL_KIND_JMP, b);
	assert_memory_equal(b, ((uint8_t[]){ 0xc3, 0x0f, 0x1f, 0x40, 0x00 }), 5);
}

static void test_trampoline_op(void **state)
{
	const uint64_t table = 0xffffffff80300000ULL, at = TRAMP_START;
	uint8_t code[6] = { 0xff, 0x25 };
	uint32_t rel;

	(void)state;
	rel = (uint32_t)(table + 8 * OP_KICK - (at + 6));
	memcpy(code + 2, &rel, 4);
	assert_int_equal(pv_trampoline_op(code, at, table, PV_NR_OPS), OP_KICK);
	rel += 4;				/* half way into a slot */
	memcpy(code + 2, &rel, 4);
	assert_int_equal(pv_trampoline_op(code, at, table, PV_NR_OPS), -1);
	rel = (uint32_t)(table + 8 * PV_NR_OPS - (at + 6));	/* past the table */
	memcpy(code + 2, &rel, 4);
	assert_int_equal(pv_trampoline_op(code, at, table, PV_NR_OPS), -1);
	rel = (uint32_t)(table - 8 - (at + 6));			/* before it */
	memcpy(code + 2, &rel, 4);
	assert_int_equal(pv_trampoline_op(code, at, table, PV_NR_OPS), -1);
	code[1] = 0x15;				/* call *, not jmp * */
	assert_int_equal(pv_trampoline_op(code, at, table, PV_NR_OPS), -1);
}

static void test_check_entry(void **state)
{
	struct pv_call c;

	(void)state;
	c = entry(TEXT_START + 0x1000, OP_SCHED, PV_CALL_KIND_CALL);
	assert_null(pv_call_check_entry(&c, &ctx));
	c.kind = PV_CALL_KIND_JMP;
	assert_null(pv_call_check_entry(&c, &ctx));
	c.addr = TEXT_START - 1;
	assert_string_equal(pv_call_check_entry(&c, &ctx), "address outside kernel text");
	c.addr = TEXT_END - 4;		/* its five bytes would run past the end */
	assert_string_equal(pv_call_check_entry(&c, &ctx), "address outside kernel text");
	c.addr = TRAMP_START - 4;	/* its last byte inside the first trampoline */
	assert_string_equal(pv_call_check_entry(&c, &ctx), "address inside the trampolines");
	c.addr = TRAMP_END - 1;
	assert_string_equal(pv_call_check_entry(&c, &ctx), "address inside the trampolines");
	c.addr = TRAMP_END;
	assert_null(pv_call_check_entry(&c, &ctx));
	c.kind = 7;
	assert_string_equal(pv_call_check_entry(&c, &ctx), "unknown kind");
	c.kind = PV_CALL_KIND_CALL;
	c.op = 999;
	assert_string_equal(pv_call_check_entry(&c, &ctx), "unknown op");
	c.op = OP_SAVE_FL;		/* a callee-save op: no trampoline */
	assert_string_equal(pv_call_check_entry(&c, &ctx),
			    "op has no trampoline (not a C-convention op)");
	c.op = OP_SPIN;			/* a C op this context has no trampoline for */
	assert_string_equal(pv_call_check_entry(&c, &ctx),
			    "op has no trampoline (not a C-convention op)");
}

static void test_check_bytes(void **state)
{
	const uint64_t at = TEXT_START + 0x2000;
	struct pv_call c = entry(at, OP_KICK, PV_CALL_KIND_JMP);
	uint8_t b[5];

	(void)state;
	assert_true(pv_call_original(&c, &ctx, b));
	assert_int_equal(b[0], 0xe9);
	assert_null(pv_call_check_bytes(&c, b, &ctx));
	b[0] = 0xe8;			/* a call where a jmp was found */
	assert_string_equal(pv_call_check_bytes(&c, b, &ctx),
			    "bytes are not a call or jmp to its trampoline");
	assert_true(pv_call_original(&c, &ctx, b));
	c.op = OP_SCHED;		/* the entry names another op's trampoline */
	assert_string_equal(pv_call_check_bytes(&c, b, &ctx),
			    "rel32 does not reach its op's trampoline");
}

static void test_plan(void **state)
{
	const uint64_t at = TEXT_START + 0x3000, fn = TEXT_START + 0x5000;
	struct pv_call c = entry(at, OP_SCHED, PV_CALL_KIND_CALL);
	struct pv_call_plan p;
	uint8_t orig[5];

	(void)state;
	pv_call_plan(&c, &ctx, fn, 0x55, &p);		/* push %rbp: a real function */
	assert_int_equal(p.how, PV_CALL_DIRECT);
	assert_null(p.why);
	assert_memory_equal(p.bytes, ((uint8_t[]){ 0xe8, 0xfb, 0x1f, 0x00, 0x00 }), 5);
	c.kind = PV_CALL_KIND_JMP;
	pv_call_plan(&c, &ctx, fn, 0x55, &p);
	assert_memory_equal(p.bytes, ((uint8_t[]){ 0xe9, 0xfb, 0x1f, 0x00, 0x00 }), 5);
	pv_call_plan(&c, &ctx, fn, 0xc3, &p);		/* a bare ret */
	assert_int_equal(p.how, PV_CALL_NOP);
	assert_memory_equal(p.bytes, ((uint8_t[]){ 0xc3, 0x0f, 0x1f, 0x40, 0x00 }), 5);
	pv_call_plan(&c, &ctx, TRAMP_START, 0xff, &p);	/* back to the trampoline */
	assert_int_equal(p.how, PV_CALL_LEFT);
	assert_null(p.why);
	assert_true(pv_call_original(&c, &ctx, orig));
	assert_memory_equal(p.bytes, orig, 5);
	pv_call_plan(&c, &ctx, 0x100000000ULL, 0x55, &p);	/* out of reach: left, said why */
	assert_int_equal(p.how, PV_CALL_LEFT);
	assert_string_equal(p.why, "target beyond the reach of rel32");
	assert_memory_equal(p.bytes, orig, 5);
	assert_string_equal(pv_call_outcome_name(PV_CALL_NOP), "nop");
	assert_string_equal(pv_call_outcome_name(PV_CALL_LEFT), "left indirect");
	assert_string_equal(pv_call_outcome_name(99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_branch),
		cmocka_unit_test(test_empty_forms),
		cmocka_unit_test(test_trampoline_op),
		cmocka_unit_test(test_check_entry),
		cmocka_unit_test(test_check_bytes),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_scan_calls_and_tail_calls),
		cmocka_unit_test(test_scan_refuses_data_pointer),
		cmocka_unit_test(test_scan_refuses_lea),
		cmocka_unit_test(test_scan_refuses_mov_imm),
		cmocka_unit_test(test_scan_refuses_middle),
		cmocka_unit_test(test_scan_refuses_bad_trampolines),
		cmocka_unit_test(test_scan_unusable_input),
	};

	elf_version(EV_CURRENT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
