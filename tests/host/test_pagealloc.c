/*
 * Host unit tests for kernel/pagealloc.c, the bitmap page-frame allocator.
 * Early page tables must come from low memory, so "lowest free frame first"
 * is a correctness property, not a detail; a lost or doubly counted frame
 * shows up only much later as memory corruption, so every operation's
 * effect on nr_free, the bitmap and the hint is checked exactly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/pagealloc.h"

#define CANARY 0x5a5a5a5a5a5a5a5aULL

static uint64_t bm[16];
static struct pagealloc pa;

static int fill_bitmap(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < 16; i++)
		bm[i] = CANARY;
	memset(&pa, 0xa5, sizeof(pa));
	return 0;
}

static void test_init_all_reserved(void **state)
{
	uint64_t f = 12345;

	(void)state;
	pa_init(&pa, bm, 200);			/* 4 words, the last partial */
	assert_ptr_equal(pa.bitmap, bm);
	assert_int_equal(pa.nr_frames, 200);
	assert_int_equal(pa.nr_free, 0);
	assert_int_equal(pa.hint, 0);
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(bm[i], ~0ULL);
	assert_int_equal(bm[4], CANARY);	/* nothing past the bitmap */
	for (uint64_t i = 0; i < 200; i++)
		assert_false(pa_is_free(&pa, i));
	assert_false(pa_alloc(&pa, &f));
	assert_int_equal(f, 12345);		/* untouched on failure */
}

static void test_free_range_and_lowest_first(void **state)
{
	uint64_t f;

	(void)state;
	pa_init(&pa, bm, 256);
	pa_free_range(&pa, 10, 5);
	assert_int_equal(pa.nr_free, 5);
	assert_false(pa_is_free(&pa, 9));
	for (uint64_t i = 10; i < 15; i++)
		assert_true(pa_is_free(&pa, i));
	assert_false(pa_is_free(&pa, 15));
	assert_int_equal(bm[0], ~(0x1fULL << 10));

	pa_free_range(&pa, 130, 2);		/* in a later word */
	assert_int_equal(pa.nr_free, 7);
	for (uint64_t want = 10; want < 15; want++) {
		assert_true(pa_alloc(&pa, &f));
		assert_int_equal(f, want);
		assert_false(pa_is_free(&pa, want));
	}
	assert_true(pa_alloc(&pa, &f));
	assert_int_equal(f, 130);
	assert_int_equal(pa.hint, 2);
	assert_true(pa_alloc(&pa, &f));
	assert_int_equal(f, 131);
	assert_int_equal(pa.nr_free, 0);
	assert_false(pa_alloc(&pa, &f));
	assert_int_equal(f, 131);
}

static void test_exhaustion(void **state)
{
	uint64_t f, n = 0;

	(void)state;
	pa_init(&pa, bm, 192);
	pa_free_range(&pa, 0, 192);
	assert_int_equal(pa.nr_free, 192);
	while (pa_alloc(&pa, &f)) {
		assert_int_equal(f, n);
		n++;
		assert_true(n <= 192);
	}
	assert_int_equal(n, 192);
	assert_int_equal(pa.nr_free, 0);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(bm[i], ~0ULL);
	assert_int_equal(bm[3], CANARY);
}

static void test_double_and_out_of_range_free(void **state)
{
	uint64_t f;

	(void)state;
	pa_init(&pa, bm, 100);
	pa_free_range(&pa, 0, 100);
	assert_int_equal(pa.nr_free, 100);
	assert_false(pa_free(&pa, 5));		/* already free */
	assert_int_equal(pa.nr_free, 100);
	assert_true(pa_alloc(&pa, &f));
	assert_int_equal(f, 0);
	assert_true(pa_free(&pa, 0));
	assert_int_equal(pa.nr_free, 100);
	assert_false(pa_free(&pa, 0));		/* double free */
	assert_int_equal(pa.nr_free, 100);
	assert_false(pa_free(&pa, 100));	/* == nr_frames */
	assert_false(pa_free(&pa, 127));	/* in the bitmap, past the end */
	assert_false(pa_free(&pa, UINT64_MAX));
	assert_int_equal(pa.nr_free, 100);
	assert_false(pa_is_free(&pa, 100));
	assert_false(pa_is_free(&pa, UINT64_MAX));
	/* The padding bits past nr_frames stay set. */
	assert_int_equal(bm[1] >> 36, (1ULL << 28) - 1);
}

static void test_free_range_clamped(void **state)
{
	(void)state;
	pa_init(&pa, bm, 100);
	pa_free_range(&pa, 90, 50);		/* runs past the end */
	assert_int_equal(pa.nr_free, 10);
	assert_true(pa_is_free(&pa, 99));
	assert_int_equal(bm[1] >> 36, (1ULL << 28) - 1);
	assert_int_equal(bm[2], CANARY);
	pa_free_range(&pa, 95, 3);		/* already free: counted once */
	assert_int_equal(pa.nr_free, 10);
	pa_free_range(&pa, 500, 10);		/* wholly outside */
	assert_int_equal(pa.nr_free, 10);
	assert_int_equal(bm[2], CANARY);
}

static void test_reserve(void **state)
{
	uint64_t f;

	(void)state;
	pa_init(&pa, bm, 128);
	pa_free_range(&pa, 0, 128);
	pa_reserve_range(&pa, 0, 16);		/* free frames: counted */
	assert_int_equal(pa.nr_free, 112);
	assert_false(pa_is_free(&pa, 15));
	assert_true(pa_is_free(&pa, 16));
	pa_reserve_range(&pa, 8, 16);		/* half already used */
	assert_int_equal(pa.nr_free, 104);
	pa_reserve_range(&pa, 0, 24);		/* all already used */
	assert_int_equal(pa.nr_free, 104);
	pa_reserve_range(&pa, 120, 100);	/* clamped at the end */
	assert_int_equal(pa.nr_free, 96);
	assert_true(pa_alloc(&pa, &f));
	assert_int_equal(f, 24);
	/* A reserved frame can be freed again (it was "in use"). */
	assert_true(pa_free(&pa, 3));
	assert_int_equal(pa.nr_free, 96);
	assert_true(pa_alloc(&pa, &f));
	assert_int_equal(f, 3);
}

static void test_hint_moves_back(void **state)
{
	uint64_t f;

	(void)state;
	pa_init(&pa, bm, 256);
	pa_free_range(&pa, 200, 10);
	assert_true(pa_alloc(&pa, &f));
	assert_int_equal(f, 200);
	assert_int_equal(pa.hint, 3);
	/* Free lower frames: the hint follows, the lowest comes out first. */
	pa_free_range(&pa, 70, 1);
	assert_int_equal(pa.hint, 1);
	pa_free_range(&pa, 5, 1);
	assert_int_equal(pa.hint, 0);
	assert_true(pa_alloc(&pa, &f));
	assert_int_equal(f, 5);
	assert_true(pa_alloc(&pa, &f));
	assert_int_equal(f, 70);
	assert_true(pa_alloc(&pa, &f));
	assert_int_equal(f, 201);
	/* Freeing a higher frame does not move the hint forward. */
	assert_int_equal(pa.hint, 3);
	assert_true(pa_free(&pa, 200));
	assert_true(pa_free(&pa, 70));
	assert_int_equal(pa.hint, 1);
	assert_true(pa_free(&pa, 250));
	assert_int_equal(pa.hint, 1);
	assert_true(pa_alloc(&pa, &f));
	assert_int_equal(f, 70);
}

static void test_odd_sizes(void **state)
{
	static const uint64_t sizes[] = { 1, 63, 64, 65, 70, 127, 129, 511 };
	uint64_t f;

	(void)state;
	for (unsigned int s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t n = sizes[s], words = (n + 63) / 64;

		fill_bitmap(NULL);
		pa_init(&pa, bm, n);
		assert_int_equal(bm[words], CANARY);
		pa_free_range(&pa, 0, n + 100);
		assert_int_equal(pa.nr_free, n);
		for (uint64_t i = 0; i < n; i++) {
			assert_true(pa_alloc(&pa, &f));
			assert_int_equal(f, i);
		}
		/* No frame past nr_frames, though the last word has room. */
		assert_false(pa_alloc(&pa, &f));
		assert_int_equal(f, n - 1);
		assert_int_equal(pa.nr_free, 0);
		assert_int_equal(bm[words], CANARY);
		/* Last frame freed and reallocated. */
		assert_true(pa_free(&pa, n - 1));
		assert_true(pa_alloc(&pa, &f));
		assert_int_equal(f, n - 1);
	}
}

static void test_partial_last_word(void **state)
{
	uint64_t f;

	(void)state;
	pa_init(&pa, bm, 70);
	pa_free_range(&pa, 65, 5);
	assert_int_equal(pa.nr_free, 5);
	assert_true(pa_alloc(&pa, &f));
	assert_int_equal(f, 65);
	assert_int_equal(pa.hint, 1);
	for (uint64_t want = 66; want < 70; want++) {
		assert_true(pa_alloc(&pa, &f));
		assert_int_equal(f, want);
	}
	assert_false(pa_alloc(&pa, &f));
	assert_int_equal(f, 69);
}

static void test_zero_frames(void **state)
{
	uint64_t f = 7;

	(void)state;
	pa_init(&pa, bm, 0);
	assert_int_equal(bm[0], CANARY);	/* no word belongs to it */
	pa_free_range(&pa, 0, 10);
	assert_int_equal(pa.nr_free, 0);
	assert_false(pa_alloc(&pa, &f));
	assert_false(pa_free(&pa, 0));
	assert_false(pa_is_free(&pa, 0));
	assert_int_equal(f, 7);
}

#define T(f) cmocka_unit_test_setup(f, fill_bitmap)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_all_reserved),
		T(test_free_range_and_lowest_first),
		T(test_exhaustion),
		T(test_double_and_out_of_range_free),
		T(test_free_range_clamped),
		T(test_reserve),
		T(test_hint_moves_back),
		T(test_odd_sizes),
		T(test_partial_last_word),
		T(test_zero_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
