/*
 * The other vCPUs of a Xen PV guest.
 *
 * Xen creates all of a domain's vCPUs when it builds the domain
 * (dom0_max_vcpus= on Xen's command line, vcpus= in an xl config) but runs
 * only the first; the guest starts each other one itself, in two
 * hypercalls.  VCPUOP_initialise hands Xen the vCPU's whole starting state,
 * a struct vcpu_guest_context: where it starts and on which stack, its
 * page tables (cr3), its trap table and event callbacks, its %gs base.
 * VCPUOP_up lets it run.  No trampoline, no real mode, no INIT or SIPI: it
 * starts as the boot vCPU runs, in 64-bit mode, in ring 3, on pvos's
 * page tables, and goes straight to C.
 *
 * Also here, what each vCPU owns (CPU n is always vCPU n, so the masks
 * handed to Xen need no translation):
 *  - its vcpu_info, registered in its per-CPU record
 *    (VCPUOP_register_vcpu_info), which the irq ops find through %gs;
 *  - its IPIs: an event channel per IPI vector (EVTCHNOP_bind_ipi), so
 *    that apic.send_ipi is EVTCHNOP_send on the target's port for the
 *    vector, and the event runs the handler an interrupt with that vector
 *    would run (kernel/smp.c and arch/x86/tlb.c, unchanged).
 */
#include "backends/xen/xen.h"
#include "backends/xen/events.h"
#include "backends/xen/mmu.h"
#include "backends/xen/platform.h"
#include "backends/xen/smp.h"
#include "backends/xen/spinlock.h"
#include "arch/x86/mm.h"
#include "arch/x86/traps.h"
#include "kernel/smp.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "pvops/pvops.h"
#include "pvops/select.h"

#define XEN_AP_STACK_SIZE	16384
#define XEN_UP_WAIT_S		2	/* for a started vCPU to come online */

static uint8_t xen_ap_stacks[MAX_CPUS][XEN_AP_STACK_SIZE] __aligned(16);

/* ---- vcpu_info ---- */

/* Once per vCPU, before it runs (or, for the boot vCPU, from itself at entry). */
void xen_register_vcpu_info(int cpu)
{
	struct vcpu_info *v = &xen_cpu_of(cpu)->vcpu_info;
	struct vcpu_register_vcpu_info r = {
		.mfn = xen_virt_to_machine(v) >> PAGE_SHIFT,
		.offset = (uint32_t)((unsigned long)v & (PAGE_SIZE - 1)),
	};

	xen_check(HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, cpu, &r),
		  "vcpu_op(VCPUOP_register_vcpu_info vCPU %d at %lx)", cpu, (unsigned long)v);
}

/* ---- IPIs as event channels ---- */

static const int xen_ipi_vectors[] = { VEC_IPI_CALL, VEC_IPI_STOP, VEC_IPI_FLUSH };
static unsigned int xen_ipi_ports[MAX_CPUS][ARRAY_SIZE(xen_ipi_vectors)];	/* 0: none */

/*
 * An IPI's event: what set_irq_handler registered for its vector runs, on
 * the frame the upcall interrupted, with the IPI's vector in it for the
 * time of the call.  The frame matters: stop_machine's handler reads the
 * interrupted rip and may move it past a site.
 */
static void xen_ipi_event(unsigned int port, struct trap_frame *f)
{
	const unsigned int *mine = xen_ipi_ports[smp_processor_id()];
	uint64_t upcall_vector = f->vector;

	for (size_t i = 0; i < ARRAY_SIZE(xen_ipi_vectors); i++)
		if (mine[i] == port) {
			f->vector = (uint64_t)xen_ipi_vectors[i];
			trap_dispatch(f);
			f->vector = upcall_vector;
		}
}

void xen_send_ipi(int cpu, int vector)
{
	for (size_t i = 0; i < ARRAY_SIZE(xen_ipi_vectors); i++)
		if (xen_ipi_vectors[i] == vector && cpu >= 0 && cpu < MAX_CPUS &&
		    xen_ipi_ports[cpu][i]) {
			xen_evtchn_send(xen_ipi_ports[cpu][i], "IPI");
			return;
		}
	panic("xen: send_ipi(cpu %d, vector %#x): no event channel for that (pvos binds "
	      "vectors %#x, %#x and %#x on each vCPU it runs)", cpu, vector, VEC_IPI_CALL,
	      VEC_IPI_STOP, VEC_IPI_FLUSH);
}

/* The backend's per-CPU part (pvops_cpu_init; the boot vCPU's from xen_trap_init). */
void xen_cpu_init(int cpu)
{
	for (size_t i = 0; i < ARRAY_SIZE(xen_ipi_vectors); i++)
		xen_ipi_ports[cpu][i] = xen_evtchn_bind_ipi(cpu, xen_ipi_event, "IPI");
	xen_spinlock_init_cpu(cpu);
}

/* ---- starting vCPUs ---- */

/* Where a started vCPU arrives (from xen_ap_start, xen_entry.S), events masked. */
void xen_ap_entry(void)
{
	if (xen_is_dom0)
		xen_set_iopl();		/* per vCPU: a panic here must reach the exit port */
	xen_timer_init_cpu();
	pvops_cpu_init(smp_processor_id());
	smp_cpu_ready();
}

static struct vcpu_guest_context xen_ctxt;	/* 5 KiB; one vCPU is started at a time */

static void xen_fill_context(int cpu)
{
	struct vcpu_guest_context *c = &xen_ctxt;
	unsigned long pgd = xen_read_cr3();

	memset(c, 0, sizeof(*c));
	c->flags = VGCF_in_kernel;	/* a PV kernel's ring 3, not user mode */
	c->user_regs.rip = (unsigned long)xen_ap_start;
	c->user_regs.rsp = (unsigned long)cpu_data[cpu].stack_top;
	c->user_regs.cs = FLAT_KERNEL_CS;
	c->user_regs.ss = FLAT_KERNEL_SS;
	c->kernel_ss = FLAT_KERNEL_SS;
	c->kernel_sp = c->user_regs.rsp;
	xen_fill_trap_ctxt(c->trap_ctxt);	/* what set_trap_table gave the boot vCPU */
	c->event_callback_eip = (unsigned long)xen_hypervisor_callback;
	c->failsafe_callback_eip = (unsigned long)xen_failsafe_callback;
	c->ctrlreg[3] = xen_pfn_to_cr3(xen_pfn_to_mfn(pgd >> PAGE_SHIFT));
	c->gs_base_kernel = (unsigned long)&cpu_data[cpu];
	xen_set_cr3_of(cpu, pgd);
}

static bool xen_came_up(int cpu)
{
	uint64_t deadline = sched_clock() + XEN_UP_WAIT_S * 1000000000ULL;

	while (!cpu_online(cpu) && sched_clock() < deadline)	/* let it run if it shares our CPU */
		xen_check(HYPERVISOR_sched_op(SCHEDOP_yield, NULL), "sched_op(SCHEDOP_yield)");
	return cpu_online(cpu);
}

/* A vCPU that did not answer is taken down again, so that it cannot come up later. */
static void xen_give_up(int cpu)
{
	printk("smp: vCPU %d did not come online within %d s; going on without it\n", cpu,
	       XEN_UP_WAIT_S);
	xen_check(HYPERVISOR_vcpu_op(VCPUOP_down, cpu, NULL), "vcpu_op(VCPUOP_down vCPU %d)", cpu);
	if (cpu_online(cpu))
		panic("smp: vCPU %d came online just as pvos gave up on it", cpu);
}

static bool xen_start_vcpu(int cpu)
{
	struct cpu_data *c = &cpu_data[cpu];

	c->apic_id = (uint32_t)cpu;
	c->stack_top = xen_ap_stacks[cpu] + XEN_AP_STACK_SIZE;
	c->backend = xen_cpu_of(cpu);
	xen_register_vcpu_info(cpu);
	xen_cpu_of(cpu)->vcpu_info.evtchn_upcall_mask = 1;	/* it starts with events masked */
	xen_fill_context(cpu);
	xen_check(HYPERVISOR_vcpu_op(VCPUOP_initialise, cpu, &xen_ctxt),
		  "vcpu_op(VCPUOP_initialise vCPU %d)", cpu);
	xen_check(HYPERVISOR_vcpu_op(VCPUOP_up, cpu, NULL), "vcpu_op(VCPUOP_up vCPU %d)", cpu);
	if (xen_came_up(cpu))
		return true;
	xen_give_up(cpu);
	return false;
}

/* How many vCPUs Xen gave: VCPUOP_is_up answers for each that exists. */
static int xen_count_vcpus(void)
{
	int n = 1;

	while (n < XEN_LEGACY_MAX_VCPUS && HYPERVISOR_vcpu_op(VCPUOP_is_up, n, NULL) >= 0)
		n++;
	return n;
}

void xen_start_cpus(int max)
{
	int n = xen_count_vcpus(), up = 1;

	printk("smp: Xen gave this domain %d vCPU%s%s\n", n, n == 1 ? "" : "s",
	       n > MAX_CPUS ? "; pvos runs at most 8" : "");
	for (int cpu = 1; cpu < MIN(n, MAX_CPUS) && up < max; cpu++) {
		long rc = HYPERVISOR_vcpu_op(VCPUOP_is_up, cpu, NULL);

		xen_check(rc, "vcpu_op(VCPUOP_is_up vCPU %d)", cpu);
		if (rc > 0)
			printk("smp: vCPU %d is running already, not started by pvos: left alone\n",
			       cpu);
		else if (xen_start_vcpu(cpu))
			up++;
	}
}
