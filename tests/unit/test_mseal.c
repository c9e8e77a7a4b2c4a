/* SPDX-License-Identifier: MIT */
/*
 * mseal(2) (mm/mseal.c: do_mseal, mseal_apply) and what a seal refuses.  The expectations are
 * what the 6.18 kernel did for the same calls (tests/conformance draws mseal as well).
 */
#include "test_helpers.h"

#include <errno.h>

#define A   0x200000000000ULL
#define SEA (F_RW | VM_SEALED)

static struct mm *
sealed_middle(void)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	do_mmap(mm, A, 8 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_mseal(mm, A + 4 * P, 2 * P, 0), 0);
	check_valid(mm);
	expect_vma(mm, 1, A + 4 * P, A + 6 * P, SEA);
	return mm;
}

static void
argument_checks(void **state)
{
	struct mm *mm = sealed_middle();

	(void)state;
	assert_int_equal(mm_mseal(mm, A + 6 * P, 4 * P, 0), -ENOMEM);
	assert_int_equal(mm_mseal(mm, A + 6 * P, P, 1), -EINVAL);
	assert_int_equal(mm_mseal(mm, A + 6 * P, 0, 0), 0);
	assert_int_equal(mm_mseal(mm, A + 6 * P + 1, P, 0), -EINVAL);
	assert_int_equal(mm_mseal(mm, A + 6 * P, 0 - P, 0), -EINVAL);
	assert_int_equal(mm_mseal(mm, A + 6 * P, 0 - (P - 1), 0), -EINVAL);
	assert_int_equal(count_vmas(mm), 3);
	mm_destroy(mm);
}

/* munmap across a sealed VMA: EPERM, and the split at the start stays. */
static void
munmap_refused_split_stays(void **state)
{
	struct mm *mm = sealed_middle();

	(void)state;
	assert_int_equal(mm_munmap(mm, A + P, 4 * P), -EPERM);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 4);
	expect_vma(mm, 0, A, A + P, F_RW);
	expect_vma(mm, 1, A + P, A + 4 * P, F_RW);
	assert_int_equal(mm_munmap(mm, A + P, P), 0);
	assert_int_equal(try_mmap(mm, A + 4 * P, P, RW, FIXED_PRIVATE, NULL, 0, NULL), -EPERM);
	mm_destroy(mm);
}

/* mprotect changes the VMAs before the sealed one, then fails. */
static void
mprotect_partial(void **state)
{
	struct mm *mm = sealed_middle();

	(void)state;
	assert_int_equal(mm_mprotect(mm, A + 2 * P, 4 * P, MM_PROT_READ), -EPERM);
	check_valid(mm);
	expect_vma(mm, 1, A + 2 * P, A + 4 * P, F_RO);
	assert_int_equal(mm_mprotect(mm, A + 4 * P, P, MM_PROT_READ | MM_PROT_WRITE), -EPERM);
	mm_destroy(mm);
}

/* mremap of a sealed VMA; a brk shrink; discarding advice on read-only anonymous memory. */
static void
mremap_brk_madvise(void **state)
{
	struct mm *mm = sealed_middle();
	uint64_t out, brk = mm_brk(mm, 0);

	(void)state;
	assert_int_equal(mm_mremap(mm, A + 4 * P, P, P, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED,
				   0x300000000000ULL, &out),
			 -EPERM);
	/* Writable: DONTNEED is allowed. */
	assert_int_equal(mm_madvise(mm, A + 4 * P, 2 * P, MM_MADV_DONTNEED), 0);
	assert_int_equal(mm_mprotect(mm, A + 6 * P, 2 * P, MM_PROT_READ), 0);
	assert_int_equal(mm_mseal(mm, A + 6 * P, 2 * P, 0), 0);
	assert_int_equal(mm_madvise(mm, A + 6 * P, P, MM_MADV_DONTNEED), -EPERM);
	assert_int_equal(mm_madvise(mm, A + 6 * P, P, MM_MADV_DONTFORK), -EPERM);
	assert_int_equal(mm_madvise(mm, A + 6 * P, P, MM_MADV_HUGEPAGE), 0);
	assert_int_equal(mm_brk(mm, brk + 4 * P), brk + 4 * P);
	assert_int_equal(mm_mseal(mm, brk, 4 * P, 0), 0);
	assert_int_equal(mm_brk(mm, brk), brk + 4 * P);
	check_valid(mm);
	mm_destroy(mm);
}

/* Sealing a range that covers a sealed VMA merges the pieces, as the kernel leaves them. */
static void
reseal_merges(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	do_mmap(mm, A, 5 * P, MM_PROT_READ | MM_PROT_EXEC, FIXED_PRIVATE);
	assert_int_equal(mm_mseal(mm, A + 2 * P, P, 0), 0);
	assert_int_equal(count_vmas(mm), 3);
	assert_int_equal(mm_mseal(mm, A + P, 4 * P, 0), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 2);
	expect_vma(mm, 1, A + P, A + 5 * P, VM_READ | VM_EXEC | MAYS | VM_SEALED);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(argument_checks),  cmocka_unit_test(munmap_refused_split_stays),
		cmocka_unit_test(mprotect_partial), cmocka_unit_test(mremap_brk_madvise),
		cmocka_unit_test(reseal_merges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
