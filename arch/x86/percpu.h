/*
 * Per-CPU data.  Each CPU's %gs base points at its own struct cpu_data,
 * whose first word points at itself, so this_cpu() is one load from %gs:0
 * (as Linux's this_cpu_read()).  The boot CPU's %gs is set before any C
 * runs (boot/head32.S natively, xen_start_kernel under Xen); the others'
 * by their own entry code.
 */
#ifndef PVOS_PERCPU_H
#define PVOS_PERCPU_H

#include "kernel/types.h"

#define MAX_CPUS	8
#define MSR_GS_BASE	0xc0000101

/*
 * hv_area: 64 bytes a hypervisor backend may share with the hypervisor, at
 * the fixed offset CPU_HV_AREA from %gs, so that a patched site reaches it
 * in one instruction with no pointer to load first (Xen keeps the vCPU's
 * vcpu_info there: its event mask is the virtual interrupt flag).  Aligned
 * to its size, so it never straddles a page.
 */
#define CPU_HV_AREA		64
#define CPU_HV_AREA_SIZE	64

struct fault_catch;
struct cpu_work;

struct cpu_data {
	struct cpu_data *self;			/* %gs:0 */
	int id;					/* 0 (the boot CPU) .. nr_cpus - 1 */
	uint32_t apic_id;			/* or the Xen vCPU number */
	volatile uint64_t ticks;		/* timer interrupts taken */
	struct fault_catch *fault_catch;	/* see expect_fault() */
	int in_exception;			/* nesting depth of dumps */
	bool stopping_others;			/* inside stop_machine's fn (kernel/smp.c) */
	struct cpu_work *volatile work;		/* kernel/smp.c: what to run next */
	uint8_t *stack_top;			/* its kernel stack (not the boot CPU's) */
	uint8_t hv_area[CPU_HV_AREA_SIZE] __aligned(CPU_HV_AREA_SIZE);	/* %gs:CPU_HV_AREA */
	void *backend;				/* the backend's own per-CPU record, if any */
};
STATIC_ASSERT(__builtin_offsetof(struct cpu_data, hv_area) == CPU_HV_AREA);

extern struct cpu_data cpu_data[MAX_CPUS];

static inline struct cpu_data *this_cpu(void)
{
	struct cpu_data *c;

	asm("mov %%gs:0, %0" : "=r"(c));	/* never changes under a running CPU */
	return c;
}

static inline int smp_processor_id(void)
{
	return this_cpu()->id;
}

#endif
