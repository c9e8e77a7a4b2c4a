/* SPDX-License-Identifier: MIT */
/*
 * fork(2) for the address space (kernel/fork.c dup_mm, mm_init; mm/mmap.c dup_mmap;
 * mm/memory.c vma_needs_copy).
 */
#include <stdlib.h>
#include <string.h>

#include "mm_internal.h"

/* The child starts as a copy of the parent's mm, with the fields mm_init() resets. */
static struct mm *
child_alloc(const struct mm *parent)
{
	struct mm *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	memcpy(c, parent, sizeof(*c));
	c->tree.node = NULL;
	c->first = c->last = NULL;
	c->map_count = 0;
	memset(c->cache, 0, sizeof(c->cache));
	c->flat = (struct vma_flat){ .after = parent->flat.after };
	c->slab = (struct vma_slab){ 0 };
	c->locked_vm = 0;
	c->locked_leak = 0;
	memset(c->rss, 0, sizeof(c->rss));
	/* mlockall(MCL_FUTURE) is not inherited; PR_SET_THP_DISABLE is. */
	c->def_flags &= VM_NOHUGEPAGE;
	c->files = NULL;
	c->nfiles = c->files_cap = 0;
	c->pt = NULL;
	mm_changed_all(c);
	return c;
}

/*
 * vma_needs_copy(): the page tables (resident pages and guard markers) are copied where the
 * parent VMA has an anon_vma or may hold guard markers, and for PFNMAP/MIXEDMAP; a
 * WIPEONFORK VMA's are not copied (dup_mmap()).
 */
static bool
needs_copy(const struct vma *v)
{
	return !(v->flags & VM_WIPEONFORK) &&
	       (v->anon_vma || (v->flags & (VM_PFNMAP | VM_MIXEDMAP | VM_MAYBE_GUARD)));
}

/* The child's copy of one VMA (not DONTCOPY). */
static int
dup_vma(struct mm *child, const struct mm *parent, const struct vma *v)
{
	struct vma *n = vma_new(child);
	int64_t delta[PAGE_KINDS];
	int err = 0;

	if (!n)
		return -ENOMEM;
	if (v->file)
		err = mm_file_fork_copy(child, v->file, &n->file);
	/* dup_anon_vma_name(): the child's copy of the name. */
	if (!err && v->anon_name) {
		n->anon_name = anon_name_new(v->anon_name->name, strlen(v->anon_name->name));
		err = n->anon_name ? 0 : -ENOMEM;
	}
	if (!err && needs_copy(v))
		err = pages_union(v->pages, NULL, &n->pages);
	if (err) {
		vma_destroy(child, n);
		return err;
	}
	n->start = v->start;
	n->end = v->end;
	n->pgoff = v->pgoff;
	n->flags = v->flags & ~VM_LOCKED_MASK;
	if (v->anon_vma && !(v->flags & VM_WIPEONFORK)) {
		n->anon_vma = vma_new_anon_vma(child);
		n->fork_child = true;
	}
	if (needs_copy(v))
		mm_pt_copy(child, parent, v->start, v->end, 0);
	vma_tree_link(child, n, NULL);
	for (int k = 0; k < PAGE_KINDS; k++)
		delta[k] = (int64_t)pages_count(n->pages, k);
	vma_account_pages(child, delta);
	return 0;
}

static int
dup_vmas(struct mm *child, const struct mm *parent)
{
	for (const struct vma *v = parent->first; v; v = v->next) {
		int err;

		if (v->flags & VM_DONTCOPY) {
			mm_stat_account(child, v->flags, -(int64_t)vma_pages_count(v));
			continue;
		}
		err = dup_vma(child, parent, v);
		if (err)
			return err;
	}
	return 0;
}

/* The open files no copied VMA maps: the child inherits the descriptions all the same. */
static int
dup_open_files(struct mm *child, const struct mm *parent)
{
	for (uint32_t i = 0; i < parent->nfiles; i++) {
		struct mm_file *f = parent->files[i], *c;
		int err;

		if (!f->open || f->fork_copy)
			continue;
		err = mm_file_fork_copy(child, f, &c);
		if (err)
			return err;
		mm_file_put(child, c);
	}
	return 0;
}

int
mm_fork(struct mm *parent, struct mm **childp)
{
	struct mm *child = child_alloc(parent);
	int err;

	*childp = NULL;
	if (!child)
		return -ENOMEM;
	err = dup_vmas(child, parent);
	if (!err)
		err = dup_open_files(child, parent);
	for (uint32_t i = 0; i < parent->nfiles; i++)
		parent->files[i]->fork_copy = NULL;
	for (struct vma *v = parent->first; v; v = v->next)
		if (v->file)
			v->file->fork_copy = NULL;
	if (err) {
		mm_destroy(child);
		return err;
	}
	child->hiwater_rss = mm_rss(child);
	child->hiwater_vm = child->total_vm;
	MM_CHECK(child);
	*childp = child;
	return 0;
}
