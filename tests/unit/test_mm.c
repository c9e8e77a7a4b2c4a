/* SPDX-License-Identifier: MIT */
/* Engine core: configuration defaults, creation, lookups, raw insertion, the validator. */
#include "test_helpers.h"

#include <errno.h>
#include <string.h>

#include "mm_internal.h"

#define ANON_RW (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)

static void
test_config_defaults(void **state)
{
	struct mm_config cfg;
	struct mm_status st;
	struct mm *mm;

	(void)state;
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	assert_int_equal(cfg.task_size, 0x7ffffffff000ULL);
	assert_int_equal(cfg.max_map_count, 65530);
	assert_int_equal(cfg.rlimit_stack, 8 << 20);
	assert_int_equal(cfg.mmap_min_addr, 65536);
	assert_int_equal(cfg.dac_mmap_min_addr, 4096);
	assert_int_equal(cfg.start_brk, 0x555555560000ULL);
	assert_true(cfg.gate_vma);
	assert_int_equal(mm_create(&cfg, &mm), 0);
	mm_get_status(mm, &st);
	assert_int_equal(st.mmap_base, 0x7ffff7fff000ULL);
	assert_int_equal(st.mmap_legacy_base, 0x2aaaaaaab000ULL);
	assert_true(st.topdown);
	assert_int_equal(st.brk, 0x555555560000ULL);
	assert_int_equal(st.map_count, 0);
	assert_null(mm_first_vma(mm));
	check_valid(mm);
	mm_destroy(mm);
}

static void
test_layouts(void **state)
{
	static const struct {
		enum mm_layout layout;
		uint64_t rlimit_stack, base, legacy;
		bool topdown;
	} rows[] = {
		{ MM_LAYOUT_X86_64, 8 << 20, 0x7ffff7fff000ULL, 0x2aaaaaaab000ULL, true },
		{ MM_LAYOUT_X86_64, MM_RLIM_INFINITY, 0x155555556000ULL, 0x2aaaaaaab000ULL, true },
		{ MM_LAYOUT_X86_64, 1ULL << 30, 0x7fffbfeff000ULL, 0x2aaaaaaab000ULL, true },
		{ MM_LAYOUT_X86_64_LEGACY, 8 << 20, 0x7ffff7fff000ULL, 0x2aaaaaaab000ULL, false },
		{ MM_LAYOUT_I386, 8 << 20, 0xb8000000ULL, 0x40000000ULL, true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mm_config cfg;
		struct mm_status st;
		struct mm *mm;

		mm_config_init(&cfg, rows[i].layout);
		cfg.rlimit_stack = rows[i].rlimit_stack;
		assert_int_equal(mm_create(&cfg, &mm), 0);
		mm_get_status(mm, &st);
		assert_int_equal(st.mmap_base, rows[i].base);
		assert_int_equal(st.mmap_legacy_base, rows[i].legacy);
		assert_int_equal(st.topdown, rows[i].topdown);
		mm_destroy(mm);
	}
}

/* Zero start_brk / start_stack are derived from task_size. */
static void
test_derived_layout(void **state)
{
	struct mm_config cfg;
	struct mm_status st;
	struct mm *mm;

	(void)state;
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.start_brk = 0;
	cfg.start_stack = 0;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	mm_get_status(mm, &st);
	assert_int_equal(st.start_brk, 0x555555560000ULL);
	assert_int_equal(st.start_stack, 0x7fffffffe000ULL);
	mm_destroy(mm);
	cfg.task_size = 0x100000000ULL;
	cfg.with_stack = true;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	mm_get_status(mm, &st);
	assert_int_equal(st.start_brk, 0xaaab6000ULL);
	assert_int_equal(st.brk, 0xaaab6000ULL);
	assert_int_equal(st.start_stack, 0xfffff000ULL);
	assert_int_equal(st.mmap_base, 0xf8000000ULL);
	expect_vma(mm, 0, 0xfffdf000ULL, 0x100000000ULL, F_RW | VM_GROWSDOWN);
	mm_destroy(mm);
}

static void
test_bad_config(void **state)
{
	struct mm_config cfg;
	struct mm *mm = (struct mm *)&cfg;

	(void)state;
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.task_size = 0x7ffffffff001ULL;
	assert_int_equal(mm_create(&cfg, &mm), -EINVAL);
	assert_null(mm);
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.start_brk = 0x555555560123ULL;
	assert_int_equal(mm_create(&cfg, &mm), -EINVAL);
	mm_config_init(&cfg, (enum mm_layout)7);
	assert_int_equal(mm_create(&cfg, &mm), -EINVAL);
	mm_destroy(NULL);
}

static void
test_initial_stack(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, true);
	struct mm_vma_info info;
	struct mm_status st;

	(void)state;
	assert_int_equal(count_vmas(mm), 1);
	nth_vma(mm, 0, &info);
	assert_int_equal(info.start, 0x7ffffffde000ULL);
	assert_int_equal(info.end, 0x7ffffffff000ULL);
	assert_int_equal(info.flags, ANON_RW | VM_GROWSDOWN | VM_ACCOUNT);
	assert_int_equal(info.pgoff, 0x7ffffffdeULL);
	assert_null(info.path);
	mm_get_status(mm, &st);
	assert_int_equal(st.total_vm, 33);
	assert_int_equal(st.stack_vm, 33);
	assert_int_equal(st.data_vm, 0);
	assert_int_equal(st.map_count, 1);
	assert_true(st.start_stack >= info.start && st.start_stack <= info.end);
	mm_destroy(mm);
}

static struct mm *
three_vmas(void)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	assert_int_equal(mm_insert_vma(mm, 0x10000, 0x12000, ANON_RW, 0, NULL, false), 0);
	assert_int_equal(mm_insert_vma(mm, 0x20000, 0x21000, VM_READ | VM_MAYREAD, 0, NULL, false),
			 0);
	assert_int_equal(mm_insert_vma(mm, 0x30000, 0x38000, ANON_RW, 0, NULL, false), 0);
	check_valid(mm);
	return mm;
}

static void
test_find_vma(void **state)
{
	static const struct {
		uint64_t addr, want; /* want = start of the VMA found, 0 = none */
	} rows[] = {
		{ 0, 0x10000 },       { 0x10000, 0x10000 }, { 0x11fff, 0x10000 },
		{ 0x12000, 0x20000 }, { 0x20fff, 0x20000 }, { 0x21000, 0x30000 },
		{ 0x37fff, 0x30000 }, { 0x38000, 0 },       { UINT64_MAX, 0 },
	};
	struct mm *mm = three_vmas();
	struct mm_vma_info info;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct vma *v = mm_find_vma(mm, rows[i].addr);

		if (!rows[i].want) {
			assert_null(v);
			continue;
		}
		assert_non_null(v);
		mm_vma_info(v, &info);
		assert_int_equal(info.start, rows[i].want);
	}
	mm_destroy(mm);
}

static uint64_t
start_of(const struct vma *v)
{
	struct mm_vma_info info;

	if (!v)
		return 0;
	mm_vma_info(v, &info);
	return info.start;
}

static void
test_lookup_family(void **state)
{
	struct mm *mm = three_vmas();
	const struct vma *prev = NULL;

	(void)state;
	assert_int_equal(start_of(mm_vma_lookup(mm, 0x11000)), 0x10000);
	assert_null(mm_vma_lookup(mm, 0x12000));
	assert_null(mm_vma_lookup(mm, 0x5000));
	/* inside a VMA: prev is its predecessor */
	assert_int_equal(start_of(mm_find_vma_prev(mm, 0x20000, &prev)), 0x20000);
	assert_int_equal(start_of(prev), 0x10000);
	/* in a gap: prev is the VMA below the gap */
	assert_int_equal(start_of(mm_find_vma_prev(mm, 0x25000, &prev)), 0x30000);
	assert_int_equal(start_of(prev), 0x20000);
	/* below everything */
	assert_int_equal(start_of(mm_find_vma_prev(mm, 0x1000, &prev)), 0x10000);
	assert_null(prev);
	/* above everything: NULL, prev = last */
	assert_null(mm_find_vma_prev(mm, 0x40000, &prev));
	assert_int_equal(start_of(prev), 0x30000);
	assert_int_equal(start_of(mm_find_vma_intersection(mm, 0x12000, 0x20001)), 0x20000);
	assert_null(mm_find_vma_intersection(mm, 0x12000, 0x20000));
	assert_int_equal(start_of(mm_find_vma_intersection(mm, 0x0, 0x10001)), 0x10000);
	assert_int_equal(start_of(mm_find_vma_intersection(mm, 0x37000, 0x90000)), 0x30000);
	assert_null(mm_find_vma_intersection(mm, 0x38000, 0x90000));
	mm_destroy(mm);
}

static void
test_insert_vma(void **state)
{
	struct mm *mm = three_vmas();
	struct mm_file_desc f = { .path = "/bin/true", .mode = MM_FMODE_READ, .ino = 7 };
	struct mm_vma_info info;
	struct mm_status st;

	(void)state;
	assert_int_equal(mm_insert_vma(mm, 0x11000, 0x13000, ANON_RW, 0, NULL, false), -EEXIST);
	assert_int_equal(mm_insert_vma(mm, 0x40001, 0x41000, ANON_RW, 0, NULL, false), -EINVAL);
	assert_int_equal(mm_insert_vma(mm, 0x41000, 0x41000, ANON_RW, 0, NULL, false), -EINVAL);
	assert_int_equal(
		mm_insert_vma(mm, 0x7ffffffff000ULL, 0x800000000000ULL, ANON_RW, 0, NULL, false),
		-EINVAL);
	/* adjacent to 0x10000-0x12000 with the same flags: no merge on raw insert */
	assert_int_equal(mm_insert_vma(mm, 0x12000, 0x13000, ANON_RW, 0, NULL, false), 0);
	assert_int_equal(mm_insert_vma(mm, 0x50000, 0x52000,
				       VM_READ | VM_EXEC | VM_MAYREAD | VM_MAYEXEC, 3, &f, false),
			 0);
	assert_int_equal(mm_insert_vma(mm, 0x60000, 0x61000,
				       VM_READ | VM_WRITE | VM_SHARED | VM_MAYREAD | VM_MAYWRITE |
					       VM_MAYSHARE,
				       0, NULL, true),
			 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 6);
	nth_vma(mm, 1, &info);
	assert_int_equal(info.pgoff, 0x12);
	nth_vma(mm, 4, &info);
	assert_string_equal(info.path, "/bin/true");
	assert_int_equal(info.pgoff, 3);
	assert_int_equal(info.ino, 7);
	nth_vma(mm, 5, &info);
	assert_true(info.shmem);
	assert_true(info.deleted);
	mm_get_status(mm, &st);
	assert_int_equal(st.total_vm, 2 + 1 + 8 + 1 + 2 + 1);
	assert_int_equal(st.data_vm, 2 + 8 + 1);
	assert_int_equal(st.exec_vm, 2);
	assert_int_equal(st.map_count, 6);
	mm_set_layout(mm, 0x555555560000ULL, 0x555555561234ULL, 0x7ffffffde100ULL);
	mm_get_status(mm, &st);
	assert_int_equal(st.brk, 0x555555561234ULL);
	assert_int_equal(st.start_stack, 0x7ffffffde100ULL);
	mm_destroy(mm);
}

static void
test_many_vmas_tree(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	const int n = 5000;

	(void)state;
	/* insert in a scrambled order to exercise rebalancing */
	for (int i = 0; i < n; i++) {
		uint64_t slot = ((uint64_t)i * 7919) % n;
		uint64_t start = 0x100000 + slot * 3 * P;

		assert_int_equal(mm_insert_vma(mm, start, start + P, ANON_RW, 0, NULL, false), 0);
	}
	check_valid(mm);
	for (int i = 0; i < n; i++) {
		uint64_t a = 0x100000 + (uint64_t)i * 3 * P;

		assert_int_equal(start_of(mm_find_vma(mm, a + 1)), a);
		assert_int_equal(start_of(mm_find_vma(mm, a + P)), i + 1 < n ? a + 3 * P : 0);
	}
	mm_destroy(mm);
}

/* The cache keeps copies of ranges: a split or a merge must not leave a stale one behind. */
static void
test_lookup_cache_ranges(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	char msg[256];
	uint64_t a;

	(void)state;
	a = do_mmap(mm, 0x10000000, 4 * P, RW, FIXED_PRIVATE);
	assert_int_equal(start_of(mm_find_vma(mm, a + 3 * P)), a);
	assert_int_equal(mm_mprotect(mm, a + 2 * P, P, MM_PROT_READ), 0);
	check_valid(mm);
	assert_int_equal(start_of(mm_find_vma(mm, a + 3 * P)), a + 3 * P);
	assert_int_equal(start_of(mm_find_vma(mm, a + 2 * P)), a + 2 * P);
	assert_int_equal(start_of(mm_find_vma(mm, a + P)), a);
	assert_int_equal(mm_mprotect(mm, a + 2 * P, P, RW), 0);
	check_valid(mm);
	assert_int_equal(start_of(mm_find_vma(mm, a + 3 * P)), a);
	assert_int_equal(mm_munmap(mm, a, 4 * P), 0);
	assert_null(mm_find_vma(mm, a + 3 * P));
	/* A range cached beside a VMA that has since moved is caught by the checker. */
	a = do_mmap(mm, 0x10000000, 4 * P, RW, FIXED_PRIVATE);
	assert_non_null(mm_find_vma(mm, a));
	for (int i = 0; i < MM_LOOKUP_CACHE; i++)
		if (mm->cache[i].vma)
			mm->cache[i].end += P;
	assert_int_equal(mm_validate(mm, msg, sizeof(msg)), -EUCLEAN);
	assert_non_null(strstr(msg, "lookup cache"));
	mm_destroy(mm);
}

static void
test_validate_detects(void **state)
{
	struct mm *mm = three_vmas();
	char msg[256];

	(void)state;
	mm->total_vm++;
	assert_int_equal(mm_validate(mm, msg, sizeof(msg)), -EUCLEAN);
	assert_non_null(strstr(msg, "total_vm"));
	mm->total_vm--;
	mm->first->gap_max++;
	assert_int_equal(mm_validate(mm, msg, sizeof(msg)), -EUCLEAN);
	mm->first->gap_max--;
	mm->map_count++;
	assert_int_equal(mm_validate(mm, msg, sizeof(msg)), -EUCLEAN);
	mm->map_count--;
	mm->first->end = 0x20001000;
	assert_int_equal(mm_validate(mm, msg, sizeof(msg)), -EUCLEAN);
	mm->first->end = 0x12000;
	assert_int_equal(mm_validate(mm, msg, sizeof(msg)), 0);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults),     cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_derived_layout),      cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_initial_stack),       cmocka_unit_test(test_find_vma),
		cmocka_unit_test(test_lookup_family),       cmocka_unit_test(test_insert_vma),
		cmocka_unit_test(test_many_vmas_tree),      cmocka_unit_test(test_validate_detects),
		cmocka_unit_test(test_lookup_cache_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
