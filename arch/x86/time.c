/*
 * The kernel tick and the clock.  Native time: the TSC, calibrated once
 * against the PIT (channel 2, 10 ms), as is the LAPIC timer that then
 * ticks TIMER_HZ times a second.  sched_clock and steal_clock are pv ops:
 * KVM supplies kvmclock and steal time, Xen its vcpu_time_info.
 */
#include "arch/x86/apic.h"
#include "arch/x86/time.h"
#include "arch/x86/io.h"
#include "arch/x86/percpu.h"
#include "arch/x86/traps.h"
#include "kernel/printk.h"
#include "pvops/pvops.h"

#define PIT_HZ		1193182
#define CALIBRATE_MS	10

static uint64_t tsc_hz_khz;
static uint32_t lapic_count_per_tick;	/* calibrated once, on the boot CPU */
static uint64_t tsc_mult;	/* ns = tsc * tsc_mult >> 32 */

uint64_t tsc_khz(void) { return tsc_hz_khz; }
uint64_t ticks(void) { return this_cpu()->ticks; }

uint64_t tsc_sched_clock(void)
{
	return (uint64_t)(((unsigned __int128)native_rdtsc() * tsc_mult) >> 32);
}

/*
 * PIT channel 2 counts down once; bit 5 of port 0x61 goes high at zero.
 * The gate goes low then high so the count starts from now.  The wait is
 * bounded in TSC ticks, not in polls: under nested virtualization each
 * poll is a VM exit and can take tens of microseconds.
 */
static bool pit_wait_10ms(void)
{
	uint16_t count = PIT_HZ / (1000 / CALIBRATE_MS);
	uint64_t give_up = native_rdtsc() + (1ULL << 32);	/* ~1 s at 4 GHz */

	outb(0x61, inb(0x61) & ~0x03);		/* gate off, speaker off */
	outb(0x43, 0xb0);			/* channel 2, lo/hi, mode 0 */
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);	/* gate on: count */
	while (native_rdtsc() < give_up)
		if (inb(0x61) & 0x20)
			return true;
	return false;
}

static void timer_interrupt(struct trap_frame *f)
{
	(void)f;
	this_cpu()->ticks++;
	apic_eoi();
}

/* Another CPU's tick: its own LAPIC timer, at the boot CPU's calibration. */
void timer_init_cpu(void)
{
	lapic_timer_start(lapic_count_per_tick);
}

/*
 * The TSC's rate from a hypervisor that says it (Xen's vcpu_time_info),
 * for a platform that does not run timer_init's calibration: udelay and
 * lockdebug count TSC ticks.
 */
void tsc_set_khz(uint64_t khz)
{
	tsc_hz_khz = khz ? khz : 1;
	tsc_mult = (1000000ULL << 32) / tsc_hz_khz;
}

/* TSC-timed wait (the TSC runs at the same rate on every CPU QEMU and KVM give). */
void udelay(uint64_t us)
{
	uint64_t end = native_rdtsc() + tsc_hz_khz * us / 1000;

	while (native_rdtsc() < end)
		asm volatile("pause");
}

void timer_init(void)
{
	uint64_t tsc0, tsc1;
	uint32_t apic0, apic1;

	lapic_init();
	apic0 = lapic_timer_free_run(true);
	tsc0 = native_rdtsc();
	if (!pit_wait_10ms())
		panic("timer: the PIT never counted down; cannot calibrate the clock");
	tsc1 = native_rdtsc();
	apic1 = lapic_timer_free_run(false);
	if (apic0 - apic1 < 1000 / CALIBRATE_MS)	/* a stopped timer would never tick */
		panic("timer: the LAPIC timer counted %u in %d ms; cannot calibrate it",
		      apic0 - apic1, CALIBRATE_MS);
	tsc_hz_khz = (tsc1 - tsc0) / CALIBRATE_MS;
	if (!tsc_hz_khz)
		tsc_hz_khz = 1;
	tsc_mult = (1000000ULL << 32) / tsc_hz_khz;
	set_irq_handler(VEC_TIMER, timer_interrupt);
	lapic_count_per_tick = (apic0 - apic1) * (1000 / TIMER_HZ) / CALIBRATE_MS;
	lapic_timer_start(lapic_count_per_tick);
	printk("timer: LAPIC timer at %d Hz; TSC %lu.%03lu MHz\n", TIMER_HZ,
	       tsc_hz_khz / 1000, tsc_hz_khz % 1000);
}
