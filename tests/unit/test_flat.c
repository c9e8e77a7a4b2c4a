/* SPDX-License-Identifier: MIT */
/*
 * The flat index (lib/flat.c): lookups answer as a walk of the VMA list does, whether they
 * come from the tree or from the array; the array is built once enough lookups follow a
 * change, dropped by the next change, not shared with a fork's child, and checked by
 * mm_validate while it stands.
 */
#include "test_helpers.h"

#include "mm_internal.h"

#define B 0x100000000ULL

static uint64_t rng = 88172645463325252ULL;

static uint64_t
next(uint64_t below)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % below;
}

/* find_vma() by walking the list. */
static const struct vma *
walk_find(const struct mm *mm, uint64_t addr)
{
	const struct vma *v = mm_first_vma(mm);

	while (v && v->end <= addr)
		v = mm_next_vma(v);
	return v;
}

static void
check_lookups(struct mm *mm, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t addr = next(4) ? B + next(80 * P) : next(UINT64_MAX);

		assert_ptr_equal(mm_find_vma(mm, addr), walk_find(mm, addr));
	}
}

static void
random_op(struct mm *mm)
{
	uint64_t a = B + next(64) * P, len = (1 + next(8)) * P, out;
	uint32_t prot = next(2) ? RW : MM_PROT_READ;

	switch (next(4)) {
	case 0:
		mm_munmap(mm, a, len);
		break;
	case 1:
		mm_mprotect(mm, a, len, prot);
		break;
	case 2:
		mm_mremap(mm, a, len, (1 + next(8)) * P, MM_MREMAP_MAYMOVE, 0, &out);
		break;
	default:
		mm_mmap(mm, a, len, prot, FIXED_PRIVATE, NULL, 0, &out);
	}
}

/* Built at the first lookup after each change: every operation runs on a fresh array. */
static void
test_rebuilt_each_time(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, true);

	(void)state;
	mm_set_flat_after(mm, 1);
	for (int i = 0; i < 20000; i++) {
		random_op(mm);
		check_valid(mm);
		check_lookups(mm, 4);
		check_valid(mm);
		/* A child starts without the array (its VMAs are new) but with the setting. */
		if (i % 5000 == 4999) {
			struct mm *child;

			assert_int_equal(mm_fork(mm, &child), 0);
			assert_false(child->flat.valid);
			mm_destroy(mm);
			mm = child;
			check_lookups(mm, 1);
			assert_true(mm->flat.valid);
			check_valid(mm);
		}
	}
	mm_destroy(mm);
}

/* The default: built after 2n lookups with no change in between, dropped by a change. */
static void
test_built_when_quiet(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, true);
	uint64_t out, lookups = 0;

	(void)state;
	for (int i = 0; i < 200; i++)
		mm_mmap(mm, B + 2 * i * P, P, i % 2 ? RW : MM_PROT_READ, FIXED_PRIVATE, NULL, 0,
			&out);
	/* The tree answers (and counts) until the 2n-th lookup since the last change. */
	while (!mm->flat.valid) {
		assert_true(mm->flat.misses < 2 * mm_map_count(mm));
		lookups++;
		check_lookups(mm, 1);
	}
	assert_true(lookups >= mm_map_count(mm));
	assert_int_equal(mm->flat.n, mm_map_count(mm));
	check_valid(mm);
	check_lookups(mm, 10000);
	assert_int_equal(mm_munmap(mm, B, P), 0);
	assert_false(mm->flat.valid);
	check_lookups(mm, 1000);
	check_valid(mm);
	mm_destroy(mm);
}

/* A stale array is what the checker is there to catch. */
static void
test_checker_sees_stale(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	char msg[256];
	uint64_t out;

	(void)state;
	mm_set_flat_after(mm, 1);
	for (int i = 0; i < 8; i++)
		mm_mmap(mm, B + 2 * i * P, P, RW, FIXED_PRIVATE, NULL, 0, &out);
	check_lookups(mm, 1);
	assert_true(mm->flat.valid);
	mm->flat.ends[3] += P;
	assert_int_not_equal(mm_validate(mm, msg, sizeof(msg)), 0);
	mm->flat.ends[3] -= P;
	mm->flat.n--;
	assert_int_not_equal(mm_validate(mm, msg, sizeof(msg)), 0);
	mm->flat.n++;
	check_valid(mm);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rebuilt_each_time),
		cmocka_unit_test(test_built_when_quiet),
		cmocka_unit_test(test_checker_sees_stale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
