/* SPDX-License-Identifier: MIT */
/* The open files of a space and its break, on the wire (files_req.h). */
#include "files_req.h"
#include "sreq.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef Vmad__V1__Request Request;

_Static_assert((int)VMAD__V1__FILE_KIND__FILE_DISK == (int)MM_FILE_DISK &&
		       (int)VMAD__V1__FILE_KIND__FILE_TMPFS == (int)MM_FILE_TMPFS &&
		       (int)VMAD__V1__FILE_KIND__FILE_DEV_ZERO == (int)MM_FILE_DEVZERO,
	       "wire file kinds are the engine's");

#define PATH_LIMIT 4096

static int __attribute__((format(printf, 4, 5)))
why_set(int err, char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return err;
}

int
files_req_desc(const Vmad__V1__File *f, struct mm_file_desc *out, char *why, size_t len)
{
	unsigned mode = f->has_mode ? f->mode : (MM_FMODE_READ | MM_FMODE_WRITE);

	memset(out, 0, sizeof(*out));
	if (f->has_id && f->id) {
		out->id = f->id;
		return 0;
	}
	if (f->has_kind && (unsigned)f->kind > MM_FILE_DEVZERO)
		return why_set(-EINVAL, why, len,
			       "file kind %d is not 0 (disk), 1 (tmpfs) or 2 (/dev/zero)",
			       (int)f->kind);
	if (!f->path || !f->path[0])
		return why_set(-EINVAL, why, len, "a file mapping needs the file's path");
	if (strlen(f->path) >= PATH_LIMIT)
		return why_set(-ENAMETOOLONG, why, len, "file path longer than %d bytes",
			       PATH_LIMIT - 1);
	if (mode == 0 || (mode & ~(MM_FMODE_READ | MM_FMODE_WRITE)))
		return why_set(-EINVAL, why, len,
			       "file mode %u is not 1 (read), 2 (write) or 3 (both)", mode);
	out->path = f->path;
	out->instance = f->instance;
	out->mode = mode;
	out->dev_major = f->dev_major;
	out->dev_minor = f->dev_minor;
	out->ino = f->ino;
	out->size = f->has_size ? f->size : MM_FILE_SIZE_UNKNOWN;
	out->noexec = f->noexec;
	out->deleted = f->deleted;
	out->kind = f->has_kind ? (enum mm_file_kind)f->kind : MM_FILE_DISK;
	return 0;
}

static bool
files_req_handles(const Request *q, bool *write)
{
	*write = true;
	switch (q->op_case) {
	case VMAD__V1__REQUEST__OP_FILE_OPEN:
	case VMAD__V1__REQUEST__OP_FILE_SET_SIZE:
	case VMAD__V1__REQUEST__OP_FILE_UNLINK:
	case VMAD__V1__REQUEST__OP_FILE_CLOSE:
	case VMAD__V1__REQUEST__OP_SET_BRK:
		return true;
	default:
		return false;
	}
}

static const char *
files_req_name(const Request *q)
{
	switch (q->op_case) {
	case VMAD__V1__REQUEST__OP_FILE_OPEN:
		return q->file_open->name;
	case VMAD__V1__REQUEST__OP_FILE_SET_SIZE:
		return q->file_set_size->name;
	case VMAD__V1__REQUEST__OP_FILE_UNLINK:
		return q->file_unlink->name;
	case VMAD__V1__REQUEST__OP_FILE_CLOSE:
		return q->file_close->name;
	default:
		return q->set_brk->name;
	}
}

static int
file_open(struct mm *mm, const Vmad__V1__FileOpen *m, Vmad__V1__Response *resp, struct arena *arena,
	  char *why, size_t len)
{
	Vmad__V1__FileResult *res;
	struct mm_file_desc fd;
	uint64_t id;
	int r;

	if (!m->file)
		return why_set(-EINVAL, why, len, "no file given");
	if (m->file->has_id && m->file->id)
		return why_set(-EINVAL, why, len, "a file to open has no id yet");
	if ((r = files_req_desc(m->file, &fd, why, len)) < 0 ||
	    (r = mm_file_open(mm, &fd, &id)) < 0)
		return r;
	res = arena_alloc(arena, sizeof(*res));
	if (!res)
		return -ENOMEM;
	vmad__v1__file_result__init(res);
	res->has_id = true;
	res->id = id;
	resp->result_case = VMAD__V1__RESPONSE__RESULT_FILE;
	resp->file = res;
	return 0;
}

static int
set_brk(struct mm *mm, const Vmad__V1__SetBrk *m, char *why, size_t len)
{
	uint64_t brk = m->has_brk ? m->brk : m->start_brk;
	struct mm_status st;

	mm_get_status(mm, &st);
	if (!m->has_start_brk || (m->start_brk & (MM_PAGE_SIZE - 1)) || brk < m->start_brk ||
	    brk > st.task_size)
		return why_set(-EINVAL, why, len,
			       "start_brk must be page aligned, and start_brk <= brk <= %#llx",
			       (unsigned long long)st.task_size);
	mm_set_layout(mm, m->start_brk, brk, st.start_stack);
	return 0;
}

/* FileSetSize, FileUnlink, FileClose. */
static int
file_change(struct mm *mm, const Request *q, char *why, size_t len)
{
	uint64_t id, size = 0;
	int r;

	if (q->op_case == VMAD__V1__REQUEST__OP_FILE_SET_SIZE) {
		id = q->file_set_size->id;
		size = q->file_set_size->has_size ? q->file_set_size->size : MM_FILE_SIZE_UNKNOWN;
		r = mm_file_set_size(mm, id, size);
	} else if (q->op_case == VMAD__V1__REQUEST__OP_FILE_UNLINK) {
		id = q->file_unlink->id;
		r = mm_file_unlink(mm, id);
	} else {
		id = q->file_close->id;
		r = mm_file_close(mm, id);
	}
	if (r == -EBADF)
		return why_set(r, why, len, "no open file %llu", (unsigned long long)id);
	if (r == -EINVAL)
		return why_set(r, why, len, "no file size given");
	return r;
}

/* What watchers are told of a successful q: FileOpen and FileClose change nothing shown. */
static void
files_req_event(const Request *q, Vmad__V1__Event *ev)
{
	ev->has_start = true;
	switch (q->op_case) {
	case VMAD__V1__REQUEST__OP_FILE_SET_SIZE:
		sreq_event(ev, VMAD__V1__EVENT_KIND__EVENT_FILE_SET_SIZE);
		ev->start = q->file_set_size->id;
		ev->has_len = true;
		ev->len = q->file_set_size->size;
		break;
	case VMAD__V1__REQUEST__OP_FILE_UNLINK:
		sreq_event(ev, VMAD__V1__EVENT_KIND__EVENT_FILE_UNLINK);
		ev->start = q->file_unlink->id;
		break;
	case VMAD__V1__REQUEST__OP_SET_BRK:
		sreq_event(ev, VMAD__V1__EVENT_KIND__EVENT_SET_BRK);
		ev->start = q->set_brk->start_brk;
		ev->has_new_addr = true;
		ev->new_addr = q->set_brk->has_brk ? q->set_brk->brk : q->set_brk->start_brk;
		break;
	default:
		break;
	}
}

/* FileOpen fills its own result; the rest tell watchers what they changed. */
static int
files_req_run(const struct sreq_call *c)
{
	const Request *q = c->q;
	int r;

	if (q->op_case == VMAD__V1__REQUEST__OP_FILE_OPEN)
		return file_open(c->mm, q->file_open, c->resp, c->arena, c->why, c->why_len);
	if (q->op_case == VMAD__V1__REQUEST__OP_SET_BRK)
		r = set_brk(c->mm, q->set_brk, c->why, c->why_len);
	else
		r = file_change(c->mm, q, c->why, c->why_len);
	if (r == 0)
		files_req_event(q, c->ev);
	return r;
}

const struct sreq_family files_req_family = { files_req_handles, files_req_name, files_req_run };
