/*
 * Making hypercalls.  Xen filled hypercall_page (boot/xen_head.S) with one
 * 32-byte stub per hypercall; calling hypercall_page + 32 * nr with the
 * arguments in %rdi, %rsi, %rdx, %r10, %r8 enters Xen, which returns the
 * result in %rax (0 or a positive count on success, -errno on failure).
 *
 * Every hypercall pvos makes goes through xen_hypercall(), which counts
 * them, per CPU: the self-tests and `make bench` use the counts to show
 * what batching saves.  (One is not counted: set_segment_base at entry,
 * which points %gs at the per-CPU area the count needs.)  The typed wrappers below return the raw
 * result, and every caller checks it: most with xen_check(), so that a
 * failure panics naming the hypercall, the operation and the error code;
 * the console, which a panic would need, counts its failures instead
 * (console.c).
 */
#ifndef PVOS_XEN_HYPERCALL_H
#define PVOS_XEN_HYPERCALL_H

#include "kernel/types.h"
#include <xen/xen.h>
#include <xen/sched.h>
#include <xen/event_channel.h>
#include <xen/vcpu.h>
#include <xen/callback.h>
#include <xen/memory.h>
#include <xen/physdev.h>
#include <xen/version.h>

extern char hypercall_page[];

long xen_hypercall(unsigned int nr, unsigned long a1, unsigned long a2,
		   unsigned long a3, unsigned long a4, unsigned long a5);
long xen_hypercall_uncounted(unsigned int nr, unsigned long a1, unsigned long a2,
			     unsigned long a3, unsigned long a4, unsigned long a5);
uint64_t xen_hypercalls_here(void);	/* made by this CPU so far */
uint64_t xen_hypercalls_total(void);	/* by every CPU */
#define XEN_HC_COUNTED	48		/* hypercall numbers counted one by one */
uint64_t xen_hypercalls_of(unsigned int nr);	/* of this number, by every CPU */

#define XEN_HC(nr, a1, a2, a3, a4, a5)					\
	xen_hypercall(__HYPERVISOR_##nr, (unsigned long)(a1), (unsigned long)(a2), \
		      (unsigned long)(a3), (unsigned long)(a4), (unsigned long)(a5))

static inline long HYPERVISOR_console_io(int cmd, int count, const char *s)
{ return XEN_HC(console_io, cmd, count, s, 0, 0); }
static inline long HYPERVISOR_sched_op(int cmd, void *arg)
{ return XEN_HC(sched_op, cmd, arg, 0, 0, 0); }
static inline long HYPERVISOR_mmu_update(mmu_update_t *req, unsigned int n, unsigned int *done)
{ return XEN_HC(mmu_update, req, n, done, DOMID_SELF, 0); }
static inline long HYPERVISOR_mmuext_op(struct mmuext_op *op, unsigned int n)
{ return XEN_HC(mmuext_op, op, n, 0, DOMID_SELF, 0); }
static inline long HYPERVISOR_update_va_mapping(unsigned long va, uint64_t pte, unsigned long flags)
{ return XEN_HC(update_va_mapping, va, pte, flags, 0, 0); }
static inline long HYPERVISOR_multicall(multicall_entry_t *calls, unsigned int n)
{ return XEN_HC(multicall, calls, n, 0, 0, 0); }
static inline long HYPERVISOR_set_trap_table(const struct trap_info *t)
{ return XEN_HC(set_trap_table, t, 0, 0, 0, 0); }
static inline long HYPERVISOR_callback_op(int cmd, void *arg)
{ return XEN_HC(callback_op, cmd, arg, 0, 0, 0); }
static inline long HYPERVISOR_event_channel_op(int cmd, void *arg)
{ return XEN_HC(event_channel_op, cmd, arg, 0, 0, 0); }
static inline long HYPERVISOR_vcpu_op(int cmd, int vcpu, void *arg)
{ return XEN_HC(vcpu_op, cmd, vcpu, arg, 0, 0); }
static inline long HYPERVISOR_set_timer_op(uint64_t deadline_ns)
{ return XEN_HC(set_timer_op, deadline_ns, 0, 0, 0, 0); }
static inline long HYPERVISOR_xen_version(int cmd, void *arg)
{ return XEN_HC(xen_version, cmd, arg, 0, 0, 0); }
static inline long HYPERVISOR_memory_op(int cmd, void *arg)
{ return XEN_HC(memory_op, cmd, arg, 0, 0, 0); }
static inline long HYPERVISOR_physdev_op(int cmd, void *arg)
{ return XEN_HC(physdev_op, cmd, arg, 0, 0, 0); }
/* Not counted: the count is per CPU, and this is what sets %gs (enlighten.c). */
static inline long HYPERVISOR_set_segment_base(int which, unsigned long base)
{ return xen_hypercall_uncounted(__HYPERVISOR_set_segment_base, (unsigned long)which, base, 0, 0, 0); }

/*
 * xen_check(rc, "what"): panic unless rc >= 0, naming the hypercall and
 * operation ("mmu_update(set_pte ffff888000123000)") and the error.
 */
#define xen_check(rc, ...)						\
	do {								\
		long __rc = (rc);					\
		if (__rc < 0)						\
			xen_hypercall_failed(__rc, __VA_ARGS__);	\
	} while (0)

void xen_hypercall_failed(long rc, const char *fmt, ...) __printf(2, 3) __noreturn;

#endif
