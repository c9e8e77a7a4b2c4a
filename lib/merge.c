/* SPDX-License-Identifier: MIT */
/*
 * VMA merging (mm/vma.c: vma_merge_new_range, vma_merge_existing_range, vma_modify) and
 * anon_vma attachment with neighbour reuse (anon_vma_prepare, find_mergeable_anon_vma).
 *
 * Page sets are combined into fresh allocations before any VMA changes, so a failed
 * allocation leaves everything as it was.
 */
#include "mm_internal.h"

bool
vma_flags_mergeable(uint64_t a, uint64_t b)
{
	return ((a ^ b) & ~VM_IGNORE_MERGE) == 0;
}

/*
 * is_mergeable_anon_vma(): the target survives; the source brings src_anon (the modified
 * VMA's, or the moved VMA's for mremap).  Fork children cannot hand over or accept.
 */
static bool
anon_compatible(const struct vma *tgt, uint64_t src_anon, bool src_fork_child)
{
	if (!tgt->anon_vma && src_anon)
		return !src_fork_child;
	if (tgt->anon_vma && !src_anon)
		return !tgt->fork_child;
	return tgt->anon_vma == src_anon;
}

/* What is_mergeable_vma() compares: flags, file and the anonymous name (anon_vma_name_eq). */
struct merge_attrs {
	uint64_t flags;
	const struct mm_file *file;
	const struct mm_anon_name *name;
};

static bool
attrs_match(const struct vma *v, const struct merge_attrs *a)
{
	return vma_flags_mergeable(v->flags, a->flags) && v->file == a->file &&
	       anon_name_eq(v->anon_name, a->name);
}

/* prev, whose end touches the range, can absorb it (can_vma_merge_after). */
static bool
can_merge_after(const struct vma *prev, const struct merge_attrs *a, uint64_t pgoff,
		uint64_t src_anon, bool src_fc)
{
	return attrs_match(prev, a) && anon_compatible(prev, src_anon, src_fc) &&
	       prev->pgoff + vma_pages_count(prev) == pgoff;
}

/* next, whose start touches the range's end, can absorb it (can_vma_merge_before). */
static bool
can_merge_before(const struct vma *next, const struct merge_attrs *a, uint64_t pgoff,
		 uint64_t npages, uint64_t src_anon, bool src_fc)
{
	return attrs_match(next, a) && anon_compatible(next, src_anon, src_fc) &&
	       next->pgoff == pgoff + npages;
}

/* Merging on both sides also needs prev and next to agree with each other. */
static bool
sides_compatible(const struct vma *prev, const struct vma *next)
{
	return !prev->anon_vma || !next->anon_vma || prev->anon_vma == next->anon_vma;
}

/* dup_anon_vma(): dst takes src's anon_vma (and its chain) when it has none. */
static void
dup_anon(struct vma *dst, const struct vma *src)
{
	if (src && src->anon_vma && !dst->anon_vma) {
		dst->anon_vma = src->anon_vma;
		dst->fork_child = src->fork_child;
	}
}

/*
 * The sticky flags (VM_MAYBE_GUARD, VM_SOFTDIRTY) are ignored when deciding a merge and
 * survive it: the merged VMA has those of every part that went into it.
 */
static void
take_sticky(struct vma *target, uint64_t flags)
{
	target->flags |= flags & VM_IGNORE_MERGE;
}

static void
set_flags(struct mm *mm, struct vma *v, uint64_t flags)
{
	mm_changed_vma(mm, v);
	v->flags = flags | (v->flags & VM_IGNORE_MERGE);
}

/*
 * target absorbs victim (adjacent), taking pages as its page set.  Callers extend target's
 * range over the victim first and unlink the victim after: no gap ever looks larger than it
 * ends up, so the gap maxima above stop changing early.
 */
static void
absorb(struct mm *mm, struct vma *target, struct vma *victim, struct vma_pages *pages)
{
	take_sticky(target, victim->flags);
	if (target->pages != pages) {
		pages_free(target->pages);
		target->pages = pages;
	}
	pages_free(victim->pages);
	victim->pages = NULL;
	dup_anon(target, victim);
	vma_tree_unlink(mm, victim);
	vma_destroy(mm, victim);
}

/* The pages of prev, the range and next (each optional) together, as a new set. */
static int
range_pages(const struct merge_req *r, const struct vma *prev, const struct vma *next,
	    struct vma_pages **out)
{
	struct vma_pages *a;
	int err;

	*out = NULL;
	if (!r->pages && !(prev && next))
		return 0;
	err = pages_union(prev ? prev->pages : NULL, r->pages, &a);
	if (err)
		return err;
	err = pages_union(a, next ? next->pages : NULL, out);
	pages_free(a);
	return err;
}

/* Install a set from range_pages(); NULL means the VMA keeps its own. */
static void
replace_pages(struct vma *v, struct vma_pages *pages)
{
	if (!pages)
		return;
	pages_free(v->pages);
	v->pages = pages;
}

/* The surviving VMA of a new-range merge adopts the range's anon_vma (mremap's copy). */
static void
adopt_anon(struct vma *target, const struct merge_req *r)
{
	if (!target->anon_vma && r->anon_vma) {
		target->anon_vma = r->anon_vma;
		target->fork_child = r->src_fork_child;
	}
}

struct vma *
vma_merge_new_range(struct mm *mm, const struct merge_req *r, int *err)
{
	struct vma *prev = r->prev, *next = r->next;
	uint64_t npages = (r->end - r->start) >> MM_PAGE_SHIFT, end;
	const struct merge_attrs a = { r->flags, r->file, r->anon_name };
	struct vma_pages *pages = NULL;
	bool left, right;

	*err = 0;
	if ((r->flags & VM_SPECIAL) || (!prev && !next))
		return NULL;
	left = prev && prev->end == r->start &&
	       can_merge_after(prev, &a, r->pgoff, r->anon_vma, r->src_fork_child);
	right = !r->just_expand && next && next->start == r->end &&
		can_merge_before(next, &a, r->pgoff, npages, r->anon_vma, r->src_fork_child) &&
		(!left || sides_compatible(prev, next));
	if (!left && !right)
		return NULL;
	*err = range_pages(r, left ? prev : NULL, right ? next : NULL, &pages);
	if (*err)
		return NULL;
	if (left && right) {
		end = next->end;
		vma_tree_set_range(mm, prev, prev->start, end);
		absorb(mm, prev, next, pages);
	} else if (left) {
		replace_pages(prev, pages);
		vma_tree_set_range(mm, prev, prev->start, r->end);
	} else {
		replace_pages(next, pages);
		next->pgoff = r->pgoff;
		vma_tree_set_range(mm, next, r->start, next->end);
		adopt_anon(next, r);
		take_sticky(next, r->flags);
		return next;
	}
	adopt_anon(prev, r);
	take_sticky(prev, r->flags);
	return prev;
}

/* prev absorbs middle and next: both are deleted. */
static struct vma *
merge_both(struct mm *mm, struct vma *prev, struct vma *middle, struct vma *next, uint64_t flags,
	   int *err)
{
	struct vma_pages *a, *b;
	uint64_t end = next->end;

	*err = pages_union(prev->pages, middle->pages, &a);
	if (*err)
		return NULL;
	*err = pages_union(a, next->pages, &b);
	pages_free(a);
	if (*err)
		return NULL;
	dup_anon(prev, next->anon_vma ? next : middle);
	vma_tree_set_range(mm, prev, prev->start, end);
	absorb(mm, prev, middle, b);
	absorb(mm, prev, next, prev->pages);
	set_flags(mm, prev, flags);
	return prev;
}

/* prev grows over [middle->start, end); middle is deleted or keeps the rest. */
static struct vma *
merge_left(struct mm *mm, struct vma *prev, struct vma *middle, uint64_t end, uint64_t flags,
	   int *err)
{
	uint64_t idx = middle->pgoff + ((end - middle->start) >> MM_PAGE_SHIFT);
	struct vma_pages *moved, *pages;

	*err = pages_extract(middle->pages, 0, idx, &moved);
	if (*err)
		return NULL;
	*err = pages_union(prev->pages, moved, &pages);
	pages_free(moved);
	if (*err)
		return NULL;
	dup_anon(prev, middle);
	vma_tree_set_range(mm, prev, prev->start, end);
	if (end == middle->end) {
		absorb(mm, prev, middle, pages);
	} else {
		pages_truncate(&middle->pages, idx, UINT64_MAX);
		middle->pgoff = idx;
		vma_tree_set_range(mm, middle, end, middle->end);
		pages_free(prev->pages);
		prev->pages = pages;
	}
	set_flags(mm, prev, flags);
	return prev;
}

/* next grows down over [start, middle->end); middle is deleted or keeps the rest. */
static struct vma *
merge_right(struct mm *mm, struct vma *middle, struct vma *next, uint64_t start, uint64_t pgoff,
	    uint64_t flags, int *err)
{
	struct vma_pages *moved, *pages;

	*err = pages_extract(middle->pages, pgoff, UINT64_MAX, &moved);
	if (*err)
		return NULL;
	*err = pages_union(moved, next->pages, &pages);
	pages_free(moved);
	if (*err)
		return NULL;
	dup_anon(next, middle);
	next->pgoff = pgoff;
	vma_tree_set_range(mm, next, start, next->end);
	if (start == middle->start) {
		absorb(mm, next, middle, pages);
	} else {
		pages_truncate(&middle->pages, 0, pgoff);
		vma_tree_set_range(mm, middle, middle->start, start);
		pages_free(next->pages);
		next->pages = pages;
	}
	set_flags(mm, next, flags);
	return next;
}

/*
 * vma_merge_existing_range(): [start, end) of middle gets newflags and the name; merge it into
 * prev and/or next when the range reaches middle's edge on that side and the rules allow.
 */
static struct vma *
merge_existing(struct mm *mm, struct vma *prev, struct vma *middle, uint64_t start, uint64_t end,
	       uint64_t flags, const struct mm_anon_name *name, int *err)
{
	const struct merge_attrs a = { flags, middle->file, name };
	bool left_side = start == middle->start, right_side = end == middle->end;
	uint64_t pgoff = middle->pgoff + ((start - middle->start) >> MM_PAGE_SHIFT);
	uint64_t npages = (end - start) >> MM_PAGE_SHIFT;
	uint64_t src = middle->anon_vma;
	bool fc = middle->fork_child, left, right;
	struct vma *next = middle->next;

	*err = 0;
	if ((flags & VM_SPECIAL) || (!left_side && !right_side))
		return NULL;
	left = left_side && prev && prev != middle && prev->end == start &&
	       can_merge_after(prev, &a, pgoff, src, fc);
	right = right_side && next && next->start == end &&
		can_merge_before(next, &a, pgoff, npages, src, fc) &&
		(!left || sides_compatible(prev, next));
	if (left && right)
		return merge_both(mm, prev, middle, next, flags, err);
	if (left)
		return merge_left(mm, prev, middle, end, flags, err);
	if (right)
		return merge_right(mm, middle, next, start, pgoff, flags, err);
	return NULL;
}

/* Split off the parts of v outside [start, end); a first split that succeeded stays. */
static int
split_edges(struct mm *mm, struct vma *v, uint64_t start, uint64_t end)
{
	int err = 0;

	if (v->start < start)
		err = vma_split_limited(mm, v, start, true);
	if (!err && v->end > end)
		err = vma_split_limited(mm, v, end, false);
	return err;
}

/*
 * vma_modify(): give [start, end) of v the new flags, merging where possible, else splitting
 * off the parts outside the range (each split refused at the map_count limit; a first split
 * that succeeded stays).  Returns the VMA now holding the range, or NULL with *err set.
 */
struct vma *
vma_modify_flags(struct mm *mm, struct vma *prev, struct vma *v, uint64_t start, uint64_t end,
		 uint64_t newflags, int *err)
{
	struct vma *merged = merge_existing(mm, prev, v, start, end, newflags, v->anon_name, err);

	if (merged || *err)
		return merged;
	*err = split_edges(mm, v, start, end);
	if (*err)
		return NULL;
	set_flags(mm, v, newflags);
	return v;
}

/*
 * vma_modify_name(): give [start, end) of v the name (NULL clears it) as vma_modify_flags()
 * gives flags: merged with a neighbour of the same name, else split off.
 */
struct vma *
vma_modify_name(struct mm *mm, struct vma *prev, struct vma *v, uint64_t start, uint64_t end,
		struct mm_anon_name *name, int *err)
{
	struct vma *merged = merge_existing(mm, prev, v, start, end, v->flags, name, err);

	if (merged || *err)
		return merged;
	*err = split_edges(mm, v, start, end);
	if (*err)
		return NULL;
	mm_changed_vma(mm, v);
	anon_name_put(v->anon_name);
	v->anon_name = anon_name_get(name);
	return v;
}

/* anon_vma_compatible(): a directly below b, as if one VMA cut in two. */
static bool
anon_vma_compatible(const struct vma *a, const struct vma *b)
{
	return a->end == b->start && a->file == b->file &&
	       !((a->flags ^ b->flags) & ~(VM_ACCESS_FLAGS | VM_IGNORE_MERGE)) &&
	       b->pgoff == a->pgoff + vma_pages_count(a);
}

/* old's anon_vma can be shared if old has one with a single chain entry (no fork child). */
static bool
reusable(const struct vma *old, const struct vma *a, const struct vma *b)
{
	return anon_vma_compatible(a, b) && old->anon_vma && !old->fork_child;
}

/* anon_vma_prepare(): attach one, reusing the next then the previous neighbour's. */
int
vma_anon_prepare(struct mm *mm, struct vma *v)
{
	if (v->anon_vma)
		return 0;
	if (v->next && reusable(v->next, v, v->next))
		v->anon_vma = v->next->anon_vma;
	else if (v->prev && reusable(v->prev, v->prev, v))
		v->anon_vma = v->prev->anon_vma;
	else
		v->anon_vma = vma_new_anon_vma(mm);
	v->fork_child = false;
	return 0;
}
