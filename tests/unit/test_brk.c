/* SPDX-License-Identifier: MIT */
/*
 * brk: growth, shrinking, the stack guard gap and failure returning the old break
 * (mm/mmap.c: SYSCALL_DEFINE1(brk), do_brk_flags(); brk(2)).
 */
#include "test_helpers.h"

#include <errno.h>

#define S 0x555555560000ULL

static void
test_query_and_below(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	assert_int_equal(mm_brk(mm, 0), S);
	assert_int_equal(mm_brk(mm, S - P), S);
	/* no heap VMA exists until the break first grows */
	assert_int_equal(count_vmas(mm), 0);
	/* within the same page: only the break moves */
	assert_int_equal(mm_brk(mm, S), S);
	assert_int_equal(count_vmas(mm), 0);
	mm_destroy(mm);
}

static void
test_grow_and_shrink(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_vma_info info;

	(void)state;
	assert_int_equal(mm_brk(mm, S + 1), S + 1);
	check_valid(mm);
	expect_vma(mm, 0, S, S + P, F_RW);
	nth_vma(mm, 0, &info);
	assert_int_equal(info.pgoff, S >> 12);
	assert_int_equal(status_of(mm).brk, S + 1);
	/* growth expands the heap VMA */
	assert_int_equal(mm_brk(mm, S + 3 * P + 5), S + 3 * P + 5);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 1);
	expect_vma(mm, 0, S, S + 4 * P, F_RW);
	assert_int_equal(status_of(mm).data_vm, 4);
	/* the same page: no VMA change */
	assert_int_equal(mm_brk(mm, S + 3 * P + 100), S + 3 * P + 100);
	expect_vma(mm, 0, S, S + 4 * P, F_RW);
	/* shrinking unmaps */
	assert_int_equal(mm_brk(mm, S + P), S + P);
	check_valid(mm);
	expect_vma(mm, 0, S, S + P, F_RW);
	assert_int_equal(mm_brk(mm, S), S);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 0);
	mm_destroy(mm);
}

/* Row 69: the heap must leave a free page before the next VMA (EMP). */
static void
test_next_vma_gap(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	do_mmap(mm, S + 4 * P, P, MM_PROT_READ, FIXED_PRIVATE);
	assert_int_equal(mm_brk(mm, S + 4 * P), S);
	assert_int_equal(mm_brk(mm, S + 3 * P + 1), S);
	assert_int_equal(mm_brk(mm, S + 3 * P), S + 3 * P);
	check_valid(mm);
	mm_destroy(mm);

	/* a GROWSDOWN VMA also needs its guard gap */
	mm = new_mm(MM_LAYOUT_X86_64, false);
	do_mmap(mm, S + (1 << 20) + 4 * P, P, RW, FIXED_PRIVATE | MM_MAP_GROWSDOWN);
	assert_int_equal(mm_brk(mm, S + 4 * P), S);
	assert_int_equal(mm_brk(mm, S + 3 * P), S + 3 * P);
	mm_destroy(mm);
}

/* Row 70. */
static void
test_rlimit_data(void **state)
{
	struct mm_config cfg;
	struct mm *mm;

	(void)state;
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.rlimit_data = 4 * P;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	assert_int_equal(mm_brk(mm, S + 4 * P + 1), S);
	assert_int_equal(mm_brk(mm, S + 4 * P), S + 4 * P);
	/* brk's own test passes but data_vm would exceed the limit */
	do_mmap(mm, 0x10000000, P, MM_PROT_READ, FIXED_PRIVATE);
	assert_int_equal(mm_brk(mm, S + 2 * P), S + 2 * P);
	assert_int_equal(try_mmap(mm, 0x20000000, 3 * P, RW, FIXED_PRIVATE, NULL, 0, NULL),
			 -ENOMEM);
	assert_int_equal(try_mmap(mm, 0x20000000, 2 * P, RW, FIXED_PRIVATE, NULL, 0, NULL), 0);
	assert_int_equal(mm_brk(mm, S + 3 * P), S + 2 * P);
	check_valid(mm);
	mm_destroy(mm);
}

/* Row 71: shrink across a mprotected piece, then grow again (EMP). */
static void
test_shrink_mprotected(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	assert_int_equal(mm_brk(mm, S + 4 * P), S + 4 * P);
	assert_int_equal(mm_mprotect(mm, S + 2 * P, P, MM_PROT_READ), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 3);
	assert_int_equal(mm_brk(mm, S + P), S + P);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 1);
	assert_int_equal(mm_brk(mm, S + 4 * P), S + 4 * P);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 1);
	expect_vma(mm, 0, S, S + 4 * P, F_RW);
	mm_destroy(mm);
}

/* A hole left by munmap at the top of the heap stays; growth starts a new VMA (EMP). */
static void
test_hole_after_munmap(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	assert_int_equal(mm_brk(mm, S + 8 * P), S + 8 * P);
	assert_int_equal(mm_munmap(mm, S + 7 * P, P), 0);
	assert_int_equal(mm_brk(mm, S + 10 * P), S + 10 * P);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 2);
	expect_vma(mm, 0, S, S + 7 * P, F_RW);
	expect_vma(mm, 1, S + 8 * P, S + 10 * P, F_RW);
	/* shrinking into a range with no VMA fails */
	assert_int_equal(mm_munmap(mm, S, 16 * P), 0);
	assert_int_equal(mm_brk(mm, S + 9 * P), S + 10 * P);
	mm_destroy(mm);
}

/* brk growth never merges with a following VMA, and not with a non-heap VMA below. */
static void
test_expand_only(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	assert_int_equal(mm_brk(mm, S + P), S + P);
	do_mmap(mm, S + 3 * P, 2 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_brk(mm, S + 2 * P), S + 2 * P);
	assert_int_equal(count_vmas(mm), 2);
	expect_vma(mm, 0, S, S + 2 * P, F_RW);
	mm_destroy(mm);

	/* a VMA ending at start_brk is not the heap */
	mm = new_mm(MM_LAYOUT_X86_64, false);
	do_mmap(mm, S - 2 * P, 2 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_brk(mm, S + P), S + P);
	assert_int_equal(count_vmas(mm), 2);
	mm_destroy(mm);
}

static void
test_map_count_limit(void **state)
{
	struct mm *mm = new_mm_map_limit(1);

	(void)state;
	do_mmap(mm, 0x10000000, P, RW, FIXED_PRIVATE);
	do_mmap(mm, 0x20000000, P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_brk(mm, S + P), S);
	assert_int_equal(mm_munmap(mm, 0x20000000, P), 0);
	assert_int_equal(mm_brk(mm, S + P), S + P);
	check_valid(mm);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_and_below),   cmocka_unit_test(test_grow_and_shrink),
		cmocka_unit_test(test_next_vma_gap),      cmocka_unit_test(test_rlimit_data),
		cmocka_unit_test(test_shrink_mprotected), cmocka_unit_test(test_hole_after_munmap),
		cmocka_unit_test(test_expand_only),       cmocka_unit_test(test_map_count_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
