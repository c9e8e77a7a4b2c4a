/* SPDX-License-Identifier: MIT */
/* Shared helpers for the engine unit tests. */
#ifndef VMAD_TEST_HELPERS_H
#define VMAD_TEST_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "mm.h"

#define P             4096ULL
#define MMAP_BASE     0x7ffff7fff000ULL
#define ANON_PRIVATE  (MM_MAP_PRIVATE | MM_MAP_ANONYMOUS)
#define FIXED_PRIVATE (MM_MAP_PRIVATE | MM_MAP_ANONYMOUS | MM_MAP_FIXED)
#define RW            (MM_PROT_READ | MM_PROT_WRITE)

/* Abort the test with the validator's message when the mm is inconsistent. */
static inline void
check_valid(const struct mm *mm)
{
	char msg[256];

	if (mm_validate(mm, msg, sizeof(msg)) != 0)
		fail_msg("mm_validate: %s", msg);
}

static inline struct mm *
new_mm(enum mm_layout layout, bool with_stack)
{
	struct mm_config cfg;
	struct mm *mm = NULL;

	mm_config_init(&cfg, layout);
	cfg.with_stack = with_stack;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	check_valid(mm);
	return mm;
}

/* An x86_64 mm without a stack that holds at most max_map_count VMAs. */
static inline struct mm *
new_mm_map_limit(uint64_t max_map_count)
{
	struct mm_config cfg;
	struct mm *mm = NULL;

	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.max_map_count = max_map_count;
	assert_int_equal(mm_create(&cfg, &mm), 0);
	check_valid(mm);
	return mm;
}

static inline int
count_vmas(const struct mm *mm)
{
	int n = 0;

	for (const struct vma *v = mm_first_vma(mm); v; v = mm_next_vma(v))
		n++;
	return n;
}

/* The nth VMA (0-based) in address order. */
static inline void
nth_vma(const struct mm *mm, int n, struct mm_vma_info *info)
{
	const struct vma *v = mm_first_vma(mm);

	for (int i = 0; v && i < n; i++)
		v = mm_next_vma(v);
	assert_non_null(v);
	mm_vma_info(v, info);
}

/* Assert that VMA n spans [start, end) with the given flags. */
static inline void
expect_vma(const struct mm *mm, int n, uint64_t start, uint64_t end, uint64_t flags)
{
	struct mm_vma_info info;

	nth_vma(mm, n, &info);
	if (info.start != start || info.end != end || info.flags != flags)
		fail_msg("vma %d is %#llx-%#llx flags %#llx, expected %#llx-%#llx flags %#llx", n,
			 (unsigned long long)info.start, (unsigned long long)info.end,
			 (unsigned long long)info.flags, (unsigned long long)start,
			 (unsigned long long)end, (unsigned long long)flags);
}

static inline uint64_t
do_mmap(struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags)
{
	uint64_t out = 0;
	int err = mm_mmap(mm, addr, len, prot, flags, NULL, 0, &out);

	if (err)
		fail_msg("mmap(%#llx, %#llx, %u, %#x) = %d", (unsigned long long)addr,
			 (unsigned long long)len, prot, flags, err);
	check_valid(mm);
	return out;
}

#define MAYS     (VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)
#define F_RW     (VM_READ | VM_WRITE | MAYS | VM_ACCOUNT)
#define F_RO     (VM_READ | MAYS)
#define F_NONE   (MAYS)
#define F_SHARED (VM_READ | VM_WRITE | VM_SHARED | VM_MAYSHARE | MAYS)

static inline int
try_mmap(struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
	 const struct mm_file_desc *file, uint64_t off, uint64_t *out)
{
	uint64_t dummy;
	int err = mm_mmap(mm, addr, len, prot, flags, file, off, out ? out : &dummy);

	check_valid(mm);
	return err;
}

static inline struct mm_status
status_of(const struct mm *mm)
{
	struct mm_status st;

	mm_get_status(mm, &st);
	return st;
}
#endif /* helpers */
