/* SPDX-License-Identifier: MIT */
/*
 * mlockall/munlockall: the flag checks, MCL_CURRENT, MCL_FUTURE (def_flags) with and without
 * MCL_ONFAULT, the RLIMIT_MEMLOCK rules, and def_flags through fork and save/load
 * (mm/mlock.c: SYSCALL mlockall, apply_mlockall_flags(), munlockall; kernel/fork.c: mm_init()).
 */
#include "test_helpers.h"

#include <errno.h>
#include <stdlib.h>

#define B    0x10000000ULL
#define LOCK (VM_LOCKED | VM_LOCKONFAULT)

static struct mm *
mm_with(uint64_t memlock, bool cap)
{
	struct mm_config cfg;
	struct mm *mm = NULL;

	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.rlimit_memlock = memlock;
	cfg.cap_ipc_lock = cap;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	return mm;
}

static uint64_t
flags_at(struct mm *mm, uint64_t addr)
{
	struct mm_vma_info info;

	mm_vma_info(mm_vma_lookup(mm, addr), &info);
	return info.flags;
}

static uint64_t
rss_at(struct mm *mm, uint64_t addr)
{
	struct mm_vma_info info;

	mm_vma_info(mm_vma_lookup(mm, addr), &info);
	return info.rss_anon;
}

static void
test_errno(void **state)
{
	static const struct {
		uint64_t memlock;
		bool cap;
		uint32_t flags;
		int err;
	} rows[] = {
		{ 8 << 20, false, 0, -EINVAL },
		{ 8 << 20, false, MM_MCL_ONFAULT, -EINVAL },
		{ 8 << 20, false, 8, -EINVAL },
		{ 8 << 20, false, MM_MCL_CURRENT | 8, -EINVAL },
		{ 0, false, MM_MCL_FUTURE, -EPERM },
		{ 0, true, MM_MCL_CURRENT, 0 },
		{ 4 * P, false, MM_MCL_CURRENT, -ENOMEM },
		{ 4 * P, false, MM_MCL_CURRENT | MM_MCL_FUTURE, -ENOMEM },
		{ 4 * P, false, MM_MCL_FUTURE, 0 },
		{ 8 * P, false, MM_MCL_CURRENT, 0 }, /* total_vm 8 pages: at the limit */
		{ 4 * P, true, MM_MCL_CURRENT, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mm *mm = mm_with(rows[i].memlock, rows[i].cap);
		int err;

		do_mmap(mm, B, 8 * P, RW, FIXED_PRIVATE);
		err = mm_mlockall(mm, rows[i].flags);
		check_valid(mm);
		if (err != rows[i].err)
			fail_msg("row %zu: got %d, expected %d", i, err, rows[i].err);
		if (err)
			assert_int_equal(mm_def_flags(mm) & LOCK, 0);
		mm_destroy(mm);
	}
}

static void
test_current(void **state)
{
	struct mm *mm = mm_with(8 << 20, false);

	(void)state;
	do_mmap(mm, B, 4 * P, RW, FIXED_PRIVATE);
	do_mmap(mm, B + 4 * P, 4 * P, RW, FIXED_PRIVATE | MM_MAP_LOCKED);
	do_mmap(mm, B + 16 * P, 2 * P, MM_PROT_NONE, FIXED_PRIVATE);
	assert_int_equal(count_vmas(mm), 3);
	assert_int_equal(mm_mlockall(mm, MM_MCL_CURRENT), 0);
	check_valid(mm);
	/* The two halves now have equal flags and merge, as mlock_fixup() merges them. */
	assert_int_equal(count_vmas(mm), 2);
	expect_vma(mm, 0, B, B + 8 * P, flags_at(mm, B));
	assert_true(flags_at(mm, B) & VM_LOCKED);
	assert_true(flags_at(mm, B + 16 * P) & VM_LOCKED);
	assert_int_equal(rss_at(mm, B), 8);
	assert_int_equal(rss_at(mm, B + 16 * P), 0);
	assert_int_equal(status_of(mm).locked_vm, 10);
	/* Later mappings are not locked: MCL_FUTURE was not given. */
	assert_int_equal(mm_def_flags(mm) & LOCK, 0);
	do_mmap(mm, B + 32 * P, P, RW, FIXED_PRIVATE);
	assert_int_equal(flags_at(mm, B + 32 * P) & LOCK, 0);
	mm_destroy(mm);
}

static void
test_current_onfault(void **state)
{
	struct mm *mm = mm_with(8 << 20, false);

	(void)state;
	do_mmap(mm, B, 4 * P, RW, FIXED_PRIVATE | MM_MAP_LOCKED);
	do_mmap(mm, B + 8 * P, 4 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_mlockall(mm, MM_MCL_CURRENT | MM_MCL_ONFAULT), 0);
	check_valid(mm);
	assert_int_equal(flags_at(mm, B) & LOCK, LOCK);
	assert_int_equal(flags_at(mm, B + 8 * P) & LOCK, LOCK);
	assert_int_equal(rss_at(mm, B), 4);
	assert_int_equal(rss_at(mm, B + 8 * P), 0);
	/* MCL_CURRENT alone locks again with population, clearing VM_LOCKONFAULT. */
	assert_int_equal(mm_mlockall(mm, MM_MCL_CURRENT), 0);
	assert_int_equal(flags_at(mm, B + 8 * P) & LOCK, VM_LOCKED);
	assert_int_equal(rss_at(mm, B + 8 * P), 4);
	mm_destroy(mm);
}

static void
test_future(void **state)
{
	struct mm *mm = mm_with(8 << 20, false);
	uint64_t a, brk0;

	(void)state;
	do_mmap(mm, B, 4 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_mlockall(mm, MM_MCL_FUTURE), 0);
	/* Existing mappings are left alone. */
	assert_int_equal(flags_at(mm, B) & LOCK, 0);
	a = do_mmap(mm, 0, 4 * P, RW, ANON_PRIVATE);
	assert_int_equal(flags_at(mm, a) & LOCK, VM_LOCKED);
	assert_int_equal(rss_at(mm, a), 4);
	brk0 = mm_brk(mm, 0);
	assert_int_equal(mm_brk(mm, brk0 + 2 * P), brk0 + 2 * P);
	assert_int_equal(flags_at(mm, brk0) & LOCK, VM_LOCKED);
	assert_int_equal(rss_at(mm, brk0), 2);
	assert_int_equal(status_of(mm).locked_vm, 6);
	check_valid(mm);
	mm_destroy(mm);
}

static void
test_future_onfault(void **state)
{
	struct mm *mm = mm_with(8 << 20, false);
	uint64_t a;

	(void)state;
	assert_int_equal(mm_mlockall(mm, MM_MCL_FUTURE | MM_MCL_ONFAULT), 0);
	a = do_mmap(mm, 0, 4 * P, RW, ANON_PRIVATE | MM_MAP_POPULATE);
	assert_int_equal(flags_at(mm, a) & LOCK, LOCK);
	assert_int_equal(rss_at(mm, a), 0);
	check_valid(mm);
	mm_destroy(mm);
}

/* mlock_future_ok(): a later mapping beyond RLIMIT_MEMLOCK is refused with EAGAIN. */
static void
test_future_limit(void **state)
{
	struct mm *mm = mm_with(2 * P, false);
	uint64_t out;

	(void)state;
	do_mmap(mm, B, 4 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_mlockall(mm, MM_MCL_FUTURE), 0);
	assert_int_equal(try_mmap(mm, 0, 4 * P, RW, ANON_PRIVATE, NULL, 0, &out), -EAGAIN);
	assert_int_equal(try_mmap(mm, 0, P, RW, ANON_PRIVATE, NULL, 0, &out), 0);
	/* total_vm (5 pages), not locked_vm, is what MCL_CURRENT is checked against. */
	assert_int_equal(mm_mlockall(mm, MM_MCL_CURRENT), -ENOMEM);
	/* The failed call left def_flags as they were. */
	assert_int_equal(mm_def_flags(mm) & LOCK, VM_LOCKED);
	check_valid(mm);
	mm_destroy(mm);
}

static void
test_munlockall(void **state)
{
	struct mm *mm = mm_with(8 << 20, false);
	uint64_t a;

	(void)state;
	do_mmap(mm, B, 4 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_mlockall(mm, MM_MCL_CURRENT | MM_MCL_FUTURE | MM_MCL_ONFAULT), 0);
	assert_int_equal(mm_def_flags(mm) & LOCK, LOCK);
	assert_int_equal(mm_munlockall(mm), 0);
	check_valid(mm);
	assert_int_equal(mm_def_flags(mm) & LOCK, 0);
	assert_int_equal(flags_at(mm, B) & LOCK, 0);
	assert_int_equal(status_of(mm).locked_vm, 0);
	a = do_mmap(mm, 0, P, RW, ANON_PRIVATE);
	assert_int_equal(flags_at(mm, a) & LOCK, 0);
	mm_destroy(mm);
}

/* mm_init(): the child's def_flags keep VM_NOHUGEPAGE only. */
static void
test_fork(void **state)
{
	struct mm *mm = mm_with(8 << 20, false), *child = NULL;
	uint64_t a;

	(void)state;
	do_mmap(mm, B, 4 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_mlockall(mm, MM_MCL_CURRENT | MM_MCL_FUTURE), 0);
	assert_int_equal(mm_fork(mm, &child), 0);
	check_valid(child);
	assert_int_equal(mm_def_flags(child) & LOCK, 0);
	assert_int_equal(flags_at(child, B) & LOCK, 0);
	a = do_mmap(child, 0, P, RW, ANON_PRIVATE);
	assert_int_equal(flags_at(child, a) & LOCK, 0);
	a = do_mmap(mm, 0, P, RW, ANON_PRIVATE);
	assert_int_equal(flags_at(mm, a) & LOCK, VM_LOCKED);
	mm_destroy(child);
	mm_destroy(mm);
}

static void
test_save_load(void **state)
{
	struct mm *mm = mm_with(8 << 20, false), *copy = NULL;
	struct mm_sbuf b = { 0 };
	char msg[128];
	uint64_t a;

	(void)state;
	assert_int_equal(mm_mlockall(mm, MM_MCL_FUTURE | MM_MCL_ONFAULT), 0);
	assert_int_equal(mm_save(mm, &b), 0);
	assert_int_equal(mm_load(b.data, b.len, NULL, &copy, msg, sizeof(msg)), 0);
	assert_int_equal(mm_def_flags(copy), mm_def_flags(mm));
	a = do_mmap(copy, 0, P, RW, ANON_PRIVATE);
	assert_int_equal(flags_at(copy, a) & LOCK, LOCK);
	mm_sbuf_free(&b);
	mm_destroy(copy);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno),           cmocka_unit_test(test_current),
		cmocka_unit_test(test_current_onfault), cmocka_unit_test(test_future),
		cmocka_unit_test(test_future_onfault),  cmocka_unit_test(test_future_limit),
		cmocka_unit_test(test_munlockall),      cmocka_unit_test(test_fork),
		cmocka_unit_test(test_save_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
