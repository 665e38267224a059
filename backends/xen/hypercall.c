/*
 * The one function that enters Xen (see hypercall.h), and the panic for a
 * hypercall that failed.
 */
#include "backends/xen/hypercall.h"
#include "arch/x86/percpu.h"
#include "kernel/printk.h"
#include "kernel/vsprintf.h"

/* Per CPU, so that one CPU's count is not disturbed by another's timer hypercalls. */
static volatile uint64_t xen_hypercall_count[MAX_CPUS];
/* And by hypercall number, for the monitor's `counts` (backends/xen/monitor.c). */
static volatile uint64_t xen_hypercall_nr_count[MAX_CPUS][XEN_HC_COUNTED];

/*
 * Xen may overwrite the argument registers (a debug Xen poisons them), and
 * the stubs use syscall, which clobbers %rcx and %r11: tell gcc all of it.
 */
long xen_hypercall_uncounted(unsigned int nr, unsigned long a1, unsigned long a2,
			     unsigned long a3, unsigned long a4, unsigned long a5)
{
	register unsigned long r10 asm("r10") = a4;
	register unsigned long r8 asm("r8") = a5;
	unsigned long stub = (unsigned long)hypercall_page + 32UL * nr;
	long res;

	asm volatile("call *%[stub]"
		     : "=a"(res), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
		     : [stub] "a"(stub)
		     : "rcx", "r11", "r9", "memory", "cc");
	return res;
}

long xen_hypercall(unsigned int nr, unsigned long a1, unsigned long a2,
		   unsigned long a3, unsigned long a4, unsigned long a5)
{
	xen_hypercall_count[smp_processor_id()]++;
	if (nr < XEN_HC_COUNTED)
		xen_hypercall_nr_count[smp_processor_id()][nr]++;
	return xen_hypercall_uncounted(nr, a1, a2, a3, a4, a5);
}

uint64_t xen_hypercalls_here(void)
{
	return xen_hypercall_count[smp_processor_id()];
}

uint64_t xen_hypercalls_total(void)
{
	uint64_t n = 0;

	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		n += xen_hypercall_count[cpu];
	return n;
}

uint64_t xen_hypercalls_of(unsigned int nr)
{
	uint64_t n = 0;

	for (int cpu = 0; cpu < MAX_CPUS && nr < XEN_HC_COUNTED; cpu++)
		n += xen_hypercall_nr_count[cpu][nr];
	return n;
}

void xen_hypercall_failed(long rc, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	panic("xen: %s failed: %ld", what, rc);
}
