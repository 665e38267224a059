/*
 * A PARAVIRT=0 build has no pv_ops table and no call sites: every wrapper in
 * pvops/pvops.h is the native instruction itself.  This is Linux's
 * !CONFIG_PARAVIRT, the baseline `make bench` compares against.  It still
 * knows pvops's command-line words, to say they do nothing here.
 */
#include "pvops/select.h"
#include "pvops/pvlock.h"
#include "kernel/options.h"
#include "kernel/printk.h"

static char pvops_arg[24];
static int opt_verbose, opt_pause, opt_corrupt;
static const char *const pvops_forms[] = { "<backend>", "auto", "off", NULL };
CMDLINE_STRING(opt_pvops, "pvops", pvops_arg, pvops_forms,
	       "backend to install (by name), auto, or off");
CMDLINE_FLAG(opt_pvops_verbose, "pvops.verbose", &opt_verbose,
	       "print each site as it is patched");
CMDLINE_FLAG(opt_pvops_pause, "pvops.pause", &opt_pause,
	       "wait for a key after patching");
CMDLINE_FLAG(opt_pvops_corrupt, "pvops.corrupt", &opt_corrupt,
	       "test: corrupt 3 site entries");

/* No backend, no hypercalls; nothing to patch. */
bool pvops_hypercalls(uint64_t *n)
{
	(void)n;
	return false;
}

bool pvops_patch_cost(uint64_t *tsc, unsigned int *sites)
{
	(void)tsc;
	(void)sites;
	return false;
}

void pvops_report(void)
{
}

void pvops_cpu_init(int cpu)
{
	(void)cpu;
}

bool pvlock_installed(void)
{
	return false;
}

const char *pvops_backend_name(void)
{
	return "none";
}

void pvops_init(void)
{
	printk("pvops: backend none (PARAVIRT=0 build: every op is the native instruction)\n");
	if (pvops_arg[0] || opt_verbose || opt_pause || opt_corrupt)
		printk("pvops: pvops=/pvops.* options ignored: this kernel was built without pv_ops\n");
}

/* The monitor's questions: one answer for them all. */
static const char nopv_says[] = "this PARAVIRT=0 build has no backend: every op is the native instruction";

void pvops_describe(void)
{
	printk("hv: %s\n", nopv_says);
}

void pvops_counts(void)
{
	printk("counts: %s\n", nopv_says);
}

bool pvops_set_lazy(bool on)
{
	(void)on;
	return false;
}
