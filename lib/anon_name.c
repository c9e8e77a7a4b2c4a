/* SPDX-License-Identifier: MIT */
/*
 * Anonymous VMA names: prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME) as kernel/sys.c:
 * prctl_set_vma() checks the name and mm/madvise.c: madvise_set_anon_name() applies it
 * (madvise_walk_vmas(), madvise_vma_behavior(), madvise_update_vma()), with the names kept
 * as include/linux/mm_inline.h: anon_vma_name_eq() compares them.
 */
#include <stdlib.h>
#include <string.h>

#include "mm_internal.h"

/* kernel/sys.c: ANON_VMA_NAME_INVALID_CHARS */
#define INVALID_CHARS "\\`$[]"

struct mm_anon_name *
anon_name_new(const char *name, size_t len)
{
	struct mm_anon_name *n = malloc(sizeof(*n) + len + 1);

	if (!n)
		return NULL;
	n->refs = 1;
	memcpy(n->name, name, len);
	n->name[len] = '\0';
	return n;
}

struct mm_anon_name *
anon_name_get(struct mm_anon_name *n)
{
	if (n)
		n->refs++;
	return n;
}

void
anon_name_put(struct mm_anon_name *n)
{
	if (n && !--n->refs)
		free(n);
}

bool
anon_name_eq(const struct mm_anon_name *a, const struct mm_anon_name *b)
{
	return a == b || (a && b && !strcmp(a->name, b->name));
}

/* is_valid_name_char() for every byte, and strndup_user()'s limit (the NUL included). */
bool
anon_name_valid(const char *name, size_t len)
{
	if (len >= MM_ANON_VMA_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (name[i] <= 0x1f || name[i] >= 0x7f || strchr(INVALID_CHARS, name[i]))
			return false;
	return true;
}

/* madvise_vma_behavior() for the name, and madvise_update_vma(); *prev is left at the VMA. */
static int
name_vma(struct mm *mm, struct vma *v, struct vma **prev, uint64_t start, uint64_t end, void *arg)
{
	struct mm_anon_name *name = arg;
	struct vma *res;
	int err;

	*prev = v;
	/*
	 * Only anonymous mappings can be named: private anonymous memory (a private /dev/zero
	 * mapping has the file and is refused) and shared anonymous memory (vma_is_anon_shmem(),
	 * the shmem objects no open file names).
	 */
	if (v->file && !(v->file->shmem && v->file->slot == MM_FILE_NOSLOT))
		return -EBADF;
	if (anon_name_eq(v->anon_name, name))
		return 0;
	res = vma_modify_name(mm, start > v->start ? v : v->prev, v, start, end, name, &err);
	if (!res)
		return err == -ENOMEM ? -EAGAIN : err;
	*prev = res;
	return 0;
}

/* madvise_set_anon_name(): madvise's checks of the range, then its walk. */
static int
set_name(struct mm *mm, uint64_t start, uint64_t len_in, struct mm_anon_name *name)
{
	uint64_t end;

	if (madvise_range(start, len_in, &end) < 0)
		return -EINVAL;
	return end == start ? 0 : madvise_walk(mm, start, end, name_vma, name);
}

int
mm_set_vma_anon_name(struct mm *mm, uint64_t addr, uint64_t len, const char *name)
{
	struct mm_anon_name *n = NULL;
	size_t nlen = name ? strnlen(name, MM_ANON_VMA_NAME_MAX) : 0;
	int err;

	if (!(mm->features & MM_FEAT_ANON_VMA_NAME))
		return -EINVAL;
	if (name && !anon_name_valid(name, nlen))
		return -EINVAL;
	if (name && !(n = anon_name_new(name, nlen)))
		return -ENOMEM;
	err = set_name(mm, addr, len, n);
	anon_name_put(n);
	MM_CHECK(mm);
	return err;
}
