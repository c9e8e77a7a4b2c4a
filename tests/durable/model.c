/* SPDX-License-Identifier: MIT */
#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 0x40000000ULL
#define PAGE   4096ULL
/* Where the random brk requests put the break. */
#define BRK_BASE 0x555555560000ULL

static const char *const exec_argv[] = { "true", NULL };

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
	static const int advice[] = { MM_MADV_DONTNEED,   MM_MADV_DONTFORK, MM_MADV_DOFORK,
				      MM_MADV_WIPEONFORK, MM_MADV_HUGEPAGE, MM_MADV_GUARD_INSTALL };
	uint64_t k = rnd(s) % (40 + DOP_KINDS - DOP_MSEAL);

	memset(op, 0, sizeof(*op));
	op->kind = k < 10   ? DOP_MMAP
		   : k < 38 ? (enum dop_kind)(1 + k % 9)
			    : (enum dop_kind)(k - 28);
	op->fid = 1 + rnd(s) % 4;
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
	op->advice = advice[rnd(s) % (sizeof(advice) / sizeof(advice[0]))];
	if (op->kind == DOP_MSEAL)
		op->addr = WINDOW + (496 + rnd(s) % 16) * PAGE;
	if (op->kind == DOP_FILE_OPEN && op->file < 0)
		op->file = 0;
	if (op->kind == DOP_EXEC && rnd(s) % 4)
		op->kind = DOP_MMAP;
	if (op->kind == DOP_MMAP_FID)
		op->flags &= ~(uint32_t)MM_MAP_ANONYMOUS;
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
		r = vmac_brk(c, n, BRK_BASE + op->len * 4, &out);
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

static void
remote_info(const struct dop *op, struct vmac_file_info *fi)
{
	vmac_file_info_init(fi);
	if (op->kind == DOP_MMAP_FID) {
		fi->id = op->fid;
		return;
	}
	fi->path = remote_files[op->file].path;
	fi->instance = remote_files[op->file].instance;
	fi->mode = remote_files[op->file].mode;
	fi->ino = remote_files[op->file].ino;
	fi->size = remote_files[op->file].size;
	fi->size_known = true;
}

/* The requests beyond the memory calls: seals, the break's layout, open files, exec. */
static int64_t
remote_files_op(struct vmac_conn *c, const char *n, const struct dop *op)
{
	struct vmac_file_info fi;
	uint64_t out = 0;
	int r;

	switch (op->kind) {
	case DOP_MSEAL:
		return vmac_mseal(c, n, op->addr, op->len, 0);
	case DOP_SET_BRK:
		return vmac_set_brk(c, n, BRK_BASE + op->len2, BRK_BASE + op->len2 + op->len);
	case DOP_FILE_OPEN:
		remote_info(op, &fi);
		r = vmac_file_open(c, n, &fi, &out);
		return addr_or_err(r, out);
	case DOP_FILE_SET_SIZE:
		return vmac_file_set_size(c, n, op->fid, op->len2 * 3);
	case DOP_FILE_UNLINK:
		return vmac_file_unlink(c, n, op->fid);
	case DOP_FILE_CLOSE:
		return vmac_file_close(c, n, op->fid);
	case DOP_EXEC:
		return vmac_exec(c, n, EXEC_PROGRAM, exec_argv, NULL, NULL);
	case DOP_PKEY_MPROTECT:
		return vmac_pkey_mprotect(c, n, op->addr, op->len, op->prot, -1);
	case DOP_MLOCKALL:
		return op->prot ? vmac_mlockall(c, n, op->prot) : vmac_munlockall(c, n);
	default:
		remote_info(op, &fi);
		r = vmac_mmap_file(c, n, op->addr, op->len, op->prot, op->flags, &fi, 0, &out);
		return addr_or_err(r, out);
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
	else if (op->kind >= DOP_MSEAL)
		r = remote_files_op(c, m->name, op);
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
		return (int64_t)mm_brk(mm, BRK_BASE + op->len * 4);
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

/* As files_req.c does: the stack start stays. */
static int64_t
local_set_brk(struct mm *mm, uint64_t start_brk, uint64_t brk)
{
	struct mm_status st;

	mm_get_status(mm, &st);
	mm_set_layout(mm, start_brk, brk, st.start_stack);
	return 0;
}

static int64_t
local_files_op(struct mm *mm, const struct dop *op)
{
	struct mm_file_desc fd;
	uint64_t out = 0;
	int r;

	switch (op->kind) {
	case DOP_MSEAL:
		return mm_mseal(mm, op->addr, op->len, 0);
	case DOP_SET_BRK:
		return local_set_brk(mm, BRK_BASE + op->len2, BRK_BASE + op->len2 + op->len);
	case DOP_FILE_OPEN:
		local_file(op->file, &fd);
		r = mm_file_open(mm, &fd, &out);
		return addr_or_err(r, out);
	case DOP_FILE_SET_SIZE:
		return mm_file_set_size(mm, op->fid, op->len2 * 3);
	case DOP_FILE_UNLINK:
		return mm_file_unlink(mm, op->fid);
	case DOP_FILE_CLOSE:
		return mm_file_close(mm, op->fid);
	case DOP_PKEY_MPROTECT:
		return mm_pkey_mprotect(mm, op->addr, op->len, op->prot, -1);
	case DOP_MLOCKALL:
		return op->prot ? mm_mlockall(mm, op->prot) : mm_munlockall(mm);
	default:
		memset(&fd, 0, sizeof(fd));
		fd.id = op->fid;
		r = mm_mmap(mm, op->addr, op->len, op->prot, op->flags, &fd, 0, &out);
		return addr_or_err(r, out);
	}
}

/*
 * exec builds a new mm from the program's ELF headers, which the client library reads: the
 * model has the library's in-process engine do the same, under the model's own name (the
 * engine is shared by the threads), and takes its result.
 */
static int64_t
local_exec(struct model *m)
{
	struct vmac_conn *c = NULL;
	struct mm *mm = NULL;
	void *data = NULL;
	size_t len = 0;
	char msg[256];
	int r = vmac_open_local(&c);

	if (r == 0)
		r = vmac_exec(c, m->name, EXEC_PROGRAM, exec_argv, NULL, NULL);
	if (r == 0)
		r = vmac_save(c, m->name, &data, &len);
	if (r == 0)
		r = mm_load(data, len, NULL, &mm, msg, sizeof(msg));
	free(data);
	vmac_close(c);
	if (r < 0)
		return r;
	mm_destroy(m->mm);
	m->mm = mm;
	return 0;
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
	if (op->kind == DOP_EXEC)
		return local_exec(m);
	if (op->kind >= DOP_MSEAL)
		return local_files_op(m->mm, op);
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
