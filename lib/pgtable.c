/* SPDX-License-Identifier: MIT */
/*
 * What each 2 MiB region has at the PMD level: nothing, a page-table page, the huge zero page
 * or a transparent huge page.  Visible effects: a read fault ending in SIGBUS maps its
 * fault-around neighbours only where the PMD is not empty, and a VM_HUGEPAGE region gets a
 * huge page only while its PMD is empty (or holds the huge zero page).
 * A page-table page appears when a page of the region is mapped (zero page included);
 * unmapping frees those of the unmapped range that no remaining VMA shares (free_pgtables
 * between the neighbours), and splits huge mappings it only partly covers.
 * The set is kept as runs of region numbers with the state as the run's kind.
 */
#include "mm_internal.h"

#define PMD_SHIFT 21

int
mm_pt_state(const struct mm *mm, uint64_t addr)
{
	return pages_kind_at(mm->pt, addr >> PMD_SHIFT);
}

/* Set regions [first, last] to kind; a failed allocation only loses this bookkeeping. */
static void
set_regions(struct mm *mm, uint64_t first, uint64_t last, int kind)
{
	int64_t delta[PAGE_KINDS] = { 0, 0, 0 };

	if (pages_reserve(&mm->pt, 2) == 0)
		pages_set(mm->pt, first, last + 1 - first, kind, delta);
}

static void
clear_regions(struct mm *mm, uint64_t first, uint64_t last)
{
	int64_t delta[PAGE_KINDS] = { 0, 0, 0 };

	if (mm->pt && pages_reserve(&mm->pt, 1) == 0)
		pages_clear(&mm->pt, first, last + 1 - first, delta);
}

void
mm_pt_set(struct mm *mm, uint64_t addr, int kind)
{
	set_regions(mm, addr >> PMD_SHIFT, addr >> PMD_SHIFT, kind);
}

/* A page of [start, end) was mapped with a PTE: regions with an empty PMD get a table. */
void
mm_pt_mark(struct mm *mm, uint64_t start, uint64_t end)
{
	uint64_t lo = start >> PMD_SHIFT, hi = ((end - 1) >> PMD_SHIFT) + 1, a, b;

	while (start < end && pages_first_hole(mm->pt, lo, hi, &a, &b)) {
		set_regions(mm, a, b - 1, PT_TABLE);
		lo = b;
	}
}

/* A huge mapping in a region [start, end) only partly covers is split into a table. */
static void
split_partial(struct mm *mm, uint64_t start, uint64_t end)
{
	uint64_t edge[2] = { start, end - 1 };

	for (int i = 0; i < 2; i++) {
		int kind = mm_pt_state(mm, edge[i]);
		uint64_t base = edge[i] >> PMD_SHIFT << PMD_SHIFT;

		if (kind > PT_TABLE && (base < start || base + (1ULL << PMD_SHIFT) > end))
			mm_pt_set(mm, edge[i], PT_TABLE);
	}
}

/* free_pgtables() after [start, end) was unmapped, with prev and next the VMAs left around it. */
void
mm_pt_free(struct mm *mm, uint64_t start, uint64_t end, const struct vma *prev,
	   const struct vma *next)
{
	uint64_t first = start >> PMD_SHIFT, last = (end - 1) >> PMD_SHIFT;

	if (!mm->pt || start >= end)
		return;
	split_partial(mm, start, end);
	if (prev && prev->end > first << PMD_SHIFT)
		first++;
	if (next && next->start < (last + 1) << PMD_SHIFT)
		last--;
	if (first <= last && last != UINT64_MAX)
		clear_regions(mm, first, last);
}

/* MADV_DONTNEED over [start, end): huge mappings it covers go, partly covered ones split. */
void
mm_pt_zap(struct mm *mm, uint64_t start, uint64_t end)
{
	uint64_t first = (start + (1ULL << PMD_SHIFT) - 1) >> PMD_SHIFT, last = end >> PMD_SHIFT;

	if (!mm->pt || start >= end)
		return;
	split_partial(mm, start, end);
	for (uint64_t r = first; r < last; r++)
		if (mm_pt_state(mm, r << PMD_SHIFT) > PT_TABLE)
			clear_regions(mm, r, r);
}

/*
 * One run of src's regions, clipped to [start, end) and moved by shift: a huge mapping moves
 * whole when it is covered and lands on a region boundary (copy_huge_pmd, move_huge_pmd);
 * everything else arrives as page tables.
 */
static void
copy_run(struct mm *dst, const struct page_run *r, uint64_t start, uint64_t end, int64_t shift)
{
	uint64_t size = 1ULL << PMD_SHIFT, a, b;

	for (uint64_t reg = r->first; reg < r->first + r->count; reg++) {
		a = reg << PMD_SHIFT;
		b = r->kind == PT_TABLE ? (r->first + r->count) << PMD_SHIFT : a + size;
		if (r->kind > PT_TABLE && a >= start && b <= end &&
		    !((uint64_t)shift & (size - 1)) && mm_pt_state(dst, a + (uint64_t)shift) < 0) {
			mm_pt_set(dst, a + (uint64_t)shift, (int)r->kind);
			continue;
		}
		a = a < start ? start : a;
		b = b > end ? end : b;
		mm_pt_mark(dst, (uint64_t)((int64_t)a + shift), (uint64_t)((int64_t)b + shift));
		if (r->kind == PT_TABLE)
			return;
	}
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
	for (uint32_t i = 0; i < have->nr; i++)
		copy_run(dst, &have->run[i], start, end, shift);
	pages_free(have);
}
