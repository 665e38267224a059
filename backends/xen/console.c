/*
 * The Xen console.  Chosen from start_info, never by option:
 *
 *  - dom0 (SIF_INITDOMAIN) writes with the console_io hypercall; Xen
 *    prints the text on its own console (the serial line, interleaved with
 *    Xen's messages).
 *  - a domU has a shared page of two rings (struct xencons_interface) and
 *    an event channel to xenconsoled in dom0: copy bytes into `out`,
 *    publish out_prod, kick the channel.  This is the path `xl create -c`
 *    shows; the tests here run pvos as dom0, so it is exercised only on a
 *    real Xen host.
 */
#include "backends/xen/xen.h"
#include "backends/xen/console.h"
#include "kernel/console.h"
#include "arch/x86/mm.h"
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

static void xen_ring_write(const char *s, size_t n)
{
	while (n) {
		XENCONS_RING_IDX cons = xen_ring->out_cons, prod = xen_ring->out_prod;

		__atomic_thread_fence(__ATOMIC_ACQUIRE);	/* read cons before reusing space */
		if (prod - cons >= sizeof(xen_ring->out)) {	/* full: let xenconsoled drain */
			xen_ring_kick();
			xen_console_note(HYPERVISOR_sched_op(SCHEDOP_yield, NULL),
					 "sched_op(SCHEDOP_yield console)");
			continue;
		}
		xen_ring->out[MASK_XENCONS_IDX(prod, xen_ring->out)] = *s++;
		n--;
		__atomic_thread_fence(__ATOMIC_RELEASE);	/* the byte before the index */
		xen_ring->out_prod = prod + 1;
	}
	xen_ring_kick();
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
	} else {
		xen_ring_map();
		xen_console_kind = "ring";
		xen_console.name = "xen console ring";
		xen_console.write = xen_ring_write;
	}
	console_register(&xen_console);
}
