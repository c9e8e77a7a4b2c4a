/* SPDX-License-Identifier: MIT */
/* lib/render.c: /proc/PID/maps lines and status text, byte for byte. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mm.h"

#define P       4096ULL
#define ANON_RW (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_ACCOUNT)
#define FILE_RO (VM_READ | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)

static struct mm *
empty_mm(bool gate)
{
	struct mm_config cfg;
	struct mm *mm = NULL;

	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.gate_vma = gate;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	return mm;
}

static void
insert(struct mm *mm, uint64_t start, uint64_t end, uint64_t flags, uint64_t pgoff,
       const struct mm_file_desc *file, bool shmem)
{
	assert_int_equal(mm_insert_vma(mm, start, end, flags, pgoff, file, shmem), 0);
}

/* The maps line of the VMA that contains addr. */
static const char *
line_at(struct mm *mm, uint64_t addr)
{
	static char buf[MM_MAPS_LINE_MAX];
	const struct vma *v = mm_vma_lookup(mm, addr);
	size_t n;

	assert_non_null(v);
	n = mm_format_maps_line(mm, v, buf, sizeof(buf));
	assert_int_equal(n, strlen(buf));
	return buf;
}

static void
anonymous_line_has_trailing_space_and_zero_offset(void **state)
{
	struct mm *mm = empty_mm(false);

	(void)state;
	/* pgoff of private anonymous memory is the page number, but maps prints 0. */
	insert(mm, 0x7ffff7d50000, 0x7ffff7d72000, ANON_RW, 0x7ffff7d50, NULL, false);
	assert_string_equal(line_at(mm, 0x7ffff7d50000),
			    "7ffff7d50000-7ffff7d72000 rw-p 00000000 00:00 0 \n");
	mm_destroy(mm);
}

static void
file_line_pads_name_to_column_73(void **state)
{
	struct mm_file_desc f = { .path = "/usr/bin/cat", .dev_major = 0xfe, .ino = 247134 };
	struct mm *mm = empty_mm(false);

	(void)state;
	insert(mm, 0x555555554000, 0x555555556000, FILE_RO, 0, &f, false);
	insert(mm, 0x555555556000, 0x55555555b000, FILE_RO | VM_EXEC, 2, &f, false);
	/* Taken from `setarch -R cat /proc/self/maps` on the reference kernel. */
	assert_string_equal(line_at(mm, 0x555555554000),
			    "555555554000-555555556000 r--p 00000000 fe:00 247134"
			    "                     /usr/bin/cat\n");
	assert_string_equal(line_at(mm, 0x555555556000),
			    "555555556000-55555555b000 r-xp 00002000 fe:00 247134"
			    "                     /usr/bin/cat\n");
	assert_int_equal(strstr(line_at(mm, 0x555555556000), "/usr") - line_at(mm, 0x555555556000),
			 73);
	mm_destroy(mm);
}

static void
short_addresses_and_wide_offsets(void **state)
{
	struct mm_file_desc f = { .path = "/x", .dev_major = 8, .dev_minor = 0x11, .ino = 7 };
	struct mm *mm = empty_mm(false);

	(void)state;
	insert(mm, 0x400000, 0x401000, FILE_RO, 0x123456789, &f, false);
	assert_string_equal(line_at(mm, 0x400000), "00400000-00401000 r--p 123456789000 08:11 7"
						   "                              /x\n");
	mm_destroy(mm);
}

static void
long_prefix_gets_no_padding(void **state)
{
	struct mm_file_desc f = { .path = "/big",
				  .dev_major = 0x103,
				  .dev_minor = 0x10000,
				  .ino = 18446744073709551615ULL };
	struct mm *mm = empty_mm(false);

	(void)state;
	/* The prefix runs past column 72: seq_pad adds nothing but its one space. */
	insert(mm, 0x7f0000000000, 0x7f0000001000, FILE_RO, 0xfffffffffffffULL, &f, false);
	assert_string_equal(line_at(mm, 0x7f0000000000),
			    "7f0000000000-7f0000001000 r--p fffffffffffff000 103:10000 "
			    "18446744073709551615  /big\n");
	mm_destroy(mm);
}

static void
shared_flags_and_names(void **state)
{
	struct mm_file_desc ro = {
		.path = "/etc/ro", .mode = MM_FMODE_READ, .dev_major = 0xfe, .ino = 12
	};
	struct mm_file_desc gone = {
		.path = "/tmp/gone", .dev_major = 0xfe, .ino = 13, .deleted = true
	};
	struct mm_file_desc nl = { .path = "/tmp/a\nb", .dev_major = 0xfe, .ino = 14 };
	struct mm *mm = empty_mm(false);
	uint64_t shared = VM_READ | VM_WRITE | VM_SHARED | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC |
			  VM_MAYSHARE;

	(void)state;
	/* 's' follows VM_MAYSHARE: a read-only shared file mapping has no VM_SHARED. */
	insert(mm, 0x10000000, 0x10001000, VM_READ | VM_MAYREAD | VM_MAYSHARE, 0, &ro, false);
	insert(mm, 0x10002000, 0x10004000, shared, 0, NULL, true);
	insert(mm, 0x10005000, 0x10006000, FILE_RO, 1, &gone, false);
	insert(mm, 0x10007000, 0x10008000, FILE_RO, 0, &nl, false);
	assert_string_equal(line_at(mm, 0x10000000), "10000000-10001000 r--s 00000000 fe:00 12"
						     "                                 /etc/ro\n");
	assert_string_equal(strchr(line_at(mm, 0x10002000), ' '),
			    " rw-s 00000000 00:01 1                                  "
			    "/dev/zero (deleted)\n");
	assert_string_equal(line_at(mm, 0x10005000), "10005000-10006000 r--p 00001000 fe:00 13"
						     "                                 "
						     "/tmp/gone (deleted)\n");
	assert_string_equal(strstr(line_at(mm, 0x10007000), "/tmp"), "/tmp/a\\012b\n");
	mm_destroy(mm);
}

static void
heap_is_named_by_strict_overlap(void **state)
{
	struct mm *mm = empty_mm(false);
	char buf[64];

	(void)state;
	insert(mm, 0x600000, 0x601000, ANON_RW, 0, NULL, false);
	insert(mm, 0x601000, 0x603000, ANON_RW | VM_NORESERVE, 0, NULL, false);
	insert(mm, 0x603000, 0x604000, ANON_RW | VM_LOCKED, 0, NULL, false);
	insert(mm, 0x604000, 0x605000, ANON_RW | VM_DONTCOPY, 0, NULL, false);
	mm_set_layout(mm, 0x601000, 0x603800, 0x7ffffffff000);
	/* Ends at start_brk, starts at brk's page: both only touch the heap. */
	assert_null(mm_vma_name(mm, mm_vma_lookup(mm, 0x600000), buf, sizeof(buf)));
	assert_string_equal(mm_vma_name(mm, mm_vma_lookup(mm, 0x601000), buf, sizeof(buf)),
			    "[heap]");
	assert_string_equal(mm_vma_name(mm, mm_vma_lookup(mm, 0x603000), buf, sizeof(buf)),
			    "[heap]");
	assert_null(mm_vma_name(mm, mm_vma_lookup(mm, 0x604000), buf, sizeof(buf)));
	assert_string_equal(line_at(mm, 0x601000), "00601000-00603000 rw-p 00000000 00:00 0"
						   "                                  [heap]\n");
	/* With brk == start_brk nothing is the heap. */
	mm_set_layout(mm, 0x601000, 0x601000, 0x7ffffffff000);
	assert_null(mm_vma_name(mm, mm_vma_lookup(mm, 0x601000), buf, sizeof(buf)));
	mm_destroy(mm);
}

static void
stack_is_named_by_start_stack_inclusive(void **state)
{
	struct mm *mm = empty_mm(false);
	char buf[64];

	(void)state;
	insert(mm, 0x7ffffffde000, 0x7ffffffff000, ANON_RW | VM_GROWSDOWN, 0, NULL, false);
	insert(mm, 0x7fffff000000, 0x7fffff001000, ANON_RW, 0, NULL, false);
	mm_set_layout(mm, 0x600000, 0x600000, 0x7fffffffe3c0);
	assert_string_equal(line_at(mm, 0x7ffffffde000),
			    "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0"
			    "                          [stack]\n");
	assert_null(mm_vma_name(mm, mm_vma_lookup(mm, 0x7fffff000000), buf, sizeof(buf)));
	/* vm_start <= start_stack <= vm_end, both ends included. */
	mm_set_layout(mm, 0x600000, 0x600000, 0x7fffff001000);
	assert_string_equal(mm_vma_name(mm, mm_vma_lookup(mm, 0x7fffff000000), buf, sizeof(buf)),
			    "[stack]");
	mm_set_layout(mm, 0x600000, 0x600000, 0x7ffffffde000);
	assert_string_equal(mm_vma_name(mm, mm_vma_lookup(mm, 0x7ffffffde000), buf, sizeof(buf)),
			    "[stack]");
	mm_destroy(mm);
}

static void
render_maps_orders_lines_and_ends_with_the_gate(void **state)
{
	struct mm *mm = empty_mm(true), *nogate = empty_mm(false);
	char line[MM_MAPS_LINE_MAX];
	char *text = NULL;
	size_t len = 0;

	(void)state;
	insert(mm, 0x7ffff7d50000, 0x7ffff7d52000, ANON_RW, 0, NULL, false);
	insert(mm, 0x400000, 0x401000, ANON_RW, 0, NULL, false);
	assert_int_equal(mm_render_maps(mm, &text, &len), 0);
	assert_string_equal(text, "00400000-00401000 rw-p 00000000 00:00 0 \n"
				  "7ffff7d50000-7ffff7d52000 rw-p 00000000 00:00 0 \n"
				  "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0"
				  "                  [vsyscall]\n");
	assert_int_equal(len, strlen(text));
	free(text);
	/* A NULL vma formats the gate line, for callers that page through the VMAs. */
	assert_int_equal(mm_format_maps_line(mm, NULL, line, sizeof(line)), 84);
	assert_string_equal(line, "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0"
				  "                  [vsyscall]\n");
	assert_int_equal(mm_format_maps_line(nogate, NULL, line, sizeof(line)), 0);
	assert_string_equal(line, "");
	assert_int_equal(mm_render_maps(nogate, &text, &len), 0);
	assert_string_equal(text, "");
	assert_int_equal(len, 0);
	free(text);
	mm_destroy(mm);
	mm_destroy(nogate);
}

static void
short_buffer_reports_the_full_length(void **state)
{
	struct mm *mm = empty_mm(false);
	char small[10];

	(void)state;
	insert(mm, 0x400000, 0x401000, ANON_RW, 0, NULL, false);
	assert_int_equal(mm_format_maps_line(mm, mm_first_vma(mm), small, sizeof(small)),
			 strlen("00400000-00401000 rw-p 00000000 00:00 0 \n"));
	assert_string_equal(small, "00400000-");
	mm_destroy(mm);
}

/* The fields handed out with a line are the ones printed in it, gate and long names included. */
static void
entry_fields_match_the_line(void **state)
{
	static char path[4096], line[MM_MAPS_LINE_MAX];
	struct mm_file_desc f = { .path = path, .dev_major = 0xfe, .ino = 99, .deleted = true };
	uint64_t shared = VM_READ | VM_WRITE | VM_SHARED | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC |
			  VM_MAYSHARE;
	struct mm *mm = empty_mm(true), *nogate = empty_mm(false);
	struct mm_maps_entry e;

	(void)state;
	memset(path, '\n', sizeof(path) - 1);
	path[0] = '/';
	insert(mm, 0x10000000, 0x10001000, FILE_RO, 3, &f, false);
	insert(mm, 0x10002000, 0x10004000, shared, 0, NULL, true);
	assert_int_equal(mm_maps_entry(mm, mm_vma_lookup(mm, 0x10000000), &e, line, sizeof(line)),
			 0);
	assert_int_equal(e.len, strlen(line));
	assert_int_equal(e.offset, 3 * P);
	assert_int_equal(e.ino, 99);
	assert_int_equal(e.len - e.name_off, 1 + 4 * 4094 + strlen(" (deleted)"));
	assert_int_equal(mm_maps_entry(mm, mm_vma_lookup(mm, 0x10000000), &e, line, 200),
			 -ENAMETOOLONG);
	assert_int_equal(mm_maps_entry(mm, mm_vma_lookup(mm, 0x10002000), &e, line, sizeof(line)),
			 0);
	assert_string_equal(e.perms, "rw-s");
	assert_int_equal(e.dev_major, 0);
	assert_int_equal(e.dev_minor, 1);
	assert_string_equal(line + e.name_off, "/dev/zero (deleted)");
	assert_int_equal(mm_maps_entry(mm, NULL, &e, line, sizeof(line)), 0);
	assert_int_equal(e.start, 0xffffffffff600000ULL);
	assert_int_equal(e.end, 0xffffffffff601000ULL);
	assert_string_equal(e.perms, "--xp");
	assert_string_equal(line + e.name_off, "[vsyscall]");
	assert_int_equal(e.name_off, 73);
	assert_int_equal(mm_maps_entry(nogate, NULL, &e, line, sizeof(line)), -ENOENT);
	mm_destroy(mm);
	mm_destroy(nogate);
}

/* A value with n random bits, n itself random, so that every digit count comes up. */
static uint64_t
random_bits(uint64_t *seed)
{
	uint64_t x;

	*seed ^= *seed << 13;
	*seed ^= *seed >> 7;
	*seed ^= *seed << 17;
	x = *seed;
	return x >> (x % 64);
}

/*
 * The header fields against the C library's printf of show_vma_header_prefix()'s format, for
 * values of every width (the hand-written formatter's digit counts and padding).
 */
static void
header_fields_print_as_printf_does(void **state)
{
	char line[MM_MAPS_HEADER_MAX], want[MM_MAPS_HEADER_MAX];
	struct mm_maps_entry e;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		memset(&e, 0, sizeof(e));
		e.start = random_bits(&seed);
		e.end = random_bits(&seed);
		e.offset = random_bits(&seed);
		e.dev_major = (uint32_t)random_bits(&seed);
		e.dev_minor = (uint32_t)random_bits(&seed);
		e.ino = random_bits(&seed);
		memcpy(e.perms, "r-xs", 5);
		snprintf(want, sizeof(want), "%08llx-%08llx %s %08llx %02x:%02x %llu ",
			 (unsigned long long)e.start, (unsigned long long)e.end, e.perms,
			 (unsigned long long)e.offset, e.dev_major, e.dev_minor,
			 (unsigned long long)e.ino);
		memset(line, 'X', sizeof(line));
		assert_int_equal(mm_maps_line(&e, NULL, 0, line, sizeof(line)), 0);
		assert_string_equal(line, want);
		assert_int_equal(e.len, strlen(want));
	}
}

static void
status_lines(void **state)
{
	struct mm_file_desc lib = { .path = "/lib/x.so", .dev_major = 0xfe, .ino = 3 };
	struct mm *mm = empty_mm(true);
	char *text = NULL;
	size_t len = 0;

	(void)state;
	insert(mm, 0x400000, 0x404000, ANON_RW, 0, NULL, false);
	insert(mm, 0x7ffff7000000, 0x7ffff7002000, FILE_RO | VM_EXEC, 0, &lib, false);
	insert(mm, 0x7ffff7100000, 0x7ffff7101000, FILE_RO | VM_LOCKED, 0, &lib, false);
	insert(mm, 0x7ffffffde000, 0x7ffffffff000, ANON_RW | VM_GROWSDOWN, 0, NULL, false);
	assert_int_equal(mm_render_status(mm, &text, &len), 0);
	assert_string_equal(text, "VmPeak:\t     160 kB\n"
				  "VmSize:\t     160 kB\n"
				  "VmLck:\t       4 kB\n"
				  "VmHWM:\t       0 kB\n"
				  "VmRSS:\t       0 kB\n"
				  "RssAnon:\t       0 kB\n"
				  "RssFile:\t       0 kB\n"
				  "RssShmem:\t       0 kB\n"
				  "VmData:\t      16 kB\n"
				  "VmStk:\t     132 kB\n"
				  "VmExe:\t       0 kB\n"
				  "VmLib:\t       8 kB\n"
				  "MapCount:\t       4\n");
	assert_int_equal(len, strlen(text));
	free(text);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(anonymous_line_has_trailing_space_and_zero_offset),
		cmocka_unit_test(file_line_pads_name_to_column_73),
		cmocka_unit_test(short_addresses_and_wide_offsets),
		cmocka_unit_test(long_prefix_gets_no_padding),
		cmocka_unit_test(shared_flags_and_names),
		cmocka_unit_test(heap_is_named_by_strict_overlap),
		cmocka_unit_test(stack_is_named_by_start_stack_inclusive),
		cmocka_unit_test(render_maps_orders_lines_and_ends_with_the_gate),
		cmocka_unit_test(short_buffer_reports_the_full_length),
		cmocka_unit_test(entry_fields_match_the_line),
		cmocka_unit_test(header_fields_print_as_printf_does),
		cmocka_unit_test(status_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
