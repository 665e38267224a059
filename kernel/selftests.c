/*
 * Self-tests of the kernel's own C library parts, run on the booted kernel:
 * printk formatting, command-line parsing, the page allocator.  The host
 * unit tests (tests/host) cover the same code in depth; these check that it
 * behaves the same compiled freestanding.
 */
#include "kernel/selftest.h"
#include "kernel/cmdline.h"
#include "kernel/pagealloc.h"
#include "kernel/string.h"
#include "kernel/vsprintf.h"
#include "arch/x86/mm.h"

static bool formats(struct st_ctx *t, const char *want, const char *fmt, ...)
{
	char buf[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	st_check(t, !strcmp(buf, want), "\"%s\" gave \"%s\", want \"%s\"", fmt, buf, want);
	return !strcmp(buf, want);
}

SELFTEST(test_printk_format, "printk formats numbers, strings, padding")
{
	formats(t, "42 -7 ff FF", "%d %i %x %X", 42, -7, 255, 255);
	formats(t, "[   12][12   ][00012]", "[%5d][%-5d][%05d]", 12, 12, 12);
	formats(t, "-9223372036854775808", "%ld", (long)(-9223372036854775807L - 1));
	formats(t, "ffffffff80100000", "%lx", 0xffffffff80100000UL);
	formats(t, "0x00000000deadbeef", "%p", (void *)0xdeadbeefUL);
	formats(t, "[ab][  ab][c]", "[%s][%4s][%c]", "ab", "ab", 'c');
	formats(t, "0x1f 0 100%", "%#x %#x 100%%", 31, 0);
}

SELFTEST(test_printk_truncates, "printk's formatter never overruns its buffer")
{
	char buf[8];
	int n;

	memset(buf, 'X', sizeof(buf));
	n = snprintf(buf, 5, "%s", "0123456789");
	st_check(t, n == 10, "returned %d, want the full length 10", n);
	st_check(t, !strcmp(buf, "0123"), "buffer holds \"%s\"", buf);
	st_check(t, buf[5] == 'X', "wrote past the size it was given");
}

static int warned;
static void count_warning(const char *msg) { (void)msg; warned++; }

SELFTEST(test_cmdline_parse, "command line: flags, choices, unknown keys, bad values")
{
	static const char *const colours[] = { "red", "green", NULL };
	int flag = 0, colour = -1, n = -1;
	const struct cmdline_opt opts[] = {
		{ .name = "flag", .type = OPT_FLAG, .ival = &flag, .choices = NULL, .help = "" },
		{ .name = "colour", .type = OPT_CHOICE, .ival = &colour, .choices = colours, .help = "" },
		{ .name = "n", .type = OPT_UINT, .ival = &n, .choices = NULL, .help = "" },
	};
	int w;

	warned = 0;
	w = cmdline_parse("  flag colour=green n=12 bogus colour=blue flag=1 ", opts, 3,
			  count_warning);
	st_check(t, flag == 1 && colour == 1 && n == 12, "flag %d colour %d n %d", flag, colour, n);
	st_check(t, w == 3 && warned == 3, "%d warnings (%d reported), want 3", w, warned);
}

SELFTEST(test_page_allocator, "page allocator: alloc, free, reuse, zeroing")
{
	uint64_t before = pmm_free_pages();
	phys_addr_t a = alloc_page(), b = alloc_page();

	st_check(t, a && b && a != b, "alloc gave %lx and %lx", a, b);
	st_check(t, !(a & (PAGE_SIZE - 1)), "page %lx not aligned", a);
	st_check(t, pmm_free_pages() == before - 2, "free count off by %ld",
		 (long)(before - 2 - pmm_free_pages()));
	memset(phys_to_virt(a), 0xaa, PAGE_SIZE);
	free_page(a);
	st_check(t, alloc_page() == a, "a freed page was not reused first");
	st_check(t, *(uint8_t *)phys_to_virt(a) == 0, "a reused page was not zeroed");
	free_page(a);
	free_page(b);
	st_check(t, pmm_free_pages() == before, "pages leaked");
}
