/* SPDX-License-Identifier: MIT */
/*
 * mremap(2) (mm/mremap.c: check_mremap_params, check_prep_vma, mremap_at, mremap_to,
 * expand_vma, move_vma, remap_move; mm/vma.c copy_vma, vma_merge_extend).  Resident pages
 * travel with a moved range.
 */
#include "mm_internal.h"

#define MREMAP_FLAGS (MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED | MM_MREMAP_DONTUNMAP)

enum remap_type { REMAP_NO_RESIZE, REMAP_SHRINK, REMAP_EXPAND };

struct remap {
	uint64_t addr, old_len, new_len, new_addr, delta;
	uint32_t flags;
	enum remap_type type;
	struct vma *vma;
	bool populate_expand;
};

static bool
implies_new_addr(const struct remap *r)
{
	return r->flags & (MM_MREMAP_FIXED | MM_MREMAP_DONTUNMAP);
}

static int
check_params(struct mm *mm, const struct remap *r)
{
	if (r->flags & ~MREMAP_FLAGS)
		return -EINVAL;
	if (r->addr & ~MM_PAGE_MASK)
		return -EINVAL;
	if (!r->new_len || r->new_len > mm->task_size)
		return -EINVAL;
	if (!implies_new_addr(r))
		return 0;
	if (r->new_addr > mm->task_size - r->new_len || (r->new_addr & ~MM_PAGE_MASK))
		return -EINVAL;
	if (!(r->flags & MM_MREMAP_MAYMOVE))
		return -EINVAL;
	if ((r->flags & MM_MREMAP_DONTUNMAP) && r->old_len != r->new_len)
		return -EINVAL;
	if (r->addr + r->old_len > r->new_addr && r->new_addr + r->new_len > r->addr)
		return -EINVAL;
	/* Room for both ranges to be split in three (signed, as the sysctl is an int). */
	if (mm_map_full(mm, (int64_t)mm->map_count + 2 >= (int64_t)mm->max_map_count - 3))
		return -ENOMEM;
	return 0;
}

static void
set_type(struct remap *r)
{
	if (r->old_len == r->new_len)
		r->type = REMAP_NO_RESIZE;
	else if (r->old_len > r->new_len)
		r->type = REMAP_SHRINK;
	else
		r->type = REMAP_EXPAND;
	r->delta = r->old_len > r->new_len ? r->old_len - r->new_len : r->new_len - r->old_len;
}

/* check_prep_vma(). */
static int
check_prep(struct mm *mm, struct remap *r)
{
	struct vma *v = r->vma;
	uint64_t old_len = r->old_len, pgoff;

	if (!v)
		return -EFAULT;
	if (vma_is_sealed(v))
		return -EPERM;
	set_type(r);
	if (!implies_new_addr(r))
		r->new_addr = r->addr;
	if (r->type != REMAP_EXPAND && !implies_new_addr(r))
		return 0;
	if (!old_len && !(v->flags & (VM_SHARED | VM_MAYSHARE)))
		return -EINVAL;
	if ((r->flags & MM_MREMAP_DONTUNMAP) && (v->flags & (VM_DONTEXPAND | VM_PFNMAP)))
		return -EINVAL;
	if (r->type == REMAP_SHRINK)
		old_len = r->new_len;
	if (old_len > v->end - r->addr)
		return -EFAULT;
	if (r->new_len == old_len)
		return 0;
	if (v->flags & VM_LOCKED)
		r->populate_expand = true;
	pgoff = v->pgoff + ((r->addr - v->start) >> MM_PAGE_SHIFT);
	if (pgoff + (r->new_len >> MM_PAGE_SHIFT) < pgoff)
		return -EINVAL;
	if (v->flags & (VM_DONTEXPAND | VM_PFNMAP))
		return -EFAULT;
	if (!mm_mlock_future_ok(mm, v->flags, r->delta))
		return -EAGAIN;
	if (!mm_may_expand_vm(mm, v->flags, r->delta >> MM_PAGE_SHIFT))
		return -ENOMEM;
	return 0;
}

static void
stat_account(struct mm *mm, const struct vma *v, uint64_t bytes)
{
	mm_stat_account(mm, v->flags, (int64_t)(bytes >> MM_PAGE_SHIFT));
	if (v->flags & VM_LOCKED)
		mm->locked_vm += bytes >> MM_PAGE_SHIFT;
}

static struct vma *
lookup(struct mm *mm, uint64_t addr)
{
	struct vma *v = mm_find(mm, addr);

	return v && v->start <= addr ? v : NULL;
}

/*
 * Take the resident pages of the moved range out of the source (allocating first), renumbered
 * for the destination pgoff, together with the VMA the destination may need.
 */
static int
take_pages(struct mm *mm, struct vma *v, uint64_t src, uint64_t npages, uint64_t pgoff,
	   struct vma_pages **moved, struct vma **n)
{
	int64_t delta[PAGE_KINDS] = { 0, 0, 0 };
	int err = pages_extract(v->pages, src, src + npages, moved);

	if (!err && *moved)
		err = pages_reserve(&v->pages, 1);
	*n = err ? NULL : vma_new(mm);
	if (!*n) {
		pages_free(*moved);
		return -ENOMEM;
	}
	if (*moved) {
		pages_clear(&v->pages, src, npages, delta);
		pages_shift(*moved, (int64_t)(pgoff - src));
	}
	return 0;
}

/* n becomes a copy of v for the destination range of q, holding the moved pages. */
static void
link_copy(struct mm *mm, struct vma *n, const struct vma *v, const struct merge_req *q,
	  struct vma_pages *moved)
{
	n->start = q->start;
	n->end = q->end;
	n->flags = v->flags;
	n->pgoff = q->pgoff;
	n->file = v->file;
	if (n->file)
		mm_file_get(n->file);
	n->anon_vma = v->anon_vma;
	n->fork_child = v->fork_child;
	n->anon_name = anon_name_get(v->anon_name);
	n->pages = moved;
	vma_tree_link(mm, n, q->next);
}

/*
 * copy_vma() with the page move: the destination range merges with its neighbours like a new
 * mapping (bringing the source's anon_vma), else becomes a copy of the source VMA.  An
 * anonymous source that was never written takes the destination's page number as pgoff.
 */
static int
copy_vma(struct mm *mm, struct remap *r)
{
	struct vma *v = r->vma, *n, *next = mm_find(mm, r->new_addr);
	uint64_t src = v->pgoff + ((r->addr - v->start) >> MM_PAGE_SHIFT), pgoff = src;
	struct vma_pages *moved;
	struct merge_req q;
	int err;

	if (vma_is_anonymous(v) && !v->anon_vma)
		pgoff = r->new_addr >> MM_PAGE_SHIFT;
	err = take_pages(mm, v, src, r->old_len >> MM_PAGE_SHIFT, pgoff, &moved, &n);
	if (err)
		return err;
	q = (struct merge_req){
		.start = r->new_addr,
		.end = r->new_addr + r->new_len,
		.flags = v->flags,
		.pgoff = pgoff,
		.file = v->file,
		.anon_vma = v->anon_vma,
		.src_fork_child = v->fork_child,
		.prev = next ? next->prev : mm->last,
		.next = next,
		.pages = moved,
		.anon_name = v->anon_name,
	};
	if (vma_merge_new_range(mm, &q, &err)) {
		vma_destroy(mm, n);
		pages_free(moved);
	} else {
		link_copy(mm, n, v, &q, moved);
	}
	mm_pt_copy(mm, mm, r->addr, r->addr + r->old_len, (int64_t)(r->new_addr - r->addr));
	/* The source may have been merged into the destination (unwritten anon only). */
	r->vma = lookup(mm, r->addr);
	return 0;
}

/* The source keeps its range, emptied; the whole VMA loses VM_LOCKED (locked_vm does not). */
static void
dontunmap_complete(struct mm *mm, struct remap *r)
{
	struct vma *v = r->vma;

	if (v->flags & VM_LOCKED)
		mm->locked_leak += vma_pages_count(v);
	mm_changed_vma(mm, v);
	v->flags &= ~VM_LOCKED_MASK;
	if (r->addr == v->start && r->addr + r->old_len == v->end) {
		v->anon_vma = 0;
		v->fork_child = false;
	}
}

/* unmap_source_vma(): VM_ACCOUNT is hidden during the unmap and restored on what remains. */
static void
unmap_source(struct mm *mm, struct remap *r)
{
	struct vma *v = r->vma, *p;
	uint64_t end = r->addr + r->old_len, vm_start = v->start, vm_end = v->end;
	bool accountable = v->flags & VM_ACCOUNT;

	mm_changed_vma(mm, v);
	v->flags &= ~VM_ACCOUNT;
	if (!r->old_len || mm_do_vmi_munmap(mm, r->addr, r->old_len) < 0)
		return;
	if (!accountable)
		return;
	p = mm_find(mm, r->addr);
	if (vm_start < r->addr) {
		struct vma *below = p ? p->prev : mm->last;

		mm_changed_vma(mm, below);
		below->flags |= VM_ACCOUNT;
	}
	if (vm_end > end) {
		mm_changed_vma(mm, p);
		p->flags |= VM_ACCOUNT;
	}
}

/* vrm_calc_charge(): an accounted VMA charges the growth, or the whole copy for DONTUNMAP. */
static bool
charge_ok(const struct mm *mm, const struct remap *r)
{
	uint64_t bytes = (r->flags & MM_MREMAP_DONTUNMAP) ? r->new_len : r->delta;

	return !(r->vma->flags & VM_ACCOUNT) || mm_vm_enough_memory(mm, bytes >> MM_PAGE_SHIFT);
}

static int
move_vma(struct mm *mm, struct remap *r, uint64_t *out)
{
	uint64_t hiwater_vm;
	int err;

	if (mm_map_full(mm, (int64_t)mm->map_count >= (int64_t)mm->max_map_count - 3))
		return -ENOMEM;
	if (!charge_ok(mm, r))
		return -ENOMEM;
	err = copy_vma(mm, r);
	if (err)
		return err;
	hiwater_vm = mm->hiwater_vm;
	stat_account(mm, r->vma, r->new_len);
	if (r->flags & MM_MREMAP_DONTUNMAP)
		dontunmap_complete(mm, r);
	else
		unmap_source(mm, r);
	mm->hiwater_vm = hiwater_vm;
	*out = r->new_addr;
	return 0;
}

static int
set_new_addr(struct mm *mm, struct remap *r)
{
	struct vma *v = r->vma;
	uint64_t pgoff = v->pgoff + ((r->addr - v->start) >> MM_PAGE_SHIFT);
	uint32_t flags = (r->flags & MM_MREMAP_FIXED) ? MM_MAP_FIXED : 0;
	enum area_kind kind = !v->file                           ? AREA_ANON
			      : v->file->shmem                   ? AREA_SHMEM
			      : v->file->kind != MM_FILE_DEVZERO ? AREA_FILE
			      : (v->flags & VM_MAYSHARE)         ? AREA_SHMEM
								 : AREA_FILE;

	if (v->flags & VM_MAYSHARE)
		flags |= MM_MAP_SHARED;
	return mm_get_unmapped_area(mm, kind, implies_new_addr(r) ? r->new_addr : 0, r->new_len,
				    pgoff, flags, &r->new_addr);
}

static int
mremap_to(struct mm *mm, struct remap *r, uint64_t *out)
{
	int err;

	if (r->flags & MM_MREMAP_FIXED) {
		err = mm_do_vmi_munmap(mm, r->new_addr, r->new_len);
		if (err)
			return err;
		r->vma = lookup(mm, r->addr);
		if (!r->vma)
			return -EFAULT;
	}
	if (r->type == REMAP_SHRINK) {
		err = mm_do_vmi_munmap(mm, r->addr + r->new_len, r->old_len - r->new_len);
		if (err)
			return err;
		r->vma = lookup(mm, r->addr);
		if (!r->vma)
			return -EFAULT;
		r->old_len = r->new_len;
	}
	if ((r->flags & MM_MREMAP_DONTUNMAP) &&
	    !mm_may_expand_vm(mm, r->vma->flags, r->old_len >> MM_PAGE_SHIFT))
		return -ENOMEM;
	err = set_new_addr(mm, r);
	if (err)
		return err;
	return move_vma(mm, r, out);
}

/* vma_expandable(): free space after the VMA, and a valid fixed placement for the whole. */
static bool
expandable(struct mm *mm, const struct vma *v, uint64_t delta)
{
	uint64_t end = v->end + delta, out;

	if (end < v->end || mm_find_intersection(mm, v->end, end))
		return false;
	return mm_get_unmapped_area(mm, AREA_ANON, v->start, end - v->start, 0, MM_MAP_FIXED,
				    &out) == 0;
}

/* vma_merge_extend(): the extension is a new range merged onto this VMA (and maybe next). */
static int
expand_in_place(struct mm *mm, struct remap *r)
{
	struct vma *v = r->vma;
	struct merge_req q = {
		.start = v->end,
		.end = v->end + r->delta,
		.flags = v->flags,
		.pgoff = v->pgoff + vma_pages_count(v),
		.file = v->file,
		.anon_vma = v->anon_vma,
		.prev = v,
		.next = v->next,
		.anon_name = v->anon_name,
	};
	int err;

	if (!charge_ok(mm, r))
		return -ENOMEM;
	r->vma = vma_merge_new_range(mm, &q, &err);
	if (!r->vma)
		return -ENOMEM;
	stat_account(mm, r->vma, r->delta);
	return 0;
}

static int
expand(struct mm *mm, struct remap *r, uint64_t *out)
{
	int err;

	if (r->vma->end - r->addr == r->old_len && expandable(mm, r->vma, r->delta)) {
		err = expand_in_place(mm, r);
		*out = r->addr;
		return err;
	}
	if (!(r->flags & MM_MREMAP_MAYMOVE))
		return -ENOMEM;
	err = set_new_addr(mm, r);
	if (err)
		return err;
	return move_vma(mm, r, out);
}

static int
mremap_at(struct mm *mm, struct remap *r, uint64_t *out)
{
	int err = 0;

	switch (r->type) {
	case REMAP_NO_RESIZE:
		break;
	case REMAP_SHRINK:
		err = mm_do_vmi_munmap(mm, r->addr + r->new_len, r->old_len - r->new_len);
		break;
	default:
		return expand(mm, r, out);
	}
	*out = r->addr;
	return err;
}

/*
 * vma_multi_allowed(): a VMA whose file places mappings its own way (here /dev/zero without
 * shmem beneath) may only be moved alone; anonymous, shmem and disk-file VMAs may be moved
 * together.
 */
static bool
multi_allowed(const struct vma *v)
{
	return !v->file || v->file->shmem || v->file->kind == MM_FILE_DISK;
}

/*
 * remap_move(): MREMAP_FIXED with equal lengths moves every VMA of the range, keeping the gaps
 * between them; the range must not start in a gap.  A VMA that may not be moved with others
 * must hold the whole range (EFAULT, after the VMAs before it have moved).
 */
static int
remap_move(struct mm *mm, struct remap *r, uint64_t *out)
{
	uint64_t start = r->addr, end = r->addr + r->old_len, target = r->new_addr, last_end = 0;
	struct vma *v = mm_find_intersection(mm, start, end);
	bool seen = false;
	uint64_t res;
	int err = -EFAULT;

	for (; v; v = mm_find_intersection(mm, last_end, end)) {
		uint64_t a = v->start > start ? v->start : start;
		uint64_t len = (end < v->end ? end : v->end) - a;

		if (!seen && start < v->start)
			return -EFAULT;
		if (!multi_allowed(v) && (seen || end > v->end))
			return -EFAULT;
		r->new_addr = target + (seen ? v->start - last_end : 0);
		last_end = v->end;
		r->vma = v;
		r->addr = a;
		r->old_len = r->new_len = len;
		err = check_prep(mm, r);
		if (!err)
			err = mremap_to(mm, r, &res);
		if (err)
			return err;
		if (!seen)
			*out = res;
		seen = true;
		target = res + len;
	}
	return seen ? 0 : err;
}

static int
do_mremap(struct mm *mm, struct remap *r, uint64_t *out)
{
	int err = check_params(mm, r);

	if (err)
		return err;
	if ((r->flags & MM_MREMAP_FIXED) && r->old_len == r->new_len)
		return remap_move(mm, r, out);
	r->vma = lookup(mm, r->addr);
	err = check_prep(mm, r);
	if (err)
		return err;
	return implies_new_addr(r) ? mremap_to(mm, r, out) : mremap_at(mm, r, out);
}

int
mm_mremap(struct mm *mm, uint64_t old_addr, uint64_t old_len, uint64_t new_len, uint32_t flags,
	  uint64_t new_addr, uint64_t *out_addr)
{
	struct remap r = {
		.addr = old_addr,
		.old_len = MM_PAGE_ALIGN(old_len),
		.new_len = MM_PAGE_ALIGN(new_len),
		.new_addr = new_addr,
		.flags = flags,
	};
	int err = do_mremap(mm, &r, out_addr);

	if (!err && r.populate_expand)
		mm_populate_range(mm, r.new_addr + r.old_len, r.delta, true);
	MM_CHECK(mm);
	return err;
}
