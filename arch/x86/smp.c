/*
 * Starting the PC's other CPUs, as the Intel MP protocol says: the MADT
 * lists them by local APIC id; for each, the boot CPU sends INIT, waits
 * 10 ms, then STARTUP (SIPI) with the trampoline's page, and once more if
 * the CPU has not answered.  The CPU starts in real mode in
 * arch/x86/trampoline.S, climbs to long mode on the kernel's page tables,
 * and arrives in pc_ap_entry() on its own stack, its %gs on its own
 * struct cpu_data.  One CPU at a time: each uses the trampoline's words.
 */
#include "arch/x86/smp.h"
#include "arch/x86/acpi.h"
#include "arch/x86/apic.h"
#include "arch/x86/desc.h"
#include "arch/x86/io.h"
#include "arch/x86/mm.h"
#include "arch/x86/time.h"
#include "kernel/smp.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "pvops/select.h"

#define AP_STACK_SIZE	16384

/*
 * A CPU that faults on its way up can take the whole PC with it: its
 * triple fault resets the machine (seen under a software KVM that cannot
 * run the trampoline's switch to long mode).  pvos would then boot again
 * and start it again, forever.  So a byte of CMOS RAM, which a reset keeps,
 * says "starting CPUs" until they are up; a boot that finds it set starts
 * none, and says why.
 */
#define CMOS_INDEX	0x70
#define CMOS_DATA	0x71
#define CMOS_SMP_BYTE	0x7e	/* unused by QEMU's and the PC's firmware */
#define SMP_STARTING	0xa5

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	outb(CMOS_INDEX, reg);
	outb(CMOS_DATA, v);
}

static uint8_t ap_stacks[MAX_CPUS][AP_STACK_SIZE] __aligned(16);

void pc_ap_entry(void)
{
	struct cpu_data *c = this_cpu();

	pc_trap_init_cpu(c->id);
	lapic_init_cpu();
	timer_init_cpu();
	pvops_cpu_init(c->id);
	smp_cpu_ready();
}

static void trampoline_set(const char *word, uint64_t v)
{
	*(uint64_t *)phys_to_virt(TRAMPOLINE_PHYS + (size_t)(word - trampoline_start)) = v;
}

/* Wait up to `us` microseconds for CPU `cpu` to come online. */
static bool came_up(int cpu, uint64_t us)
{
	for (uint64_t t = 0; t < us; t += 100) {
		if (cpu_online(cpu))
			return true;
		udelay(100);
	}
	return cpu_online(cpu);
}

static bool start_cpu(int cpu, uint32_t apic_id)
{
	struct cpu_data *c = &cpu_data[cpu];

	c->apic_id = apic_id;
	c->stack_top = ap_stacks[cpu] + AP_STACK_SIZE;
	trampoline_set(trampoline_gs, (uint64_t)c);
	trampoline_set(trampoline_stack, (uint64_t)c->stack_top);
	lapic_send_init(apic_id);
	udelay(10000);
	for (int sipi = 0; sipi < 2; sipi++) {
		lapic_send_startup(apic_id, TRAMPOLINE_PHYS >> 12);
		if (came_up(cpu, sipi ? 1000000 : 200))
			return true;
	}
	printk("smp: CPU %d (APIC id %u) did not answer INIT and SIPI; going on without it\n",
	       cpu, apic_id);
	return false;
}

/* The trampoline at its page, and that page mapped where it is, executable. */
static void trampoline_install(void)
{
	memcpy(phys_to_virt(TRAMPOLINE_PHYS), trampoline_start,
	       (size_t)(trampoline_end - trampoline_start));
	trampoline_set(trampoline_cr3, kernel_pgd_phys());
	trampoline_set(trampoline_entry, (uint64_t)pc_ap_entry);
	if (map_page(TRAMPOLINE_PHYS, TRAMPOLINE_PHYS, PAGE_KERNEL_RX))
		panic("smp: cannot map the trampoline page");
}

void pc_start_cpus(int max)
{
	uint32_t ids[MAX_CPUS];
	int n = acpi_cpu_apic_ids(ids, MAX_CPUS, this_cpu()->apic_id), next = 1;

	if (n < 0) {
		printk("smp: no MADT in the ACPI tables: running one CPU\n");
		return;
	}
	printk("smp: the MADT lists %d CPU%s%s\n", n, n == 1 ? "" : "s",
	       n > MAX_CPUS ? "; pvos runs at most 8" : "");
	if (MIN(n, max) < 2)
		return;
	if (cmos_read(CMOS_SMP_BYTE) == SMP_STARTING) {
		cmos_write(CMOS_SMP_BYTE, 0);
		printk("smp: the last boot was reset while it started a CPU (this host cannot run "
		       "the trampoline); running one CPU this time\n");
		return;
	}
	cmos_write(CMOS_SMP_BYTE, SMP_STARTING);
	trampoline_install();
	for (int i = 1; i < MIN(n, MAX_CPUS) && next < max; i++)
		if (start_cpu(next, ids[i]))
			next++;
	unmap_page(TRAMPOLINE_PHYS);
	cmos_write(CMOS_SMP_BYTE, 0);
}
