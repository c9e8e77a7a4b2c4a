/* SPDX-License-Identifier: MIT */
/*
 * Memory protection keys (lib/pkeys.c).  Without MM_FEAT_PKU the answers are those of this
 * machine's 6.18 kernel on a CPU without PKU (checked with a small C program calling
 * pkey_alloc, pkey_free and pkey_mprotect through syscall(2)); with it they follow the x86
 * source (arch/x86/include/asm/pkeys.h, arch/x86/mm/pkeys.c, mm/mprotect.c:
 * do_mprotect_pkey()), as no CPU here has PKU.
 */
#include "test_helpers.h"

#include <errno.h>

#define A      0x200000000000ULL
#define KEY(k) ((uint64_t)(k) << VM_PKEY_SHIFT)

static struct mm *
pku_mm(void)
{
	struct mm_config cfg;
	struct mm *mm = NULL;

	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.features = MM_FEAT_PKU;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	return mm;
}

static int
alloc(struct mm *mm)
{
	int k = -100, err = mm_pkey_alloc(mm, 0, 0, &k);

	check_valid(mm);
	return err ? err : k;
}

/* The first pkey_alloc: EINVAL, then ENOSPC (key 0 stays taken), also in a fork child. */
static void
no_pku_alloc_free(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false), *child = NULL, *fresh = NULL;
	int k;

	(void)state;
	assert_int_equal(mm_fork(mm, &fresh), 0);
	assert_int_equal(mm_pkey_alloc(mm, 1, 0, &k), -EINVAL);
	assert_int_equal(mm_pkey_alloc(mm, 0, 4, &k), -EINVAL);
	assert_int_equal(alloc(mm), -EINVAL);
	assert_int_equal(alloc(mm), -ENOSPC);
	assert_int_equal(mm_pkey_alloc(mm, 0, MM_PKEY_DISABLE_WRITE, &k), -ENOSPC);
	assert_int_equal(mm_pkey_alloc(mm, 1, 0, &k), -EINVAL);
	assert_int_equal(mm_fork(mm, &child), 0);
	assert_int_equal(alloc(child), -ENOSPC);
	assert_int_equal(alloc(fresh), -EINVAL);
	for (k = -1; k <= 16; k++)
		assert_int_equal(mm_pkey_free(mm, k), -EINVAL);
	assert_false(status_of(mm).pkeys_enabled);
	mm_destroy(child);
	mm_destroy(fresh);
	mm_destroy(mm);
}

/* pkey_mprotect: only -1 is a key; the argument checks come first, in the kernel's order. */
static void
no_pku_mprotect(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);

	(void)state;
	do_mmap(mm, A, 4 * P, MM_PROT_READ, FIXED_PRIVATE);
	assert_int_equal(mm_pkey_mprotect(mm, A, P, RW, -1), 0);
	expect_vma(mm, 0, A, A + P, F_RW);
	assert_int_equal(mm_pkey_mprotect(mm, A, 0, MM_PROT_READ, 5), 0);
	assert_int_equal(mm_pkey_mprotect(mm, A, 0 - P, MM_PROT_READ, 5), -ENOMEM);
	assert_int_equal(mm_pkey_mprotect(mm, A + 1, P, MM_PROT_READ, 1), -EINVAL);
	for (int k = -2; k <= 16; k += 1) {
		if (k != -1)
			assert_int_equal(mm_pkey_mprotect(mm, A, P, MM_PROT_READ, k), -EINVAL);
	}
	assert_int_equal(mm_pkey_mprotect(mm, A + 64 * P, P, MM_PROT_READ, 0), -EINVAL);
	assert_int_equal(mm_pkey_mprotect(mm, A + 2 * P, P, MM_PROT_EXEC, -1), 0);
	expect_vma(mm, 2, A + 2 * P, A + 3 * P, VM_EXEC | MAYS);
	mm_destroy(mm);
}

/* 16 keys, 0 taken; free(0) is allowed; keys in use may be freed. */
static void
pku_alloc_free(void **state)
{
	struct mm *mm = pku_mm(), *child = NULL;

	(void)state;
	for (int k = 1; k < 16; k++)
		assert_int_equal(alloc(mm), k);
	assert_int_equal(alloc(mm), -ENOSPC);
	assert_int_equal(mm_pkey_free(mm, 0), 0);
	assert_int_equal(mm_pkey_free(mm, 0), -EINVAL);
	assert_int_equal(mm_pkey_free(mm, 16), -EINVAL);
	assert_int_equal(mm_fork(mm, &child), 0);
	assert_int_equal(alloc(child), 0);
	assert_int_equal(alloc(child), -ENOSPC);
	assert_int_equal(alloc(mm), 0);
	assert_true(status_of(mm).pkeys_enabled);
	mm_destroy(child);
	mm_destroy(mm);
}

/* The key is part of vm_flags: different keys split and keep apart, equal ones merge. */
static void
pku_key_per_vma(void **state)
{
	struct mm *mm = pku_mm();
	struct mm_vma_info info;
	int k1 = alloc(mm), k2 = alloc(mm);

	(void)state;
	do_mmap(mm, A, 4 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_pkey_mprotect(mm, A + P, P, RW, k1), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 3);
	expect_vma(mm, 1, A + P, A + 2 * P, F_RW | KEY(k1));
	nth_vma(mm, 1, &info);
	assert_int_equal(info.pkey, k1);
	/* mprotect keeps each VMA's key. */
	assert_int_equal(mm_mprotect(mm, A, 4 * P, MM_PROT_READ), 0);
	check_valid(mm);
	expect_vma(mm, 1, A + P, A + 2 * P, F_RO | KEY(k1));
	assert_int_equal(mm_pkey_mprotect(mm, A + 2 * P, P, MM_PROT_READ, k2), 0);
	assert_int_equal(count_vmas(mm), 4);
	assert_int_equal(mm_pkey_mprotect(mm, A + P, 2 * P, MM_PROT_READ, 0), 0);
	check_valid(mm);
	assert_int_equal(count_vmas(mm), 1);
	/* Freeing a key in use is allowed; the VMA keeps it. */
	assert_int_equal(mm_pkey_mprotect(mm, A, P, MM_PROT_READ, k2), 0);
	assert_int_equal(mm_pkey_free(mm, k2), 0);
	expect_vma(mm, 0, A, A + P, F_RO | KEY(k2));
	assert_int_equal(mm_pkey_mprotect(mm, A, P, MM_PROT_READ, k2), -EINVAL);
	mm_destroy(mm);
}

/*
 * PROT_EXEC alone takes the execute-only key (allocated on first use, never nameable by the
 * caller); leaving PROT_EXEC-only gives the VMA key 0 back.
 */
static void
pku_execute_only(void **state)
{
	struct mm *mm = pku_mm(), *copy = NULL;
	struct mm_sbuf b = { 0 };
	size_t used = 0;
	char msg[128];

	(void)state;
	do_mmap(mm, A, 2 * P, MM_PROT_EXEC, FIXED_PRIVATE);
	expect_vma(mm, 0, A, A + 2 * P, VM_EXEC | MAYS | KEY(1));
	assert_int_equal(alloc(mm), 2);
	assert_int_equal(mm_pkey_free(mm, 1), -EINVAL);
	assert_int_equal(mm_pkey_mprotect(mm, A, P, MM_PROT_READ, 1), -EINVAL);
	do_mmap(mm, A + 4 * P, 2 * P, RW, FIXED_PRIVATE);
	assert_int_equal(mm_mprotect(mm, A + 4 * P, P, MM_PROT_EXEC), 0);
	expect_vma(mm, 1, A + 4 * P, A + 5 * P, VM_EXEC | MAYS | KEY(1));
	assert_int_equal(mm_mprotect(mm, A, 2 * P, MM_PROT_READ | MM_PROT_EXEC), 0);
	expect_vma(mm, 0, A, A + 2 * P, VM_READ | VM_EXEC | MAYS);
	/* The saved form keeps the map and the execute-only key. */
	assert_int_equal(mm_save(mm, &b), 0);
	assert_int_equal(mm_load(b.data, b.len, &used, &copy, msg, sizeof(msg)), 0);
	assert_int_equal(alloc(copy), 3);
	assert_int_equal(mm_pkey_free(copy, 1), -EINVAL);
	expect_vma(copy, 1, A + 4 * P, A + 5 * P, VM_EXEC | MAYS | KEY(1));
	mm_sbuf_free(&b);
	mm_destroy(copy);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_pku_alloc_free), cmocka_unit_test(no_pku_mprotect),
		cmocka_unit_test(pku_alloc_free),    cmocka_unit_test(pku_key_per_vma),
		cmocka_unit_test(pku_execute_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
