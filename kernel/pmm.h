/* The physical page allocator (kernel/pmm.c), over kernel/pagealloc.c's bitmap. */
#ifndef PVOS_PMM_H
#define PVOS_PMM_H

#include "kernel/types.h"

void pmm_init(void);
phys_addr_t alloc_page(void);		/* zeroed; 0 when out of memory */
void free_page(phys_addr_t pa);
uint64_t pmm_free_pages(void);

#endif
