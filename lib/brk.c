/* SPDX-License-Identifier: MIT */
/*
 * brk(2) (mm/mmap.c SYSCALL brk, check_brk_limits; mm/vma.c do_brk_flags).  The return value
 * is always a break: the new one on success, the old one on any failure.
 */
#include "mm_internal.h"

/* check_data_rlimit(): the data segment itself is not modelled, only the heap. */
static bool
data_rlimit_ok(const struct mm *mm, uint64_t brk)
{
	return mm->rlimit_data == MM_RLIM_INFINITY || brk - mm->start_brk <= mm->rlimit_data;
}

/* check_brk_limits(): a MAP_FIXED placement check, and mlock limits under MCL_FUTURE. */
static int
brk_limits(struct mm *mm, uint64_t addr, uint64_t len)
{
	uint64_t out;
	int err = mm_get_unmapped_area(mm, AREA_ANON, addr, len, 0, MM_MAP_FIXED, &out);

	if (err)
		return err;
	return mm_mlock_future_ok(mm, mm->def_flags, len) ? 0 : -EAGAIN;
}

/* The heap must keep a free page (and the guard gap of a stack) before the next VMA. */
static bool
next_too_close(struct mm *mm, uint64_t oldbrk, uint64_t newbrk)
{
	struct vma *next =
		mm_find_intersection(mm, oldbrk, newbrk + MM_PAGE_SIZE + mm->stack_guard_gap);

	return next && newbrk + MM_PAGE_SIZE > vma_start_gap(mm, next);
}

/* do_brk_flags(): expand the heap VMA in place when the rules allow, else add a VMA. */
static int
brk_grow(struct mm *mm, struct vma *brkvma, uint64_t addr, uint64_t len)
{
	uint64_t flags = VM_DATA_DEFAULT | VM_ACCOUNT | mm->def_flags |
			 (mm->personality & MM_PER_READ_IMPLIES_EXEC ? VM_EXEC : 0);
	uint64_t pages = len >> MM_PAGE_SHIFT;
	struct merge_req r = {
		.start = addr,
		.end = addr + len,
		.flags = flags,
		.pgoff = addr >> MM_PAGE_SHIFT,
		.prev = brkvma,
		.just_expand = true,
	};
	struct vma *v;
	int err;

	if (!mm_may_expand_vm(mm, flags, pages) ||
	    mm_map_full(mm, mm->map_count > mm->max_map_count) || !mm_vm_enough_memory(mm, pages))
		return -ENOMEM;
	if (brkvma && brkvma->end == addr && vma_merge_new_range(mm, &r, &err))
		goto out;
	v = vma_new(mm);
	if (!v)
		return -ENOMEM;
	v->start = addr;
	v->end = addr + len;
	v->flags = flags;
	v->pgoff = r.pgoff;
	vma_tree_link_find(mm, v);
out:
	mm->total_vm += pages;
	mm->data_vm += pages;
	if (flags & VM_LOCKED)
		mm->locked_vm += pages;
	return 0;
}

/* The VMA just below addr, if it reaches above start_brk (vma_prev_limit). */
static struct vma *
brk_vma(struct mm *mm, uint64_t addr)
{
	struct vma *next = mm_find(mm, addr);
	struct vma *prev = next ? next->prev : mm->last;

	return prev && prev->end > mm->start_brk ? prev : NULL;
}

static uint64_t
do_brk(struct mm *mm, uint64_t brk, bool *populate)
{
	uint64_t origbrk = mm->brk, newbrk, oldbrk;
	struct vma *v;

	if (brk < mm->start_brk || !data_rlimit_ok(mm, brk))
		return origbrk;
	newbrk = MM_PAGE_ALIGN(brk);
	oldbrk = MM_PAGE_ALIGN(mm->brk);
	if (oldbrk == newbrk) {
		mm->brk = brk;
		return brk;
	}
	if (brk <= mm->brk) {
		v = mm_find_intersection(mm, newbrk, oldbrk);
		if (!v || mm_do_munmap(mm, newbrk, oldbrk) < 0)
			return origbrk;
		mm->brk = brk;
		return brk;
	}
	if (brk_limits(mm, oldbrk, newbrk - oldbrk) < 0 || next_too_close(mm, oldbrk, newbrk))
		return origbrk;
	if (brk_grow(mm, brk_vma(mm, oldbrk), oldbrk, newbrk - oldbrk) < 0)
		return origbrk;
	mm->brk = brk;
	*populate = mm->def_flags & VM_LOCKED;
	return brk;
}

uint64_t
mm_brk(struct mm *mm, uint64_t brk)
{
	uint64_t oldbrk = MM_PAGE_ALIGN(mm->brk);
	bool populate = false;
	uint64_t ret = do_brk(mm, brk, &populate);

	if (populate)
		mm_populate_range(mm, oldbrk, MM_PAGE_ALIGN(ret) - oldbrk, true);
	MM_CHECK(mm);
	return ret;
}
