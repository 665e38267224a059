/*
 * The PC platform: a PC as QEMU (or KVM, or real hardware) presents it.
 * COM1 and VGA for output, the IDT for traps, our own page tables, the
 * LAPIC timer, and isa-debug-exit or ACPI to stop.
 */
#include "arch/x86/pc_platform.h"
#include "kernel/console.h"
#include "drivers/serial.h"
#include "drivers/vga.h"
#include "kernel/boot_info.h"
#include "arch/x86/apic.h"
#include "arch/x86/time.h"
#include "arch/x86/desc.h"
#include "arch/x86/mm.h"
#include "arch/x86/power.h"
#include "arch/x86/smp.h"

static void pc_console_init(void)
{
	serial_init();
	if (!boot_info.no_vga_text)	/* UEFI leaves a graphics framebuffer */
		vga_init();
}

static void pc_memory_init(void)
{
	pmm_init();
	paging_init();
}

const struct platform pc_platform = {
	.name = "native PC",
	.console_init = pc_console_init,
	.trap_init = pc_trap_init,
	.memory_init = pc_memory_init,
	.timer_init = timer_init,
	.exit = pc_exit,
	.start_cpus = pc_start_cpus,
};
