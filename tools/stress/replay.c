/* SPDX-License-Identifier: MIT */
/*
 * The replay: each client's sequence applied to the engine in-process, which gives the reply
 * and the layout the daemon must show.  It is the only module that sees the engine, so that it
 * can become a local libvmaclient connection without touching the rest of the tool.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm.h"
#include "stress.h"

_Static_assert(VMAC_FOUND_VMA == 1 && VMAC_FOUND_PREV == 2, "find mask");
_Static_assert((int)MM_FAULT_SIGBUS == (int)VMAC_FAULT_SIGBUS, "fault results");
_Static_assert((int)MM_ACCESS_EXEC == (int)VMAC_ACCESS_EXEC, "access kinds");

struct replay {
	struct mm *mm;
};

/* The daemon's create with the fields a target sets (daemon/dispatch.c: create_config()). */
int
replay_open(const struct st_target *t, struct replay **out)
{
	struct replay *r = calloc(1, sizeof(*r));
	struct mm_config cfg;
	int rc;

	if (!r)
		return -ENOMEM;
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.with_stack = t->with_stack;
	cfg.rlimit_memlock = t->rlimit_memlock;
	rc = mm_create(&cfg, &r->mm);
	if (rc < 0) {
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void
replay_close(struct replay *r)
{
	if (!r)
		return;
	mm_destroy(r->mm);
	free(r);
}

static void
replay_file(int i, struct mm_file_desc *d)
{
	const struct vmac_file *f = &st_files[i];

	*d = (struct mm_file_desc){
		.path = f->path,
		.instance = f->instance,
		.mode = f->mode ? f->mode : MM_FMODE_READ | MM_FMODE_WRITE,
		.dev_major = f->dev_major,
		.dev_minor = f->dev_minor,
		.ino = f->ino,
		.size = f->size_known ? f->size : MM_FILE_SIZE_UNKNOWN,
		.noexec = f->noexec,
		.deleted = f->deleted,
	};
}

/* A maps line without its newline, then one newline. */
static void
replay_line(struct mm *mm, const struct vma *v, char **text, size_t *len)
{
	char line[MM_MAPS_LINE_MAX];
	size_t n = mm_format_maps_line(mm, v, line, sizeof(line));
	char *p;

	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	while (n && line[n - 1] == '\n')
		n--;
	p = realloc(*text, *len + n + 2);
	if (!p)
		return;
	memcpy(p + *len, line, n);
	p[*len + n] = '\n';
	p[*len + n + 1] = '\0';
	*len += n + 1;
	*text = p;
}

static void
replay_find(struct replay *r, const struct st_op *op, struct st_result *res)
{
	const struct vma *v, *prev = NULL;
	size_t len = 0;

	if (op->arg == 1)
		v = mm_find_vma_prev(r->mm, op->addr, &prev);
	else if (op->arg == 2)
		v = mm_find_vma_intersection(r->mm, op->addr, op->addr + op->len);
	else
		v = mm_find_vma(r->mm, op->addr);
	res->value = (v ? VMAC_FOUND_VMA : 0) | (prev ? VMAC_FOUND_PREV : 0);
	res->text = strdup("");
	if (v)
		replay_line(r->mm, v, &res->text, &len);
	if (prev)
		replay_line(r->mm, prev, &res->text, &len);
}

/* The child's maps are the fork's answer: the client reads them from the daemon's copy. */
static void
replay_fork(struct replay *r, struct st_result *res)
{
	struct mm *child;
	size_t len;

	res->err = mm_fork(r->mm, &child);
	if (res->err < 0)
		return;
	if (mm_render_maps(child, &res->text, &len) < 0)
		res->err = -ENOMEM;
	mm_destroy(child);
}

static void
replay_change(struct replay *r, const struct st_op *op, struct st_result *res)
{
	struct mm_file_desc fd;
	enum mm_fault_result fr;
	uint64_t addr = 0;

	switch (op->kind) {
	case ST_MMAP:
		if (op->file >= 0)
			replay_file(op->file, &fd);
		res->err = mm_mmap(r->mm, op->addr, op->len, op->prot, op->flags,
				   op->file >= 0 ? &fd : NULL, op->offset, &addr);
		res->value = res->err ? 0 : addr;
		return;
	case ST_MREMAP:
		res->err = mm_mremap(r->mm, op->addr, op->len, op->new_len, op->flags, op->new_addr,
				     &addr);
		res->value = res->err ? 0 : addr;
		return;
	case ST_FAULT:
		res->err = mm_fault(r->mm, op->addr, (enum mm_access)op->arg, &fr);
		res->value = res->err ? 0 : (uint64_t)fr;
		return;
	default:
		break;
	}
	switch (op->kind) {
	case ST_MUNMAP:
		res->err = mm_munmap(r->mm, op->addr, op->len);
		break;
	case ST_MPROTECT:
		res->err = mm_mprotect(r->mm, op->addr, op->len, op->prot);
		break;
	case ST_MADVISE:
		res->err = mm_madvise(r->mm, op->addr, op->len, op->arg);
		break;
	case ST_MLOCK:
		res->err = mm_mlock(r->mm, op->addr, op->len, (uint32_t)op->arg);
		break;
	case ST_MUNLOCK:
		res->err = mm_munlock(r->mm, op->addr, op->len);
		break;
	default:
		res->err = mm_populate(r->mm, op->addr, op->len, op->arg != 0);
		break;
	}
}

void
replay_apply(struct replay *r, const struct st_op *op, struct st_result *res)
{
	size_t len;

	*res = (struct st_result){ 0 };
	switch (op->kind) {
	case ST_BRK:
		res->value = mm_brk(r->mm, op->addr);
		return;
	case ST_FORK:
		replay_fork(r, res);
		return;
	case ST_FIND:
		replay_find(r, op, res);
		return;
	case ST_MAPS:
		res->err = mm_render_maps(r->mm, &res->text, &len);
		return;
	case ST_STATUS:
		res->err = replay_status(r, &res->text);
		return;
	default:
		replay_change(r, op, res);
	}
}

int
replay_maps(struct replay *r, uint64_t lo, uint64_t hi, char **text)
{
	char msg[256];
	size_t len = 0;

	if (mm_validate(r->mm, msg, sizeof(msg)) < 0) {
		*text = strdup(msg);
		return -EUCLEAN;
	}
	if (lo == 0 && hi == UINT64_MAX)
		return mm_render_maps(r->mm, text, &len);
	*text = strdup("");
	for (const struct vma *v = mm_find_vma(r->mm, lo); v; v = mm_next_vma(v)) {
		struct mm_vma_info info;

		mm_vma_info(v, &info);
		if (info.start >= hi)
			break;
		replay_line(r->mm, v, text, &len);
	}
	return *text ? 0 : -ENOMEM;
}

int
replay_status(struct replay *r, char **text)
{
	struct mm_status st;
	char *s;
	size_t len;
	int rc = mm_render_status(r->mm, &s, &len);

	if (rc < 0)
		return rc;
	mm_get_status(r->mm, &st);
	*text = status_text(s, st.brk, st.start_brk, st.mmap_base);
	free(s);
	return *text ? 0 : -ENOMEM;
}

size_t
replay_count(struct replay *r)
{
	struct mm_status st;

	mm_get_status(r->mm, &st);
	return st.map_count;
}

void
replay_vma(struct replay *r, size_t i, uint64_t *start, uint64_t *end, uint64_t *flags)
{
	const struct vma *v = mm_first_vma(r->mm);
	struct mm_vma_info info;

	while (i-- && v && mm_next_vma(v))
		v = mm_next_vma(v);
	if (!v) {
		*start = *end = *flags = 0;
		return;
	}
	mm_vma_info(v, &info);
	*start = info.start;
	*end = info.end;
	*flags = info.flags;
}

uint64_t
replay_brk(struct replay *r)
{
	struct mm_status st;

	mm_get_status(r->mm, &st);
	return st.brk;
}
