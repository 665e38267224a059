/*
 * The bitmap allocator (see pagealloc.h).  It hands out the lowest free
 * frame: early page tables must come from the first 1 GiB, the only memory
 * the boot page tables map.
 */
#include "kernel/pagealloc.h"

static bool test_bit(const uint64_t *map, uint64_t n)
{
	return (map[n / 64] >> (n % 64)) & 1;
}

static void set_bit(uint64_t *map, uint64_t n) { map[n / 64] |= 1ULL << (n % 64); }
static void clear_bit(uint64_t *map, uint64_t n) { map[n / 64] &= ~(1ULL << (n % 64)); }

/* Everything starts in use: only what the memory map calls RAM is freed. */
void pa_init(struct pagealloc *pa, uint64_t *bitmap, uint64_t nr_frames)
{
	pa->bitmap = bitmap;
	pa->nr_frames = nr_frames;
	pa->nr_free = 0;
	pa->hint = 0;
	for (uint64_t i = 0; i < (nr_frames + 63) / 64; i++)
		bitmap[i] = ~0ULL;
}

void pa_free_range(struct pagealloc *pa, uint64_t first, uint64_t count)
{
	for (uint64_t f = first; f < first + count && f < pa->nr_frames; f++)
		pa_free(pa, f);
}

void pa_reserve_range(struct pagealloc *pa, uint64_t first, uint64_t count)
{
	for (uint64_t f = first; f < first + count && f < pa->nr_frames; f++) {
		if (!test_bit(pa->bitmap, f)) {
			set_bit(pa->bitmap, f);
			pa->nr_free--;
		}
	}
}

bool pa_alloc(struct pagealloc *pa, uint64_t *frame)
{
	uint64_t words = (pa->nr_frames + 63) / 64;

	for (uint64_t w = pa->hint; w < words; w++) {
		if (pa->bitmap[w] == ~0ULL)
			continue;
		uint64_t f = w * 64 + (uint64_t)__builtin_ctzll(~pa->bitmap[w]);

		if (f >= pa->nr_frames)
			break;
		set_bit(pa->bitmap, f);
		pa->nr_free--;
		pa->hint = w;
		*frame = f;
		return true;
	}
	return false;
}

/* False for a frame out of range or already free: a double free. */
bool pa_free(struct pagealloc *pa, uint64_t frame)
{
	if (frame >= pa->nr_frames || !test_bit(pa->bitmap, frame))
		return false;
	clear_bit(pa->bitmap, frame);
	pa->nr_free++;
	if (frame / 64 < pa->hint)
		pa->hint = frame / 64;
	return true;
}

bool pa_is_free(const struct pagealloc *pa, uint64_t frame)
{
	return frame < pa->nr_frames && !test_bit(pa->bitmap, frame);
}
