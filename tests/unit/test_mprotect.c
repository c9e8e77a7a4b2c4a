/* SPDX-License-Identifier: MIT */
/*
 * mprotect: errno (mprotect(2); mm/mprotect.c: do_mprotect_pkey()), split and merge
 * (mm/mprotect.c: mprotect_fixup(); mm/vma.c: vma_modify_flags()), VM_ACCOUNT, accounting.
 */
#include "test_helpers.h"

#include <errno.h>

#define B       0x10000000ULL
#define F_NR_RW (VM_READ | VM_WRITE | MAYS | VM_NORESERVE)
#define F_NR_RO (VM_READ | MAYS | VM_NORESERVE)

static const struct mm_file_desc file_ro = {
	.path = "/tmp/f",
	.instance = 1,
	.mode = MM_FMODE_READ,
	.ino = 5,
	.size = 1 << 20,
};

static struct mm *
setup(void)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	do_mmap(mm, B, 4 * P, RW, FIXED_PRIVATE);
	do_mmap(mm, B + 8 * P, 4 * P, RW, FIXED_PRIVATE);
	assert_int_equal(try_mmap(mm, B + 16 * P, 4 * P, MM_PROT_READ, MM_MAP_SHARED | MM_MAP_FIXED,
				  &file_ro, 0, NULL),
			 0);
	return mm;
}

static void
test_errno_table(void **state)
{
	static const struct {
		const char *name;
		uint64_t addr, len;
		uint32_t prot;
		int err;
	} rows[] = {
		{ "38 unaligned", B + 1, P, MM_PROT_READ, -EINVAL },
		{ "39 unaligned len 0", B + 1, 0, MM_PROT_READ, -EINVAL },
		{ "40 len 0", B, 0, MM_PROT_READ, 0 },
		{ "40 len 0 unmapped", 0x70000000, 0, MM_PROT_READ, 0 },
		{ "41 unknown prot bit", B, P, 0x10, -EINVAL },
		{ "41 PROT_SEM is fine", B, P, MM_PROT_READ | MM_PROT_SEM, 0 },
		{ "42 both grows bits", B, P, MM_PROT_READ | MM_PROT_GROWSDOWN | MM_PROT_GROWSUP,
		  -EINVAL },
		{ "43 growsdown on plain", B, P, MM_PROT_READ | MM_PROT_GROWSDOWN, -EINVAL },
		{ "growsup on x86", B, P, MM_PROT_READ | MM_PROT_GROWSUP, -EINVAL },
		{ "44 NULL", 0, P, MM_PROT_READ, -ENOMEM },
		{ "44 NULL, P+1", 0, P + 1, MM_PROT_READ, -ENOMEM },
		{ "44 start in hole", B + 4 * P, P, MM_PROT_READ, -ENOMEM },
		{ "45 hole inside", B, 12 * P, MM_PROT_READ, -ENOMEM },
		{ "45 runs past the end", B + 8 * P, 5 * P, MM_PROT_READ, -ENOMEM },
		{ "46 wraps", B, UINT64_MAX - B, MM_PROT_READ, -ENOMEM },
		{ "46 align wraps", B, UINT64_MAX - 100, MM_PROT_READ, -ENOMEM },
		{ "47 write on shared rdonly file", B + 16 * P, P, RW, -EACCES },
		{ "48 exec on shared rdonly file", B + 16 * P, P, MM_PROT_READ | MM_PROT_EXEC, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mm *mm = setup();
		int err = mm_mprotect(mm, rows[i].addr, rows[i].len, rows[i].prot);

		check_valid(mm);
		if (err != rows[i].err)
			fail_msg("row %s: got %d, expected %d", rows[i].name, err, rows[i].err);
		mm_destroy(mm);
	}
}

/* Row 45: the VMAs before the hole have been changed already. */
static void
test_partial_application(void **state)
{
	struct mm *mm = setup();

	(void)state;
	assert_int_equal(mm_mprotect(mm, B + 2 * P, 10 * P, MM_PROT_READ), -ENOMEM);
	check_valid(mm);
	expect_vma(mm, 0, B, B + 2 * P, F_RW);
	/* unwritten: VM_ACCOUNT goes away with write permission */
	expect_vma(mm, 1, B + 2 * P, B + 4 * P, F_RO);
	expect_vma(mm, 2, B + 8 * P, B + 12 * P, F_RW);
	/* a range that only ends in a hole also fails, after the change */
	assert_int_equal(mm_mprotect(mm, B + 8 * P, 6 * P, MM_PROT_READ), -ENOMEM);
	expect_vma(mm, 2, B + 8 * P, B + 12 * P, F_RO);
	mm_destroy(mm);
}

static void
test_split_and_merge_back(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_status st;

	(void)state;
	do_mmap(mm, B, 8 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_mprotect(mm, B + 2 * P, 2 * P, MM_PROT_READ), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 3);
	expect_vma(mm, 1, B + 2 * P, B + 4 * P, F_RO);
	st = status_of(mm);
	assert_int_equal(st.data_vm, 6);
	assert_int_equal(st.total_vm, 8);
	/* back to RW: one VMA again (the middle gets VM_ACCOUNT back) */
	assert_int_equal(mm_mprotect(mm, B + 2 * P, 2 * P, RW), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 1);
	expect_vma(mm, 0, B, B + 8 * P, F_RW);
	assert_int_equal(status_of(mm).data_vm, 8);
	/* same protection: nothing happens, not even a split */
	assert_int_equal(mm_mprotect(mm, B + P, P, RW), 0);
	assert_int_equal(count_vmas(mm), 1);
	/* head and tail changes merge into neighbours */
	assert_int_equal(mm_mprotect(mm, B, 2 * P, MM_PROT_READ), 0);
	assert_int_equal(mm_mprotect(mm, B + 6 * P, 2 * P, MM_PROT_READ), 0);
	assert_int_equal(count_vmas(mm), 3);
	assert_int_equal(mm_mprotect(mm, B + 2 * P, P, MM_PROT_READ), 0);
	check_valid(mm);
	expect_vma(mm, 0, B, B + 3 * P, F_RO);
	expect_vma(mm, 1, B + 3 * P, B + 6 * P, F_RW);
	assert_int_equal(mm_mprotect(mm, B + 5 * P, P, MM_PROT_READ), 0);
	check_valid(mm);
	expect_vma(mm, 2, B + 5 * P, B + 8 * P, F_RO);
	/* the whole middle joins both sides */
	assert_int_equal(mm_mprotect(mm, B + 3 * P, 2 * P, MM_PROT_READ), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 1);
	expect_vma(mm, 0, B, B + 8 * P, F_RO);
	mm_destroy(mm);
}

/*
 * mm/mprotect.c: mprotect_fixup(): anonymous private memory made read-only before any write
 * (no anon_vma yet) drops VM_ACCOUNT, so it merges with a fresh read-only neighbour; once
 * written it keeps VM_ACCOUNT.
 */
static void
test_account_rules(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	enum mm_fault_result res;

	(void)state;
	/* RW, all made RO before any write, then a fresh RO page next to it: one VMA */
	do_mmap(mm, B, 2 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_mprotect(mm, B, 2 * P, MM_PROT_READ), 0);
	expect_vma(mm, 0, B, B + 2 * P, F_RO);
	do_mmap(mm, B + 2 * P, P, MM_PROT_READ, FIXED_PRIVATE);
	assert_int_equal(count_vmas(mm), 1);
	/* the same after a write: the written VMA keeps VM_ACCOUNT, two VMAs */
	do_mmap(mm, B + 8 * P, 2 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_fault(mm, B + 8 * P, MM_ACCESS_WRITE, &res), 0);
	assert_int_equal(res, MM_FAULT_OK);
	assert_int_equal(mm_mprotect(mm, B + 8 * P, 2 * P, MM_PROT_READ), 0);
	expect_vma(mm, 1, B + 8 * P, B + 10 * P, F_RO | VM_ACCOUNT);
	do_mmap(mm, B + 10 * P, P, MM_PROT_READ, FIXED_PRIVATE);
	assert_int_equal(count_vmas(mm), 3);
	/* RO made RW gains VM_ACCOUNT; NORESERVE does not */
	do_mmap(mm, B + 16 * P, P, MM_PROT_READ, FIXED_PRIVATE);
	assert_int_equal(mm_mprotect(mm, B + 16 * P, P, RW), 0);
	expect_vma(mm, 3, B + 16 * P, B + 17 * P, F_RW);
	do_mmap(mm, B + 20 * P, P, MM_PROT_READ, FIXED_PRIVATE | MM_MAP_NORESERVE);
	assert_int_equal(mm_mprotect(mm, B + 20 * P, P, RW), 0);
	expect_vma(mm, 4, B + 20 * P, B + 21 * P, F_NR_RW);
	check_valid(mm);
	mm_destroy(mm);
}

/* selftest mprotect_unfaulted_left/right: written and unwritten neighbours merge (6.16+). */
static void
test_unfaulted_merges(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	enum mm_fault_result res;

	(void)state;
	do_mmap(mm, B, 10 * P, RW, FIXED_PRIVATE | MM_MAP_NORESERVE);
	assert_int_equal(mm_mprotect(mm, B, 5 * P, MM_PROT_READ), 0);
	assert_int_equal(mm_fault(mm, B + 5 * P, MM_ACCESS_WRITE, &res), 0);
	assert_int_equal(mm_mprotect(mm, B + 5 * P, 5 * P, MM_PROT_READ), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 1);
	expect_vma(mm, 0, B, B + 10 * P, F_NR_RO);
	mm_destroy(mm);

	mm = new_mm(MM_LAYOUT_X86_64, false);
	do_mmap(mm, B, 10 * P, RW, FIXED_PRIVATE | MM_MAP_NORESERVE);
	assert_int_equal(mm_mprotect(mm, B + 5 * P, 5 * P, MM_PROT_READ), 0);
	assert_int_equal(mm_fault(mm, B, MM_ACCESS_WRITE, &res), 0);
	assert_int_equal(mm_mprotect(mm, B, 5 * P, MM_PROT_READ), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 1);
	mm_destroy(mm);

	/* both neighbours written separately: only the left merge happens */
	mm = new_mm(MM_LAYOUT_X86_64, false);
	do_mmap(mm, B, 9 * P, RW, FIXED_PRIVATE | MM_MAP_NORESERVE);
	assert_int_equal(mm_mprotect(mm, B + 3 * P, 3 * P, MM_PROT_READ), 0);
	assert_int_equal(mm_fault(mm, B, MM_ACCESS_WRITE, &res), 0);
	assert_int_equal(mm_fault(mm, B + 6 * P, MM_ACCESS_WRITE, &res), 0);
	assert_int_equal(mm_mprotect(mm, B + 3 * P, 3 * P, RW), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 2);
	expect_vma(mm, 0, B, B + 6 * P, F_NR_RW);
	mm_destroy(mm);
}

static void
test_growsdown(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	do_mmap(mm, B, 8 * P, RW, FIXED_PRIVATE | MM_MAP_GROWSDOWN);
	/* PROT_GROWSDOWN extends the range down to the VMA start */
	assert_int_equal(mm_mprotect(mm, B + 4 * P, 2 * P, MM_PROT_READ | MM_PROT_GROWSDOWN), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 2);
	expect_vma(mm, 0, B, B + 6 * P, F_RO | VM_GROWSDOWN);
	assert_int_equal(status_of(mm).stack_vm, 8);
	/* the range must still reach the VMA */
	assert_int_equal(mm_mprotect(mm, B - 2 * P, P, MM_PROT_READ | MM_PROT_GROWSDOWN), -ENOMEM);
	mm_destroy(mm);
}

static void
test_may_bits(void **state)
{
	static const struct mm_file_desc noexec = {
		.path = "/mnt/x",
		.instance = 1,
		.mode = MM_FMODE_READ,
		.ino = 9,
		.noexec = true,
		.size = 1 << 20,
	};
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	/* a private read-only file mapping may become writable (copy on write) */
	assert_int_equal(
		try_mmap(mm, B, P, MM_PROT_READ, MM_MAP_PRIVATE | MM_MAP_FIXED, &file_ro, 0, NULL),
		0);
	assert_int_equal(mm_mprotect(mm, B, P, RW), 0);
	expect_vma(mm, 0, B, B + P, F_RW);
	/* no MAYEXEC on a noexec mount */
	assert_int_equal(try_mmap(mm, B + 4 * P, P, MM_PROT_READ, MM_MAP_PRIVATE | MM_MAP_FIXED,
				  &noexec, 0, NULL),
			 0);
	assert_int_equal(mm_mprotect(mm, B + 4 * P, P, MM_PROT_READ | MM_PROT_EXEC), -EACCES);
	check_valid(mm);
	mm_destroy(mm);
}

/* Row 49, and a first split that succeeded stays when the second fails. */
static void
test_map_count_limit(void **state)
{
	struct mm *mm = new_mm_map_limit(2);

	(void)state;
	do_mmap(mm, B, 8 * P, RW, FIXED_PRIVATE);
	do_mmap(mm, 0x20000000, P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_mprotect(mm, B + 2 * P, P, MM_PROT_READ), -ENOMEM);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 2);
	/* a merge needs no split and works at the limit */
	assert_int_equal(mm_munmap(mm, 0x20000000, P), 0);
	assert_int_equal(mm_mprotect(mm, B + 2 * P, P, MM_PROT_READ), -ENOMEM);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 2);
	expect_vma(mm, 0, B, B + 2 * P, F_RW);
	expect_vma(mm, 1, B + 2 * P, B + 8 * P, F_RW);
	assert_int_equal(mm_mprotect(mm, B, 2 * P, MM_PROT_READ), 0);
	check_valid(mm);
	mm_destroy(mm);
}

/* A locked private VMA made writable is populated at once. */
static void
test_locked_becomes_writable(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	do_mmap(mm, B, 4 * P, MM_PROT_READ, FIXED_PRIVATE | MM_MAP_LOCKED);
	assert_int_equal(status_of(mm).rss_anon, 0);
	assert_int_equal(mm_mprotect(mm, B, 4 * P, RW), 0);
	check_valid(mm);
	assert_int_equal(status_of(mm).rss_anon, 4);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno_table),
		cmocka_unit_test(test_partial_application),
		cmocka_unit_test(test_split_and_merge_back),
		cmocka_unit_test(test_account_rules),
		cmocka_unit_test(test_unfaulted_merges),
		cmocka_unit_test(test_growsdown),
		cmocka_unit_test(test_may_bits),
		cmocka_unit_test(test_map_count_limit),
		cmocka_unit_test(test_locked_becomes_writable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
