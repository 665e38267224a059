/*
 * From the 32-bit entry (boot/head32.S) to kmain: read the multiboot2 or
 * PVH boot information into struct boot_info, then start the kernel.
 *
 * The loader's structures are reached through the direct map, which the
 * boot page tables already cover for the first 1 GiB of physical memory.
 */
#include "kernel/boot_info.h"
#include "arch/x86/boot.h"
#include "kernel/main.h"
#include "arch/x86/pc_platform.h"
#include "kernel/string.h"
#include "kernel/printk.h"
#include "arch/x86/mm.h"
#include "boot/layout.h"
#include <xen/arch-x86/hvm/start_info.h>

/*
 * Multiboot2 tags we read: 1 command line, 6 memory map, 11/12 the EFI
 * system table (booted by UEFI firmware: no VGA text screen), 14/15 ACPI
 * RSDP.
 */
static void parse_mb2_tag(const uint8_t *tag)
{
	uint32_t type = *(const uint32_t *)tag, size = *(const uint32_t *)(tag + 4);

	if (type == 1) {
		boot_set_cmdline((const char *)tag + 8, size - 8);
	} else if (type == 6) {
		uint32_t esize = *(const uint32_t *)(tag + 8);

		for (uint32_t off = 16; esize && off + esize <= size; off += esize) {
			const uint64_t *e = (const uint64_t *)(tag + off);

			boot_add_region(e[0], e[1], *(const uint32_t *)(e + 2));
		}
	} else if (type == 11 || type == 12) {
		boot_info.no_vga_text = true;
	} else if ((type == 14 || type == 15) && size > 8) {
		memcpy(boot_info.rsdp, tag + 8, MIN(size - 8, sizeof(boot_info.rsdp)));
		boot_info.have_rsdp_copy = true;
	}
}

static void parse_multiboot2(phys_addr_t info)
{
	const uint8_t *p = phys_to_virt(info);
	uint32_t total = *(const uint32_t *)p;

	boot_info.protocol = "multiboot2";
	for (uint32_t off = 8; off + 8 <= total; off = ALIGN_UP(off + *(const uint32_t *)(p + off + 4), 8)) {
		if (*(const uint32_t *)(p + off) == 0)
			break;
		parse_mb2_tag(p + off);
	}
}

static void parse_pvh(phys_addr_t info)
{
	const struct hvm_start_info *si = phys_to_virt(info);
	const struct hvm_memmap_table_entry *m;

	boot_info.protocol = "PVH";
	if (si->magic != XEN_HVM_START_MAGIC_VALUE)
		return;
	if (si->cmdline_paddr)
		boot_set_cmdline(phys_to_virt(si->cmdline_paddr), 4096);
	boot_info.rsdp_phys = si->rsdp_paddr;
	if (si->version < 1 || !si->memmap_paddr)
		return;
	m = phys_to_virt(si->memmap_paddr);
	for (uint32_t i = 0; i < si->memmap_entries; i++)
		boot_add_region(m[i].addr, m[i].size, m[i].type);
}

void pc_boot_main(uint32_t magic, uint32_t info)
{
	if (magic == BOOT_MAGIC_MULTIBOOT2)
		parse_multiboot2(info);
	else if (magic == BOOT_MAGIC_PVH)
		parse_pvh(info);
	else
		boot_info.protocol = "unknown loader";
	kmain(&pc_platform);
}
