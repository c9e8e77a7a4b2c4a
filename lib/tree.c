/* SPDX-License-Identifier: MIT */
/*
 * The VMA index: an augmented red-black tree keyed by address, the sorted doubly linked list,
 * and the lookup cache, kept in step.  Each node's gap_max is the largest free gap found
 * below any VMA of its subtree, where a VMA's own gap runs from the end of its predecessor to
 * its start (stack guard gaps are applied by the searches, as the maple-tree kernels do).
 */
#include <string.h>

#include "mm_internal.h"

uint64_t
vma_start_gap(const struct mm *mm, const struct vma *v)
{
	uint64_t s = v->start;

	if (v->flags & VM_GROWSDOWN) {
		s -= mm->stack_guard_gap;
		if (s > v->start)
			s = 0;
	}
	return s;
}

uint64_t
vma_own_gap(const struct vma *v)
{
	uint64_t bottom = v->prev ? v->prev->end : 0;

	return v->start > bottom ? v->start - bottom : 0;
}

/* The largest of v's own gap and its children's maxima. */
static uint64_t
gap_subtree_max(const struct vma *v)
{
	const struct rb_node *n = &v->rb;
	uint64_t g = v->gap;
	const struct vma *c;

	if (n->left) {
		c = mm_container_of(n->left, struct vma, rb);
		if (c->gap_max > g)
			g = c->gap_max;
	}
	if (n->right) {
		c = mm_container_of(n->right, struct vma, rb);
		if (c->gap_max > g)
			g = c->gap_max;
	}
	return g;
}

bool
vma_gap_compute(struct rb_node *n, void *ctx)
{
	struct vma *v = mm_container_of(n, struct vma, rb);
	uint64_t g = gap_subtree_max(v);

	(void)ctx;
	if (g == v->gap_max)
		return false;
	v->gap_max = g;
	return true;
}

/*
 * One input of v's maximum went from was to now (v's other inputs as they were): the new
 * maximum, read from the children only when the input that made the maximum shrank.
 */
static uint64_t
gap_max_after(const struct vma *v, uint64_t was, uint64_t now)
{
	if (now >= v->gap_max)
		return now;
	if (was < v->gap_max)
		return v->gap_max;
	return gap_subtree_max(v);
}

/*
 * v's own gap changed: store it and bring the subtree maxima above it up to date.  Each
 * maximum on the way up changes by one input, so the sibling subtrees (rarely in the cache)
 * are read only where the maximum itself came from the input that shrank.
 */
static void
gap_update(struct vma *v)
{
	uint64_t was = v->gap, old, now;
	struct rb_node *p;

	v->gap = vma_own_gap(v);
	old = v->gap_max;
	now = gap_max_after(v, was, v->gap);
	while (now != old) {
		v->gap_max = now;
		p = rb_parent(&v->rb);
		if (!p)
			return;
		v = mm_container_of(p, struct vma, rb);
		was = old;
		old = v->gap_max;
		now = gap_max_after(v, was, now);
	}
}

/* The cached ranges and the flat index are copies: any change to the tree may make them wrong. */
static void
cache_clear(struct mm *mm)
{
	memset(mm->cache, 0, sizeof(mm->cache));
	flat_drop(&mm->flat);
}

/*
 * Link v (which overlaps nothing) into the tree and the list.  next is v's successor, or NULL
 * if it is to be the last; the caller passes it when known, which spares a descent: v goes to
 * next's empty left slot or to the right of next's predecessor, the rightmost node below it.
 */
void
vma_tree_link(struct mm *mm, struct vma *v, struct vma *next)
{
	struct rb_augment aug = { vma_gap_compute, mm };
	struct vma *prev = next ? next->prev : mm->last;
	struct rb_node **link, *parent;

	if (next && !next->rb.left) {
		parent = &next->rb;
		link = &parent->left;
	} else if (prev) {
		parent = &prev->rb;
		link = &parent->right;
	} else {
		parent = NULL;
		link = &mm->tree.node;
	}
	v->prev = prev;
	v->next = next;
	if (prev)
		prev->next = v;
	else
		mm->first = v;
	if (next)
		next->prev = v;
	else
		mm->last = v;
	v->gap = vma_own_gap(v);
	v->gap_max = 0;
	mm_changed_vma(mm, v);
	rb_insert(&mm->tree, &v->rb, parent, link, &aug);
	if (next)
		gap_update(next);
	mm->map_count++;
	cache_clear(mm);
}

/* Link v, finding its successor by a descent. */
void
vma_tree_link_find(struct mm *mm, struct vma *v)
{
	vma_tree_link(mm, v, vma_tree_find(mm, v->start));
}

void
vma_tree_unlink(struct mm *mm, struct vma *v)
{
	struct rb_augment aug = { vma_gap_compute, mm };
	struct vma *next = v->next;

	mm_changed_vma(mm, v);
	if (v->prev)
		v->prev->next = next;
	else
		mm->first = next;
	if (next)
		next->prev = v->prev;
	else
		mm->last = v->prev;
	/*
	 * next's gap grows over v's place before v leaves the tree: then neither change lowers a
	 * subtree maximum that the other raises again, and both propagations stop early.
	 */
	if (next)
		gap_update(next);
	rb_erase(&mm->tree, &v->rb, &aug);
	v->prev = v->next = NULL;
	mm->map_count--;
	cache_clear(mm);
}

void
vma_tree_set_range(struct mm *mm, struct vma *v, uint64_t start, uint64_t end)
{
	bool start_moved = start != v->start, end_moved = end != v->end;

	mm_changed_vma(mm, v);
	mm_changed(mm, start, end);
	v->start = start;
	v->end = end;
	cache_clear(mm);
	/* Only the gaps at a moved edge change; the untouched neighbour is not even read. */
	if (start_moved)
		gap_update(v);
	if (end_moved && v->next)
		gap_update(v->next);
}

struct vma *
vma_tree_find(const struct mm *mm, uint64_t addr)
{
	struct rb_node *n = mm->tree.node;
	struct vma *found = NULL, *v;

	while (n) {
		v = mm_container_of(n, struct vma, rb);
		__builtin_prefetch(n->left);
		__builtin_prefetch(n->right);
		if (v->end > addr) {
			found = v;
			if (v->start <= addr)
				break;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return found;
}
