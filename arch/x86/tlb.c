/*
 * Flushing other CPUs' TLBs ("shootdown"), as hardware without help must:
 * each CPU posts what to flush in its own request, sends the targets an
 * IPI, and waits until every target has flushed and cleared its bit.  A
 * target flushes in its interrupt handler, for every request with its bit.
 *
 * While it waits, the initiator serves requests aimed at itself, so that
 * two CPUs flushing each other at once, one with interrupts off, both
 * finish.  A target that is halted is woken by the IPI, so a flush to an
 * idle CPU completes too.  Hypervisors do better (mmu.flush_tlb_multi):
 * Xen flushes for us in one hypercall, KVM skips a preempted vCPU.
 */
#include "arch/x86/tlb.h"
#include "arch/x86/percpu.h"
#include "arch/x86/traps.h"
#include "pvops/pvops.h"

static struct {
	volatile unsigned long va;
	volatile uint32_t pending;	/* bit n: CPU n has not flushed yet */
} request[MAX_CPUS];

static void flush_one(unsigned long va)
{
	if (va == TLB_FLUSH_ALL)
		flush_tlb_local();
	else
		flush_tlb_one(va);
}

/* Every request that names this CPU. */
static void serve_requests(void)
{
	uint32_t me = 1u << smp_processor_id();

	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		if (__atomic_load_n(&request[cpu].pending, __ATOMIC_ACQUIRE) & me) {
			flush_one(request[cpu].va);
			__atomic_fetch_and(&request[cpu].pending, ~me, __ATOMIC_RELEASE);
		}
}

static void ipi_flush(struct trap_frame *f)
{
	(void)f;
	apic_eoi();
	serve_requests();
}

void ipi_flush_tlb_multi(uint32_t cpus, unsigned long va)
{
	int me = smp_processor_id();

	cpus &= ~(1u << me);
	if (!cpus)
		return;
	request[me].va = va;
	__atomic_store_n(&request[me].pending, cpus, __ATOMIC_RELEASE);
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpus & (1u << cpu))
			apic_send_ipi(cpu, VEC_IPI_FLUSH);
	while (__atomic_load_n(&request[me].pending, __ATOMIC_ACQUIRE)) {
		serve_requests();
		asm volatile("pause");
	}
}

void tlb_init(void)
{
	set_irq_handler(VEC_IPI_FLUSH, ipi_flush);
}
