/*
 * What the monitor (kernel/monitor.c) asks the xen backend, through the
 * hooks of its descriptor (pvops/backend.h): `hv` (Xen's version, the
 * features it offers a PV guest, pvos's role) and `counts` (hypercalls since
 * boot, by hypercall, with the ops that make each).  Xen is entered only by
 * hypercalls, so counting them counts every time pvos asked Xen for
 * something; what Xen does unasked (its timer, other domains) is not pvos's.
 */
#include "backends/xen/xen.h"
#include "backends/xen/monitor.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include <xen/features.h>

static const char *const feature_names[] = {
	[XENFEAT_writable_page_tables] = "writable_page_tables",
	[XENFEAT_writable_descriptor_tables] = "writable_descriptor_tables",
	[XENFEAT_auto_translated_physmap] = "auto_translated_physmap",
	[XENFEAT_supervisor_mode_kernel] = "supervisor_mode_kernel",
	[XENFEAT_pae_pgdir_above_4gb] = "pae_pgdir_above_4gb",
	[XENFEAT_mmu_pt_update_preserve_ad] = "mmu_pt_update_preserve_ad",
	[XENFEAT_highmem_assist] = "highmem_assist",
	[XENFEAT_gnttab_map_avail_bits] = "gnttab_map_avail_bits",
	[XENFEAT_hvm_callback_vector] = "hvm_callback_vector",
	[XENFEAT_hvm_safe_pvclock] = "hvm_safe_pvclock",
	[XENFEAT_hvm_pirqs] = "hvm_pirqs",
	[XENFEAT_dom0] = "dom0",
	[XENFEAT_memory_op_vnode_supported] = "memory_op_vnode_supported",
	[XENFEAT_ARM_SMCCC_supported] = "ARM_SMCCC_supported",
	[XENFEAT_linux_rsdp_unrestricted] = "linux_rsdp_unrestricted",
	[XENFEAT_not_direct_mapped] = "not_direct_mapped",
	[XENFEAT_direct_mapped] = "direct_mapped",
};

static void describe_features(void)
{
	struct xen_feature_info f = { .submap_idx = 0 };

	if (HYPERVISOR_xen_version(XENVER_get_features, &f) < 0) {
		printk("hv: xen: XENVER_get_features failed\n");
		return;
	}
	printk("hv: xen: features %#x:", f.submap);
	for (unsigned int bit = 0; bit < 32; bit++)
		if (f.submap & (1u << bit))
			printk(" %s", bit < ARRAY_SIZE(feature_names) && feature_names[bit] ?
			       feature_names[bit] : "?");
	printk("\n");
}

void xen_describe(void)
{
	long ver = HYPERVISOR_xen_version(XENVER_version, NULL);
	xen_extraversion_t extra = "";
	static xen_capabilities_info_t caps;

	HYPERVISOR_xen_version(XENVER_extraversion, extra);
	HYPERVISOR_xen_version(XENVER_capabilities, caps);
	extra[sizeof(extra) - 1] = caps[sizeof(caps) - 1] = '\0';
	printk("hv: xen: Xen %ld.%ld%s, pvos is a PV %s with %lu pages; capabilities \"%s\"\n",
	       ver >> 16, ver & 0xffff, extra, xen_is_dom0 ? "dom0" : "domU", xen_nr_pages, caps);
	printk("hv: xen: cpuid is not privileged, so a PV guest's runs on the CPU itself: the "
	       "CPUID lines above are the CPU's, not Xen's leaves\n");
	describe_features();
	printk("hv: xen: pvos uses: events for interrupts, mmu_update/mmuext_op for page tables "
	       "(batched in lazy-MMU mode), SCHEDOP_block to idle, console %s\n",
	       xen_is_dom0 ? "console_io" : "ring");
}

/* Which ops (or other parts of pvos) make each hypercall it makes. */
static const struct { unsigned int nr; const char *name, *by; } hypercalls[] = {
	{ __HYPERVISOR_mmu_update, "mmu_update", "set_pte, set_pmd, set_pud, set_p4d, pte_clear" },
	{ __HYPERVISOR_mmuext_op, "mmuext_op",
	  "write_cr3, flush_tlb_one/local/multi, alloc_pt, release_pt (pin)" },
	{ __HYPERVISOR_multicall, "multicall", "lazy_mmu_flush, lazy_mmu_leave (the batch)" },
	{ __HYPERVISOR_update_va_mapping, "update_va_mapping", "alloc_pt, release_pt (the direct-map alias), boot mappings" },
	{ __HYPERVISOR_sched_op, "sched_op", "safe_halt, halt, lock.wait, console wait, exit" },
	{ __HYPERVISOR_event_channel_op, "event_channel_op", "send_ipi, lock.kick, irq_enable (unmask)" },
	{ __HYPERVISOR_set_timer_op, "set_timer_op", "the timer (not an op)" },
	{ __HYPERVISOR_vcpu_op, "vcpu_op", "starting vCPUs, the timer" },
	{ __HYPERVISOR_xen_version, "xen_version", "irq_enable, restore_fl (a pending event), hv" },
	{ __HYPERVISOR_console_io, "console_io", "the dom0 console (not an op)" },
	{ __HYPERVISOR_set_trap_table, "set_trap_table", "load_idt" },
	{ __HYPERVISOR_callback_op, "callback_op", "boot: event and failsafe callbacks" },
	{ __HYPERVISOR_memory_op, "memory_op", "boot: the m2p table's place" },
	{ __HYPERVISOR_physdev_op, "physdev_op", "boot: I/O privilege (dom0)" },
	{ __HYPERVISOR_set_segment_base, "set_segment_base", "boot: %gs" },
};

void xen_counts(void)
{
	uint64_t listed = 0;

	printk("counts: xen: hypercalls since boot, by hypercall, with the ops that make it:\n");
	for (size_t i = 0; i < ARRAY_SIZE(hypercalls); i++) {
		uint64_t n = xen_hypercalls_of(hypercalls[i].nr);

		listed += n;
		printk("  %-18s %8lu  %s\n", hypercalls[i].name, (unsigned long)n, hypercalls[i].by);
	}
	printk("  %-18s %8lu\n", "other", (unsigned long)(xen_hypercalls_total() - listed));
	printk("counts: xen: %lu in all; a PV guest has no VM exits: every entry into Xen is one "
	       "of these, or an event or fault Xen delivers\n", (unsigned long)xen_hypercalls_total());
}
