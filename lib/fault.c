/* SPDX-License-Identifier: MIT */
/*
 * Page faults, population (mm/gup.c __mm_populate, populate_vma_page_range; mm/memory.c) and
 * stack growth (mm/vma.c expand_downwards, acct_stack_growth).
 *
 * What becomes resident: a write to private memory allocates anonymous pages (copying file
 * pages) and attaches an anon_vma; a read of private anonymous memory maps the shared zero
 * page, which is not counted; file and shmem mappings map page-cache pages up to the end of
 * the file (beyond it the access raises SIGBUS).
 */
#include "mm_internal.h"

static uint64_t
page_index(const struct vma *v, uint64_t addr)
{
	return v->pgoff + ((addr - v->start) >> MM_PAGE_SHIFT);
}

/* The end of [start, end) that lies before the file's EOF page (start if none). */
static uint64_t
eof_limit(const struct vma *v, uint64_t start, uint64_t end)
{
	uint64_t eof_pages, first = page_index(v, start), n;

	if (vma_is_anonymous(v) || v->file->size == MM_FILE_SIZE_UNKNOWN)
		return end;
	eof_pages = (v->file->size + MM_PAGE_SIZE - 1) >> MM_PAGE_SHIFT;
	if (first >= eof_pages)
		return start;
	n = eof_pages - first;
	return n < (end - start) >> MM_PAGE_SHIFT ? start + (n << MM_PAGE_SHIFT) : end;
}

static int
file_kind(const struct vma *v)
{
	return v->file->shmem ? PAGE_SHMEM : PAGE_FILE;
}

/* Make every non-resident page of [start, end) resident as kind, keeping resident ones. */
static int
fill_holes(struct mm *mm, struct vma *v, uint64_t start, uint64_t end, int kind)
{
	uint64_t lo = page_index(v, start), hi = page_index(v, end), a, b;
	int err;

	while (pages_first_hole(v->pages, lo, hi, &a, &b)) {
		err = vma_make_resident(mm, v, start + ((a - lo) << MM_PAGE_SHIFT),
					start + ((b - lo) << MM_PAGE_SHIFT), kind);
		if (err)
			return err;
		lo = b;
		start = v->start + ((b - v->pgoff) << MM_PAGE_SHIFT);
	}
	return 0;
}

/* Record pages [start, end) of v as existing in its shmem object. */
static int
shmem_obj_add(struct vma *v, uint64_t start, uint64_t end)
{
	int64_t delta[PAGE_KINDS] = { 0, 0, 0 };
	int err = pages_reserve(&v->file->pages, 2);

	if (!err)
		pages_set(v->file->pages, page_index(v, start), (end - start) >> MM_PAGE_SHIFT,
			  PAGE_SHMEM, delta);
	return err;
}

/* Map the non-resident pages of [start, end) that already exist in v's shmem object. */
static int
map_existing_shmem(struct mm *mm, struct vma *v, uint64_t start, uint64_t end)
{
	struct vma_pages *have;
	int err = pages_extract(v->file->pages, page_index(v, start), page_index(v, end), &have);

	for (uint32_t i = 0; !err && have && i < have->nr; i++) {
		uint64_t a = v->start + ((have->run[i].first - v->pgoff) << MM_PAGE_SHIFT);

		err = fill_holes(mm, v, a, a + (have->run[i].count << MM_PAGE_SHIFT), PAGE_SHMEM);
	}
	pages_free(have);
	return err;
}

/*
 * do_fault_around(): a read fault in a file mapping maps up to 16 pages around addr (a block
 * aligned in the page table, clamped to the VMA and the page table): every page-cache page up
 * to EOF for files (all taken to be cached), the existing pages of a shmem object.  Then the
 * faulting page itself is mapped (allocated in the shmem object if needed).
 */
static void
fault_window(const struct vma *v, uint64_t addr, uint64_t *ws, uint64_t *we)
{
	uint64_t pte_off = (addr >> MM_PAGE_SHIFT) & 511,
		 vma_off = (addr - v->start) >> MM_PAGE_SHIFT;
	uint64_t from = pte_off & ~15ULL, to;

	if (pte_off - (pte_off < vma_off ? pte_off : vma_off) > from)
		from = pte_off - (pte_off < vma_off ? pte_off : vma_off);
	to = from + 16;
	if (to > 512)
		to = 512;
	if (to > pte_off + vma_pages_count(v) - vma_off)
		to = pte_off + vma_pages_count(v) - vma_off;
	*ws = addr - ((pte_off - from) << MM_PAGE_SHIFT);
	*we = eof_limit(v, *ws, addr + ((to - pte_off) << MM_PAGE_SHIFT));
}

static int
fault_around(struct mm *mm, struct vma *v, uint64_t addr, uint64_t ws, uint64_t we)
{
	int err;

	if (!v->file->shmem)
		return we > ws ? fill_holes(mm, v, ws, we, PAGE_FILE) : 0;
	err = we > ws ? map_existing_shmem(mm, v, ws, we) : 0;
	if (!err && addr < we)
		err = fill_holes(mm, v, addr, addr + MM_PAGE_SIZE, PAGE_SHMEM);
	if (!err && addr < we)
		err = shmem_obj_add(v, addr, addr + MM_PAGE_SIZE);
	return err;
}

/*
 * Read faults over [start, end), one per page that is still not resident.  A fault beyond EOF
 * still maps its fault-around block (do_fault_around runs first), then raises SIGBUS.
 */
static int
read_fault_range(struct mm *mm, struct vma *v, uint64_t start, uint64_t end)
{
	uint64_t lim = eof_limit(v, start, end), a, b, ws, we;
	int err;

	while (pages_first_hole(v->pages, page_index(v, start), page_index(v, end), &a, &b)) {
		start = v->start + ((a - v->pgoff) << MM_PAGE_SHIFT);
		fault_window(v, start, &ws, &we);
		/*
		 * Beyond EOF the neighbours are mapped all the same, except (as measured on
		 * 6.18) a lone in-EOF page of a regular file where no page table exists yet.
		 */
		if (start >= lim && we <= ws + MM_PAGE_SIZE && !v->file->shmem &&
		    mm_pt_state(mm, start) < 0)
			return -EFAULT;
		err = fault_around(mm, v, start, ws, we);
		if (err)
			return err;
		if (we > ws)
			mm_pt_mark(mm, start, start + MM_PAGE_SIZE);
		if (start >= lim)
			return -EFAULT;
		start += MM_PAGE_SIZE;
	}
	return 0;
}

/* Write faults on a shared file or shmem mapping map one page each. */
static int
shared_write_range(struct mm *mm, struct vma *v, uint64_t start, uint64_t end)
{
	int err = fill_holes(mm, v, start, end, file_kind(v));

	if (!err && v->file->shmem)
		err = shmem_obj_add(v, start, end);
	return err;
}

/* A VM_HUGEPAGE private anonymous VMA can take a huge page at the 2 MiB region base. */
static bool
thp_ok(const struct mm *mm, const struct vma *v, uint64_t base)
{
	return mm->thp && vma_is_anonymous(v) && (v->flags & VM_HUGEPAGE) &&
	       !(v->flags & VM_NOHUGEPAGE) && base >= v->start && base + MM_PMD_SIZE <= v->end;
}

/*
 * Write faults on private anonymous memory, region by region: a huge page for a whole region
 * where allowed and the PMD is empty or holds the huge zero page, else 4 KiB pages.
 */
static int
write_anon(struct mm *mm, struct vma *v, uint64_t start, uint64_t end)
{
	uint64_t a, b, base;
	int state, err = 0;

	for (a = start; !err && a < end; a = b) {
		base = a & ~(MM_PMD_SIZE - 1);
		b = base + MM_PMD_SIZE < end ? base + MM_PMD_SIZE : end;
		state = mm_pt_state(mm, a);
		if (state == PT_HUGE)
			continue;
		if ((state < 0 || state == PT_HUGE_ZERO) && thp_ok(mm, v, base)) {
			err = vma_make_resident(mm, v, base, base + MM_PMD_SIZE, PAGE_ANON);
			if (!err)
				mm_pt_set(mm, base, PT_HUGE);
			continue;
		}
		err = vma_make_resident(mm, v, a, b, PAGE_ANON);
		if (!err)
			mm_pt_mark(mm, a, b);
	}
	return err;
}

/* Read faults on private anonymous memory map the (huge) zero page: nothing is resident. */
static void
read_anon(struct mm *mm, const struct vma *v, uint64_t start, uint64_t end)
{
	uint64_t a, b, base;

	for (a = start; a < end; a = b) {
		base = a & ~(MM_PMD_SIZE - 1);
		b = base + MM_PMD_SIZE < end ? base + MM_PMD_SIZE : end;
		if (mm_pt_state(mm, a) >= 0)
			continue;
		if (thp_ok(mm, v, base))
			mm_pt_set(mm, base, PT_HUGE_ZERO);
		else
			mm_pt_mark(mm, a, b);
	}
}

/*
 * Fault [start, end) of v in as reads or writes.  Returns 0, -EFAULT when the range reaches
 * beyond the end of the file (the pages before it are made resident), or -ENOMEM.  A write
 * to private memory attaches the anon_vma first, even when the page turns out to be beyond
 * EOF (do_cow_fault).
 */
static int
fault_range(struct mm *mm, struct vma *v, uint64_t start, uint64_t end, bool write)
{
	uint64_t lim = eof_limit(v, start, end);
	int err = 0;

	if (write && vma_is_anonymous(v)) {
		err = vma_anon_prepare(mm, v);
		return err ? err : write_anon(mm, v, start, end);
	} else if (write && !(v->flags & VM_MAYSHARE)) {
		err = vma_anon_prepare(mm, v);
		if (!err && lim > start)
			err = vma_make_resident(mm, v, start, lim, PAGE_ANON);
	} else if (vma_is_anonymous(v)) {
		read_anon(mm, v, start, end);
		return 0;
	} else if (write) {
		if (lim > start)
			err = shared_write_range(mm, v, start, lim);
	} else {
		return read_fault_range(mm, v, start, end);
	}
	if (err)
		return err;
	mm_pt_mark(mm, start, lim);
	return lim < end ? -EFAULT : 0;
}

/*
 * fault_range() up to the first guard marker of [start, end), where the fault raises SIGSEGV
 * (handle_pte_marker(): VM_FAULT_SIGSEGV) and a GUP walk stops with -EFAULT.
 */
int
mm_fault_range(struct mm *mm, struct vma *v, uint64_t start, uint64_t end, bool write)
{
	uint64_t idx;
	int err;

	if (!pages_find_kind(v->pages, page_index(v, start), page_index(v, end), PAGE_GUARD, &idx))
		return fault_range(mm, v, start, end, write);
	end = v->start + ((idx - v->pgoff) << MM_PAGE_SHIFT);
	err = start < end ? fault_range(mm, v, start, end, write) : 0;
	return err ? err : -EFAULT;
}

/* populate_vma_page_range(): write faults for private writable VMAs, read faults otherwise. */
static int
populate_vma(struct mm *mm, struct vma *v, uint64_t start, uint64_t end, bool force_write)
{
	bool write = (v->flags & (VM_WRITE | VM_SHARED)) == VM_WRITE;

	if (v->flags & VM_LOCKONFAULT)
		return 0;
	if (!vma_is_accessible(v))
		return -EFAULT;
	if (force_write) {
		if (!(v->flags & VM_WRITE) && !(v->flags & VM_MAYWRITE))
			return -EFAULT;
		if (!(v->flags & VM_WRITE) && (v->flags & VM_MAYSHARE))
			return -EFAULT;
		write = true;
	}
	return mm_fault_range(mm, v, start, end, write);
}

static int
populate(struct mm *mm, uint64_t start, uint64_t len, bool ignore_errors, bool force_write)
{
	uint64_t end = start + len, nstart = start, nend;
	struct vma *v = mm_find_intersection(mm, start, end);
	int err;

	for (; v && v->start < end; v = v->next, nstart = nend) {
		nend = v->end < end ? v->end : end;
		if (v->flags & (VM_IO | VM_PFNMAP))
			continue;
		if (nstart < v->start)
			nstart = v->start;
		err = populate_vma(mm, v, nstart, nend, force_write);
		if (err == -ENOMEM || (err && !ignore_errors))
			return err;
	}
	return 0;
}

/* __mm_populate(). */
int
mm_populate_range(struct mm *mm, uint64_t start, uint64_t len, bool ignore_errors)
{
	return populate(mm, start, len, ignore_errors, false);
}

/*
 * mm_populate() over [addr, addr+len) rounded out to pages.  With write, writable and
 * copy-on-write mappings get write faults, as a forced GUP write would.
 */
int
mm_populate(struct mm *mm, uint64_t addr, uint64_t len, bool write)
{
	uint64_t start = addr & MM_PAGE_MASK, end = MM_PAGE_ALIGN(addr + len);
	int err;

	if (addr + len < addr || end < start)
		return -EINVAL;
	err = populate(mm, start, end - start, true, write);
	MM_CHECK(mm);
	return err;
}

/* acct_stack_growth(). */
static int
stack_growth_ok(const struct mm *mm, const struct vma *v, uint64_t size, uint64_t grow)
{
	if (!mm_may_expand_vm(mm, v->flags, grow))
		return -ENOMEM;
	if (size > mm->rlimit_stack)
		return -ENOMEM;
	if (!mm_mlock_future_ok(mm, v->flags, grow << MM_PAGE_SHIFT))
		return -ENOMEM;
	return 0;
}

/* expand_downwards(): grow a GROWSDOWN VMA down to addr, keeping the guard gap. */
int
mm_expand_downwards(struct mm *mm, struct vma *v, uint64_t addr)
{
	struct vma *prev = v->prev;
	uint64_t size, grow;
	int err;

	if (!(v->flags & VM_GROWSDOWN))
		return -EFAULT;
	addr &= MM_PAGE_MASK;
	if (addr < mm->mmap_min_addr)
		return -EPERM;
	if (prev && !(prev->flags & VM_GROWSDOWN) && vma_is_accessible(prev) &&
	    (addr < prev->end || addr - prev->end < mm->stack_guard_gap))
		return -ENOMEM;
	err = vma_anon_prepare(mm, v);
	if (err || addr >= v->start)
		return err;
	size = v->end - addr;
	grow = (v->start - addr) >> MM_PAGE_SHIFT;
	if (grow > v->pgoff)
		return -ENOMEM;
	err = stack_growth_ok(mm, v, size, grow);
	if (err)
		return err;
	if (v->flags & VM_LOCKED)
		mm->locked_vm += grow;
	mm_stat_account(mm, v->flags, (int64_t)grow);
	v->pgoff -= grow;
	vma_tree_set_range(mm, v, addr, v->end);
	return 0;
}

/* The x86 access_error() test, for a present VMA. */
static bool
access_ok(const struct vma *v, enum mm_access access)
{
	switch (access) {
	case MM_ACCESS_WRITE:
		return v->flags & VM_WRITE;
	case MM_ACCESS_EXEC:
		return v->flags & VM_EXEC;
	default:
		return vma_is_accessible(v);
	}
}

static int
fault_at(struct mm *mm, uint64_t addr, enum mm_access access, enum mm_fault_result *result)
{
	struct vma *v = mm_find(mm, addr);
	uint64_t page = addr & MM_PAGE_MASK;
	int err;

	*result = MM_FAULT_MAPERR;
	if (!v)
		return 0;
	if (v->start > addr) {
		if (!(v->flags & VM_GROWSDOWN) || mm_expand_downwards(mm, v, addr) < 0)
			return 0;
	}
	*result = MM_FAULT_ACCERR;
	if (!access_ok(v, access))
		return 0;
	*result = MM_FAULT_MAPERR;
	if (pages_kind_at(v->pages, page_index(v, page)) == PAGE_GUARD)
		return 0;
	*result = MM_FAULT_OK;
	err = fault_range(mm, v, page, page + MM_PAGE_SIZE, access == MM_ACCESS_WRITE);
	if (err == -EFAULT) {
		*result = MM_FAULT_SIGBUS;
		return 0;
	}
	return err;
}

int
mm_fault(struct mm *mm, uint64_t addr, enum mm_access access, enum mm_fault_result *result)
{
	int err;

	if (access != MM_ACCESS_READ && access != MM_ACCESS_WRITE && access != MM_ACCESS_EXEC)
		return -EINVAL;
	err = fault_at(mm, addr, access, result);
	MM_CHECK(mm);
	return err;
}
