/* SPDX-License-Identifier: MIT */
#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 0x40000000ULL
#define PAGE   4096ULL

static const struct vmac_file remote_files[] = {
	{ .path = "/lib/a.so", .ino = 11, .size = 64 * PAGE, .size_known = true },
	{ .path = "/data/b",
	  .instance = 1,
	  .mode = 1,
	  .ino = 12,
	  .size = 8 * PAGE,
	  .size_known = true },
};

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

void
dop_random(struct dop *op, uint64_t *s)
{
	static const int advice[] = { MM_MADV_DONTNEED, MM_MADV_DONTFORK, MM_MADV_DOFORK,
				      MM_MADV_WIPEONFORK, MM_MADV_HUGEPAGE };
	uint64_t k = rnd(s) % 40;

	memset(op, 0, sizeof(*op));
	op->kind = k < 10   ? DOP_MMAP
		   : k < 38 ? (enum dop_kind)(1 + k % 9)
			    : (enum dop_kind)(k - 28);
	op->addr = WINDOW + (rnd(s) % 512) * PAGE;
	op->addr2 = WINDOW + (rnd(s) % 512) * PAGE;
	op->len = (1 + rnd(s) % 16) * PAGE;
	op->len2 = (1 + rnd(s) % 16) * PAGE;
	op->prot = (uint32_t)(rnd(s) % 4);
	op->file = rnd(s) % 3 == 0 ? (int)(rnd(s) % 2) : -1;
	op->flags = (uint32_t)(rnd(s) % 2 ? MM_MAP_PRIVATE : MM_MAP_SHARED);
	op->flags |= op->file < 0 ? MM_MAP_ANONYMOUS : 0;
	op->flags |= rnd(s) % 2 ? MM_MAP_FIXED : 0;
	if (op->kind == DOP_MREMAP)
		op->flags = (uint32_t)(rnd(s) % 4);
	op->advice = advice[rnd(s) % 5];
}

static void
local_file(int i, struct mm_file_desc *d)
{
	const struct vmac_file *f = &remote_files[i];

	memset(d, 0, sizeof(*d));
	d->path = f->path;
	d->instance = f->instance;
	d->mode = f->mode ? f->mode : MM_FMODE_READ | MM_FMODE_WRITE;
	d->ino = f->ino;
	d->size = f->size;
}

static int64_t
addr_or_err(int r, uint64_t addr)
{
	return r < 0 ? r : (int64_t)addr;
}

static int64_t
remote_mem(struct vmac_conn *c, const char *n, const struct dop *op)
{
	const struct vmac_file *f = op->file >= 0 ? &remote_files[op->file] : NULL;
	enum vmac_fault_result fr = VMAC_FAULT_OK;
	uint64_t out = 0;
	int r;

	switch (op->kind) {
	case DOP_MMAP:
		r = vmac_mmap(c, n, op->addr, op->len, op->prot, op->flags, f, 0, &out);
		return addr_or_err(r, out);
	case DOP_MUNMAP:
		return vmac_munmap(c, n, op->addr, op->len);
	case DOP_MPROTECT:
		return vmac_mprotect(c, n, op->addr, op->len, op->prot);
	case DOP_MREMAP:
		r = vmac_mremap(c, n, op->addr, op->len, op->len2, op->flags, op->addr2, &out);
		return addr_or_err(r, out);
	case DOP_BRK:
		r = vmac_brk(c, n, 0x555555560000ULL + op->len * 4, &out);
		return addr_or_err(r, out);
	case DOP_FAULT:
		r = vmac_fault(c, n, op->addr, (enum vmac_access)(op->prot % 2), &fr);
		return r < 0 ? r : (int64_t)fr;
	case DOP_POPULATE:
		return vmac_populate(c, n, op->addr, op->len, op->prot & 1);
	case DOP_MADVISE:
		return vmac_madvise(c, n, op->addr, op->len, op->advice);
	case DOP_MLOCK:
		return vmac_mlock(c, n, op->addr, op->len);
	default:
		return vmac_munlock(c, n, op->addr, op->len);
	}
}

int64_t
dop_remote(struct vmac_conn *c, const struct model *m, const struct dop *op, bool *lost)
{
	int64_t r;

	if (op->kind == DOP_FORK)
		r = vmac_fork(c, m->name, m->fork_name);
	else if (op->kind == DOP_DESTROY)
		r = vmac_destroy(c, m->fork_name);
	else
		r = remote_mem(c, m->name, op);
	*lost = vmac_conn_error(c) != 0;
	return r;
}

static int64_t
local_mem(struct mm *mm, const struct dop *op)
{
	struct mm_file_desc fd;
	enum mm_fault_result fr = MM_FAULT_OK;
	uint64_t out = 0;
	int r;

	switch (op->kind) {
	case DOP_MMAP:
		if (op->file >= 0)
			local_file(op->file, &fd);
		r = mm_mmap(mm, op->addr, op->len, op->prot, op->flags, op->file >= 0 ? &fd : NULL,
			    0, &out);
		return addr_or_err(r, out);
	case DOP_MUNMAP:
		return mm_munmap(mm, op->addr, op->len);
	case DOP_MPROTECT:
		return mm_mprotect(mm, op->addr, op->len, op->prot);
	case DOP_MREMAP:
		r = mm_mremap(mm, op->addr, op->len, op->len2, op->flags, op->addr2, &out);
		return addr_or_err(r, out);
	case DOP_BRK:
		return (int64_t)mm_brk(mm, 0x555555560000ULL + op->len * 4);
	case DOP_FAULT:
		r = mm_fault(mm, op->addr, (enum mm_access)(op->prot % 2), &fr);
		return r < 0 ? r : (int64_t)fr;
	case DOP_POPULATE:
		return mm_populate(mm, op->addr, op->len, op->prot & 1);
	case DOP_MADVISE:
		return mm_madvise(mm, op->addr, op->len, op->advice);
	case DOP_MLOCK:
		return mm_mlock(mm, op->addr, op->len, 0);
	default:
		return mm_munlock(mm, op->addr, op->len);
	}
}

int64_t
dop_local(struct model *m, const struct dop *op)
{
	int r;

	if (op->kind == DOP_FORK) {
		if (m->fork)
			return -EEXIST;
		r = mm_fork(m->mm, &m->fork);
		return r;
	}
	if (op->kind == DOP_DESTROY) {
		if (!m->fork)
			return -ENOENT;
		mm_destroy(m->fork);
		m->fork = NULL;
		return 0;
	}
	return local_mem(m->mm, op);
}

static struct mm *
mm_copy(const struct mm *mm)
{
	struct mm_sbuf b = { 0 };
	struct mm *out = NULL;
	char msg[256];

	if (mm_save(mm, &b) == 0 && mm_load(b.data, b.len, NULL, &out, msg, sizeof(msg)) < 0)
		fprintf(stderr, "# model copy: %s\n", msg);
	mm_sbuf_free(&b);
	return out;
}

static void
model_names(struct model *m, const char *name)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->fork_name, sizeof(m->fork_name), "%s.f", name);
}

int
model_init(struct model *m, struct vmac_conn *c, const char *name)
{
	struct vmac_create_opts o;
	void *data = NULL;
	size_t len = 0;
	char msg[256];
	int r;

	model_names(m, name);
	vmac_create_opts_init(&o);
	o.with_stack = true;
	r = vmac_create(c, name, &o);
	if (r == 0)
		r = vmac_save(c, name, &data, &len);
	if (r == 0)
		r = mm_load(data, len, NULL, &m->mm, msg, sizeof(msg));
	free(data);
	return r;
}

void
model_fini(struct model *m)
{
	mm_destroy(m->mm);
	mm_destroy(m->fork);
	m->mm = m->fork = NULL;
}

int
model_clone(const struct model *m, struct model *out)
{
	model_names(out, m->name);
	out->mm = mm_copy(m->mm);
	out->fork = m->fork ? mm_copy(m->fork) : NULL;
	if (!out->mm || (m->fork && !out->fork)) {
		model_fini(out);
		return -ENOMEM;
	}
	return 0;
}

static bool
space_matches(struct vmac_conn *c, const char *name, const struct mm *mm)
{
	struct mm_sbuf b = { 0 };
	void *data = NULL;
	size_t len = 0;
	int r = vmac_save(c, name, &data, &len);
	bool same;

	if (!mm) {
		free(data);
		return r == -ENOENT;
	}
	if (r < 0 || mm_save(mm, &b) < 0) {
		free(data);
		return false;
	}
	same = b.len == len && memcmp(b.data, data, len) == 0;
	mm_sbuf_free(&b);
	free(data);
	return same;
}

bool
model_matches(const struct model *m, struct vmac_conn *c)
{
	return space_matches(c, m->name, m->mm) && space_matches(c, m->fork_name, m->fork);
}
