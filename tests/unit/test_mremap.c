/* SPDX-License-Identifier: MIT */
/*
 * mremap: errno as mremap(2) gives it, shrink, growth in place, moves, MREMAP_DONTUNMAP and
 * moves across VMAs (mm/mremap.c: do_mremap(), move_vma()).
 */
#include "test_helpers.h"

#include <errno.h>

#define B     0x10000000ULL
#define MAY   MM_MREMAP_MAYMOVE
#define FIX   (MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED)
#define DONTU (MM_MREMAP_MAYMOVE | MM_MREMAP_DONTUNMAP)

static struct mm *
setup(void)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	do_mmap(mm, B, 4 * P, RW, FIXED_PRIVATE);
	do_mmap(mm, B + 4 * P, 2 * P, MM_PROT_READ, FIXED_PRIVATE);
	do_mmap(mm, B + 16 * P, 4 * P, RW, MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_FIXED);
	assert_int_equal(mm_insert_vma(mm, B + 32 * P, B + 34 * P,
				       VM_READ | VM_EXEC | MAYS | VM_DONTEXPAND, 0, NULL, false),
			 0);
	return mm;
}

static void
test_errno_table(void **state)
{
	static const struct {
		const char *name;
		uint64_t addr, old_len, new_len;
		uint32_t flags;
		uint64_t new_addr;
		int err;
		uint64_t want;
	} rows[] = {
		{ "50 unaligned", B + 1, P, P, 0, 0, -EINVAL, 0 },
		{ "51 unknown flag", B, P, P, 8, 0, -EINVAL, 0 },
		{ "52 new_len 0", B, P, 0, 0, 0, -EINVAL, 0 },
		{ "52 new_len wraps to 0", B, P, UINT64_MAX - 10, 0, 0, -EINVAL, 0 },
		{ "53 new_len too big", B, P, 1ULL << 47, MAY, 0, -EINVAL, 0 },
		{ "54 fixed without maymove", B, P, P, MM_MREMAP_FIXED, 0x50000000, -EINVAL, 0 },
		{ "55 fixed unaligned", B, P, P, FIX, 0x50000001, -EINVAL, 0 },
		{ "new_addr beyond task", B, P, 2 * P, FIX, 0x7ffffffff000ULL - P, -EINVAL, 0 },
		{ "56 overlap", B, 4 * P, 4 * P, FIX, B + 2 * P, -EINVAL, 0 },
		{ "56 overlap below", B, 4 * P, 8 * P, FIX, B - 4 * P, -EINVAL, 0 },
		{ "57 dontunmap without maymove", B, P, P, MM_MREMAP_DONTUNMAP, 0x50000000, -EINVAL,
		  0 },
		{ "58 dontunmap resize", B, P, 2 * P, DONTU, 0x50000000, -EINVAL, 0 },
		{ "59 not mapped", 0x50000000, P, 2 * P, MAY, 0, -EFAULT, 0 },
		{ "59 not mapped, fixed", 0x50000000, P, P, FIX, 0x60000000, -EFAULT, 0 },
		{ "59 not mapped, same size", 0x50000000, P, P, 0, 0, -EFAULT, 0 },
		{ "60 grow past the VMA end", B, 5 * P, 6 * P, MAY, 0, -EFAULT, 0 },
		{ "61 same size past the end", B, 6 * P, 6 * P, 0, 0, 0, B },
		{ "62 shrink across a VMA end", B, 6 * P, 2 * P, 0, 0, 0, B },
		{ "63 old_len 0 private", B, 0, P, MAY, 0, -EINVAL, 0 },
		{ "63 old_len 0 shared", B + 16 * P, 0, P, MAY, 0, 0, MMAP_BASE - P },
		{ "64 grow blocked", B, 4 * P, 5 * P, 0, 0, -ENOMEM, 0 },
		{ "65 grow blocked, maymove", B, 4 * P, 5 * P, MAY, 0, 0, MMAP_BASE - 5 * P },
		{ "66 grow dontexpand", B + 32 * P, 2 * P, 3 * P, MAY, 0, -EFAULT, 0 },
		{ "dontunmap dontexpand", B + 32 * P, 2 * P, 2 * P, DONTU, 0, -EINVAL, 0 },
		{ "same size, no flags", B + P, P, P, 0, 0, 0, B + P },
		{ "shrink", B, 4 * P, P, 0, 0, 0, B },
		{ "grow in place", B + 16 * P, 4 * P, 8 * P, 0, 0, 0, B + 16 * P },
		{ "fixed move", B, 2 * P, 2 * P, FIX, 0x50000000, 0, 0x50000000 },
		{ "dontunmap hint", B, 2 * P, 2 * P, DONTU, 0x50000000, 0, 0x50000000 },
		/* The shrink's unmap has munmap's range check (mm/vma.c: do_vmi_munmap()). */
		{ "shrink, old_len 2^63", B, 1ULL << 63, 12 * P, 0, 0, -EINVAL, 0 },
		{ "shrink, old_len 2^64 - P", B, UINT64_MAX - P + 1, P, MAY, 0, -EINVAL, 0 },
		{ "shrink, old end past the task", B, 0x7ffffffff000ULL - B + P, P, 0, 0, -EINVAL,
		  0 },
		{ "shrink, old end at the task end", B, 0x7ffffffff000ULL - B, P, 0, 0, 0, B },
		{ "fixed shrink, old_len 2^63", B, 1ULL << 63, P, FIX, 0x50000000, -EINVAL, 0 },
		{ "old_len 2^63 not mapped", 0x50000000, 1ULL << 63, P, 0, 0, -EFAULT, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mm *mm = setup();
		uint64_t out = 0;
		int err = mm_mremap(mm, rows[i].addr, rows[i].old_len, rows[i].new_len,
				    rows[i].flags, rows[i].new_addr, &out);

		check_valid(mm);
		if (err != rows[i].err || (!err && out != rows[i].want))
			fail_msg("row %s: got %d addr %#llx, expected %d addr %#llx", rows[i].name,
				 err, (unsigned long long)out, rows[i].err,
				 (unsigned long long)rows[i].want);
		mm_destroy(mm);
	}
}

/* Row 67 and move_vma's own limit. */
static void
test_map_count_limit(void **state)
{
	struct mm *mm = new_mm_map_limit(8);
	uint64_t out;

	(void)state;
	for (int i = 0; i < 3; i++)
		do_mmap(mm, B + (uint64_t)i * 4 * P, P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_mremap(mm, B, P, P, FIX, 0x50000000, &out), -ENOMEM);
	assert_int_equal(mm_mremap(mm, B, P, 2 * P, MAY, 0, &out), 0);
	do_mmap(mm, 0x60000000, P, RW, FIXED_PRIVATE);
	do_mmap(mm, 0x60002000, P, RW, FIXED_PRIVATE);
	/* map_count 5 >= 8 - 3: even a plain move is refused */
	assert_int_equal(mm_mremap(mm, B + 4 * P, P, 5 * P, MAY, 0, &out), -ENOMEM);
	check_valid(mm);
	mm_destroy(mm);
}

/* EMP: growth that reaches the next VMA merges all three into one. */
static void
test_grow_merges_next(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	uint64_t out;

	(void)state;
	do_mmap(mm, B, 2 * P, RW, FIXED_PRIVATE);
	do_mmap(mm, B + 4 * P, 2 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_mremap(mm, B, 2 * P, 4 * P, 0, 0, &out), 0);
	assert_int_equal(out, B);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 1);
	expect_vma(mm, 0, B, B + 6 * P, F_RW);
	assert_int_equal(status_of(mm).total_vm, 6);
	/* growth ignores the guard gap of a GROWSDOWN neighbour */
	do_mmap(mm, B + 8 * P, 2 * P, RW, FIXED_PRIVATE | MM_MAP_GROWSDOWN);
	assert_int_equal(mm_mremap(mm, B, 6 * P, 8 * P, 0, 0, &out), 0);
	assert_int_equal(count_vmas(mm), 2);
	mm_destroy(mm);
}

/* Pages travel with a move; RSS does not change (EMP). */
static void
test_move_carries_pages(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_vma_info info;
	struct mm_status st;
	uint64_t out;

	(void)state;
	do_mmap(mm, B, 8 * P, RW, FIXED_PRIVATE | MM_MAP_POPULATE);
	assert_int_equal(mm_mremap(mm, B + 2 * P, 2 * P, 2 * P, FIX, 0x50000000, &out), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 3);
	st = status_of(mm);
	assert_int_equal(st.rss_anon, 8);
	assert_int_equal(st.total_vm, 8);
	nth_vma(mm, 2, &info);
	assert_int_equal(info.start, 0x50000000);
	assert_int_equal(info.rss_anon, 2);
	/* a written VMA keeps its pgoff: it does not merge at a random place */
	assert_int_equal(info.pgoff, (B >> 12) + 2);
	/* both remaining pieces keep VM_ACCOUNT */
	expect_vma(mm, 0, B, B + 2 * P, F_RW);
	expect_vma(mm, 1, B + 4 * P, B + 8 * P, F_RW);
	/* selftest mremap_correct_placed_faulted: moved back, it merges again */
	assert_int_equal(mm_mremap(mm, 0x50000000, 2 * P, 2 * P, FIX, B + 2 * P, &out), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 1);
	assert_int_equal(status_of(mm).rss_anon, 8);
	mm_destroy(mm);
}

/* An unwritten anonymous VMA takes the destination's pgoff, so it merges there. */
static void
test_unwritten_move_merges(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	uint64_t out;

	(void)state;
	do_mmap(mm, B, 2 * P, RW, FIXED_PRIVATE);
	do_mmap(mm, 0x50000000, 2 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_mremap(mm, B, 2 * P, 2 * P, FIX, 0x50002000, &out), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 1);
	expect_vma(mm, 0, 0x50000000, 0x50004000, F_RW);
	/* a move right next to itself merges with itself, then the source goes */
	assert_int_equal(mm_mremap(mm, 0x50000000, 4 * P, 4 * P, FIX, 0x50004000, &out), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 1);
	expect_vma(mm, 0, 0x50004000, 0x50008000, F_RW);
	mm_destroy(mm);
}

static void
test_maymove_placement(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	uint64_t out;

	(void)state;
	do_mmap(mm, B, P, RW, FIXED_PRIVATE);
	do_mmap(mm, B + P, P, MM_PROT_READ, FIXED_PRIVATE);
	/* a 2 MiB destination for private anonymous memory is THP aligned */
	assert_int_equal(mm_mremap(mm, B, P, 2 << 20, MAY, 0, &out), 0);
	assert_int_equal(out, 0x7ffff7c00000ULL);
	check_valid(mm);
	/* the grown part is empty; the moved page kept its place in the set */
	assert_int_equal(status_of(mm).total_vm, 512 + 1);
	mm_destroy(mm);
}

static void
test_shrink(void **state)
{
	struct mm *mm = new_mm_map_limit(2);
	uint64_t out;

	(void)state;
	do_mmap(mm, B, 8 * P, RW, FIXED_PRIVATE | MM_MAP_POPULATE);
	assert_int_equal(mm_mremap(mm, B, 8 * P, 4 * P, 0, 0, &out), 0);
	assert_int_equal(status_of(mm).rss_anon, 4);
	assert_int_equal(status_of(mm).hiwater_rss, 8);
	assert_int_equal(status_of(mm).hiwater_vm, 8);
	do_mmap(mm, 0x50000000, P, RW, FIXED_PRIVATE);
	/* shrinking part of a VMA in the middle punches a hole: refused at the limit */
	assert_int_equal(mm_mremap(mm, B + P, 2 * P, P, 0, 0, &out), -ENOMEM);
	check_valid(mm);
	mm_destroy(mm);
}

/* DONTUNMAP: the old range stays, empty; the whole old VMA loses VM_LOCKED (EMP). */
static void
test_dontunmap(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_vma_info info;
	struct mm_status st;
	uint64_t out;

	(void)state;
	do_mmap(mm, B, 8 * P, RW, FIXED_PRIVATE | MM_MAP_LOCKED);
	assert_int_equal(mm_mremap(mm, B + 4 * P, 4 * P, 4 * P, DONTU, 0, &out), 0);
	check_valid(mm);
	assert_int_equal(out, MMAP_BASE - 4 * P);
	expect_vma(mm, 0, B, B + 8 * P, F_RW);
	expect_vma(mm, 1, out, out + 4 * P, F_RW | VM_LOCKED);
	nth_vma(mm, 0, &info);
	assert_int_equal(info.rss_anon, 4);
	st = status_of(mm);
	assert_int_equal(st.rss_anon, 8);
	assert_int_equal(st.total_vm, 12);
	/* EMP: VmLck 32 kB -> 48 kB, and the 32 kB stay after both are unmapped */
	assert_int_equal(st.locked_vm, 12);
	assert_int_equal(mm_munmap(mm, B, 8 * P), 0);
	assert_int_equal(mm_munmap(mm, out, 4 * P), 0);
	check_valid(mm);
	assert_int_equal(status_of(mm).locked_vm, 8);
	mm_destroy(mm);
}

/* MREMAP_FIXED with equal lengths moves several VMAs, keeping the gaps (6.17+). */
static void
test_multi_vma_move(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	const uint64_t d = 0x50000000;
	uint64_t out;

	(void)state;
	do_mmap(mm, B, 2 * P, RW, FIXED_PRIVATE);
	do_mmap(mm, B + 3 * P, 2 * P, MM_PROT_READ, FIXED_PRIVATE);
	do_mmap(mm, B + 6 * P, 2 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_mremap(mm, B + P, 6 * P, 6 * P, FIX, d, &out), 0);
	check_valid(mm);
	assert_int_equal(out, d);
	assert_int_equal(count_vmas(mm), 5);
	expect_vma(mm, 0, B, B + P, F_RW);
	expect_vma(mm, 1, B + 7 * P, B + 8 * P, F_RW);
	expect_vma(mm, 2, d, d + P, F_RW);
	expect_vma(mm, 3, d + 2 * P, d + 4 * P, F_RO);
	expect_vma(mm, 4, d + 5 * P, d + 6 * P, F_RW);
	/* a range that starts in a gap is refused */
	assert_int_equal(mm_mremap(mm, d + P, 3 * P, 3 * P, FIX, 0x60000000, &out), -EFAULT);
	mm_destroy(mm);
}

/* Finding F7: duplicating part of a populated shared mapping (old_len 0) moves no pages. */
static void
test_duplicate_shared(void **state)
{
	static const struct mm_file_desc f = {
		.path = "/tmp/f2",
		.instance = 2,
		.mode = MM_FMODE_READ | MM_FMODE_WRITE,
		.ino = 5,
		.size = 0x80000,
	};
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	uint64_t out;

	(void)state;
	assert_int_equal(try_mmap(mm, 0x200000070000ULL, 0x16000, MM_PROT_READ | MM_PROT_EXEC,
				  MM_MAP_SHARED | MM_MAP_FIXED | MM_MAP_POPULATE, &f, 0x7000, NULL),
			 0);
	assert_int_equal(status_of(mm).rss_file, 0x16);
	assert_int_equal(mm_mremap(mm, 0x200000077000ULL, 0, 0x8000, MAY, 0, &out), 0);
	check_valid(mm);
	assert_int_equal(out, MMAP_BASE - 0x8000);
	assert_int_equal(count_vmas(mm), 2);
	assert_int_equal(status_of(mm).rss_file, 0x16);
	assert_int_equal(status_of(mm).total_vm, 0x16 + 8);
	mm_destroy(mm);
}

/* A locked VMA that grows has the new part populated. */
static void
test_locked_growth(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	uint64_t out;

	(void)state;
	do_mmap(mm, B, 2 * P, RW, FIXED_PRIVATE | MM_MAP_LOCKED);
	assert_int_equal(mm_mremap(mm, B, 2 * P, 4 * P, 0, 0, &out), 0);
	check_valid(mm);
	assert_int_equal(status_of(mm).rss_anon, 4);
	assert_int_equal(status_of(mm).locked_vm, 4);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno_table),
		cmocka_unit_test(test_map_count_limit),
		cmocka_unit_test(test_grow_merges_next),
		cmocka_unit_test(test_move_carries_pages),
		cmocka_unit_test(test_unwritten_move_merges),
		cmocka_unit_test(test_maymove_placement),
		cmocka_unit_test(test_shrink),
		cmocka_unit_test(test_dontunmap),
		cmocka_unit_test(test_multi_vma_move),
		cmocka_unit_test(test_duplicate_shared),
		cmocka_unit_test(test_locked_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
