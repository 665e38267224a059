/*
 * The monitor: the command-line word `monitor` ends boot in a prompt on the
 * console, where a student asks the running kernel what it did (ops, sites,
 * page tables, the hypervisor) and changes it live (re-patching, lazy-MMU
 * batching).  kernel/monitor.c reads and dispatches lines; each command
 * lives with what it shows and registers itself with MONITOR_CMD, as
 * command-line words do with CMDLINE_OPTION: pvops/monitor.c has the pv_ops
 * commands, which a PARAVIRT=0 build does not have.  docs/monitor.md.
 */
#ifndef PVOS_MONITOR_H
#define PVOS_MONITOR_H

#include "kernel/types.h"

#define MONITOR_MAX_ARGS	4	/* the command's name included */
#define MONITOR_ARG_MAX		40	/* characters in one argument */

struct monitor_cmd {
	const char *name;
	const char *args;		/* for help: "<va>", "off|native|<backend>" */
	const char *help;		/* one line */
	int min_args, max_args;		/* after the name; checked before run() */
	void (*run)(int argc, char **argv);	/* argv[0] is the name */
} __aligned(8);

#define MONITOR_CMD(id, ...)						\
	static const struct monitor_cmd id __used __aligned(8)		\
		__section(".monitor_cmds") = { __VA_ARGS__ }

/* Every registered command: the .monitor_cmds section (boot/linker.ld). */
extern const struct monitor_cmd __start_monitor_cmds[], __stop_monitor_cmds[];

bool monitor_wanted(void);		/* `monitor` on the command line */
void monitor_run(void) __noreturn;

/* The one error line bad input gets: "monitor: <cmd>: <what is wrong>". */
void mon_error(const char *cmd, const char *fmt, ...) __printf(2, 3);
/* A number (decimal, or hex with 0x; a bare hex string with hex); else an error line. */
bool mon_parse_u64(const char *cmd, const char *s, bool hex, uint64_t *v);
/* "on" or "off"; else an error line. */
bool mon_parse_onoff(const char *cmd, const char *s, bool *on);

#endif
