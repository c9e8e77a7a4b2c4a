/* SPDX-License-Identifier: MIT */
/*
 * Mapped-file objects, the engine's struct file + inode.  Linux merges file mappings only when
 * they share a struct file, so the engine keeps one object per open file description: one per
 * mm_file_open() registration, one per distinct inline description (path, open instance,
 * mode, device, inode, mount flag, kind: the size and the unlinked mark are the file's state,
 * not its identity), and one per shared anonymous or /dev/zero mmap.
 */
#include <stdlib.h>
#include <string.h>

#include "mm_internal.h"

static bool
file_matches(const struct mm_file *f, const struct mm_file_desc *d)
{
	return !f->id && f->instance == d->instance && f->mode == d->mode && f->ino == d->ino &&
	       f->dev_major == d->dev_major && f->dev_minor == d->dev_minor &&
	       f->noexec == d->noexec && f->kind == d->kind && strcmp(f->path, d->path) == 0;
}

static bool
desc_valid(const struct mm_file_desc *d)
{
	return d->path && d->kind <= MM_FILE_DEVZERO && d->mode &&
	       !(d->mode & ~(MM_FMODE_READ | MM_FMODE_WRITE));
}

/* The registered, still open file with this id, or NULL. */
static struct mm_file *
file_by_id(const struct mm *mm, uint64_t id)
{
	for (uint32_t i = 0; id && i < mm->nfiles; i++) {
		if (mm->files[i]->id == id && mm->files[i]->open)
			return mm->files[i];
	}
	return NULL;
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

/* A new object for d in the file table, holding one reference. */
static int
file_create(struct mm *mm, const struct mm_file_desc *d, struct mm_file **out)
{
	struct mm_file *f = file_alloc(d->path ? d->path : "");

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
	f->kind = d->kind;
	f->shmem = d->kind == MM_FILE_TMPFS;
	if (files_add(mm, f) < 0) {
		free(f);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

/* The maps name of every VMA of f follows its unlinked mark (" (deleted)"). */
static void
file_set_deleted(struct mm *mm, struct mm_file *f, bool deleted)
{
	if (f->deleted != deleted)
		mm_changed_all(mm);
	f->deleted = deleted;
}

/*
 * The object an mmap of d maps, with a reference for the caller: the registered file d->id
 * names (-EBADF if none), else the interned one for the description, whose size and unlinked
 * mark follow d (the file as the caller sees it now).
 */
int
mm_file_intern(struct mm *mm, const struct mm_file_desc *d, struct mm_file **out)
{
	struct mm_file *f = d->id ? file_by_id(mm, d->id) : NULL;

	if (d->id && !f)
		return -EBADF;
	for (uint32_t i = 0; !f && i < mm->nfiles; i++) {
		if (file_matches(mm->files[i], d)) {
			f = mm->files[i];
			f->size = d->size;
			file_set_deleted(mm, f, d->deleted);
		}
	}
	if (!f)
		return file_create(mm, d, out);
	mm_file_get(f);
	*out = f;
	return 0;
}

/* d with a registered file's fields filled in from the object; -EBADF for an unknown id. */
int
mm_file_resolve(const struct mm *mm, const struct mm_file_desc *d, struct mm_file_desc *out)
{
	const struct mm_file *f = d->id ? file_by_id(mm, d->id) : NULL;

	*out = *d;
	if (!d->id)
		return d->kind <= MM_FILE_DEVZERO ? 0 : -EINVAL;
	if (!f)
		return -EBADF;
	*out = (struct mm_file_desc){
		.path = f->path,
		.instance = f->instance,
		.mode = f->mode,
		.dev_major = f->dev_major,
		.dev_minor = f->dev_minor,
		.ino = f->ino,
		.size = f->size,
		.noexec = f->noexec,
		.deleted = f->deleted,
		.kind = f->kind,
		.id = f->id,
	};
	return 0;
}

int
mm_file_open(struct mm *mm, const struct mm_file_desc *d, uint64_t *id)
{
	struct mm_file *f;
	int err;

	if (!d || d->id || !desc_valid(d) || !id)
		return -EINVAL;
	err = file_create(mm, d, &f);
	if (err)
		return err;
	f->id = ++mm->next_file_id;
	f->open = true;
	*id = f->id;
	return 0;
}

/*
 * truncate_pagecache(): every page at or beyond the new end leaves every mapping of the file,
 * private copies included (unmap_mapping_range() with even_cows), and a shmem file's own.
 */
static int
file_drop_beyond(struct mm *mm, struct mm_file *f, uint64_t size)
{
	uint64_t eof = (size + MM_PAGE_SIZE - 1) >> MM_PAGE_SHIFT;
	int64_t delta[PAGE_KINDS] = { 0, 0, 0 };
	int err = 0;

	for (struct vma *v = mm->first; v && !err; v = v->next) {
		uint64_t first = eof > v->pgoff ? eof - v->pgoff : 0;

		if (v->file == f && first < vma_pages_count(v))
			err = vma_zap_pages(mm, v, v->start + (first << MM_PAGE_SHIFT), v->end);
	}
	if (!err && f->pages && eof < UINT64_MAX >> MM_PAGE_SHIFT)
		err = pages_reserve(&f->pages, 1);
	if (!err && f->pages)
		pages_clear(&f->pages, eof, (UINT64_MAX >> MM_PAGE_SHIFT) - eof, delta);
	return err;
}

int
mm_file_set_size(struct mm *mm, uint64_t id, uint64_t size)
{
	struct mm_file *f = file_by_id(mm, id);
	int err = 0;

	if (!f)
		return -EBADF;
	if (size == MM_FILE_SIZE_UNKNOWN)
		return -EINVAL;
	if (f->size == MM_FILE_SIZE_UNKNOWN || size < f->size)
		err = file_drop_beyond(mm, f, size);
	if (!err)
		f->size = size;
	MM_CHECK(mm);
	return err;
}

int
mm_file_unlink(struct mm *mm, uint64_t id)
{
	struct mm_file *f = file_by_id(mm, id);

	if (!f)
		return -EBADF;
	file_set_deleted(mm, f, true);
	return 0;
}

int
mm_file_close(struct mm *mm, uint64_t id)
{
	struct mm_file *f = file_by_id(mm, id);

	if (!f)
		return -EBADF;
	f->open = false;
	mm_file_put(mm, f);
	MM_CHECK(mm);
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
	f->kind = MM_FILE_TMPFS;
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
	/*
	 * Registered files still open hold a reference of their own.  Going down, a put moves
	 * the last entry, already seen, into the freed slot.
	 */
	for (uint32_t i = mm->nfiles; i-- > 0;) {
		if (i < mm->nfiles && mm->files[i]->open) {
			mm->files[i]->open = false;
			mm_file_put(mm, mm->files[i]);
		}
	}
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
	c->kind = f->kind;
	c->id = f->id;
	c->open = f->open;
	c->refs += f->open;
	if (pages_union(f->pages, NULL, &c->pages) < 0 ||
	    (f->slot != MM_FILE_NOSLOT && files_add(child, c) < 0)) {
		pages_free(c->pages);
		free(c);
		return -ENOMEM;
	}
	f->fork_copy = c;
	*out = c;
	return 0;
}
