/*
 * xen_platform: what kmain runs on when Xen started pvos as a PV guest.
 * The console is Xen's (console.c); traps are a trap table and callbacks
 * handed to Xen instead of an IDT; memory is the pseudo-physical pages Xen
 * gave, on Xen's page tables (mmu.c); the tick is a Xen timer event
 * (events.c); the other vCPUs start with VCPUOP_initialise and VCPUOP_up
 * (smp.c); and stopping is SCHEDOP_shutdown.
 */
#include "backends/xen/xen.h"
#include "backends/xen/console.h"
#include "backends/xen/events.h"
#include "backends/xen/memory.h"
#include "backends/xen/ops.h"
#include "backends/xen/platform.h"
#include "backends/xen/smp.h"
#include "backends/xen/xen_vectors.h"
#include "arch/x86/traps.h"
#include "kernel/printk.h"
#include "kernel/exit.h"
#include "arch/x86/io.h"
#include "pvops/pvlock.h"

/* NMI (2), #DF (8) and #MC (18) stay with Xen; 15 and 20-31 are reserved or unused. */
static const uint8_t xen_trap_vectors[] = { 0, 1, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 16, 17, 19 };

static void xen_trap_info(struct trap_info *t, uint8_t vector)
{
	t->vector = vector;
	/* int3 and into may be raised from any ring; the rest only by the CPU. */
	t->flags = (vector == 3 || vector == 4) ? 3 : 0;
	t->cs = FLAT_KERNEL_CS;
	t->address = (unsigned long)xen_trap_stubs + 16UL * vector;
}

/* The trap table is per vCPU: this one's (set_trap_table takes a zero-terminated list). */
static void xen_set_trap_table(void)
{
	static struct trap_info table[ARRAY_SIZE(xen_trap_vectors) + 1];

	for (size_t i = 0; i < ARRAY_SIZE(xen_trap_vectors); i++)
		xen_trap_info(&table[i], xen_trap_vectors[i]);
	xen_check(HYPERVISOR_set_trap_table(table), "set_trap_table(%zu vectors)",
		  ARRAY_SIZE(xen_trap_vectors));
}

/* The same table for a vCPU about to start (vcpu_guest_context's: indexed by vector). */
void xen_fill_trap_ctxt(struct trap_info ctxt[256])
{
	for (size_t i = 0; i < ARRAY_SIZE(xen_trap_vectors); i++)
		xen_trap_info(&ctxt[xen_trap_vectors[i]], xen_trap_vectors[i]);
}

static void xen_register_callback(int type, void *address, const char *name)
{
	struct callback_register cb = {
		.type = (uint16_t)type,
		.address = (unsigned long)address,
	};

	xen_check(HYPERVISOR_callback_op(CALLBACKOP_register, &cb),
		  "callback_op(CALLBACKOP_register %s)", name);
}

void xen_failsafe(void)
{
	panic("xen: failsafe callback: Xen could not return to pvos (bad segment state)");
}

static void xen_trap_init(void)
{
	xen_set_trap_table();
	xen_register_callback(CALLBACKTYPE_event, xen_hypervisor_callback, "event");
	xen_register_callback(CALLBACKTYPE_failsafe, xen_failsafe_callback, "failsafe");
	xen_events_init();
	xen_console_events_init();
	printk("traps: Xen trap table (%zu vectors), event callback at %lx\n",
	       ARRAY_SIZE(xen_trap_vectors), (unsigned long)xen_hypervisor_callback);
	xen_cpu_init(0);	/* the boot vCPU's IPI and lock-kick channels */
	/* Here because the command line (pvspin=) is read, and nothing is patched yet. */
	pvlock_install(&xen_backend, &xen_facts);
}

/*
 * The host learns pass or fail two ways.  Under QEMU, a dom0 writes the
 * status to isa-debug-exit's port 0xf4, exactly as native pvos does, so
 * QEMU exits 1 (pass) or 3 (fail).  Everywhere, SCHEDOP_shutdown then
 * stops the domain with reason poweroff (pass) or crash (fail), which Xen
 * prints on its console ("Domain 0 shutdown" / "Domain 0 crashed").
 */
static void xen_exit(int status)
{
	const char *reason = status == EXIT_PASS ? "poweroff" : "crash";
	struct sched_shutdown s = {
		.reason = status == EXIT_PASS ? SHUTDOWN_poweroff : SHUTDOWN_crash,
	};
	const struct xen_console_errors *ce = &xen_console_errors;
	long rc;

	if (ce->count)
		printk("xen: console hypercalls failed %lu times; the first was %s: %ld\n",
		       ce->count, ce->first_call, ce->first_rc);
	printk("xen: SCHEDOP_shutdown(%s)\n", reason);
	/* The last lines are in the ring until xenconsoled takes them; nowhere to say if not. */
	xen_console_drain();
	if (xen_is_dom0)
		outl(0xf4, (uint32_t)status);
	rc = HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
	/* Only returns if Xen refused: nothing to do but say so (pvos_exit then halts). */
	printk("xen: Xen refused SCHEDOP_shutdown(%s): %ld\n", reason, rc);
}

const struct platform xen_platform = {
	.name = "Xen PV",
	.console_init = xen_console_init,
	.trap_init = xen_trap_init,
	.memory_init = xen_memory_init,
	.timer_init = xen_timer_init,
	.exit = xen_exit,
	.start_cpus = xen_start_cpus,
};
