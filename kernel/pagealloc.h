/*
 * A bitmap page-frame allocator: one bit per 4 KiB frame, 1 = in use.
 * Pure C over caller-provided storage, so the host unit tests run it as is;
 * kernel/pmm.c feeds it the boot memory map.
 */
#ifndef PVOS_PAGEALLOC_H
#define PVOS_PAGEALLOC_H

#include "kernel/types.h"

struct pagealloc {
	uint64_t *bitmap;
	uint64_t nr_frames;	/* frames the bitmap covers */
	uint64_t nr_free;
	uint64_t hint;		/* no free frame below this word */
};

void pa_init(struct pagealloc *pa, uint64_t *bitmap, uint64_t nr_frames);
void pa_free_range(struct pagealloc *pa, uint64_t first, uint64_t count);
void pa_reserve_range(struct pagealloc *pa, uint64_t first, uint64_t count);
bool pa_alloc(struct pagealloc *pa, uint64_t *frame);
bool pa_free(struct pagealloc *pa, uint64_t frame);
bool pa_is_free(const struct pagealloc *pa, uint64_t frame);

#endif
