/*
 * Host unit tests for the patch engine, pvops/patch.c: the code that decides
 * what each recorded pv_ops call site becomes and produces its new bytes.
 * A wrong byte here is executed by the kernel with no second chance, so the
 * tests check exact encodings, every rejection reason, and that nothing is
 * ever written past a site's length.
 *
 * The second half runs the engine on real call sites: small functions in
 * this file use the real wrappers of pvops/pvops.h, so the compiler and
 * assembler emit the very `call *pv_ops+off(%rip)` sites and .pv_sites
 * entries the kernel gets.  Those entries are found through the ELF section
 * table of /proc/self/exe (GNU ld makes no __start_/__stop_ symbols for
 * ".pv_sites", whose name is not a C identifier), relocated by the load
 * bias from dl_iterate_phdr.  Each site is checked, planned, then really
 * patched in place (text made writable with mprotect) and executed: the
 * indirect call, a direct call and the inline replacements are each shown
 * to run, and the original bytes are restored afterwards.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <elf.h>
#include <link.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "pvops/backend.h"	/* pvops.h, patch.h, DEF_PV_INSN, PV_CALLEE_SAVE_THUNK */

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

#define CANARY 0xcc

/* The op conventions, from the one list the kernel uses. */
#define CONV_ENTRY(group, op, conv, ...) [PV_OP(group.op)] = PV_CONV_##conv,
static const enum pv_conv op_conv[PV_NR_OPS] = { PV_OP_EACH(CONV_ENTRY) };

static unsigned int conv_calls, conv_out_of_range;

static enum pv_conv conv_of(unsigned int op)
{
	conv_calls++;
	if (op >= PV_NR_OPS) {
		conv_out_of_range++;
		return PV_CONV_NONE;
	}
	return op_conv[op];
}

/* Like conv_of, but pretends irq.halt is not an op. */
static enum pv_conv conv_of_no_halt(unsigned int op)
{
	return op == PV_OP(irq.halt) ? PV_CONV_NONE : conv_of(op);
}

#define TEXT_START	0x1000ULL
#define TEXT_END	0x3000ULL
#define TABLE		0x10000ULL

static const struct pv_check_ctx ctx = {
	.text_start = TEXT_START, .text_end = TEXT_END, .table = TABLE,
	.nr_ops = PV_NR_OPS, .conv_of = conv_of,
};

static struct pv_site site(uint64_t addr, unsigned int op, unsigned int len,
			   unsigned int clobbers)
{
	struct pv_site s = { .addr = addr, .op = (uint16_t)op, .len = (uint8_t)len,
			     .clobbers = (uint16_t)clobbers };
	return s;
}

/*
 * Length of the NOP instruction at p, 0 if it is not one of the forms the
 * engine may use: 90, 66 90, or [66|2e]* 0f 1f /0 (nopl/nopw with a memory or
 * register operand, reg field 0).
 */
static unsigned int nop_len(const uint8_t *p, unsigned int avail)
{
	unsigned int k = 0, n;
	uint8_t modrm, mod, rm;

	while (k < avail && (p[k] == 0x66 || p[k] == 0x2e))	/* as writes cs for 10, 11 */
		k++;
	if (k < avail && p[k] == 0x90)
		return k <= 1 ? k + 1 : 0;
	if (k + 3 > avail || p[k] != 0x0f || p[k + 1] != 0x1f)
		return 0;
	modrm = p[k + 2];
	mod = modrm >> 6;
	rm = modrm & 7;
	if (((modrm >> 3) & 7) != 0)
		return 0;
	n = k + 3;
	if (mod != 3 && rm == 4) {			/* SIB */
		if (n >= avail)
			return 0;
		if (mod == 0 && (p[n] & 7) == 5)
			n += 4;
		n++;
	}
	if (mod == 1)
		n += 1;
	else if (mod == 2 || (mod == 0 && rm == 5))
		n += 4;
	return n <= avail && n <= 15 ? n : 0;
}

/* Number of NOP instructions in p[0..len), or -1 if something else is there. */
static int count_nops(const uint8_t *p, unsigned int len, unsigned int *first)
{
	int count = 0;

	for (unsigned int i = 0; i < len;) {
		unsigned int n = nop_len(p + i, len - i);

		if (!n)
			return -1;
		if (i == 0 && first)
			*first = n;
		i += n;
		count++;
	}
	return count;
}

static void assert_canary(const uint8_t *p, unsigned int from, unsigned int to)
{
	for (unsigned int i = from; i < to; i++)
		if (p[i] != CANARY)
			fail_msg("byte %u written (0x%02x), past the end at %u", i, p[i], from);
}

static int32_t rel32_at(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			 (uint32_t)p[3] << 24);
}

/* ------------------------------------------------------------------ */
/* pv_encode_call / pv_encode_indirect                                */
/* ------------------------------------------------------------------ */

static void test_encode_call_exact(void **state)
{
	uint8_t b[8];

	(void)state;
	memset(b, CANARY, sizeof(b));
	assert_true(pv_encode_call(b, 0x1000, 0x1234));
	/* rel = 0x1234 - (0x1000 + 5) = 0x22f */
	assert_memory_equal(b, ((uint8_t[]){ 0xe8, 0x2f, 0x02, 0x00, 0x00 }), 5);
	assert_canary(b, 5, 8);

	/* Backwards: rel = 0x1000 - 0x2005 = -0x1005 */
	assert_true(pv_encode_call(b, 0x2000, 0x1000));
	assert_memory_equal(b, ((uint8_t[]){ 0xe8, 0xfb, 0xef, 0xff, 0xff }), 5);

	/* A call to the next instruction: rel 0. */
	assert_true(pv_encode_call(b, 0xffffffff80001000ULL, 0xffffffff80001005ULL));
	assert_memory_equal(b, ((uint8_t[]){ 0xe8, 0, 0, 0, 0 }), 5);
	/* To itself: rel -5. */
	assert_true(pv_encode_call(b, 0xffffffff80001000ULL, 0xffffffff80001000ULL));
	assert_memory_equal(b, ((uint8_t[]){ 0xe8, 0xfb, 0xff, 0xff, 0xff }), 5);
	assert_canary(b, 5, 8);
}

static void test_encode_call_range(void **state)
{
	const uint64_t from = 0xffffffff80100000ULL;
	uint8_t b[8];

	(void)state;
	/* Exactly INT32_MAX forward. */
	memset(b, CANARY, sizeof(b));
	assert_true(pv_encode_call(b, from, from + 5 + INT32_MAX));
	assert_memory_equal(b, ((uint8_t[]){ 0xe8, 0xff, 0xff, 0xff, 0x7f }), 5);
	assert_int_equal(rel32_at(b + 1), INT32_MAX);
	/* One byte beyond: refused, nothing written. */
	memset(b, CANARY, sizeof(b));
	assert_false(pv_encode_call(b, from, from + 5 + (uint64_t)INT32_MAX + 1));
	assert_canary(b, 0, 8);

	/* Exactly INT32_MIN backward. */
	assert_true(pv_encode_call(b, from, from + 5 - 0x80000000ULL));
	assert_memory_equal(b, ((uint8_t[]){ 0xe8, 0x00, 0x00, 0x00, 0x80 }), 5);
	assert_int_equal(rel32_at(b + 1), INT32_MIN);
	/* One byte beyond. */
	memset(b, CANARY, sizeof(b));
	assert_false(pv_encode_call(b, from, from + 5 - 0x80000001ULL));
	assert_canary(b, 0, 8);

	/* Far away in both directions. */
	assert_false(pv_encode_call(b, 0x1000, 0xffffffff80000000ULL));
	assert_false(pv_encode_call(b, 0xffffffff80000000ULL, 0x1000));
	assert_false(pv_encode_call(b, 0, 0x7fffffffffffffffULL));
	assert_canary(b, 0, 8);
}

static void test_encode_indirect(void **state)
{
	uint8_t b[8];

	(void)state;
	memset(b, CANARY, sizeof(b));
	/* rel = 0x10028 - (0x1000 + 6) = 0xf022 */
	pv_encode_indirect(b, 0x1000, 0x10028);
	assert_memory_equal(b, ((uint8_t[]){ 0xff, 0x15, 0x22, 0xf0, 0x00, 0x00 }), 6);
	assert_canary(b, 6, 8);
	/* Table below the site: negative displacement. */
	pv_encode_indirect(b, 0x20000, 0x10000);
	assert_memory_equal(b, ((uint8_t[]){ 0xff, 0x15, 0xfa, 0xff, 0xfe, 0xff }), 6);
}

/* ------------------------------------------------------------------ */
/* NOPs                                                               */
/* ------------------------------------------------------------------ */

/*
 * Padding as the engine writes it: one NOP up to 11 bytes, else a short jmp
 * over int3s.  Its length, or 0 if p[0..len) is not exactly that.
 */
static unsigned int padding_len(const uint8_t *p, unsigned int len)
{
	if (len > 11) {
		if (p[0] != 0xeb || p[1] != len - 2)
			return 0;
		for (unsigned int i = 2; i < len; i++)
			if (p[i] != 0xcc)
				return 0;
		return len;
	}
	return count_nops(p, len, NULL) == 1 ? len : 0;
}

/* Direct calls end where their site ends: CS prefixes up to 3 spare bytes, padding before. */
static void test_site_call_padding(void **state)
{
	uint8_t b[PV_SITE_MAX_LEN + 1];

	(void)state;
	memset(b, CANARY, sizeof(b));
	assert_false(pv_encode_site_call(b, 0x1000, 0x2000, 4));
	assert_true(pv_encode_site_call(b, 0x1000, 0x2000, 5));
	assert_memory_equal(b, ((uint8_t[]){ 0xe8, 0xfb, 0x0f, 0x00, 0x00, CANARY }), 6);
	assert_true(pv_encode_site_call(b, 0x1000, 0x2000, 6));
	assert_memory_equal(b, ((uint8_t[]){ 0x2e, 0xe8, 0xfa, 0x0f, 0x00, 0x00, CANARY }), 7);
	memset(b, CANARY, sizeof(b));
	assert_true(pv_encode_site_call(b, 0x1000, 0x2000, 8));
	assert_memory_equal(b, ((uint8_t[]){ 0x2e, 0x2e, 0x2e, 0xe8, 0xf8, 0x0f, 0x00, 0x00,
					      CANARY }), 9);
	memset(b, CANARY, sizeof(b));
	assert_true(pv_encode_site_call(b, 0x1000, 0x2000, 9));
	assert_memory_equal(b, ((uint8_t[]){ 0x0f, 0x1f, 0x40, 0x00, 0xe8, 0xf7, 0x0f, 0x00, 0x00,
					      CANARY }), 10);
	/* A long site: a jmp over the gap, then the call at the very end. */
	memset(b, CANARY, sizeof(b));
	assert_true(pv_encode_site_call(b, 0x1000, 0x2000, 31));
	assert_int_equal(padding_len(b, 26), 26);
	assert_int_equal(b[26], 0xe8);
	assert_int_equal(rel32_at(b + 27), 0x2000 - 0x101f);
	assert_canary(b, 31, sizeof(b));
	/* The reach is measured from the end of the whole 6-byte instruction. */
	assert_true(pv_encode_site_call(b, 0x1000, 0x1006 + (uint64_t)INT32_MAX, 6));
	assert_false(pv_encode_site_call(b, 0x1000, 0x1007 + (uint64_t)INT32_MAX, 6));
}

/* One padding instruction for every length a site may need, never past it. */
static void test_nop_fill_every_length(void **state)
{
	(void)state;
	for (unsigned int len = 1; len <= PV_SITE_MAX_LEN; len++) {
		uint8_t b[PV_SITE_MAX_LEN + 8];

		memset(b, CANARY, sizeof(b));
		pv_nop_fill(b + 4, len);
		assert_canary(b, 0, 4);
		assert_canary(b, 4 + len, sizeof(b));
		if (padding_len(b + 4, len) != len)
			fail_msg("len %u: not one padding instruction", len);
		assert_int_equal(pv_nop_count(len), 1);
		assert_int_equal(pv_pad_len(b + 4, len), len);
	}
	assert_int_equal(pv_nop_count(0), 0);
}

static void test_nop_fill_bytes(void **state)
{
	uint8_t b[20];

	(void)state;
	memset(b, CANARY, sizeof(b));
	pv_nop_fill(b, 0);
	assert_canary(b, 0, sizeof(b));

	pv_nop_fill(b, 1);
	assert_memory_equal(b, ((uint8_t[]){ 0x90, CANARY }), 2);
	pv_nop_fill(b, 2);
	assert_memory_equal(b, ((uint8_t[]){ 0x66, 0x90, CANARY }), 3);
	pv_nop_fill(b, 5);
	assert_memory_equal(b, ((uint8_t[]){ 0x0f, 0x1f, 0x44, 0x00, 0x00, CANARY }), 6);
	/* 10 and 11 as GNU as writes them for .nops, so assembled padding checks exactly. */
	memset(b, CANARY, sizeof(b));
	pv_nop_fill(b, 11);
	assert_memory_equal(b, ((uint8_t[]){ 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0,
					     CANARY }), 12);
	memset(b, CANARY, sizeof(b));
	pv_nop_fill(b, 15);
	assert_memory_equal(b, ((uint8_t[]){ 0xeb, 13, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
					     0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, CANARY }), 16);
	/* The decoder itself rejects what is not a NOP. */
	assert_int_equal(count_nops((uint8_t[]){ 0x0f, 0x1f, 0x48, 0x00 }, 4, NULL), -1);
	assert_int_equal(count_nops((uint8_t[]){ 0xe8, 0, 0, 0, 0 }, 5, NULL), -1);
	assert_int_equal(count_nops((uint8_t[]){ 0x0f, 0x1f, 0x44, 0x00 }, 4, NULL), -1);
}

/* pv_pad_len finds the padding at a site's start, and nothing in code. */
static void test_pad_len(void **state)
{
	uint8_t b[PV_SITE_MAX_LEN];

	(void)state;
	pv_nop_fill(b, 4);
	b[4] = 0xfa;					/* cli */
	assert_int_equal(pv_pad_len(b, 5), 4);
	pv_nop_fill(b, 20);
	memcpy(b + 20, ((uint8_t[]){ 0x9c, 0x58 }), 2);	/* pushfq; pop %rax */
	assert_int_equal(pv_pad_len(b, 22), 20);
	assert_int_equal(pv_pad_len(((uint8_t[]){ 0x9c, 0x58, 0x90 }), 3), 0);
	assert_int_equal(pv_pad_len(((uint8_t[]){ 0xeb, 0x05, 0xcc, 0x90 }), 4), 0);
}

/* ------------------------------------------------------------------ */
/* pv_check_entry / pv_check_bytes                                    */
/* ------------------------------------------------------------------ */

#define OUTSIDE	"address outside kernel text"
#define SHORT	"shorter than the indirect call it must hold"
#define LONG	"longer than any op's room"
#define UNKNOWN	"unknown op"
#define BADCLB	"clobber mask names a callee-saved register"
#define NEEDCLB	"site does not allow the clobbers its op's convention needs"

#define SAVE_FL	PV_OP(irq.save_fl)
#define CPUID	PV_OP(cpu.cpuid)

#define ASSERT_CHECK(want, s, c) do {					\
	struct pv_site s_ = (s);					\
	const char *r_ = pv_check_entry(&s_, (c));			\
	if ((want) == NULL)						\
		assert_null(r_);					\
	else {								\
		assert_non_null(r_);					\
		assert_string_equal(r_, (want));			\
	}								\
} while (0)

static void test_check_entry_address(void **state)
{
	(void)state;
	ASSERT_CHECK(OUTSIDE, site(0, SAVE_FL, 6, PV_CLB_RAX), &ctx);
	ASSERT_CHECK(OUTSIDE, site(TEXT_START - 1, SAVE_FL, 6, PV_CLB_RAX), &ctx);
	ASSERT_CHECK(NULL, site(TEXT_START, SAVE_FL, 6, PV_CLB_RAX), &ctx);
	ASSERT_CHECK(OUTSIDE, site(TEXT_END, SAVE_FL, 6, PV_CLB_RAX), &ctx);
	ASSERT_CHECK(OUTSIDE, site(TEXT_END, SAVE_FL, 0, PV_CLB_RAX), &ctx);
	ASSERT_CHECK(OUTSIDE, site(TEXT_END + 0x100, SAVE_FL, 6, PV_CLB_RAX), &ctx);
	ASSERT_CHECK(OUTSIDE, site(UINT64_MAX, SAVE_FL, 6, PV_CLB_RAX), &ctx);
	ASSERT_CHECK(OUTSIDE, site(TABLE, SAVE_FL, 6, PV_CLB_RAX), &ctx);
	/* Running past the end of text by one byte, and ending exactly at it. */
	ASSERT_CHECK(OUTSIDE, site(TEXT_END - 5, SAVE_FL, 6, PV_CLB_RAX), &ctx);
	ASSERT_CHECK(NULL, site(TEXT_END - 6, SAVE_FL, 6, PV_CLB_RAX), &ctx);
	ASSERT_CHECK(OUTSIDE, site(TEXT_END - 31, SAVE_FL, 32, PV_CLB_RAX), &ctx);
	ASSERT_CHECK(NULL, site(TEXT_END - 32, SAVE_FL, 32, PV_CLB_RAX), &ctx);
}

static void test_check_entry_length(void **state)
{
	(void)state;
	ASSERT_CHECK(SHORT, site(0x2000, SAVE_FL, 0, PV_CLB_RAX), &ctx);
	ASSERT_CHECK(SHORT, site(0x2000, SAVE_FL, 2, PV_CLB_RAX), &ctx);
	ASSERT_CHECK(SHORT, site(0x2000, SAVE_FL, 5, PV_CLB_RAX), &ctx);
	ASSERT_CHECK(NULL, site(0x2000, SAVE_FL, 6, PV_CLB_RAX), &ctx);
	ASSERT_CHECK(NULL, site(0x2000, SAVE_FL, 32, PV_CLB_RAX), &ctx);
	ASSERT_CHECK(LONG, site(0x2000, SAVE_FL, 33, PV_CLB_RAX), &ctx);
	ASSERT_CHECK(LONG, site(0x2000, SAVE_FL, 255, PV_CLB_RAX), &ctx);
}

static void test_check_entry_op(void **state)
{
	struct pv_check_ctx no_halt = ctx;

	(void)state;
	no_halt.conv_of = conv_of_no_halt;
	ASSERT_CHECK(UNKNOWN, site(0x2000, PV_OP(irq.halt), 6, PV_CLB_C_ABI), &no_halt);
	ASSERT_CHECK(NULL, site(0x2000, PV_OP(irq.halt), 6, PV_CLB_C_ABI), &ctx);

	/* op >= nr_ops is refused without asking conv_of about it. */
	conv_out_of_range = 0;
	ASSERT_CHECK(UNKNOWN, site(0x2000, PV_NR_OPS, 6, PV_CLB_C_ABI), &ctx);
	ASSERT_CHECK(UNKNOWN, site(0x2000, 999, 6, PV_CLB_C_ABI), &ctx);
	ASSERT_CHECK(UNKNOWN, site(0x2000, 0xffff, 6, PV_CLB_C_ABI), &ctx);
	assert_int_equal(conv_out_of_range, 0);

	/* A smaller nr_ops than the table: the last ops become unknown. */
	no_halt = ctx;
	no_halt.nr_ops = PV_OP(irq.halt);
	ASSERT_CHECK(UNKNOWN, site(0x2000, PV_OP(irq.halt), 6, PV_CLB_C_ABI), &no_halt);
	ASSERT_CHECK(NULL, site(0x2000, PV_OP(irq.safe_halt), 6, PV_CLB_C_ABI), &no_halt);
	ASSERT_CHECK(NULL, site(0x2000, PV_NR_OPS - 1, 6, PV_CLB_C_ABI), &ctx);
}

static void test_check_entry_clobbers(void **state)
{
	(void)state;
	ASSERT_CHECK(BADCLB, site(0x2000, CPUID, 6, PV_CLB_C_ABI | (1u << 9)), &ctx);
	ASSERT_CHECK(BADCLB, site(0x2000, SAVE_FL, 6, PV_CLB_RAX | 0x8000), &ctx);
	ASSERT_CHECK(BADCLB, site(0x2000, SAVE_FL, 6, 0x200), &ctx);
	/* A C-ABI op at a site that lets the callee change only %rax. */
	ASSERT_CHECK(NEEDCLB, site(0x2000, CPUID, 6, PV_CLB_CALLEE), &ctx);
	ASSERT_CHECK(NEEDCLB, site(0x2000, CPUID, 6, PV_CLB_C_ABI & ~PV_CLB_R11), &ctx);
	ASSERT_CHECK(NEEDCLB, site(0x2000, CPUID, 6, PV_CLB_NONE), &ctx);
	/* A callee-save op needs %rax. */
	ASSERT_CHECK(NEEDCLB, site(0x2000, SAVE_FL, 6, PV_CLB_NONE), &ctx);
	ASSERT_CHECK(NEEDCLB, site(0x2000, SAVE_FL, 6, PV_CLB_RCX), &ctx);
	/* Good entries: each convention with what it needs, or more. */
	ASSERT_CHECK(NULL, site(0x2000, CPUID, 6, PV_CLB_C_ABI), &ctx);
	ASSERT_CHECK(NULL, site(0x2000, SAVE_FL, 6, PV_CLB_CALLEE), &ctx);
	ASSERT_CHECK(NULL, site(0x2000, SAVE_FL, 6, PV_CLB_C_ABI), &ctx);
	ASSERT_CHECK(NULL, site(0x2000, SAVE_FL, 6, PV_CLB_RAX | PV_CLB_RDX), &ctx);
}

static void test_check_entry_order(void **state)
{
	(void)state;
	/* Every field bad: the address is reported (it is checked first). */
	ASSERT_CHECK(OUTSIDE, site(0, 999, 2, 0xffff), &ctx);
	ASSERT_CHECK(SHORT, site(0x2000, 999, 2, 0xffff), &ctx);
	ASSERT_CHECK(UNKNOWN, site(0x2000, 999, 6, 0xffff), &ctx);
	ASSERT_CHECK(BADCLB, site(0x2000, CPUID, 6, 0xffff), &ctx);
}

static void test_check_bytes(void **state)
{
	struct pv_site s = site(0x1000, 5, 6, PV_CLB_RAX);
	uint8_t good[6], bad[6];

	(void)state;
	pv_encode_indirect(good, 0x1000, TABLE + 5 * 8);
	assert_memory_equal(good, ((uint8_t[]){ 0xff, 0x15, 0x22, 0xf0, 0x00, 0x00 }), 6);
	assert_null(pv_check_bytes(&s, good, &ctx));

	/* The call through the neighbouring slots. */
	pv_encode_indirect(bad, 0x1000, TABLE + 4 * 8);
	assert_string_equal(pv_check_bytes(&s, bad, &ctx),
			    "bytes are not the indirect call through its slot");
	pv_encode_indirect(bad, 0x1000, TABLE + 6 * 8);
	assert_non_null(pv_check_bytes(&s, bad, &ctx));
	/* The right slot, encoded for another address (a moved site). */
	pv_encode_indirect(bad, 0x1008, TABLE + 5 * 8);
	assert_non_null(pv_check_bytes(&s, bad, &ctx));
	/* Any single byte changed. */
	for (int i = 0; i < 6; i++) {
		memcpy(bad, good, 6);
		bad[i] ^= 0x01;
		assert_non_null(pv_check_bytes(&s, bad, &ctx));
	}
	/* Already patched: a direct call plus a NOP, or NOPs. */
	assert_true(pv_encode_call(bad, 0x1000, 0x2000));
	bad[5] = 0x90;
	assert_non_null(pv_check_bytes(&s, bad, &ctx));
	pv_nop_fill(bad, 6);
	assert_non_null(pv_check_bytes(&s, bad, &ctx));

	/* A table below the site. */
	s = site(0x30000, 2, 6, PV_CLB_RAX);
	pv_encode_indirect(good, 0x30000, TABLE + 16);
	assert_null(pv_check_bytes(&s, good, &ctx));
	assert_memory_equal(good, ((uint8_t[]){ 0xff, 0x15, 0x0a, 0x00, 0xfe, 0xff }), 6);
}

/* ------------------------------------------------------------------ */
/* pv_plan_site                                                       */
/* ------------------------------------------------------------------ */

static const uint8_t tmpl_save_fl[] = { 0x9c, 0x58 };		/* pushfq; popq %rax */
static const uint8_t tmpl_six[] = { 0x48, 0x89, 0x37, 0x0f, 0x1f, 0x00 };
static const uint8_t tmpl_seven[] = { 0x48, 0x89, 0x37, 0x0f, 0x1f, 0x40, 0x00 };

static struct pv_insn insn(const uint8_t *code, size_t n, unsigned int op, unsigned int clb)
{
	struct pv_insn i = { .op = (uint16_t)op, .clobbers = (uint16_t)clb,
			     .code = code, .end = code + n };
	return i;
}

static void fresh(struct pv_plan *p)
{
	memset(p, 0, sizeof(*p));
	memset(p->bytes, CANARY, sizeof(p->bytes));
	p->how = PV_NOT_YET;
	p->why = "unset";
}

static void test_plan_inline(void **state)
{
	struct pv_site s = site(0x1000, SAVE_FL, 6, PV_CLB_RAX);
	struct pv_insn i = insn(tmpl_save_fl, 2, SAVE_FL, PV_CLB_RAX);
	struct pv_plan p;

	(void)state;
	fresh(&p);
	pv_plan_site(&s, PV_CONV_CALLEE, 0x2000, &i, &p);
	assert_int_equal(p.how, PV_INLINE);
	assert_null(p.why);
	assert_memory_equal(p.bytes, ((uint8_t[]){ 0x0f, 0x1f, 0x40, 0x00, 0x9c, 0x58 }), 6);
	assert_canary(p.bytes, 6, PV_SITE_MAX_LEN);

	/* Clobbering nothing, at a site allowing more: still inline. */
	i = insn(tmpl_save_fl, 1, SAVE_FL, PV_CLB_NONE);
	fresh(&p);
	pv_plan_site(&s, PV_CONV_CALLEE, 0x2000, &i, &p);
	assert_int_equal(p.how, PV_INLINE);
	assert_memory_equal(p.bytes, ((uint8_t[]){ 0x0f, 0x1f, 0x44, 0x00, 0x00, 0x9c }), 6);

	/* Exactly the site's length: no NOP at all. */
	i = insn(tmpl_six, 6, SAVE_FL, PV_CLB_NONE);
	fresh(&p);
	pv_plan_site(&s, PV_CONV_CALLEE, 0x2000, &i, &p);
	assert_int_equal(p.how, PV_INLINE);
	assert_memory_equal(p.bytes, tmpl_six, 6);
	assert_canary(p.bytes, 6, PV_SITE_MAX_LEN);

	/* A longer site: padding first, the code at the end, exactly up to len. */
	s.len = 15;
	i = insn(tmpl_save_fl, 2, SAVE_FL, PV_CLB_RAX);
	fresh(&p);
	pv_plan_site(&s, PV_CONV_CALLEE, 0x2000, &i, &p);
	assert_int_equal(p.how, PV_INLINE);
	assert_int_equal(padding_len(p.bytes, 13), 13);
	assert_memory_equal(p.bytes + 13, tmpl_save_fl, 2);
	assert_canary(p.bytes, 15, PV_SITE_MAX_LEN);

	/* A template is used even for a C op at a C site when it fits. */
	s = site(0x1000, CPUID, 6, PV_CLB_C_ABI);
	i = insn(tmpl_save_fl, 2, CPUID, PV_CLB_RAX | PV_CLB_RDX);
	fresh(&p);
	pv_plan_site(&s, PV_CONV_C, 0x2000, &i, &p);
	assert_int_equal(p.how, PV_INLINE);
}

static void test_plan_empty_template(void **state)
{
	struct pv_site s = site(0x1000, PV_OP(mmu.alloc_pt), 6, PV_CLB_C_ABI);
	struct pv_insn i = insn(tmpl_save_fl, 0, PV_OP(mmu.alloc_pt), PV_CLB_NONE);
	struct pv_plan p;

	(void)state;
	fresh(&p);
	pv_plan_site(&s, PV_CONV_C, 0x2000, &i, &p);
	assert_int_equal(p.how, PV_INLINE);
	assert_null(p.why);
	assert_memory_equal(p.bytes, ((uint8_t[]){ 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 }), 6);
	assert_canary(p.bytes, 6, PV_SITE_MAX_LEN);

	/* An empty template at a site that allows no clobber at all. */
	s = site(0x1000, SAVE_FL, 12, PV_CLB_NONE);
	fresh(&p);
	pv_plan_site(&s, PV_CONV_CALLEE, 0x2000, &i, &p);
	assert_int_equal(p.how, PV_INLINE);
	assert_int_equal(padding_len(p.bytes, 12), 12);
	assert_canary(p.bytes, 12, PV_SITE_MAX_LEN);
}

static void test_plan_direct(void **state)
{
	struct pv_site s = site(0x1000, SAVE_FL, 6, PV_CLB_RAX);
	struct pv_insn i;
	struct pv_plan p;
	/* to 0x2000: one CS prefix keeps the 6-byte call a single instruction */
	const uint8_t direct[] = { 0x2e, 0xe8, 0xfa, 0x0f, 0x00, 0x00 };

	(void)state;
	/* No template. */
	fresh(&p);
	pv_plan_site(&s, PV_CONV_CALLEE, 0x2000, NULL, &p);
	assert_int_equal(p.how, PV_DIRECT);
	assert_null(p.why);
	assert_memory_equal(p.bytes, direct, 6);
	assert_canary(p.bytes, 6, PV_SITE_MAX_LEN);

	/* A template one byte longer than the site. */
	i = insn(tmpl_seven, 7, SAVE_FL, PV_CLB_NONE);
	fresh(&p);
	pv_plan_site(&s, PV_CONV_CALLEE, 0x2000, &i, &p);
	assert_int_equal(p.how, PV_DIRECT);
	assert_memory_equal(p.bytes, direct, 6);
	assert_canary(p.bytes, 6, PV_SITE_MAX_LEN);

	/* A template clobbering a register the site does not allow. */
	i = insn(tmpl_save_fl, 2, SAVE_FL, PV_CLB_RAX | PV_CLB_RCX);
	fresh(&p);
	pv_plan_site(&s, PV_CONV_CALLEE, 0x2000, &i, &p);
	assert_int_equal(p.how, PV_DIRECT);
	assert_memory_equal(p.bytes, direct, 6);
	i = insn(tmpl_save_fl, 2, SAVE_FL, 1u << 12);	/* not even a PV_CLB_ bit */
	fresh(&p);
	pv_plan_site(&s, PV_CONV_CALLEE, 0x2000, &i, &p);
	assert_int_equal(p.how, PV_DIRECT);

	/* A malformed template (end before code) is not used. */
	i = insn(tmpl_six + 4, 0, SAVE_FL, PV_CLB_NONE);
	i.end = tmpl_six;
	fresh(&p);
	pv_plan_site(&s, PV_CONV_CALLEE, 0x2000, &i, &p);
	assert_int_equal(p.how, PV_DIRECT);
	assert_memory_equal(p.bytes, direct, 6);

	/* A 15-byte site, backwards target: one 10-byte NOP, then the call. */
	s = site(0x5000, CPUID, 15, PV_CLB_C_ABI);
	fresh(&p);
	pv_plan_site(&s, PV_CONV_C, 0x1000, NULL, &p);
	assert_int_equal(p.how, PV_DIRECT);
	assert_int_equal(count_nops(p.bytes, 10, NULL), 1);
	assert_memory_equal(p.bytes + 10, ((uint8_t[]){ 0xe8, 0xf1, 0xbf, 0xff, 0xff }), 5);
}

/*
 * A template that ends with a call out (PV_INSN_CALLS): the call is re-aimed
 * from the site, so it reaches what the template's own call reached; one
 * that does not end with e8 rel32 is not used; nor one whose target is out
 * of reach from the site.
 */
static uint8_t tmpl_calls[0x200] = { 0x74, 0x05, 0xe8, 0x40, 0x00, 0x00, 0x00 };	/* je; call */

static void test_plan_calls_out(void **state)
{
	uint64_t target = (uintptr_t)tmpl_calls + 7 + 0x40;
	struct pv_site s = site((uintptr_t)tmpl_calls + 0x100, SAVE_FL, 10, PV_CLB_RAX);
	struct pv_insn i = insn(tmpl_calls, 7, SAVE_FL, PV_CLB_RAX);
	struct pv_plan p;

	(void)state;
	i.calls = 1;
	assert_int_equal(pv_insn_call_target(&i), target);
	fresh(&p);
	pv_plan_site(&s, PV_CONV_CALLEE, 0x2000, &i, &p);
	assert_int_equal(p.how, PV_INLINE);
	assert_int_equal(count_nops(p.bytes, 3, NULL), 1);
	assert_memory_equal(p.bytes + 3, ((uint8_t[]){ 0x74, 0x05, 0xe8 }), 3);
	assert_int_equal(s.addr + 10 + (int64_t)rel32_at(p.bytes + 6), target);
	assert_canary(p.bytes, 10, PV_SITE_MAX_LEN);

	/* Flagged as calling out, but not ending with a call: never inline. */
	i = insn(tmpl_save_fl, 2, SAVE_FL, PV_CLB_RAX);
	i.calls = 1;
	fresh(&p);
	pv_plan_site(&s, PV_CONV_CALLEE, (uintptr_t)tmpl_calls, &i, &p);
	assert_int_equal(p.how, PV_DIRECT);

	/* The call's target beyond rel32 from this site: not inline either. */
	i = insn(tmpl_calls, 7, SAVE_FL, PV_CLB_RAX);
	i.calls = 1;
	s.addr = target + 0x100000000ULL;
	fresh(&p);
	pv_plan_site(&s, PV_CONV_CALLEE, s.addr + 0x1000, &i, &p);
	assert_int_equal(p.how, PV_DIRECT);
}

/* A long site's padding is checked too, not only its call. */
static void test_check_bytes_padding(void **state)
{
	struct pv_site s = site(0x1000, 5, 20, PV_CLB_RAX);
	uint8_t b[20];

	(void)state;
	pv_unpatched(&s, &ctx, b);
	assert_int_equal(b[0], 0xeb);
	assert_null(pv_check_bytes(&s, b, &ctx));
	b[5] = 0x90;				/* a byte in the jumped-over gap */
	assert_string_equal(pv_check_bytes(&s, b, &ctx),
			    "the padding before its call is not the padding pvos writes");
}

/*
 * pv_plan: the one plan the patcher, its self-tests and tools use.  It looks
 * the target up in the table it is given (not pv_ops), asks find_insn for
 * that target's template, and gives a site left indirect its unpatched
 * bytes (pv_unpatched), never a half-planned buffer.
 */
static struct pv_insn plan_tmpl;
static uint64_t asked_op, asked_target;

static const struct pv_insn *find_save_fl_at_0x2000(unsigned int op, uint64_t target)
{
	asked_op = op;
	asked_target = target;
	return op == SAVE_FL && target == 0x2000 ? &plan_tmpl : NULL;
}

static void test_plan_and_unpatched(void **state)
{
	struct pv_check_ctx c = ctx;
	uint64_t slots[PV_NR_OPS] = { 0 };
	struct pv_site s = site(0x1000, SAVE_FL, 9, PV_CLB_RAX);
	uint8_t want[PV_SITE_MAX_LEN];
	struct pv_plan p;

	(void)state;
	c.find_insn = find_save_fl_at_0x2000;
	plan_tmpl = insn(tmpl_save_fl, 2, SAVE_FL, PV_CLB_RAX);
	slots[SAVE_FL] = 0x2000;
	fresh(&p);
	pv_plan(&s, &c, slots, &p);
	assert_int_equal(asked_op, SAVE_FL);
	assert_int_equal(asked_target, 0x2000);
	assert_int_equal(p.how, PV_INLINE);
	assert_memory_equal(p.bytes + 7, tmpl_save_fl, 2);

	slots[SAVE_FL] = s.addr + 9 + (uint64_t)INT32_MAX + 100;	/* beyond call rel32 */
	fresh(&p);
	pv_plan(&s, &c, slots, &p);
	assert_int_equal(p.how, PV_LEFT);
	pv_unpatched(&s, &c, want);
	assert_memory_equal(p.bytes, want, 9);
	assert_memory_equal(want, tmpl_six + 3, 3);	/* one 3-byte NOP before the call */
	assert_int_equal(want[3], 0xff);
	assert_int_equal(want[4], 0x15);
	assert_int_equal(rel32_at(want + 5), (int64_t)(TABLE + 8 * SAVE_FL - (s.addr + 9)));
}

/*
 * A tool that copied a template out of an image (pvsites --plan) says where
 * its closing call goes (ctx.insn_call_target): pv_plan aims the call
 * there, not where the copy in this process would send it.
 */
static uint64_t call_target_0x5000(const struct pv_insn *insn)
{
	(void)insn;
	return 0x5000;
}

static const struct pv_insn *find_calls_tmpl(unsigned int op, uint64_t target)
{
	return op == SAVE_FL && target == 0x2000 ? &plan_tmpl : NULL;
}

static void test_plan_call_target_hook(void **state)
{
	struct pv_check_ctx c = ctx;
	uint64_t slots[PV_NR_OPS] = { 0 };
	struct pv_site s = site(0x1000, SAVE_FL, 10, PV_CLB_RAX);
	struct pv_plan p;

	(void)state;
	c.find_insn = find_calls_tmpl;
	c.insn_call_target = call_target_0x5000;
	plan_tmpl = insn(tmpl_calls, 7, SAVE_FL, PV_CLB_RAX);
	plan_tmpl.calls = 1;
	slots[SAVE_FL] = 0x2000;
	fresh(&p);
	pv_plan(&s, &c, slots, &p);
	assert_int_equal(p.how, PV_INLINE);
	assert_int_equal(p.bytes[5], 0xe8);
	assert_int_equal(s.addr + 10 + (int64_t)rel32_at(p.bytes + 6), 0x5000);
}

static void test_plan_refused_and_left(void **state)
{
	struct pv_site s = site(0x1000, CPUID, 6, PV_CLB_CALLEE);
	struct pv_insn i = insn(tmpl_seven, 7, CPUID, PV_CLB_NONE);
	struct pv_plan p;

	(void)state;
	/* A C call at a site that lets the callee change only %rax. */
	fresh(&p);
	pv_plan_site(&s, PV_CONV_C, 0x2000, NULL, &p);
	assert_int_equal(p.how, PV_REFUSED);
	assert_string_equal(p.why, "site does not allow the clobbers a call needs");
	assert_canary(p.bytes, 0, PV_SITE_MAX_LEN);
	/* Same with a template that does not fit. */
	fresh(&p);
	pv_plan_site(&s, PV_CONV_C, 0x2000, &i, &p);
	assert_int_equal(p.how, PV_REFUSED);
	assert_canary(p.bytes, 0, PV_SITE_MAX_LEN);

	/* Out of reach of call rel32, both ways: left as it is. */
	s = site(0xffffffff80001000ULL, SAVE_FL, 6, PV_CLB_RAX);
	fresh(&p);
	pv_plan_site(&s, PV_CONV_CALLEE, 0x400000, NULL, &p);
	assert_int_equal(p.how, PV_LEFT);
	assert_string_equal(p.why, "target beyond the reach of call rel32");
	assert_canary(p.bytes, 0, PV_SITE_MAX_LEN);
	fresh(&p);
	pv_plan_site(&s, PV_CONV_CALLEE, s.addr + 6 + (uint64_t)INT32_MAX + 1, NULL, &p);
	assert_int_equal(p.how, PV_LEFT);
	fresh(&p);
	pv_plan_site(&s, PV_CONV_CALLEE, s.addr + 6 + (uint64_t)INT32_MAX, NULL, &p);
	assert_int_equal(p.how, PV_DIRECT);
	/* A template that fits is still used when the target is far away. */
	i = insn(tmpl_save_fl, 2, SAVE_FL, PV_CLB_RAX);
	fresh(&p);
	pv_plan_site(&s, PV_CONV_CALLEE, 0x400000, &i, &p);
	assert_int_equal(p.how, PV_INLINE);
}

static void test_outcome_names(void **state)
{
	(void)state;
	assert_string_equal(pv_outcome_name(PV_NOT_YET), "not yet patched");
	assert_string_equal(pv_outcome_name(PV_INLINE), "inline");
	assert_string_equal(pv_outcome_name(PV_DIRECT), "direct");
	assert_string_equal(pv_outcome_name(PV_LEFT), "left indirect");
	assert_string_equal(pv_outcome_name(PV_REFUSED), "refused");
	assert_string_equal(pv_outcome_name((enum pv_outcome)5), "?");
	assert_int_equal(pv_conv_clobbers(PV_CONV_CALLEE), PV_CLB_RAX);
	assert_int_equal(pv_conv_clobbers(PV_CONV_C), PV_CLB_C_ABI);
}

/* ------------------------------------------------------------------ */
/* Real call sites emitted by pvops/pvops.h                           */
/* ------------------------------------------------------------------ */

struct pv_ops pv_ops;

/* How often each host implementation ran: through the slot, or called directly. */
static int n_slot[PV_NR_OPS], n_direct[PV_NR_OPS];

#define HOST __attribute__((force_align_arg_pointer, noinline, used))
#define OP_SAVE_FL	PV_OP(irq.save_fl)
#define OP_SET_PTE	PV_OP(mmu.set_pte)
#define OP_MAKE_PTE	PV_OP(mmu.make_pte)
#define OP_UNLOCK	PV_OP(lock.spin_unlock)
#define OP_RDMSR	PV_OP(cpu.rdmsr)
#define OP_CPUID	PV_OP(cpu.cpuid)
#define OP_ALLOC_PT	PV_OP(mmu.alloc_pt)

/*
 * Callee-save ops: C functions behind PV_CALLEE_SAVE_THUNK, exactly as a
 * backend provides them.  The slot versions and the direct-call versions
 * leave different marks, so each test knows which one ran.
 */
HOST unsigned long host_save_fl(void) { n_slot[OP_SAVE_FL]++; return 0x1111; }
HOST unsigned long host_save_fl_d(void) { n_direct[OP_SAVE_FL]++; return 0x2222; }
HOST void host_set_pte(pteval_t *p, pteval_t v) { n_slot[OP_SET_PTE]++; *p = v + 1; }
HOST void host_set_pte_d(pteval_t *p, pteval_t v) { n_direct[OP_SET_PTE]++; *p = v + 2; }
HOST pteval_t host_make_pte(pteval_t v) { n_slot[OP_MAKE_PTE]++; return v + 1; }
HOST pteval_t host_make_pte_d(pteval_t v) { n_direct[OP_MAKE_PTE]++; return v + 2; }
HOST void host_unlock(struct spinlock *l) { n_slot[OP_UNLOCK]++; l->t.head = 2; }
HOST void host_unlock_d(struct spinlock *l) { n_direct[OP_UNLOCK]++; l->t.head = 3; }
PV_CALLEE_SAVE_THUNK(host_save_fl);
PV_CALLEE_SAVE_THUNK(host_save_fl_d);
PV_CALLEE_SAVE_THUNK(host_set_pte);
PV_CALLEE_SAVE_THUNK(host_set_pte_d);
PV_CALLEE_SAVE_THUNK_RAX(host_make_pte);
PV_CALLEE_SAVE_THUNK_RAX(host_make_pte_d);
PV_CALLEE_SAVE_THUNK(host_unlock);
PV_CALLEE_SAVE_THUNK(host_unlock_d);

/* Plain C ops. */
HOST uint64_t host_rdmsr(uint32_t m) { n_slot[OP_RDMSR]++; return (uint64_t)m + 1; }
HOST uint64_t host_rdmsr_d(uint32_t m) { n_direct[OP_RDMSR]++; return (uint64_t)m + 2; }
HOST void host_cpuid(uint32_t l, uint32_t s, struct cpuid_regs *r)
{ n_slot[OP_CPUID]++; r->eax = l + 1; r->ebx = s + 1; r->ecx = 1; r->edx = 1; }
HOST void host_cpuid_d(uint32_t l, uint32_t s, struct cpuid_regs *r)
{ n_direct[OP_CPUID]++; r->eax = l + 2; r->ebx = s + 2; r->ecx = 2; r->edx = 2; }
HOST void host_alloc_pt(unsigned long pfn, int level)
{ n_slot[OP_ALLOC_PT]++; assert_int_equal(pfn, 77); assert_int_equal(level, 2); }
HOST void host_alloc_pt_d(unsigned long pfn, int level)
{ n_direct[OP_ALLOC_PT]++; assert_int_equal(pfn, 77); assert_int_equal(level, 2); }

/*
 * The inline templates, made by the real DEF_PV_INSN with the same
 * instructions as PV_OP_LIST's ASM rows (pvops/pv_ops.h).  (.equiv names what the
 * slot must hold for the kernel's patcher to pick them; unused here.)
 */
DEF_PV_INSN(t_insn_save_fl, irq.save_fl, host_save_fl_thunk, PV_CLB_RAX, "pushfq; popq %rax");
DEF_PV_INSN(t_insn_set_pte, mmu.set_pte, host_set_pte_thunk, PV_CLB_NONE, "mov %rsi, (%rdi)");
DEF_PV_INSN(t_insn_make_pte, mmu.make_pte, host_make_pte_thunk, PV_CLB_NONE, "");
DEF_PV_INSN(t_insn_unlock, lock.spin_unlock, host_unlock_thunk, PV_CLB_NONE, "addw $2, (%rdi)");
DEF_PV_INSN(t_insn_alloc_pt, mmu.alloc_pt, host_alloc_pt, PV_CLB_NONE, "");
/* Privileged: planned in a buffer only, never executed. */
DEF_PV_INSN(t_insn_cli, irq.irq_disable, NULL, PV_CLB_NONE, "cli");

/* The functions whose sites are patched: one wrapper each. */
#define SITE_FN __attribute__((noinline, noipa, used))
SITE_FN unsigned long t_save_fl(void) { return save_fl(); }
SITE_FN void t_set_pte(pteval_t *p, pteval_t v) { set_pte(p, v); }
SITE_FN pteval_t t_make_pte(pteval_t v) { return make_pte(v); }
SITE_FN void t_unlock(struct spinlock *l) { spin_unlock(l); }
/* C ops' wrappers are link-time calls (test_pvcalls.c): their recorded form here. */
SITE_FN uint64_t t_rdmsr(uint32_t m) { return PVOP_CALL1(cpu, rdmsr, m); }
SITE_FN void t_cpuid(uint32_t l, uint32_t s, struct cpuid_regs *r)
{ (void)PVOP_CALL3(cpu, cpuid, l, s, r); }
SITE_FN void t_alloc_pt(unsigned long pfn, int level)
{ (void)PVOP_CALL2(mmu, alloc_pt, pfn, level); }
SITE_FN void t_irq_disable(void) { local_irq_disable(); }	/* never called */

static void install_slots(void)
{
	memset(&pv_ops, 0, sizeof(pv_ops));
	pv_ops.irq.save_fl = PV_CALLEE_SAVE(host_save_fl);
	pv_ops.mmu.set_pte = PV_CALLEE_SAVE(host_set_pte);
	pv_ops.mmu.make_pte = PV_CALLEE_SAVE(host_make_pte);
	pv_ops.lock.spin_unlock = PV_CALLEE_SAVE(host_unlock);
	pv_ops.cpu.rdmsr = host_rdmsr;
	pv_ops.cpu.cpuid = host_cpuid;
	pv_ops.mmu.alloc_pt = host_alloc_pt;
	memset(n_slot, 0, sizeof(n_slot));
	memset(n_direct, 0, sizeof(n_direct));
}

/* Where this executable was loaded, and its text. */
static uint64_t load_bias, text_start, text_end;

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	load_bias = info->dlpi_addr;	/* the first object is the executable */
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			text_start = info->dlpi_addr + ph->p_vaddr;
			text_end = text_start + ph->p_memsz;
		}
	}
	return 1;
}

static struct pv_site *sites;
static size_t nr_sites;

/* Find .pv_sites in the section table of /proc/self/exe. */
static int find_sites(void **state)
{
	Elf64_Ehdr eh;
	Elf64_Shdr sh[256], *strsh;
	char names[4096];
	int fd = open("/proc/self/exe", O_RDONLY);

	(void)state;
	dl_iterate_phdr(phdr_cb, NULL);
	if (fd < 0 || pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_shnum > 256 ||
	    eh.e_shentsize != sizeof(Elf64_Shdr))
		return -1;
	if (pread(fd, sh, eh.e_shnum * sizeof(Elf64_Shdr), (off_t)eh.e_shoff) !=
	    (ssize_t)(eh.e_shnum * sizeof(Elf64_Shdr)))
		return -1;
	strsh = &sh[eh.e_shstrndx];
	memset(names, 0, sizeof(names));
	if (pread(fd, names, strsh->sh_size < sizeof(names) - 1 ? strsh->sh_size :
		  sizeof(names) - 1, (off_t)strsh->sh_offset) <= 0)
		return -1;
	close(fd);
	for (int i = 0; i < eh.e_shnum; i++) {
		if (sh[i].sh_name < sizeof(names) && !strcmp(names + sh[i].sh_name, ".pv_sites")) {
			sites = (struct pv_site *)(uintptr_t)(load_bias + sh[i].sh_addr);
			nr_sites = sh[i].sh_size / sizeof(struct pv_site);
			return sh[i].sh_size % sizeof(struct pv_site) ? -1 : 0;
		}
	}
	return -1;
}

static struct pv_site *site_of(unsigned int op, void *fn)
{
	struct pv_site *found = NULL;

	for (size_t i = 0; i < nr_sites; i++) {
		if (sites[i].op != op)
			continue;
		if (found)
			fail_msg("op %u has two sites", op);
		found = &sites[i];
	}
	if (!found)
		fail_msg("no site for op %u", op);
	/* The site lies inside its function, a few bytes after its start. */
	assert_in_range(found->addr, (uintptr_t)fn, (uintptr_t)fn + 256);
	return found;
}

/* Write a site's bytes into the running text. */
static void poke(uint64_t addr, const uint8_t *bytes, unsigned int len)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = addr & ~(pg - 1);
	size_t span = ((addr + len - start) + pg - 1) & ~(pg - 1);
	volatile uint8_t *dst = (volatile uint8_t *)(uintptr_t)addr;

	/* Where W+X mappings are forbidden, the in-place tests are skipped. */
	if (mprotect((void *)start, span, PROT_READ | PROT_WRITE | PROT_EXEC))
		skip();
	for (unsigned int i = 0; i < len; i++)
		dst[i] = bytes[i];
	assert_int_equal(mprotect((void *)start, span, PROT_READ | PROT_EXEC), 0);
	__builtin___clear_cache((char *)(uintptr_t)addr, (char *)(uintptr_t)addr + len);
}

static void test_real_sites_recorded(void **state)
{
	struct pv_check_ctx rctx = {
		.text_start = text_start, .text_end = text_end,
		.table = (uint64_t)(uintptr_t)&pv_ops, .nr_ops = PV_NR_OPS, .conv_of = conv_of,
	};
	struct { unsigned int op; void *fn; unsigned int clb, room; } want[] = {
		{ OP_SAVE_FL, (void *)t_save_fl, PV_CLB_CALLEE, PV_ROOM(irq, save_fl) },
		{ OP_SET_PTE, (void *)t_set_pte, PV_CLB_CALLEE, PV_ROOM(mmu, set_pte) },
		{ OP_MAKE_PTE, (void *)t_make_pte, PV_CLB_CALLEE, PV_ROOM(mmu, make_pte) },
		{ OP_UNLOCK, (void *)t_unlock, PV_CLB_CALLEE, PV_ROOM(lock, spin_unlock) },
		{ OP_RDMSR, (void *)t_rdmsr, PV_CLB_C_ABI, PV_ROOM(cpu, rdmsr) },
		{ OP_CPUID, (void *)t_cpuid, PV_CLB_C_ABI, PV_ROOM(cpu, cpuid) },
		{ OP_ALLOC_PT, (void *)t_alloc_pt, PV_CLB_C_ABI, PV_ROOM(mmu, alloc_pt) },
		{ PV_OP(irq.irq_disable), (void *)t_irq_disable, PV_CLB_CALLEE,
		  PV_ROOM(irq, irq_disable) },
	};

	(void)state;
	assert_int_equal(nr_sites, sizeof(want) / sizeof(want[0]));
	assert_int_equal((uintptr_t)sites % 8, 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct pv_site *s = site_of(want[i].op, want[i].fn);
		const uint8_t *site_bytes = (const uint8_t *)(uintptr_t)s->addr;
		unsigned int pad = want[i].room - PV_SITE_CALL_LEN;
		const uint8_t *code = site_bytes + pad;	/* the call, after the padding */
		uint8_t indirect[6];

		assert_int_equal(s->len, want[i].room);
		assert_int_equal(pv_pad_len(site_bytes, s->len), pad);
		assert_int_equal(s->flags, 0);
		assert_int_equal(s->reserved, 0);
		assert_int_equal(s->clobbers, want[i].clb);
		assert_null(pv_check_entry(s, &rctx));
		assert_null(pv_check_bytes(s, site_bytes, &rctx));
		/* ff 15 rel32, the displacement reaching exactly &pv_ops + 8*op. */
		assert_int_equal(code[0], 0xff);
		assert_int_equal(code[1], 0x15);
		assert_int_equal(s->addr + s->len + (int64_t)rel32_at(code + 2),
				 (uintptr_t)&pv_ops + 8 * s->op);
		pv_encode_indirect(indirect, s->addr + pad, (uintptr_t)&pv_ops + 8 * s->op);
		assert_memory_equal(code, indirect, 6);
		/* The neighbouring slot's call would not pass. */
		rctx.table += 8;
		assert_non_null(pv_check_bytes(s, site_bytes, &rctx));
		rctx.table -= 8;
	}
}

static void test_real_templates(void **state)
{
	(void)state;
	/* What DEF_PV_INSN assembled. */
	assert_int_equal(t_insn_save_fl.end - t_insn_save_fl.code, 2);
	assert_memory_equal(t_insn_save_fl.code, ((uint8_t[]){ 0x9c, 0x58 }), 2);
	assert_memory_equal(t_insn_set_pte.code, ((uint8_t[]){ 0x48, 0x89, 0x37 }), 3);
	assert_int_equal(t_insn_set_pte.end - t_insn_set_pte.code, 3);
	assert_int_equal(t_insn_make_pte.end - t_insn_make_pte.code, 0);	/* identity: NOPs */
	assert_memory_equal(t_insn_unlock.code, ((uint8_t[]){ 0x66, 0x83, 0x07, 0x02 }), 4);
	assert_int_equal(t_insn_unlock.end - t_insn_unlock.code, 4);	/* addw $2, (%rdi) */
	assert_int_equal(t_insn_alloc_pt.end - t_insn_alloc_pt.code, 0);
	assert_int_equal(t_insn_save_fl.op, OP_SAVE_FL);
	assert_int_equal(t_insn_save_fl.clobbers, PV_CLB_RAX);
	assert_ptr_equal(t_insn_save_fl.equiv, host_save_fl_thunk);
}

static void test_real_sites_planned(void **state)
{
	struct pv_site *s;
	struct pv_plan p;
	uint8_t want[6];

	(void)state;
	/* save_fl: a jmp over the rest of its room, then pushfq; popq %rax. */
	s = site_of(OP_SAVE_FL, (void *)t_save_fl);
	fresh(&p);
	pv_plan_site(s, PV_CONV_CALLEE, (uintptr_t)host_save_fl_thunk, &t_insn_save_fl, &p);
	assert_int_equal(p.how, PV_INLINE);
	assert_int_equal(padding_len(p.bytes, s->len - 2), s->len - 2);
	assert_memory_equal(p.bytes + s->len - 2, ((uint8_t[]){ 0x9c, 0x58 }), 2);
	assert_canary(p.bytes, s->len, PV_SITE_MAX_LEN);

	/* irq_disable: one NOP, then cli. */
	s = site_of(PV_OP(irq.irq_disable), (void *)t_irq_disable);
	fresh(&p);
	pv_plan_site(s, PV_CONV_CALLEE, 0, &t_insn_cli, &p);
	assert_int_equal(p.how, PV_INLINE);
	assert_int_equal(count_nops(p.bytes, s->len - 1, NULL), 1);
	assert_int_equal(p.bytes[s->len - 1], 0xfa);

	/* rdmsr: no template, a direct call (cs-prefixed) to the slot's function. */
	s = site_of(OP_RDMSR, (void *)t_rdmsr);
	fresh(&p);
	pv_plan_site(s, PV_CONV_C, (uintptr_t)host_rdmsr, NULL, &p);
	assert_int_equal(p.how, PV_DIRECT);
	want[0] = 0x2e;
	assert_true(pv_encode_call(want + 1, s->addr + 1, (uintptr_t)host_rdmsr));
	assert_memory_equal(p.bytes, want, 6);
	assert_int_equal(s->addr + 6 + (int64_t)rel32_at(p.bytes + 2), (uintptr_t)host_rdmsr);
	assert_canary(p.bytes, 6, PV_SITE_MAX_LEN);

	/* A C op at a callee-save site is refused; its real site allows it. */
	s = site_of(OP_SAVE_FL, (void *)t_save_fl);
	fresh(&p);
	pv_plan_site(s, PV_CONV_C, (uintptr_t)host_rdmsr, NULL, &p);
	assert_int_equal(p.how, PV_REFUSED);
}

/* Patch one site in place, check what runs, then restore it. */
struct round {
	struct pv_site *s;
	uint8_t orig[PV_SITE_MAX_LEN];
};

static void begin(struct round *r, unsigned int op, void *fn)
{
	r->s = site_of(op, fn);
	memcpy(r->orig, (const void *)(uintptr_t)r->s->addr, r->s->len);
	assert_null(pv_check_bytes(r->s, r->orig, &(struct pv_check_ctx){
		.table = (uintptr_t)&pv_ops }));
}

static void apply(struct round *r, enum pv_outcome how, enum pv_conv conv, const void *target,
		  const struct pv_insn *insn)
{
	struct pv_plan p;

	fresh(&p);
	pv_plan_site(r->s, conv, (uintptr_t)target, insn, &p);
	assert_int_equal(p.how, how);
	poke(r->s->addr, p.bytes, r->s->len);
	assert_memory_equal((const void *)(uintptr_t)r->s->addr, p.bytes, r->s->len);
}

static void restore(struct round *r)
{
	poke(r->s->addr, r->orig, r->s->len);
	assert_null(pv_check_bytes(r->s, (const uint8_t *)(uintptr_t)r->s->addr,
				   &(struct pv_check_ctx){ .table = (uintptr_t)&pv_ops }));
}

static void test_unpatched_sites_run(void **state)
{
	pteval_t pte = 0;
	struct spinlock l = SPINLOCK("host test lock");

	l.t.head = 10;	/* unlock: 2 through the slot, 3 direct, 12 inline */
	struct cpuid_regs r = { 0, 0, 0, 0 };

	(void)state;
	install_slots();
	assert_int_equal(t_save_fl(), 0x1111);
	t_set_pte(&pte, 40);
	assert_int_equal(pte, 41);
	assert_int_equal(t_make_pte(10), 11);
	t_unlock(&l);
	assert_int_equal(l.t.head, 2);
	assert_int_equal(t_rdmsr(0xc0000080), 0xc0000081);
	t_cpuid(7, 3, &r);
	assert_int_equal(r.eax, 8);
	assert_int_equal(r.ebx, 4);
	t_alloc_pt(77, 2);
	for (unsigned int op = 0; op < PV_NR_OPS; op++) {
		bool used = op == OP_SAVE_FL || op == OP_SET_PTE || op == OP_MAKE_PTE ||
			    op == OP_UNLOCK || op == OP_RDMSR || op == OP_CPUID ||
			    op == OP_ALLOC_PT;
		assert_int_equal(n_slot[op], used ? 1 : 0);
		assert_int_equal(n_direct[op], 0);
	}
}

static void test_patched_direct_runs(void **state)
{
	struct round r;
	pteval_t pte = 0;
	struct spinlock l = SPINLOCK("host test lock");

	l.t.head = 10;	/* unlock: 2 through the slot, 3 direct, 12 inline */
	struct cpuid_regs regs = { 0, 0, 0, 0 };

	(void)state;
	install_slots();

	begin(&r, OP_RDMSR, (void *)t_rdmsr);
	apply(&r, PV_DIRECT, PV_CONV_C, (const void *)host_rdmsr_d, NULL);
	assert_int_equal(t_rdmsr(100), 102);
	assert_int_equal(n_direct[OP_RDMSR], 1);
	assert_int_equal(n_slot[OP_RDMSR], 0);
	restore(&r);
	assert_int_equal(t_rdmsr(100), 101);
	assert_int_equal(n_slot[OP_RDMSR], 1);

	begin(&r, OP_CPUID, (void *)t_cpuid);
	apply(&r, PV_DIRECT, PV_CONV_C, (const void *)host_cpuid_d, NULL);
	t_cpuid(1, 5, &regs);
	assert_int_equal(regs.eax, 3);
	assert_int_equal(regs.ebx, 7);
	assert_int_equal(n_direct[OP_CPUID], 1);
	restore(&r);

	/* Callee-save ops: a direct call to a thunk. */
	begin(&r, OP_SAVE_FL, (void *)t_save_fl);
	apply(&r, PV_DIRECT, PV_CONV_CALLEE, host_save_fl_d_thunk, NULL);
	assert_int_equal(t_save_fl(), 0x2222);
	assert_int_equal(n_direct[OP_SAVE_FL], 1);
	restore(&r);

	begin(&r, OP_SET_PTE, (void *)t_set_pte);
	apply(&r, PV_DIRECT, PV_CONV_CALLEE, host_set_pte_d_thunk, NULL);
	t_set_pte(&pte, 40);
	assert_int_equal(pte, 42);
	restore(&r);

	begin(&r, OP_UNLOCK, (void *)t_unlock);
	apply(&r, PV_DIRECT, PV_CONV_CALLEE, host_unlock_d_thunk, NULL);
	t_unlock(&l);
	assert_int_equal(l.t.head, 3);
	restore(&r);

	begin(&r, OP_ALLOC_PT, (void *)t_alloc_pt);
	apply(&r, PV_DIRECT, PV_CONV_C, (const void *)host_alloc_pt_d, NULL);
	t_alloc_pt(77, 2);
	assert_int_equal(n_direct[OP_ALLOC_PT], 1);
	assert_int_equal(n_slot[OP_ALLOC_PT], 0);
	restore(&r);

	/* Through the slots again after every restore. */
	t_unlock(&l);
	assert_int_equal(l.t.head, 2);
	assert_int_equal(t_save_fl(), 0x1111);
}

static void test_patched_inline_runs(void **state)
{
	struct round r;
	pteval_t pte = 0;
	struct spinlock l = SPINLOCK("host test lock");

	l.t.head = 10;	/* unlock: 2 through the slot, 3 direct, 12 inline */
	unsigned long fl;

	(void)state;
	install_slots();

	/* pushfq; popq %rax: the real flags (IF and the always-1 bit 1). */
	begin(&r, OP_SAVE_FL, (void *)t_save_fl);
	apply(&r, PV_INLINE, PV_CONV_CALLEE, host_save_fl_thunk, &t_insn_save_fl);
	fl = t_save_fl();
	assert_int_equal(fl & 0x202, 0x202);
	assert_int_equal(fl & ~0x3fffffUL, 0);
	assert_int_equal(n_slot[OP_SAVE_FL], 0);
	restore(&r);

	begin(&r, OP_SET_PTE, (void *)t_set_pte);
	apply(&r, PV_INLINE, PV_CONV_CALLEE, host_set_pte_thunk, &t_insn_set_pte);
	t_set_pte(&pte, 0x8000000000000063ULL);
	assert_int_equal(pte, 0x8000000000000063ULL);
	assert_int_equal(n_slot[OP_SET_PTE], 0);
	restore(&r);

	begin(&r, OP_MAKE_PTE, (void *)t_make_pte);
	apply(&r, PV_INLINE, PV_CONV_CALLEE, host_make_pte_thunk, &t_insn_make_pte);
	assert_int_equal(t_make_pte(0x1234567), 0x1234567);
	assert_int_equal(n_slot[OP_MAKE_PTE], 0);
	restore(&r);

	begin(&r, OP_UNLOCK, (void *)t_unlock);
	apply(&r, PV_INLINE, PV_CONV_CALLEE, host_unlock_thunk, &t_insn_unlock);
	t_unlock(&l);
	assert_int_equal(l.t.head, 12);
	assert_int_equal(n_slot[OP_UNLOCK], 0);
	restore(&r);

	/* An empty template: the C call becomes six bytes of NOP. */
	begin(&r, OP_ALLOC_PT, (void *)t_alloc_pt);
	apply(&r, PV_INLINE, PV_CONV_C, (const void *)host_alloc_pt, &t_insn_alloc_pt);
	t_alloc_pt(77, 2);
	assert_int_equal(n_slot[OP_ALLOC_PT], 0);
	assert_int_equal(n_direct[OP_ALLOC_PT], 0);
	restore(&r);
	t_alloc_pt(77, 2);
	assert_int_equal(n_slot[OP_ALLOC_PT], 1);

	/* Restored sites go through the slots again. */
	assert_int_equal(t_make_pte(5), 6);
	t_unlock(&l);
	assert_int_equal(l.t.head, 2);
	assert_int_equal(t_save_fl(), 0x1111);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_call_exact),
		cmocka_unit_test(test_encode_call_range),
		cmocka_unit_test(test_encode_indirect),
		cmocka_unit_test(test_site_call_padding),
		cmocka_unit_test(test_nop_fill_every_length),
		cmocka_unit_test(test_nop_fill_bytes),
		cmocka_unit_test(test_pad_len),
		cmocka_unit_test(test_plan_calls_out),
		cmocka_unit_test(test_check_bytes_padding),
		cmocka_unit_test(test_check_entry_address),
		cmocka_unit_test(test_check_entry_length),
		cmocka_unit_test(test_check_entry_op),
		cmocka_unit_test(test_check_entry_clobbers),
		cmocka_unit_test(test_check_entry_order),
		cmocka_unit_test(test_check_bytes),
		cmocka_unit_test(test_plan_inline),
		cmocka_unit_test(test_plan_empty_template),
		cmocka_unit_test(test_plan_direct),
		cmocka_unit_test(test_plan_refused_and_left),
		cmocka_unit_test(test_plan_and_unpatched),
		cmocka_unit_test(test_plan_call_target_hook),
		cmocka_unit_test(test_outcome_names),
		cmocka_unit_test(test_real_sites_recorded),
		cmocka_unit_test(test_real_templates),
		cmocka_unit_test(test_real_sites_planned),
		cmocka_unit_test(test_unpatched_sites_run),
		cmocka_unit_test(test_patched_direct_runs),
		cmocka_unit_test(test_patched_inline_runs),
	};

	return cmocka_run_group_tests(tests, find_sites, NULL);
}
