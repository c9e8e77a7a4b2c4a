/* SPDX-License-Identifier: MIT */
/*
 * mprotect(2) (mm/mprotect.c do_mprotect_pkey, mprotect_fixup).  VMAs are changed one after
 * another; a failure part-way leaves the earlier ones changed.
 */
#include "mm_internal.h"

#define PROT_ALLOWED (MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC | MM_PROT_SEM)

/* The VM_ACCOUNT and RLIMIT side of a protection change (before the VMA is touched). */
static int
account_change(struct mm *mm, const struct vma *v, uint64_t npages, uint64_t *newflags)
{
	uint64_t old = v->flags;

	if (*newflags & VM_WRITE) {
		if (!mm_may_expand_vm(mm, *newflags, npages) && mm_may_expand_vm(mm, old, npages))
			return -ENOMEM;
		if (!(old & (VM_ACCOUNT | VM_WRITE | VM_HUGETLB | VM_SHARED | VM_NORESERVE))) {
			if (!mm_vm_enough_memory(mm, npages))
				return -ENOMEM;
			*newflags |= VM_ACCOUNT;
		}
	} else if ((old & VM_ACCOUNT) && vma_is_anonymous(v) && !v->anon_vma) {
		*newflags &= ~VM_ACCOUNT;
	}
	return 0;
}

/* mprotect_fixup(): returns the VMA now holding [start, end) through *res. */
static int
fixup(struct mm *mm, struct vma *v, struct vma *prev, uint64_t start, uint64_t end,
      uint64_t newflags, struct vma **res)
{
	uint64_t old = v->flags, npages = (end - start) >> MM_PAGE_SHIFT;
	int err;

	*res = v;
	if (vma_is_sealed(v))
		return -EPERM;
	if (newflags == old)
		return 0;
	err = account_change(mm, v, npages, &newflags);
	if (err)
		return err;
	*res = vma_modify_flags(mm, prev, v, start, end, newflags, &err);
	if (!*res)
		return err;
	mm_stat_account(mm, old, -(int64_t)npages);
	mm_stat_account(mm, newflags, (int64_t)npages);
	/* A locked private VMA that becomes writable is populated (COW broken) at once. */
	if ((old & (VM_WRITE | VM_SHARED | VM_LOCKED)) == VM_LOCKED && (newflags & VM_WRITE))
		return mm_populate_range(mm, start, end - start, true);
	return 0;
}

/* The first VMA and the adjusted start, per the GROWSDOWN rules. */
static int
first_vma(struct mm *mm, uint64_t *start, uint64_t end, bool growsdown, struct vma **vp)
{
	struct vma *v = mm_find_intersection(mm, *start, end);

	if (!v)
		return -ENOMEM;
	if (growsdown) {
		*start = v->start;
		if (!(v->flags & VM_GROWSDOWN))
			return -EINVAL;
	} else if (v->start > *start) {
		return -ENOMEM;
	}
	*vp = v;
	return 0;
}

/* The access bits and the protection key change; every other flag stays. */
static uint64_t
new_flags(struct mm *mm, const struct vma *v, uint32_t prot, int pkey)
{
	if ((mm->personality & MM_PER_READ_IMPLIES_EXEC) && (prot & MM_PROT_READ) &&
	    (v->flags & VM_MAYEXEC))
		prot |= MM_PROT_EXEC;
	return (prot & VM_ACCESS_FLAGS) | pkeys_vm_bits(pkeys_mprotect_key(mm, v, prot, pkey)) |
	       (v->flags & ~(VM_ACCESS_FLAGS | VM_PKEY_MASK));
}

static int
apply(struct mm *mm, uint64_t start, uint64_t end, uint32_t prot, int pkey, bool growsdown)
{
	struct vma *v, *prev, *res;
	uint64_t nstart, tmp, newflags;
	int err = first_vma(mm, &start, end, growsdown, &v);

	if (err)
		return err;
	prev = start > v->start ? v : v->prev;
	nstart = start;
	tmp = v->start;
	for (; v && v->start < end; v = res->next) {
		if (v->start != tmp)
			return -ENOMEM;
		newflags = new_flags(mm, v, prot, pkey);
		/* Each requested access needs the matching MAY bit. */
		if ((newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS)
			return -EACCES;
		tmp = v->end < end ? v->end : end;
		err = fixup(mm, v, prev, nstart, tmp, newflags, &res);
		if (err)
			return err;
		mm_cache_put(mm, res, nstart);
		tmp = res->end;
		nstart = tmp;
		prev = res;
	}
	return tmp < end ? -ENOMEM : 0;
}

static int
do_mprotect(struct mm *mm, uint64_t start, uint64_t len, uint32_t prot, int pkey)
{
	uint32_t grows = prot & (MM_PROT_GROWSDOWN | MM_PROT_GROWSUP);
	uint64_t end;

	prot &= ~(MM_PROT_GROWSDOWN | MM_PROT_GROWSUP);
	if (grows == (MM_PROT_GROWSDOWN | MM_PROT_GROWSUP))
		return -EINVAL;
	if (start & ~MM_PAGE_MASK)
		return -EINVAL;
	if (!len)
		return 0;
	if (len + MM_PAGE_SIZE - 1 < len)
		return -ENOMEM;
	end = start + MM_PAGE_ALIGN(len);
	if (end <= start)
		return -ENOMEM;
	if (prot & ~PROT_ALLOWED)
		return -EINVAL;
	/* A key the caller did not allocate cannot be used. */
	if (pkey != -1 && !pkeys_is_allocated(mm, pkey))
		return -EINVAL;
	/* No VMA grows up on x86: PROT_GROWSUP finds nothing to extend. */
	if (grows == MM_PROT_GROWSUP) {
		struct vma *v = mm_find_intersection(mm, start, end);

		if (!v || v->start > start)
			return -ENOMEM;
		return -EINVAL;
	}
	return apply(mm, start, end, prot, pkey, grows == MM_PROT_GROWSDOWN);
}

int
mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot)
{
	int err = do_mprotect(mm, addr, len, prot, -1);

	MM_CHECK(mm);
	return err;
}

/* pkey_mprotect(2): do_mprotect_pkey() with a key. */
int
mm_pkey_mprotect(struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot, int pkey)
{
	int err = do_mprotect(mm, addr, len, prot, pkey);

	MM_CHECK(mm);
	return err;
}
