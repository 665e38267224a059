/*
 * The table of pvos's command-line options.  Each has a one-line help
 * that README.md repeats.
 */
#include "kernel/options.h"
#include "kernel/cmdline.h"
#include "kernel/printk.h"

struct options opt;

const char *const pvops_choices[] = { "auto", "native", "xen", "kvm", "off", NULL };
static const char *const crash_choices[] = { "none", "pf", "ud", "gp", "de", "text", "panic", NULL };

static const struct cmdline_opt options[] = {
	{ "selftest", OPT_FLAG, &opt.selftest, NULL, "run the in-kernel tests (TAP) and exit" },
	{ "bench", OPT_FLAG, &opt.bench, NULL, "count instructions per op and workload, exit" },
	{ "pvops", OPT_CHOICE, &opt.pvops, pvops_choices, "backend to install, or off" },
	{ "pvops.verbose", OPT_FLAG, &opt.pvops_verbose, NULL, "print each site as it is patched" },
	{ "pvops.pause", OPT_FLAG, &opt.pvops_pause, NULL, "wait for a key after patching" },
	{ "pvops.corrupt", OPT_FLAG, &opt.pvops_corrupt, NULL, "test: corrupt 3 site entries" },
	{ "crash", OPT_CHOICE, &opt.crash, crash_choices, "test: provoke an exception" },
	{ "xen.bad_update", OPT_FLAG, &opt.xen_bad_update, NULL, "test: a page-table update Xen refuses" },
	{ "kvm.fake_rewrite", OPT_FLAG, &opt.kvm_fake_rewrite, NULL,
	  "test: the KVM hypercall probe meets a host that rewrites it" },
	{ "hoststat", OPT_FLAG, &opt.hoststat, NULL, "pause around workloads for host counters" },
};

static void warn(const char *msg)
{
	printk("cmdline: warning: %s\n", msg);
}

void options_parse(const char *cmdline)
{
	cmdline_parse(cmdline, options, sizeof(options) / sizeof(options[0]), warn);
}
