/* SPDX-License-Identifier: MIT */
/*
 * lib/anon_name.c: prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME).  The kernel here is built without
 * CONFIG_ANON_VMA_NAME (the call gives EINVAL), so with the feature these follow the source:
 * kernel/sys.c prctl_set_vma(), is_valid_name_char(); mm/madvise.c madvise_set_anon_name(),
 * madvise_walk_vmas(), madvise_vma_behavior(), madvise_update_vma(); mm/vma.c
 * is_mergeable_vma(); fs/proc/task_mmu.c get_vma_name(); kernel/fork.c dup_mmap().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_helpers.h"

#define WIN 0x200000000000ULL

static struct mm *
named_mm(void)
{
	struct mm_config cfg;
	struct mm *mm = NULL;

	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.features = MM_FEAT_ANON_VMA_NAME;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	return mm;
}

static void
map(struct mm *mm, uint64_t addr, uint64_t len, uint32_t flags, const struct mm_file_desc *f)
{
	uint64_t out;

	assert_int_equal(mm_mmap(mm, addr, len, RW, flags | MM_MAP_FIXED, f, 0, &out), 0);
	check_valid(mm);
}

static int
name(struct mm *mm, uint64_t addr, uint64_t len, const char *n)
{
	int r = mm_set_vma_anon_name(mm, addr, len, n);

	check_valid(mm);
	return r;
}

/* The maps line of the VMA at addr. */
static const char *
line(struct mm *mm, uint64_t addr)
{
	static char buf[MM_MAPS_LINE_MAX];

	assert_true(mm_format_maps_line(mm, mm_vma_lookup(mm, addr), buf, sizeof(buf)) > 0);
	return buf;
}

static bool
named(struct mm *mm, uint64_t addr, const char *shown)
{
	return strstr(line(mm, addr), shown) != NULL;
}

/* Without CONFIG_ANON_VMA_NAME prctl_set_vma() is -EINVAL whatever the arguments. */
static void
without_the_feature_always_einval(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	map(mm, WIN, 4 * P, ANON_PRIVATE, NULL);
	assert_int_equal(mm_set_vma_anon_name(mm, WIN, P, "x"), -EINVAL);
	assert_int_equal(mm_set_vma_anon_name(mm, WIN, P, NULL), -EINVAL);
	assert_int_equal(mm_set_vma_anon_name(mm, WIN + 1, 0, "x"), -EINVAL);
	mm_destroy(mm);
}

/* ANON_VMA_NAME_MAX_LEN (80) with the NUL; printable ASCII without \ ` $ [ ]. */
static void
name_validation(void **state)
{
	static const char *const bad[] = { "a\\b", "`", "$x", "[x", "x]", "tab\t", "\x7f", "\xc3" };
	struct mm *mm = named_mm();
	char longest[MM_ANON_VMA_NAME_MAX + 1];

	(void)state;
	map(mm, WIN, 4 * P, ANON_PRIVATE, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(name(mm, WIN, P, bad[i]), -EINVAL);
	memset(longest, 'n', sizeof(longest));
	longest[MM_ANON_VMA_NAME_MAX] = '\0';
	assert_int_equal(name(mm, WIN, P, longest), -EINVAL);
	longest[MM_ANON_VMA_NAME_MAX - 1] = '\0';
	assert_int_equal(name(mm, WIN, P, longest), 0);
	assert_true(named(mm, WIN, "[anon:nnnnnnnnnn"));
	assert_int_equal(name(mm, WIN + P, P, "with space/and-punct.~!"), 0);
	assert_true(named(mm, WIN + P, " [anon:with space/and-punct.~!]\n"));
	assert_int_equal(name(mm, WIN + 2 * P, P, ""), 0);
	assert_true(named(mm, WIN + 2 * P, " [anon:]\n"));
	assert_int_equal(count_vmas(mm), 4);
	mm_destroy(mm);
}

/* madvise_set_anon_name()'s range checks: alignment, wrap, zero length. */
static void
range_checks(void **state)
{
	struct mm *mm = named_mm();

	(void)state;
	map(mm, WIN, 4 * P, ANON_PRIVATE, NULL);
	assert_int_equal(name(mm, WIN + 1, P, "x"), -EINVAL);
	assert_int_equal(name(mm, WIN, UINT64_MAX, "x"), -EINVAL);
	assert_int_equal(name(mm, WIN, UINT64_MAX - 2 * P, "x"), -EINVAL);
	assert_int_equal(name(mm, WIN + 8 * P, 0, "x"), 0);
	assert_int_equal(name(mm, WIN, 1, "x"), 0); /* rounded up to a page */
	assert_int_equal(count_vmas(mm), 2);
	mm_destroy(mm);
}

/* Splits at the range's edges; equal names merge back, NULL clears and merges too. */
static void
split_merge_clear(void **state)
{
	struct mm *mm = named_mm();

	(void)state;
	map(mm, WIN, 8 * P, ANON_PRIVATE, NULL);
	assert_int_equal(name(mm, WIN + 2 * P, 2 * P, "heap2"), 0);
	assert_int_equal(count_vmas(mm), 3);
	assert_false(named(mm, WIN, "[anon:"));
	assert_true(named(mm, WIN + 2 * P, "200000002000-200000004000 rw-p 00000000 00:00 0"));
	assert_true(named(mm, WIN + 2 * P, "[anon:heap2]"));
	/* The same name next to it: one VMA (is_mergeable_vma() compares the text). */
	assert_int_equal(name(mm, WIN + 4 * P, 2 * P, "heap2"), 0);
	assert_int_equal(count_vmas(mm), 3);
	assert_true(named(mm, WIN + 2 * P, "200000002000-200000006000"));
	/* A flag change keeps the name and merges only with equal names. */
	assert_int_equal(mm_mprotect(mm, WIN + 2 * P, 4 * P, MM_PROT_READ), 0);
	assert_int_equal(mm_mprotect(mm, WIN + 2 * P, 4 * P, RW), 0);
	assert_int_equal(count_vmas(mm), 3);
	assert_true(named(mm, WIN + 5 * P, "[anon:heap2]"));
	/* A new mapping beside a named VMA does not merge into it. */
	map(mm, WIN + 8 * P, 2 * P, ANON_PRIVATE, NULL);
	assert_int_equal(name(mm, WIN + 6 * P, 2 * P, "heap2"), 0);
	assert_int_equal(count_vmas(mm), 3);
	assert_true(named(mm, WIN + 2 * P, "200000002000-200000008000"));
	assert_int_equal(name(mm, WIN, 10 * P, NULL), 0);
	assert_int_equal(count_vmas(mm), 1);
	mm_destroy(mm);
}

/* madvise_walk_vmas(): a hole is -ENOMEM after naming the mapped parts. */
static void
holes_give_enomem_after_naming(void **state)
{
	struct mm *mm = named_mm();

	(void)state;
	map(mm, WIN + 2 * P, 2 * P, ANON_PRIVATE, NULL);
	map(mm, WIN + 6 * P, 2 * P, ANON_PRIVATE, NULL);
	assert_int_equal(name(mm, WIN, 10 * P, "h"), -ENOMEM);
	assert_true(named(mm, WIN + 2 * P, "[anon:h]"));
	assert_true(named(mm, WIN + 6 * P, "[anon:h]"));
	/* Nothing mapped at or after the start. */
	assert_int_equal(name(mm, WIN + 16 * P, P, "h"), -ENOMEM);
	mm_destroy(mm);
}

/*
 * Only anonymous memory: a file mapping is -EBADF (the VMAs before it named), a private
 * /dev/zero mapping too (it has the file); shared anonymous memory shows [anon_shmem:NAME].
 */
static void
which_vmas_take_a_name(void **state)
{
	struct mm_file_desc f = { .path = "/data/f",
				  .mode = MM_FMODE_READ | MM_FMODE_WRITE,
				  .dev_major = 8,
				  .ino = 12,
				  .size = 1 << 20 };
	struct mm_file_desc z = { .path = "/dev/zero",
				  .mode = MM_FMODE_READ | MM_FMODE_WRITE,
				  .dev_minor = 5,
				  .ino = 4,
				  .kind = MM_FILE_DEVZERO };
	struct mm *mm = named_mm();

	(void)state;
	map(mm, WIN, 2 * P, ANON_PRIVATE, NULL);
	map(mm, WIN + 2 * P, 2 * P, MM_MAP_PRIVATE, &f);
	map(mm, WIN + 4 * P, 2 * P, ANON_PRIVATE, NULL);
	assert_int_equal(name(mm, WIN, 6 * P, "x"), -EBADF);
	assert_true(named(mm, WIN, "[anon:x]"));
	assert_true(named(mm, WIN + 2 * P, "/data/f"));
	assert_false(named(mm, WIN + 4 * P, "[anon:"));
	map(mm, WIN + 8 * P, 2 * P, MM_MAP_PRIVATE, &z);
	assert_int_equal(name(mm, WIN + 8 * P, 2 * P, "z"), -EBADF);
	map(mm, WIN + 16 * P, 4 * P, MM_MAP_SHARED | MM_MAP_ANONYMOUS, NULL);
	assert_int_equal(name(mm, WIN + 17 * P, P, "shm"), 0);
	assert_true(named(mm, WIN + 17 * P, "200000011000-200000012000 rw-s 00001000 00:01 "));
	assert_true(named(mm, WIN + 17 * P, " [anon_shmem:shm]\n"));
	assert_true(named(mm, WIN + 16 * P, "/dev/zero (deleted)"));
	mm_destroy(mm);
}

/* get_vma_name(): [heap] and [stack] come before the name. */
static void
heap_keeps_its_name(void **state)
{
	struct mm_config cfg;
	struct mm *mm = NULL;
	uint64_t brk;

	(void)state;
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.features = MM_FEAT_ANON_VMA_NAME;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	brk = mm_brk(mm, 0);
	assert_int_equal(mm_brk(mm, brk + 4 * P), brk + 4 * P);
	assert_int_equal(name(mm, brk, 2 * P, "h"), 0);
	assert_true(named(mm, brk, "[heap]"));
	assert_true(named(mm, brk + 2 * P, "[heap]"));
	mm_destroy(mm);
}

/* dup_mmap() copies the names; they survive save and load. */
static void
fork_and_save_keep_names(void **state)
{
	struct mm *mm = named_mm(), *child = NULL, *copy = NULL;
	struct mm_sbuf b = { 0 };
	char *a = NULL, *c = NULL, msg[128];
	size_t used;

	(void)state;
	map(mm, WIN, 4 * P, ANON_PRIVATE, NULL);
	assert_int_equal(name(mm, WIN + P, 2 * P, "kept"), 0);
	assert_int_equal(mm_fork(mm, &child), 0);
	check_valid(child);
	assert_true(named(child, WIN + P, "[anon:kept]"));
	assert_int_equal(mm_save(child, &b), 0);
	assert_int_equal(mm_load(b.data, b.len, &used, &copy, msg, sizeof(msg)), 0);
	check_valid(copy);
	assert_int_equal(mm_render_maps(child, &a, NULL), 0);
	assert_int_equal(mm_render_maps(copy, &c, NULL), 0);
	assert_string_equal(a, c);
	assert_non_null(strstr(c, "[anon:kept]"));
	/* The name still takes part in merging after the load. */
	assert_int_equal(name(copy, WIN, 4 * P, "kept"), 0);
	assert_int_equal(count_vmas(copy), 1);
	free(a);
	free(c);
	mm_sbuf_free(&b);
	mm_destroy(copy);
	mm_destroy(child);
	mm_destroy(mm);
}

/* A saved name is untrusted input: a character prctl() refuses makes the load fail. */
static void
load_refuses_a_bad_name(void **state)
{
	struct mm *mm = named_mm(), *copy = NULL;
	struct mm_sbuf b = { 0 };
	char msg[128];
	size_t used;
	uint8_t *p;

	(void)state;
	map(mm, WIN, 4 * P, ANON_PRIVATE, NULL);
	assert_int_equal(name(mm, WIN, P, "QQQQ"), 0);
	assert_int_equal(mm_save(mm, &b), 0);
	p = memmem(b.data, b.len, "QQQQ", 4);
	assert_non_null(p);
	p[1] = '$';
	assert_int_equal(mm_load(b.data, b.len, &used, &copy, msg, sizeof(msg)), -EINVAL);
	assert_null(copy);
	assert_non_null(strstr(msg, "name"));
	mm_sbuf_free(&b);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(without_the_feature_always_einval),
		cmocka_unit_test(name_validation),
		cmocka_unit_test(range_checks),
		cmocka_unit_test(split_merge_clear),
		cmocka_unit_test(holes_give_enomem_after_naming),
		cmocka_unit_test(which_vmas_take_a_name),
		cmocka_unit_test(heap_keeps_its_name),
		cmocka_unit_test(fork_and_save_keep_names),
		cmocka_unit_test(load_refuses_a_bad_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
