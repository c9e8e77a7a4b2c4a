/* SPDX-License-Identifier: MIT */
/*
 * get_unmapped_area(): placement of new mappings (mm/mmap.c __get_unmapped_area,
 * arch/x86/kernel/sys_x86_64.c, mm/huge_memory.c __thp_get_unmapped_area), with the gap
 * searches done top-down or bottom-up over the tree's per-subtree largest gap.
 */
#include "mm_internal.h"

#define MAP_32BIT_BASE 0x40000000ULL
#define MAP_32BIT_END  0x80000000ULL

struct area_req {
	uint64_t length, low_limit, high_limit, align_mask, align_offset;
};

static struct vma *
node_vma(struct rb_node *n)
{
	return n ? mm_container_of(n, struct vma, rb) : NULL;
}

/* The end of v's predecessor (0 for the first VMA), from v's own line rather than prev's. */
static uint64_t
gap_start_of(const struct vma *v)
{
	return v->start - v->gap;
}

/* Climb until we arrive from the given side; NULL at the root. */
static struct vma *
climb(struct vma *v, bool from_right)
{
	for (;;) {
		struct rb_node *n = &v->rb, *p = rb_parent(n);

		if (!p)
			return NULL;
		v = node_vma(p);
		if ((from_right && n == p->right) || (!from_right && n == p->left))
			return v;
	}
}

/*
 * The VMA just above the highest free interval [s, e) with min(e, hi) - max(s, lo) >= length
 * (*above = NULL when it is the interval above the last VMA); false if there is none.
 */
static bool
highest_fit(const struct mm *mm, uint64_t length, uint64_t lo, uint64_t hi, struct vma **above)
{
	uint64_t high = hi - length, low_end = lo + length, gs;
	struct vma *v = node_vma(mm->tree.node), *c;

	*above = NULL;
	if (!mm->last || mm->last->end <= high)
		return true;
	if (!v || v->gap_max < length)
		return false;
	for (;;) {
		gs = gap_start_of(v);
		c = node_vma(v->rb.right);
		if (gs <= high && c && c->gap_max >= length) {
			v = c;
			continue;
		}
		for (;;) {
			if (v->start < low_end)
				return false;
			if (gs <= high && v->start > gs && v->start - gs >= length) {
				*above = v;
				return true;
			}
			c = node_vma(v->rb.left);
			if (c && c->gap_max >= length)
				break;
			v = climb(v, true);
			if (!v)
				return false;
			gs = gap_start_of(v);
		}
		v = c;
	}
}

/*
 * unmapped_area_topdown(): the highest fit below high_limit; when the VMA above it grows down
 * and its guard gap reaches into the result, search again below the guard gap.
 */
static int
unmapped_area_topdown(const struct mm *mm, const struct area_req *r, uint64_t *out)
{
	uint64_t length = r->length + r->align_mask, lo = r->low_limit, hi = r->high_limit, end;
	struct vma *above;

	if (lo < mm->mmap_min_addr)
		lo = mm->mmap_min_addr;
	if (length < r->length)
		return -ENOMEM;
	for (;;) {
		if (hi < length || lo > hi - length || !highest_fit(mm, length, lo, hi, &above))
			return -ENOMEM;
		end = above && above->start < hi ? above->start : hi;
		if (!above || !(above->flags & VM_GROWSDOWN) || vma_start_gap(mm, above) >= end)
			break;
		hi = vma_start_gap(mm, above);
	}
	end -= r->length;
	end -= (end - r->align_offset) & r->align_mask;
	*out = end;
	return 0;
}

/*
 * The VMA just above the lowest free interval [s, e) with min(e, hi) - max(s, lo) >= length
 * (*above = NULL for the interval above the last VMA); false if there is none.
 */
static bool
lowest_fit(const struct mm *mm, uint64_t length, uint64_t lo, uint64_t hi, struct vma **above)
{
	uint64_t high = hi - length, low_end = lo + length, gs;
	struct vma *v = node_vma(mm->tree.node), *c;

	*above = NULL;
	if (!v || v->gap_max < length)
		goto highest;
	for (;;) {
		c = node_vma(v->rb.left);
		if (v->start >= low_end && c && c->gap_max >= length) {
			v = c;
			continue;
		}
		for (;;) {
			gs = gap_start_of(v);
			if (gs > high)
				return false;
			if (v->start >= low_end && v->start > gs && v->start - gs >= length) {
				*above = v;
				return true;
			}
			c = node_vma(v->rb.right);
			if (c && c->gap_max >= length)
				break;
			v = climb(v, false);
			if (!v)
				goto highest;
		}
		v = c;
	}
highest:
	return !mm->last || mm->last->end <= high;
}

/*
 * unmapped_area(): the lowest fit above low_limit; when the VMA above it grows down and its
 * guard gap reaches into the result, search again above that VMA.
 */
static int
unmapped_area(const struct mm *mm, const struct area_req *r, uint64_t *out)
{
	uint64_t length = r->length + r->align_mask, lo = r->low_limit, hi = r->high_limit, gap;
	struct vma *above;

	if (lo < mm->mmap_min_addr)
		lo = mm->mmap_min_addr;
	if (length < r->length)
		return -ENOMEM;
	for (;;) {
		if (hi < length || lo > hi - length || !lowest_fit(mm, length, lo, hi, &above))
			return -ENOMEM;
		if (above)
			gap = above->prev ? above->prev->end : 0;
		else
			gap = mm->last ? mm->last->end : 0;
		if (gap < lo)
			gap = lo;
		gap += (r->align_offset - gap) & r->align_mask;
		if (!above || !(above->flags & VM_GROWSDOWN) ||
		    vma_start_gap(mm, above) >= gap + length - 1)
			break;
		lo = above->end;
	}
	*out = gap;
	return 0;
}

static bool
is_compat(const struct mm *mm)
{
	return mm->layout == MM_LAYOUT_I386;
}

/* A hint is taken when nothing (or nothing's guard gap) lies in [addr, addr+len). */
static bool
hint_free(struct mm *mm, uint64_t addr, uint64_t len)
{
	struct vma *v = mm_find(mm, addr);

	return !v || addr + len <= vma_start_gap(mm, v);
}

/* arch_get_unmapped_area(): bottom-up from the legacy base (or the MAP_32BIT window). */
static int
area_bottomup(struct mm *mm, uint64_t addr, uint64_t len, uint64_t pgoff, uint32_t flags,
	      uint64_t *out)
{
	struct area_req r = { .length = len, .align_offset = pgoff << MM_PAGE_SHIFT };

	if (flags & MM_MAP_FIXED) {
		*out = addr;
		return 0;
	}
	if (!is_compat(mm) && (flags & MM_MAP_32BIT)) {
		r.low_limit = MAP_32BIT_BASE;
		r.high_limit = MAP_32BIT_END;
	} else {
		r.low_limit = mm->mmap_legacy_base;
		r.high_limit = mm->task_size;
	}
	if (len > r.high_limit)
		return -ENOMEM;
	if (addr) {
		addr = MM_PAGE_ALIGN(addr);
		if (r.high_limit - len >= addr && hint_free(mm, addr, len)) {
			*out = addr;
			return 0;
		}
	}
	return unmapped_area(mm, &r, out);
}

static bool
hint_valid(const struct mm *mm, uint64_t addr, uint64_t len)
{
	return mm->task_size - len >= addr;
}

/* arch_get_unmapped_area_topdown(): below mmap_base, falling back to bottom-up. */
static int
area_topdown(struct mm *mm, uint64_t addr0, uint64_t len, uint64_t pgoff, uint32_t flags,
	     uint64_t *out)
{
	struct area_req r = { .length = len, .low_limit = MM_PAGE_SIZE };
	uint64_t addr = addr0;

	if (len > mm->task_size)
		return -ENOMEM;
	if (flags & MM_MAP_FIXED) {
		*out = addr;
		return 0;
	}
	if (!is_compat(mm) && (flags & MM_MAP_32BIT))
		return area_bottomup(mm, addr0, len, pgoff, flags, out);
	if (addr) {
		addr &= MM_PAGE_MASK;
		if (hint_valid(mm, addr, len) && hint_free(mm, addr, len)) {
			*out = addr;
			return 0;
		}
	}
	if (!is_compat(mm) && (flags & MM_MAP_ABOVE4G))
		r.low_limit = 1ULL << 32;
	r.high_limit = mm->mmap_base;
	if (unmapped_area_topdown(mm, &r, out) == 0)
		return 0;
	return area_bottomup(mm, addr0, len, pgoff, flags, out);
}

static int
arch_area(struct mm *mm, uint64_t addr, uint64_t len, uint64_t pgoff, uint32_t flags, uint64_t *out)
{
	if (mm->topdown)
		return area_topdown(mm, addr, len, pgoff, flags, out);
	if (len > mm->task_size)
		return -ENOMEM;
	return area_bottomup(mm, addr, len, pgoff, flags, out);
}

/*
 * __thp_get_unmapped_area(): search with 2 MiB of padding and move the result to a 2 MiB
 * boundary (congruent with the file offset).  Returns false when not applicable or when the
 * padded search fails, and the caller searches again without padding.
 */
static bool
thp_area(struct mm *mm, uint64_t addr, uint64_t len, uint64_t pgoff, uint32_t flags, uint64_t *out)
{
	uint64_t off = pgoff << MM_PAGE_SHIFT, size = MM_PMD_SIZE, ret, off_sub;
	uint64_t off_align = (off + size - 1) & ~(size - 1), off_end = (off + len) & ~(size - 1);
	uint64_t len_pad = len + size;

	if (is_compat(mm) || off_end <= off_align || off_end - off_align < size)
		return false;
	if (len_pad < len || off + len_pad < off)
		return false;
	if (arch_area(mm, addr, len_pad, pgoff, flags, &ret) < 0)
		return false;
	if (ret != addr) {
		off_sub = (off - ret) & (size - 1);
		if (mm->topdown && !off_sub)
			ret += size;
		else
			ret += off_sub;
	}
	*out = ret;
	return true;
}

/*
 * Files are taken to be on a filesystem that aligns large mappings for THP (ext4, xfs:
 * thp_get_unmapped_area); private anonymous memory is aligned only without a hint and for
 * multiples of 2 MiB; shmem (huge=never) is not aligned; hugetlbfs wants aligned addresses.
 */
int
mm_get_unmapped_area(struct mm *mm, enum area_kind kind, uint64_t addr, uint64_t len,
		     uint64_t pgoff, uint32_t flags, uint64_t *out)
{
	bool thp = false;
	int err;

	if (len > mm->task_size)
		return -ENOMEM;
	if (kind == AREA_HUGETLB && (flags & MM_MAP_FIXED) && (addr & (MM_PMD_SIZE - 1)))
		return -EINVAL;
	if (kind == AREA_ANON)
		pgoff = 0;
	if (kind == AREA_FILE)
		thp = mm->thp;
	else if (kind == AREA_ANON)
		thp = mm->thp && !(flags & MM_MAP_SHARED) && !addr && !(len & (MM_PMD_SIZE - 1));
	if (!thp || !thp_area(mm, addr, len, pgoff, flags, out)) {
		err = arch_area(mm, addr, len, pgoff, flags, out);
		if (err)
			return err;
	}
	if (*out > mm->task_size - len)
		return -ENOMEM;
	if (*out & ~MM_PAGE_MASK)
		return -EINVAL;
	if (*out < mm->dac_mmap_min_addr && !mm->cap_sys_rawio)
		return -EPERM;
	return 0;
}
