/* SPDX-License-Identifier: MIT */
/*
 * mmap: argument checks and errno (mmap(2); mm/mmap.c: do_mmap()), placement
 * (arch/x86/kernel/sys_x86_64.c: arch_get_unmapped_area_topdown(); mm/vma.c:
 * unmapped_area_topdown()), merging of a new mapping (mm/vma.c: vma_merge_new_range()).
 */
#include "test_helpers.h"

#include <errno.h>

#define TOP MMAP_BASE

static const struct mm_file_desc file_rw = {
	.path = "/tmp/f",
	.instance = 1,
	.mode = MM_FMODE_READ | MM_FMODE_WRITE,
	.ino = 11,
	.size = 1 << 24,
};
static const struct mm_file_desc file_ro = {
	.path = "/tmp/f",
	.instance = 2,
	.mode = MM_FMODE_READ,
	.ino = 11,
	.size = 1 << 24,
};
static const struct mm_file_desc file_wo = {
	.path = "/tmp/f",
	.instance = 3,
	.mode = MM_FMODE_WRITE,
	.ino = 11,
	.size = 1 << 24,
};
static const struct mm_file_desc file_noexec = {
	.path = "/mnt/f",
	.instance = 4,
	.mode = MM_FMODE_READ,
	.ino = 12,
	.size = 1 << 24,
	.noexec = true,
};

struct errno_row {
	const char *name;
	uint64_t addr, len;
	uint32_t prot, flags;
	const struct mm_file_desc *file;
	uint64_t off;
	int err;
};

static void
test_errno_table(void **state)
{
	static const struct errno_row rows[] = {
		{ "1 len 0 anon", 0, 0, RW, ANON_PRIVATE, NULL, 0, -EINVAL },
		{ "1 len 0 file", 0, 0, MM_PROT_READ, MM_MAP_SHARED, &file_rw, 0, -EINVAL },
		{ "2 type 0 file", 0, P, MM_PROT_READ, 0, &file_rw, 0, -EINVAL },
		{ "2 type 0 anon", 0, P, MM_PROT_READ, MM_MAP_ANONYMOUS, NULL, 0, -EINVAL },
		{ "3 validate anon", 0, P, RW, MM_MAP_SHARED_VALIDATE | MM_MAP_ANONYMOUS, NULL, 0,
		  -EINVAL },
		{ "4 wronly shared", 0, P, MM_PROT_READ, MM_MAP_SHARED, &file_wo, 0, -EACCES },
		{ "4 wronly private", 0, P, MM_PROT_READ, MM_MAP_PRIVATE, &file_wo, 0, -EACCES },
		{ "5 shared write rdonly", 0, P, RW, MM_MAP_SHARED, &file_ro, 0, -EACCES },
		{ "6 private write rdonly", 0, P, RW, MM_MAP_PRIVATE, &file_ro, 0, 0 },
		{ "7 bad fd", 0, P, MM_PROT_READ, MM_MAP_PRIVATE, NULL, 0, -EBADF },
		{ "7 bad fd len 0", 0, 0, MM_PROT_READ, MM_MAP_PRIVATE, NULL, 0, -EBADF },
		{ "8 anon ignores fd", 0, P, RW, ANON_PRIVATE, &file_wo, 0, 0 },
		{ "9 offset anon", 0, P, RW, ANON_PRIVATE, NULL, 100, -EINVAL },
		{ "9 offset file", 0, P, MM_PROT_READ, MM_MAP_PRIVATE, &file_rw, 4095, -EINVAL },
		{ "10 fixed unaligned", 0x10000001, P, RW, FIXED_PRIVATE, NULL, 0, -EINVAL },
		{ "11 noreplace unaligned", 0x10000001, P, RW,
		  ANON_PRIVATE | MM_MAP_FIXED_NOREPLACE, NULL, 0, -EINVAL },
		{ "12 hint unaligned", 0x10000123, P, RW, ANON_PRIVATE, NULL, 0, 0 },
		{ "13 len wraps", 0, UINT64_MAX - 4094, RW, ANON_PRIVATE, NULL, 0, -ENOMEM },
		{ "14 len 2^47", 0, 1ULL << 47, RW, ANON_PRIVATE, NULL, 0, -ENOMEM },
		{ "14 len 2^50", 0, 1ULL << 50, RW, ANON_PRIVATE, NULL, 0, -ENOMEM },
		{ "15 fixed past task", 0x7ffffffff000ULL - P, 2 * P, RW, FIXED_PRIVATE, NULL, 0,
		  -ENOMEM },
		{ "15 fixed unaligned past task", 0x7ffffffff001ULL, P, RW, FIXED_PRIVATE, NULL, 0,
		  -ENOMEM },
		{ "16 fixed at 2^47", 0x800000000000ULL, P, RW, FIXED_PRIVATE, NULL, 0, -ENOMEM },
		{ "17 hint above task", 0x800000000000ULL, P, RW, ANON_PRIVATE, NULL, 0, 0 },
		{ "19 validate unknown flag", 0, P, MM_PROT_READ, MM_MAP_SHARED_VALIDATE | 0x200,
		  &file_rw, 0, -EOPNOTSUPP },
		{ "19 validate noreplace", 0x10000000, P, MM_PROT_READ,
		  MM_MAP_SHARED_VALIDATE | MM_MAP_FIXED_NOREPLACE, &file_rw, 0, -EOPNOTSUPP },
		{ "19 shared drops unknown", 0, P, MM_PROT_READ, MM_MAP_SHARED | 0x200, &file_rw, 0,
		  0 },
		{ "19 validate wins over eacces", 0, P, RW, MM_MAP_SHARED_VALIDATE | 0x200,
		  &file_ro, 0, -EOPNOTSUPP },
		{ "19 map_sync file", 0, P, MM_PROT_READ, MM_MAP_SHARED_VALIDATE | MM_MAP_SYNC,
		  &file_rw, 0, -EOPNOTSUPP },
		{ "19 map_sync after eacces", 0, P, RW, MM_MAP_SHARED_VALIDATE | MM_MAP_SYNC,
		  &file_ro, 0, -EACCES },
		{ "20 growsdown file", 0, P, MM_PROT_READ, MM_MAP_PRIVATE | MM_MAP_GROWSDOWN,
		  &file_rw, 0, -EINVAL },
		{ "21 shared anon growsdown", 0, P, RW,
		  MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_GROWSDOWN, NULL, 0, -EINVAL },
		{ "22 pgoff overflow", 0, 2 * P, MM_PROT_READ, MM_MAP_PRIVATE, &file_rw,
		  (uint64_t)-4096, -EOVERFLOW },
		{ "22 past max file size", 0, 2 * P, MM_PROT_READ, MM_MAP_PRIVATE, &file_rw,
		  0x7ffffffffffff000ULL, -EOVERFLOW },
		{ "23 unknown prot", 0, P, 0x10 | MM_PROT_READ, ANON_PRIVATE, NULL, 0, 0 },
		{ "24 unknown flag", 0, P, RW, ANON_PRIVATE | 0x4000000, NULL, 0, 0 },
		{ "25 fixed at 0", 0, P, RW, FIXED_PRIVATE, NULL, 0, -EPERM },
		{ "25 fixed at 8K (dac is 4K)", 0x2000, P, RW, FIXED_PRIVATE, NULL, 0, 0 },
		{ "27 locked beyond memlock", 0, 9 << 20, RW, ANON_PRIVATE | MM_MAP_LOCKED, NULL, 0,
		  -EAGAIN },
		{ "30 exec on noexec", 0, P, MM_PROT_READ | MM_PROT_EXEC, MM_MAP_PRIVATE,
		  &file_noexec, 0, -EPERM },
		{ "hugetlb file", 0, P, MM_PROT_READ, MM_MAP_PRIVATE | MM_MAP_HUGETLB, &file_rw, 0,
		  -EINVAL },
		{ "hugetlb anon no pages", 0, P, RW, ANON_PRIVATE | MM_MAP_HUGETLB, NULL, 0,
		  -ENOMEM },
		{ "hugetlb anon len 0", 0, 0, RW, ANON_PRIVATE | MM_MAP_HUGETLB, NULL, 0, -EINVAL },
		{ "hugetlb bad size", 0, P, RW, ANON_PRIVATE | MM_MAP_HUGETLB | (5u << 26), NULL, 0,
		  -EINVAL },
		{ "droppable file", 0, P, MM_PROT_READ, MM_MAP_DROPPABLE, &file_rw, 0, -EINVAL },
		{ "droppable locked", 0, P, RW, MM_MAP_DROPPABLE | MM_MAP_ANONYMOUS | MM_MAP_LOCKED,
		  NULL, 0, -EINVAL },
		{ "anon type 7", 0, P, RW, 7 | MM_MAP_ANONYMOUS, NULL, 0, -EINVAL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
		int err = try_mmap(mm, rows[i].addr, rows[i].len, rows[i].prot, rows[i].flags,
				   rows[i].file, rows[i].off, NULL);

		if (err != rows[i].err)
			fail_msg("row %s: got %d, expected %d", rows[i].name, err, rows[i].err);
		if (err)
			assert_int_equal(status_of(mm).map_count, 0);
		mm_destroy(mm);
	}
}

static void
test_errno_limits(void **state)
{
	struct mm_config cfg;
	struct mm *mm;
	uint64_t a;

	(void)state;
	/* 18: MAP_FIXED_NOREPLACE over an existing VMA */
	mm = new_mm(MM_LAYOUT_X86_64, false);
	do_mmap(mm, 0x10000000, 4 * P, RW, FIXED_PRIVATE);
	assert_int_equal(try_mmap(mm, 0x10003000, 2 * P, RW, ANON_PRIVATE | MM_MAP_FIXED_NOREPLACE,
				  NULL, 0, NULL),
			 -EEXIST);
	assert_int_equal(try_mmap(mm, 0x10004000, 2 * P, RW, ANON_PRIVATE | MM_MAP_FIXED_NOREPLACE,
				  NULL, 0, &a),
			 0);
	assert_int_equal(a, 0x10004000);
	mm_destroy(mm);

	/* 26: MAP_LOCKED with RLIMIT_MEMLOCK 0 */
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.rlimit_memlock = 0;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	assert_int_equal(try_mmap(mm, 0, P, RW, ANON_PRIVATE | MM_MAP_LOCKED, NULL, 0, NULL),
			 -EPERM);
	mm_destroy(mm);
	/* ... but CAP_IPC_LOCK bypasses both memlock checks */
	cfg.cap_ipc_lock = true;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	assert_int_equal(try_mmap(mm, 0, 16 << 20, RW, ANON_PRIVATE | MM_MAP_LOCKED, NULL, 0, NULL),
			 0);
	assert_int_equal(status_of(mm).locked_vm, 4096);
	mm_destroy(mm);

	/* 25: with CAP_SYS_RAWIO, address 0 works */
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.cap_sys_rawio = true;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	assert_int_equal(try_mmap(mm, 0, P, RW, FIXED_PRIVATE, NULL, 0, &a), 0);
	assert_int_equal(a, 0);
	mm_destroy(mm);

	/* 29: RLIMIT_AS, and RLIMIT_DATA for private writable memory only */
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.rlimit_as = 64 * P;
	cfg.rlimit_data = 16 * P;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	assert_int_equal(try_mmap(mm, 0, 17 * P, RW, ANON_PRIVATE, NULL, 0, NULL), -ENOMEM);
	assert_int_equal(try_mmap(mm, 0, 17 * P, MM_PROT_READ, ANON_PRIVATE, NULL, 0, NULL), 0);
	assert_int_equal(try_mmap(mm, 0, 16 * P, RW, ANON_PRIVATE, NULL, 0, NULL), 0);
	assert_int_equal(try_mmap(mm, 0, 32 * P, MM_PROT_READ, ANON_PRIVATE, NULL, 0, NULL),
			 -ENOMEM);
	assert_int_equal(try_mmap(mm, 0, 31 * P, MM_PROT_READ, ANON_PRIVATE, NULL, 0, NULL), 0);
	mm_destroy(mm);
}

/* 28: map_count may reach max+1 through mmap, and not beyond. */
static void
test_map_count_limit(void **state)
{
	struct mm *mm = new_mm_map_limit(5);

	(void)state;
	for (int i = 0; i < 6; i++)
		assert_int_equal(try_mmap(mm, 0x10000000 + (uint64_t)i * 2 * P, P, RW,
					  FIXED_PRIVATE, NULL, 0, NULL),
				 0);
	assert_int_equal(status_of(mm).map_count, 6);
	assert_int_equal(try_mmap(mm, 0x20000000, P, RW, FIXED_PRIVATE, NULL, 0, NULL), -ENOMEM);
	/* a mapping that would merge is refused too: the test comes first */
	assert_int_equal(try_mmap(mm, 0x10001000, P, RW, FIXED_PRIVATE, NULL, 0, NULL), -ENOMEM);
	assert_int_equal(mm_munmap(mm, 0x10000000, P), 0);
	assert_int_equal(try_mmap(mm, 0x20000000, P, RW, FIXED_PRIVATE, NULL, 0, NULL), 0);
	mm_destroy(mm);
}

struct place_row {
	const char *name;
	uint64_t addr, len;
	uint32_t prot, flags;
	uint64_t want;
};

/* Placement in a fresh x86_64 address space (no stack VMA). */
static void
test_placement_fresh(void **state)
{
	static const struct place_row rows[] = {
		{ "first page below mmap_base", 0, P, RW, ANON_PRIVATE, TOP - P },
		{ "2 MiB is THP aligned", 0, 2 << 20, RW, ANON_PRIVATE, 0x7ffff7c00000ULL },
		{ "4 MiB is THP aligned", 0, 4 << 20, RW, ANON_PRIVATE, 0x7ffff7a00000ULL },
		{ "2 MiB + 4 KiB is not", 0, (2 << 20) + P, RW, ANON_PRIVATE, TOP - (2 << 20) - P },
		{ "shared anon 2 MiB is not", 0, 2 << 20, RW, MM_MAP_SHARED | MM_MAP_ANONYMOUS,
		  TOP - (2 << 20) },
		{ "hinted 2 MiB is not", 0x10000000, 2 << 20, RW, ANON_PRIVATE, 0x10000000 },
		{ "hint taken", 0x10000000, P, RW, ANON_PRIVATE, 0x10000000 },
		{ "hint rounded down", 0x10000fff, P, RW, ANON_PRIVATE, 0x10000000 },
		{ "hint below mmap_min_addr", 0x1000, P, RW, ANON_PRIVATE, 0x10000 },
		{ "hint above task size", 0x900000000000ULL, P, RW, ANON_PRIVATE, TOP - P },
		{ "hint crossing task size", 0x7ffffffff000ULL - P, 2 * P, RW, ANON_PRIVATE,
		  TOP - 2 * P },
		{ "MAP_32BIT", 0, P, RW, ANON_PRIVATE | MM_MAP_32BIT, 0x40000000 },
		{ "fixed", 0x12345000, P, RW, FIXED_PRIVATE, 0x12345000 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
		uint64_t a = 0;
		int err = try_mmap(mm, rows[i].addr, rows[i].len, rows[i].prot, rows[i].flags, NULL,
				   0, &a);

		if (err || a != rows[i].want)
			fail_msg("row %s: err %d addr %#llx, expected %#llx", rows[i].name, err,
				 (unsigned long long)a, (unsigned long long)rows[i].want);
		mm_destroy(mm);
	}
}

static void
test_placement_sequence(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, true);

	(void)state;
	/* successive pages go down and merge into one VMA */
	assert_int_equal(do_mmap(mm, 0, P, RW, ANON_PRIVATE), TOP - P);
	assert_int_equal(do_mmap(mm, 0, P, RW, ANON_PRIVATE), TOP - 2 * P);
	assert_int_equal(count_vmas(mm), 2);
	expect_vma(mm, 0, TOP - 2 * P, TOP, F_RW);
	/* a read-only page below does not merge */
	assert_int_equal(do_mmap(mm, 0, P, MM_PROT_READ, ANON_PRIVATE), TOP - 3 * P);
	assert_int_equal(count_vmas(mm), 3);
	/* 2 MiB: padded search below the lowest VMA, then aligned up */
	assert_int_equal(do_mmap(mm, 0, 2 << 20, RW, ANON_PRIVATE), 0x7ffff7c00000ULL);
	/* the gap left above it is used by a small mapping first (highest fit) */
	assert_int_equal(do_mmap(mm, 0, P, MM_PROT_NONE, ANON_PRIVATE), TOP - 4 * P);
	/* a hole that is too small is skipped */
	assert_int_equal(mm_munmap(mm, TOP - 2 * P, P), 0);
	check_valid(mm);
	assert_int_equal(do_mmap(mm, 0, 2 * P, MM_PROT_READ, ANON_PRIVATE), TOP - 6 * P);
	assert_int_equal(do_mmap(mm, 0, P, MM_PROT_READ, ANON_PRIVATE), TOP - 2 * P);
	mm_destroy(mm);
}

static void
test_placement_guard_gap(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	const uint64_t stack = 0x20000000;
	uint64_t a;

	(void)state;
	do_mmap(mm, stack, 16 * P, RW, FIXED_PRIVATE | MM_MAP_GROWSDOWN);
	expect_vma(mm, 0, stack, stack + 16 * P, F_RW | VM_GROWSDOWN);
	assert_int_equal(status_of(mm).stack_vm, 16);
	/* a hint inside the guard gap is refused: top-down search instead */
	assert_int_equal(do_mmap(mm, stack - 0x80000, P, RW, ANON_PRIVATE), TOP - P);
	/* just below the gap is fine */
	assert_int_equal(do_mmap(mm, stack - (1 << 20) - P, P, MM_PROT_READ, ANON_PRIVATE),
			 stack - (1 << 20) - P);
	/* MAP_FIXED ignores the gap */
	assert_int_equal(try_mmap(mm, stack - P, P, MM_PROT_READ, FIXED_PRIVATE, NULL, 0, &a), 0);
	assert_int_equal(a, stack - P);
	mm_destroy(mm);

	/* the top-down search skips the guard gap of a GROWSDOWN VMA just below mmap_base */
	mm = new_mm(MM_LAYOUT_X86_64, false);
	do_mmap(mm, TOP - 16 * P, 16 * P, RW, FIXED_PRIVATE | MM_MAP_GROWSDOWN);
	assert_int_equal(do_mmap(mm, 0, P, RW, ANON_PRIVATE), TOP - 16 * P - (1 << 20) - P);
	mm_destroy(mm);

	/*
	 * Finding F4: once the highest fit lies under a GROWSDOWN VMA's guard gap, the search
	 * restarts below the guard gap, skipping even holes under other VMAs inside it.
	 */
	mm = new_mm(MM_LAYOUT_X86_64, false);
	do_mmap(mm, TOP - 0x24000, 0x24000, RW, FIXED_PRIVATE);
	assert_int_equal(mm_munmap(mm, TOP - 0x16000, 0xe000), 0);
	assert_int_equal(do_mmap(mm, 0, 4 * P, RW, ANON_PRIVATE | MM_MAP_GROWSDOWN), TOP - 0xc000);
	assert_int_equal(do_mmap(mm, 0, P, MM_PROT_NONE, ANON_PRIVATE),
			 TOP - 0xc000 - (1 << 20) - P);
	mm_destroy(mm);
	/* bottom-up: a fit inside the guard gap moves above the GROWSDOWN VMA */
	mm = new_mm(MM_LAYOUT_X86_64_LEGACY, false);
	do_mmap(mm, 0x2aaaaaaab000ULL + 4 * P, 2 * P, RW, FIXED_PRIVATE | MM_MAP_GROWSDOWN);
	assert_int_equal(do_mmap(mm, 0, P, RW, ANON_PRIVATE), 0x2aaaaaaab000ULL + 6 * P);
	mm_destroy(mm);
}

static void
test_placement_layouts(void **state)
{
	struct mm_config cfg;
	struct mm *mm;

	(void)state;
	/* legacy: bottom-up from TASK_UNMAPPED_BASE, merging upwards */
	mm = new_mm(MM_LAYOUT_X86_64_LEGACY, false);
	assert_int_equal(do_mmap(mm, 0, P, RW, ANON_PRIVATE), 0x2aaaaaaab000ULL);
	assert_int_equal(do_mmap(mm, 0, P, RW, ANON_PRIVATE), 0x2aaaaaaac000ULL);
	assert_int_equal(count_vmas(mm), 1);
	/* THP alignment rounds up bottom-up */
	assert_int_equal(do_mmap(mm, 0, 2 << 20, RW, ANON_PRIVATE), 0x2aaaaac00000ULL);
	mm_destroy(mm);

	/* i386: 3 GiB task, no THP alignment for compat tasks */
	mm = new_mm(MM_LAYOUT_I386, false);
	assert_int_equal(do_mmap(mm, 0, P, RW, ANON_PRIVATE), 0xb7fff000ULL);
	assert_int_equal(do_mmap(mm, 0, 2 << 20, MM_PROT_READ, ANON_PRIVATE), 0xb7dff000ULL);
	assert_int_equal(try_mmap(mm, 0xbffff000ULL, 2 * P, RW, FIXED_PRIVATE, NULL, 0, NULL),
			 -ENOMEM);
	/* MAP_32BIT means nothing to a 32-bit task */
	assert_int_equal(do_mmap(mm, 0, P, MM_PROT_NONE, ANON_PRIVATE | MM_MAP_32BIT),
			 0xb7dfe000ULL);
	mm_destroy(mm);

	/* MAP_ABOVE4G keeps the top-down search above 4 GiB */
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.mmap_base = 0x100002000ULL;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	assert_int_equal(do_mmap(mm, 0, 2 * P, RW, ANON_PRIVATE), 0x100000000ULL);
	assert_int_equal(do_mmap(mm, 0, P, MM_PROT_READ, ANON_PRIVATE | 0x80), 0x2aaaaaaab000ULL);
	assert_int_equal(do_mmap(mm, 0, P, MM_PROT_READ, ANON_PRIVATE), 0xfffff000ULL);
	mm_destroy(mm);

	/* top-down failure falls back to bottom-up from the legacy base */
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.mmap_base = 0x100000;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	assert_int_equal(do_mmap(mm, 0, 0x100000, RW, ANON_PRIVATE), 0x2aaaaaaab000ULL);
	assert_int_equal(do_mmap(mm, 0, 0x10000, RW, ANON_PRIVATE), 0xf0000);
	mm_destroy(mm);
}

static void
test_file_placement_thp(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	uint64_t a;

	(void)state;
	/* a 4 MiB file mapping is aligned to 2 MiB, congruent with its offset */
	assert_int_equal(try_mmap(mm, 0, 4 << 20, MM_PROT_READ, MM_MAP_SHARED, &file_rw, 0, &a), 0);
	assert_int_equal(a, 0x7ffff7a00000ULL);
	/* 3 MiB still contains an aligned 2 MiB stretch of the file */
	assert_int_equal(try_mmap(mm, 0, 3 << 20, MM_PROT_READ, MM_MAP_PRIVATE, &file_rw, 0, &a),
			 0);
	assert_int_equal(a, 0x7ffff7600000ULL);
	/* small mappings are not aligned; the highest hole (left above the first) is used */
	assert_int_equal(try_mmap(mm, 0, P, MM_PROT_READ, MM_MAP_PRIVATE, &file_rw, 0, &a), 0);
	assert_int_equal(a, TOP - P);
	mm_destroy(mm);
}

static void
test_flags(void **state)
{
	static const struct {
		const char *name;
		uint32_t prot, flags;
		const struct mm_file_desc *file;
		uint64_t want;
	} rows[] = {
		{ "anon rw", RW, ANON_PRIVATE, NULL, F_RW },
		{ "anon ro", MM_PROT_READ, ANON_PRIVATE, NULL, F_RO },
		{ "anon none", MM_PROT_NONE, ANON_PRIVATE, NULL, F_NONE },
		{ "noreserve", RW, ANON_PRIVATE | MM_MAP_NORESERVE, NULL,
		  VM_READ | VM_WRITE | MAYS | VM_NORESERVE },
		{ "shared anon", RW, MM_MAP_SHARED | MM_MAP_ANONYMOUS, NULL, F_SHARED },
		{ "growsdown", RW, ANON_PRIVATE | MM_MAP_GROWSDOWN, NULL, F_RW | VM_GROWSDOWN },
		{ "locked", RW, ANON_PRIVATE | MM_MAP_LOCKED, NULL, F_RW | VM_LOCKED },
		{ "stack rwx", RW | MM_PROT_EXEC, ANON_PRIVATE | MM_MAP_STACK, NULL,
		  F_RW | VM_EXEC | VM_NOHUGEPAGE },
		{ "sync anon", RW, ANON_PRIVATE | MM_MAP_SYNC, NULL, F_RW | VM_SYNC },
		{ "populate leaves no flag", RW, ANON_PRIVATE | MM_MAP_POPULATE, NULL, F_RW },
		{ "droppable", MM_PROT_READ, MM_MAP_DROPPABLE | MM_MAP_ANONYMOUS, NULL,
		  F_RO | VM_NORESERVE | VM_WIPEONFORK | VM_DONTDUMP | VM_DROPPABLE },
		{ "file shared rw", RW, MM_MAP_SHARED, &file_rw, F_SHARED },
		{ "file shared ro fd", MM_PROT_READ, MM_MAP_SHARED, &file_ro,
		  VM_READ | VM_MAYREAD | VM_MAYEXEC | VM_MAYSHARE },
		{ "file private rw", RW, MM_MAP_PRIVATE, &file_ro, F_RW },
		{ "file private rx", MM_PROT_READ | MM_PROT_EXEC, MM_MAP_PRIVATE, &file_ro,
		  F_RO | VM_EXEC },
		{ "noexec drops mayexec", MM_PROT_READ, MM_MAP_PRIVATE, &file_noexec,
		  VM_READ | VM_MAYREAD | VM_MAYWRITE },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
		struct mm_vma_info info;
		uint64_t a;

		assert_int_equal(
			try_mmap(mm, 0, 4 * P, rows[i].prot, rows[i].flags, rows[i].file, 0, &a),
			0);
		nth_vma(mm, 0, &info);
		if (info.flags != rows[i].want)
			fail_msg("row %s: flags %#llx, expected %#llx", rows[i].name,
				 (unsigned long long)info.flags, (unsigned long long)rows[i].want);
		mm_destroy(mm);
	}
}

static void
test_counters(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_status st;

	(void)state;
	do_mmap(mm, 0x10000000, 4 * P, RW, FIXED_PRIVATE);
	do_mmap(mm, 0x20000000, 2 * P, MM_PROT_READ | MM_PROT_EXEC, FIXED_PRIVATE);
	do_mmap(mm, 0x30000000, 3 * P, RW, FIXED_PRIVATE | MM_MAP_GROWSDOWN);
	do_mmap(mm, 0x40000000, 5 * P, RW, MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_FIXED);
	do_mmap(mm, 0x50000000, 6 * P, MM_PROT_READ, FIXED_PRIVATE);
	do_mmap(mm, 0x60000000, 7 * P, RW, FIXED_PRIVATE | MM_MAP_LOCKED);
	st = status_of(mm);
	assert_int_equal(st.total_vm, 4 + 2 + 3 + 5 + 6 + 7);
	assert_int_equal(st.data_vm, 4 + 7);
	assert_int_equal(st.exec_vm, 2);
	assert_int_equal(st.stack_vm, 3);
	assert_int_equal(st.locked_vm, 7);
	/* MAP_LOCKED populates: 7 anonymous pages */
	assert_int_equal(st.rss_anon, 7);
	assert_int_equal(st.map_count, 6);
	mm_destroy(mm);
}

static void
test_merge_new_range(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	const uint64_t b = 0x10000000;

	(void)state;
	/* A . C, then B in the hole: one VMA */
	do_mmap(mm, b, P, RW, FIXED_PRIVATE);
	do_mmap(mm, b + 2 * P, P, RW, FIXED_PRIVATE);
	assert_int_equal(count_vmas(mm), 2);
	do_mmap(mm, b + P, P, RW, FIXED_PRIVATE);
	assert_int_equal(count_vmas(mm), 1);
	expect_vma(mm, 0, b, b + 3 * P, F_RW);
	/* MAP_FIXED of the same kind over the middle: split and merged back */
	do_mmap(mm, b + P, P, RW, FIXED_PRIVATE);
	assert_int_equal(count_vmas(mm), 1);
	/* different flags over the middle: three VMAs */
	do_mmap(mm, b + P, P, MM_PROT_READ, FIXED_PRIVATE);
	assert_int_equal(count_vmas(mm), 3);
	expect_vma(mm, 1, b + P, b + 2 * P, F_RO);
	assert_int_equal(status_of(mm).total_vm, 3);
	assert_int_equal(status_of(mm).data_vm, 2);
	/* NORESERVE next to ACCOUNT, MAP_STACK next to plain, shared next to shared: no merge */
	do_mmap(mm, b + 3 * P, P, RW, FIXED_PRIVATE | MM_MAP_NORESERVE);
	do_mmap(mm, b + 4 * P, P, RW, FIXED_PRIVATE | MM_MAP_STACK);
	do_mmap(mm, b + 5 * P, P, RW, MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_FIXED);
	do_mmap(mm, b + 6 * P, P, RW, MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_FIXED);
	assert_int_equal(count_vmas(mm), 7);
	mm_destroy(mm);
}

static void
test_merge_files(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_file_desc other = file_rw;
	const uint64_t b = 0x10000000;
	struct mm_vma_info info;

	(void)state;
	other.instance = 9;
	assert_int_equal(
		try_mmap(mm, b, P, MM_PROT_READ, MM_MAP_SHARED | MM_MAP_FIXED, &file_rw, 0, NULL),
		0);
	/* same open file, continuous offset: merges */
	assert_int_equal(try_mmap(mm, b + P, P, MM_PROT_READ, MM_MAP_SHARED | MM_MAP_FIXED,
				  &file_rw, P, NULL),
			 0);
	assert_int_equal(count_vmas(mm), 1);
	/* offset gap: no merge */
	assert_int_equal(try_mmap(mm, b + 2 * P, P, MM_PROT_READ, MM_MAP_SHARED | MM_MAP_FIXED,
				  &file_rw, 5 * P, NULL),
			 0);
	/* another open() of the same file: no merge */
	assert_int_equal(try_mmap(mm, b + 3 * P, P, MM_PROT_READ, MM_MAP_SHARED | MM_MAP_FIXED,
				  &other, 6 * P, NULL),
			 0);
	assert_int_equal(count_vmas(mm), 3);
	/* filling the hole between two pieces of the same file merges all three */
	assert_int_equal(try_mmap(mm, b + 5 * P, P, MM_PROT_READ, MM_MAP_SHARED | MM_MAP_FIXED,
				  &other, 8 * P, NULL),
			 0);
	assert_int_equal(try_mmap(mm, b + 4 * P, P, MM_PROT_READ, MM_MAP_SHARED | MM_MAP_FIXED,
				  &other, 7 * P, NULL),
			 0);
	assert_int_equal(count_vmas(mm), 3);
	nth_vma(mm, 2, &info);
	assert_int_equal(info.start, b + 3 * P);
	assert_int_equal(info.end, b + 6 * P);
	assert_int_equal(info.pgoff, 6);
	mm_destroy(mm);
}

/* A MAP_FIXED that fails on RLIMIT_AS after splitting keeps the split (EMP). */
static void
test_fixed_failure_keeps_split(void **state)
{
	struct mm_config cfg;
	struct mm *mm;

	(void)state;
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.rlimit_as = 20 * P;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	do_mmap(mm, 0x10000000, 3 * P, RW, FIXED_PRIVATE);
	assert_int_equal(
		try_mmap(mm, 0x10001000, 32 * P, MM_PROT_READ, FIXED_PRIVATE, NULL, 0, NULL),
		-ENOMEM);
	assert_int_equal(count_vmas(mm), 2);
	expect_vma(mm, 0, 0x10000000, 0x10001000, F_RW);
	expect_vma(mm, 1, 0x10001000, 0x10003000, F_RW);
	mm_destroy(mm);
}

/* A hole-punching MAP_FIXED at the map_count limit fails before anything changes. */
static void
test_fixed_hole_at_limit(void **state)
{
	struct mm *mm = new_mm_map_limit(2);

	(void)state;
	do_mmap(mm, 0x10000000, 3 * P, RW, FIXED_PRIVATE);
	do_mmap(mm, 0x20000000, 3 * P, RW, FIXED_PRIVATE);
	assert_int_equal(try_mmap(mm, 0x10001000, P, MM_PROT_READ, FIXED_PRIVATE, NULL, 0, NULL),
			 -ENOMEM);
	assert_int_equal(count_vmas(mm), 2);
	/* a head replacement splits without the check */
	assert_int_equal(try_mmap(mm, 0x10000000, P, MM_PROT_READ, FIXED_PRIVATE, NULL, 0, NULL),
			 0);
	assert_int_equal(count_vmas(mm), 3);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno_table),
		cmocka_unit_test(test_errno_limits),
		cmocka_unit_test(test_map_count_limit),
		cmocka_unit_test(test_placement_fresh),
		cmocka_unit_test(test_placement_sequence),
		cmocka_unit_test(test_placement_guard_gap),
		cmocka_unit_test(test_placement_layouts),
		cmocka_unit_test(test_file_placement_thp),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_merge_new_range),
		cmocka_unit_test(test_merge_files),
		cmocka_unit_test(test_fixed_failure_keeps_split),
		cmocka_unit_test(test_fixed_hole_at_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
