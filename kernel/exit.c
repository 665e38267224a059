/*
 * Ending a run so that the host sees how it went.  pvos_exit() prints the
 * status and asks the machine to stop; how depends on where pvos runs
 * (machine_exit: native QEMU/ACPI here, SCHEDOP_shutdown under Xen).
 */
#include "kernel/printk.h"
#include "kernel/exit.h"
#include "pvops/pvops.h"
#include "pvops/pvops_init.h"
#include "arch/x86/percpu.h"

void (*machine_exit)(int status) = native_machine_exit;

void pvos_exit(int status)
{
	static bool reported;

	local_irq_disable();
	if (!reported && !this_cpu()->in_exception) {	/* not from a crash dump */
		reported = true;
		pvops_report();
	}
	printk("pvos: exit status %d (%s)\n", status, status == EXIT_PASS ? "pass" : "fail");
	machine_exit(status);
	printk("pvos: the machine did not power off; halted. Close the emulator.\n");
	for (;;)
		halt();
}
