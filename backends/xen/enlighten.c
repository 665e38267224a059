/*
 * The xen-pv backend's start: from xen_start (boot/xen_head.S) to kmain.
 *
 * pvos arrives here running in ring 3 on Xen's page tables.  pv_ops still
 * holds the native functions, and each of those is a privileged
 * instruction that would fault, so the very first thing is to install the
 * xen-pv table.  Then: map the shared info page (the irq ops need the
 * vcpu_info in it), turn start_info into struct boot_info, and run the
 * same kmain as every other entry path, on xen_platform.
 *
 * Also here: the backend's descriptor (pvops=auto on bare hardware must
 * find xen-pv absent) and machine_exit, which is SCHEDOP_shutdown.
 */
#include "backends/xen/xen.h"
#include "kernel/boot_info.h"
#include "kernel/exit.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/vsprintf.h"
#include "pvops/pvops_init.h"
#include "arch/x86/io.h"
#include "arch/x86/mm.h"

start_info_t *xen_start_info;
const unsigned long *xen_p2m;
unsigned long xen_nr_pages, xen_boot_reserved_end;
bool xen_entered, xen_is_dom0;

/*
 * The shared info page is a Xen page, not one of ours: we point the
 * kernel-image mapping of this page-sized hole at it, so it is reachable
 * from the first instruction, before pvos has page tables of its own.
 */
static uint8_t xen_shared_info_page[PAGE_SIZE] __aligned(PAGE_SIZE);
volatile struct shared_info *xen_shared_info;

static void xen_map_shared_info(void)
{
	unsigned long va = (unsigned long)xen_shared_info_page;

	xen_check(HYPERVISOR_update_va_mapping(va, xen_start_info->shared_info | PAGE_KERNEL,
					      UVMF_INVLPG),
		  "update_va_mapping(shared info at %lx)", va);
	xen_shared_info = (volatile struct shared_info *)va;
}

/*
 * Xen put start_info, the p2m list, its bootstrap page tables and a stack
 * page after the kernel image, all mapped at KERNEL_VMA + pseudo-physical
 * address.  The memory map says so, so that the allocator leaves them be.
 */
static void xen_fill_boot_info(unsigned long xen_rsp)
{
	const start_info_t *si = xen_start_info;
	unsigned long end = virt_to_phys(si) + PAGE_SIZE;

	end = MAX(end, virt_to_phys((void *)si->mfn_list) + si->nr_pages * sizeof(unsigned long));
	end = MAX(end, virt_to_phys((void *)si->pt_base) + si->nr_pt_frames * PAGE_SIZE);
	end = MAX(end, virt_to_phys((void *)xen_rsp));
	xen_boot_reserved_end = ALIGN_UP(end, PAGE_SIZE);

	boot_info.protocol = "Xen PV";
	boot_set_cmdline((const char *)si->cmd_line, sizeof(si->cmd_line));
	boot_add_region(0, virt_to_phys(_end), MEM_RAM);
	boot_add_region(virt_to_phys(_end), xen_boot_reserved_end - virt_to_phys(_end), MEM_RESERVED);
	boot_add_region(xen_boot_reserved_end, (si->nr_pages << PAGE_SHIFT) - xen_boot_reserved_end,
			MEM_RAM);
}

/* A dom0 may use I/O ports once its virtual IOPL allows (the exit port). */
static void xen_set_iopl(void)
{
	struct physdev_set_iopl iopl = { .iopl = 1 };

	xen_check(HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &iopl), "physdev_op(set_iopl 1)");
}

static void xen_machine_exit(int status);
void xen_start_kernel(start_info_t *si, unsigned long xen_rsp);

void xen_start_kernel(start_info_t *si, unsigned long xen_rsp)
{
	static char why[128];
	long ver;

	xen_fill_pv_ops(&pv_ops);	/* before any pv op runs: see above */
	xen_entered = true;
	xen_start_info = si;
	xen_p2m = (const unsigned long *)si->mfn_list;
	xen_nr_pages = si->nr_pages;
	xen_is_dom0 = si->flags & SIF_INITDOMAIN;
	machine_exit = xen_machine_exit;	/* a panic from here on reaches Xen */
	xen_map_shared_info();
	xen_console_init();
	ver = HYPERVISOR_xen_version(XENVER_version, NULL);
	xen_check(ver, "xen_version(XENVER_version)");
	snprintf(why, sizeof(why), "entered through the Xen PV entry point; %s, Xen %ld.%ld",
		 xen_is_dom0 ? "dom0" : "domU", ver >> 16, ver & 0xffff);
	pvops_entered_by("xen-pv", why);
	if (xen_is_dom0)
		xen_set_iopl();
	xen_fill_boot_info(xen_rsp);
	xen_mmu_early_init();
	kmain(&xen_platform);
}

/*
 * The host learns pass or fail two ways.  Under QEMU, a dom0 writes the
 * status to isa-debug-exit's port 0xf4, exactly as native pvos does, so
 * QEMU exits 1 (pass) or 3 (fail).  Everywhere, SCHEDOP_shutdown then
 * stops the domain with reason poweroff (pass) or crash (fail), which Xen
 * prints on its console ("Domain 0 shutdown" / "Domain 0 crashed").
 */
static void xen_machine_exit(int status)
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
	if (xen_is_dom0)
		outl(0xf4, (uint32_t)status);
	rc = HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
	/* Only returns if Xen refused: nothing to do but say so (pvos_exit then halts). */
	printk("xen: Xen refused SCHEDOP_shutdown(%s): %ld\n", reason, rc);
}

static bool xen_detect(char *why, size_t size)
{
	if (!xen_entered)
		snprintf(why, size, "not entered through the Xen PV entry point");
	else
		snprintf(why, size, "entered through the Xen PV entry point");
	return xen_entered;
}

static void xen_install(void)
{
	xen_fill_pv_ops(&pv_ops);
	machine_exit = xen_machine_exit;
}

/* For `bench` and the tests: every hypercall goes through one counter. */
static uint64_t xen_hypercalls(void)
{
	return xen_hypercall_count;
}

static const struct pv_backend xen_backend = {
	.name = "xen-pv",
	.priority = 20,
	.detect = xen_detect,
	.install = xen_install,
	.hypercalls = xen_hypercalls,
};
PV_BACKEND(xen_backend);
