/* SPDX-License-Identifier: MIT */
/*
 * mm_validate(): every structural and accounting invariant of an mm, checked from scratch.
 */
#include <stdarg.h>
#include <stdio.h>

#include "mm_internal.h"

struct sums {
	uint64_t count, total, data, exec, stack, locked, files;
	uint64_t rss[PAGE_KINDS];
};

static int fail(char *msg, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
fail(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return -EUCLEAN;
}

static int
check_vma(const struct mm *mm, const struct vma *v, struct sums *s, char *msg, size_t len)
{
	uint64_t n = vma_pages_count(v);

	if (v->start >= v->end || (v->start | v->end) & ~MM_PAGE_MASK || v->end > mm->task_size)
		return fail(msg, len, "vma %#llx-%#llx: bad range", (unsigned long long)v->start,
			    (unsigned long long)v->end);
	if (v->prev && v->prev->end > v->start)
		return fail(msg, len, "vma %#llx: overlaps or is out of order",
			    (unsigned long long)v->start);
	if (v->next && v->next->prev != v)
		return fail(msg, len, "vma %#llx: list links disagree",
			    (unsigned long long)v->start);
	if (v->fork_child && !v->anon_vma)
		return fail(msg, len, "vma %#llx: fork child without anon_vma",
			    (unsigned long long)v->start);
	if (v->file && v->file->slot != MM_FILE_NOSLOT &&
	    (v->file->slot >= mm->nfiles || mm->files[v->file->slot] != v->file))
		return fail(msg, len, "vma %#llx: file not interned", (unsigned long long)v->start);
	if (pages_check(v->pages, msg, len) < 0)
		return -EUCLEAN;
	if (v->pages &&
	    (v->pages->run[0].first < v->pgoff ||
	     v->pages->run[v->pages->nr - 1].first + v->pages->run[v->pages->nr - 1].count >
		     v->pgoff + n))
		return fail(msg, len, "vma %#llx: resident pages outside the VMA",
			    (unsigned long long)v->start);
	s->count++;
	s->total += n;
	if ((v->flags & (VM_EXEC | VM_WRITE | VM_GROWSDOWN)) == VM_EXEC)
		s->exec += n;
	else if (v->flags & VM_GROWSDOWN)
		s->stack += n;
	else if ((v->flags & (VM_WRITE | VM_SHARED)) == VM_WRITE)
		s->data += n;
	if (v->flags & VM_LOCKED)
		s->locked += n;
	if (v->file && v->file->slot != MM_FILE_NOSLOT)
		s->files++;
	for (int k = 0; k < PAGE_KINDS; k++)
		s->rss[k] += pages_count(v->pages, k);
	return 0;
}

struct tree_walk {
	const struct mm *mm;
	const struct vma *expect; /* next VMA the in-order walk must meet */
	char *msg;
	size_t len;
};

/* Returns the black height of the subtree, or -1 with a message. */
static int
check_subtree(struct tree_walk *w, const struct rb_node *n, const struct rb_node *parent)
{
	const struct vma *v;
	int lh, rh;
	uint64_t g;

	if (!n)
		return 1;
	if (rb_parent(n) != parent)
		return fail(w->msg, w->len, "rbtree: bad parent pointer"), -1;
	if (!rb_is_black(n) && !rb_is_black(parent) && parent)
		return fail(w->msg, w->len, "rbtree: red node with red parent"), -1;
	lh = check_subtree(w, n->left, n);
	if (lh < 0)
		return -1;
	v = mm_container_of(n, struct vma, rb);
	if (v != w->expect)
		return fail(w->msg, w->len, "rbtree order differs from the list at %#llx",
			    (unsigned long long)v->start),
		       -1;
	w->expect = v->next;
	rh = check_subtree(w, n->right, n);
	if (rh < 0)
		return -1;
	if (lh != rh)
		return fail(w->msg, w->len, "rbtree: unequal black heights"), -1;
	g = vma_own_gap(v);
	if (g != v->gap)
		return fail(w->msg, w->len, "vma %#llx: own gap %#llx, expected %#llx",
			    (unsigned long long)v->start, (unsigned long long)v->gap,
			    (unsigned long long)g),
		       -1;
	if (n->left && mm_container_of(n->left, struct vma, rb)->gap_max > g)
		g = mm_container_of(n->left, struct vma, rb)->gap_max;
	if (n->right && mm_container_of(n->right, struct vma, rb)->gap_max > g)
		g = mm_container_of(n->right, struct vma, rb)->gap_max;
	if (g != v->gap_max)
		return fail(w->msg, w->len, "vma %#llx: subtree gap %#llx, expected %#llx",
			    (unsigned long long)v->start, (unsigned long long)v->gap_max,
			    (unsigned long long)g),
		       -1;
	return lh + (rb_is_black(n) ? 1 : 0);
}

static int
check_tree(const struct mm *mm, char *msg, size_t len)
{
	struct tree_walk w = { mm, mm->first, msg, len };

	if (mm->tree.node && !rb_is_black(mm->tree.node))
		return fail(msg, len, "rbtree: red root");
	if (check_subtree(&w, mm->tree.node, NULL) < 0)
		return -EUCLEAN;
	if (w.expect)
		return fail(msg, len, "list has VMAs the tree lacks");
	return 0;
}

/* While valid, the flat index lists every VMA of the list, in its order, with its end. */
static int
check_flat(const struct mm *mm, char *msg, size_t len)
{
	const struct vma_flat *f = &mm->flat;
	const struct vma *v = mm->first;
	uint64_t i = 0;

	if (!f->valid)
		return 0;
	for (; v && i < f->n; v = v->next, i++)
		if (f->vmas[i] != v || f->ends[i] != v->end)
			return fail(msg, len, "flat index entry %llu is not vma %#llx",
				    (unsigned long long)i, (unsigned long long)v->start);
	if (v || i != f->n)
		return fail(msg, len, "flat index has %llu entries, the list %llu VMAs",
			    (unsigned long long)f->n, (unsigned long long)mm->map_count);
	return 0;
}

static int
check_counter(const char *name, uint64_t have, uint64_t want, char *msg, size_t len)
{
	if (have == want)
		return 0;
	return fail(msg, len, "%s is %llu, the VMAs sum to %llu", name, (unsigned long long)have,
		    (unsigned long long)want);
}

static int
check_counters(const struct mm *mm, const struct sums *s, char *msg, size_t len)
{
	uint64_t refs = 0;

	if (check_counter("map_count", mm->map_count, s->count, msg, len) ||
	    check_counter("total_vm", mm->total_vm, s->total, msg, len) ||
	    check_counter("data_vm", mm->data_vm, s->data, msg, len) ||
	    check_counter("exec_vm", mm->exec_vm, s->exec, msg, len) ||
	    check_counter("stack_vm", mm->stack_vm, s->stack, msg, len) ||
	    check_counter("locked_vm", mm->locked_vm, s->locked + mm->locked_leak, msg, len) ||
	    check_counter("rss_anon", mm->rss[PAGE_ANON], s->rss[PAGE_ANON], msg, len) ||
	    check_counter("rss_file", mm->rss[PAGE_FILE], s->rss[PAGE_FILE], msg, len) ||
	    check_counter("rss_shmem", mm->rss[PAGE_SHMEM], s->rss[PAGE_SHMEM], msg, len))
		return -EUCLEAN;
	for (uint32_t i = 0; i < mm->nfiles; i++) {
		if (mm->files[i]->slot != i || !mm->files[i]->refs)
			return fail(msg, len, "file table slot %u is stale", i);
		refs += mm->files[i]->refs - mm->files[i]->open;
	}
	return check_counter("file references", refs, s->files, msg, len);
}

int
mm_validate(const struct mm *mm, char *msg, size_t msglen)
{
	struct sums s = { 0 };
	const struct vma *v;
	int err;

	if (msglen)
		msg[0] = '\0';
	if ((mm->first == NULL) != (mm->last == NULL) || (mm->first && mm->first->prev) ||
	    (mm->last && mm->last->next))
		return fail(msg, msglen, "list ends are inconsistent");
	for (v = mm->first; v; v = v->next) {
		err = check_vma(mm, v, &s, msg, msglen);
		if (err)
			return err;
	}
	err = check_tree(mm, msg, msglen);
	if (err)
		return err;
	for (int i = 0; i < MM_LOOKUP_CACHE; i++) {
		const struct mm_cache_entry *c = &mm->cache[i];

		if (!c->vma && (c->start || c->end))
			return fail(msg, msglen, "lookup cache slot %d has a range without a VMA",
				    i);
		if (c->vma && c->vma != vma_tree_find(mm, c->vma->start))
			return fail(msg, msglen, "lookup cache holds a VMA not in the tree");
		if (c->vma && (c->start != c->vma->start || c->end != c->vma->end))
			return fail(msg, msglen, "lookup cache range [%#llx, %#llx) is stale",
				    (unsigned long long)c->start, (unsigned long long)c->end);
	}
	err = check_flat(mm, msg, msglen);
	if (err)
		return err;
	return check_counters(mm, &s, msg, msglen);
}
