/* SPDX-License-Identifier: MIT */
/*
 * munmap(2) and the unmapping shared with MAP_FIXED, brk shrink and mremap
 * (mm/vma.c do_vmi_munmap, vms_gather_munmap_vmas, vms_complete_munmap_vmas).
 */
#include "mm_internal.h"

/*
 * Split the VMAs at the edges of [start, end) so that the range is made of whole VMAs, and
 * return the first of them (NULL when nothing is mapped there) and, if wanted, the first VMA
 * after the range (vms_gather_munmap_vmas(); -EPERM when one of them is sealed).  Punching a hole
 * in a single VMA raises map_count, so it is refused at the limit; other splits are not checked.
 */
int
mm_unmap_prepare(struct mm *mm, uint64_t start, uint64_t end, struct vma **firstp,
		 struct vma **afterp)
{
	struct vma *v = mm_find(mm, start), *last;
	int err;

	*firstp = NULL;
	if (afterp)
		*afterp = v;
	if (!v || v->start >= end)
		return 0;
	if (start > v->start) {
		if (end < v->end && mm_map_full(mm, mm->map_count >= mm->max_map_count))
			return -ENOMEM;
		if (vma_is_sealed(v))
			return -EPERM;
		err = vma_split(mm, v, start, true, NULL);
		if (err)
			return err;
	}
	/* A sealed VMA refuses the whole unmap; the split above stays, as in the kernel. */
	for (last = v;; last = last->next) {
		if (vma_is_sealed(last))
			return -EPERM;
		if (!last->next || last->next->start >= end)
			break;
	}
	if (last->end > end) {
		err = vma_split(mm, last, end, false, NULL);
		if (err)
			return err;
	}
	*firstp = v;
	if (afterp)
		*afterp = last->next;
	return 0;
}

/* Pages of the whole VMAs from first up to end, total and VM_ACCOUNT-charged. */
void
mm_unmap_count(const struct vma *first, uint64_t end, uint64_t *pages, uint64_t *accounted)
{
	*pages = *accounted = 0;
	for (const struct vma *v = first; v && v->start < end; v = v->next) {
		*pages += vma_pages_count(v);
		if (v->flags & VM_ACCOUNT)
			*accounted += vma_pages_count(v);
	}
}

/* Remove the whole VMAs from first up to end, with the accounting of an unmap. */
void
mm_unmap_commit(struct mm *mm, struct vma *first, uint64_t end)
{
	struct vma *v, *next, *prev = first ? first->prev : NULL;
	uint64_t start = first ? first->start : 0;

	if (!first)
		return;
	mm_update_hiwater_rss(mm);
	mm_update_hiwater_vm(mm);
	for (v = first; v && v->start < end; v = next) {
		next = v->next;
		mm_stat_account(mm, v->flags, -(int64_t)vma_pages_count(v));
		if (v->flags & VM_LOCKED)
			mm->locked_vm -= vma_pages_count(v);
		vma_remove(mm, v);
	}
	mm_pt_free(mm, start, end, prev, prev ? prev->next : mm->first);
}

int
mm_do_munmap(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vma *first;
	int err = mm_unmap_prepare(mm, start, end, &first, NULL);

	if (err)
		return err;
	mm_unmap_commit(mm, first, end);
	return 0;
}

/*
 * do_vmi_munmap(): the range checks of munmap(2), which mremap's unmaps (a shrink, the
 * MREMAP_FIXED target, the moved source) go through as well.
 */
int
mm_do_vmi_munmap(struct mm *mm, uint64_t addr, uint64_t len)
{
	uint64_t end;

	if ((addr & ~MM_PAGE_MASK) || addr > mm->task_size || len > mm->task_size - addr)
		return -EINVAL;
	end = addr + MM_PAGE_ALIGN(len);
	if (end == addr)
		return -EINVAL;
	return mm_do_munmap(mm, addr, end);
}

int
mm_munmap(struct mm *mm, uint64_t addr, uint64_t len)
{
	int err = mm_do_vmi_munmap(mm, addr, len);

	MM_CHECK(mm);
	return err;
}
