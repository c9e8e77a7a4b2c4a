/* SPDX-License-Identifier: MIT */
/*
 * Allocation failure: every engine operation, with its k-th allocation failing for each k,
 * returns 0 or -ENOMEM and leaves an mm that passes mm_validate.
 *
 * The allocator is replaced here (glibc's __libc_* functions underneath), which the address
 * sanitizer's own allocator does not allow; under it this binary runs only the sequences
 * without injected failures.
 */
#include "test_helpers.h"

#include <errno.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define CAN_INJECT 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CAN_INJECT 0
#endif
#endif
#ifndef CAN_INJECT
#define CAN_INJECT 1
#endif

#define B 0x10000000ULL

static long fail_after = -1; /* allocations left before one fails; -1 = none fails */
static bool failed;

#if CAN_INJECT
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

static bool
should_fail(void)
{
	if (fail_after < 0)
		return false;
	if (fail_after == 0) {
		failed = true;
		return true;
	}
	fail_after--;
	return false;
}

void *
malloc(size_t n)
{
	return should_fail() ? NULL : __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	return should_fail() ? NULL : __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	return should_fail() ? NULL : __libc_realloc(p, n);
}

void
free(void *p)
{
	__libc_free(p);
}
#endif

static const struct mm_file_desc file_rw = {
	.path = "/tmp/f",
	.instance = 1,
	.mode = MM_FMODE_READ | MM_FMODE_WRITE,
	.ino = 3,
	.size = 1 << 22,
};

/* A varied address space: written anon, file, shmem, locked, a stack. */
static struct mm *
build(void)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, true);
	enum mm_fault_result res;

	do_mmap(mm, B, 16 * P, RW, FIXED_PRIVATE | MM_MAP_POPULATE);
	assert_int_equal(mm_mprotect(mm, B + 4 * P, 2 * P, MM_PROT_READ), 0);
	assert_int_equal(try_mmap(mm, B + 32 * P, 32 * P, RW, MM_MAP_PRIVATE | MM_MAP_FIXED,
				  &file_rw, 0, NULL),
			 0);
	assert_int_equal(mm_fault(mm, B + 33 * P, MM_ACCESS_READ, &res), 0);
	assert_int_equal(mm_fault(mm, B + 40 * P, MM_ACCESS_WRITE, &res), 0);
	do_mmap(mm, B + 80 * P, 8 * P, RW,
		MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_FIXED | MM_MAP_POPULATE);
	do_mmap(mm, B + 96 * P, 4 * P, RW, FIXED_PRIVATE | MM_MAP_LOCKED);
	assert_int_equal(mm_brk(mm, 0x555555560000ULL + 3 * P), 0x555555560000ULL + 3 * P);
	return mm;
}

typedef int (*op_fn)(struct mm *mm);

static int
op_mmap_over(struct mm *mm)
{
	uint64_t a;

	return mm_mmap(mm, B + 2 * P, 40 * P, RW, FIXED_PRIVATE, NULL, 0, &a);
}

static int
op_mmap_file(struct mm *mm)
{
	struct mm_file_desc f = file_rw;
	uint64_t a;

	f.instance = 7;
	return mm_mmap(mm, B + 64 * P, 4 * P, MM_PROT_READ, MM_MAP_SHARED | MM_MAP_FIXED, &f, 0,
		       &a);
}

static int
op_munmap(struct mm *mm)
{
	return mm_munmap(mm, B + 3 * P, 34 * P);
}

static int
op_mprotect(struct mm *mm)
{
	return mm_mprotect(mm, B + P, 14 * P, MM_PROT_READ);
}

static int
op_mprotect_merge(struct mm *mm)
{
	return mm_mprotect(mm, B + 4 * P, 2 * P, RW);
}

static int
op_mremap_move(struct mm *mm)
{
	uint64_t a;

	return mm_mremap(mm, B + 2 * P, 40 * P, 40 * P, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED,
			 0x50000000, &a);
}

static int
op_mremap_grow(struct mm *mm)
{
	uint64_t a;

	return mm_mremap(mm, B + 32 * P, 32 * P, 64 * P, MM_MREMAP_MAYMOVE, 0, &a);
}

static int
op_mremap_dontunmap(struct mm *mm)
{
	uint64_t a;

	return mm_mremap(mm, B + 96 * P, 4 * P, 4 * P, MM_MREMAP_MAYMOVE | MM_MREMAP_DONTUNMAP, 0,
			 &a);
}

static int
op_madvise(struct mm *mm)
{
	int err = mm_madvise(mm, B + P, 2 * P, MM_MADV_DONTNEED);

	if (!err)
		err = mm_madvise(mm, B + 33 * P, 4 * P, MM_MADV_DONTFORK);
	return err == -EAGAIN ? -ENOMEM : err;
}

static int
op_mlock(struct mm *mm)
{
	int err = mm_mlock(mm, B + 2 * P, 8 * P, 0);

	return err == -EAGAIN ? -ENOMEM : err;
}

static int
op_populate(struct mm *mm)
{
	int err = mm_populate(mm, B, 100 * P, true);
	enum mm_fault_result res;

	if (!err)
		err = mm_fault(mm, 0x7ffffffde000ULL - 3 * P, MM_ACCESS_WRITE, &res);
	return err;
}

static int
op_fork(struct mm *mm)
{
	struct mm *child = NULL;
	int err = mm_fork(mm, &child);

	if (!err) {
		check_valid(child);
		mm_destroy(child);
	} else {
		assert_null(child);
	}
	return err;
}

static int
op_brk(struct mm *mm)
{
	uint64_t want = 0x555555560000ULL + 40 * P;

	return mm_brk(mm, want) == want ? 0 : -ENOMEM;
}

static void
run_op(op_fn op)
{
	for (long k = 0;; k++) {
		struct mm *mm = build();
		int err;

		failed = false;
		fail_after = CAN_INJECT ? k : -1;
		err = op(mm);
		fail_after = -1;
		if (err != 0 && !(failed && err == -ENOMEM))
			fail_msg("allocation %ld failing: unexpected %d", k, err);
		check_valid(mm);
		mm_destroy(mm);
		if (!failed)
			break;
	}
}

#define OOM_TEST(name)                                                                             \
	static void test_##name(void **state)                                                      \
	{                                                                                          \
		(void)state;                                                                       \
		run_op(op_##name);                                                                 \
	}

OOM_TEST(mmap_over)
OOM_TEST(mmap_file)
OOM_TEST(munmap)
OOM_TEST(mprotect)
OOM_TEST(mprotect_merge)
OOM_TEST(mremap_move)
OOM_TEST(mremap_grow)
OOM_TEST(mremap_dontunmap)
OOM_TEST(madvise)
OOM_TEST(mlock)
OOM_TEST(populate)
OOM_TEST(fork)
OOM_TEST(brk)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mmap_over),
		cmocka_unit_test(test_mmap_file),
		cmocka_unit_test(test_munmap),
		cmocka_unit_test(test_mprotect),
		cmocka_unit_test(test_mprotect_merge),
		cmocka_unit_test(test_mremap_move),
		cmocka_unit_test(test_mremap_grow),
		cmocka_unit_test(test_mremap_dontunmap),
		cmocka_unit_test(test_madvise),
		cmocka_unit_test(test_mlock),
		cmocka_unit_test(test_populate),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_brk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
