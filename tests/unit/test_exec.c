/* SPDX-License-Identifier: MIT */
/*
 * exec: the layout of a small static program and of a PIE with an interpreter, and the
 * figures exec refuses.  The layouts of real programs are checked against the kernel by
 * tests/exec/exec_diff.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "test_helpers.h"

#define R  MM_PROT_READ
#define RX (MM_PROT_READ | MM_PROT_EXEC)

/* A static non-PIE program: text, then data whose bss spills over two more pages. */
static const struct mm_exec_segment static_segs[] = {
	{ .vaddr = 0x400000,
	  .offset = 0,
	  .filesz = 0x1200,
	  .memsz = 0x1200,
	  .align = P,
	  .prot = RX },
	{ .vaddr = 0x402e10,
	  .offset = 0x1e10,
	  .filesz = 0x300,
	  .memsz = 0x2400,
	  .align = P,
	  .prot = RW },
};

static const struct mm_exec_segment pie_segs[] = {
	{ .vaddr = 0, .offset = 0, .filesz = 0x800, .memsz = 0x800, .align = P, .prot = R },
	{ .vaddr = 0x1000,
	  .offset = 0x1000,
	  .filesz = 0x500,
	  .memsz = 0x500,
	  .align = P,
	  .prot = RX },
	{ .vaddr = 0x2df0,
	  .offset = 0x1df0,
	  .filesz = 0x220,
	  .memsz = 0x228,
	  .align = P,
	  .prot = RW },
};

static const struct mm_exec_segment interp_segs[] = {
	{ .vaddr = 0, .offset = 0, .filesz = 0x1000, .memsz = 0x1000, .align = P, .prot = R },
	{ .vaddr = 0x1000,
	  .offset = 0x1000,
	  .filesz = 0x3000,
	  .memsz = 0x3000,
	  .align = P,
	  .prot = RX },
	{ .vaddr = 0x4900,
	  .offset = 0x4900,
	  .filesz = 0x700,
	  .memsz = 0x900,
	  .align = P,
	  .prot = RW },
};

static struct mm_exec_args
args_for(const struct mm_exec_segment *seg, uint32_t n, bool dyn)
{
	struct mm_exec_args a = { 0 };

	a.exe = (struct mm_exec_image){ .seg = seg, .nseg = n, .dyn = dyn, .entry = 0x1000 };
	a.exe.file = (struct mm_file_desc){ .path = "/bin/prog",
					    .mode = MM_FMODE_READ,
					    .size = MM_FILE_SIZE_UNKNOWN };
	a.filename_len = sizeof("/bin/prog");
	a.argv_len = sizeof("/bin/prog");
	a.argc = 1;
	return a;
}

static struct mm *
exec_ok(const struct mm_exec_args *a, struct mm_exec_info *in)
{
	struct mm_config cfg;
	struct mm *mm = NULL;

	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	assert_int_equal(mm_exec(&cfg, a, &mm, in), 0);
	assert_non_null(mm);
	check_valid(mm);
	return mm;
}

static void
expect_maps(struct mm *mm, const char *want)
{
	char *text;
	size_t len;

	assert_int_equal(mm_render_maps(mm, &text, &len), 0);
	assert_string_equal(text, want);
	free(text);
}

static void
static_program(void **state)
{
	struct mm_exec_args a = args_for(static_segs, 2, false);
	struct mm_exec_info in;
	struct mm *mm;

	(void)state;
	mm = exec_ok(&a, &in);
	expect_maps(
		mm,
		"00400000-00402000 r-xp 00000000 00:00 0                                  "
		"/bin/prog\n"
		"00402000-00404000 rw-p 00001000 00:00 0                                  "
		"/bin/prog\n"
		"00404000-00406000 rw-p 00000000 00:00 0 \n"
		"7ffff7ff7000-7ffff7ffb000 r--p 00000000 00:00 0                          [vvar]\n"
		"7ffff7ffb000-7ffff7ffd000 r--p 00000000 00:00 0                          "
		"[vvar_vclock]\n"
		"7ffff7ffd000-7ffff7fff000 r-xp 00000000 00:00 0                          [vdso]\n"
		"7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n"
		"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  "
		"[vsyscall]\n");
	assert_int_equal(in.start_brk, 0x406000);
	assert_int_equal(in.start_code, 0x400000);
	assert_int_equal(in.end_code, 0x401200);
	assert_int_equal(in.start_data, 0x402e10);
	assert_int_equal(in.end_data, 0x403110);
	assert_int_equal(in.entry, 0x1000);
	/* The strings sit under one free word at the top; argv right below the file name. */
	assert_int_equal(in.env_end, 0x7ffffffff000 - 8 - sizeof("/bin/prog"));
	assert_int_equal(in.arg_start, in.env_start - sizeof("/bin/prog"));
	assert_true(in.start_stack < in.arg_start && !(in.start_stack & 15));
	mm_destroy(mm);
}

static void
pie_with_interpreter(void **state)
{
	struct mm_exec_args a = args_for(pie_segs, 3, true);
	struct mm_exec_image interp = { .seg = interp_segs, .nseg = 3, .dyn = true, .entry = 0x10 };
	struct mm_exec_info in;
	struct mm *mm;

	(void)state;
	interp.file = (struct mm_file_desc){ .path = "/lib/ld.so",
					     .mode = MM_FMODE_READ,
					     .size = MM_FILE_SIZE_UNKNOWN };
	a.interp = &interp;
	mm = exec_ok(&a, &in);
	assert_int_equal(in.load_bias, 0x555555554000);
	assert_int_equal(in.interp_base, 0x7ffff7fff000 - 0x6000);
	assert_int_equal(in.entry, in.interp_base + 0x10);
	assert_int_equal(in.vdso_base, in.interp_base - 0x2000);
	assert_int_equal(in.start_brk, 0x555555558000);
	mm_destroy(mm);
}

static void
refused(const struct mm_exec_args *a, int err)
{
	struct mm_config cfg;
	struct mm_exec_info in;
	struct mm *mm = (struct mm *)1;

	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	assert_int_equal(mm_exec(&cfg, a, &mm, &in), err);
	assert_null(mm);
}

static void
bad_figures_are_refused(void **state)
{
	struct mm_exec_segment bad[2];
	struct mm_exec_args a = args_for(static_segs, 0, false);

	(void)state;
	refused(&a, -EINVAL);
	memcpy(bad, static_segs, sizeof(bad));
	bad[1].filesz = bad[1].memsz + 1;
	a = args_for(bad, 2, false);
	refused(&a, -EINVAL);
	memcpy(bad, static_segs, sizeof(bad));
	bad[1].offset += 8;
	refused(&a, -EINVAL);
	memcpy(bad, static_segs, sizeof(bad));
	bad[1].memsz = UINT64_MAX - 0x1000;
	bad[1].filesz = 0;
	refused(&a, -EINVAL);
	a = args_for(static_segs, MM_EXEC_MAX_SEGMENTS + 1, false);
	refused(&a, -EINVAL);
}

static void
oversized_arguments_are_refused(void **state)
{
	struct mm_exec_args a = args_for(static_segs, 2, false);

	(void)state;
	a.argv_len = 3ULL << 20;
	refused(&a, -E2BIG);
	a = args_for(static_segs, 2, false);
	a.argc = 1ULL << 20;
	refused(&a, -E2BIG);
	a = args_for(static_segs, 2, false);
	a.filename_len = 0;
	refused(&a, -E2BIG);
}

static void
occupied_address_fails_cleanly(void **state)
{
	struct mm_exec_segment seg[2];
	struct mm_exec_args a;

	(void)state;
	memcpy(seg, static_segs, sizeof(seg));
	/* An ET_EXEC segment on top of the stack: MAP_FIXED_NOREPLACE refuses it. */
	seg[0].vaddr = 0x7ffffffef000;
	seg[0].offset = 0;
	seg[1].vaddr = 0x7fffffff0000;
	seg[1].offset = 0x1000;
	a = args_for(seg, 2, false);
	refused(&a, -EEXIST);
}
/* special_mapping_split(): [vdso] and [vvar] refuse to be split (checked on the kernel). */
static void
special_mappings_are_not_split(void **state)
{
	struct mm_exec_args a = args_for(static_segs, 2, false);
	struct mm_exec_info in;
	struct mm *mm;

	(void)state;
	mm = exec_ok(&a, &in);
	assert_int_equal(mm_munmap(mm, in.vdso_base + P, P), -EINVAL);
	assert_int_equal(mm_mprotect(mm, in.vdso_base, P, MM_PROT_READ), -EINVAL);
	assert_int_equal(mm_mprotect(mm, in.vdso_base - P, P, MM_PROT_NONE), -EINVAL);
	assert_int_equal(mm_mprotect(mm, in.vdso_base, 2 * P, MM_PROT_READ), 0);
	check_valid(mm);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(static_program),
		cmocka_unit_test(pie_with_interpreter),
		cmocka_unit_test(bad_figures_are_refused),
		cmocka_unit_test(oversized_arguments_are_refused),
		cmocka_unit_test(occupied_address_fails_cleanly),
		cmocka_unit_test(special_mappings_are_not_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
