/*
 * Ending a run so that the host sees how it went.  pvos_exit() prints the
 * status and asks the platform to stop the machine: on the PC QEMU's
 * isa-debug-exit, else ACPI; under Xen SCHEDOP_shutdown.
 */
#include "kernel/printk.h"
#include "kernel/exit.h"
#include "kernel/main.h"
#include "pvops/pvops.h"
#include "pvops/select.h"
#include "arch/x86/percpu.h"

void pvos_exit(int status)
{
	static bool reported;

	local_irq_disable();
	if (!reported && !this_cpu()->in_exception) {	/* not from a crash dump */
		reported = true;
		pvops_report();
	}
	printk_flush();
	printk("pvos: exit status %d (%s)\n", status, status == EXIT_PASS ? "pass" : "fail");
	platform->exit(status);
	printk("pvos: the machine did not power off; halted. Close the emulator.\n");
	for (;;)
		halt();
}
