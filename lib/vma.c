/* SPDX-License-Identifier: MIT */
/*
 * VMA objects and their primitive changes: allocation, removal, splitting, and the resident
 * pages they carry (with the mm's RSS counters kept in step).
 */
#include <string.h>

#include "mm_internal.h"

/*
 * What a VMA is and how much of the mm is resident, as include/linux/mm.h: vma_is_accessible(),
 * vma_is_anonymous(), vma_pages(), get_mm_rss(), update_hiwater_rss() (the last two keep
 * the RSS counters that this file updates).
 */
bool
vma_is_accessible(const struct vma *v)
{
	return v->flags & VM_ACCESS_FLAGS;
}

/*
 * No vm_ops: private anonymous memory, and a private /dev/zero mapping, which mmap_zero()
 * makes anonymous while it keeps the file (shared anonymous memory is backed by shmem).
 */
bool
vma_is_anonymous(const struct vma *v)
{
	return !v->file || v->file->kind == MM_FILE_DEVZERO;
}

uint64_t
vma_pages_count(const struct vma *v)
{
	return (v->end - v->start) >> MM_PAGE_SHIFT;
}

uint64_t
mm_rss(const struct mm *mm)
{
	return mm->rss[PAGE_ANON] + mm->rss[PAGE_FILE] + mm->rss[PAGE_SHMEM];
}

void
mm_update_hiwater_rss(struct mm *mm)
{
	if (mm_rss(mm) > mm->hiwater_rss)
		mm->hiwater_rss = mm_rss(mm);
}

struct vma *
vma_new(struct mm *mm)
{
	struct vma *v = vma_slab_alloc(&mm->slab);

	if (v)
		memset(v, 0, sizeof(*v));
	return v;
}

/* Free an unlinked VMA and what it holds; counters are the caller's business. */
void
vma_destroy(struct mm *mm, struct vma *v)
{
	if (!v)
		return;
	mm_file_put(mm, v->file);
	pages_free(v->pages);
	anon_name_put(v->anon_name);
	vma_slab_free(&mm->slab, v);
}

void
vma_account_pages(struct mm *mm, const int64_t delta[])
{
	for (int k = 0; k < PAGE_RSS_KINDS; k++)
		mm->rss[k] += (uint64_t)delta[k];
}

/* Unlink and free v, taking its resident pages off the RSS counters. */
void
vma_remove(struct mm *mm, struct vma *v)
{
	int64_t delta[PAGE_KINDS];

	for (int k = 0; k < PAGE_KINDS; k++)
		delta[k] = -(int64_t)pages_count(v->pages, k);
	vma_account_pages(mm, delta);
	vma_tree_unlink(mm, v);
	vma_destroy(mm, v);
}

static uint64_t
page_index(const struct vma *v, uint64_t addr)
{
	return v->pgoff + ((addr - v->start) >> MM_PAGE_SHIFT);
}

/*
 * The kernel's special mappings ([vvar], [vvar_vclock], [vdso]: named, VM_DONTEXPAND) refuse to
 * be split: mm/vma.c: __split_vma() asks mm/mmap.c: special_mapping_split(), which says -EINVAL.
 */
static bool
vma_is_special_mapping(const struct vma *v)
{
	return v->file && v->file->path[0] == '[' && (v->flags & VM_DONTEXPAND);
}

/*
 * __split_vma(): cut v at addr; the new VMA takes the part below addr (new_below) or above
 * it, sharing v's file, anon_vma and attributes; pgoff stays linear.
 */
int
vma_split(struct mm *mm, struct vma *v, uint64_t addr, bool new_below, struct vma **newp)
{
	uint64_t idx = page_index(v, addr);
	struct vma *n;
	int err;

	if (vma_is_special_mapping(v))
		return -EINVAL;
	n = vma_new(mm);
	if (!n)
		return -ENOMEM;
	err = new_below ? pages_extract(v->pages, 0, idx, &n->pages)
			: pages_extract(v->pages, idx, UINT64_MAX, &n->pages);
	if (err < 0) {
		vma_slab_free(&mm->slab, n);
		return err;
	}
	n->flags = v->flags;
	n->file = v->file;
	if (n->file)
		mm_file_get(n->file);
	n->anon_vma = v->anon_vma;
	n->fork_child = v->fork_child;
	n->anon_name = anon_name_get(v->anon_name);
	mm_changed_vma(mm, v);
	/* v is cut before n is linked, without gap updates: n fills the space at once. */
	if (new_below) {
		pages_truncate(&v->pages, idx, UINT64_MAX);
		n->start = v->start;
		n->end = addr;
		n->pgoff = v->pgoff;
		v->pgoff = idx;
		v->start = addr;
		vma_tree_link(mm, n, v);
	} else {
		pages_truncate(&v->pages, 0, idx);
		n->start = addr;
		n->end = v->end;
		n->pgoff = idx;
		v->end = addr;
		vma_tree_link(mm, n, v->next);
	}
	if (newp)
		*newp = n;
	return 0;
}

/* split_vma(): the same, refused at the map_count limit. */
int
vma_split_limited(struct mm *mm, struct vma *v, uint64_t addr, bool new_below)
{
	if (mm_map_full(mm, mm->map_count >= mm->max_map_count))
		return -ENOMEM;
	return vma_split(mm, v, addr, new_below, NULL);
}

/* Mark [start, end) of v resident as `kind` (replacing what was there). */
int
vma_make_resident(struct mm *mm, struct vma *v, uint64_t start, uint64_t end, int kind)
{
	int64_t delta[PAGE_KINDS] = { 0, 0, 0 };
	int err = pages_reserve(&v->pages, 2);

	if (err < 0)
		return err;
	pages_set(v->pages, page_index(v, start), (end - start) >> MM_PAGE_SHIFT, kind, delta);
	vma_account_pages(mm, delta);
	return 0;
}

/*
 * Drop the entries of [start, end) of v whose kinds are in the bit set `kinds`; returns
 * -ENOMEM (nothing dropped) on failure.
 */
int
vma_drop_pages(struct mm *mm, struct vma *v, uint64_t start, uint64_t end, uint32_t kinds)
{
	int64_t delta[PAGE_KINDS] = { 0, 0, 0, 0 };
	int err;

	if (!v->pages)
		return 0;
	mm_update_hiwater_rss(mm);
	err = pages_drop(&v->pages, page_index(v, start), (end - start) >> MM_PAGE_SHIFT, kinds,
			 delta);
	if (err < 0)
		return err;
	vma_account_pages(mm, delta);
	return 0;
}

/*
 * Drop [start, end) of v's resident pages, as zap_page_range_single() does: guard markers
 * stay (only munmap and exit remove them).  -ENOMEM (nothing dropped) on failure.
 */
int
vma_zap_pages(struct mm *mm, struct vma *v, uint64_t start, uint64_t end)
{
	return vma_drop_pages(mm, v, start, end, PAGE_RESIDENT);
}

uint64_t
vma_new_anon_vma(struct mm *mm)
{
	return ++mm->next_anon_vma;
}
