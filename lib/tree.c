/*
 * The VMA index: an augmented red-black tree keyed by address, the sorted doubly linked list,
 * and the lookup cache, kept in step.  Each node's gap_max is the largest free gap found
 * below any VMA of its subtree, where a VMA's own gap runs from the end of its predecessor to
 * its start (stack guard gaps are applied by the searches, as the maple-tree kernels do).
 */
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

void
vma_gap_compute(struct rb_node *n, void *ctx)
{
	struct vma *v = mm_container_of(n, struct vma, rb);
	uint64_t g = vma_own_gap(v);

	(void)ctx;
	struct vma *c;

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
	v->gap_max = g;
}

static void
cache_clear(struct mm *mm)
{
	for (int i = 0; i < MM_LOOKUP_CACHE; i++)
		mm->cache[i] = NULL;
}

void
vma_tree_link(struct mm *mm, struct vma *v)
{
	struct rb_augment aug = { vma_gap_compute, mm };
	struct rb_node **link = &mm->tree.node, *parent = NULL;
	struct vma *prev = NULL, *next = NULL, *cur;

	while (*link) {
		parent = *link;
		cur = mm_container_of(parent, struct vma, rb);
		if (v->start < cur->start) {
			next = cur;
			link = &parent->left;
		} else {
			prev = cur;
			link = &parent->right;
		}
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
	rb_insert(&mm->tree, &v->rb, parent, link, &aug);
	if (next)
		rb_propagate(&next->rb, &aug);
	mm->map_count++;
}

void
vma_tree_unlink(struct mm *mm, struct vma *v)
{
	struct rb_augment aug = { vma_gap_compute, mm };
	struct vma *next = v->next;

	if (v->prev)
		v->prev->next = next;
	else
		mm->first = next;
	if (next)
		next->prev = v->prev;
	else
		mm->last = v->prev;
	rb_erase(&mm->tree, &v->rb, &aug);
	if (next)
		rb_propagate(&next->rb, &aug);
	v->prev = v->next = NULL;
	mm->map_count--;
	cache_clear(mm);
}

void
vma_tree_set_range(struct mm *mm, struct vma *v, uint64_t start, uint64_t end)
{
	struct rb_augment aug = { vma_gap_compute, mm };

	v->start = start;
	v->end = end;
	rb_propagate(&v->rb, &aug);
	if (v->next)
		rb_propagate(&v->next->rb, &aug);
}

struct vma *
vma_tree_find(const struct mm *mm, uint64_t addr)
{
	struct rb_node *n = mm->tree.node;
	struct vma *found = NULL, *v;

	while (n) {
		v = mm_container_of(n, struct vma, rb);
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
