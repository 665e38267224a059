/*
 * What differs between the machines pvos can be started on: how it writes
 * to a console, takes traps, finds its memory, ticks and stops.  The entry
 * path picks the platform (the PC for multiboot2 and PVH, Xen PV for Xen's
 * entry point) and kmain runs the same sequence on any of them.
 *
 * A platform is not a backend (pvops/backend.h): the backend decides how
 * each privileged op is done, the platform how the machine around pvos is
 * driven.  Under KVM pvos runs the PC platform with the kvm backend.
 */
#ifndef PVOS_PLATFORM_H
#define PVOS_PLATFORM_H

struct platform {
	const char *name;
	void (*console_init)(void);	/* where printk goes */
	void (*trap_init)(void);	/* IDT, or a hypervisor trap table */
	void (*memory_init)(void);	/* physical allocator and page tables */
	void (*timer_init)(void);	/* the tick; ends with interrupts on */
	void (*exit)(int status);	/* tell the host pass or fail and stop */
	void (*start_cpus)(int max);	/* start up to max CPUs in all, or NULL (one) */
};


#endif
