/* SPDX-License-Identifier: MIT */
/*
 * mlock2/munlock: errno as mlock(2) gives it, MLOCK_ONFAULT, locked_vm and population
 * (mm/mlock.c: do_mlock(), apply_vma_lock_flags(), mlock_fixup()).
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
		uint32_t flags;
		int err;
	} rows[] = {
		{ "72 not mapped", 0x50000000, P, 0, -ENOMEM },
		{ "72 starts in a hole", B - P, 2 * P, 0, -ENOMEM },
		{ "72 hole inside", B, 12 * P, 0, -ENOMEM },
		{ "74 beyond memlock", B, 9 << 20, 0, -ENOMEM },
		{ "75 PROT_NONE", B + 8 * P, P, 0, -ENOMEM },
		{ "76 bad flag", B, P, 2, -EINVAL },
		{ "len 0", B, 0, 0, 0 },
		{ "len 0 unmapped", 0x50000000, 0, 0, 0 },
		{ "unaligned start", B + 1, P, 0, 0 },
		{ "onfault", B, 4 * P, MM_MLOCK_ONFAULT, 0 },
		{ "end wraps", B, 0xFFFFFFFFF0001000ULL, 0, -EINVAL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mm_config cfg;
		struct mm *mm;
		int err;

		mm_config_init(&cfg, MM_LAYOUT_X86_64);
		cfg.cap_ipc_lock = i == sizeof(rows) / sizeof(rows[0]) - 1;
		assert_int_equal(mm_create(&cfg, &mm), 0);
		do_mmap(mm, B, 8 * P, RW, FIXED_PRIVATE);
		do_mmap(mm, B + 8 * P, P, MM_PROT_NONE, FIXED_PRIVATE);
		err = mm_mlock(mm, rows[i].addr, rows[i].len, rows[i].flags);
		check_valid(mm);
		if (err != rows[i].err)
			fail_msg("row %s: got %d, expected %d", rows[i].name, err, rows[i].err);
		mm_destroy(mm);
	}
}

/* Row 73. */
static void
test_memlock_zero(void **state)
{
	struct mm_config cfg;
	struct mm *mm;

	(void)state;
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.rlimit_memlock = 0;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	do_mmap(mm, B, P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_mlock(mm, B, P, 0), -EPERM);
	assert_int_equal(mm_mlock(mm, B, 0, 0), -EPERM);
	/* munlock has no such check */
	assert_int_equal(mm_munlock(mm, B, P), 0);
	mm_destroy(mm);
}

static void
test_lock_and_unlock(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_status st;

	(void)state;
	do_mmap(mm, B, 8 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_mlock(mm, B + 2 * P, 2 * P, 0), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 3);
	expect_vma(mm, 1, B + 2 * P, B + 4 * P, F_RW | VM_LOCKED);
	st = status_of(mm);
	assert_int_equal(st.locked_vm, 2);
	assert_int_equal(st.rss_anon, 2);
	/* locking again does not count twice */
	assert_int_equal(mm_mlock(mm, B, 8 * P, 0), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 1);
	assert_int_equal(status_of(mm).locked_vm, 8);
	assert_int_equal(status_of(mm).rss_anon, 8);
	/* munlock splits and merges back; pages stay */
	assert_int_equal(mm_munlock(mm, B + 4 * P, 4 * P), 0);
	assert_int_equal(count_vmas(mm), 2);
	assert_int_equal(mm_munlock(mm, B, 4 * P), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 1);
	expect_vma(mm, 0, B, B + 8 * P, F_RW);
	st = status_of(mm);
	assert_int_equal(st.locked_vm, 0);
	assert_int_equal(st.rss_anon, 8);
	/* munlock over a hole fails like mlock */
	assert_int_equal(mm_munlock(mm, B, 16 * P), -ENOMEM);
	mm_destroy(mm);
}

/* Row 75: mlock on PROT_NONE sets VM_LOCKED and then fails to populate. */
static void
test_prot_none(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	do_mmap(mm, B, 4 * P, MM_PROT_NONE, FIXED_PRIVATE);
	assert_int_equal(mm_mlock(mm, B, 4 * P, 0), -ENOMEM);
	check_valid(mm);
	expect_vma(mm, 0, B, B + 4 * P, F_NONE | VM_LOCKED);
	assert_int_equal(status_of(mm).locked_vm, 4);
	mm_destroy(mm);
}

static void
test_onfault(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	do_mmap(mm, B, 4 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_mlock(mm, B, 4 * P, MM_MLOCK_ONFAULT), 0);
	expect_vma(mm, 0, B, B + 4 * P, F_RW | VM_LOCKED | VM_LOCKONFAULT);
	assert_int_equal(status_of(mm).rss_anon, 0);
	assert_int_equal(status_of(mm).locked_vm, 4);
	/* a plain mlock replaces LOCKONFAULT and populates */
	assert_int_equal(mm_mlock(mm, B, 4 * P, 0), 0);
	expect_vma(mm, 0, B, B + 4 * P, F_RW | VM_LOCKED);
	assert_int_equal(status_of(mm).rss_anon, 4);
	assert_int_equal(status_of(mm).locked_vm, 4);
	check_valid(mm);
	mm_destroy(mm);
}

/* A file mapping that reaches beyond EOF: population fails there, mlock says ENOMEM. */
static void
test_beyond_eof(void **state)
{
	static const struct mm_file_desc f = {
		.path = "/tmp/small",
		.instance = 1,
		.mode = MM_FMODE_READ,
		.ino = 3,
		.size = 5000,
	};
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	assert_int_equal(
		try_mmap(mm, B, 4 * P, MM_PROT_READ, MM_MAP_PRIVATE | MM_MAP_FIXED, &f, 0, NULL),
		0);
	assert_int_equal(mm_mlock(mm, B, 4 * P, 0), -ENOMEM);
	check_valid(mm);
	assert_int_equal(status_of(mm).rss_file, 2);
	assert_int_equal(status_of(mm).locked_vm, 4);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno_table),     cmocka_unit_test(test_memlock_zero),
		cmocka_unit_test(test_lock_and_unlock), cmocka_unit_test(test_prot_none),
		cmocka_unit_test(test_onfault),         cmocka_unit_test(test_beyond_eof),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
