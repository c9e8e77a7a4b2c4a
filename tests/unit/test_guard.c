/* SPDX-License-Identifier: MIT */
/*
 * Guard regions (mm/madvise.c: madvise_guard_install(), madvise_guard_remove()) and the
 * residency advice FREE, COLD and PAGEOUT.  Every expectation is what the 6.18 kernel did for
 * the same calls in a small C program (resident pages read from /proc/self/pagemap and smaps,
 * faults caught by a SIGSEGV handler reading si_code).
 */
#include "test_helpers.h"

#include <errno.h>

#define A     0x200000000000ULL
#define GUARD (F_RW | VM_MAYBE_GUARD)

static enum mm_fault_result
fault_at(struct mm *mm, uint64_t addr, enum mm_access access)
{
	enum mm_fault_result r;

	assert_int_equal(mm_fault(mm, addr, access, &r), 0);
	check_valid(mm);
	return r;
}

static int
advise(struct mm *mm, uint64_t addr, uint64_t len, int advice)
{
	int err = mm_madvise(mm, addr, len, advice);

	check_valid(mm);
	return err;
}

static uint64_t
rss_anon(const struct mm *mm)
{
	return status_of(mm).rss_anon;
}

/* 8 written pages, guards over pages 2 and 3. */
static struct mm *
guarded(void)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	do_mmap(mm, A, 8 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_populate(mm, A, 8 * P, true), 0);
	assert_int_equal(advise(mm, A + 2 * P, 2 * P, MM_MADV_GUARD_INSTALL), 0);
	return mm;
}

/*
 * The whole VMA becomes VM_MAYBE_GUARD without a split; the guarded pages are zapped and
 * every access there is SEGV_MAPERR, also after MADV_DONTNEED.  GUARD_REMOVE makes them
 * ordinary holes again; the flag stays.
 */
static void
install_fault_remove(void **state)
{
	struct mm *mm = guarded();

	(void)state;
	assert_int_equal(count_vmas(mm), 1);
	expect_vma(mm, 0, A, A + 8 * P, GUARD);
	assert_int_equal(rss_anon(mm), 6);
	assert_int_equal(fault_at(mm, A + 2 * P, MM_ACCESS_READ), MM_FAULT_MAPERR);
	assert_int_equal(fault_at(mm, A + 3 * P + 5, MM_ACCESS_WRITE), MM_FAULT_MAPERR);
	assert_int_equal(fault_at(mm, A + P, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(advise(mm, A, 8 * P, MM_MADV_DONTNEED), 0);
	assert_int_equal(rss_anon(mm), 0);
	assert_int_equal(fault_at(mm, A + 2 * P, MM_ACCESS_READ), MM_FAULT_MAPERR);
	assert_int_equal(advise(mm, A, 8 * P, MM_MADV_GUARD_REMOVE), 0);
	assert_int_equal(fault_at(mm, A + 2 * P, MM_ACCESS_WRITE), MM_FAULT_OK);
	expect_vma(mm, 0, A, A + 8 * P, GUARD);
	mm_destroy(mm);
}

/* Population stops at the first guard with EFAULT (mlock: ENOMEM), the pages before it in. */
static void
populate_stops_at_guard(void **state)
{
	struct mm *mm = guarded();

	(void)state;
	assert_int_equal(advise(mm, A, 8 * P, MM_MADV_DONTNEED), 0);
	assert_int_equal(advise(mm, A, 8 * P, MM_MADV_POPULATE_WRITE), -EFAULT);
	assert_int_equal(rss_anon(mm), 2);
	assert_int_equal(advise(mm, A, 8 * P, MM_MADV_POPULATE_READ), -EFAULT);
	assert_int_equal(advise(mm, A, 2 * P, MM_MADV_POPULATE_WRITE), 0);
	assert_int_equal(mm_mlock(mm, A, 8 * P, 0), -ENOMEM);
	check_valid(mm);
	expect_vma(mm, 0, A, A + 8 * P, GUARD | VM_LOCKED);
	assert_int_equal(rss_anon(mm), 2);
	/* Locked VMAs refuse guards, but give them up. */
	assert_int_equal(advise(mm, A + 5 * P, P, MM_MADV_GUARD_INSTALL), -EINVAL);
	assert_int_equal(advise(mm, A, 8 * P, MM_MADV_GUARD_REMOVE), 0);
	assert_int_equal(fault_at(mm, A + 2 * P, MM_ACCESS_READ), MM_FAULT_OK);
	mm_destroy(mm);
}

/* A hole: guards go into what is mapped, then ENOMEM; sealed read-only anonymous: EPERM. */
static void
refusals(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	do_mmap(mm, A, 4 * P, RW, FIXED_PRIVATE);
	assert_int_equal(advise(mm, A, 8 * P, MM_MADV_GUARD_INSTALL), -ENOMEM);
	assert_int_equal(fault_at(mm, A + 3 * P, MM_ACCESS_READ), MM_FAULT_MAPERR);
	do_mmap(mm, A + 16 * P, 4 * P, MM_PROT_READ, FIXED_PRIVATE);
	assert_int_equal(mm_mseal(mm, A + 16 * P, 4 * P, 0), 0);
	assert_int_equal(advise(mm, A + 16 * P, P, MM_MADV_GUARD_INSTALL), -EPERM);
	assert_int_equal(advise(mm, A + 16 * P, P, MM_MADV_GUARD_REMOVE), 0);
	do_mmap(mm, A + 32 * P, 4 * P, RW, FIXED_PRIVATE | MM_MAP_LOCKED);
	assert_int_equal(advise(mm, A + 32 * P, P, MM_MADV_GUARD_INSTALL), -EINVAL);
	/* VM_SPECIAL and hugetlb VMAs refuse both: from the source (mm/madvise.c:
	 * is_valid_guard_vma()), as this machine has no huge pages to try. */
	assert_int_equal(mm_insert_vma(mm, A + 64 * P, A + 65 * P,
				       VM_READ | VM_MAYREAD | VM_PFNMAP | VM_IO, 0, NULL, false),
			 0);
	assert_int_equal(advise(mm, A + 64 * P, P, MM_MADV_GUARD_INSTALL), -EINVAL);
	assert_int_equal(advise(mm, A + 64 * P, P, MM_MADV_GUARD_REMOVE), -EINVAL);
	assert_int_equal(
		mm_insert_vma(mm, A + 512 * P, A + 1024 * P, F_RW | VM_HUGETLB, 0, NULL, false), 0);
	assert_int_equal(advise(mm, A + 512 * P, P, MM_MADV_GUARD_INSTALL), -EINVAL);
	assert_int_equal(advise(mm, A + 512 * P, P, MM_MADV_GUARD_REMOVE), -EINVAL);
	/* PROT_NONE takes guards, and the access check comes first. */
	do_mmap(mm, A + 48 * P, 4 * P, MM_PROT_NONE, FIXED_PRIVATE);
	assert_int_equal(advise(mm, A + 48 * P, P, MM_MADV_GUARD_INSTALL), 0);
	assert_int_equal(fault_at(mm, A + 48 * P, MM_ACCESS_READ), MM_FAULT_ACCERR);
	mm_destroy(mm);
}

/*
 * An anonymous VMA gets its anon_vma at install (so that two guarded neighbours keep apart),
 * and merging keeps the sticky flag of any part.
 */
static void
merging(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_vma_info info;

	(void)state;
	do_mmap(mm, A + 4 * P, 2 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_populate(mm, A + 4 * P, P, true), 0);
	do_mmap(mm, A, 2 * P, RW, FIXED_PRIVATE);
	assert_int_equal(advise(mm, A, P, MM_MADV_GUARD_INSTALL), 0);
	assert_int_equal(advise(mm, A, P, MM_MADV_GUARD_REMOVE), 0);
	nth_vma(mm, 0, &info);
	assert_true(info.anon_vma != 0);
	do_mmap(mm, A + 2 * P, 2 * P, RW, FIXED_PRIVATE);
	assert_int_equal(count_vmas(mm), 2);
	expect_vma(mm, 0, A, A + 4 * P, GUARD);
	expect_vma(mm, 1, A + 4 * P, A + 6 * P, F_RW);

	do_mmap(mm, A + 20 * P, 2 * P, RW, FIXED_PRIVATE);
	do_mmap(mm, A + 24 * P, 2 * P, RW, FIXED_PRIVATE);
	do_mmap(mm, A + 22 * P, 2 * P, MM_PROT_READ, FIXED_PRIVATE);
	assert_int_equal(advise(mm, A + 22 * P, P, MM_MADV_GUARD_INSTALL), 0);
	assert_int_equal(mm_mprotect(mm, A + 22 * P, 2 * P, RW), 0);
	check_valid(mm);
	expect_vma(mm, 2, A + 20 * P, A + 26 * P, GUARD);
	/* A split keeps the guards on its side; moving the VMA moves them. */
	assert_int_equal(mm_mprotect(mm, A + 22 * P, P, MM_PROT_READ), 0);
	assert_int_equal(fault_at(mm, A + 22 * P, MM_ACCESS_READ), MM_FAULT_MAPERR);
	mm_destroy(mm);
}

/* The saved form carries the guards: the loaded copy faults as the original. */
static void
saved_and_loaded(void **state)
{
	struct mm *mm = guarded(), *copy = NULL;
	struct mm_sbuf b = { 0 };
	size_t used = 0;
	char msg[128];

	(void)state;
	assert_int_equal(mm_save(mm, &b), 0);
	assert_int_equal(mm_load(b.data, b.len, &used, &copy, msg, sizeof(msg)), 0);
	check_valid(copy);
	assert_int_equal(fault_at(copy, A + 3 * P, MM_ACCESS_READ), MM_FAULT_MAPERR);
	assert_int_equal(rss_anon(copy), 6);
	expect_vma(copy, 0, A, A + 8 * P, GUARD);
	mm_sbuf_free(&b);
	mm_destroy(copy);
	mm_destroy(mm);
}

static void
mremap_moves_guards(void **state)
{
	struct mm *mm = guarded();
	uint64_t to = 0;

	(void)state;
	assert_int_equal(mm_mremap(mm, A, 8 * P, 8 * P, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED,
				   A + 100 * P, &to),
			 0);
	check_valid(mm);
	assert_int_equal(fault_at(mm, A + 102 * P, MM_ACCESS_READ), MM_FAULT_MAPERR);
	assert_int_equal(fault_at(mm, A + 104 * P, MM_ACCESS_READ), MM_FAULT_OK);
	assert_int_equal(mm_mremap(mm, A + 100 * P, 8 * P, 2 * P, 0, 0, &to), 0);
	assert_int_equal(mm_mremap(mm, A + 100 * P, 2 * P, 8 * P, 0, 0, &to), 0);
	check_valid(mm);
	assert_int_equal(fault_at(mm, A + 102 * P, MM_ACCESS_READ), MM_FAULT_OK);
	mm_destroy(mm);
}

static struct mm_file_desc
disk_file(uint64_t size)
{
	return (struct mm_file_desc){
		.path = "/data/file",
		.mode = MM_FMODE_READ | MM_FMODE_WRITE,
		.dev_major = 254,
		.ino = 77,
		.size = size,
	};
}

/*
 * File mappings take guards without an anon_vma; fork copies the page tables of a
 * VM_MAYBE_GUARD VMA (resident file pages and guards), not of a WIPEONFORK one; truncation
 * drops the pages and keeps the guards.
 */
static void
file_fork_truncate(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false), *child = NULL;
	struct mm_file_desc d = disk_file(8 * P);
	struct mm_vma_info info;
	uint64_t id = 0, out;

	(void)state;
	assert_int_equal(mm_file_open(mm, &d, &id), 0);
	d = (struct mm_file_desc){ .id = id };
	assert_int_equal(
		mm_mmap(mm, A, 4 * P, MM_PROT_READ, MM_MAP_PRIVATE | MM_MAP_FIXED, &d, 0, &out), 0);
	assert_int_equal(fault_at(mm, A + 2 * P, MM_ACCESS_READ), MM_FAULT_OK);
	assert_int_equal(advise(mm, A, P, MM_MADV_GUARD_INSTALL), 0);
	nth_vma(mm, 0, &info);
	assert_int_equal(info.anon_vma, 0);
	assert_int_equal(info.rss_file, 3);
	assert_int_equal(mm_fork(mm, &child), 0);
	check_valid(child);
	nth_vma(child, 0, &info);
	assert_int_equal(info.rss_file, 3);
	assert_int_equal(fault_at(child, A, MM_ACCESS_READ), MM_FAULT_MAPERR);
	mm_destroy(child);

	assert_int_equal(mm_file_set_size(mm, id, 0), 0);
	assert_int_equal(mm_file_set_size(mm, id, 8 * P), 0);
	check_valid(mm);
	assert_int_equal(status_of(mm).rss_file, 0);
	assert_int_equal(fault_at(mm, A, MM_ACCESS_READ), MM_FAULT_MAPERR);
	assert_int_equal(fault_at(mm, A + P, MM_ACCESS_READ), MM_FAULT_OK);

	do_mmap(mm, A + 16 * P, 4 * P, RW, FIXED_PRIVATE);
	assert_int_equal(advise(mm, A + 16 * P, 4 * P, MM_MADV_WIPEONFORK), 0);
	assert_int_equal(advise(mm, A + 16 * P, P, MM_MADV_GUARD_INSTALL), 0);
	assert_int_equal(mm_fork(mm, &child), 0);
	assert_int_equal(fault_at(child, A + 16 * P, MM_ACCESS_READ), MM_FAULT_OK);
	mm_destroy(child);
	mm_destroy(mm);
}

/*
 * FREE, COLD and PAGEOUT keep private anonymous pages resident (no swap: reclaim has nowhere
 * to put them, FREE'd pages wait for reclaim); their refusals.
 */
static void
residency_advice(void **state)
{
	static const int advice[] = { MM_MADV_FREE, MM_MADV_COLD, MM_MADV_PAGEOUT };
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	do_mmap(mm, A, 4 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_populate(mm, A, 4 * P, true), 0);
	do_mmap(mm, A + 8 * P, 4 * P, RW, FIXED_PRIVATE | MM_MAP_LOCKED);
	do_mmap(mm, A + 16 * P, 4 * P, MM_PROT_READ, FIXED_PRIVATE);
	assert_int_equal(mm_mseal(mm, A + 16 * P, 4 * P, 0), 0);
	do_mmap(mm, A + 24 * P, 4 * P, RW, MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_FIXED);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(advise(mm, A, 4 * P, advice[i]), 0);
		assert_int_equal(rss_anon(mm), 8); /* the locked VMA's 4 too */
		assert_int_equal(advise(mm, A + 8 * P, 4 * P, advice[i]), -EINVAL);
	}
	assert_int_equal(advise(mm, A + 16 * P, 4 * P, MM_MADV_FREE), -EPERM);
	assert_int_equal(advise(mm, A + 16 * P, 4 * P, MM_MADV_COLD), 0);
	assert_int_equal(advise(mm, A + 24 * P, 4 * P, MM_MADV_FREE), -EINVAL);
	assert_int_equal(advise(mm, A + 24 * P, 4 * P, MM_MADV_COLD), 0);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(install_fault_remove),
		cmocka_unit_test(populate_stops_at_guard),
		cmocka_unit_test(refusals),
		cmocka_unit_test(merging),
		cmocka_unit_test(mremap_moves_guards),
		cmocka_unit_test(file_fork_truncate),
		cmocka_unit_test(residency_advice),
		cmocka_unit_test(saved_and_loaded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
