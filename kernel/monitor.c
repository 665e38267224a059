/*
 * The monitor (command-line word `monitor`, kernel/monitor.h): a prompt on
 * whatever console pvos has, for looking at the running kernel and changing
 * it live.  This file reads lines, splits them into words, checks them
 * against the command table and runs the command; and has the commands that
 * need nothing of pv_ops (help, exit, selftest, bench, hv).  The page walk
 * is kernel/monitor_mm.c; ops, sites, patch, counts and lazy pvops/monitor.c.
 *
 * Whatever is typed, the answer is the command's output or one line
 * "monitor: <command>: <what is wrong>", then the prompt again: a monitor
 * that a typo can crash teaches nothing.
 */
#include "kernel/monitor.h"
#include "kernel/console.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/vsprintf.h"
#include "kernel/options.h"
#include "kernel/selftest.h"
#include "kernel/bench.h"
#include "kernel/exit.h"
#include "pvops/pvops.h"
#include "pvops/select.h"

#define LINE_MAX	128

static int opt_monitor;
CMDLINE_FLAG(opt_monitor_word, "monitor", &opt_monitor,
	     "end boot in an interactive prompt on the console");

void mon_error(const char *cmd, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk("monitor: %s: %s\n", cmd, msg);
}

static int digit(char c, bool hex)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (hex && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (hex && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decimal, or hex after 0x (or always, if hex); no sign, no overflow. */
bool mon_parse_u64(const char *cmd, const char *s, bool hex, uint64_t *v)
{
	unsigned int base = hex ? 16 : 10;
	const char *p = s;
	uint64_t n = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		goto bad;
	for (; *p; p++) {
		int d = digit(*p, base == 16);

		if (d < 0 || n > (~0UL - (uint64_t)d) / base)
			goto bad;
		n = n * base + (uint64_t)d;
	}
	*v = n;
	return true;
bad:
	mon_error(cmd, "'%s' is not a %s number%s", s, base == 16 ? "hex" : "decimal",
		  *p && digit(*p, true) >= 0 ? " that fits 64 bits" : "");
	return false;
}

bool mon_parse_onoff(const char *cmd, const char *s, bool *on)
{
	if (strcmp(s, "on") && strcmp(s, "off")) {
		mon_error(cmd, "'%s': say on or off", s);
		return false;
	}
	*on = !strcmp(s, "on");
	return true;
}

static const struct monitor_cmd *find_cmd(const char *name)
{
	for (const struct monitor_cmd *c = __start_monitor_cmds; c < __stop_monitor_cmds; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* Split line in place at spaces; -1 (error said) if too many or too long. */
static int split(char *line, char **argv)
{
	int argc = 0;

	for (char *p = line; *p;) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		if (argc == MONITOR_MAX_ARGS) {
			mon_error(argv[0], "too many arguments (at most %d)", MONITOR_MAX_ARGS - 1);
			return -1;
		}
		argv[argc++] = p;
		while (*p && *p != ' ')
			p++;
	}
	for (int i = 0; i < argc; i++)
		if (strlen(argv[i]) > MONITOR_ARG_MAX) {
			mon_error(i ? argv[0] : "input", "word %d is longer than %d characters", i,
				  MONITOR_ARG_MAX);
			return -1;
		}
	return argc;
}

static void dispatch(char *line)
{
	char *argv[MONITOR_MAX_ARGS];
	int argc = split(line, argv);
	const struct monitor_cmd *c;

	if (argc <= 0)
		return;
	c = find_cmd(argv[0]);
	if (!c)
		mon_error(argv[0], "unknown command; 'help' lists them");
	else if (argc - 1 < c->min_args)
		mon_error(c->name, "missing argument: %s %s", c->name, c->args);
	else if (argc - 1 > c->max_args)
		mon_error(c->name, "too many arguments: %s %s", c->name, c->args);
	else
		c->run(argc, argv);
}

/* One line, or its error.  False if there is no console to read. */
static bool read_and_run(void)
{
	char line[LINE_MAX];
	int n;

	printk("pvos> ");
	n = console_readline(line, sizeof(line));
	if (n == CONSOLE_NO_INPUT)
		return false;
	if (n == CONSOLE_LINE_TOO_LONG)
		mon_error("input", "line longer than %d characters; ignored", LINE_MAX - 1);
	else if (console_readline_dropped())
		mon_error("input", "%u bytes that are not printable ASCII; line ignored",
			  console_readline_dropped());
	else
		dispatch(line);
	return true;
}

void monitor_run(void)
{
	printk("monitor: ready on %s; 'help' lists the commands\n", pvops_backend_name());
	while (read_and_run())
		;
	printk("monitor: no console here can read input\n");
	pvos_exit(EXIT_FAIL);
}

/* The word is parsed before kmain's end: kmain asks. */
bool monitor_wanted(void)
{
	return opt_monitor;
}

/* ---- the commands that need nothing of pv_ops ---- */

static void cmd_help(int argc, char **argv)
{
	for (const struct monitor_cmd *c = __start_monitor_cmds; c < __stop_monitor_cmds; c++) {
		char usage[48];

		snprintf(usage, sizeof(usage), "%s %s", c->name, c->args);
		printk("  %-28s %s\n", usage, c->help);
	}
}
MONITOR_CMD(mon_help, "help", "", "list the commands, one line each", 0, 0, cmd_help);

static void cmd_exit(int argc, char **argv)
{
	printk("monitor: bye\n");
	pvos_exit(EXIT_PASS);
}
MONITOR_CMD(mon_exit, "exit", "", "end pvos, passing (as quit)", 0, 0, cmd_exit);
MONITOR_CMD(mon_quit, "quit", "", "end pvos, passing (as exit)", 0, 0, cmd_exit);

static void cmd_selftest(int argc, char **argv)
{
	int failed = selftest_run();

	printk("monitor: selftest: %s\n", failed ? "FAILED" : "all passed");
}
MONITOR_CMD(mon_selftest, "selftest", "", "run every self-test again (TAP), say pass or fail",
	    0, 0, cmd_selftest);

static void cmd_bench(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "all";

	if (!bench_micro(which))
		mon_error("bench", "no benchmark '%s'; one of: %s", which, bench_micro_names());
}
MONITOR_CMD(mon_bench, "bench", "[<op>|all]", "time one op's micro-benchmark, or all of them",
	    0, 1, cmd_bench);

/* CPUID's hypervisor leaves: the signature and the leaf after it. */
static void cpuid_leaves(void)
{
	struct cpuid_regs r;
	char sig[13];

	cpuid(1, 0, &r);
	printk("hv: CPUID.1:ECX hypervisor bit %s\n", r.ecx & (1u << 31) ? "set" : "clear");
	if (!(r.ecx & (1u << 31)))
		return;
	for (uint32_t leaf = 0x40000000; leaf < 0x40000200; leaf += 0x100) {
		uint32_t max = cpuid_signature(leaf, sig);

		printk("hv: CPUID %#x: max leaf %#x, signature \"%s\"\n", leaf, max, sig);
	}
}

static void cmd_hv(int argc, char **argv)
{
	cpuid_leaves();
	pvops_describe();
}
MONITOR_CMD(mon_hv, "hv", "", "what the hypervisor offers: CPUID leaves, and the backend's account",
	    0, 0, cmd_hv);
