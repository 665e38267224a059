/*
 * Physical memory and page tables: the interface the rest of pvos uses.
 * Every page-table write, table-page allocation and cr3 load happens in
 * arch/x86/paging.c, through pv_ops (set_pte, alloc_pt, write_cr3, ...),
 * so that a Xen PV backend can turn them into hypercalls.
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

/* Physical page allocator (kernel/pmm.c). */
phys_addr_t alloc_page(void);		/* zeroed; 0 when out of memory */
void free_page(phys_addr_t pa);
void pmm_init(void);
uint64_t pmm_free_pages(void);

/* Page tables (arch/x86/paging.c). */
void paging_init(void);
int map_page(unsigned long va, phys_addr_t pa, pteval_t prot);
void unmap_page(unsigned long va);
bool translate(unsigned long va, phys_addr_t *pa, pteval_t *entry);
pteval_t *lookup_pte(unsigned long va);
void text_poke(void *addr, const void *src, size_t len);
void text_poke_done(void);
unsigned long kernel_pgd_phys(void);
void paging_adopt(phys_addr_t root_pa);

#endif
