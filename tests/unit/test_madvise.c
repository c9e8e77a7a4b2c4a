/* SPDX-License-Identifier: MIT */
/* madvise: argument checks, flag advice with split/merge, DONTNEED, REMOVE, POPULATE_*. */
#include "test_helpers.h"

#include <errno.h>

#define B 0x10000000ULL

static const struct mm_file_desc file_rw = {
	.path = "/tmp/f",
	.instance = 1,
	.mode = MM_FMODE_READ | MM_FMODE_WRITE,
	.ino = 4,
	.size = 1 << 20,
};
static const struct mm_file_desc file_ro = {
	.path = "/tmp/f",
	.instance = 2,
	.mode = MM_FMODE_READ,
	.ino = 4,
	.size = 1 << 20,
};

static void
test_errno_table(void **state)
{
	static const struct {
		const char *name;
		uint64_t addr, len;
		int advice, err;
	} rows[] = {
		{ "unknown advice", B, P, 99, -EINVAL },
		{ "unknown advice, len 0", B, 0, 5, -EINVAL },
		{ "unaligned", B + 1, P, MM_MADV_NORMAL, -EINVAL },
		{ "len 0", B, 0, MM_MADV_DONTNEED, 0 },
		{ "len rounds to 0", B, UINT64_MAX - 10, MM_MADV_NORMAL, -EINVAL },
		{ "end wraps", B, 0xFFFFFFFFF0001000ULL, MM_MADV_NORMAL, -EINVAL },
		{ "nothing mapped", 0x50000000, P, MM_MADV_NORMAL, -ENOMEM },
		{ "hole at the start", B - P, 2 * P, MM_MADV_RANDOM, -ENOMEM },
		{ "wipeonfork on file", B + 16 * P, P, MM_MADV_WIPEONFORK, -EINVAL },
		{ "wipeonfork on shmem", B + 32 * P, P, MM_MADV_WIPEONFORK, -EINVAL },
		{ "wipeonfork on anon", B, P, MM_MADV_WIPEONFORK, 0 },
		{ "free on file", B + 16 * P, P, MM_MADV_FREE, -EINVAL },
		{ "free on anon", B, P, MM_MADV_FREE, 0 },
		{ "remove on private anon", B, P, MM_MADV_REMOVE, -EINVAL },
		{ "remove on rdonly shared file", B + 24 * P, P, MM_MADV_REMOVE, -EACCES },
		{ "remove on shmem", B + 32 * P, P, MM_MADV_REMOVE, 0 },
		{ "dontneed on locked", B + 40 * P, P, MM_MADV_DONTNEED, -EINVAL },
		{ "dontneed_locked on locked", B + 40 * P, P, 24, 0 },
		{ "cold on locked", B + 40 * P, P, MM_MADV_COLD, -EINVAL },
		{ "pageout on anon", B, P, MM_MADV_PAGEOUT, 0 },
		{ "willneed", B, P, MM_MADV_WILLNEED, 0 },
		{ "populate_read on PROT_NONE", B + 48 * P, P, MM_MADV_POPULATE_READ, -EINVAL },
		{ "populate_write on read-only", B + 24 * P, P, MM_MADV_POPULATE_WRITE, -EINVAL },
		{ "populate over a hole", B, 5 * P, MM_MADV_POPULATE_WRITE, -ENOMEM },
		{ "populate in a hole", B - P, P, MM_MADV_POPULATE_READ, -ENOMEM },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
		int err;

		do_mmap(mm, B, 4 * P, RW, FIXED_PRIVATE);
		assert_int_equal(try_mmap(mm, B + 16 * P, 4 * P, RW, MM_MAP_SHARED | MM_MAP_FIXED,
					  &file_rw, 0, NULL),
				 0);
		assert_int_equal(try_mmap(mm, B + 24 * P, 4 * P, MM_PROT_READ,
					  MM_MAP_SHARED | MM_MAP_FIXED, &file_ro, 0, NULL),
				 0);
		do_mmap(mm, B + 32 * P, 4 * P, RW, MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_FIXED);
		do_mmap(mm, B + 40 * P, 4 * P, RW, FIXED_PRIVATE | MM_MAP_LOCKED);
		do_mmap(mm, B + 48 * P, 4 * P, MM_PROT_NONE, FIXED_PRIVATE);
		err = mm_madvise(mm, rows[i].addr, rows[i].len, rows[i].advice);
		check_valid(mm);
		if (err != rows[i].err)
			fail_msg("row %s: got %d, expected %d", rows[i].name, err, rows[i].err);
		mm_destroy(mm);
	}
}

static void
test_flag_advice(void **state)
{
	static const struct {
		int advice;
		uint64_t set;
	} rows[] = {
		{ MM_MADV_RANDOM, VM_RAND_READ },      { MM_MADV_SEQUENTIAL, VM_SEQ_READ },
		{ MM_MADV_DONTFORK, VM_DONTCOPY },     { MM_MADV_WIPEONFORK, VM_WIPEONFORK },
		{ MM_MADV_DONTDUMP, VM_DONTDUMP },     { MM_MADV_HUGEPAGE, VM_HUGEPAGE },
		{ MM_MADV_NOHUGEPAGE, VM_NOHUGEPAGE }, { MM_MADV_MERGEABLE, VM_MERGEABLE },
	};
	static const int undo[] = {
		MM_MADV_NORMAL, MM_MADV_NORMAL,     MM_MADV_DOFORK,   MM_MADV_KEEPONFORK,
		MM_MADV_DODUMP, MM_MADV_NOHUGEPAGE, MM_MADV_HUGEPAGE, MM_MADV_UNMERGEABLE,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

		do_mmap(mm, B, 8 * P, RW, FIXED_PRIVATE);
		assert_int_equal(mm_madvise(mm, B + 2 * P, 2 * P, rows[i].advice), 0);
		check_valid(mm);
		assert_int_equal(count_vmas(mm), 3);
		expect_vma(mm, 1, B + 2 * P, B + 4 * P, F_RW | rows[i].set);
		assert_int_equal(mm_madvise(mm, B + 2 * P, 2 * P, undo[i]), 0);
		check_valid(mm);
		if (rows[i].advice == MM_MADV_HUGEPAGE || rows[i].advice == MM_MADV_NOHUGEPAGE) {
			/* the opposite flag is set instead: still three VMAs */
			assert_int_equal(count_vmas(mm), 3);
		} else {
			assert_int_equal(count_vmas(mm), 1);
			expect_vma(mm, 0, B, B + 8 * P, F_RW);
		}
		mm_destroy(mm);
	}
}

static void
test_mergeable_needs_private(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	do_mmap(mm, B, 4 * P, RW, MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_FIXED);
	assert_int_equal(mm_madvise(mm, B, 4 * P, MM_MADV_MERGEABLE), 0);
	expect_vma(mm, 0, B, B + 4 * P, F_SHARED);
	mm_destroy(mm);
}

/* Holes are skipped and reported at the end; the VMAs around them are changed. */
static void
test_holes(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	do_mmap(mm, B, 2 * P, RW, FIXED_PRIVATE);
	do_mmap(mm, B + 4 * P, 2 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_madvise(mm, B - P, 8 * P, MM_MADV_DONTFORK), -ENOMEM);
	check_valid(mm);
	expect_vma(mm, 0, B, B + 2 * P, F_RW | VM_DONTCOPY);
	expect_vma(mm, 1, B + 4 * P, B + 6 * P, F_RW | VM_DONTCOPY);
	mm_destroy(mm);
}

static void
test_dontneed(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_vma_info info;

	(void)state;
	do_mmap(mm, B, 8 * P, RW, FIXED_PRIVATE | MM_MAP_POPULATE);
	assert_int_equal(status_of(mm).rss_anon, 8);
	assert_int_equal(mm_madvise(mm, B + 2 * P, 3 * P, MM_MADV_DONTNEED), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 1);
	assert_int_equal(status_of(mm).rss_anon, 5);
	assert_int_equal(status_of(mm).hiwater_rss, 8);
	nth_vma(mm, 0, &info);
	assert_int_not_equal(info.anon_vma, 0);
	/* shared file pages are unmapped too */
	assert_int_equal(try_mmap(mm, B + 16 * P, 4 * P, MM_PROT_READ,
				  MM_MAP_SHARED | MM_MAP_FIXED | MM_MAP_POPULATE, &file_rw, 0,
				  NULL),
			 0);
	assert_int_equal(status_of(mm).rss_file, 4);
	assert_int_equal(mm_madvise(mm, B + 16 * P, 4 * P, MM_MADV_DONTNEED), 0);
	assert_int_equal(status_of(mm).rss_file, 0);
	check_valid(mm);
	mm_destroy(mm);
}

static void
test_populate(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	do_mmap(mm, B, 4 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_madvise(mm, B, 4 * P, MM_MADV_POPULATE_READ), 0);
	assert_int_equal(status_of(mm).rss_anon, 0);
	assert_int_equal(mm_madvise(mm, B, 4 * P, MM_MADV_POPULATE_WRITE), 0);
	assert_int_equal(status_of(mm).rss_anon, 4);
	do_mmap(mm, B + 8 * P, 4 * P, RW, MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_FIXED);
	assert_int_equal(mm_madvise(mm, B + 8 * P, 2 * P, MM_MADV_POPULATE_READ), 0);
	assert_int_equal(status_of(mm).rss_shmem, 2);
	check_valid(mm);
	mm_destroy(mm);
}

/* Split failures are reported as EAGAIN by madvise. */
static void
test_map_count_limit(void **state)
{
	struct mm *mm = new_mm_map_limit(1);

	(void)state;
	do_mmap(mm, B, 4 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_madvise(mm, B + P, P, MM_MADV_DONTFORK), -EAGAIN);
	assert_int_equal(mm_madvise(mm, B, 4 * P, MM_MADV_DONTFORK), 0);
	check_valid(mm);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno_table),
		cmocka_unit_test(test_flag_advice),
		cmocka_unit_test(test_mergeable_needs_private),
		cmocka_unit_test(test_holes),
		cmocka_unit_test(test_dontneed),
		cmocka_unit_test(test_populate),
		cmocka_unit_test(test_map_count_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
