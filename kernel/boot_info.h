/*
 * What pvos learns from whoever started it, in one form whatever the entry
 * path (multiboot2, PVH or Xen PV): the command line, the memory map and
 * where ACPI is.  Each entry path copies into this before anything else runs,
 * so nothing later depends on the loader's memory.
 */
#ifndef PVOS_BOOT_INFO_H
#define PVOS_BOOT_INFO_H

#include "kernel/types.h"

enum mem_type {
	MEM_RAM = 1,
	MEM_RESERVED = 2,
	MEM_ACPI = 3,
	MEM_NVS = 4,
	MEM_UNUSABLE = 5,
};

struct mem_region {
	uint64_t base, len;
	uint32_t type;
};

#define BOOT_CMDLINE_MAX	512
#define BOOT_MEM_MAX		64

struct boot_info {
	const char *protocol;		/* "multiboot2", "PVH", "Xen PV" */
	char cmdline[BOOT_CMDLINE_MAX];
	struct mem_region mem[BOOT_MEM_MAX];
	int nr_mem;
	uint64_t rsdp_phys;		/* 0: look in the BIOS area */
	uint8_t rsdp[36];		/* a copy, if the loader gave one */
	bool have_rsdp_copy;
	bool cmdline_cut;		/* longer than cmdline[]: the rest is lost */
	bool no_vga_text;		/* booted by UEFI: no VGA text screen */
	int mem_dropped;		/* memory-map entries beyond mem[] */
};

extern struct boot_info boot_info;

void boot_set_cmdline(const char *s, size_t max);
void boot_add_region(uint64_t base, uint64_t len, uint32_t type);

#endif
