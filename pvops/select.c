/*
 * Choosing the backend at boot.  In order of authority:
 *
 *  1. the entry path: a kernel entered through the Xen PV entry point is a
 *     Xen PV guest and can only run the xen-pv backend;
 *  2. the command line: pvops=native|xen|kvm asks for one (if it is absent
 *     here, pvos says why and falls back to native);
 *  3. pvops=auto (the default): the highest-priority backend whose detect()
 *     says yes, e.g. kvm when CPUID carries the KVM signature.
 *
 * pvops=off chooses as auto does but leaves every site an indirect call.
 */
#include "pvops/pvops_init.h"
#include "pvops/backend.h"
#include "kernel/options.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/vsprintf.h"

extern const struct pv_backend *const __start_pv_backends[], *const __stop_pv_backends[];

const char *pv_backend_name = "native";
const struct pv_backend *pv_backend;
static const char *entered_backend, *entered_why;

void pvops_entered_by(const char *backend, const char *why)
{
	entered_backend = backend;
	entered_why = why;
}

static const struct pv_backend *find_backend(const char *name)
{
	for (const struct pv_backend *const *b = __start_pv_backends; b < __stop_pv_backends; b++)
		if (!strcmp((*b)->name, name))
			return *b;
	return NULL;
}

/* pvops=auto: the best backend present; `why` gathers what each one said. */
static const struct pv_backend *choose_auto(char *why, size_t size)
{
	const struct pv_backend *best = find_backend("native");
	size_t len = (size_t)snprintf(why, size, "auto");

	for (const struct pv_backend *const *b = __start_pv_backends; b < __stop_pv_backends; b++) {
		char said[128] = "";
		bool present = (*b)->detect(said, sizeof(said));

		if ((*b)->priority == 0)
			continue;
		if (len < size)
			len += (size_t)snprintf(why + len, size - len, "; %s: %s", (*b)->name, said);
		if (present && (*b)->priority > best->priority)
			best = *b;
	}
	if (best->priority == 0 && len < size)
		snprintf(why + len, size - len, "; no hypervisor backend applies");
	return best;
}

static const struct pv_backend *choose_named(int choice, char *why, size_t size)
{
	const char *name = choice == PVOPS_XEN ? "xen-pv" : pvops_choices[choice];
	const struct pv_backend *b = find_backend(name);
	char said[128] = "it is not built into this kernel";

	if (b && b->detect(said, sizeof(said))) {
		snprintf(why, size, "pvops=%s on the command line: %s", pvops_choices[choice], said);
		return b;
	}
	printk("pvops: pvops=%s asked for, but %s; falling back to native\n",
	       pvops_choices[choice], said);
	snprintf(why, size, "pvops=%s unavailable: %s", pvops_choices[choice], said);
	return find_backend("native");
}

bool pvops_hypercalls(uint64_t *n)
{
	if (!pv_backend || !pv_backend->hypercalls)
		return false;
	*n = pv_backend->hypercalls();
	return true;
}

/* At exit: the backend's account of what the host delivered, if it keeps one. */
void pvops_report(void)
{
	if (pv_backend && pv_backend->report)
		pv_backend->report();
}

bool pvops_patch_cost(uint64_t *tsc, unsigned int *sites)
{
	*tsc = pv_stats.tsc;
	*sites = pv_stats.sites;
	return true;
}

/* A backend must fill every slot: an empty one would be a call to address 0. */
static void check_table(const struct pv_backend *b)
{
	for (unsigned int op = 0; op < PV_NR_OPS; op++)
		if (!((const uint64_t *)&pv_ops)[op])
			panic("pvops: backend %s left %s empty", b->name, pv_op_info[op].name);
}

void pvops_init(int choice)
{
	const struct pv_backend *b;
	char why[400];

	if (entered_backend) {
		b = find_backend(entered_backend);
		snprintf(why, sizeof(why), "%s", entered_why);
		if (choice != PVOPS_AUTO && choice != PVOPS_OFF && strcmp(b->name, pvops_choices[choice]) &&
		    !(choice == PVOPS_XEN && !strcmp(b->name, "xen-pv")))
			printk("pvops: pvops=%s ignored: %s\n", pvops_choices[choice], entered_why);
	} else if (choice == PVOPS_AUTO || choice == PVOPS_OFF) {
		b = choose_auto(why, sizeof(why));
	} else {
		b = choose_named(choice, why, sizeof(why));
	}
	b->install();
	check_table(b);
	pv_backend = b;
	pv_backend_name = b->name;
	printk("pvops: backend %s (%s%s)\n", b->name, why,
	       choice == PVOPS_OFF ? "; pvops=off: every site stays an indirect call" : "");
	pvops_patch_all(choice != PVOPS_OFF);
}
