/* SPDX-License-Identifier: MIT */
/*
 * personality(2) bits of a space: ADDR_COMPAT_LAYOUT (arch/x86/mm/mmap.c: mmap_is_legacy()),
 * ADDR_LIMIT_3GB (IA32_PAGE_OFFSET of an i386 task), ADDR_LIMIT_32BIT (nothing on x86) and
 * READ_IMPLIES_EXEC through exec (set_personality_64bit()); kept by save and load.
 */
#include "test_helpers.h"

#include <errno.h>

static struct mm *
mm_pers(enum mm_layout layout, uint32_t pers, uint64_t task_size, int want)
{
	struct mm_config cfg;
	struct mm *mm = NULL;

	mm_config_init(&cfg, layout);
	cfg.personality = pers;
	if (task_size)
		cfg.task_size = task_size;
	assert_int_equal(mm_create(&cfg, &mm), want);
	if (mm)
		check_valid(mm);
	return mm;
}

static uint64_t
first_mmap(struct mm *mm)
{
	return do_mmap(mm, 0, P, RW, ANON_PRIVATE);
}

static void
test_compat_layout(void **state)
{
	struct mm *mm = mm_pers(MM_LAYOUT_X86_64, MM_PER_ADDR_COMPAT_LAYOUT, 0, 0);

	(void)state;
	assert_false(status_of(mm).topdown);
	/* TASK_UNMAPPED_BASE = PAGE_ALIGN(0x7ffffffff000 / 3), as the kernel places it. */
	assert_int_equal(first_mmap(mm), 0x2aaaaaaab000ULL);
	assert_int_equal(first_mmap(mm), 0x2aaaaaaac000ULL);
	mm_destroy(mm);
	mm = mm_pers(MM_LAYOUT_I386, MM_PER_ADDR_COMPAT_LAYOUT, 0, 0);
	assert_int_equal(first_mmap(mm), 0x40000000ULL);
	mm_destroy(mm);
}

/* On a 64-bit task the address limits change nothing (checked on the kernel: exec_diff). */
static void
test_limits_64bit(void **state)
{
	static const uint32_t bits[] = { MM_PER_ADDR_LIMIT_3GB, MM_PER_ADDR_LIMIT_32BIT };

	(void)state;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		struct mm *mm = mm_pers(MM_LAYOUT_X86_64, bits[i], 0, 0);

		assert_true(status_of(mm).topdown);
		assert_int_equal(status_of(mm).task_size, 0x7ffffffff000ULL);
		assert_int_equal(first_mmap(mm), MMAP_BASE - P);
		mm_destroy(mm);
	}
}

static void
test_limit_3gb_i386(void **state)
{
	struct mm *mm;

	(void)state;
	mm = mm_pers(MM_LAYOUT_I386, MM_PER_ADDR_LIMIT_3GB, 0, 0);
	assert_int_equal(status_of(mm).task_size, MM_IA32_TASK_SIZE_3GB);
	mm_destroy(mm);
	assert_null(mm_pers(MM_LAYOUT_I386, MM_PER_ADDR_LIMIT_3GB, MM_IA32_TASK_SIZE, -EINVAL));
	mm = mm_pers(MM_LAYOUT_I386, 0, MM_IA32_TASK_SIZE, 0);
	mm_destroy(mm);
	assert_null(mm_pers(MM_LAYOUT_X86_64, 0x0100000u, 0, -EINVAL)); /* MMAP_PAGE_ZERO */
}

static void
test_save_load(void **state)
{
	struct mm *mm = mm_pers(MM_LAYOUT_X86_64, MM_PER_ADDR_COMPAT_LAYOUT, 0, 0), *copy = NULL;
	struct mm_sbuf b = { 0 };
	char msg[128];

	(void)state;
	assert_int_equal(mm_save(mm, &b), 0);
	assert_int_equal(mm_load(b.data, b.len, NULL, &copy, msg, sizeof(msg)), 0);
	check_valid(copy);
	assert_false(status_of(copy).topdown);
	assert_int_equal(first_mmap(copy), 0x2aaaaaaab000ULL);
	mm_sbuf_free(&b);
	mm_destroy(copy);
	mm_destroy(mm);
}

static const struct mm_exec_segment segs[] = {
	{ .vaddr = 0,
	  .offset = 0,
	  .filesz = 0x800,
	  .memsz = 0x800,
	  .align = P,
	  .prot = MM_PROT_READ },
	{ .vaddr = 0x1000,
	  .offset = 0x1000,
	  .filesz = 0x100,
	  .memsz = 0x100,
	  .align = P,
	  .prot = MM_PROT_READ | MM_PROT_EXEC },
};

static struct mm *
exec_with(enum mm_layout layout, uint32_t pers, enum mm_exec_stack stack)
{
	struct mm_exec_args a = { 0 };
	struct mm_exec_info in;
	struct mm_config cfg;
	struct mm *mm = NULL;

	a.exe = (struct mm_exec_image){ .seg = segs, .nseg = 2, .dyn = true, .entry = 0x1000 };
	a.exe.file = (struct mm_file_desc){ .path = "/bin/prog",
					    .mode = MM_FMODE_READ,
					    .size = MM_FILE_SIZE_UNKNOWN };
	a.stack = stack;
	a.filename_len = a.argv_len = sizeof("/bin/prog");
	a.argc = 1;
	mm_config_init(&cfg, layout);
	cfg.personality = pers;
	assert_int_equal(mm_exec(&cfg, &a, &mm, &in), 0);
	check_valid(mm);
	return mm;
}

/* The data defaults carry PROT_EXEC exactly when READ_IMPLIES_EXEC survived the exec. */
static bool
read_implies_exec(struct mm *mm)
{
	uint64_t a = first_mmap(mm);
	struct mm_vma_info info;

	mm_vma_info(mm_vma_lookup(mm, a), &info);
	return info.flags & VM_EXEC;
}

static void
test_exec(void **state)
{
	struct mm *mm;

	(void)state;
	mm = exec_with(MM_LAYOUT_X86_64, MM_PER_READ_IMPLIES_EXEC, MM_EXEC_STACK_NOEXEC);
	assert_false(read_implies_exec(mm));
	mm_destroy(mm);
	mm = exec_with(MM_LAYOUT_I386, MM_PER_READ_IMPLIES_EXEC, MM_EXEC_STACK_NOEXEC);
	assert_true(read_implies_exec(mm));
	mm_destroy(mm);
	/*
	 * ADDR_LIMIT_3GB: TASK_SIZE 0xc0000000, and the break of an ET_DYN run without an
	 * interpreter at ELF_ET_DYN_BASE, 16 MiB above 1 GiB.
	 */
	mm = exec_with(MM_LAYOUT_I386, MM_PER_ADDR_LIMIT_3GB, MM_EXEC_STACK_NOEXEC);
	assert_int_equal(status_of(mm).task_size, MM_IA32_TASK_SIZE_3GB);
	assert_int_equal(status_of(mm).start_brk, 0x41000000ULL);
	mm_destroy(mm);
	mm = exec_with(MM_LAYOUT_X86_64, MM_PER_ADDR_COMPAT_LAYOUT, MM_EXEC_STACK_NOEXEC);
	assert_false(status_of(mm).topdown);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compat_layout),  cmocka_unit_test(test_limits_64bit),
		cmocka_unit_test(test_limit_3gb_i386), cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_exec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
