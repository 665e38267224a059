/*
 * Host unit tests for kernel/vsprintf.c, the kernel's only formatter: every
 * printk, panic message and TAP line goes through it, so a wrong width or a
 * missing terminator corrupts every diagnostic the kernel can give.
 *
 * The kernel's snprintf/vsnprintf replace the C library's in this program
 * (same names), so the C library's vsnprintf is reached with
 * dlsym(RTLD_NEXT, "vsnprintf").  Each case states the expected text as a
 * literal and checks both the kernel and the C library against it, so a
 * wrong literal is caught too.  Where the kernel intentionally differs from
 * C (%p, unknown conversions), only the kernel's documented format is
 * asserted.
 *
 * Note: cmocka itself formats its failure messages with vsnprintf, which in
 * this program is the kernel's; that is fine for the formats cmocka uses.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <limits.h>
#include <dlfcn.h>
#include <cmocka.h>

#include "kernel/vsprintf.h"
#include "kernel/string.h"

typedef int (*vsnprintf_fn)(char *, size_t, const char *, va_list);
static vsnprintf_fn libc_vsnprintf;

/*
 * The kernel's functions are called through volatile pointers: GCC knows
 * snprintf as a builtin and would otherwise fold or rewrite calls with
 * constant arguments (and warn about intended truncation), so the kernel's
 * code would not run at all.
 */
static int (*volatile k_snprintf)(char *, size_t, const char *, ...) = snprintf;
static int (*volatile k_vsnprintf)(char *, size_t, const char *, va_list) = vsnprintf;

static __attribute__((format(printf, 3, 4)))
int libc_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = libc_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static int setup_libc(void **state)
{
	(void)state;
	libc_vsnprintf = (vsnprintf_fn)dlsym(RTLD_NEXT, "vsnprintf");
	if (!libc_vsnprintf || libc_vsnprintf == vsnprintf)
		return -1;
	return 0;
}

/* Kernel and C library must both print exactly `expect`. */
#define CHECK_C(expect, fmt, ...) do {					\
	char k_[160], c_[160];						\
	int kn_ = k_snprintf(k_, sizeof(k_), fmt, ##__VA_ARGS__);		\
	int cn_ = libc_snprintf(c_, sizeof(c_), fmt, ##__VA_ARGS__);	\
	assert_string_equal(c_, expect);				\
	assert_int_equal(cn_, (int)strlen(expect));			\
	assert_string_equal(k_, expect);				\
	assert_int_equal(kn_, (int)strlen(expect));			\
} while (0)

/* Only the kernel's (documented) output. */
#define CHECK_K(expect, fmt, ...) do {					\
	char k_[160];							\
	int kn_ = k_snprintf(k_, sizeof(k_), fmt, ##__VA_ARGS__);		\
	assert_string_equal(k_, expect);				\
	assert_int_equal(kn_, (int)strlen(expect));			\
} while (0)

static void test_strings(void **state)
{
	const char *volatile null_str = NULL;

	(void)state;
	CHECK_C("hello", "%s", "hello");
	CHECK_C("[hello]", "[%s]", "hello");
	CHECK_C("", "%s", "");
	CHECK_C("     hello|", "%10s|", "hello");
	CHECK_C("hello     |", "%-10s|", "hello");
	CHECK_C("hello|", "%3s|", "hello");		/* width < length: no cut */
	CHECK_C("a b", "%s %s", "a", "b");
	CHECK_C("(null)", "%s", null_str);		/* glibc prints the same */
	CHECK_K("  abc", "%05s", "abc");		/* '0' is ignored for %s */
}

static void test_chars(void **state)
{
	char buf[8];

	(void)state;
	CHECK_C("A", "%c", 'A');
	CHECK_C("  A", "%3c", 'A');
	CHECK_C("A  |", "%-3c|", 'A');
	CHECK_C("xyz", "x%cz", 'y');
	/* A NUL character is output and counted like any other. */
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(k_snprintf(buf, sizeof(buf), "a%cb", 0), 3);
	assert_memory_equal(buf, "a\0b\0XXXX", 8);
}

static void test_signed(void **state)
{
	(void)state;
	CHECK_C("0", "%d", 0);
	CHECK_C("42", "%d", 42);
	CHECK_C("-42", "%d", -42);
	CHECK_C("-7", "%i", -7);
	CHECK_C("2147483647", "%d", INT_MAX);
	CHECK_C("-2147483648", "%d", INT_MIN);
	CHECK_C("-2147483648", "%i", INT_MIN);
	CHECK_C("-1", "%ld", -1L);
	CHECK_C("9223372036854775807", "%ld", LONG_MAX);
	CHECK_C("-9223372036854775808", "%ld", LONG_MIN);
	CHECK_C("-9223372036854775808", "%lld", LLONG_MIN);
	CHECK_C("-9223372036854775808", "%li", LONG_MIN);
	/* An int argument is read as int: its high bits are not sign garbage. */
	CHECK_C("-1 5", "%d %d", -1, 5);
}

static void test_unsigned(void **state)
{
	(void)state;
	CHECK_C("0", "%u", 0u);
	CHECK_C("4294967295", "%u", UINT_MAX);
	CHECK_C("4294967295", "%u", (unsigned int)-1);
	CHECK_C("18446744073709551615", "%lu", ULONG_MAX);
	CHECK_C("18446744073709551615", "%llu", ULLONG_MAX);
	CHECK_C("18446744073709551615", "%zu", SIZE_MAX);
	CHECK_C("123", "%zu", (size_t)123);
}

static void test_hex(void **state)
{
	(void)state;
	CHECK_C("ff", "%x", 255u);
	CHECK_C("FF", "%X", 255u);
	CHECK_C("0", "%x", 0u);
	CHECK_C("deadbeef", "%x", 0xdeadbeefu);
	CHECK_C("DEADBEEF", "%X", 0xdeadbeefu);
	CHECK_C("ffffffff", "%x", -1);
	CHECK_C("ffffffffffffffff", "%lx", ULONG_MAX);
	CHECK_C("ffff800000000000", "%lx", 0xffff800000000000UL);
	CHECK_C("123456789abcdef0", "%llx", 0x123456789abcdef0ULL);
	CHECK_C("123456789ABCDEF0", "%llX", 0x123456789abcdef0ULL);
	CHECK_C("0xff", "%#x", 255u);
	CHECK_C("0", "%#x", 0u);		/* no prefix for zero, as in C */
	CHECK_C("0x1", "%#lx", 1UL);
	CHECK_C("0x000000ff", "%#010x", 255u);	/* the width includes 0x */
	CHECK_C("      0xff", "%#10x", 255u);
	CHECK_C("0xff      |", "%-#10x|", 255u);
	/*
	 * Kernel-specific: the prefix is always lower-case "0x" (C prints
	 * "0XFF" for %#X).  Documented in vsprintf.c as "0x before non-zero hex".
	 */
	CHECK_K("0xFF", "%#X", 255u);
}

static void test_width_and_padding(void **state)
{
	(void)state;
	CHECK_C("   42", "%5d", 42);
	CHECK_C("42   |", "%-5d|", 42);
	CHECK_C("00042", "%05d", 42);
	CHECK_C("-0042", "%05d", -42);		/* sign before the zeros */
	CHECK_C("  -42", "%5d", -42);
	CHECK_C("-42  |", "%-5d|", -42);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
	CHECK_C("42   |", "%-05d|", 42);		/* '-' beats '0' */
#pragma GCC diagnostic pop
	CHECK_C("42", "%1d", 42);
	CHECK_C("0000000000", "%010u", 0u);
	CHECK_C("000000ff", "%08x", 255u);
	CHECK_C("       0", "%8x", 0u);
	CHECK_C("-000000000000000000001", "%022ld", -1L);
	CHECK_C("    42", "%*d", 6, 42);
	CHECK_C("42    |", "%*d|", -6, 42);	/* negative * width: left */
	CHECK_C("42    |", "%-*d|", 6, 42);
	CHECK_C("0042", "%0*d", 4, 42);
	CHECK_C("      1234567890", "%16lu", 1234567890UL);
	CHECK_C("x    |", "%-5s|", "x");
}

static void test_percent_and_unknown(void **state)
{
	(void)state;
	CHECK_C("%", "%%");
	CHECK_C("100%", "100%%");
	CHECK_C("%d", "%%d");
	CHECK_C("a%b%c", "a%%b%%c");
	/* An unknown conversion is printed as is and consumes no argument. */
	CHECK_K("%q", "%q");
	CHECK_K("a%qb", "a%qb");
	CHECK_K("%q 7", "%q %d", 7);
	CHECK_K("%y", "%5y");			/* flags and width dropped */
	/* A lone '%' at the end of the format ends the output. */
	CHECK_K("abc", "abc%");
	CHECK_K("abc", "abc%5");
}

static void test_pointer(void **state)
{
	(void)state;
	CHECK_K("0x0000000000001234", "%p", (void *)0x1234);
	CHECK_K("0x0000000000000000", "%p", (void *)0);
	CHECK_K("0xffff800000000000", "%p", (void *)0xffff800000000000UL);
	CHECK_K("0xffffffffffffffff", "%p", (void *)UINTPTR_MAX);
	CHECK_K("[0x00000000deadbeef]", "[%p]", (void *)0xdeadbeefUL);
	CHECK_K("0x0000000000000010 0x0000000000000020", "%p %p",
		(void *)0x10, (void *)0x20);
}

static void test_mixed(void **state)
{
	(void)state;
	CHECK_C("cpu 3: 0x7fffffff/-12 ok", "cpu %u: %#x/%d %s", 3u, 0x7fffffffu, -12, "ok");
	CHECK_C("[ 1.000042] x", "[%2lu.%06lu] %c", 1UL, 42UL, 'x');
	CHECK_C("ffffffff 18446744073709551615 -1", "%x %zu %lld", UINT_MAX, SIZE_MAX, -1LL);
}

static void test_truncation(void **state)
{
	char buf[16];

	(void)state;
	/* The return value is the full length; the rest of buf is untouched. */
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(k_snprintf(buf, 5, "hello world"), 11);
	assert_memory_equal(buf, "hell\0XXXXXXXXXXX", 16);

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(k_snprintf(buf, 4, "%d", 123456), 6);
	assert_memory_equal(buf, "123\0XXXXXXXXXXXX", 16);

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(k_snprintf(buf, 8, "%20d", 1), 20);
	assert_memory_equal(buf, "       \0XXXXXXXX", 16);

	/* Exactly fitting, and one byte short of fitting. */
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(k_snprintf(buf, 6, "%s", "abcde"), 5);
	assert_memory_equal(buf, "abcde\0XXXXXXXXXX", 16);
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(k_snprintf(buf, 5, "%s", "abcde"), 5);
	assert_memory_equal(buf, "abcd\0XXXXXXXXXXX", 16);

	/* Size 1: only the terminator. */
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(k_snprintf(buf, 1, "%s-%d", "abc", 12345), 9);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'X');

	/* Size 0: nothing written at all, not even a terminator. */
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(k_snprintf(buf, 0, "%s", "abc"), 3);
	assert_int_equal(buf[0], 'X');
	assert_int_equal(k_snprintf(NULL, 0, "%p", (void *)1), 18);

	/* A truncated %p and a truncated "%%". */
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(k_snprintf(buf, 6, "%p", (void *)0xabc), 18);
	assert_memory_equal(buf, "0x000\0XXXXXXXXXX", 16);
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(k_snprintf(buf, 2, "a%%b"), 3);
	assert_memory_equal(buf, "a\0XX", 4);
}

static int wrap_vsnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = k_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void test_vsnprintf_direct(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(wrap_vsnprintf(buf, sizeof(buf), "%s=%d;%lx", "n", -3, 0xabcUL), 8);
	assert_string_equal(buf, "n=-3;abc");
	assert_int_equal(wrap_vsnprintf(buf, 3, "%u", 98765u), 5);
	assert_string_equal(buf, "98");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_chars),
		cmocka_unit_test(test_signed),
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_width_and_padding),
		cmocka_unit_test(test_percent_and_unknown),
		cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_vsnprintf_direct),
	};

	return cmocka_run_group_tests(tests, setup_libc, NULL);
}
