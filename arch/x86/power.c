/*
 * Powering off natively, with the exit status visible to the host.
 *
 * First QEMU's isa-debug-exit device (kvm-unit-tests' convention): writing v
 * to port 0xf4 makes QEMU exit with (v << 1) | 1, so 0 (pass) gives 1 and
 * 1 (fail) gives 3.  Without that device the write does nothing, and pvos
 * falls back to ACPI soft-off: PM1a_CNT from the FADT, SLP_TYPa from the
 * DSDT's \_S5 package.
 */
#include "kernel/boot_info.h"
#include "arch/x86/power.h"
#include "arch/x86/acpi.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "arch/x86/io.h"
#include "arch/x86/mm.h"

#define DEBUG_EXIT_PORT	0xf4

/* \_S5_ is Name(_S5, Package() { SLP_TYPa, ... }) in AML. */
static int s5_sleep_type(const uint8_t *dsdt)
{
	uint32_t len = *(const uint32_t *)(dsdt + 4);

	for (uint32_t i = 36; i + 8 < len; i++) {
		const uint8_t *p = dsdt + i;

		if (memcmp(p, "_S5_", 4) || p[4] != 0x12)	/* PackageOp */
			continue;
		p += 5 + ((p[5] >> 6) + 1) + 1;		/* PkgLength, NumElements */
		if (*p == 0x0a)				/* BytePrefix */
			return p[1];
		return *p <= 1 ? *p : -1;		/* ZeroOp, OneOp */
	}
	return -1;
}

static void acpi_poweroff(void)
{
	const uint8_t *fadt = acpi_find_table("FACP"), *dsdt;
	int typ;

	if (!fadt) {
		printk("acpi: no RSDP or FADT; cannot power off\n");
		return;
	}
	dsdt = phys_to_virt(*(const uint32_t *)(fadt + 40));
	typ = s5_sleep_type(dsdt);
	if (typ < 0) {
		printk("acpi: no \\_S5 object in the DSDT; cannot power off\n");
		return;
	}
	printk("acpi: powering off (no isa-debug-exit device to carry the status)\n");
	outw((uint16_t)*(const uint32_t *)(fadt + 64), (uint16_t)((typ << 10) | (1 << 13)));
	for (int i = 0; i < 10000000; i++)	/* give the machine time to go */
		asm volatile("pause");
}

void pc_exit(int status)
{
	outl(DEBUG_EXIT_PORT, (uint32_t)status);
	acpi_poweroff();
}
