/*
 * The local APIC: pvos's interrupt controller and tick source natively and
 * under KVM.  The legacy 8259 PICs are remapped out of the exception range
 * and masked.  EOI is a pv op (apic.eoi): KVM replaces it with its
 * paravirtual EOI, Xen PV has no LAPIC at all.
 */
#include "arch/x86/apic.h"
#include "arch/x86/io.h"
#include "arch/x86/mm.h"
#include "arch/x86/percpu.h"
#include "arch/x86/time.h"
#include "arch/x86/traps.h"
#include "kernel/printk.h"
#include "pvops/pvops.h"

#define MSR_APIC_BASE	0x1b
#define APIC_BASE_ENABLE (1UL << 11)
#define APIC_ID		0x20
#define APIC_TPR	0x80
#define APIC_EOI	0xb0
#define APIC_SVR	0xf0
#define APIC_ICR_LO	0x300
#define APIC_ICR_HI	0x310
#define APIC_LVT_TIMER	0x320
#define APIC_TIMER_INIT	0x380
#define APIC_TIMER_CUR	0x390
#define APIC_TIMER_DIV	0x3e0
#define ICR_INIT	(5u << 8)
#define ICR_STARTUP	(6u << 8)
#define ICR_PENDING	(1u << 12)
#define ICR_LEVEL_ASSERT (1u << 14)
#define LVT_PERIODIC	(1u << 17)
#define LVT_MASKED	(1u << 16)

static volatile uint32_t *lapic;

uint32_t lapic_read(uint32_t reg) { return lapic[reg / 4]; }
void lapic_write(uint32_t reg, uint32_t v) { lapic[reg / 4] = v; }

void lapic_eoi(void)
{
	lapic_write(APIC_EOI, 0);
}

uint32_t lapic_id(void)
{
	return lapic_read(APIC_ID) >> 24;
}

/*
 * One write of the ICR pair, with interrupts off so that no handler's IPI
 * slips in between, after the last one was sent: the delivery status bit
 * clear.  Not every virtual APIC ever clears it, so the wait is bounded
 * (as Linux's safe_apic_wait_icr_idle is): 1 ms of TSC, then on.
 */
static void lapic_icr(uint32_t apic_id, uint32_t low)
{
	uint64_t give_up = native_rdtsc() + MAX(tsc_khz(), 1000UL);
	unsigned long flags;

	local_irq_save(flags);
	while ((lapic_read(APIC_ICR_LO) & ICR_PENDING) && native_rdtsc() < give_up)
		asm volatile("pause");
	lapic_write(APIC_ICR_HI, apic_id << 24);
	lapic_write(APIC_ICR_LO, low);
	local_irq_restore(flags);
}

void lapic_send_ipi(int cpu, int vector)
{
	lapic_icr(cpu_data[cpu].apic_id, (uint32_t)vector);
}

/* INIT, then STARTUP at page `page` (real mode, %cs = page << 8): Intel's MP start. */
void lapic_send_init(uint32_t apic_id)
{
	lapic_icr(apic_id, ICR_INIT | ICR_LEVEL_ASSERT);
}

void lapic_send_startup(uint32_t apic_id, uint32_t page)
{
	lapic_icr(apic_id, ICR_STARTUP | (page & 0xff));
}

/* Old 8259s need a pause between command bytes: the classic io_delay. */
static void pic_out(uint16_t port, uint8_t v)
{
	outb(port, v);
	io_delay();
}

/* Remap the 8259s to vectors 0x20-0x2f, then mask every line. */
static void pic_disable(void)
{
	static const uint8_t init[][2] = {
		{ 0x20, 0x11 }, { 0xa0, 0x11 },		/* ICW1: init, ICW4 follows */
		{ 0x21, 0x20 }, { 0xa1, 0x28 },		/* ICW2: vector bases */
		{ 0x21, 0x04 }, { 0xa1, 0x02 },		/* ICW3: cascade on line 2 */
		{ 0x21, 0x01 }, { 0xa1, 0x01 },		/* ICW4: 8086 mode */
		{ 0x21, 0xff }, { 0xa1, 0xff },		/* mask all */
	};

	for (size_t i = 0; i < ARRAY_SIZE(init); i++)
		pic_out(init[i][0], init[i][1]);
}

/* Every CPU's LAPIC sits at the same physical address, each CPU seeing its own. */
void lapic_init_cpu(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (!(base & APIC_BASE_ENABLE))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	lapic_write(APIC_TPR, 0);
	lapic_write(APIC_SVR, 0x100 | VEC_SPURIOUS);	/* software enable */
	this_cpu()->apic_id = lapic_id();
}

#define CPUID_1_EDX_APIC	(1u << 9)

/*
 * Without a local APIC pvos has no timer and no IPIs; MSR_APIC_BASE then
 * reads as nonsense (QEMU's -cpu max,-apic gives 0), so ask CPUID first.
 */
static void lapic_require(void)
{
	struct cpuid_regs r;

	cpuid(1, 0, &r);
	if (!(r.edx & CPUID_1_EDX_APIC))
		panic("apic: this CPU has no local APIC (CPUID leaf 1, EDX bit 9 is clear); "
		      "pvos needs one for its timer and IPIs");
}

void lapic_init(void)
{
	uint64_t base;

	lapic_require();
	base = rdmsr(MSR_APIC_BASE);
	pic_disable();
	if (map_page(FIXMAP_LAPIC, base & PTE_ADDR, PAGE_KERNEL_IO))
		panic("apic: cannot map the local APIC");
	lapic = (volatile uint32_t *)FIXMAP_LAPIC;
	lapic_init_cpu();
	printk("apic: local APIC id %u at %lx\n", lapic_id(), (unsigned long)(base & PTE_ADDR));
}

void lapic_timer_start(uint32_t count_per_tick)
{
	lapic_write(APIC_TIMER_DIV, 0x3);		/* divide by 16 */
	lapic_write(APIC_LVT_TIMER, VEC_TIMER | LVT_PERIODIC);
	lapic_write(APIC_TIMER_INIT, count_per_tick);
}

/* Used by calibration: a one-shot count from the maximum, masked. */
uint32_t lapic_timer_free_run(bool start)
{
	if (start) {
		lapic_write(APIC_TIMER_DIV, 0x3);
		lapic_write(APIC_LVT_TIMER, LVT_MASKED);
		lapic_write(APIC_TIMER_INIT, 0xffffffff);
	}
	return lapic_read(APIC_TIMER_CUR);
}
