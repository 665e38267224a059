/*
 * Memory as pvos sees it: page sizes, page-table entry bits and
 * protections, physical <-> virtual, and where the image's parts are.
 * The page allocator is kernel/pmm.h; the page tables arch/x86/paging.h,
 * where every page-table write, table-page allocation and cr3 load goes
 * through pv_ops (set_pte, alloc_pt, write_cr3, ...), so that a Xen PV
 * backend can turn them into hypercalls.
 */
#ifndef PVOS_MM_H
#define PVOS_MM_H

#include "kernel/types.h"
#include "boot/layout.h"
#include "pvops/pv_ops.h"

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define LARGE_PAGE_SIZE	(1UL << 21)

#define PTE_P		(1UL << 0)
#define PTE_W		(1UL << 1)
#define PTE_U		(1UL << 2)
#define PTE_PWT		(1UL << 3)
#define PTE_PCD		(1UL << 4)
#define PTE_A		(1UL << 5)
#define PTE_D		(1UL << 6)
#define PTE_PS		(1UL << 7)
#define PTE_G		(1UL << 8)
#define PTE_NX		(1UL << 63)
#define PTE_ADDR	0x000ffffffffff000UL

/* Page protections for kernel mappings. */
#define PAGE_KERNEL_RX	(PTE_P | PTE_A)
#define PAGE_KERNEL_RO	(PTE_P | PTE_A | PTE_NX)
#define PAGE_KERNEL	(PTE_P | PTE_W | PTE_A | PTE_D | PTE_NX)
#define PAGE_KERNEL_IO	(PAGE_KERNEL | PTE_PCD | PTE_PWT)

static inline void *phys_to_virt(phys_addr_t pa)
{
	return (void *)(pa + DIRECT_MAP_BASE);
}

/* Works for the direct map and for the kernel image. */
static inline phys_addr_t virt_to_phys(const void *va)
{
	uint64_t v = (uint64_t)va;

	return v >= KERNEL_VMA ? v - KERNEL_VMA : v - DIRECT_MAP_BASE;
}

/* Linker symbols bounding the image's parts. */
extern char _kernel_start[], _stext[], _etext[], _srodata[], _erodata[];
extern char _sdata[], __bss_start[], __bss_end[], _end[];

/* What nearly every user of the above also wants. */
#include "kernel/pmm.h"
#include "arch/x86/paging.h"

#endif
