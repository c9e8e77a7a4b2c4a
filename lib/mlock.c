/* SPDX-License-Identifier: MIT */
/*
 * mlock2(2), munlock(2), mlockall(2) and munlockall(2) (mm/mlock.c do_mlock,
 * apply_vma_lock_flags, mlock_fixup, apply_mlockall_flags), and
 * mseal(2) (mm/mseal.c do_mseal, mseal_apply), which changes flags the same way.
 */
#include "mm_internal.h"

/* Special, hugetlb and droppable VMAs are skipped silently. */
static bool
supports_mlock(const struct vma *v)
{
	return !(v->flags & (VM_SPECIAL | VM_DROPPABLE | VM_HUGETLB));
}

static int
lock_fixup(struct mm *mm, struct vma *v, struct vma *prev, uint64_t start, uint64_t end,
	   uint64_t newflags, struct vma **res)
{
	uint64_t old = v->flags, npages = (end - start) >> MM_PAGE_SHIFT;
	int err;

	*res = v;
	if (newflags == old || !supports_mlock(v))
		return 0;
	*res = vma_modify_flags(mm, prev, v, start, end, newflags, &err);
	if (!*res)
		return err;
	if (!(newflags & VM_LOCKED))
		mm->locked_vm -= npages;
	else if (!(old & VM_LOCKED))
		mm->locked_vm += npages;
	return 0;
}

static int
apply_lock_flags(struct mm *mm, uint64_t start, uint64_t len, uint64_t flags)
{
	uint64_t end = start + len, nstart = start, tmp;
	struct vma *v, *prev, *res;
	int err;

	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	v = mm_find(mm, start);
	if (!v || v->start > start)
		return -ENOMEM;
	prev = start > v->start ? v : v->prev;
	tmp = v->start;
	for (; v && v->start < end; v = res->next) {
		if (v->start != tmp)
			return -ENOMEM;
		tmp = v->end < end ? v->end : end;
		err = lock_fixup(mm, v, prev, nstart, tmp, (v->flags & ~VM_LOCKED_MASK) | flags,
				 &res);
		if (err)
			return err;
		tmp = res->end;
		nstart = tmp;
		prev = res;
	}
	return tmp < end ? -ENOMEM : 0;
}

/* count_mm_mlocked_page_nr(): pages of [start, start+len) that are locked already. */
static uint64_t
locked_in_range(struct mm *mm, uint64_t start, uint64_t len)
{
	uint64_t end = UINT64_MAX - len < start ? UINT64_MAX : start + len, count = 0;

	for (struct vma *v = mm_find_intersection(mm, start, end); v && v->start < end;
	     v = v->next) {
		if (!(v->flags & VM_LOCKED))
			continue;
		if (start > v->start)
			count -= start - v->start;
		if (end < v->end) {
			count += end - v->start;
			break;
		}
		count += v->end - v->start;
	}
	return count >> MM_PAGE_SHIFT;
}

static int
do_mlock(struct mm *mm, uint64_t start, uint64_t len, uint64_t flags)
{
	uint64_t limit = mm->rlimit_memlock >> MM_PAGE_SHIFT, locked;
	int err;

	if (!mm_can_do_mlock(mm))
		return -EPERM;
	len = MM_PAGE_ALIGN(len + (start & ~MM_PAGE_MASK));
	start &= MM_PAGE_MASK;
	locked = (len >> MM_PAGE_SHIFT) + mm->locked_vm;
	if (locked > limit && !mm->cap_ipc_lock)
		locked -= locked_in_range(mm, start, len);
	if (locked > limit && !mm->cap_ipc_lock)
		return -ENOMEM;
	err = apply_lock_flags(mm, start, len, flags);
	if (err)
		return err;
	err = mm_populate_range(mm, start, len, false);
	if (err == -EFAULT)
		return -ENOMEM;
	if (err == -ENOMEM)
		return -EAGAIN;
	return err;
}

int
mm_mlock(struct mm *mm, uint64_t addr, uint64_t len, uint32_t flags)
{
	int err;

	if (flags & ~MM_MLOCK_ONFAULT)
		return -EINVAL;
	err = do_mlock(mm, addr, len, VM_LOCKED | (flags & MM_MLOCK_ONFAULT ? VM_LOCKONFAULT : 0));
	MM_CHECK(mm);
	return err;
}

int
mm_munlock(struct mm *mm, uint64_t addr, uint64_t len)
{
	uint64_t start = addr & MM_PAGE_MASK;
	int err = apply_lock_flags(mm, start, MM_PAGE_ALIGN(len + (addr & ~MM_PAGE_MASK)), 0);

	MM_CHECK(mm);
	return err;
}

/* range_contains_unmapped(). */
static bool
range_has_hole(struct mm *mm, uint64_t start, uint64_t end)
{
	uint64_t at = start;

	for (struct vma *v = mm_find(mm, start); at < end; v = v->next) {
		if (!v || v->start > at)
			return true;
		at = v->end;
	}
	return false;
}

/* mseal_apply(): every VMA of the range gains VM_SEALED (split and merged as flags change). */
static int
seal_apply(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vma *v = mm_find(mm, start), *prev = start > v->start ? v : v->prev;
	uint64_t cur = start;
	int err;

	for (; v && v->start < end; v = v->next) {
		uint64_t cur_end = v->end < end ? v->end : end;

		/* A merge with the next VMA may have covered more than [cur, cur_end). */
		cur = cur > v->start ? cur : v->start;
		if (!vma_is_sealed(v)) {
			v = vma_modify_flags(mm, prev, v, cur, cur_end, v->flags | VM_SEALED, &err);
			if (!v)
				return err;
		}
		prev = v;
		cur = cur_end;
	}
	return 0;
}

int
mm_mseal(struct mm *mm, uint64_t addr, uint64_t len, uint64_t flags)
{
	uint64_t end, alen = MM_PAGE_ALIGN(len);
	int err;

	if (flags || (addr & ~MM_PAGE_MASK) || (len && !alen))
		return -EINVAL;
	end = addr + alen;
	if (end < addr)
		return -EINVAL;
	if (end == addr)
		return 0;
	if (range_has_hole(mm, addr, end))
		return -ENOMEM;
	err = seal_apply(mm, addr, end);
	MM_CHECK(mm);
	return err;
}

/* apply_mlockall_flags(): mlock_fixup()'s errors are ignored, VMA by VMA. */
static void
apply_mlockall_flags(struct mm *mm, uint32_t flags)
{
	uint64_t onfault = flags & MM_MCL_ONFAULT ? VM_LOCKONFAULT : 0, to_add = 0;
	struct vma *prev = NULL, *res;

	mm->def_flags &= ~VM_LOCKED_MASK;
	if (flags & MM_MCL_FUTURE) {
		mm->def_flags |= VM_LOCKED | onfault;
		if (!(flags & MM_MCL_CURRENT))
			return;
	}
	if (flags & MM_MCL_CURRENT)
		to_add = VM_LOCKED | onfault;
	for (struct vma *v = mm->first; v; v = res->next) {
		if (lock_fixup(mm, v, prev, v->start, v->end, (v->flags & ~VM_LOCKED_MASK) | to_add,
			       &res))
			res = v;
		prev = res;
	}
}

int
mm_mlockall(struct mm *mm, uint32_t flags)
{
	const uint32_t known = MM_MCL_CURRENT | MM_MCL_FUTURE | MM_MCL_ONFAULT;

	if (!flags || (flags & ~known) || flags == MM_MCL_ONFAULT)
		return -EINVAL;
	if (!mm_can_do_mlock(mm))
		return -EPERM;
	if ((flags & MM_MCL_CURRENT) && mm->total_vm > mm->rlimit_memlock >> MM_PAGE_SHIFT &&
	    !mm->cap_ipc_lock)
		return -ENOMEM;
	apply_mlockall_flags(mm, flags);
	/* mm_populate(0, TASK_SIZE): pages that cannot be faulted in are skipped, not failed. */
	if (flags & MM_MCL_CURRENT)
		(void)mm_populate_range(mm, 0, mm->task_size, true);
	MM_CHECK(mm);
	return 0;
}

int
mm_munlockall(struct mm *mm)
{
	apply_mlockall_flags(mm, 0);
	MM_CHECK(mm);
	return 0;
}

uint64_t
mm_def_flags(const struct mm *mm)
{
	return mm->def_flags;
}
