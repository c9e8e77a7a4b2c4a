/* SPDX-License-Identifier: MIT */
/*
 * lib/files.c: files as open file descriptions (identity, current size, truncation, unlink,
 * close), and the file kinds: disk, tmpfs, /dev/zero (drivers/char/mem.c: mmap_zero()).
 */
#include "test_helpers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define A      0x10000000ULL
#define KIB    1024ULL
#define FIXED  (MM_MAP_PRIVATE | MM_MAP_FIXED)
#define SFIXED (MM_MAP_SHARED | MM_MAP_FIXED)

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

static enum mm_fault_result
fault_at(struct mm *mm, uint64_t addr, enum mm_access access)
{
	enum mm_fault_result r;

	assert_int_equal(mm_fault(mm, addr, access, &r), 0);
	check_valid(mm);
	return r;
}

static char *
maps_of(const struct mm *mm)
{
	char *text = NULL;

	assert_int_equal(mm_render_maps(mm, &text, NULL), 0);
	return text;
}

/*
 * Two mmaps of one open file that grew in between are one file to the kernel: they merge.
 * The file's size is its state, not its identity.
 */
static void
grown_file_still_merges(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_file_desc d = disk_file(64 * KIB);

	(void)state;
	assert_int_equal(try_mmap(mm, A, 16 * P, MM_PROT_READ, FIXED, &d, 0, NULL), 0);
	d.size = 128 * KIB;
	assert_int_equal(try_mmap(mm, A + 16 * P, 16 * P, MM_PROT_READ, FIXED, &d, 16 * P, NULL),
			 0);
	assert_int_equal(count_vmas(mm), 1);
	mm_destroy(mm);
}

/* Map 128K of a 64K file, grow the file: a read at 96K gets a page, not SIGBUS. */
static void
eof_reads_the_current_size(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_file_desc d = disk_file(64 * KIB);
	uint64_t id;

	(void)state;
	assert_int_equal(mm_file_open(mm, &d, &id), 0);
	d = (struct mm_file_desc){ .id = id };
	assert_int_equal(
		try_mmap(mm, A, 32 * P, MM_PROT_READ, MM_MAP_SHARED | MM_MAP_FIXED, &d, 0, NULL),
		0);
	assert_int_equal(fault_at(mm, A + 96 * KIB, MM_ACCESS_READ), MM_FAULT_SIGBUS);
	assert_int_equal(mm_file_set_size(mm, id, 128 * KIB), 0);
	assert_int_equal(fault_at(mm, A + 96 * KIB, MM_ACCESS_READ), MM_FAULT_OK);
	mm_destroy(mm);
}

/* The simple form: a later description with a larger size grows the same file. */
static void
inline_description_updates_the_size(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_file_desc d = disk_file(64 * KIB);

	(void)state;
	assert_int_equal(try_mmap(mm, A, 32 * P, MM_PROT_READ, FIXED, &d, 0, NULL), 0);
	d.size = 128 * KIB;
	assert_int_equal(try_mmap(mm, A + 64 * P, P, MM_PROT_READ, FIXED, &d, 0, NULL), 0);
	assert_int_equal(fault_at(mm, A + 96 * KIB, MM_ACCESS_READ), MM_FAULT_OK);
	mm_destroy(mm);
}

/*
 * A truncate below a mapped range drops its pages from every mapping, private copies too
 * (truncate_pagecache()), and later faults there raise SIGBUS.
 */
static void
truncate_drops_pages_and_faults_sigbus(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_file_desc d = disk_file(64 * KIB);
	uint64_t id;

	(void)state;
	assert_int_equal(mm_file_open(mm, &d, &id), 0);
	d = (struct mm_file_desc){ .id = id };
	assert_int_equal(try_mmap(mm, A, 16 * P, RW, FIXED, &d, 0, NULL), 0);
	assert_int_equal(mm_populate(mm, A, 16 * P, true), 0);
	assert_int_equal(status_of(mm).rss_anon, 16);
	assert_int_equal(mm_file_set_size(mm, id, 8 * P), 0);
	check_valid(mm);
	assert_int_equal(status_of(mm).rss_anon, 8);
	assert_int_equal(fault_at(mm, A + 12 * P, MM_ACCESS_READ), MM_FAULT_SIGBUS);
	assert_int_equal(fault_at(mm, A + 4 * P, MM_ACCESS_READ), MM_FAULT_OK);
	assert_int_equal(mm_file_set_size(mm, id, MM_FILE_SIZE_UNKNOWN), -EINVAL);
	mm_destroy(mm);
}

/* Unlink marks the name; close ends the id but not the mappings. */
static void
unlink_and_close(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_file_desc d = disk_file(64 * KIB);
	uint64_t id, unused;
	char *text;

	(void)state;
	assert_int_equal(mm_file_open(mm, &d, &id), 0);
	assert_int_equal(mm_file_open(mm, &d, &unused), 0);
	assert_true(unused != id);
	d = (struct mm_file_desc){ .id = id };
	assert_int_equal(try_mmap(mm, A, 4 * P, MM_PROT_READ, FIXED, &d, 0, NULL), 0);
	assert_int_equal(mm_file_unlink(mm, id), 0);
	text = maps_of(mm);
	assert_non_null(strstr(text, "/data/file (deleted)\n"));
	free(text);
	assert_int_equal(mm_file_close(mm, id), 0);
	check_valid(mm);
	assert_int_equal(mm_file_close(mm, id), -EBADF);
	assert_int_equal(mm_file_set_size(mm, id, 0), -EBADF);
	assert_int_equal(try_mmap(mm, A + 8 * P, P, MM_PROT_READ, FIXED, &d, 0, NULL), -EBADF);
	assert_int_equal(fault_at(mm, A, MM_ACCESS_READ), MM_FAULT_OK);
	assert_int_equal(mm_munmap(mm, A, 4 * P), 0);
	check_valid(mm);
	mm_destroy(mm);
}

/* Two registrations of one path are two open file descriptions: they never merge. */
static void
two_opens_do_not_merge(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_file_desc d = disk_file(64 * KIB), a, b;
	uint64_t ia, ib;

	(void)state;
	assert_int_equal(mm_file_open(mm, &d, &ia), 0);
	assert_int_equal(mm_file_open(mm, &d, &ib), 0);
	a = (struct mm_file_desc){ .id = ia };
	b = (struct mm_file_desc){ .id = ib };
	assert_int_equal(try_mmap(mm, A, 4 * P, MM_PROT_READ, FIXED, &a, 0, NULL), 0);
	assert_int_equal(try_mmap(mm, A + 4 * P, 4 * P, MM_PROT_READ, FIXED, &b, 4 * P, NULL), 0);
	assert_int_equal(count_vmas(mm), 2);
	assert_int_equal(try_mmap(mm, A + 8 * P, 4 * P, MM_PROT_READ, FIXED, &b, 8 * P, NULL), 0);
	assert_int_equal(count_vmas(mm), 2);
	d.id = ia;
	assert_int_equal(mm_file_open(mm, &d, &ib), -EINVAL);
	mm_destroy(mm);
}

/*
 * MAP_SHARED of /dev/zero is shared anonymous memory: "/dev/zero (deleted)" on 00:01, a new
 * object (inode) per mmap, never merging, keeping the offset as pgoff; MAP_PRIVATE is
 * anonymous memory named after the file, merging like a file mapping.  As the 6.18 kernel
 * printed for the same calls:
 *   200000010000-200000012000 rw-s 00000000 00:01 89199     /dev/zero (deleted)
 *   200000012000-200000014000 rw-s 00002000 00:01 89200     /dev/zero (deleted)
 *   200000000000-200000004000 rw-p 00000000 00:06 4         /dev/zero
 */
static void
dev_zero_kinds(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_file_desc z = {
		.path = "/dev/zero",
		.mode = MM_FMODE_READ | MM_FMODE_WRITE,
		.dev_minor = 6,
		.ino = 4,
		.size = MM_FILE_SIZE_UNKNOWN,
		.kind = MM_FILE_DEVZERO,
	};
	struct mm_vma_info i0, i1, i2;

	(void)state;
	assert_int_equal(try_mmap(mm, A, 2 * P, RW, FIXED, &z, 0, NULL), 0);
	assert_int_equal(try_mmap(mm, A + 2 * P, 2 * P, RW, FIXED, &z, 2 * P, NULL), 0);
	assert_int_equal(try_mmap(mm, A + 16 * P, 2 * P, RW, SFIXED, &z, 0, NULL), 0);
	assert_int_equal(try_mmap(mm, A + 18 * P, 2 * P, RW, SFIXED, &z, 2 * P, NULL), 0);
	assert_int_equal(count_vmas(mm), 3);
	nth_vma(mm, 0, &i0);
	nth_vma(mm, 1, &i1);
	nth_vma(mm, 2, &i2);
	assert_int_equal(i0.end, A + 4 * P);
	assert_string_equal(i0.path, "/dev/zero");
	assert_false(i0.deleted);
	assert_true(i1.deleted && i2.deleted);
	assert_int_equal(i1.dev_major, 0);
	assert_int_equal(i1.dev_minor, 1);
	assert_true(i1.ino != i2.ino);
	assert_int_equal(i2.pgoff, 2);
	/* Private: anonymous pages on write, the zero page (not counted) on read. */
	assert_int_equal(fault_at(mm, A, MM_ACCESS_READ), MM_FAULT_OK);
	assert_int_equal(status_of(mm).rss_anon + status_of(mm).rss_file, 0);
	assert_int_equal(fault_at(mm, A + P, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(status_of(mm).rss_anon, 1);
	/* Shared: shmem pages. */
	assert_int_equal(fault_at(mm, A + 16 * P, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(status_of(mm).rss_shmem, 1);
	mm_destroy(mm);
}

/*
 * The shmem object of a shared /dev/zero mapping is charged whole: beyond RAM + swap the
 * heuristic overcommit refuses it, as the 6.18 kernel refused mmap(0, 0x5ffffffff000, rwx,
 * MAP_SHARED, /dev/zero opened O_RDWR, 0x20000) with ENOMEM (the conformance test found it).
 */
static void
dev_zero_shared_is_charged(void **state)
{
	struct mm_file_desc z = {
		.path = "/dev/zero",
		.mode = MM_FMODE_READ | MM_FMODE_WRITE,
		.size = MM_FILE_SIZE_UNKNOWN,
		.kind = MM_FILE_DEVZERO,
	};
	struct mm_config cfg;
	struct mm *mm = NULL;
	uint64_t out;

	(void)state;
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.overcommit_ram_pages = 1ULL << 22;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	assert_int_equal(try_mmap(mm, 0, 0x5ffffffff000ULL, RW, MM_MAP_SHARED, &z, 0x20000, &out),
			 -ENOMEM);
	assert_int_equal(try_mmap(mm, 0, 0x5ffffffff000ULL, RW, MM_MAP_PRIVATE, &z, 0x20000, &out),
			 -ENOMEM);
	assert_int_equal(
		try_mmap(mm, 0, 0x5ffffffff000ULL, MM_PROT_READ, MM_MAP_SHARED, &z, 0x20000, &out),
		-ENOMEM);
	mm_destroy(mm);
}

/* A tmpfs file (memfd): no THP alignment for a 4 MiB placement, pages in RssShmem. */
static void
tmpfs_file(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_file_desc m = {
		.path = "/memfd:hello",
		.mode = MM_FMODE_READ | MM_FMODE_WRITE,
		.dev_minor = 1,
		.ino = 89201,
		.size = 4ULL << 20,
		.deleted = true,
		.kind = MM_FILE_TMPFS,
	};
	uint64_t a = 0, b = 0;

	(void)state;
	assert_int_equal(try_mmap(mm, 0, 4ULL << 20, RW, MM_MAP_SHARED, &m, 0, &a), 0);
	assert_int_equal(try_mmap(mm, 0, 4ULL << 20, MM_PROT_READ, MM_MAP_PRIVATE, &m, 0, &b), 0);
	/* As measured: 7ffff79d0000 and 7ffff75d0000 under a top at 7ffff7dd0000. */
	assert_int_equal(a, MMAP_BASE - (4ULL << 20));
	assert_int_equal(b, a - (4ULL << 20));
	assert_int_equal(fault_at(mm, a, MM_ACCESS_WRITE), MM_FAULT_OK);
	assert_int_equal(fault_at(mm, b, MM_ACCESS_READ), MM_FAULT_OK);
	assert_int_equal(status_of(mm).rss_file, 0);
	assert_true(status_of(mm).rss_shmem >= 2);
	mm_destroy(mm);
}

/* A fork's child has the parent's open files under the same ids, mapped or not. */
static void
fork_copies_open_files(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false), *child = NULL;
	struct mm_file_desc d = disk_file(64 * KIB), r;
	uint64_t mapped, unmapped;

	(void)state;
	assert_int_equal(mm_file_open(mm, &d, &mapped), 0);
	assert_int_equal(mm_file_open(mm, &d, &unmapped), 0);
	r = (struct mm_file_desc){ .id = mapped };
	assert_int_equal(try_mmap(mm, A, 4 * P, MM_PROT_READ, FIXED, &r, 0, NULL), 0);
	assert_int_equal(mm_fork(mm, &child), 0);
	check_valid(child);
	r.id = unmapped;
	assert_int_equal(try_mmap(child, A + 4 * P, 4 * P, MM_PROT_READ, FIXED, &r, 4 * P, NULL),
			 0);
	assert_int_equal(mm_file_set_size(child, mapped, 4 * KIB), 0);
	check_valid(child);
	assert_int_equal(fault_at(child, A + P, MM_ACCESS_READ), MM_FAULT_SIGBUS);
	assert_int_equal(fault_at(mm, A + P, MM_ACCESS_READ), MM_FAULT_OK);
	mm_destroy(child);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grown_file_still_merges),
		cmocka_unit_test(eof_reads_the_current_size),
		cmocka_unit_test(inline_description_updates_the_size),
		cmocka_unit_test(truncate_drops_pages_and_faults_sigbus),
		cmocka_unit_test(unlink_and_close),
		cmocka_unit_test(two_opens_do_not_merge),
		cmocka_unit_test(dev_zero_kinds),
		cmocka_unit_test(dev_zero_shared_is_charged),
		cmocka_unit_test(tmpfs_file),
		cmocka_unit_test(fork_copies_open_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
