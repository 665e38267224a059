/*
 * The xen backend's start: from xen_start (boot/xen_head.S) to kmain.
 *
 * pvos arrives here running in ring 3 on Xen's page tables.  pv_ops still
 * holds the native functions, and each of those is a privileged
 * instruction that would fault, so the very first thing is to claim the
 * machine for the xen backend, which installs its table, and to make
 * xen_platform the platform, so that a panic reaches Xen.  Then: map the
 * shared info page (the irq ops need the vcpu_info in it), turn start_info
 * into struct boot_info, and run the same kmain as every other entry path.
 *
 * Also here: the backend's descriptor (pvops=auto on bare hardware must
 * find xen absent).  The other vCPUs start in smp.c.
 */
#include "backends/xen/xen.h"
#include "backends/xen/console.h"
#include "backends/xen/mmu.h"
#include "backends/xen/monitor.h"
#include "backends/xen/ops.h"
#include "backends/xen/platform.h"
#include "backends/xen/smp.h"
#include "kernel/boot_info.h"
#include "kernel/main.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/vsprintf.h"
#include "pvops/select.h"
#include "arch/x86/io.h"
#include "arch/x86/mm.h"
#include "arch/x86/percpu.h"

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

/* A dom0 may use I/O ports once its virtual IOPL allows (the exit port); per vCPU. */
void xen_set_iopl(void)
{
	struct physdev_set_iopl iopl = { .iopl = 1 };

	xen_check(HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &iopl), "physdev_op(set_iopl 1)");
}

void xen_start_kernel(start_info_t *si, unsigned long xen_rsp)
{
	static char why[128] = "entered through the Xen PV entry point";
	long ver;

	/* %gs first: this_cpu() reads %gs:0, and a panic uses it (arch/x86/percpu.h). */
	if (HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, (unsigned long)&cpu_data[0]))
		for (;;)	/* nothing works yet, not even a message or the hypercall count */
			xen_hypercall_uncounted(__HYPERVISOR_sched_op, SCHEDOP_shutdown,
						(unsigned long)&(struct sched_shutdown){ SHUTDOWN_crash },
						0, 0, 0);
	cpu_data[0].backend = xen_cpu_of(0);
	xen_entered = true;
	pvops_claim(&xen_backend, why);	/* before any pv op runs: see above */
	platform = &xen_platform;	/* a panic from here on reaches Xen */
	xen_start_info = si;
	xen_p2m = (const unsigned long *)si->mfn_list;
	xen_nr_pages = si->nr_pages;
	xen_is_dom0 = si->flags & SIF_INITDOMAIN;
	xen_map_shared_info();
	xen_console_init();
	/*
	 * Until now the irq ops read and wrote the hv_area copy, which Xen
	 * did not look at (its own, in the shared info page, kept events
	 * masked, as Xen starts a PV kernel).  Registering copies Xen's over it.
	 */
	xen_register_vcpu_info(0);
	ver = HYPERVISOR_xen_version(XENVER_version, NULL);
	xen_check(ver, "xen_version(XENVER_version)");
	snprintf(why, sizeof(why), "entered through the Xen PV entry point; %s, Xen %ld.%ld",
		 xen_is_dom0 ? "dom0" : "domU", ver >> 16, ver & 0xffff);
	if (xen_is_dom0)
		xen_set_iopl();
	xen_fill_boot_info(xen_rsp);
	xen_mmu_early_init();
	kmain(&xen_platform);
}

static bool xen_detect(char *why, size_t size)
{
	if (!xen_entered)
		snprintf(why, size, "not entered through the Xen PV entry point");
	else
		snprintf(why, size, "entered through the Xen PV entry point");
	return xen_entered;
}

/* Once, from xen_start_kernel's claim: a Xen PV guest can run nothing else. */
static void xen_install(void)
{
	xen_fill_pv_ops(&pv_ops);
}

/* For `bench` and the tests: every hypercall is counted (per CPU; this is the sum). */
static uint64_t xen_hypercalls(void)
{
	return xen_hypercalls_total();
}

const struct pv_backend xen_backend = {
	.name = "xen",
	.alias = "xen-pv",
	.priority = 20,
	.detect = xen_detect,
	.install = xen_install,
	.hypercalls = xen_hypercalls,
	.cpu_init = xen_cpu_init,
	.describe = xen_describe,
	.counts = xen_counts,
	.set_lazy = xen_set_lazy,
	.no_native = "a Xen PV kernel runs in ring 3, where the native ops (cli, mov to cr3, "
		     "writes to its read-only page tables) fault",
};
PV_BACKEND(xen_backend);
