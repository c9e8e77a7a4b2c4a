/* SPDX-License-Identifier: MIT */
/*
 * Merge rules (mm/vma.c: vma_merge_new_range(), vma_merge_existing_range(),
 * is_mergeable_anon_vma(), can_vma_merge_before()/after()): anon_vma compatibility, the
 * both-sides rule, pgoff continuity; a stress run.
 */
#include "test_helpers.h"

#include <errno.h>

#define B 0x10000000ULL

static void
write_page(struct mm *mm, uint64_t addr)
{
	enum mm_fault_result res;

	assert_int_equal(mm_fault(mm, addr, MM_ACCESS_WRITE, &res), 0);
	assert_int_equal(res, MM_FAULT_OK);
	check_valid(mm);
}

/* EMP case 6: faulted A | fresh | B faulted separately -> [A + fresh] and B. */
static void
test_both_sides_rule(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	do_mmap(mm, B, 2 * P, RW, FIXED_PRIVATE);
	do_mmap(mm, B + 3 * P, 2 * P, RW, FIXED_PRIVATE);
	write_page(mm, B);
	write_page(mm, B + 3 * P);
	do_mmap(mm, B + 2 * P, P, RW, FIXED_PRIVATE);
	assert_int_equal(count_vmas(mm), 2);
	expect_vma(mm, 0, B, B + 3 * P, F_RW);
	expect_vma(mm, 1, B + 3 * P, B + 5 * P, F_RW);
	mm_destroy(mm);

	/* one side faulted: all three merge, the result keeps that anon_vma */
	mm = new_mm(MM_LAYOUT_X86_64, false);
	do_mmap(mm, B, 2 * P, RW, FIXED_PRIVATE);
	do_mmap(mm, B + 3 * P, 2 * P, RW, FIXED_PRIVATE);
	write_page(mm, B + 3 * P);
	do_mmap(mm, B + 2 * P, P, RW, FIXED_PRIVATE);
	assert_int_equal(count_vmas(mm), 1);
	mm_destroy(mm);
}

/* selftest mremap_unfaulted_between_faulted, through mremap. */
static void
test_mremap_between_faulted(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	uint64_t out;

	(void)state;
	do_mmap(mm, B, 3 * P, RW, FIXED_PRIVATE);
	do_mmap(mm, 0x50000000, P, RW, FIXED_PRIVATE);
	/* split the anon_vma: fault each side after unmapping the middle */
	assert_int_equal(mm_munmap(mm, B + P, P), 0);
	write_page(mm, B);
	write_page(mm, B + 2 * P);
	assert_int_equal(
		mm_mremap(mm, 0x50000000, P, P, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED, B + P, &out),
		0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 2);
	expect_vma(mm, 0, B, B + 2 * P, F_RW);
	mm_destroy(mm);
}

/* A written VMA moved away keeps its pgoff and does not merge with a fresh neighbour. */
static void
test_moved_written_pgoff(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	uint64_t out;

	(void)state;
	do_mmap(mm, B, 2 * P, RW, FIXED_PRIVATE);
	write_page(mm, B);
	assert_int_equal(mm_mremap(mm, B, 2 * P, 2 * P, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED,
				   0x50000000, &out),
			 0);
	do_mmap(mm, 0x50002000, P, RW, FIXED_PRIVATE);
	assert_int_equal(count_vmas(mm), 2);
	/* an unwritten one takes the new place's pgoff and merges */
	do_mmap(mm, B, 2 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_mremap(mm, B, 2 * P, 2 * P, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED,
				   0x50003000, &out),
			 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 2);
	expect_vma(mm, 1, 0x50002000, 0x50005000, F_RW);
	mm_destroy(mm);
}

/* VM_SOFTDIRTY-like sticky bits are ignored, every other flag counts. */
static void
test_flag_differences(void **state)
{
	static const uint32_t extra[] = { MM_MAP_LOCKED, MM_MAP_NORESERVE, MM_MAP_STACK,
					  MM_MAP_GROWSDOWN, MM_MAP_SYNC };
	(void)state;
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

		do_mmap(mm, B, P, RW, FIXED_PRIVATE);
		do_mmap(mm, B + P, P, RW, FIXED_PRIVATE | extra[i]);
		assert_int_equal(count_vmas(mm), 2);
		do_mmap(mm, B + 2 * P, P, RW, FIXED_PRIVATE | extra[i]);
		assert_int_equal(count_vmas(mm), 2);
		mm_destroy(mm);
	}
}

struct rng {
	uint64_t s;
};

static uint64_t
rng_next(struct rng *r, uint64_t below)
{
	r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (r->s >> 33) % below;
}

/* A long random run over a small window: mm_validate after every operation. */
static void
test_stress(void **state)
{
	static const uint32_t prots[] = { MM_PROT_NONE, MM_PROT_READ, RW, RW | MM_PROT_EXEC };
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, true), *child;
	struct rng r = { 42 };
	enum mm_fault_result res;
	uint64_t out;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		uint64_t a = B + rng_next(&r, 64) * P, len = (1 + rng_next(&r, 8)) * P;
		uint32_t prot = prots[rng_next(&r, 4)];

		switch (rng_next(&r, 9)) {
		case 0:
			mm_mmap(mm, a, len, prot, FIXED_PRIVATE, NULL, 0, &out);
			break;
		case 1:
			mm_munmap(mm, a, len);
			break;
		case 2:
			mm_mprotect(mm, a, len, prot);
			break;
		case 3:
			mm_fault(mm, a, MM_ACCESS_WRITE, &res);
			break;
		case 4:
			mm_mremap(mm, a, len, (1 + rng_next(&r, 8)) * P, MM_MREMAP_MAYMOVE, 0,
				  &out);
			break;
		case 5:
			mm_madvise(mm, a, len,
				   rng_next(&r, 2) ? MM_MADV_DONTNEED : MM_MADV_DONTFORK);
			break;
		case 6:
			mm_mlock(mm, a, len, 0);
			break;
		case 7:
			mm_brk(mm, 0x555555560000ULL + rng_next(&r, 16) * P);
			break;
		default:
			mm_mmap(mm, 0, len, prot, ANON_PRIVATE | MM_MAP_POPULATE, NULL, 0, &out);
			break;
		}
		check_valid(mm);
		if (i % 5000 == 4999) {
			assert_int_equal(mm_fork(mm, &child), 0);
			check_valid(child);
			mm_destroy(mm);
			mm = child;
		}
	}
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_sides_rule),
		cmocka_unit_test(test_mremap_between_faulted),
		cmocka_unit_test(test_moved_written_pgoff),
		cmocka_unit_test(test_flag_differences),
		cmocka_unit_test(test_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
