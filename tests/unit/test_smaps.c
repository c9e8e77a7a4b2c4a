/* SPDX-License-Identifier: MIT */
/* lib/smaps.c: /proc/PID/smaps and smaps_rollup text, as fs/proc/task_mmu.c prints it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_helpers.h"

#define WIN 0x200000000000ULL

static char *
smaps(const struct mm *mm, bool rollup)
{
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(mm_render_smaps(mm, rollup, &text, &len), 0);
	assert_int_equal(len, strlen(text));
	return text;
}

/* The figure of field in the block that starts with addr's maps line ("%lx-"). */
static long long
field(const char *text, uint64_t addr, const char *name)
{
	char key[32], pat[64];
	const char *p, *f;
	long long v;

	snprintf(key, sizeof(key), "%llx-", (unsigned long long)addr);
	p = strstr(text, key);
	assert_non_null(p);
	snprintf(pat, sizeof(pat), "\n%s:", name);
	f = strstr(p, pat);
	assert_non_null(f);
	assert_int_equal(sscanf(f + strlen(pat), "%lld", &v), 1);
	return v;
}

static void
mmap_fixed(struct mm *mm, uint64_t addr, uint64_t len, uint32_t flags, const struct mm_file_desc *f)
{
	uint64_t out;

	assert_int_equal(mm_mmap(mm, addr, len, RW, flags | MM_MAP_FIXED, f, 0, &out), 0);
	check_valid(mm);
}

/* A block as the kernel prints it for fresh private anonymous memory with two pages written. */
static void
anonymous_block_is_the_kernels(void **state)
{
	static const char want[] = "200000000000-200000004000 rw-p 00000000 00:00 0 \n"
				   "Size:                 16 kB\n"
				   "KernelPageSize:        4 kB\n"
				   "MMUPageSize:           4 kB\n"
				   "Rss:                   8 kB\n"
				   "Pss:                   8 kB\n"
				   "Pss_Dirty:             8 kB\n"
				   "Shared_Clean:          0 kB\n"
				   "Shared_Dirty:          0 kB\n"
				   "Private_Clean:         0 kB\n"
				   "Private_Dirty:         8 kB\n"
				   "Referenced:            8 kB\n"
				   "Anonymous:             8 kB\n"
				   "KSM:                   0 kB\n"
				   "LazyFree:              0 kB\n"
				   "AnonHugePages:         0 kB\n"
				   "ShmemPmdMapped:        0 kB\n"
				   "FilePmdMapped:         0 kB\n"
				   "Shared_Hugetlb:        0 kB\n"
				   "Private_Hugetlb:       0 kB\n"
				   "Swap:                  0 kB\n"
				   "SwapPss:               0 kB\n"
				   "Locked:                0 kB\n"
				   "THPeligible:           0\n"
				   "VmFlags: rd wr mr mw me ac \n";
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	char *text;

	(void)state;
	mmap_fixed(mm, WIN, 4 * P, ANON_PRIVATE, NULL);
	assert_int_equal(mm_populate(mm, WIN + P, 2 * P, true), 0);
	text = smaps(mm, false);
	assert_non_null(strstr(text, want));
	free(text);
	mm_destroy(mm);
}

/* The [vsyscall] gate ends smaps: nothing resident, VmFlags "ex". */
static void
gate_block_ends_smaps(void **state)
{
	struct mm_config cfg;
	struct mm *mm = NULL;
	char *text;
	const char *gate;

	(void)state;
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.gate_vma = true;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	text = smaps(mm, false);
	gate = strstr(text, "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0"
			    "                  [vsyscall]\nSize:                  4 kB\n");
	assert_ptr_equal(gate, text);
	assert_non_null(strstr(gate, "THPeligible:           0\nVmFlags: ex \n"));
	assert_int_equal(strlen(strstr(gate, "VmFlags: ex \n")), strlen("VmFlags: ex \n"));
	free(text);
	mm_destroy(mm);
}

/* Locked is the Pss of VM_LOCKED VMAs; VmFlags in bit order. */
static void
locked_counts_pss_of_locked_vmas(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	char *text;

	(void)state;
	mmap_fixed(mm, WIN, 8 * P, ANON_PRIVATE, NULL);
	assert_int_equal(mm_mlock(mm, WIN, 4 * P, 0), 0);
	assert_int_equal(mm_madvise(mm, WIN, 4 * P, MM_MADV_DONTDUMP), 0);
	assert_int_equal(mm_madvise(mm, WIN, 4 * P, MM_MADV_RANDOM), 0);
	assert_int_equal(mm_populate(mm, WIN, 8 * P, true), 0);
	check_valid(mm);
	text = smaps(mm, false);
	assert_int_equal(field(text, WIN, "Locked"), 16);
	assert_int_equal(field(text, WIN + 4 * P, "Locked"), 0);
	assert_int_equal(field(text, WIN + 4 * P, "Rss"), 16);
	assert_non_null(strstr(text, "VmFlags: rd wr mr mw me lo rr ac dd \n"));
	free(text);
	mm_destroy(mm);
}

/*
 * THPeligible: VM_HUGEPAGE anonymous memory holding an aligned 2 MiB block; a written region
 * is a huge page (AnonHugePages).  Never a file mapping.
 */
static void
thp_eligible_and_anon_huge_pages(void **state)
{
	struct mm_file_desc f = { .path = "/data/f",
				  .mode = MM_FMODE_READ | MM_FMODE_WRITE,
				  .dev_major = 8,
				  .ino = 12,
				  .size = 8 << 20 };
	const uint64_t mib2 = 2ULL << 20;
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	char *text;

	(void)state;
	mmap_fixed(mm, WIN, 2 * mib2, ANON_PRIVATE, NULL);
	mmap_fixed(mm, WIN + 3 * mib2, mib2 + P, ANON_PRIVATE, NULL);
	mmap_fixed(mm, WIN + 5 * mib2 + P, mib2 + P, ANON_PRIVATE, NULL);
	mmap_fixed(mm, WIN + 8 * mib2, mib2, MM_MAP_PRIVATE, &f);
	assert_int_equal(mm_madvise(mm, WIN, 10 * mib2, MM_MADV_HUGEPAGE), -ENOMEM);
	assert_int_equal(mm_populate(mm, WIN + mib2, P, true), 0);
	check_valid(mm);
	text = smaps(mm, false);
	assert_int_equal(field(text, WIN, "THPeligible"), 1);
	assert_int_equal(field(text, WIN, "AnonHugePages"), 2048);
	assert_int_equal(field(text, WIN, "Rss"), 2048);
	assert_int_equal(field(text, WIN + 3 * mib2, "THPeligible"), 1);
	/* 2 MiB + 4 KiB starting one page past a boundary holds no aligned block. */
	assert_int_equal(field(text, WIN + 5 * mib2 + P, "THPeligible"), 0);
	assert_int_equal(field(text, WIN + 8 * mib2, "THPeligible"), 0);
	free(text);
	assert_int_equal(mm_madvise(mm, WIN, 2 * mib2, MM_MADV_NOHUGEPAGE), 0);
	text = smaps(mm, false);
	assert_int_equal(field(text, WIN, "THPeligible"), 0);
	free(text);
	mm_destroy(mm);
}

/* A file page mapped by two VMAs of the space counts half in each one's Pss. */
static void
pss_divides_by_the_mappers_in_the_space(void **state)
{
	struct mm_file_desc f = { .path = "/data/f",
				  .mode = MM_FMODE_READ | MM_FMODE_WRITE,
				  .dev_major = 8,
				  .ino = 12,
				  .size = 4 * P };
	struct mm_file_desc g = f;
	enum mm_fault_result res;
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	char *text;

	(void)state;
	g.instance = 1; /* another open of the same inode shares its page cache */
	mmap_fixed(mm, WIN, 4 * P, MM_MAP_PRIVATE, &f);
	mmap_fixed(mm, WIN + 8 * P, 2 * P, MM_MAP_SHARED, &g);
	assert_int_equal(mm_fault(mm, WIN, MM_ACCESS_READ, &res), 0);
	assert_int_equal(mm_fault(mm, WIN + 8 * P, MM_ACCESS_READ, &res), 0);
	assert_int_equal(mm_fault(mm, WIN + 3 * P, MM_ACCESS_WRITE, &res), 0);
	check_valid(mm);
	text = smaps(mm, false);
	/* fault-around mapped pages 0-3 (page 3 then copied) and 0-1 of the shared mapping */
	assert_int_equal(field(text, WIN, "Rss"), 16);
	assert_int_equal(field(text, WIN, "Pss"), 4 + 2 + 2 + 4);
	assert_int_equal(field(text, WIN, "Shared_Clean"), 8);
	assert_int_equal(field(text, WIN, "Private_Clean"), 4);
	assert_int_equal(field(text, WIN, "Private_Dirty"), 4);
	assert_int_equal(field(text, WIN, "Pss_Dirty"), 4);
	assert_int_equal(field(text, WIN + 8 * P, "Pss"), 4);
	free(text);
	text = smaps(mm, true);
	assert_int_equal(field(text, WIN, "Pss"), 16);
	assert_int_equal(field(text, WIN, "Pss_File"), 12);
	assert_int_equal(field(text, WIN, "Pss_Anon"), 4);
	assert_int_equal(field(text, WIN, "Rss"), 24);
	free(text);
	mm_destroy(mm);
}

/* smaps_rollup: the span of the VMAs, "---p", the sums, no THPeligible or VmFlags. */
static void
rollup_header_and_sums(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	char *text;

	(void)state;
	text = smaps(mm, true);
	assert_non_null(strstr(text, "00000000-00000000 ---p 00000000 00:00 0"
				     "                                  [rollup]\nRss:"));
	free(text);
	mmap_fixed(mm, WIN, 4 * P, ANON_PRIVATE, NULL);
	mmap_fixed(mm, WIN + 16 * P, 4 * P, ANON_PRIVATE | MM_MAP_LOCKED | MM_MAP_POPULATE, NULL);
	assert_int_equal(mm_populate(mm, WIN, P, true), 0);
	text = smaps(mm, true);
	assert_ptr_equal(strstr(text, "200000000000-200000014000 ---p 00000000 00:00 0"
				      "                          [rollup]\n"),
			 text);
	assert_int_equal(field(text, WIN, "Rss"), 20);
	assert_int_equal(field(text, WIN, "Pss_Anon"), 20);
	assert_int_equal(field(text, WIN, "Pss_Shmem"), 0);
	assert_int_equal(field(text, WIN, "Locked"), 16);
	assert_null(strstr(text, "THPeligible"));
	assert_null(strstr(text, "VmFlags"));
	free(text);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(anonymous_block_is_the_kernels),
		cmocka_unit_test(gate_block_ends_smaps),
		cmocka_unit_test(locked_counts_pss_of_locked_vmas),
		cmocka_unit_test(thp_eligible_and_anon_huge_pages),
		cmocka_unit_test(pss_divides_by_the_mappers_in_the_space),
		cmocka_unit_test(rollup_header_and_sums),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
