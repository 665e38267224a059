/*
 * The native platform: a PC as QEMU (or KVM, or real hardware) presents it.
 * COM1 and VGA for output, the IDT for traps, our own page tables, the
 * LAPIC timer.
 */
#include "kernel/platform.h"
#include "kernel/console.h"
#include "kernel/boot_info.h"
#include "arch/x86/apic.h"
#include "arch/x86/desc.h"
#include "arch/x86/mm.h"

static void native_console_init(void)
{
	serial_init();
	if (!boot_info.no_vga_text)	/* UEFI leaves a graphics framebuffer */
		vga_init();
}

static void native_memory_init(void)
{
	pmm_init();
	paging_init();
}

const struct platform native_platform = {
	.name = "native PC",
	.console_init = native_console_init,
	.trap_init = native_desc_init,
	.memory_init = native_memory_init,
	.timer_init = timer_init,
};
