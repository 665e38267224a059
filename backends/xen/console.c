/*
 * The Xen console.  Chosen from start_info, never by option:
 *
 *  - dom0 (SIF_INITDOMAIN) writes with the console_io hypercall; Xen
 *    prints the text on its own console (the serial line, interleaved with
 *    Xen's messages).  Input is what Xen's serial line received once Xen
 *    handed it to dom0: CONSOLEIO_read takes it, and VIRQ_CONSOLE says
 *    there is some.
 *  - a domU has a shared page of two rings (struct xencons_interface) and
 *    an event channel to xenconsoled in dom0.  Output: copy bytes into
 *    `out`, publish out_prod, kick the channel; xenconsoled copies them to
 *    `xl console` and its log, moves out_cons and kicks back.  Input runs
 *    the other way through `in`.  Each kick is an event on the same port,
 *    so the port must be bound even by a guest that never reads: an
 *    unbound port's event is reported, the report is output, and
 *    xenconsoled's answer is another event.
 *
 * Either way the console's port wakes a blocked vCPU, so a reader waiting
 * for a key sleeps in SCHEDOP_block (safe_halt) instead of spinning.
 */
#include "backends/xen/xen.h"
#include "backends/xen/console.h"
#include "kernel/console.h"
#include "kernel/printk.h"
#include "arch/x86/mm.h"
#include "backends/xen/events.h"
#include <xen/io/console.h>

const char *xen_console_kind;

/*
 * A console hypercall that fails cannot panic: the panic would print
 * through the same console and fail again.  So failures are counted, the
 * first one kept, and shown later: by a self-test, and at exit
 * (xen_exit, platform.c).
 */
struct xen_console_errors xen_console_errors;

static void xen_console_note(long rc, const char *call)
{
	if (rc >= 0)
		return;
	if (!xen_console_errors.count++) {
		xen_console_errors.first_rc = rc;
		xen_console_errors.first_call = call;
	}
}

void xen_console_io_write(const char *s, size_t n)
{
	xen_console_note(HYPERVISOR_console_io(CONSOLEIO_write, (int)n, s),
			 "console_io(CONSOLEIO_write)");
}

/* Like the shared info page, the ring page is mapped over a hole in .bss. */
static uint8_t xen_ring_page[PAGE_SIZE] __aligned(PAGE_SIZE);
static volatile struct xencons_interface *xen_ring;
static unsigned int xen_ring_port;

static void xen_ring_kick(void)
{
	struct evtchn_send send = { .port = xen_ring_port };

	xen_console_note(HYPERVISOR_event_channel_op(EVTCHNOP_send, &send),
			 "event_channel_op(EVTCHNOP_send console)");
}

/* One byte into `out`, waiting for room; xenconsoled is told by the caller's kick. */
static void xen_ring_put(char c)
{
	for (;;) {
		XENCONS_RING_IDX cons = xen_ring->out_cons, prod = xen_ring->out_prod;

		__atomic_thread_fence(__ATOMIC_ACQUIRE);	/* read cons before reusing space */
		if (prod - cons < sizeof(xen_ring->out)) {
			xen_ring->out[MASK_XENCONS_IDX(prod, xen_ring->out)] = c;
			__atomic_thread_fence(__ATOMIC_RELEASE);	/* the byte before the index */
			xen_ring->out_prod = prod + 1;
			return;
		}
		xen_ring_kick();	/* full: let xenconsoled drain */
		xen_console_note(HYPERVISOR_sched_op(SCHEDOP_yield, NULL),
				 "sched_op(SCHEDOP_yield console)");
	}
}

/* The terminal behind `xl console` is raw: a newline needs its carriage return. */
static void xen_ring_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			xen_ring_put('\r');
		xen_ring_put(s[i]);
	}
	xen_ring_kick();
}

static int xen_ring_getc(void)
{
	XENCONS_RING_IDX cons = xen_ring->in_cons, prod = xen_ring->in_prod;
	char c;

	if (cons == prod)
		return -1;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);	/* the index before the byte */
	c = xen_ring->in[MASK_XENCONS_IDX(cons, xen_ring->in)];
	__atomic_thread_fence(__ATOMIC_RELEASE);	/* the byte read before the room is given back */
	xen_ring->in_cons = cons + 1;
	xen_ring_kick();
	return (unsigned char)c;
}

/*
 * Wait, bounded, until xenconsoled has taken every byte: after
 * SCHEDOP_shutdown the ring page goes with the domain, and whatever it
 * still held, the last lines of the log, is lost.  Yielding lets dom0 run
 * on a host with fewer CPUs than vCPUs.
 */
#define XEN_DRAIN_NS	2000000000ULL

bool xen_console_drain(void)
{
	uint64_t start = xen_sched_clock();

	if (!xen_ring)
		return true;
	while (xen_ring->out_cons != xen_ring->out_prod) {
		if (xen_sched_clock() - start > XEN_DRAIN_NS)
			return false;
		xen_ring_kick();
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
	return true;
}

static void xen_ring_map(void)
{
	unsigned long va = (unsigned long)xen_ring_page;
	uint64_t ma = (uint64_t)xen_start_info->console.domU.mfn << PAGE_SHIFT;

	xen_check(HYPERVISOR_update_va_mapping(va, ma | PAGE_KERNEL, UVMF_INVLPG),
		  "update_va_mapping(console ring at %lx)", va);
	xen_ring = (volatile struct xencons_interface *)va;
	xen_ring_port = xen_start_info->console.domU.evtchn;
}

/*
 * dom0's input: Xen keeps what its serial line received in a buffer of its
 * own; CONSOLEIO_read copies out what there is.  Taken a few bytes a call.
 */
static struct {
	char buf[16];
	int head, len;
} xen_io_in;

static int xen_console_io_getc(void)
{
	long n;

	if (!xen_io_in.len) {
		n = HYPERVISOR_console_io(CONSOLEIO_read, sizeof(xen_io_in.buf), xen_io_in.buf);
		xen_console_note(n, "console_io(CONSOLEIO_read)");
		if (n <= 0)
			return -1;
		xen_io_in.head = 0;
		xen_io_in.len = (int)n;
	}
	xen_io_in.len--;
	return (unsigned char)xen_io_in.buf[xen_io_in.head++];
}

static struct console xen_console = { .name = "xen" };

/* Called first thing by xen_start_kernel, then again by kmain: once is enough. */
void xen_console_init(void)
{
	if (xen_console_kind)
		return;
	if (xen_start_info->flags & SIF_INITDOMAIN) {
		xen_console_kind = "console_io";
		xen_console.name = "xen console_io";
		xen_console.write = xen_console_io_write;
		xen_console.getc = xen_console_io_getc;
	} else {
		xen_ring_map();
		xen_console_kind = "ring";
		xen_console.name = "xen console ring";
		xen_console.write = xen_ring_write;
		xen_console.getc = xen_ring_getc;
	}
	console_register(&xen_console);
}

/*
 * The console's event: input arrived, or (domU) xenconsoled took output.
 * There is nothing to do here but be woken; readers look at the ring.
 * Counted, for the self-test that checks the port is bound.
 */
volatile unsigned long xen_console_events;
unsigned int xen_console_port;

static void xen_console_event(unsigned int port, struct trap_frame *f)
{
	(void)port;
	(void)f;
	xen_console_events++;
}

/* After xen_events_init: the console's port, on vCPU 0. */
void xen_console_events_init(void)
{
	struct evtchn_bind_virq bind = { .virq = VIRQ_CONSOLE, .vcpu = 0 };

	if (xen_ring) {
		xen_console_port = xen_ring_port;	/* the toolstack bound it for us */
	} else {
		xen_check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bind),
			  "event_channel_op(EVTCHNOP_bind_virq VIRQ_CONSOLE)");
		xen_console_port = bind.port;
	}
	xen_evtchn_bind(xen_console_port, 0, xen_console_event);
	printk("console: Xen %s, input and its events on event channel %u\n",
	       xen_console_kind, xen_console_port);
}
