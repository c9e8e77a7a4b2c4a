/* SPDX-License-Identifier: MIT */
/*
 * The VMA slab (lib/slab.c): distinct aligned slots, address-order neighbours next to each
 * other, freed slots reused first, and whole address spaces built and torn down on it.
 */
#include "test_helpers.h"

#include <stdlib.h>
#include <string.h>

#include "mm_internal.h"

#define SLOT_ALIGN 64

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
start_of(const struct vma *v)
{
	return v ? v->start : 0;
}

static void
test_slots_distinct(void **state)
{
	struct vma_slab s = { 0 };
	/* Enough for the chunks to reach their largest size (the one given the huge-page hint). */
	enum { N = 70000 };
	void **p = malloc(N * sizeof(*p));

	(void)state;
	assert_non_null(p);
	for (int i = 0; i < N; i++) {
		p[i] = vma_slab_alloc(&s);
		assert_non_null(p[i]);
		memset(p[i], i & 0xff, sizeof(struct vma));
	}
	/* The first slot of the first chunk is line aligned; every slot holds a whole VMA. */
	assert_int_equal((uintptr_t)p[0] % SLOT_ALIGN, 0);
	for (int i = 0; i < N; i++)
		for (size_t b = 0; b < sizeof(struct vma); b++)
			if (((unsigned char *)p[i])[b] != (i & 0xff))
				fail_msg("slot %d byte %zu overwritten", i, b);
	qsort(p, N, sizeof(*p), cmp_ptr);
	for (int i = 1; i < N; i++)
		assert_true((uintptr_t)p[i] - (uintptr_t)p[i - 1] >= sizeof(struct vma));
	vma_slab_release(&s);
	free(p);
}

static void
test_neighbours_adjacent(void **state)
{
	struct vma_slab s = { 0 };
	char *a, *b, *c;

	(void)state;
	a = vma_slab_alloc(&s);
	b = vma_slab_alloc(&s);
	c = vma_slab_alloc(&s);
	/* Slots follow each other without padding beyond 8-byte alignment. */
	assert_true(b - a >= (ptrdiff_t)sizeof(struct vma) &&
		    b - a < (ptrdiff_t)sizeof(struct vma) + 8);
	assert_int_equal(c - b, b - a);
	vma_slab_release(&s);
}

static void
test_free_reused_first(void **state)
{
	struct vma_slab s = { 0 };
	void *a, *b;

	(void)state;
	a = vma_slab_alloc(&s);
	b = vma_slab_alloc(&s);
	vma_slab_free(&s, a);
	vma_slab_free(&s, b);
	assert_ptr_equal(vma_slab_alloc(&s), b);
	assert_ptr_equal(vma_slab_alloc(&s), a);
	vma_slab_release(&s);
	/* A released slab starts over. */
	assert_non_null(vma_slab_alloc(&s));
	vma_slab_release(&s);
	vma_slab_release(&s);
}

/* Split and merge back many times: the same slots come back, the mm stays consistent. */
static void
test_split_merge_cycles(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, true);
	const uint64_t base = 0x10000000;
	const struct vma *first;

	(void)state;
	for (uint64_t i = 0; i < 3000; i++)
		do_mmap(mm, base + i * 3 * P, 2 * P, MM_PROT_READ, FIXED_PRIVATE);
	for (uint64_t i = 0; i < 3000; i += 7) {
		uint64_t a = base + i * 3 * P;

		assert_int_equal(mm_mprotect(mm, a, P, MM_PROT_NONE), 0);
		first = mm_find_vma(mm, a);
		assert_int_equal(start_of(first), a);
		assert_int_equal(start_of(mm_find_vma(mm, a + P)), a + P);
		assert_int_equal(mm_mprotect(mm, a, P, MM_PROT_READ), 0);
		assert_int_equal(start_of(mm_find_vma(mm, a + P)), a);
	}
	check_valid(mm);
	assert_int_equal(mm_munmap(mm, base, 3000 * 3 * P), 0);
	check_valid(mm);
	for (uint64_t i = 0; i < 3000; i++)
		do_mmap(mm, base + i * 3 * P, P, MM_PROT_READ, FIXED_PRIVATE);
	check_valid(mm);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots_distinct),
		cmocka_unit_test(test_neighbours_adjacent),
		cmocka_unit_test(test_free_reused_first),
		cmocka_unit_test(test_split_merge_cycles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
