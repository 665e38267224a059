/*
 * The one function that enters Xen (see hypercall.h), and the panic for a
 * hypercall that failed.
 */
#include "backends/xen/hypercall.h"
#include "kernel/printk.h"
#include "kernel/vsprintf.h"

volatile uint64_t xen_hypercall_count;

/*
 * Xen may overwrite the argument registers (a debug Xen poisons them), and
 * the stubs use syscall, which clobbers %rcx and %r11: tell gcc all of it.
 */
long xen_hypercall(unsigned int nr, unsigned long a1, unsigned long a2,
		   unsigned long a3, unsigned long a4, unsigned long a5)
{
	register unsigned long r10 asm("r10") = a4;
	register unsigned long r8 asm("r8") = a5;
	unsigned long stub = (unsigned long)hypercall_page + 32UL * nr;
	long res;

	xen_hypercall_count++;
	asm volatile("call *%[stub]"
		     : "=a"(res), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
		     : [stub] "a"(stub)
		     : "rcx", "r11", "r9", "memory", "cc");
	return res;
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
