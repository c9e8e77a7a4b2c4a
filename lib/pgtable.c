/*
 * Which 2 MiB regions have a page-table page.  The only visible effect is that a read fault
 * ending in SIGBUS maps its fault-around neighbours only where that page exists already.
 * A region gains one when a page in it is mapped (zero page included); unmapping frees those
 * of the unmapped range that no remaining VMA shares (free_pgtables between the neighbours).
 * The set is kept as runs of region numbers, like resident pages.
 */
#include "mm_internal.h"

#define PMD_SHIFT 21

bool
mm_pt_present(const struct mm *mm, uint64_t addr)
{
	return pages_kind_at(mm->pt, addr >> PMD_SHIFT) >= 0;
}

/* Mark the regions of [start, end); a failed allocation only loses this bookkeeping. */
void
mm_pt_mark(struct mm *mm, uint64_t start, uint64_t end)
{
	uint64_t first = start >> PMD_SHIFT, last = (end - 1) >> PMD_SHIFT, a, b;
	int64_t delta[PAGE_KINDS] = { 0, 0, 0 };

	if (start >= end || !pages_first_hole(mm->pt, first, last + 1, &a, &b))
		return;
	if (pages_reserve(&mm->pt, 2) == 0)
		pages_set(mm->pt, first, last + 1 - first, PAGE_ANON, delta);
}

/* free_pgtables() after [start, end) was unmapped, with prev and next the VMAs left around it. */
void
mm_pt_free(struct mm *mm, uint64_t start, uint64_t end, const struct vma *prev,
	   const struct vma *next)
{
	uint64_t first = start >> PMD_SHIFT, last = (end - 1) >> PMD_SHIFT;
	int64_t delta[PAGE_KINDS] = { 0, 0, 0 };

	if (!mm->pt || start >= end)
		return;
	if (prev && prev->end > first << PMD_SHIFT)
		first++;
	if (next && next->start < (last + 1) << PMD_SHIFT)
		last--;
	if (first > last || last == UINT64_MAX || pages_reserve(&mm->pt, 1) < 0)
		return;
	pages_clear(&mm->pt, first, last + 1 - first, delta);
}

/* Give dst the regions src has for [start, end), moved by shift bytes (fork, mremap). */
void
mm_pt_copy(struct mm *dst, const struct mm *src, uint64_t start, uint64_t end, int64_t shift)
{
	uint64_t lo = start >> PMD_SHIFT, hi = ((end - 1) >> PMD_SHIFT) + 1;
	struct vma_pages *have;

	/* A copy first: dst may be src. */
	if (start >= end || pages_extract(src->pt, lo, hi, &have) < 0 || !have)
		return;
	for (uint32_t i = 0; i < have->nr; i++) {
		const struct page_run *r = &have->run[i];
		uint64_t a = r->first > lo ? r->first : lo;
		uint64_t b = r->first + r->count < hi ? r->first + r->count : hi;

		if (a >= b)
			continue;
		a = a << PMD_SHIFT < start ? start : a << PMD_SHIFT;
		b = b << PMD_SHIFT > end ? end : b << PMD_SHIFT;
		mm_pt_mark(dst, (uint64_t)((int64_t)a + shift), (uint64_t)((int64_t)b + shift));
	}
	pages_free(have);
}
