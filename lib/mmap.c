/* SPDX-License-Identifier: MIT */
/*
 * mmap(2): the x86_64 entry, ksys_mmap_pgoff(), do_mmap() and __mmap_region(), with the
 * kernel's order of checks.
 */
#include "mm_internal.h"

#define MM_MAP_ABOVE4G       0x80
#define MM_MAP_UNINITIALIZED 0x4000000
#define MM_MAP_HUGE_SHIFT    26
#define MM_MAP_HUGE_MASK     0x3f
#define MM_MAP_HUGE_2MB      (21u << MM_MAP_HUGE_SHIFT)
#define MM_MAP_HUGE_1GB      (30u << MM_MAP_HUGE_SHIFT)
#define MAX_LFS_FILESIZE     ((uint64_t)INT64_MAX)

/* Flags every file accepts with MAP_SHARED_VALIDATE (plus MAP_SYNC on ext4/xfs). */
#define LEGACY_MAP_MASK                                                                            \
	(MM_MAP_SHARED | MM_MAP_PRIVATE | MM_MAP_FIXED | MM_MAP_ANONYMOUS | MM_MAP_DENYWRITE |     \
	 MM_MAP_EXECUTABLE | MM_MAP_UNINITIALIZED | MM_MAP_GROWSDOWN | MM_MAP_LOCKED |             \
	 MM_MAP_NORESERVE | MM_MAP_POPULATE | MM_MAP_NONBLOCK | MM_MAP_STACK | MM_MAP_HUGETLB |    \
	 MM_MAP_32BIT | MM_MAP_ABOVE4G | MM_MAP_HUGE_2MB | MM_MAP_HUGE_1GB)

struct mmap_args {
	uint64_t addr, len, pgoff, vm_flags;
	uint32_t prot, flags;
	const struct mm_file_desc *file;
	bool hugetlb;  /* anonymous MAP_HUGETLB: a hugetlbfs file with no pages reserved */
	int mmap_hook; /* the error the file's ->mmap() returns, 0 if none */
};

static uint64_t
prot_to_vm(uint32_t prot)
{
	return prot & (MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC);
}

static uint64_t
flags_to_vm(const struct mm *mm, uint32_t flags)
{
	uint64_t f = 0;

	if (flags & MM_MAP_GROWSDOWN)
		f |= VM_GROWSDOWN;
	if (flags & MM_MAP_LOCKED)
		f |= VM_LOCKED;
	if (flags & MM_MAP_SYNC)
		f |= VM_SYNC;
	if ((flags & MM_MAP_STACK) && mm->thp)
		f |= VM_NOHUGEPAGE;
	return f;
}

/* The MAP_SHARED / MAP_SHARED_VALIDATE / MAP_PRIVATE switch for a file. */
static int
check_file_type(struct mmap_args *a)
{
	unsigned mode = a->hugetlb ? MM_FMODE_READ | MM_FMODE_WRITE : a->file->mode;
	bool noexec = !a->hugetlb && a->file->noexec;
	uint32_t type = a->flags & MM_MAP_TYPE, flags = a->flags;

	if (type == MM_MAP_SHARED)
		flags &= LEGACY_MAP_MASK;
	if (type == MM_MAP_SHARED || type == MM_MAP_SHARED_VALIDATE) {
		if (flags & ~(LEGACY_MAP_MASK | MM_MAP_SYNC))
			return -EOPNOTSUPP;
		if ((a->prot & MM_PROT_WRITE) && !(mode & MM_FMODE_WRITE))
			return -EACCES;
		a->vm_flags |= VM_SHARED | VM_MAYSHARE;
		if (!(mode & MM_FMODE_WRITE))
			a->vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
	} else if (type != MM_MAP_PRIVATE) {
		return -EINVAL;
	}
	if (!(mode & MM_FMODE_READ))
		return -EACCES;
	if (noexec) {
		if (a->vm_flags & VM_EXEC)
			return -EPERM;
		a->vm_flags &= ~VM_MAYEXEC;
	}
	if (a->vm_flags & VM_GROWSDOWN)
		return -EINVAL;
	/* ->mmap(): no huge pages to reserve; MAP_SYNC needs DAX. */
	if (a->hugetlb)
		a->mmap_hook = -ENOMEM;
	else if (a->vm_flags & VM_SYNC)
		a->mmap_hook = -EOPNOTSUPP;
	return 0;
}

static int
check_file(struct mmap_args *a)
{
	if (a->len > MAX_LFS_FILESIZE || a->pgoff > (MAX_LFS_FILESIZE - a->len) >> MM_PAGE_SHIFT)
		return -EOVERFLOW;
	return check_file_type(a);
}

static int
check_anon(struct mmap_args *a)
{
	switch (a->flags & MM_MAP_TYPE) {
	case MM_MAP_SHARED:
		if (a->vm_flags & VM_GROWSDOWN)
			return -EINVAL;
		a->pgoff = 0;
		a->vm_flags |= VM_SHARED | VM_MAYSHARE;
		return 0;
	case MM_MAP_DROPPABLE:
		if (a->flags & (MM_MAP_LOCKED | MM_MAP_HUGETLB))
			return -EINVAL;
		if (a->vm_flags & VM_GROWSDOWN)
			return -EINVAL;
		a->vm_flags |= VM_DROPPABLE | VM_NORESERVE | VM_WIPEONFORK | VM_DONTDUMP;
		a->pgoff = a->addr >> MM_PAGE_SHIFT;
		return 0;
	case MM_MAP_PRIVATE:
		a->pgoff = a->addr >> MM_PAGE_SHIFT;
		return 0;
	default:
		return -EINVAL;
	}
}

/* accountable_mapping(): private writable memory that is charged to overcommit. */
static bool
accountable(uint64_t vm_flags)
{
	return (vm_flags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) == VM_WRITE;
}

/* Allocate what the new mapping needs before anything is changed. */
static int
region_alloc(struct mm *mm, const struct mmap_args *a, struct vma **vp, struct mm_file **fp)
{
	int err = 0;

	*fp = NULL;
	*vp = vma_new(mm);
	if (!*vp)
		return -ENOMEM;
	if (a->file && !(a->file->kind == MM_FILE_DEVZERO && (a->vm_flags & VM_SHARED)))
		err = mm_file_intern(mm, a->file, fp);
	else if (a->vm_flags & VM_SHARED)
		err = mm_file_new_shmem(mm, NULL, a->len, fp);
	if (err) {
		vma_destroy(mm, *vp);
		*vp = NULL;
	}
	return err;
}

/* Try to merge the new range into its neighbours (next follows it), else link v for it. */
static void
region_place(struct mm *mm, const struct mmap_args *a, struct vma *v, struct mm_file *f,
	     struct vma *next)
{
	struct merge_req r = {
		.start = a->addr,
		.end = a->addr + a->len,
		.flags = a->vm_flags,
		.pgoff = a->pgoff,
		.file = f,
		.prev = next ? next->prev : mm->last,
		.next = next,
	};
	struct vma *merged = NULL;
	int err;

	if (!(f && f->shmem))
		merged = vma_merge_new_range(mm, &r, &err);
	if (merged) {
		vma_destroy(mm, v);
		mm_file_put(mm, f);
		mm_cache_put(mm, merged, r.start);
		return;
	}
	v->start = r.start;
	v->end = r.end;
	v->flags = a->vm_flags;
	v->pgoff = a->pgoff;
	v->file = f;
	vma_tree_link(mm, v, next);
	mm_cache_put(mm, v, r.start);
}

/* __mmap_region(): clear the way, check limits, then merge or insert. */
static int
mmap_region(struct mm *mm, struct mmap_args *a)
{
	uint64_t end = a->addr + a->len, pglen = a->len >> MM_PAGE_SHIFT, old, old_acct;
	struct vma *first, *v, *next;
	struct mm_file *f;
	int err;

	err = mm_unmap_prepare(mm, a->addr, end, &first, &next);
	if (err)
		return err;
	mm_unmap_count(first, end, &old, &old_acct);
	if (!mm_may_expand_vm(mm, a->vm_flags, pglen - old))
		return -ENOMEM;
	if (accountable(a->vm_flags) && !a->hugetlb) {
		if (!mm_vm_enough_memory(mm, pglen - old_acct))
			return -ENOMEM;
		a->vm_flags |= VM_ACCOUNT;
	}
	/*
	 * shmem_zero_setup() -> shmem_acct_size(): a shared anonymous object (MAP_ANONYMOUS, or
	 * /dev/zero through a writable open) is charged whole.
	 */
	if ((!a->file || a->file->kind == MM_FILE_DEVZERO) && !a->hugetlb &&
	    (a->vm_flags & VM_SHARED) && !(a->vm_flags & VM_NORESERVE) &&
	    !mm_vm_enough_memory(mm, pglen))
		return -ENOMEM;
	if (a->mmap_hook)
		return a->mmap_hook;
	err = region_alloc(mm, a, &v, &f);
	if (err)
		return err;
	mm_unmap_commit(mm, first, end);
	region_place(mm, a, v, f, next);
	mm_stat_account(mm, a->vm_flags, (int64_t)pglen);
	if (a->vm_flags & VM_LOCKED)
		mm->locked_vm += pglen;
	return 0;
}

/*
 * The placement a file's get_unmapped_area gives: shmem_get_unmapped_area() for tmpfs and a
 * shared /dev/zero (shmem underneath), thp_get_unmapped_area() for disk files and a private
 * /dev/zero (drivers/char/mem.c: get_unmapped_area_zero()).
 */
static enum area_kind
file_area(const struct mmap_args *a)
{
	uint32_t type = a->flags & MM_MAP_TYPE;
	bool shared = type == MM_MAP_SHARED || type == MM_MAP_SHARED_VALIDATE;

	if (a->file->kind == MM_FILE_TMPFS || (a->file->kind == MM_FILE_DEVZERO && shared))
		return AREA_SHMEM;
	return AREA_FILE;
}

/* round_hint_to_min(): a non-zero hint below mmap_min_addr moves up to it. */
static uint64_t
round_hint(const struct mm *mm, uint64_t hint)
{
	hint &= MM_PAGE_MASK;
	if (hint && hint < mm->mmap_min_addr)
		return MM_PAGE_ALIGN(mm->mmap_min_addr);
	return hint;
}

/* do_mmap() up to the point where the mapping is made. */
static int
do_mmap(struct mm *mm, struct mmap_args *a)
{
	bool has_file = a->file || a->hugetlb;
	enum area_kind kind = a->hugetlb ? AREA_HUGETLB : a->file ? file_area(a) : AREA_ANON;
	int err;

	if (!a->len)
		return -EINVAL;
	if ((a->prot & MM_PROT_READ) && (mm->personality & MM_PER_READ_IMPLIES_EXEC) &&
	    !(a->file && a->file->noexec))
		a->prot |= MM_PROT_EXEC;
	if (a->flags & MM_MAP_FIXED_NOREPLACE)
		a->flags |= MM_MAP_FIXED;
	if (!(a->flags & MM_MAP_FIXED))
		a->addr = round_hint(mm, a->addr);
	if (a->len + MM_PAGE_SIZE - 1 < a->len)
		return -ENOMEM;
	a->len = MM_PAGE_ALIGN(a->len);
	if (a->pgoff + (a->len >> MM_PAGE_SHIFT) < a->pgoff)
		return -EOVERFLOW;
	if (mm_map_full(mm, mm->map_count > mm->max_map_count))
		return -ENOMEM;
	a->vm_flags = prot_to_vm(a->prot) | pkeys_vm_bits(pkeys_mmap_key(mm, a->prot)) |
		      flags_to_vm(mm, a->flags) | mm->def_flags | VM_MAYREAD | VM_MAYWRITE |
		      VM_MAYEXEC;
	err = mm_get_unmapped_area(mm, kind, a->addr, a->len, a->pgoff, a->flags, &a->addr);
	if (err)
		return err;
	if ((a->flags & MM_MAP_FIXED_NOREPLACE) &&
	    mm_find_intersection(mm, a->addr, a->addr + a->len))
		return -EEXIST;
	if ((a->flags & MM_MAP_LOCKED) && !mm_can_do_mlock(mm))
		return -EPERM;
	if (!mm_mlock_future_ok(mm, a->vm_flags, a->len))
		return -EAGAIN;
	err = has_file ? check_file(a) : check_anon(a);
	if (err)
		return err;
	if ((a->flags & MM_MAP_NORESERVE) && !mm->overcommit_never)
		a->vm_flags |= VM_NORESERVE;
	return mmap_region(mm, a);
}

/* ksys_mmap_pgoff() for anonymous MAP_HUGETLB: the huge page size and the rounded length. */
static int
hugetlb_len(uint32_t flags, uint64_t *len)
{
	unsigned log = (flags >> MM_MAP_HUGE_SHIFT) & MM_MAP_HUGE_MASK;
	uint64_t size;

	if (log != 0 && log != 21 && log != 30)
		return -EINVAL;
	size = log == 30 ? 1ULL << 30 : MM_PMD_SIZE;
	*len = (*len + size - 1) & ~(size - 1);
	return 0;
}

int
mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
	const struct mm_file_desc *file, uint64_t offset, uint64_t *out_addr)
{
	struct mmap_args a = { .addr = addr, .len = len, .prot = prot, .flags = flags };
	struct mm_file_desc resolved;
	int err;

	if (offset & ~MM_PAGE_MASK)
		return -EINVAL;
	a.pgoff = offset >> MM_PAGE_SHIFT;
	if (!(flags & MM_MAP_ANONYMOUS)) {
		if (!file)
			return -EBADF;
		err = mm_file_resolve(mm, file, &resolved);
		if (err)
			return err;
		if (flags & MM_MAP_HUGETLB)
			return -EINVAL;
		a.file = &resolved;
	} else if (flags & MM_MAP_HUGETLB) {
		err = hugetlb_len(flags, &a.len);
		if (err)
			return err;
		a.hugetlb = true;
	}
	err = do_mmap(mm, &a);
	if (!err) {
		*out_addr = a.addr;
		if ((a.vm_flags & VM_LOCKED) ||
		    (flags & (MM_MAP_POPULATE | MM_MAP_NONBLOCK)) == MM_MAP_POPULATE)
			mm_populate_range(mm, a.addr, a.len, true);
	}
	MM_CHECK(mm);
	return err;
}
