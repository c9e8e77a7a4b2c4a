/* SPDX-License-Identifier: MIT */
/*
 * Faults, population and RSS (mm/memory.c: handle_mm_fault(); mm/gup.c:
 * populate_vma_page_range()), anon_vma attachment (mm/rmap.c: __anon_vma_prepare()), stack
 * growth (mm/mmap.c: expand_stack()).
 */
#include "test_helpers.h"

#include <errno.h>

#define B     0x10000000ULL
#define STK   0x7ffffffde000ULL
#define STK_E 0x7ffffffff000ULL

static const struct mm_file_desc file64 = {
	.path = "/tmp/f",
	.instance = 1,
	.mode = MM_FMODE_READ | MM_FMODE_WRITE,
	.ino = 2,
	.size = 1 << 20,
};

static enum mm_fault_result
fault(struct mm *mm, uint64_t addr, enum mm_access access)
{
	enum mm_fault_result res = MM_FAULT_OK;

	assert_int_equal(mm_fault(mm, addr, access, &res), 0);
	check_valid(mm);
	return res;
}

static uint64_t
anon_vma_of(const struct mm *mm, int n)
{
	struct mm_vma_info info;

	nth_vma(mm, n, &info);
	return info.anon_vma;
}

static void
test_access(void **state)
{
	static const struct {
		const char *name;
		uint32_t prot;
		enum mm_access access;
		enum mm_fault_result want;
	} rows[] = {
		{ "read rw", RW, MM_ACCESS_READ, MM_FAULT_OK },
		{ "write rw", RW, MM_ACCESS_WRITE, MM_FAULT_OK },
		{ "exec rw", RW, MM_ACCESS_EXEC, MM_FAULT_ACCERR },
		{ "write ro", MM_PROT_READ, MM_ACCESS_WRITE, MM_FAULT_ACCERR },
		{ "read none", MM_PROT_NONE, MM_ACCESS_READ, MM_FAULT_ACCERR },
		{ "read write-only", MM_PROT_WRITE, MM_ACCESS_READ, MM_FAULT_OK },
		{ "read exec-only", MM_PROT_EXEC, MM_ACCESS_READ, MM_FAULT_OK },
		{ "exec rx", MM_PROT_READ | MM_PROT_EXEC, MM_ACCESS_EXEC, MM_FAULT_OK },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

		do_mmap(mm, B, 2 * P, rows[i].prot, FIXED_PRIVATE);
		if (fault(mm, B + P + 123, rows[i].access) != rows[i].want)
			fail_msg("row %s", rows[i].name);
		assert_int_equal(fault(mm, B + 2 * P, rows[i].access), MM_FAULT_MAPERR);
		mm_destroy(mm);
	}
}

static void
test_bad_access(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	enum mm_fault_result res;

	(void)state;
	assert_int_equal(mm_fault(mm, B, (enum mm_access)7, &res), -EINVAL);
	mm_destroy(mm);
}

static void
test_anon_pages(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_vma_info info;

	(void)state;
	do_mmap(mm, B, 4 * P, RW, FIXED_PRIVATE);
	/* a read maps the zero page: nothing counted, no anon_vma */
	assert_int_equal(fault(mm, B, MM_ACCESS_READ), MM_FAULT_OK);
	assert_int_equal(status_of(mm).rss_anon, 0);
	assert_int_equal(anon_vma_of(mm, 0), 0);
	/* a write allocates one page and attaches an anon_vma */
	assert_int_equal(fault(mm, B + P, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(fault(mm, B + P, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(status_of(mm).rss_anon, 1);
	assert_int_not_equal(anon_vma_of(mm, 0), 0);
	nth_vma(mm, 0, &info);
	assert_int_equal(info.rss_anon, 1);
	/* pages follow a split */
	assert_int_equal(mm_mprotect(mm, B + P, P, MM_PROT_READ), 0);
	check_valid(mm);
	nth_vma(mm, 1, &info);
	assert_int_equal(info.rss_anon, 1);
	assert_int_equal(info.start, B + P);
	nth_vma(mm, 0, &info);
	assert_int_equal(info.rss_anon, 0);
	mm_destroy(mm);
}

/*
 * mm/vma.c: find_mergeable_anon_vma(): a neighbour's anon_vma is reused when the two could
 * have been one VMA.
 */
static void
test_anon_vma_reuse(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	do_mmap(mm, B, P, RW, FIXED_PRIVATE);
	do_mmap(mm, B + P, P, RW | MM_PROT_EXEC, FIXED_PRIVATE);
	do_mmap(mm, B + 2 * P, P, RW, FIXED_PRIVATE | MM_MAP_NORESERVE);
	assert_int_equal(fault(mm, B, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(fault(mm, B + P, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(anon_vma_of(mm, 0), anon_vma_of(mm, 1));
	/* NORESERVE vs ACCOUNT: not compatible, a new anon_vma */
	assert_int_equal(fault(mm, B + 2 * P, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_not_equal(anon_vma_of(mm, 2), anon_vma_of(mm, 1));
	mm_destroy(mm);
}

static void
test_populate_kinds(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	/* EMP: RW private +size, RO private +0, RO shared anon +size */
	do_mmap(mm, B, 256 * P, RW, FIXED_PRIVATE | MM_MAP_POPULATE);
	assert_int_equal(status_of(mm).rss_anon, 256);
	do_mmap(mm, B + 512 * P, 256 * P, MM_PROT_READ, FIXED_PRIVATE | MM_MAP_POPULATE);
	assert_int_equal(status_of(mm).rss_anon, 256);
	do_mmap(mm, B + 1024 * P, 256 * P, MM_PROT_READ,
		MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_FIXED | MM_MAP_POPULATE);
	assert_int_equal(status_of(mm).rss_shmem, 256);
	/* MAP_NONBLOCK cancels MAP_POPULATE */
	do_mmap(mm, B + 2048 * P, 4 * P, RW, FIXED_PRIVATE | MM_MAP_POPULATE | MM_MAP_NONBLOCK);
	assert_int_equal(status_of(mm).rss_anon, 256);
	/* mm_populate: the kernel's choice of read or write per VMA */
	assert_int_equal(mm_populate(mm, B + 2048 * P, 4 * P, false), 0);
	assert_int_equal(status_of(mm).rss_anon, 260);
	/* a forced write breaks COW in the read-only private mapping */
	assert_int_equal(mm_populate(mm, B + 512 * P, 2 * P, true), 0);
	assert_int_equal(status_of(mm).rss_anon, 262);
	/* munmap of half drops half */
	assert_int_equal(mm_munmap(mm, B, 128 * P), 0);
	assert_int_equal(status_of(mm).rss_anon, 134);
	check_valid(mm);
	mm_destroy(mm);
}

/* F1: a read fault in a file mapping maps a 16-page block around it. */
static void
test_fault_around(void **state)
{
	static const struct {
		const char *name;
		uint64_t start, npages, off, addr, rss;
	} rows[] = {
		{ "64-page VMA", B, 64, 0, B + 5 * P, 16 },
		{ "8-page VMA", B, 8, 0, B + 5 * P, 8 },
		{ "second block", B, 64, 0, B + 20 * P, 16 },
		{ "window starts at the VMA", B + 5 * P, 64, 0, B + 7 * P, 16 },
		{ "clamped at the page table", B + 500 * P, 64, 0, B + 505 * P, 12 },
		{ "clamped at the VMA end", B, 20, 0, B + 18 * P, 4 },
		{ "clamped at EOF", B + 250 * P, 16, 250 * P, B + 250 * P, 6 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

		assert_int_equal(try_mmap(mm, rows[i].start, rows[i].npages * P, MM_PROT_READ,
					  MM_MAP_PRIVATE | MM_MAP_FIXED, &file64, rows[i].off,
					  NULL),
				 0);
		assert_int_equal(fault(mm, rows[i].addr, MM_ACCESS_READ), MM_FAULT_OK);
		if (status_of(mm).rss_file != rows[i].rss)
			fail_msg("row %s: rss %llu, expected %llu", rows[i].name,
				 (unsigned long long)status_of(mm).rss_file,
				 (unsigned long long)rows[i].rss);
		mm_destroy(mm);
	}
}

static void
test_file_cow(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_status st;

	(void)state;
	assert_int_equal(
		try_mmap(mm, B, 16 * P, RW, MM_MAP_PRIVATE | MM_MAP_FIXED, &file64, 0, NULL), 0);
	/* a write copies one page (no fault-around) */
	assert_int_equal(fault(mm, B + 3 * P, MM_ACCESS_WRITE), MM_FAULT_OK);
	st = status_of(mm);
	assert_int_equal(st.rss_anon, 1);
	assert_int_equal(st.rss_file, 0);
	/* a read maps the rest of the block; the copied page stays anonymous */
	assert_int_equal(fault(mm, B, MM_ACCESS_READ), MM_FAULT_OK);
	st = status_of(mm);
	assert_int_equal(st.rss_anon, 1);
	assert_int_equal(st.rss_file, 15);
	/* writing a file page turns it into an anonymous one */
	assert_int_equal(fault(mm, B + 4 * P, MM_ACCESS_WRITE), MM_FAULT_OK);
	st = status_of(mm);
	assert_int_equal(st.rss_anon, 2);
	assert_int_equal(st.rss_file, 14);
	mm_destroy(mm);
}

static void
test_sigbus(void **state)
{
	static const struct mm_file_desc small = {
		.path = "/tmp/s",
		.instance = 1,
		.mode = MM_FMODE_READ,
		.ino = 8,
		.size = 5000,
	};
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	uint64_t a;

	(void)state;
	assert_int_equal(try_mmap(mm, B, 4 * P, MM_PROT_READ, MM_MAP_PRIVATE | MM_MAP_FIXED, &small,
				  0, NULL),
			 0);
	assert_int_equal(fault(mm, B + P, MM_ACCESS_READ), MM_FAULT_OK);
	assert_int_equal(fault(mm, B + 2 * P, MM_ACCESS_READ), MM_FAULT_SIGBUS);
	assert_int_equal(status_of(mm).rss_file, 2);
	/* shared anonymous memory grown by mremap: beyond the object is SIGBUS */
	do_mmap(mm, B + 16 * P, 2 * P, RW, MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_FIXED);
	assert_int_equal(mm_mremap(mm, B + 16 * P, 2 * P, 4 * P, 0, 0, &a), 0);
	check_valid(mm);
	assert_int_equal(fault(mm, B + 17 * P, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(fault(mm, B + 18 * P, MM_ACCESS_WRITE), MM_FAULT_SIGBUS);
	mm_destroy(mm);
}

/* shmem: a read fault maps the neighbours that exist in the object. */
static void
test_shmem_fault_around(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	do_mmap(mm, B, 16 * P, RW, MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_FIXED);
	for (int i = 0; i < 8; i++)
		assert_int_equal(fault(mm, B + (uint64_t)i * P, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(status_of(mm).rss_shmem, 8);
	assert_int_equal(mm_madvise(mm, B, 16 * P, MM_MADV_DONTNEED), 0);
	assert_int_equal(status_of(mm).rss_shmem, 0);
	assert_int_equal(fault(mm, B + 10 * P, MM_ACCESS_READ), MM_FAULT_OK);
	assert_int_equal(status_of(mm).rss_shmem, 9);
	/* MADV_REMOVE frees them from the object */
	assert_int_equal(mm_madvise(mm, B, 16 * P, MM_MADV_REMOVE), 0);
	assert_int_equal(status_of(mm).rss_shmem, 0);
	assert_int_equal(fault(mm, B + 3 * P, MM_ACCESS_READ), MM_FAULT_OK);
	assert_int_equal(status_of(mm).rss_shmem, 1);
	check_valid(mm);
	mm_destroy(mm);
}

/*
 * Findings F5/F6/F8: a read beyond EOF still maps its fault-around block, if the 2 MiB region
 * has a page table already; a write beyond EOF maps nothing but attaches the anon_vma, so
 * fork copies the VMA's page tables (file pages included).
 */
static void
test_beyond_eof_side_effects(void **state)
{
	static const struct mm_file_desc f16 = {
		.path = "/tmp/f16",
		.instance = 1,
		.mode = MM_FMODE_READ,
		.ino = 9,
		.size = 16 * P,
	};
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false), *child;
	const uint64_t a = 0x200000030000ULL;
	struct mm_vma_info info;
	uint64_t out;

	(void)state;
	assert_int_equal(try_mmap(mm, a, 0x18000, MM_PROT_WRITE, MM_MAP_PRIVATE | MM_MAP_FIXED,
				  &f16, 0x4000, NULL),
			 0);
	assert_int_equal(fault(mm, 0x20000003cb9aULL, MM_ACCESS_READ), MM_FAULT_SIGBUS);
	assert_int_equal(status_of(mm).rss_file, 12);
	mm_destroy(mm);

	/* F8: a window with a single page inside EOF maps nothing without a page table */
	mm = new_mm(MM_LAYOUT_X86_64, false);
	assert_int_equal(try_mmap(mm, a, 0x18000, MM_PROT_READ, MM_MAP_PRIVATE | MM_MAP_FIXED, &f16,
				  15 * P, NULL),
			 0);
	assert_int_equal(fault(mm, a + 5 * P, MM_ACCESS_READ), MM_FAULT_SIGBUS);
	assert_int_equal(status_of(mm).rss_file, 0);
	/* a zero-page read elsewhere in the 2 MiB region creates the page table */
	do_mmap(mm, 0x200000100000ULL, P, RW, FIXED_PRIVATE);
	assert_int_equal(fault(mm, 0x200000100000ULL, MM_ACCESS_READ), MM_FAULT_OK);
	assert_int_equal(fault(mm, a + 5 * P, MM_ACCESS_READ), MM_FAULT_SIGBUS);
	assert_int_equal(status_of(mm).rss_file, 1);
	/* unmapping everything in the region frees it again */
	assert_int_equal(mm_munmap(mm, 0x200000000000ULL, 2 << 20), 0);
	assert_int_equal(try_mmap(mm, a, 0x18000, MM_PROT_READ, MM_MAP_PRIVATE | MM_MAP_FIXED, &f16,
				  15 * P, NULL),
			 0);
	assert_int_equal(fault(mm, a + 5 * P, MM_ACCESS_READ), MM_FAULT_SIGBUS);
	assert_int_equal(status_of(mm).rss_file, 0);
	mm_destroy(mm);

	/* shmem has no such exception: a forked child maps the object's one page (EMP) */
	mm = new_mm(MM_LAYOUT_X86_64, false);
	do_mmap(mm, a, P, RW, MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_FIXED);
	assert_int_equal(mm_mremap(mm, a, P, 8 * P, 0, 0, &out), 0);
	assert_int_equal(fault(mm, a, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(mm_fork(mm, &child), 0);
	assert_int_equal(status_of(child).rss_shmem, 0);
	assert_int_equal(fault(child, a + 4 * P, MM_ACCESS_READ), MM_FAULT_SIGBUS);
	assert_int_equal(status_of(child).rss_shmem, 1);
	mm_destroy(child);
	mm_destroy(mm);

	mm = new_mm(MM_LAYOUT_X86_64, false);
	assert_int_equal(
		try_mmap(mm, a, 0x18000, RW, MM_MAP_PRIVATE | MM_MAP_FIXED, &f16, 0x4000, NULL), 0);
	assert_int_equal(fault(mm, a + 20 * P, MM_ACCESS_WRITE), MM_FAULT_SIGBUS);
	nth_vma(mm, 0, &info);
	assert_int_not_equal(info.anon_vma, 0);
	assert_int_equal(info.rss_anon + info.rss_file, 0);
	assert_int_equal(fault(mm, a + P, MM_ACCESS_READ), MM_FAULT_OK);
	assert_int_equal(status_of(mm).rss_file, 12);
	assert_int_equal(mm_fork(mm, &child), 0);
	check_valid(child);
	assert_int_equal(status_of(child).rss_file, 12);
	mm_destroy(child);
	mm_destroy(mm);
}

/* THP=madvise: VM_HUGEPAGE private anonymous regions get 2 MiB pages (EMP). */
static void
test_thp(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	const uint64_t h = 0x40000000, m = 2 << 20;

	(void)state;
	do_mmap(mm, h, 2 * m, RW, FIXED_PRIVATE);
	assert_int_equal(mm_madvise(mm, h, 2 * m, MM_MADV_HUGEPAGE), 0);
	assert_int_equal(fault(mm, h + 100, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(status_of(mm).rss_anon, 512);
	/* a read maps the huge zero page; a write after it gets a huge page */
	assert_int_equal(fault(mm, h + m + 5, MM_ACCESS_READ), MM_FAULT_OK);
	assert_int_equal(status_of(mm).rss_anon, 512);
	assert_int_equal(fault(mm, h + m + 5, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(status_of(mm).rss_anon, 1024);
	/* unmapping one page splits the huge page; the rest stays */
	assert_int_equal(mm_munmap(mm, h + P, P), 0);
	assert_int_equal(status_of(mm).rss_anon, 1023);
	/* DONTNEED of a whole huge page empties the PMD: the next write gets one again */
	assert_int_equal(mm_madvise(mm, h + m, m, MM_MADV_DONTNEED), 0);
	assert_int_equal(status_of(mm).rss_anon, 511);
	assert_int_equal(fault(mm, h + m + 7 * P, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(status_of(mm).rss_anon, 1023);
	/* partly: the huge page is split, the next write there gets one page */
	assert_int_equal(mm_madvise(mm, h + m, 4 * P, MM_MADV_DONTNEED), 0);
	assert_int_equal(fault(mm, h + m, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(status_of(mm).rss_anon, 1020);
	check_valid(mm);
	mm_destroy(mm);

	/* a page table made before MADV_HUGEPAGE keeps the region on 4 KiB pages */
	mm = new_mm(MM_LAYOUT_X86_64, false);
	do_mmap(mm, h, 2 * m, RW, FIXED_PRIVATE);
	assert_int_equal(fault(mm, h + 5, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(mm_madvise(mm, h, 2 * m, MM_MADV_HUGEPAGE), 0);
	assert_int_equal(fault(mm, h + 3 * P, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(status_of(mm).rss_anon, 2);
	/* only regions wholly inside the VMA qualify */
	do_mmap(mm, h + 5 * m + m / 2, 3 * m, RW, FIXED_PRIVATE);
	assert_int_equal(mm_madvise(mm, h + 5 * m + m / 2, 3 * m, MM_MADV_HUGEPAGE), 0);
	assert_int_equal(fault(mm, h + 5 * m + m / 2 + 5, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(fault(mm, h + 6 * m + 5, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(status_of(mm).rss_anon, 2 + 1 + 512);
	/* without MADV_HUGEPAGE (THP=madvise) population stays on small pages */
	do_mmap(mm, h + 16 * m, 2 * m, RW, FIXED_PRIVATE | MM_MAP_POPULATE);
	assert_int_equal(status_of(mm).rss_anon, 2 + 1 + 512 + 1024);
	check_valid(mm);
	mm_destroy(mm);
}

static void
test_stack_growth(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, true);
	struct mm_vma_info info;
	struct mm_status st;

	(void)state;
	assert_int_equal(fault(mm, STK - 1, MM_ACCESS_WRITE), MM_FAULT_OK);
	nth_vma(mm, 0, &info);
	assert_int_equal(info.start, STK - P);
	assert_int_equal(info.pgoff, (STK >> 12) - 1);
	st = status_of(mm);
	assert_int_equal(st.total_vm, 34);
	assert_int_equal(st.stack_vm, 34);
	assert_int_equal(st.rss_anon, 1);
	/* a read below also grows it, without a resident page */
	assert_int_equal(fault(mm, STK - 3 * P, MM_ACCESS_READ), MM_FAULT_OK);
	assert_int_equal(status_of(mm).stack_vm, 36);
	assert_int_equal(status_of(mm).rss_anon, 1);
	/* RLIMIT_STACK bounds the size */
	assert_int_equal(fault(mm, STK_E - (8 << 20), MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(fault(mm, STK_E - (8 << 20) - 1, MM_ACCESS_WRITE), MM_FAULT_MAPERR);
	assert_int_equal(status_of(mm).stack_vm, 2048);
	check_valid(mm);
	mm_destroy(mm);
}

static void
test_stack_guard(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	const uint64_t s = 0x40000000;

	(void)state;
	do_mmap(mm, s, 4 * P, RW, FIXED_PRIVATE | MM_MAP_GROWSDOWN);
	do_mmap(mm, s - (1 << 20) - 8 * P, P, MM_PROT_READ, FIXED_PRIVATE);
	/* growth must keep stack_guard_gap above an accessible VMA */
	assert_int_equal(fault(mm, s - 7 * P, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(fault(mm, s - 8 * P, MM_ACCESS_WRITE), MM_FAULT_MAPERR);
	/* a PROT_NONE neighbour does not count */
	assert_int_equal(mm_mprotect(mm, s - (1 << 20) - 8 * P, P, MM_PROT_NONE), 0);
	assert_int_equal(fault(mm, s - (1 << 20) + P, MM_ACCESS_WRITE), MM_FAULT_OK);
	/* a fault below a VMA that is not GROWSDOWN is a plain MAPERR */
	assert_int_equal(fault(mm, s - (1 << 20) - 9 * P, MM_ACCESS_READ), MM_FAULT_MAPERR);
	check_valid(mm);
	mm_destroy(mm);

	/* growth below mmap_min_addr fails */
	mm = new_mm(MM_LAYOUT_X86_64, false);
	do_mmap(mm, 0x11000, P, RW, FIXED_PRIVATE | MM_MAP_GROWSDOWN);
	assert_int_equal(fault(mm, 0x10000, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(fault(mm, 0xf000, MM_ACCESS_WRITE), MM_FAULT_MAPERR);
	mm_destroy(mm);
}

/* Growth is limited by pgoff (the VMA cannot grow below page 0 of its offset space). */
static void
test_stack_rlimit_as(void **state)
{
	struct mm_config cfg;
	struct mm *mm;

	(void)state;
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.with_stack = true;
	cfg.rlimit_as = 34 * P;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	assert_int_equal(fault(mm, STK - P, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(fault(mm, STK - 2 * P, MM_ACCESS_WRITE), MM_FAULT_MAPERR);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access),
		cmocka_unit_test(test_bad_access),
		cmocka_unit_test(test_anon_pages),
		cmocka_unit_test(test_anon_vma_reuse),
		cmocka_unit_test(test_populate_kinds),
		cmocka_unit_test(test_fault_around),
		cmocka_unit_test(test_file_cow),
		cmocka_unit_test(test_sigbus),
		cmocka_unit_test(test_shmem_fault_around),
		cmocka_unit_test(test_beyond_eof_side_effects),
		cmocka_unit_test(test_thp),
		cmocka_unit_test(test_stack_growth),
		cmocka_unit_test(test_stack_guard),
		cmocka_unit_test(test_stack_rlimit_as),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
