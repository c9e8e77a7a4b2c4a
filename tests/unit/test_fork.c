/* SPDX-License-Identifier: MIT */
/*
 * fork: what the child inherits (kernel/fork.c: dup_mmap(); VM_DONTCOPY, VM_WIPEONFORK) and
 * how the child's VMAs merge afterwards, their anon_vmas being the child's own
 * (mm/rmap.c: anon_vma_fork()).
 */
#include "test_helpers.h"

#include <errno.h>

#define B 0x10000000ULL
#define S 0x555555560000ULL

static const struct mm_file_desc file_ro = {
	.path = "/tmp/f",
	.instance = 1,
	.mode = MM_FMODE_READ,
	.ino = 6,
	.size = 1 << 20,
};

static struct mm *
fork_of(struct mm *parent)
{
	struct mm *child = NULL;

	assert_int_equal(mm_fork(parent, &child), 0);
	check_valid(child);
	check_valid(parent);
	return child;
}

static void
write_page(struct mm *mm, uint64_t addr)
{
	enum mm_fault_result res;

	assert_int_equal(mm_fault(mm, addr, MM_ACCESS_WRITE, &res), 0);
	assert_int_equal(res, MM_FAULT_OK);
}

static void
test_inheritance(void **state)
{
	struct mm *parent = new_mm(MM_LAYOUT_X86_64, true), *child;
	struct mm_status ps, cs;
	struct mm_vma_info info;

	(void)state;
	do_mmap(parent, B, 4 * P, RW, FIXED_PRIVATE | MM_MAP_POPULATE);
	do_mmap(parent, B + 8 * P, 4 * P, RW, FIXED_PRIVATE | MM_MAP_LOCKED);
	do_mmap(parent, B + 16 * P, 4 * P, RW,
		MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_FIXED | MM_MAP_POPULATE);
	do_mmap(parent, B + 24 * P, 4 * P, RW, FIXED_PRIVATE);
	assert_int_equal(try_mmap(parent, B + 32 * P, 4 * P, MM_PROT_READ,
				  MM_MAP_PRIVATE | MM_MAP_FIXED | MM_MAP_POPULATE, &file_ro, 0,
				  NULL),
			 0);
	assert_int_equal(mm_brk(parent, S + 2 * P), S + 2 * P);
	child = fork_of(parent);
	ps = status_of(parent);
	cs = status_of(child);
	assert_int_equal(cs.map_count, ps.map_count);
	assert_int_equal(cs.total_vm, ps.total_vm);
	assert_int_equal(cs.data_vm, ps.data_vm);
	assert_int_equal(cs.stack_vm, ps.stack_vm);
	assert_int_equal(cs.brk, ps.brk);
	assert_int_equal(cs.mmap_base, ps.mmap_base);
	/* mlock is not inherited */
	assert_int_equal(ps.locked_vm, 4);
	assert_int_equal(cs.locked_vm, 0);
	expect_vma(child, 1, B + 8 * P, B + 12 * P, F_RW);
	/* anonymous pages are shared copy-on-write; shmem and file pages are not copied */
	assert_int_equal(ps.rss_anon, 8);
	assert_int_equal(cs.rss_anon, 8);
	assert_int_equal(ps.rss_shmem, 4);
	assert_int_equal(cs.rss_shmem, 0);
	assert_int_equal(ps.rss_file, 4);
	assert_int_equal(cs.rss_file, 0);
	assert_int_equal(cs.hiwater_rss, 8);
	assert_int_equal(cs.hiwater_vm, cs.total_vm);
	/* written VMAs become fork children with their own anon_vma */
	nth_vma(child, 0, &info);
	assert_true(info.fork_child);
	assert_int_not_equal(info.anon_vma, 0);
	nth_vma(child, 3, &info);
	assert_false(info.fork_child);
	assert_int_equal(info.anon_vma, 0);
	nth_vma(child, 2, &info);
	assert_true(info.shmem);
	mm_destroy(parent);
	check_valid(child);
	mm_destroy(child);
}

static void
test_dontcopy_wipeonfork(void **state)
{
	struct mm *parent = new_mm(MM_LAYOUT_X86_64, false), *child;
	struct mm_vma_info info;

	(void)state;
	do_mmap(parent, B, 8 * P, RW, FIXED_PRIVATE | MM_MAP_POPULATE);
	assert_int_equal(mm_madvise(parent, B + 2 * P, 2 * P, MM_MADV_DONTFORK), 0);
	assert_int_equal(mm_madvise(parent, B + 6 * P, 2 * P, MM_MADV_WIPEONFORK), 0);
	child = fork_of(parent);
	/* DONTCOPY leaves a hole; WIPEONFORK keeps the VMA, empty */
	assert_int_equal(count_vmas(child), 3);
	expect_vma(child, 0, B, B + 2 * P, F_RW);
	expect_vma(child, 1, B + 4 * P, B + 6 * P, F_RW);
	expect_vma(child, 2, B + 6 * P, B + 8 * P, F_RW | VM_WIPEONFORK);
	nth_vma(child, 2, &info);
	assert_int_equal(info.anon_vma, 0);
	assert_int_equal(info.rss_anon, 0);
	assert_int_equal(status_of(child).total_vm, 6);
	assert_int_equal(status_of(child).data_vm, 6);
	assert_int_equal(status_of(child).rss_anon, 4);
	/* the hole does not merge in the child either */
	do_mmap(child, B + 2 * P, 2 * P, RW, FIXED_PRIVATE);
	assert_int_equal(count_vmas(child), 4);
	mm_destroy(child);
	mm_destroy(parent);
}

/* selftests forked_target_vma / forked_source_vma. */
static void
test_fork_child_merges(void **state)
{
	struct mm *parent = new_mm(MM_LAYOUT_X86_64, false), *child;

	(void)state;
	do_mmap(parent, B, 5 * P, RW, FIXED_PRIVATE);
	write_page(parent, B);
	child = fork_of(parent);
	/* a fresh mapping next to the inherited written VMA does not merge */
	do_mmap(child, B + 5 * P, 5 * P, RW, FIXED_PRIVATE);
	assert_int_equal(count_vmas(child), 2);
	/* nor does changing either side to match */
	assert_int_equal(mm_mprotect(child, B, 5 * P, MM_PROT_READ), 0);
	assert_int_equal(mm_mprotect(child, B + 5 * P, 5 * P, MM_PROT_READ), 0);
	assert_int_equal(count_vmas(child), 2);
	check_valid(child);
	/* the parent is unaffected */
	do_mmap(parent, B + 5 * P, 5 * P, RW, FIXED_PRIVATE);
	assert_int_equal(count_vmas(parent), 1);
	mm_destroy(child);
	mm_destroy(parent);
}

/* EMP: in a forked child the first brk growth makes a second [heap] VMA. */
static void
test_child_brk(void **state)
{
	struct mm *parent = new_mm(MM_LAYOUT_X86_64, false), *child;

	(void)state;
	assert_int_equal(mm_brk(parent, S + 2 * P), S + 2 * P);
	write_page(parent, S);
	child = fork_of(parent);
	assert_int_equal(mm_brk(child, S + 4 * P), S + 4 * P);
	check_valid(child);
	assert_int_equal(count_vmas(child), 2);
	expect_vma(child, 0, S, S + 2 * P, F_RW);
	expect_vma(child, 1, S + 2 * P, S + 4 * P, F_RW);
	/* the new one is the child's own: it grows in place */
	assert_int_equal(mm_brk(child, S + 6 * P), S + 6 * P);
	assert_int_equal(count_vmas(child), 2);
	assert_int_equal(mm_brk(parent, S + 4 * P), S + 4 * P);
	assert_int_equal(count_vmas(parent), 1);
	mm_destroy(child);
	mm_destroy(parent);
}

/* The child's file objects are the parent's open files: new mappings of them merge. */
static void
test_child_files(void **state)
{
	struct mm *parent = new_mm(MM_LAYOUT_X86_64, false), *child, *grandchild;

	(void)state;
	assert_int_equal(try_mmap(parent, B, P, MM_PROT_READ, MM_MAP_SHARED | MM_MAP_FIXED,
				  &file_ro, 0, NULL),
			 0);
	child = fork_of(parent);
	assert_int_equal(try_mmap(child, B + P, P, MM_PROT_READ, MM_MAP_SHARED | MM_MAP_FIXED,
				  &file_ro, P, NULL),
			 0);
	assert_int_equal(count_vmas(child), 1);
	grandchild = fork_of(child);
	mm_destroy(child);
	assert_int_equal(count_vmas(grandchild), 1);
	check_valid(grandchild);
	mm_destroy(grandchild);
	mm_destroy(parent);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inheritance),
		cmocka_unit_test(test_dontcopy_wipeonfork),
		cmocka_unit_test(test_fork_child_merges),
		cmocka_unit_test(test_child_brk),
		cmocka_unit_test(test_child_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
