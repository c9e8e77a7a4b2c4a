/* SPDX-License-Identifier: MIT */
/*
 * Mapped-file objects.  Linux merges file mappings only when they share a struct file, so
 * the engine keeps one object per distinct description (path, open instance, mode, device,
 * inode, size, flags) per mm, and one object per shared anonymous mmap.
 */
#include <stdlib.h>
#include <string.h>

#include "mm_internal.h"

static bool
file_matches(const struct mm_file *f, const struct mm_file_desc *d)
{
	return f->instance == d->instance && f->mode == d->mode && f->ino == d->ino &&
	       f->dev_major == d->dev_major && f->dev_minor == d->dev_minor && f->size == d->size &&
	       f->noexec == d->noexec && f->deleted == d->deleted && strcmp(f->path, d->path) == 0;
}

static struct mm_file *
file_alloc(const char *path)
{
	size_t n = strlen(path) + 1;
	struct mm_file *f = calloc(1, sizeof(*f) + n);

	if (!f)
		return NULL;
	memcpy(f->path, path, n);
	f->refs = 1;
	f->slot = MM_FILE_NOSLOT;
	return f;
}

static int
files_add(struct mm *mm, struct mm_file *f)
{
	if (mm->nfiles == mm->files_cap) {
		uint32_t cap = mm->files_cap ? mm->files_cap * 2 : 8;
		struct mm_file **n = realloc(mm->files, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		mm->files = n;
		mm->files_cap = cap;
	}
	f->slot = mm->nfiles;
	mm->files[mm->nfiles++] = f;
	return 0;
}

int
mm_file_intern(struct mm *mm, const struct mm_file_desc *d, struct mm_file **out)
{
	struct mm_file *f;

	for (uint32_t i = 0; i < mm->nfiles; i++) {
		if (file_matches(mm->files[i], d)) {
			mm_file_get(mm->files[i]);
			*out = mm->files[i];
			return 0;
		}
	}
	f = file_alloc(d->path ? d->path : "");
	if (!f)
		return -ENOMEM;
	f->instance = d->instance;
	f->mode = d->mode;
	f->dev_major = d->dev_major;
	f->dev_minor = d->dev_minor;
	f->ino = d->ino;
	f->size = d->size;
	f->noexec = d->noexec;
	f->deleted = d->deleted;
	if (files_add(mm, f) < 0) {
		free(f);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

/*
 * The file a shared anonymous mapping gets: "/dev/zero", unlinked, on the shmem device,
 * as large as the mapping (accesses beyond its size raise SIGBUS, as after mremap growth).
 * An imported shmem mapping (d != NULL) keeps the name, device and inode it was shown with.
 */
int
mm_file_new_shmem(struct mm *mm, const struct mm_file_desc *d, uint64_t size, struct mm_file **out)
{
	struct mm_file *f = file_alloc(d && d->path ? d->path : "/dev/zero");

	if (!f)
		return -ENOMEM;
	f->shmem = true;
	f->deleted = d ? d->deleted : true;
	f->mode = MM_FMODE_READ | MM_FMODE_WRITE;
	f->dev_major = d ? d->dev_major : 0;
	f->dev_minor = d ? d->dev_minor : 1;
	f->ino = d ? d->ino : ++mm->next_shmem_ino;
	f->size = size;
	*out = f;
	return 0;
}

void
mm_file_get(struct mm_file *f)
{
	f->refs++;
}

void
mm_file_put(struct mm *mm, struct mm_file *f)
{
	if (!f || --f->refs)
		return;
	if (f->slot != MM_FILE_NOSLOT) {
		struct mm_file *last = mm->files[--mm->nfiles];

		mm->files[f->slot] = last;
		last->slot = f->slot;
	}
	pages_free(f->pages);
	free(f);
}

void
mm_files_release(struct mm *mm)
{
	free(mm->files);
	mm->files = NULL;
	mm->nfiles = mm->files_cap = 0;
}

/* The child's object for f (one per parent object), taking a reference for the caller. */
int
mm_file_fork_copy(struct mm *child, struct mm_file *f, struct mm_file **out)
{
	struct mm_file *c = f->fork_copy;

	if (c) {
		mm_file_get(c);
		*out = c;
		return 0;
	}
	c = file_alloc(f->path);
	if (!c)
		return -ENOMEM;
	c->shmem = f->shmem;
	c->noexec = f->noexec;
	c->deleted = f->deleted;
	c->mode = f->mode;
	c->dev_major = f->dev_major;
	c->dev_minor = f->dev_minor;
	c->ino = f->ino;
	c->instance = f->instance;
	c->size = f->size;
	if (pages_union(f->pages, NULL, &c->pages) < 0 || (!f->shmem && files_add(child, c) < 0)) {
		pages_free(c->pages);
		free(c);
		return -ENOMEM;
	}
	f->fork_copy = c;
	*out = c;
	return 0;
}
