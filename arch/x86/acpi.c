/*
 * Reading ACPI's tables: the RSDP (from the loader, or found by scanning the
 * BIOS area), the RSDT it points to, and the two tables pvos needs.  The
 * FADT says how to power off (arch/x86/power.c).  The MADT ("APIC") lists
 * the CPUs: one Processor Local APIC entry per CPU, with the APIC id that
 * INIT and SIPI are sent to (arch/x86/smp.c).
 */
#include "arch/x86/acpi.h"
#include "arch/x86/mm.h"
#include "kernel/boot_info.h"
#include "kernel/string.h"

static const uint8_t *find_rsdp(void)
{
	if (boot_info.have_rsdp_copy)
		return boot_info.rsdp;
	if (boot_info.rsdp_phys)
		return phys_to_virt(boot_info.rsdp_phys);
	for (phys_addr_t pa = 0xe0000; pa < 0x100000; pa += 16)
		if (!memcmp(phys_to_virt(pa), "RSD PTR ", 8))
			return phys_to_virt(pa);
	return NULL;
}

/* Through the RSDT (32-bit pointers suffice in QEMU and on most PCs). */
const uint8_t *acpi_find_table(const char *sig)
{
	const uint8_t *rsdp = find_rsdp(), *rsdt;
	uint32_t len;

	if (!rsdp)
		return NULL;
	rsdt = phys_to_virt(*(const uint32_t *)(rsdp + 16));
	len = *(const uint32_t *)(rsdt + 4);
	if (memcmp(rsdt, "RSDT", 4))
		return NULL;
	for (uint32_t off = 36; off + 4 <= len; off += 4) {
		const uint8_t *t = phys_to_virt(*(const uint32_t *)(rsdt + off));

		if (!memcmp(t, sig, 4))
			return t;
	}
	return NULL;
}

#define MADT_LOCAL_APIC		0	/* type 0: processor id, APIC id, flags */
#define MADT_ENABLED		1	/* flags bit 0: usable now */
#define MADT_ONLINE_CAPABLE	2	/* flags bit 1: could be enabled later */

int acpi_cpu_apic_ids(uint32_t *ids, int max, uint32_t boot_id)
{
	const uint8_t *madt = acpi_find_table("APIC");
	uint32_t len;
	int n = 0;

	if (!madt || max < 1)
		return -1;
	len = *(const uint32_t *)(madt + 4);
	ids[n++] = boot_id;
	for (uint32_t off = 44; off + 2 <= len && madt[off + 1] >= 2; off += madt[off + 1]) {
		const uint8_t *e = madt + off;

		if (e[0] != MADT_LOCAL_APIC || !(e[4] & MADT_ENABLED) || e[3] == boot_id)
			continue;
		if (n < max)
			ids[n] = e[3];
		n++;
	}
	return n;
}
