/* SPDX-License-Identifier: MIT */
/*
 * The flat index: every VMA's end in one sorted array, beside the VMA pointers in the same
 * order, for lookups in a space that has stopped changing.
 *
 * A lookup in the tree reads one VMA per level, each in a cache line of its own: about 14
 * lines for 10,000 VMAs, few of them in the nearer caches.  A binary search of the ends
 * reads 8 bytes per step from one array whose upper levels stay cached, then the one VMA
 * it found.  Keeping the array in step with every change would cost each change O(n), so
 * it is not kept: any change to the tree drops it (flat_drop(), beside the lookup cache's
 * clearing), and it is rebuilt from the list once enough lookups have gone to the tree
 * since: twice the VMAs, so that building (one walk of the list) costs a lookup at most
 * half a list step on top of what it saves; a space that keeps changing never builds it.
 */
#include <stdlib.h>

#include "mm_internal.h"

/* Lookups since the last change before the array is built: 2n, at least this. */
#define FLAT_MIN_LOOKUPS 64

void
flat_fini(struct vma_flat *f)
{
	free(f->ends);
	free(f->vmas);
	*f = (struct vma_flat){ 0 };
}

static uint64_t
flat_threshold(const struct mm *mm)
{
	if (mm->flat.after)
		return mm->flat.after;
	return 2 * mm->map_count > FLAT_MIN_LOOKUPS ? 2 * mm->map_count : FLAT_MIN_LOOKUPS;
}

/* Room for n entries; without memory the tree goes on answering. */
static bool
flat_room(struct vma_flat *f, uint64_t n)
{
	uint64_t *ends;
	struct vma **vmas;

	if (n <= f->cap)
		return true;
	ends = realloc(f->ends, n * sizeof(*ends));
	if (ends)
		f->ends = ends;
	vmas = ends ? realloc(f->vmas, n * sizeof(*vmas)) : NULL;
	if (!vmas)
		return false;
	f->vmas = vmas;
	f->cap = n;
	return true;
}

static void
flat_build(struct mm *mm)
{
	struct vma_flat *f = &mm->flat;
	uint64_t i = 0;

	f->misses = 0;
	if (!flat_room(f, mm->map_count))
		return;
	for (struct vma *v = mm->first; v; v = v->next, i++) {
		f->ends[i] = v->end;
		f->vmas[i] = v;
	}
	f->n = i;
	f->valid = true;
}

/*
 * The first VMA with end > addr.  The search keeps [base, base + len] holding the answer
 * and halves it with a conditional move, so that no step waits on a branch guessed wrong.
 */
static struct vma *
flat_search(const struct vma_flat *f, uint64_t addr)
{
	const uint64_t *base = f->ends;
	uint64_t len = f->n, i;

	if (len == 0)
		return NULL;
	while (len > 1) {
		uint64_t half = len / 2;

		base = base[half - 1] <= addr ? base + half : base;
		len -= half;
	}
	i = (uint64_t)(base - f->ends) + (*base <= addr);
	return i < f->n ? f->vmas[i] : NULL;
}

struct vma *
flat_find(struct mm *mm, uint64_t addr)
{
	struct vma_flat *f = &mm->flat;

	if (f->valid)
		return flat_search(f, addr);
	if (++f->misses >= flat_threshold(mm))
		flat_build(mm);
	return vma_tree_find(mm, addr);
}

void
mm_set_flat_after(struct mm *mm, uint64_t lookups)
{
	mm->flat.after = lookups;
}
