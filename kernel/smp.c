/*
 * Several CPUs.  The boot CPU asks the platform to start the others (INIT
 * and SIPI on the PC, VCPUOP_up under Xen); each one sets itself up and
 * lands in smp_cpu_ready(), which marks it online and idles it.  An idle CPU
 * sleeps (safe_halt) until another hands it work: a struct cpu_work in its
 * per-CPU area, and an IPI to wake it.
 *
 * `cpus=N` on the command line starts at most N CPUs, the boot CPU
 * included.
 */
#include "kernel/smp.h"
#include "kernel/main.h"
#include "kernel/options.h"
#include "kernel/printk.h"
#include "arch/x86/traps.h"
#include "arch/x86/time.h"
#include "arch/x86/tlb.h"
#include "pvops/pvops.h"
#include "pvops/select.h"

volatile int nr_cpus_online = 1;
static volatile uint32_t online_mask = 1;	/* bit n: CPU n is up */

static int opt_cpus;
CMDLINE_OPTION(opt_cpus_opt, .name = "cpus", .type = OPT_UINT, .ival = &opt_cpus,
	       .help = "start at most this many CPUs");

bool cpu_online(int cpu)
{
	return cpu >= 0 && cpu < MAX_CPUS && (online_mask & (1u << cpu));
}

/* The wake-up: the interrupt itself ends the target's hlt. */
static void ipi_call(struct trap_frame *f)
{
	(void)f;
	apic_eoi();
}

uint32_t cpus_online_but_me(void)
{
	return online_mask & ~(1u << smp_processor_id());
}

/* ---- stop_machine: everybody else waits, with interrupts off, while one CPU works ---- */

static struct spinlock stop_lock = SPINLOCK("stop_machine");
static struct {
	volatile bool active;
	volatile uint32_t arrived, left;	/* bit n: CPU n is waiting, has gone on */
	bool (*may_stop)(struct trap_frame *f);
} stop;

static void ipi_stop(struct trap_frame *f)
{
	uint32_t me = 1u << smp_processor_id();

	apic_eoi();
	if (!stop.active || (stop.may_stop && !stop.may_stop(f)))
		return;			/* not now: the initiator will ask again */
	__atomic_fetch_or(&stop.arrived, me, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&stop.active, __ATOMIC_ACQUIRE))
		asm volatile("pause");
	native_serialize();
	__atomic_fetch_or(&stop.left, me, __ATOMIC_ACQ_REL);
}

/* Interrupt every CPU that has not arrived yet, until all have. */
static void gather(uint32_t others)
{
	while (__atomic_load_n(&stop.arrived, __ATOMIC_ACQUIRE) != others) {
		for (int cpu = 0; cpu < MAX_CPUS; cpu++)
			if ((others & ~stop.arrived) & (1u << cpu))
				apic_send_ipi(cpu, VEC_IPI_STOP);
		udelay(50);
	}
}

void stop_machine(void (*fn)(void *), void *arg, bool (*may_stop)(struct trap_frame *f))
{
	uint32_t others;
	unsigned long flags;

	spin_lock(&stop_lock);
	others = cpus_online_but_me();
	stop.arrived = stop.left = 0;
	stop.may_stop = may_stop;
	__atomic_store_n(&stop.active, true, __ATOMIC_RELEASE);
	gather(others);
	local_irq_save(flags);
	this_cpu()->stopping_others = true;	/* a stopped CPU may hold a lock fn needs */
	fn(arg);
	this_cpu()->stopping_others = false;
	native_serialize();
	__atomic_store_n(&stop.active, false, __ATOMIC_RELEASE);
	local_irq_restore(flags);
	while (__atomic_load_n(&stop.left, __ATOMIC_ACQUIRE) != others)
		asm volatile("pause");
	spin_unlock(&stop_lock);
}

void smp_boot(void)
{
	int max = opt_cpus ? opt_cpus : MAX_CPUS;

	if (opt_cpus > MAX_CPUS)
		printk("smp: cpus=%d: pvos runs at most %d CPUs\n", opt_cpus, MAX_CPUS);
	set_irq_handler(VEC_IPI_CALL, ipi_call);
	set_irq_handler(VEC_IPI_STOP, ipi_stop);
	tlb_init();
	if (max > 1 && platform->start_cpus)
		platform->start_cpus(MIN(max, MAX_CPUS));
	printk("smp: %d CPU%s up, on the %s backend%s\n", nr_cpus_online,
	       nr_cpus_online == 1 ? "" : "s", pvops_backend_name(),
	       opt_cpus ? " (cpus= on the command line)" : "");
}

/* Run w if there is one; else sleep until an interrupt, with no wake-up lost. */
static void idle_once(void)
{
	struct cpu_work *w;

	local_irq_disable();
	w = this_cpu()->work;
	if (!w) {
		safe_halt();		/* sti; hlt: an IPI after the test still wakes it */
		return;
	}
	local_irq_enable();
	this_cpu()->work = NULL;
	w->fn(w->arg);
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
}

void smp_cpu_ready(void)
{
	int id = this_cpu()->id;

	__atomic_fetch_or(&online_mask, 1u << id, __ATOMIC_RELEASE);
	__atomic_fetch_add(&nr_cpus_online, 1, __ATOMIC_RELEASE);
	for (;;)
		idle_once();
}

void smp_run(int cpu, struct cpu_work *w)
{
	struct cpu_data *c = &cpu_data[cpu];

	if (!cpu_online(cpu) || cpu == this_cpu()->id)
		panic("smp: cannot hand work to CPU %d (%s)", cpu,
		      cpu_online(cpu) ? "that is this CPU" : "not online");
	while (__atomic_load_n(&c->work, __ATOMIC_ACQUIRE))	/* the last one taken */
		asm volatile("pause");
	w->done = false;
	__atomic_store_n(&c->work, w, __ATOMIC_RELEASE);
	apic_send_ipi(cpu, VEC_IPI_CALL);
}

void smp_wait(struct cpu_work *w)
{
	while (!__atomic_load_n(&w->done, __ATOMIC_ACQUIRE))
		asm volatile("pause");
}

void smp_call(int cpu, void (*fn)(void *), void *arg)
{
	struct cpu_work w = { .fn = fn, .arg = arg };

	smp_run(cpu, &w);
	smp_wait(&w);
}
