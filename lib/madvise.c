/* SPDX-License-Identifier: MIT */
/*
 * madvise(2) (mm/madvise.c).  Modelled effects: the vm_flags advice (NORMAL, RANDOM,
 * SEQUENTIAL, DONTFORK, DOFORK, WIPEONFORK, KEEPONFORK, DONTDUMP, DODUMP, MERGEABLE,
 * UNMERGEABLE, HUGEPAGE, NOHUGEPAGE) with merge/split; DONTNEED and REMOVE drop resident
 * pages (guard markers stay); POPULATE_READ/WRITE fault pages in, up to a guard marker;
 * GUARD_INSTALL and GUARD_REMOVE set and clear guard markers.  FREE, COLD and PAGEOUT leave
 * residency as it is, as the kernel does on a machine without swap until reclaim runs:
 * FREE'd pages stay mapped until memory pressure frees them, COLD only ages pages, PAGEOUT
 * cannot write anonymous pages anywhere.  What PAGEOUT does to file and shmem pages (it
 * unmaps, and may evict, those no other process maps) depends on other processes and the page
 * cache and is not modelled.  WILLNEED and COLLAPSE are checked as the kernel checks them and
 * change nothing here (their effects depend on I/O and timing).
 */
#include "mm_internal.h"

#define MADV_DONTNEED_LOCKED 24
#define MADV_COLLAPSE        25

static bool
advice_valid(int advice)
{
	switch (advice) {
	case MM_MADV_NORMAL:
	case MM_MADV_RANDOM:
	case MM_MADV_SEQUENTIAL:
	case MM_MADV_WILLNEED:
	case MM_MADV_DONTNEED:
	case MM_MADV_FREE:
	case MM_MADV_REMOVE:
	case MM_MADV_DONTFORK:
	case MM_MADV_DOFORK:
	case MM_MADV_MERGEABLE:
	case MM_MADV_UNMERGEABLE:
	case MM_MADV_HUGEPAGE:
	case MM_MADV_NOHUGEPAGE:
	case MM_MADV_DONTDUMP:
	case MM_MADV_DODUMP:
	case MM_MADV_WIPEONFORK:
	case MM_MADV_KEEPONFORK:
	case MM_MADV_COLD:
	case MM_MADV_PAGEOUT:
	case MM_MADV_POPULATE_READ:
	case MM_MADV_POPULATE_WRITE:
	case MADV_DONTNEED_LOCKED:
	case MADV_COLLAPSE:
	case MM_MADV_GUARD_INSTALL:
	case MM_MADV_GUARD_REMOVE:
		return true;
	default:
		return false;
	}
}

/* vma_ksm_compatible(). */
static bool
ksm_compatible(const struct vma *v)
{
	return !(v->flags & (VM_SHARED | VM_MAYSHARE | VM_PFNMAP | VM_IO | VM_DONTEXPAND |
			     VM_HUGETLB | VM_MIXEDMAP | VM_DROPPABLE));
}

/* The new vm_flags for flag-changing advice; -EINVAL where the kernel refuses. */
static int
advice_flags(const struct vma *v, int advice, uint64_t *f)
{
	switch (advice) {
	case MM_MADV_NORMAL:
		*f &= ~(VM_RAND_READ | VM_SEQ_READ);
		return 0;
	case MM_MADV_SEQUENTIAL:
		*f = (*f & ~VM_RAND_READ) | VM_SEQ_READ;
		return 0;
	case MM_MADV_RANDOM:
		*f = (*f & ~VM_SEQ_READ) | VM_RAND_READ;
		return 0;
	case MM_MADV_DONTFORK:
		*f |= VM_DONTCOPY;
		return 0;
	case MM_MADV_DOFORK:
		if (*f & VM_IO)
			return -EINVAL;
		*f &= ~VM_DONTCOPY;
		return 0;
	case MM_MADV_WIPEONFORK:
		if (v->file || (*f & VM_SHARED))
			return -EINVAL;
		*f |= VM_WIPEONFORK;
		return 0;
	case MM_MADV_KEEPONFORK:
		if (*f & VM_DROPPABLE)
			return -EINVAL;
		*f &= ~VM_WIPEONFORK;
		return 0;
	case MM_MADV_DONTDUMP:
		*f |= VM_DONTDUMP;
		return 0;
	case MM_MADV_DODUMP:
		if ((!(*f & VM_HUGETLB) && (*f & VM_SPECIAL)) || (*f & VM_DROPPABLE))
			return -EINVAL;
		*f &= ~VM_DONTDUMP;
		return 0;
	case MM_MADV_MERGEABLE:
		if (ksm_compatible(v))
			*f |= VM_MERGEABLE;
		return 0;
	case MM_MADV_UNMERGEABLE:
		*f &= ~VM_MERGEABLE;
		return 0;
	case MM_MADV_HUGEPAGE:
		*f = (*f & ~VM_NOHUGEPAGE) | VM_HUGEPAGE;
		return 0;
	default: /* MM_MADV_NOHUGEPAGE */
		*f = (*f & ~VM_HUGEPAGE) | VM_NOHUGEPAGE;
		return 0;
	}
}

static int
flags_advice(struct mm *mm, struct vma *v, struct vma **prev, uint64_t start, uint64_t end,
	     int advice)
{
	uint64_t f = v->flags;
	struct vma *res;
	int err = advice_flags(v, advice, &f);

	if (err)
		return err;
	*prev = v;
	if (f == v->flags)
		return 0;
	res = vma_modify_flags(mm, start > v->start ? v : v->prev, v, start, end, f, &err);
	if (!res)
		return err == -ENOMEM ? -EAGAIN : err;
	*prev = res;
	return 0;
}

/* madvise_dontneed_free(): DONTNEED zaps every kind of resident page of the range. */
static int
zap_advice(struct mm *mm, struct vma *v, uint64_t start, uint64_t end, int advice)
{
	uint64_t forbidden = VM_PFNMAP | (advice == MADV_DONTNEED_LOCKED ? 0 : VM_LOCKED);
	int err;

	if (v->flags & forbidden)
		return -EINVAL;
	if (advice == MM_MADV_FREE)
		return vma_is_anonymous(v) ? 0 : -EINVAL;
	err = vma_zap_pages(mm, v, start, end);
	if (!err)
		mm_pt_zap(mm, start, end);
	return err;
}

/*
 * madvise_guard_install(): the VMA becomes VM_MAYBE_GUARD (without a split: the flag is
 * sticky and ignored by merging), an anonymous one gets its anon_vma so that fork copies the
 * page tables, the range's pages are zapped and every PTE becomes a guard marker.
 */
static int
guard_install(struct mm *mm, struct vma *v, uint64_t start, uint64_t end)
{
	int err;

	if (v->flags & (VM_SPECIAL | VM_HUGETLB | VM_LOCKED))
		return -EINVAL;
	v->flags |= VM_MAYBE_GUARD;
	err = vma_is_anonymous(v) ? vma_anon_prepare(mm, v) : 0;
	if (!err)
		err = vma_zap_pages(mm, v, start, end);
	if (err)
		return err;
	mm_pt_zap(mm, start, end);
	err = vma_make_resident(mm, v, start, end, PAGE_GUARD);
	if (!err)
		mm_pt_mark(mm, start, end);
	return err;
}

/* madvise_guard_remove(): locked VMAs are allowed; VM_MAYBE_GUARD stays. */
static int
guard_remove(struct mm *mm, struct vma *v, uint64_t start, uint64_t end)
{
	if (v->flags & (VM_SPECIAL | VM_HUGETLB))
		return -EINVAL;
	return vma_drop_pages(mm, v, start, end, 1u << PAGE_GUARD);
}

/* Drop [start, end) from the VMA and, for shmem, from the object itself. */
static int
punch_hole(struct mm *mm, struct vma *v, uint64_t start, uint64_t end)
{
	uint64_t first = v->pgoff + ((start - v->start) >> MM_PAGE_SHIFT);
	int64_t delta[PAGE_KINDS] = { 0, 0, 0 };
	int err = v->file->shmem ? pages_reserve(&v->file->pages, 1) : 0;

	if (!err)
		err = vma_zap_pages(mm, v, start, end);
	if (!err)
		mm_pt_zap(mm, start, end);
	if (!err && v->file->shmem)
		pages_clear(&v->file->pages, first, (end - start) >> MM_PAGE_SHIFT, delta);
	return err;
}

/* madvise_remove(): punch a hole in a shared writable file or shmem mapping. */
static int
remove_advice(struct mm *mm, struct vma *v, uint64_t start, uint64_t end)
{
	if (v->flags & VM_LOCKED)
		return -EINVAL;
	if (!v->file)
		return -EINVAL;
	if ((v->flags & (VM_SHARED | VM_MAYWRITE)) != (VM_SHARED | VM_MAYWRITE))
		return -EACCES;
	return punch_hole(mm, v, start, end);
}

/*
 * can_madvise_modify(): a sealed VMA refuses the advice that discards memory, unless it is
 * not anonymous (a file, shmem) or is writable anyway.
 */
static bool
sealed_may_advise(const struct vma *v, int advice)
{
	switch (advice) {
	case MM_MADV_FREE:
	case MM_MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case MM_MADV_REMOVE:
	case MM_MADV_DONTFORK:
	case MM_MADV_WIPEONFORK:
	case MM_MADV_GUARD_INSTALL:
		break;
	default:
		return true;
	}
	return !vma_is_sealed(v) || !vma_is_anonymous(v) || (v->flags & VM_WRITE);
}

/* madvise_vma_behavior() for [start, end) inside v; *prev is left at the VMA handled. */
static int
vma_advice(struct mm *mm, struct vma *v, struct vma **prev, uint64_t start, uint64_t end,
	   int advice)
{
	*prev = v;
	if (!sealed_may_advise(v, advice))
		return -EPERM;
	switch (advice) {
	case MM_MADV_REMOVE:
		return remove_advice(mm, v, start, end);
	case MM_MADV_GUARD_INSTALL:
		return guard_install(mm, v, start, end);
	case MM_MADV_GUARD_REMOVE:
		return guard_remove(mm, v, start, end);
	case MM_MADV_WILLNEED:
	case MADV_COLLAPSE:
		return 0;
	case MM_MADV_COLD:
	case MM_MADV_PAGEOUT:
		return (v->flags & (VM_LOCKED | VM_PFNMAP | VM_HUGETLB)) ? -EINVAL : 0;
	case MM_MADV_FREE:
	case MM_MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
		return zap_advice(mm, v, start, end, advice);
	default:
		return flags_advice(mm, v, prev, start, end, advice);
	}
}

/* The walk's step for madvise itself: arg is the advice. */
static int
advice_visit(struct mm *mm, struct vma *v, struct vma **prev, uint64_t start, uint64_t end,
	     void *arg)
{
	return vma_advice(mm, v, prev, start, end, *(int *)arg);
}

int
madvise_walk(struct mm *mm, uint64_t start, uint64_t end, madvise_visit_fn visit, void *arg)
{
	struct vma *v = mm_find(mm, start), *prev = NULL;
	int unmapped = 0, err;
	uint64_t tmp;

	for (;;) {
		if (!v)
			return -ENOMEM;
		if (start < v->start) {
			unmapped = -ENOMEM;
			start = v->start;
			if (start >= end)
				break;
		}
		tmp = v->end < end ? v->end : end;
		err = visit(mm, v, &prev, start, tmp, arg);
		if (err)
			return err;
		start = tmp;
		if (prev && start < prev->end)
			start = prev->end;
		if (start >= end)
			break;
		v = mm_find(mm, prev ? prev->end : start);
	}
	return unmapped;
}

/* madvise_populate(): no VMA -> ENOMEM, wrong permissions -> EINVAL, SIGBUS -> EFAULT. */
static int
populate_advice(struct mm *mm, uint64_t start, uint64_t end, bool write)
{
	while (start < end) {
		struct vma *v = mm_find(mm, start);
		uint64_t tmp;
		int err;

		if (!v || v->start > start)
			return -ENOMEM;
		if ((v->flags & (VM_IO | VM_PFNMAP)) ||
		    (write ? !(v->flags & VM_WRITE) : !(v->flags & VM_READ)))
			return -EINVAL;
		tmp = v->end < end ? v->end : end;
		err = mm_fault_range(mm, v, start, tmp, write);
		if (err)
			return err;
		start = tmp;
	}
	return 0;
}

int
madvise_range(uint64_t start, uint64_t len_in, uint64_t *end)
{
	uint64_t len = MM_PAGE_ALIGN(len_in);

	if ((start & ~MM_PAGE_MASK) || (len_in && !len) || start + len < start)
		return -EINVAL;
	*end = start + len;
	return 0;
}

static int
do_madvise(struct mm *mm, uint64_t start, uint64_t len_in, int advice)
{
	uint64_t end;

	if (!advice_valid(advice) || madvise_range(start, len_in, &end) < 0)
		return -EINVAL;
	if (end == start)
		return 0;
	if (advice == MM_MADV_POPULATE_READ || advice == MM_MADV_POPULATE_WRITE)
		return populate_advice(mm, start, end, advice == MM_MADV_POPULATE_WRITE);
	return madvise_walk(mm, start, end, advice_visit, &advice);
}

int
mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice)
{
	int err = do_madvise(mm, addr, len, advice);

	MM_CHECK(mm);
	return err;
}
