/*
 * The kernel's own command-line options, and the parse of every option any
 * part of pvos registered (CMDLINE_OPTION, kernel/options.h).  Each has a
 * one-line help that README.md repeats.
 */
#include "kernel/options.h"
#include "kernel/printk.h"

struct options opt;

static const char *const crash_choices[] = {
	"none", "pf", "ud", "gp", "de", "text", "panic", "lock-recursion", "lock-owner", "lock-held",
	NULL,
};

CMDLINE_FLAG(opt_selftest, "selftest", &opt.selftest,
	       "run the in-kernel tests (TAP) and exit");
CMDLINE_FLAG(opt_bench, "bench", &opt.bench,
	       "count instructions per op and workload, exit");
CMDLINE_CHOICE(opt_crash, "crash", &opt.crash, crash_choices,
	       "test: provoke an exception");
CMDLINE_FLAG(opt_lockbench, "lockbench", &opt.lockbench,
	     "lock throughput with every CPU contending, exit");
CMDLINE_FLAG(opt_echo, "echo", &opt.echo,
	     "read one console line, print it back, exit");
CMDLINE_FLAG(opt_hoststat, "hoststat", &opt.hoststat,
	       "pause around workloads for host counters");

static void warn(const char *msg)
{
	printk("cmdline: warning: %s\n", msg);
}

void options_parse(const char *cmdline)
{
	cmdline_parse(cmdline, __start_cmdline_opts,
		      (size_t)(__stop_cmdline_opts - __start_cmdline_opts), warn);
}
