/*
 * What differs between the ways pvos can be started.  The entry path picks
 * a platform (native for multiboot2 and PVH; Xen PV has its own) and kmain
 * runs the same sequence on any of them.
 */
#ifndef PVOS_PLATFORM_H
#define PVOS_PLATFORM_H

struct platform {
	const char *name;
	void (*console_init)(void);	/* where printk goes */
	void (*trap_init)(void);	/* IDT, or a hypervisor trap table */
	void (*memory_init)(void);	/* physical allocator and page tables */
	void (*timer_init)(void);	/* the tick; ends with interrupts on */
};

extern const struct platform native_platform;

void kmain(const struct platform *p) __attribute__((noreturn));

#endif
