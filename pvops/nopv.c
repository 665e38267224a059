/*
 * A PARAVIRT=0 build has no pv_ops table and no call sites: every wrapper in
 * pvops/pvops.h is the native instruction itself.  This is Linux's
 * !CONFIG_PARAVIRT, the baseline `make bench` compares against.
 */
#include "pvops/pvops_init.h"
#include "kernel/options.h"
#include "kernel/printk.h"

const char *pv_backend_name = "none";

/* No backend, no hypercalls; nothing to patch. */
bool pvops_hypercalls(uint64_t *n)
{
	(void)n;
	return false;
}

void pvops_report(void)
{
}

bool pvops_patch_cost(uint64_t *tsc, unsigned int *sites)
{
	(void)tsc;
	(void)sites;
	return false;
}

void pvops_init(int choice)
{
	printk("pvops: backend none (PARAVIRT=0 build: every op is the native instruction)\n");
	if (choice != PVOPS_AUTO && choice != PVOPS_NATIVE)
		printk("pvops: pvops=%s ignored: this kernel was built without pv_ops\n",
		       pvops_choices[choice]);
}
