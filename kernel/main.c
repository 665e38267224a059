/*
 * kmain: the boot sequence every entry path shares.  Its printout is meant
 * to be read by a student: each step says what it found and what it chose.
 */
#include "kernel/main.h"
#include "kernel/smp.h"
#include "kernel/lockbench.h"
#include "arch/x86/pc_platform.h"
#include "kernel/boot_info.h"
#include "kernel/console.h"
#include "kernel/options.h"
#include "kernel/printk.h"
#include "kernel/selftest.h"
#include "kernel/crashtest.h"
#include "kernel/hoststat.h"
#include "kernel/bench.h"
#include "kernel/exit.h"
#include "kernel/monitor.h"
#include "pvops/pvops.h"
#include "pvops/select.h"
#include "arch/x86/apic.h"
#include "arch/x86/time.h"

static const char *const mem_type_names[] = {
	[MEM_RAM] = "RAM", [MEM_RESERVED] = "reserved", [MEM_ACPI] = "ACPI",
	[MEM_NVS] = "ACPI NVS", [MEM_UNUSABLE] = "unusable",
};

static void print_memory_map(void)
{
	if (!boot_info.nr_mem)
		panic("boot: the loader (%s) gave no memory map", boot_info.protocol);
	printk("boot: memory map:\n");
	for (int i = 0; i < boot_info.nr_mem; i++) {
		const struct mem_region *r = &boot_info.mem[i];

		printk("  %016lx-%016lx %s\n", r->base, r->base + r->len - 1,
		       mem_type_names[r->type]);
	}
	if (boot_info.mem_dropped)
		printk("boot: warning: %d more memory-map entries ignored (room for %d)\n",
		       boot_info.mem_dropped, BOOT_MEM_MAX);
}

static void banner(const struct platform *p)
{
	char names[96];

	printk("\npvos " PVOS_VERSION ": a teaching kernel for paravirtualization\n");
	printk("boot: entered via %s on %s; consoles: %s\n", boot_info.protocol, p->name,
	       console_names(names, sizeof(names)));
	printk("boot: command line \"%s\"\n", boot_info.cmdline);
	if (boot_info.cmdline_cut)
		printk("boot: warning: the command line is longer than %zu characters; the rest is ignored\n",
		       sizeof(boot_info.cmdline) - 1);
}

/*
 * `echo`: read one line from the console and say it back, then exit.  The
 * smallest proof that typing reaches pvos on whatever console it has
 * (serial, Xen's console_io as dom0, the ring as a domU).
 */
static void __noreturn echo_line(void)
{
	char line[80];
	int n;

	printk("echo: ready; type a line and press Enter\n");
	printk("> ");
	n = console_readline(line, sizeof(line));
	if (n == CONSOLE_NO_INPUT) {
		printk("echo: no console here can read input\n");
		pvos_exit(EXIT_FAIL);
	}
	if (n == CONSOLE_LINE_TOO_LONG)
		printk("echo: line too long; the first %zu characters were kept\n", sizeof(line) - 1);
	printk("echo: %s\n", line);
	pvos_exit(EXIT_PASS);
}

static void __noreturn idle(void)
{
	printk("pvos: boot complete; idling with the timer on (%lu ticks so far).\n", ticks());
	for (;;)
		safe_halt();
}

const struct platform *platform = &pc_platform;

void kmain(const struct platform *p)
{
	platform = p;
	p->console_init();
	banner(p);
	options_parse(boot_info.cmdline);
	print_memory_map();
	p->trap_init();
	p->memory_init();
	pvops_init();
	if (opt.bench)
		bench_run_all();	/* before the timer: nothing may interrupt it */
	p->timer_init();
	local_irq_enable();
	smp_boot();
	if (opt.crash)
		crash_test(opt.crash);
	if (opt.selftest)
		selftest_run_all();
	if (opt.hoststat)
		hoststat_run();
	if (opt.lockbench)
		lockbench_run();
	if (opt.echo)
		echo_line();
	if (monitor_wanted())
		monitor_run();
	idle();
}
