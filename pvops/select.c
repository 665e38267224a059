/*
 * Choosing the backend at boot.  In order of authority:
 *
 *  1. the entry path: a kernel entered through the Xen PV entry point is a
 *     Xen PV guest and can only run the xen backend, which claims the
 *     machine there (pvops_claim), before kmain;
 *  2. the command line: pvops=<backend> asks for one by name (if it cannot
 *     run here, pvos says why and falls back to native);
 *  3. pvops=auto (the default): the highest-priority backend whose detect()
 *     says yes, e.g. kvm when CPUID carries the KVM signature.
 *
 * pvops=off chooses as auto does but leaves every site an indirect call.
 * The names come from the registered backends themselves: nothing outside
 * backends/ knows them.
 */
#include "pvops/select.h"
#include "pvops/patcher.h"
#include "pvops/backend.h"
#include "pvops/lockdebug.h"
#include "kernel/options.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/vsprintf.h"

const struct pv_backend *pv_backend;
static const struct pv_backend *booted;		/* chosen at boot; pv_backend may change */
static struct pv_ops booted_table;		/* what it installed, lockdebug included */
static const struct pv_backend *claimed;
static const char *claimed_why;
static bool patching = true;

static char pvops_arg[24] = "auto";
static const char *const pvops_forms[] = { "<backend>", "auto", "off", NULL };
CMDLINE_STRING(opt_pvops, "pvops", pvops_arg, pvops_forms,
	       "backend to install (by name), auto, or off");

static const struct pv_backend *find_backend(const char *name)
{
	for (const struct pv_backend *const *b = __start_pv_backends; b < __stop_pv_backends; b++)
		if (!strcmp((*b)->name, name) || ((*b)->alias && !strcmp((*b)->alias, name)))
			return *b;
	return NULL;
}

/* "native, xen (or xen-pv), kvm": for a message about a bad pvops= value. */
static void backend_names(char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (const struct pv_backend *const *b = __start_pv_backends; b < __stop_pv_backends; b++)
		if (len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s%s%s%s", len ? ", " : "",
						(*b)->name, (*b)->alias ? " (or " : "",
						(*b)->alias ? (*b)->alias : "", (*b)->alias ? ")" : "");
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

static const struct pv_backend *choose_named(const struct pv_backend *b, char *why, size_t size)
{
	char said[128] = "";

	if (b->detect(said, sizeof(said))) {
		snprintf(why, size, "pvops=%s on the command line: %s", pvops_arg, said);
		return b;
	}
	printk("pvops: pvops=%s asked for, but %s; falling back to native\n", pvops_arg, said);
	snprintf(why, size, "pvops=%s unavailable: %s", pvops_arg, said);
	return find_backend("native");
}

/* What the command line asks for: a backend, or NULL for auto (and off). */
static const struct pv_backend *asked_for(void)
{
	const struct pv_backend *b;
	char names[128];

	if (!strcmp(pvops_arg, "auto") || !strcmp(pvops_arg, "off")) {
		patching = strcmp(pvops_arg, "off") != 0;
		return NULL;
	}
	b = find_backend(pvops_arg);
	if (!b) {
		backend_names(names, sizeof(names));
		printk("cmdline: warning: bad value '%s' for 'pvops'; use: %s, auto or off; "
		       "choosing as pvops=auto does\n", pvops_arg, names);
	}
	return b;
}

void pvops_claim(const struct pv_backend *b, const char *why)
{
	claimed = b;
	claimed_why = why;
	b->install();
}

const char *pvops_backend_name(void)
{
	return pv_backend ? pv_backend->name : "native";
}

bool pvops_patching(void)
{
	return patching;
}

bool pvops_hypercalls(uint64_t *n)
{
	if (!pv_backend || !pv_backend->hypercalls)
		return false;
	*n = pv_backend->hypercalls();
	return true;
}

void pvops_cpu_init(int cpu)
{
	if (pv_backend && pv_backend->cpu_init)
		pv_backend->cpu_init(cpu);
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
	*sites = pv_stats.sites + pv_call_stats.calls;	/* the pass patches both kinds */
	return true;
}

/* A backend must fill every slot: an empty one would be a call to address 0. */
static void check_table(const struct pv_backend *b)
{
	for (unsigned int op = 0; op < PV_NR_OPS; op++)
		if (!((const uint64_t *)&pv_ops)[op])
			panic("pvops: backend %s left %s empty", b->name, pv_op_info[op].name);
}

static const struct pv_backend *choose(char *why, size_t size)
{
	const struct pv_backend *asked = asked_for();

	if (claimed) {
		snprintf(why, size, "%s", claimed_why);
		if (asked && asked != claimed)
			printk("pvops: pvops=%s ignored: %s\n", pvops_arg, claimed_why);
		return claimed;
	}
	if (!asked)
		return choose_auto(why, size);
	return choose_named(asked, why, size);
}

void pvops_init(void)
{
	char why[400];
	const struct pv_backend *b = choose(why, sizeof(why));

	if (b != claimed)
		b->install();
	lockdebug_install();
	check_table(b);
	pv_backend = booted = b;
	booted_table = pv_ops;
	printk("pvops: backend %s (%s%s)\n", b->name, why,
	       patching ? "" : "; pvops=off: every site stays an indirect call");
	pvops_patch_all(patching);
}

/* ---- for the monitor (pvops/monitor.c, kernel/monitor.c) ---- */

void pvops_describe(void)
{
	if (pv_backend->describe)
		pv_backend->describe();
	else
		printk("hv: the %s backend describes nothing\n", pv_backend->name);
}

void pvops_counts(void)
{
	if (pv_backend->counts)
		pv_backend->counts();
	else
		printk("counts: the %s backend counts nothing\n", pv_backend->name);
}

bool pvops_set_lazy(bool on)
{
	if (!pv_backend->set_lazy)
		return false;
	pv_backend->set_lazy(on);
	return true;
}

/*
 * `patch native` under a hypervisor: the native table, but for two groups
 * that cannot change under a running kernel without it noticing.  The
 * clock: time would jump between two clocks' readings.  The locks: a
 * waiter may sleep in the hypervisor and need its kick, and lockdebug's
 * checks wrap whatever is there.
 */
static void native_table(struct pv_ops *t)
{
	*t = pv_native_ops;
	t->time = booted_table.time;
	t->lock = booted_table.lock;
}

static void switch_to(const struct pv_backend *b, const struct pv_ops *table, bool patch)
{
	patching = patch;
	pv_backend = b;
	pvops_repatch_table(table, patch);
	printk("pvops: backend %s, %s\n", b->name, patch ? "patched" : "every site indirect");
	pvops_print_counts();
}

/* `patch off|native|<the booted backend>`: NULL when done, else why not. */
const char *pvops_switch(const char *to)
{
	const struct pv_backend *b = find_backend(to);
	static struct pv_ops native;

	if (!strcmp(to, "off")) {
		switch_to(pv_backend, NULL, false);
	} else if (b == booted) {
		switch_to(booted, &booted_table, true);
	} else if (b && !strcmp(b->name, "native")) {
		if (booted->no_native)
			return booted->no_native;
		native_table(&native);
		switch_to(b, &native, true);
	} else if (b) {
		return "that backend is not the one running here: off, native or the running one";
	} else {
		return "no such backend: off, native or the running one";
	}
	return NULL;
}

const char *pvops_booted_name(void)
{
	return booted ? booted->name : "native";
}
