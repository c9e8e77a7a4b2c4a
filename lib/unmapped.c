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

static uint64_t
gap_start_of(const struct vma *v)
{
	return v->prev ? v->prev->end : 0;
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

/* The highest gap of at least length whose start is <= high (an address), or NULL. */
static struct vma *
highest_fit(const struct mm *mm, uint64_t length, uint64_t high, uint64_t low_end)
{
	struct vma *v = node_vma(mm->tree.node), *c;
	uint64_t gs, ge;

	if (!v || v->gap_max < length)
		return NULL;
	for (;;) {
		gs = gap_start_of(v);
		c = node_vma(v->rb.right);
		if (gs <= high && c && c->gap_max >= length) {
			v = c;
			continue;
		}
		for (;;) {
			ge = vma_start_gap(mm, v);
			if (ge < low_end)
				return NULL;
			if (gs <= high && ge > gs && ge - gs >= length)
				return v;
			c = node_vma(v->rb.left);
			if (c && c->gap_max >= length)
				break;
			v = climb(v, true);
			if (!v)
				return NULL;
			gs = gap_start_of(v);
		}
		v = c;
	}
}

static int
unmapped_area_topdown(const struct mm *mm, const struct area_req *r, uint64_t *out)
{
	uint64_t length = r->length + r->align_mask, low = r->low_limit, high, gap_end;
	struct vma *v;

	if (low < mm->mmap_min_addr)
		low = mm->mmap_min_addr;
	if (length < r->length || r->high_limit < length)
		return -ENOMEM;
	high = r->high_limit - length;
	if (low > high)
		return -ENOMEM;
	if (!mm->last || mm->last->end <= high) {
		gap_end = r->high_limit;
	} else {
		v = highest_fit(mm, length, high, low + length);
		if (!v)
			return -ENOMEM;
		gap_end = vma_start_gap(mm, v);
		if (gap_end > r->high_limit)
			gap_end = r->high_limit;
	}
	gap_end -= r->length;
	gap_end -= (gap_end - r->align_offset) & r->align_mask;
	*out = gap_end;
	return 0;
}

/* The lowest gap of at least length ending at or above low_end, or NULL (try above all). */
static struct vma *
lowest_fit(const struct mm *mm, uint64_t length, uint64_t high, uint64_t low_end, int *err)
{
	struct vma *v = node_vma(mm->tree.node), *c;
	uint64_t gs, ge;

	*err = 0;
	if (!v || v->gap_max < length)
		return NULL;
	for (;;) {
		ge = vma_start_gap(mm, v);
		c = node_vma(v->rb.left);
		if (ge >= low_end && c && c->gap_max >= length) {
			v = c;
			continue;
		}
		for (;;) {
			gs = gap_start_of(v);
			if (gs > high) {
				*err = -ENOMEM;
				return NULL;
			}
			if (ge >= low_end && ge > gs && ge - gs >= length)
				return v;
			c = node_vma(v->rb.right);
			if (c && c->gap_max >= length)
				break;
			v = climb(v, false);
			if (!v)
				return NULL;
			ge = vma_start_gap(mm, v);
		}
		v = c;
	}
}

static int
unmapped_area(const struct mm *mm, const struct area_req *r, uint64_t *out)
{
	uint64_t length = r->length + r->align_mask, low = r->low_limit, high, gap_start;
	struct vma *v;
	int err;

	if (low < mm->mmap_min_addr)
		low = mm->mmap_min_addr;
	if (length < r->length || r->high_limit < length)
		return -ENOMEM;
	high = r->high_limit - length;
	if (low > high)
		return -ENOMEM;
	v = lowest_fit(mm, length, high, low + length, &err);
	if (err)
		return err;
	if (v) {
		gap_start = gap_start_of(v);
	} else {
		gap_start = mm->last ? mm->last->end : 0;
		if (gap_start > high)
			return -ENOMEM;
	}
	if (gap_start < low)
		gap_start = low;
	gap_start += (r->align_offset - gap_start) & r->align_mask;
	*out = gap_start;
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
