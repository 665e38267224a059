/*
 * The monitor's pv_ops commands (kernel/monitor.h): `ops` (each slot and
 * the function in it now), `sites` (recorded call sites, their bytes and
 * code now and unpatched) and `patch` (re-patch every site live).  Here,
 * not in kernel/, because a PARAVIRT=0 build has no table and no sites:
 * there these commands do not exist, and `help` does not list them.
 */
#include "kernel/monitor.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "pvops/pvops.h"
#include "pvops/patcher.h"
#include "pvops/select.h"
#include "pvops/insn.h"
#include "arch/x86/ksyms.h"

static void print_fn(uint64_t addr)
{
	uint64_t off;
	const char *name = ksym_lookup(addr, &off);

	if (!name)
		printk("%lx", (unsigned long)addr);
	else if (off)
		printk("%s+%#lx", name, (unsigned long)off);
	else
		printk("%s", name);
}

static unsigned int sites_of(unsigned int op)
{
	unsigned int n = 0;

	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++)
		n += s->op == op;
	return n;
}

static void cmd_ops(int argc, char **argv)
{
	for (unsigned int op = 0; op < PV_NR_OPS; op++) {
		const struct pv_op_info *i = pv_op_lookup(op);

		if (!i)
			continue;
		printk("  %-20s -> ", i->name);
		print_fn(pv_slot_value(op));
		printk(" (%u site%s)\n", sites_of(op), sites_of(op) == 1 ? "" : "s");
	}
	printk("ops: %u ops; backend %s, %s\n", (unsigned int)PV_NR_OPS, pvops_backend_name(),
	       pvops_patching() ? "patched" : "every site indirect");
}
MONITOR_CMD(mon_ops, "ops", "", "every pv_ops slot and the function it points to now",
	    0, 0, cmd_ops);

/* Code as text, one instruction after another; a run of int3 said once. */
static void print_code(const uint8_t *p, unsigned int len, uint64_t addr)
{
	char text[96], prev[96] = "";
	unsigned int at = 0, n, repeat = 0;

	while (at < len) {
		n = pv_insn_decode(p + at, len - at, addr + at, text, sizeof(text));
		if (!n) {
			printk("%s(%u bytes: not an instruction pvos writes)", at ? "; " : "", len - at);
			return;
		}
		if (!strcmp(text, prev) && !strcmp(text, "int3")) {
			repeat++;
		} else {
			if (repeat)
				printk(" x%u", repeat + 1);
			printk("%s%s", at ? "; " : "", text);
			repeat = 0;
			strncpy0(prev, text, sizeof(prev));
		}
		at += n;
	}
	if (repeat)
		printk(" x%u", repeat + 1);
}

static void print_bytes_code(const char *label, const uint8_t *p, unsigned int len,
			     uint64_t addr)
{
	printk("    %-10s ", label);
	print_hex_bytes(p, len);
	printk(" | ");
	print_code(p, len, addr);
	printk("\n");
}

static void print_site(const struct pv_site *s, const struct pv_check_ctx *ctx)
{
	uint8_t unpatched[PV_SITE_MAX_LEN];

	printk("  #%ld %lx <", (long)(s - __start_pv_sites), (unsigned long)s->addr);
	print_fn(s->addr);
	printk("> %s len %u %s\n", pv_op_info[s->op].name, s->len,
	       pv_outcome_name(pv_outcome_of(s)));
	pv_unpatched(s, ctx, unpatched);
	print_bytes_code("now:", (const uint8_t *)s->addr, s->len, s->addr);
	print_bytes_code("unpatched:", unpatched, s->len, s->addr);
}

/* Does the site belong to what was asked for: all, an op's name, a function's? */
static bool site_matches(const struct pv_site *s, const char *what)
{
	uint64_t off;
	const char *fn;

	if (!strcmp(what, "all") || !strcmp(pv_op_info[s->op].name, what))
		return true;
	fn = ksym_lookup(s->addr, &off);
	return fn && !strcmp(fn, what);
}

static void cmd_sites(int argc, char **argv)
{
	struct pv_check_ctx ctx;
	unsigned int n = 0;

	pv_kernel_ctx(&ctx);
	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++)
		if (pv_outcome_of(s) != PV_REFUSED && site_matches(s, argv[1])) {
			print_site(s, &ctx);
			n++;
		}
	if (!n)
		mon_error("sites", "no site in '%s': give all, an op (as 'ops' names it) or a function",
			  argv[1]);
	else
		printk("sites: %u of %ld\n", n, (long)(__stop_pv_sites - __start_pv_sites));
}
MONITOR_CMD(mon_sites, "sites", "all|<op>|<function>",
	    "call sites: where, length, bytes and code now and unpatched", 1, 1, cmd_sites);

static void cmd_patch(int argc, char **argv)
{
	const char *why = pvops_switch(argv[1]);

	if (why)
		mon_error("patch", "%s: %s", argv[1], why);
}
MONITOR_CMD(mon_patch, "patch", "off|native|<backend>",
	    "re-patch every site live (other CPUs stopped), print the counts", 1, 1, cmd_patch);
