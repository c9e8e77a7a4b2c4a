/* SPDX-License-Identifier: MIT */
/*
 * Memory protection keys, x86 (mm/mprotect.c: sys_pkey_alloc(), sys_pkey_free(),
 * do_mprotect_pkey(); arch/x86/include/asm/pkeys.h: mm_pkey_alloc(), mm_pkey_free(),
 * mm_pkey_is_allocated(), arch_override_mprotect_pkey(); arch/x86/mm/pkeys.c:
 * __execute_only_pkey(), __arch_override_mprotect_pkey()).
 *
 * Without PKU (X86_FEATURE_OSPKE off) arch_max_pkey() is 1 and init_new_context() leaves the
 * allocation map and the execute-only key at 0: pkey_alloc() takes key 0, fails to set its
 * rights (arch_set_user_pkey_access(): -EINVAL), and cannot give it back because key 0 is
 * then "the execute-only key", which mm_pkey_is_allocated() never reports.
 */
#include "mm_internal.h"

#define PKEY_ACCESS_MASK (MM_PKEY_DISABLE_ACCESS | MM_PKEY_DISABLE_WRITE)

static bool
pku(const struct mm *mm)
{
	return (mm->features & MM_FEAT_PKU) != 0;
}

/* arch_max_pkey(). */
static int
max_pkey(const struct mm *mm)
{
	return pku(mm) ? MM_PKEYS_PKU : 1;
}

/* init_new_context(): with OSPKE key 0 is allocated and no execute-only key is chosen yet. */
void
pkeys_init(struct mm *mm)
{
	mm->pkey_map = pku(mm) ? 1 : 0;
	mm->execute_only_pkey = pku(mm) ? -1 : 0;
}

/* What a loaded mm may hold. */
bool
pkeys_valid(const struct mm *mm)
{
	return mm->pkey_map < (1ULL << max_pkey(mm)) && mm->execute_only_pkey >= -1 &&
	       mm->execute_only_pkey < max_pkey(mm);
}

int
vma_pkey(const struct vma *v)
{
	return (int)((v->flags & VM_PKEY_MASK) >> VM_PKEY_SHIFT);
}

/* arch_calc_vm_prot_bits(). */
uint64_t
pkeys_vm_bits(int pkey)
{
	return ((uint64_t)pkey << VM_PKEY_SHIFT) & VM_PKEY_MASK;
}

bool
pkeys_is_allocated(const struct mm *mm, int pkey)
{
	if (pkey < 0 || pkey >= max_pkey(mm))
		return false;
	/* The execute-only key is in the map but no user interface may name it. */
	if (pkey == mm->execute_only_pkey)
		return false;
	return (mm->pkey_map >> pkey) & 1;
}

/* mm_pkey_alloc(): the lowest free key, or -1. */
static int
alloc_key(struct mm *mm)
{
	uint64_t all = (1ULL << max_pkey(mm)) - 1;
	int k = 0;

	if (mm->pkey_map == all)
		return -1;
	while ((mm->pkey_map >> k) & 1)
		k++;
	mm->pkey_map |= 1ULL << k;
	return k;
}

static void
free_key(struct mm *mm, int pkey)
{
	mm->pkey_map &= ~(1ULL << pkey);
}

int
mm_pkey_alloc(struct mm *mm, uint32_t flags, uint32_t init_val, int *pkey)
{
	int k;

	if (flags || (init_val & ~PKEY_ACCESS_MASK))
		return -EINVAL;
	k = alloc_key(mm);
	if (k < 0)
		return -ENOSPC;
	if (!pku(mm)) {
		/* arch_set_user_pkey_access() failed; mm_pkey_free() refuses the key back. */
		if (pkeys_is_allocated(mm, k))
			free_key(mm, k);
		return -EINVAL;
	}
	*pkey = k;
	return 0;
}

int
mm_pkey_free(struct mm *mm, int pkey)
{
	if (!pkeys_is_allocated(mm, pkey))
		return -EINVAL;
	free_key(mm, pkey);
	return 0;
}

/*
 * execute_only_pkey(): the mm's execute-only key, allocated on first use; -1 when none is
 * left.  The PKRU write that denies reading through it is per thread and not modelled.
 */
static int
execute_only_pkey(struct mm *mm)
{
	int k;

	if (!pku(mm))
		return 0;
	if (mm->execute_only_pkey != -1)
		return (int)mm->execute_only_pkey;
	k = alloc_key(mm);
	if (k < 0)
		return -1;
	mm->execute_only_pkey = k;
	return k;
}

/* do_mmap(): a PROT_EXEC-only mapping gets the execute-only key. */
int
pkeys_mmap_key(struct mm *mm, uint32_t prot)
{
	int k;

	if (prot != MM_PROT_EXEC)
		return 0;
	k = execute_only_pkey(mm);
	return k < 0 ? 0 : k;
}

/* vma_is_pkey_exec_only(). */
static bool
exec_only_vma(const struct mm *mm, const struct vma *v)
{
	return (v->flags & VM_ACCESS_FLAGS) == VM_EXEC && vma_pkey(v) == mm->execute_only_pkey;
}

/* arch_override_mprotect_pkey(): the key v gets from mprotect(prot) or pkey_mprotect(pkey). */
int
pkeys_mprotect_key(struct mm *mm, const struct vma *v, uint32_t prot, int pkey)
{
	int k;

	if (!pku(mm))
		return 0;
	if (pkey != -1)
		return pkey;
	if (prot == MM_PROT_EXEC) {
		k = execute_only_pkey(mm);
		if (k > 0)
			return k;
	} else if (exec_only_vma(mm, v)) {
		return 0;
	}
	return vma_pkey(v);
}
