/*
 * pvos's command-line options, parsed once at boot (kernel/options.c).
 * README.md lists them for users.
 *
 * The kernel's own are in struct options.  Any other part of pvos registers
 * its own where it is used, with CMDLINE_OPTION (pvops/ its pvops= and
 * pvops.* words, each backend its test words), so that this file knows
 * nothing of backends.
 */
#ifndef PVOS_OPTIONS_H
#define PVOS_OPTIONS_H

#include "kernel/cmdline.h"

enum crash_choice {
	CRASH_NONE, CRASH_PF, CRASH_UD, CRASH_GP, CRASH_DE, CRASH_TEXT, CRASH_PANIC,
	CRASH_LOCK_RECURSION, CRASH_LOCK_OWNER, CRASH_LOCK_HELD,
};

struct options {
	int selftest;		/* run the self-tests, print TAP, exit */
	int bench;		/* count instructions per op and workload, exit */
	int crash;		/* test: provoke an exception (enum crash_choice) */
	int hoststat;		/* pause around workloads for the host's counters */
	int lockbench;		/* lock throughput with every CPU contending, exit */
	int echo;		/* read a console line, print it back, exit */
};

extern struct options opt;

/*
 * One option each, in the .cmdline_opts section that options_parse() reads:
 *   CMDLINE_FLAG(id, "name", &int_var, "help")		a bare word: var = 1
 *   CMDLINE_CHOICE(id, "name", &int_var, choices, "help")	name=one-of: var = index
 *   CMDLINE_STRING(id, "name", char_buf, forms, "help")	name=word, its owner checks it
 *	(forms: what the word may be, for the help line, e.g. "<backend>", "off")
 */
#define CMDLINE_OPTION(id, ...)						\
	static const struct cmdline_opt id __used __aligned(8)	\
		__section(".cmdline_opts") = { __VA_ARGS__ }
#define CMDLINE_FLAG(id, nm, var, hlp)					\
	CMDLINE_OPTION(id, .name = nm, .type = OPT_FLAG, .ival = var, .help = hlp)
#define CMDLINE_CHOICE(id, nm, var, ch, hlp)				\
	CMDLINE_OPTION(id, .name = nm, .type = OPT_CHOICE, .ival = var, .choices = ch, .help = hlp)
#define CMDLINE_STRING(id, nm, buf, forms, hlp)				\
	CMDLINE_OPTION(id, .name = nm, .type = OPT_STRING, .sval = buf, .ssize = sizeof(buf), \
		       .choices = forms, .help = hlp)

/* Every registered option: the .cmdline_opts section (boot/linker.ld). */
extern const struct cmdline_opt __start_cmdline_opts[], __stop_cmdline_opts[];

void options_parse(const char *cmdline);

#endif
