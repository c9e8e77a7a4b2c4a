/* SPDX-License-Identifier: MIT */
/*
 * munmap: errno (munmap(2); mm/vma.c: do_vmi_munmap()), splitting, accounting, high-water
 * marks (mm/vma.c: vms_gather_munmap_vmas(), vms_complete_munmap_vmas()).
 */
#include "test_helpers.h"

#include <errno.h>

#define B 0x10000000ULL

static void
test_errno_table(void **state)
{
	static const struct {
		const char *name;
		uint64_t addr, len;
		int err;
	} rows[] = {
		{ "31 len 0", B, 0, -EINVAL },
		{ "32 unaligned", B + 1, P, -EINVAL },
		{ "33 start beyond task", 0x800000000000ULL, P, -EINVAL },
		{ "33 end beyond task", 0x7ffffffff000ULL - P, 2 * P, -EINVAL },
		{ "34 len wraps", B, UINT64_MAX - 100, -EINVAL },
		{ "35 nothing at NULL", 0, P, 0 },
		{ "35 nothing mapped", 0x50000000, 16 * P, 0 },
		{ "36 len rounded up", B, 1, 0 },
		{ "whole task range", 0, 0x7ffffffff000ULL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
		int err;

		do_mmap(mm, B, 4 * P, RW, FIXED_PRIVATE);
		err = mm_munmap(mm, rows[i].addr, rows[i].len);
		check_valid(mm);
		if (err != rows[i].err)
			fail_msg("row %s: got %d, expected %d", rows[i].name, err, rows[i].err);
		mm_destroy(mm);
	}
}

static void
test_partial(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_vma_info info;

	(void)state;
	do_mmap(mm, B, 8 * P, RW, FIXED_PRIVATE);
	/* a length that is not a page multiple is rounded up */
	assert_int_equal(mm_munmap(mm, B + 2 * P, P + 1), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 2);
	expect_vma(mm, 0, B, B + 2 * P, F_RW);
	expect_vma(mm, 1, B + 4 * P, B + 8 * P, F_RW);
	/* the upper piece keeps a linear pgoff */
	nth_vma(mm, 1, &info);
	assert_int_equal(info.pgoff, (B >> 12) + 4);
	/* head and tail trims */
	assert_int_equal(mm_munmap(mm, B, P), 0);
	assert_int_equal(mm_munmap(mm, B + 7 * P, P), 0);
	check_valid(mm);
	expect_vma(mm, 0, B + P, B + 2 * P, F_RW);
	expect_vma(mm, 1, B + 4 * P, B + 7 * P, F_RW);
	assert_int_equal(status_of(mm).total_vm, 4);
	assert_int_equal(status_of(mm).data_vm, 4);
	/* a span over a hole and two VMAs */
	assert_int_equal(mm_munmap(mm, B + P, 5 * P), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 1);
	expect_vma(mm, 0, B + 6 * P, B + 7 * P, F_RW);
	mm_destroy(mm);
}

/* munmap never merges: the pieces left on both sides of an unmap stay apart. */
static void
test_no_merge(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	do_mmap(mm, B, 3 * P, RW, FIXED_PRIVATE);
	do_mmap(mm, B + P, P, MM_PROT_READ, FIXED_PRIVATE);
	assert_int_equal(count_vmas(mm), 3);
	assert_int_equal(mm_munmap(mm, B + P, P), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 2);
	/* refilling the hole merges again (that is mmap's doing) */
	do_mmap(mm, B + P, P, RW, FIXED_PRIVATE);
	assert_int_equal(count_vmas(mm), 1);
	mm_destroy(mm);
}

/*
 * An unmap that would leave more VMAs than vm.max_map_count fails with ENOMEM; trims and
 * whole VMAs need no room (mm/vma.c: do_vmi_align_munmap(), vms_gather_munmap_vmas()).
 */
static void
test_map_count_limit(void **state)
{
	struct mm *mm = new_mm_map_limit(2);

	(void)state;
	do_mmap(mm, B, 8 * P, RW, FIXED_PRIVATE);
	do_mmap(mm, B + 16 * P, 8 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_munmap(mm, B + 2 * P, P), -ENOMEM);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 2);
	/* a head trim and a tail trim do not raise the count */
	assert_int_equal(mm_munmap(mm, B, P), 0);
	assert_int_equal(mm_munmap(mm, B + 7 * P, P), 0);
	/* a span that splits two VMAs leaves the count as it is */
	assert_int_equal(mm_munmap(mm, B + 6 * P, 12 * P), 0);
	check_valid(mm);
	assert_int_equal(status_of(mm).map_count, 2);
	expect_vma(mm, 0, B + P, B + 6 * P, F_RW);
	expect_vma(mm, 1, B + 18 * P, B + 24 * P, F_RW);
	/* whole VMAs go at any count */
	assert_int_equal(mm_munmap(mm, B, 32 * P), 0);
	assert_int_equal(status_of(mm).map_count, 0);
	mm_destroy(mm);
}

static void
test_accounting(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_status st;

	(void)state;
	do_mmap(mm, B, 8 * P, RW, FIXED_PRIVATE | MM_MAP_POPULATE);
	do_mmap(mm, B + 16 * P, 4 * P, MM_PROT_READ | MM_PROT_EXEC, FIXED_PRIVATE);
	do_mmap(mm, B + 32 * P, 4 * P, RW, FIXED_PRIVATE | MM_MAP_LOCKED);
	st = status_of(mm);
	assert_int_equal(st.rss_anon, 12);
	assert_int_equal(st.locked_vm, 4);
	assert_int_equal(st.total_vm, 16);
	assert_int_equal(mm_munmap(mm, B + 4 * P, 30 * P), 0);
	check_valid(mm);
	st = status_of(mm);
	assert_int_equal(st.total_vm, 6);
	assert_int_equal(st.data_vm, 6);
	assert_int_equal(st.exec_vm, 0);
	assert_int_equal(st.locked_vm, 2);
	assert_int_equal(st.rss_anon, 6);
	/* the high-water marks saw the peak just before the unmap */
	assert_int_equal(st.hiwater_rss, 12);
	assert_int_equal(st.hiwater_vm, 16);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno_table), cmocka_unit_test(test_partial),
		cmocka_unit_test(test_no_merge),    cmocka_unit_test(test_map_count_limit),
		cmocka_unit_test(test_accounting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
