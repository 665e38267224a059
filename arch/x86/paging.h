/* pvos's page tables (arch/x86/paging.c), every write through pv_ops. */
#ifndef PVOS_PAGING_H
#define PVOS_PAGING_H

#include "kernel/types.h"
#include "arch/x86/cpu.h"

void paging_init(void);
void paging_adopt(phys_addr_t root_pa);	/* tables someone else built (Xen PV) */
unsigned long kernel_pgd_phys(void);
int map_page(unsigned long va, phys_addr_t pa, pteval_t prot);
void unmap_page(unsigned long va);
int map_page_local(unsigned long va, phys_addr_t pa, pteval_t prot);	/* this CPU's TLB only */
void unmap_page_local(unsigned long va);
bool translate(unsigned long va, phys_addr_t *pa, pteval_t *entry);
pteval_t *lookup_pte(unsigned long va);
/* One level of a page walk (page_walk, for the monitor's `walk`). */
struct pt_step {
	int level, index;		/* 4 = PML4 ... 1 = PTE; the entry's index */
	pteval_t raw, val;		/* in memory (machine frame under Xen); as pte_val reads it */
	bool present, leaf;		/* a leaf maps the page (PTE, or PS above) */
	bool foreign;			/* its table is not in pvos's direct map: not read */
};
int page_walk(unsigned long va, struct pt_step steps[4]);
/* Writing read-only kernel text, through an alias (the patcher's). */
void text_poke(void *addr, const void *src, size_t len);
void text_poke_done(void);

#endif
