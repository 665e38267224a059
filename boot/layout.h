/*
 * Where pvos lives in memory.  Shared by assembly, C and the linker script.
 *
 * The kernel is linked at 0xffffffff80000000 + 1 MiB, the top 2 GiB that
 * -mcmodel=kernel code can address, as Linux is.  Xen's PV loader maps a
 * kernel at VIRT_BASE + its physical address, so the same link works for
 * multiboot2, PVH and Xen PV entry alike.  RAM is also mapped whole at
 * DIRECT_MAP_BASE (Linux's page_offset_base), where pvos reaches page tables
 * and any physical page.
 */
#ifndef PVOS_LAYOUT_H
#define PVOS_LAYOUT_H

#define KERNEL_VMA		0xffffffff80000000
#define KERNEL_LOAD_PHYS	0x100000
#define DIRECT_MAP_BASE		0xffff888000000000
#define DIRECT_MAP_PML4_SLOT	273	/* (DIRECT_MAP_BASE >> 39) & 511 */

/* Fixed virtual pages outside the kernel image: LAPIC, text_poke alias, ... */
#define FIXMAP_BASE		0xffffffffff000000
#define FIXMAP_LAPIC		(FIXMAP_BASE + 0x0000)
#define FIXMAP_POKE		(FIXMAP_BASE + 0x2000)	/* two pages */
#define FIXMAP_HV_PROBE		(FIXMAP_BASE + 0x4000)	/* a backend's probe page */
#define FIXMAP_TEST		(FIXMAP_BASE + 0x10000)	/* for self-tests */

/*
 * Where a starting CPU begins, in real mode: a page below 1 MiB (the page
 * allocator never hands those out) that arch/x86/trampoline.S is copied to.
 * Its SIPI vector is the page number, 0x08.
 */
#define TRAMPOLINE_PHYS		0x8000

/* 1 GiB of scratch virtual space, where `bench` maps its 10,000 pages. */
#define SCRATCH_AREA		0xffffc90000000000

#define BOOT_STACK_SIZE		0x4000

/* What %edi holds when the 32-bit entry code reaches C (see boot/head32.S). */
#define BOOT_MAGIC_MULTIBOOT2	0x36d76289
#define BOOT_MAGIC_PVH		0x336ec578	/* XEN_HVM_START_MAGIC_VALUE */

#endif
