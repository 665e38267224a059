/*
 * Host unit tests for kernel/cmdline.c, the boot command-line parser.  A
 * typo on the command line must never stop boot or silently do something
 * else: every bad word earns exactly one warning that says what is
 * accepted, and parsing goes on with the next word.  The option table
 * mirrors kernel/options.c (flags, the pvops and crash choices) plus an
 * OPT_UINT option, which the kernel does not use yet.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel/cmdline.h"
#include <string.h>		/* strstr; the rest is kernel/string.c */
#include "kernel/string.h"

static const char *const pvops_choices[] = { "auto", "native", "xen", "kvm", "off", NULL };
static const char *const crash_choices[] = { "none", "pf", "ud", "gp", "de", "text", "panic", NULL };

static int o_selftest, o_pvops, o_verbose, o_crash, o_nr;

static const struct cmdline_opt opts[] = {
	{ .name = "selftest", .type = OPT_FLAG, .ival = &o_selftest, .choices = NULL, .help = "run the tests" },
	{ .name = "pvops", .type = OPT_CHOICE, .ival = &o_pvops, .choices = pvops_choices, .help = "backend" },
	{ .name = "pvops.verbose", .type = OPT_FLAG, .ival = &o_verbose, .choices = NULL, .help = "print sites" },
	{ .name = "crash", .type = OPT_CHOICE, .ival = &o_crash, .choices = crash_choices, .help = "crash" },
	{ .name = "nr", .type = OPT_UINT, .ival = &o_nr, .choices = NULL, .help = "a number" },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

#define KNOWN "selftest pvops=auto|native|xen|kvm|off pvops.verbose " \
	"crash=none|pf|ud|gp|de|text|panic nr=<number>"
#define PVOPS_USE "pvops=auto|native|xen|kvm|off"

/* Every warning is recorded, in order. */
#define MAX_WARN 16
static char warnings[MAX_WARN][600];
static int nwarn;

static void record(const char *msg)
{
	assert_true(nwarn < MAX_WARN);
	assert_true(strlen(msg) < sizeof(warnings[0]));
	strncpy0(warnings[nwarn++], msg, sizeof(warnings[0]));
}

/* -1 everywhere: "never set" is distinguishable from every valid value. */
static int reset(void **state)
{
	(void)state;
	o_selftest = o_pvops = o_verbose = o_crash = o_nr = -1;
	nwarn = 0;
	memset(warnings, 0, sizeof(warnings));
	return 0;
}

static int parse(const char *line)
{
	return cmdline_parse(line, opts, NOPTS, record);
}

static void test_empty_and_blank(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_int_equal(parse("    "), 0);
	assert_int_equal(parse(" \t \t"), 0);
	assert_int_equal(nwarn, 0);
	assert_int_equal(o_selftest, -1);
	assert_int_equal(o_pvops, -1);
}

static void test_flag(void **state)
{
	(void)state;
	assert_int_equal(parse("selftest"), 0);
	assert_int_equal(o_selftest, 1);
	assert_int_equal(o_verbose, -1);	/* a prefix of another name */
	assert_int_equal(parse("pvops.verbose"), 0);
	assert_int_equal(o_verbose, 1);
	assert_int_equal(o_pvops, -1);
	assert_int_equal(nwarn, 0);
}

static void test_flag_with_value(void **state)
{
	(void)state;
	assert_int_equal(parse("selftest=1"), 1);
	assert_int_equal(nwarn, 1);
	assert_string_equal(warnings[0], "option 'selftest' takes no value; use: selftest");
	assert_int_equal(o_selftest, -1);
	assert_int_equal(parse("pvops.verbose="), 1);
	assert_string_equal(warnings[1],
			    "option 'pvops.verbose' takes no value; use: pvops.verbose");
	assert_int_equal(o_verbose, -1);
}

static void test_choice(void **state)
{
	(void)state;
	assert_int_equal(parse("pvops=auto"), 0);
	assert_int_equal(o_pvops, 0);
	assert_int_equal(parse("pvops=xen"), 0);
	assert_int_equal(o_pvops, 2);
	assert_int_equal(parse("pvops=off"), 0);
	assert_int_equal(o_pvops, 4);
	assert_int_equal(parse("crash=panic"), 0);
	assert_int_equal(o_crash, 6);
	assert_int_equal(nwarn, 0);
}

static void test_bad_choice(void **state)
{
	(void)state;
	assert_int_equal(parse("pvops=kvm"), 0);
	assert_int_equal(o_pvops, 3);
	/* Case matters, prefixes and extensions are not accepted. */
	assert_int_equal(parse("pvops=XEN"), 1);
	assert_string_equal(warnings[0], "bad value 'XEN' for 'pvops'; use: " PVOPS_USE);
	assert_int_equal(parse("pvops=na"), 1);
	assert_string_equal(warnings[1], "bad value 'na' for 'pvops'; use: " PVOPS_USE);
	assert_int_equal(parse("pvops=offf"), 1);
	assert_int_equal(parse("pvops=xen=kvm"), 1);
	assert_string_equal(warnings[3], "bad value 'xen=kvm' for 'pvops'; use: " PVOPS_USE);
	assert_int_equal(o_pvops, 3);		/* a bad value changes nothing */
	assert_int_equal(nwarn, 4);
}

static void test_missing_value(void **state)
{
	(void)state;
	assert_int_equal(parse("pvops"), 1);
	assert_string_equal(warnings[0], "option 'pvops' needs a value; use: " PVOPS_USE);
	assert_int_equal(parse("pvops="), 1);
	assert_string_equal(warnings[1], "option 'pvops' needs a value; use: " PVOPS_USE);
	assert_int_equal(parse("nr="), 1);
	assert_string_equal(warnings[2], "option 'nr' needs a value; use: nr=<number>");
	assert_int_equal(o_pvops, -1);
	assert_int_equal(o_nr, -1);
}

static void test_uint(void **state)
{
	(void)state;
	assert_int_equal(parse("nr=0"), 0);
	assert_int_equal(o_nr, 0);
	assert_int_equal(parse("nr=4096"), 0);
	assert_int_equal(o_nr, 4096);
	assert_int_equal(parse("nr=007"), 0);
	assert_int_equal(o_nr, 7);
	assert_int_equal(parse("nr=4x"), 1);
	assert_string_equal(warnings[0], "bad value '4x' for 'nr'; use: nr=<number>");
	assert_int_equal(parse("nr=-1"), 1);
	assert_int_equal(parse("nr=+1"), 1);
	assert_int_equal(parse("nr=0x10"), 1);
	/* Too big for an int: refused, not wrapped. */
	assert_int_equal(parse("nr=99999999999"), 1);
	assert_int_equal(parse("nr=18446744073709551617"), 1);
	assert_int_equal(o_nr, 7);
	assert_int_equal(nwarn, 6);
}

static void test_unknown_names_every_option(void **state)
{
	(void)state;
	assert_int_equal(parse("bogus"), 1);
	assert_string_equal(warnings[0], "unknown option 'bogus'; known: " KNOWN);
	/* Only the key is quoted, not the value. */
	assert_int_equal(parse("pvop=xen"), 1);
	assert_string_equal(warnings[1], "unknown option 'pvop'; known: " KNOWN);
	assert_int_equal(parse("=xen"), 1);
	assert_string_equal(warnings[2], "unknown option ''; known: " KNOWN);
	assert_int_equal(parse("Selftest"), 1);
	assert_int_equal(parse("selftest.x"), 1);
	assert_non_null(strstr(warnings[4], "pvops=auto|native|xen|kvm|off"));
	assert_int_equal(o_selftest, -1);
	assert_int_equal(o_pvops, -1);
	assert_int_equal(nwarn, 5);
}

static void test_spaces_and_tabs(void **state)
{
	(void)state;
	assert_int_equal(parse("  selftest \t\t pvops=kvm\t   nr=12   "), 0);
	assert_int_equal(o_selftest, 1);
	assert_int_equal(o_pvops, 3);
	assert_int_equal(o_nr, 12);
	assert_int_equal(parse("\tcrash=gp"), 0);
	assert_int_equal(o_crash, 3);
	assert_int_equal(nwarn, 0);
}

static void test_parsing_continues_after_errors(void **state)
{
	(void)state;
	/* Four bad words among good ones: four warnings, in order. */
	assert_int_equal(parse("bogus selftest=1 pvops=foo nr pvops=native crash=ud selftest"), 4);
	assert_int_equal(nwarn, 4);
	assert_true(!strncmp(warnings[0], "unknown option 'bogus';", 23));
	assert_string_equal(warnings[1], "option 'selftest' takes no value; use: selftest");
	assert_string_equal(warnings[2], "bad value 'foo' for 'pvops'; use: " PVOPS_USE);
	assert_string_equal(warnings[3], "option 'nr' needs a value; use: nr=<number>");
	assert_int_equal(o_pvops, 1);
	assert_int_equal(o_crash, 2);
	assert_int_equal(o_selftest, 1);
}

static void test_last_wins(void **state)
{
	(void)state;
	assert_int_equal(parse("pvops=xen pvops=kvm"), 0);
	assert_int_equal(o_pvops, 3);
	assert_int_equal(parse("nr=5 nr=6 nr=bad"), 1);
	assert_int_equal(o_nr, 6);
}

static void test_too_long_word(void **state)
{
	char line[300];

	(void)state;
	/* 200 characters: one warning, the words around it still parsed. */
	strncpy0(line, "selftest ", sizeof(line));
	memset(line + 9, 'a', 200);
	strncpy0(line + 209, " pvops=off", sizeof(line) - 209);
	assert_int_equal(strlen(line), 219);
	assert_int_equal(parse(line), 1);
	assert_int_equal(nwarn, 1);
	assert_string_equal(warnings[0], "a command-line word is too long; ignored");
	assert_int_equal(o_selftest, 1);
	assert_int_equal(o_pvops, 4);

	/* A long key=value is ignored as a whole: its valid key is not set. */
	memset(line, 0, sizeof(line));
	strncpy0(line, "pvops=", sizeof(line));
	memset(line + 6, 'x', 200);
	assert_int_equal(parse(line), 1);
	assert_string_equal(warnings[1], "a command-line word is too long; ignored");
	assert_int_equal(o_pvops, 4);
}

static void test_word_length_boundary(void **state)
{
	char line[200], want[300];

	(void)state;
	/* 127 characters still fit the parser's 128-byte word buffer ... */
	memset(line, 0, sizeof(line));
	memset(line, 'b', 127);
	assert_int_equal(parse(line), 1);
	strncpy0(want, "unknown option '", sizeof(want));
	memcpy(want + 16, line, 127);
	strncpy0(want + 143, "'; known: " KNOWN, sizeof(want) - 143);
	assert_string_equal(warnings[0], want);
	/* ... 128 do not. */
	line[127] = 'b';
	assert_int_equal(parse(line), 1);
	assert_string_equal(warnings[1], "a command-line word is too long; ignored");
}

static void test_describe(void **state)
{
	char buf[64];

	(void)state;
	cmdline_describe(&opts[0], buf, sizeof(buf));
	assert_string_equal(buf, "selftest");
	cmdline_describe(&opts[1], buf, sizeof(buf));
	assert_string_equal(buf, PVOPS_USE);
	cmdline_describe(&opts[4], buf, sizeof(buf));
	assert_string_equal(buf, "nr=<number>");

	/* A short buffer: truncated and terminated, nothing past it written. */
	memset(buf, 'X', sizeof(buf));
	cmdline_describe(&opts[1], buf, 10);
	assert_memory_equal(buf, "pvops=aut\0XX", 12);
	memset(buf, 'X', sizeof(buf));
	cmdline_describe(&opts[1], buf, 5);
	assert_memory_equal(buf, "pvop\0XX", 7);
	memset(buf, 'X', sizeof(buf));
	cmdline_describe(&opts[4], buf, 6);
	assert_memory_equal(buf, "nr=<n\0XX", 8);
}

/*
 * OPT_STRING: the word is copied for its owner to check (pvops= names a
 * backend, which only pvops/select.c knows); a word that does not fit is a
 * bad value, never cut short; the help line shows the forms it takes.
 */
static void test_string(void **state)
{
	static const char *const forms[] = { "<backend>", "auto", "off", NULL };
	char word[8] = "unset", plain[4] = "";
	const struct cmdline_opt s[] = {
		{ .name = "be", .type = OPT_STRING, .sval = word, .ssize = sizeof(word),
		  .choices = forms, .help = "backend" },
		{ .name = "w", .type = OPT_STRING, .sval = plain, .ssize = sizeof(plain), .help = "w" },
	};
	char buf[64];

	(void)state;
	assert_int_equal(cmdline_parse("be=xen-pv", s, 2, record), 0);
	assert_string_equal(word, "xen-pv");
	assert_int_equal(cmdline_parse("be=much-too-long", s, 2, record), 1);
	assert_string_equal(word, "xen-pv");
	assert_non_null(strstr(warnings[0], "bad value 'much-too-long' for 'be'; use: be=<backend>|auto|off"));
	assert_int_equal(cmdline_parse("be", s, 2, record), 1);
	assert_non_null(strstr(warnings[1], "option 'be' needs a value"));
	cmdline_describe(&s[1], buf, sizeof(buf));
	assert_string_equal(buf, "w=<word>");
	assert_int_equal(cmdline_parse("w=abc", s, 2, record), 0);
	assert_string_equal(plain, "abc");
}

#define T(f) cmocka_unit_test_setup(f, reset)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_empty_and_blank),
		T(test_string),
		T(test_flag),
		T(test_flag_with_value),
		T(test_choice),
		T(test_bad_choice),
		T(test_missing_value),
		T(test_uint),
		T(test_unknown_names_every_option),
		T(test_spaces_and_tabs),
		T(test_parsing_continues_after_errors),
		T(test_last_wins),
		T(test_too_long_word),
		T(test_word_length_boundary),
		T(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
