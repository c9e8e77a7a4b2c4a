/* SPDX-License-Identifier: MIT */
#include "dispatch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "dispatch_int.h"
#include "files_req.h"
#include "memacct.h"
#include "log.h"
#include "mm.h"
#include "quota.h"
#include "reply.h"
#include "server.h"
#include "space.h"
#include "sreq.h"
#include "view.h"
#include "watch.h"

/* Sets the reply's message and returns err, so handlers can `return dctx_fail(...)`. */
int __attribute__((format(printf, 3, 4))) dctx_fail(struct dctx *d, int err, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	d->resp->message = arena_strdup(d->arena, buf);
	return err;
}

static int
check_name(struct dctx *d, const char *name)
{
	if (!name)
		return dctx_fail(d, -EINVAL, "no space name given");
	if (space_name_check(name) < 0)
		return dctx_fail(d, -EINVAL,
				 "invalid space name (1-%d characters of A-Z a-z 0-9 . _ -)",
				 SPACE_NAME_MAX);
	return 0;
}

int
dctx_find_space(struct dctx *d, const char *name, struct space **out)
{
	int r;

	/* Every stored name is valid: only a miss is checked, to tell EINVAL from ENOENT. */
	*out = name ? space_find(&d->srv->spaces, name) : NULL;
	if (*out) {
		d->sp = *out;
		return 0;
	}
	r = check_name(d, name);
	return r < 0 ? r : dctx_fail(d, -ENOENT, "no address space named '%s'", name);
}

/* The space, if the caller has the right: the name is looked up first, then the mode. */
int
dctx_lookup(struct dctx *d, const char *name, enum space_right right, struct space **out)
{
	int r = dctx_find_space(d, name, out);

	if (r < 0)
		return r;
	if (space_access(*out, d->cred, right) < 0)
		return dctx_fail(d, -EACCES, "no %s access to '%s' (owner %u, mode %04o)",
				 right == SPACE_READ ? "read" : "write", name,
				 (unsigned)(*out)->uid, (*out)->mode);
	return 0;
}

/* A name for a new space: valid, free, and within --max-spaces. */
int
dctx_check_new_space(struct dctx *d, const char *name)
{
	int r = check_name(d, name);

	if (r < 0)
		return r;
	if (space_find(&d->srv->spaces, name))
		return dctx_fail(d, -EEXIST, "address space '%s' exists", name);
	if (d->srv->spaces.count >= d->srv->cfg.max_spaces)
		return dctx_fail(d, -ENOSPC, "the daemon holds its limit of %zu address spaces",
				 d->srv->cfg.max_spaces);
	return 0;
}

int
dctx_check_mode(struct dctx *d, bool has, uint32_t mode, unsigned *out)
{
	if (has && (mode & ~0777u))
		return dctx_fail(d, -EINVAL, "mode %o has bits beyond 0777", mode);
	*out = has ? mode : SPACE_MODE_DEFAULT;
	return 0;
}

int
dctx_add_space(struct dctx *d, const char *name, struct mm *mm, unsigned mode)
{
	struct quota_op q;
	int r = d->replay ? 0 : quota_admit(d->srv, d->cred, mm, &q);

	if (r < 0) {
		mm_destroy(mm);
		return dctx_fail(d, r, "%s", q.msg);
	}
	/* The request's space from now on: what its mm reports as changed is this request's. */
	r = space_add(&d->srv->spaces, name, mm, d->cred, mode, &d->sp);
	if (r < 0) {
		mm_destroy(mm);
		return dctx_fail(d, r, "cannot add address space '%s'", name);
	}
	log_debug("uid %u created address space '%s'", (unsigned)d->cred->uid, name);
	return 0;
}

/* Restore and exec over an existing space: its new mm, within the owner's quota and the budget. */
int
dctx_replace_mm(struct dctx *d, struct space *sp, struct mm *mm)
{
	struct quota_op q;
	int r = d->replay ? 0 : quota_admit_replace(d->srv, sp, mm, &q);

	if (r < 0) {
		mm_destroy(mm);
		return dctx_fail(d, r, "%s", q.msg);
	}
	mm_destroy(sp->mm);
	sp->mm = mm;
	d->sp = sp;
	space_recount(&d->srv->spaces, sp);
	return 0;
}

void
dctx_emit(struct dctx *d, struct space *sp, Vmad__V1__EventKind kind, Event *ev)
{
	ev->kind = kind;
	watch_emit(d->srv, sp, ev);
}

/* ---- session ------------------------------------------------------------------------- */

static int
op_hello(struct dctx *d, const Vmad__V1__Hello *m)
{
	Vmad__V1__HelloResult *res = arena_alloc(d->arena, sizeof(*res));

	if (!m->has_version || m->version != VMAD_PROTOCOL_VERSION) {
		d->close = true;
		return dctx_fail(d, -EPROTONOSUPPORT,
				 "protocol version %u is not supported; this server speaks %d",
				 m->has_version ? m->version : 0, VMAD_PROTOCOL_VERSION);
	}
	if (!res)
		return -ENOMEM;
	vmad__v1__hello_result__init(res);
	res->has_version = true;
	res->version = VMAD_PROTOCOL_VERSION;
	res->server = "vmad " VMAD_VERSION;
	d->resp->result_case = VMAD__V1__RESPONSE__RESULT_HELLO;
	d->resp->hello = res;
	if (m->client)
		log_debug("client %llu is '%s'", (unsigned long long)conn_id(d->conn), m->client);
	return 0;
}

static int
op_stats(struct dctx *d)
{
	Vmad__V1__StatsResult *res = arena_alloc(d->arena, sizeof(*res));
	struct server *srv = d->srv;

	if (!res)
		return -ENOMEM;
	vmad__v1__stats_result__init(res);
	res->has_clients = res->has_spaces = res->has_vmas = res->has_requests = true;
	res->has_errors = res->has_uptime_sec = res->has_watchers = true;
	res->clients = srv->nclients;
	res->spaces = srv->spaces.count;
	res->vmas = server_vma_count(srv);
	res->requests = srv->requests;
	res->errors = srv->errors;
	res->uptime_sec = server_uptime_sec(srv);
	res->watchers = srv->nwatchers;
	res->has_memory_used = res->has_memory_max = true;
	res->memory_used = memacct_in_use();
	res->memory_max = srv->cfg.memory_max;
	d->resp->result_case = VMAD__V1__RESPONSE__RESULT_STATS;
	d->resp->stats = res;
	return 0;
}

/* ---- memory operations --------------------------------------------------------------- */

static int
file_desc(struct dctx *d, const Vmad__V1__File *f, struct mm_file_desc *out)
{
	char why[160] = "";
	int r = files_req_desc(f, out, why, sizeof(why));

	return r < 0 ? dctx_fail(d, r, "%s", why) : 0;
}

static int
set_addr(struct dctx *d, uint64_t addr)
{
	Vmad__V1__AddrResult *res = arena_alloc(d->arena, sizeof(*res));

	if (!res)
		return -ENOMEM;
	vmad__v1__addr_result__init(res);
	res->has_addr = true;
	res->addr = addr;
	d->resp->result_case = VMAD__V1__RESPONSE__RESULT_ADDR;
	d->resp->addr = res;
	return 0;
}

static int
op_mmap(struct dctx *d, const Vmad__V1__Mmap *m)
{
	Event ev = VMAD__V1__EVENT__INIT;
	struct mm_file_desc fd, *file = NULL;
	struct space *sp;
	uint64_t addr;
	int r;

	if ((r = dctx_lookup(d, m->name, SPACE_WRITE, &sp)) < 0)
		return r;
	if (m->file) {
		if ((r = file_desc(d, m->file, &fd)) < 0)
			return r;
		file = &fd;
	}
	r = mm_mmap(sp->mm, m->addr, m->len, m->prot, m->flags, file, m->offset, &addr);
	if (r == -EBADF && file && file->id)
		return dctx_fail(d, r, "no open file %llu in '%s'", (unsigned long long)file->id,
				 m->name);
	if (r < 0)
		return r;
	if (sp->watchers) {
		ev.has_start = ev.has_len = ev.has_new_prot = ev.has_flags = true;
		ev.start = addr;
		ev.len = m->len;
		ev.new_prot = m->prot;
		ev.flags = m->flags;
		ev.path = file ? m->file->path : NULL;
		dctx_emit(d, sp, VMAD__V1__EVENT_KIND__EVENT_MMAP, &ev);
	}
	return set_addr(d, addr);
}

/* The event of an operation on [addr, addr + len). */
static void
emit_range(struct dctx *d, struct space *sp, Vmad__V1__EventKind kind, uint64_t addr, uint64_t len,
	   Event *ev)
{
	ev->has_start = ev->has_len = true;
	ev->start = addr;
	ev->len = len;
	dctx_emit(d, sp, kind, ev);
}

static int
op_mprotect(struct dctx *d, const Vmad__V1__Mprotect *m)
{
	Event ev = VMAD__V1__EVENT__INIT;
	const struct vma *v;
	struct mm_vma_info info;
	struct space *sp;
	int r;

	if ((r = dctx_lookup(d, m->name, SPACE_WRITE, &sp)) < 0)
		return r;
	/* The old protection is that of the VMA at the start, before the change. */
	v = sp->watchers ? mm_vma_lookup(sp->mm, m->addr) : NULL;
	if (v) {
		mm_vma_info(v, &info);
		ev.has_old_prot = true;
		ev.old_prot = (uint32_t)(info.flags & (VM_READ | VM_WRITE | VM_EXEC));
	}
	r = mm_mprotect(sp->mm, m->addr, m->len, m->prot);
	if (r == 0 && sp->watchers) {
		ev.has_new_prot = true;
		ev.new_prot = m->prot;
		emit_range(d, sp, VMAD__V1__EVENT_KIND__EVENT_MPROTECT, m->addr, m->len, &ev);
	}
	return r;
}

static int
op_mremap(struct dctx *d, const Vmad__V1__Mremap *m)
{
	Event ev = VMAD__V1__EVENT__INIT;
	struct space *sp;
	uint64_t addr;
	int r;

	if ((r = dctx_lookup(d, m->name, SPACE_WRITE, &sp)) < 0)
		return r;
	r = mm_mremap(sp->mm, m->old_addr, m->old_len, m->new_len, m->flags, m->new_addr, &addr);
	if (r < 0)
		return r;
	if (sp->watchers) {
		ev.has_new_addr = ev.has_new_len = ev.has_flags = true;
		ev.new_addr = addr;
		ev.new_len = m->new_len;
		ev.flags = m->flags;
		emit_range(d, sp, VMAD__V1__EVENT_KIND__EVENT_MREMAP, m->old_addr, m->old_len, &ev);
	}
	return set_addr(d, addr);
}

static int
op_brk(struct dctx *d, const Vmad__V1__Brk *m)
{
	Vmad__V1__BrkResult *res = arena_alloc(d->arena, sizeof(*res));
	Event ev = VMAD__V1__EVENT__INIT;
	struct mm_status st;
	struct space *sp;
	int r;

	/* A query (no address) only reads. */
	if ((r = dctx_lookup(d, m->name, m->has_addr ? SPACE_WRITE : SPACE_READ, &sp)) < 0)
		return r;
	if (!res)
		return -ENOMEM;
	vmad__v1__brk_result__init(res);
	mm_get_status(sp->mm, &st);
	res->has_brk = true;
	res->brk = mm_brk(sp->mm, m->has_addr ? m->addr : 0);
	d->resp->result_case = VMAD__V1__RESPONSE__RESULT_BRK;
	d->resp->brk = res;
	if (res->brk != st.brk && sp->watchers) {
		ev.has_start = ev.has_new_addr = true;
		ev.start = st.brk;
		ev.new_addr = res->brk;
		dctx_emit(d, sp, VMAD__V1__EVENT_KIND__EVENT_BRK, &ev);
	}
	return 0;
}

/* What find mode m->mode asks the mm for: 0, or -EINVAL for a mode there is not. */
static int
find_vmas(struct mm *mm, const Vmad__V1__Find *m, const struct vma **v, const struct vma **prev)
{
	*prev = NULL;
	switch (m->has_mode ? m->mode : VMAD__V1__FIND_MODE__FIND_VMA) {
	case VMAD__V1__FIND_MODE__FIND_VMA:
		*v = mm_find_vma(mm, m->addr);
		return 0;
	case VMAD__V1__FIND_MODE__FIND_VMA_PREV:
		*v = mm_find_vma_prev(mm, m->addr, prev);
		return 0;
	case VMAD__V1__FIND_MODE__FIND_INTERSECTION:
		*v = mm_find_vma_intersection(mm, m->addr, m->end);
		return 0;
	default:
		return -EINVAL;
	}
}

static int
op_find(struct dctx *d, const Vmad__V1__Find *m)
{
	Vmad__V1__FindResult *res = arena_alloc(d->arena, sizeof(*res));
	const struct vma *v, *prev;
	struct space *sp;
	bool line;
	int r;

	if ((r = dctx_lookup(d, m->name, SPACE_READ, &sp)) < 0)
		return r;
	if (!res)
		return -ENOMEM;
	vmad__v1__find_result__init(res);
	if (find_vmas(sp->mm, m, &v, &prev) < 0)
		return dctx_fail(d, -EINVAL, "unknown find mode %d", (int)m->mode);
	line = !(m->has_without_line && m->without_line);
	if ((v && !(res->vma = reply_vma(d->arena, sp->mm, v, line))) ||
	    (prev && !(res->prev = reply_vma(d->arena, sp->mm, prev, line))))
		return -ENOMEM;
	d->resp->result_case = VMAD__V1__RESPONSE__RESULT_FIND;
	d->resp->find = res;
	return 0;
}

int
dispatch_find(struct server *srv, struct conn *c, const Vmad__V1__Find *m, struct mm **mm,
	      const struct vma **v, const struct vma **prev)
{
	struct space *sp = m->name ? space_find(&srv->spaces, m->name) : NULL;

	if (!sp || space_access(sp, conn_cred(c), SPACE_READ) < 0 ||
	    find_vmas(sp->mm, m, v, prev) < 0)
		return -EAGAIN;
	*mm = sp->mm;
	return 0;
}

static int
op_populate(struct dctx *d, const Vmad__V1__Populate *m)
{
	Event ev = VMAD__V1__EVENT__INIT;
	struct space *sp;
	int r;

	if ((r = dctx_lookup(d, m->name, SPACE_WRITE, &sp)) < 0)
		return r;
	r = mm_populate(sp->mm, m->addr, m->len, m->write);
	if (r == 0 && sp->watchers) {
		ev.has_access = true;
		ev.access =
			m->write ? VMAD__V1__ACCESS__ACCESS_WRITE : VMAD__V1__ACCESS__ACCESS_READ;
		emit_range(d, sp, VMAD__V1__EVENT_KIND__EVENT_POPULATE, m->addr, m->len, &ev);
	}
	return r;
}

static int
op_fault(struct dctx *d, const Vmad__V1__Fault *m)
{
	Vmad__V1__FaultResultMsg *res = arena_alloc(d->arena, sizeof(*res));
	Event ev = VMAD__V1__EVENT__INIT;
	enum mm_fault_result result;
	struct space *sp;
	int r;

	if ((r = dctx_lookup(d, m->name, SPACE_WRITE, &sp)) < 0)
		return r;
	if (m->access < VMAD__V1__ACCESS__ACCESS_READ || m->access > VMAD__V1__ACCESS__ACCESS_EXEC)
		return dctx_fail(d, -EINVAL, "unknown access kind %d", (int)m->access);
	if (!res)
		return -ENOMEM;
	r = mm_fault(sp->mm, m->addr, (enum mm_access)m->access, &result);
	if (r < 0)
		return r;
	vmad__v1__fault_result_msg__init(res);
	res->has_result = true;
	res->result = (Vmad__V1__FaultResult)result;
	d->resp->result_case = VMAD__V1__RESPONSE__RESULT_FAULT;
	d->resp->fault = res;
	if (result == MM_FAULT_OK && sp->watchers) {
		ev.has_start = ev.has_access = true;
		ev.start = m->addr;
		ev.access = m->access;
		dctx_emit(d, sp, VMAD__V1__EVENT_KIND__EVENT_FAULT, &ev);
	}
	return 0;
}

/*
 * The operations on [addr, addr + len) whose event carries at most the request's one
 * argument: one row each, one handler for all.
 */
struct range_req {
	const char *name;
	uint64_t addr, len;
	int64_t arg;
};

enum range_arg { RANGE_ARG_NONE, RANGE_ARG_FLAGS, RANGE_ARG_ADVICE };

struct range_op {
	Vmad__V1__EventKind kind;
	enum range_arg arg;
	int (*apply)(struct mm *mm, const struct range_req *q);
};

static int
range_munmap(struct mm *mm, const struct range_req *q)
{
	return mm_munmap(mm, q->addr, q->len);
}

static int
range_madvise(struct mm *mm, const struct range_req *q)
{
	return mm_madvise(mm, q->addr, q->len, (int)q->arg);
}

static int
range_mlock(struct mm *mm, const struct range_req *q)
{
	return mm_mlock(mm, q->addr, q->len, (uint32_t)q->arg);
}

static int
range_munlock(struct mm *mm, const struct range_req *q)
{
	return mm_munlock(mm, q->addr, q->len);
}

static int
range_mseal(struct mm *mm, const struct range_req *q)
{
	return mm_mseal(mm, q->addr, q->len, (uint64_t)q->arg);
}

static const struct range_op range_mseal_op = { VMAD__V1__EVENT_KIND__EVENT_MSEAL, RANGE_ARG_FLAGS,
						range_mseal };
static const struct range_op range_munmap_op = { VMAD__V1__EVENT_KIND__EVENT_MUNMAP, RANGE_ARG_NONE,
						 range_munmap };
static const struct range_op range_madvise_op = { VMAD__V1__EVENT_KIND__EVENT_MADVISE,
						  RANGE_ARG_ADVICE, range_madvise };
static const struct range_op range_mlock_op = { VMAD__V1__EVENT_KIND__EVENT_MLOCK, RANGE_ARG_FLAGS,
						range_mlock };
static const struct range_op range_munlock_op = { VMAD__V1__EVENT_KIND__EVENT_MUNLOCK,
						  RANGE_ARG_NONE, range_munlock };

static int
op_range(struct dctx *d, const struct range_op *op, const struct range_req *q)
{
	Event ev = VMAD__V1__EVENT__INIT;
	struct space *sp;
	int r;

	if ((r = dctx_lookup(d, q->name, SPACE_WRITE, &sp)) < 0)
		return r;
	r = op->apply(sp->mm, q);
	if (r < 0 || !sp->watchers)
		return r;
	ev.has_flags = op->arg == RANGE_ARG_FLAGS;
	ev.flags = ev.has_flags ? (uint32_t)q->arg : 0;
	ev.has_advice = op->arg == RANGE_ARG_ADVICE;
	ev.advice = ev.has_advice ? (int32_t)q->arg : 0;
	emit_range(d, sp, op->kind, q->addr, q->len, &ev);
	return r;
}

/* The request's fields as a range_req; A is the argument, 0 where there is none. */
#define RANGE_REQ(m, a) (&(const struct range_req){ (m)->name, (m)->addr, (m)->len, (a) })

/* ---- reading ------------------------------------------------------------------------- */

static int
op_maps(struct dctx *d, const Vmad__V1__Maps *m)
{
	Vmad__V1__MapsResult *res = arena_alloc(d->arena, sizeof(*res));
	struct space *sp;
	int r;

	if ((r = dctx_lookup(d, m->name, SPACE_READ, &sp)) < 0)
		return r;
	if (!res)
		return -ENOMEM;
	vmad__v1__maps_result__init(res);
	r = reply_maps(d->arena, sp->mm, m->from, m->limit,
		       !(m->has_without_line && m->without_line), res);
	if (r < 0)
		return r;
	d->resp->result_case = VMAD__V1__RESPONSE__RESULT_MAPS;
	d->resp->maps = res;
	return 0;
}

static int
op_status(struct dctx *d, const Vmad__V1__Status *m)
{
	Vmad__V1__StatusResult *res = arena_alloc(d->arena, sizeof(*res));
	struct space *sp;
	int r;

	if ((r = dctx_lookup(d, m->name, SPACE_READ, &sp)) < 0)
		return r;
	if (!res)
		return -ENOMEM;
	vmad__v1__status_result__init(res);
	r = reply_status(d->arena, sp->mm, res);
	if (r < 0)
		return r;
	d->resp->result_case = VMAD__V1__RESPONSE__RESULT_STATUS;
	d->resp->status = res;
	return 0;
}

static int
op_watch(struct dctx *d, const Vmad__V1__Watch *m)
{
	struct space *sp;
	int r;

	if ((r = dctx_lookup(d, m->name, SPACE_READ, &sp)) < 0)
		return r;
	r = watch_add(d->srv, d->conn, sp, d->req->id);
	if (r == -EMFILE)
		return dctx_fail(d, r, "this connection already holds %zu watches",
				 d->srv->cfg.watches_per_conn);
	return r;
}

/* ---- usage ------------------------------------------------------------------------- */

static int
op_usage(struct dctx *d)
{
	Vmad__V1__UsageResult *res = arena_alloc(d->arena, sizeof(*res));
	const struct server_config *cfg = &d->srv->cfg;

	if (!res)
		return -ENOMEM;
	vmad__v1__usage_result__init(res);
	res->has_max_spaces_per_uid = res->has_max_vmas_per_uid = true;
	res->has_memory_used = res->has_memory_max = true;
	res->max_spaces_per_uid = cfg->max_spaces_per_uid;
	res->max_vmas_per_uid = cfg->max_vmas_per_uid;
	res->memory_used = memacct_in_use();
	res->memory_max = cfg->memory_max;
	d->resp->result_case = VMAD__V1__RESPONSE__RESULT_USAGE;
	d->resp->usage = res;
	return reply_usage_uids(d->arena, &d->srv->spaces.usage, d->cred, res);
}

/* ---- the families of requests on one space (sreq.h) --------------------------------- */

static const struct sreq_family *const sreq_families[] = {
	&files_req_family,
	&lockall_req_family,
	&pkeys_req_family,
	&vma_req_family,
};

static int
op_sreq(struct dctx *d, const struct sreq_family *f, bool write)
{
	Event ev = VMAD__V1__EVENT__INIT;
	char why[160] = "";
	struct sreq_call c = { .q = d->req,
			       .resp = d->resp,
			       .arena = d->arena,
			       .ev = &ev,
			       .why = why,
			       .why_len = sizeof(why) };
	struct space *sp;
	int r;

	if ((r = dctx_lookup(d, f->name(d->req), write ? SPACE_WRITE : SPACE_READ, &sp)) < 0)
		return r;
	c.mm = sp->mm;
	r = f->run(&c);
	if (r < 0)
		return why[0] ? dctx_fail(d, r, "%s", why) : r;
	if (ev.has_kind && sp->watchers)
		dctx_emit(d, sp, ev.kind, &ev);
	return 0;
}

/* A request of no family ends the connection: the client speaks another protocol. */
static int
op_other(struct dctx *d)
{
	bool write;

	for (size_t i = 0; i < sizeof(sreq_families) / sizeof(sreq_families[0]); i++)
		if (sreq_families[i]->handles(d->req, &write))
			return op_sreq(d, sreq_families[i], write);
	d->close = true;
	return dctx_fail(d, -EOPNOTSUPP, "the request carries no operation this server knows");
}

static int
op_view_open(struct dctx *d, const Vmad__V1__ViewOpen *m)
{
	Vmad__V1__ViewResult *res = arena_alloc(d->arena, sizeof(*res));
	struct space *sp;
	int fd, r;

	if ((r = dctx_lookup(d, m->name, SPACE_READ, &sp)) < 0)
		return r;
	if (!res)
		return -ENOMEM;
	r = view_open_fd(sp, &fd);
	if (r < 0)
		return dctx_fail(d, r, "cannot publish a view of '%s'", m->name);
	conn_pass_fd(d->conn, fd);
	vmad__v1__view_result__init(res);
	res->has_segment_version = res->has_size = true;
	res->segment_version = VSEG_VERSION;
	res->size = view_pub_size(sp);
	d->resp->result_case = VMAD__V1__RESPONSE__RESULT_VIEW;
	d->resp->view = res;
	return 0;
}

/* ---- the switch ---------------------------------------------------------------------- */

static int
dispatch_op(struct dctx *d)
{
	const Request *q = d->req;

	switch (q->op_case) {
	case VMAD__V1__REQUEST__OP_HELLO:
		return op_hello(d, q->hello);
	case VMAD__V1__REQUEST__OP_PING:
		return 0;
	case VMAD__V1__REQUEST__OP_CREATE:
		return space_req_create(d, q->create);
	case VMAD__V1__REQUEST__OP_DESTROY:
		return space_req_destroy(d, q->destroy);
	case VMAD__V1__REQUEST__OP_LIST:
		return space_req_list(d);
	case VMAD__V1__REQUEST__OP_FORK:
		return space_req_fork(d, q->fork);
	case VMAD__V1__REQUEST__OP_MMAP:
		return op_mmap(d, q->mmap);
	case VMAD__V1__REQUEST__OP_MUNMAP:
		return op_range(d, &range_munmap_op, RANGE_REQ(q->munmap, 0));
	case VMAD__V1__REQUEST__OP_MPROTECT:
		return op_mprotect(d, q->mprotect);
	case VMAD__V1__REQUEST__OP_MREMAP:
		return op_mremap(d, q->mremap);
	case VMAD__V1__REQUEST__OP_BRK:
		return op_brk(d, q->brk);
	case VMAD__V1__REQUEST__OP_FIND:
		return op_find(d, q->find);
	case VMAD__V1__REQUEST__OP_POPULATE:
		return op_populate(d, q->populate);
	case VMAD__V1__REQUEST__OP_FAULT:
		return op_fault(d, q->fault);
	case VMAD__V1__REQUEST__OP_MADVISE:
		return op_range(d, &range_madvise_op, RANGE_REQ(q->madvise, q->madvise->advice));
	case VMAD__V1__REQUEST__OP_MLOCK:
		return op_range(d, &range_mlock_op, RANGE_REQ(q->mlock, q->mlock->flags));
	case VMAD__V1__REQUEST__OP_MUNLOCK:
		return op_range(d, &range_munlock_op, RANGE_REQ(q->munlock, 0));
	case VMAD__V1__REQUEST__OP_MSEAL:
		return op_range(d, &range_mseal_op, RANGE_REQ(q->mseal, q->mseal->flags));
	case VMAD__V1__REQUEST__OP_MAPS:
		return op_maps(d, q->maps);
	case VMAD__V1__REQUEST__OP_STATUS:
		return op_status(d, q->status);
	case VMAD__V1__REQUEST__OP_IMPORT:
		return space_req_import(d, q->import);
	case VMAD__V1__REQUEST__OP_WATCH:
		return op_watch(d, q->watch);
	case VMAD__V1__REQUEST__OP_STATS:
		return op_stats(d);
	case VMAD__V1__REQUEST__OP_USAGE:
		return op_usage(d);
	case VMAD__V1__REQUEST__OP_SAVE:
		return space_req_save(d, q->save);
	case VMAD__V1__REQUEST__OP_RESTORE:
		return space_req_restore(d, q->restore);
	case VMAD__V1__REQUEST__OP_VIEW_OPEN:
		return op_view_open(d, q->view_open);
	case VMAD__V1__REQUEST__OP_EXEC:
		return space_req_exec(d, q->exec);
	default:
		return op_other(d);
	}
}

/*
 * A system call that fails can have changed VMAs before it stopped (mprotect, madvise and
 * mlock over a hole): watchers are told which extent to read again.  What a successful
 * request changed is forgotten here, as its own event says it.
 */
static void
dispatch_failed_change(struct dctx *d, int r)
{
	struct mm_range rg;

	if (!d->sp || !mm_take_op_changed(d->sp->mm, &rg) || r >= 0 || !d->sp->watchers)
		return;
	/* Initialised only here: an Event is large, and most requests change nothing. */
	Event ev = VMAD__V1__EVENT__INIT;

	emit_range(d, d->sp, VMAD__V1__EVENT_KIND__EVENT_CHANGED, rg.lo, rg.hi - rg.lo, &ev);
}

/* The op within the quotas and the memory budget (limits.h). */
static int
dispatch_limited(struct dctx *d)
{
	struct quota_op q;
	int r = quota_before(d->srv, d->req, &q);

	if (r < 0)
		return dctx_fail(d, r, "%s", q.msg);
	r = dispatch_op(d);
	if (quota_after(d->srv, &q, &r))
		dctx_fail(d, r, "%s", q.msg);
	return r;
}

bool
dispatch_request(struct server *srv, struct conn *c, const Vmad__V1__Request *req,
		 Vmad__V1__Response *resp)
{
	struct dctx d = { .srv = srv,
			  .conn = c,
			  .cred = conn_cred(c),
			  .req = req,
			  .resp = resp,
			  .arena = &srv->reply_arena };
	int r;

	resp->has_id = true;
	resp->id = req->id;
	r = dispatch_limited(&d);
	dispatch_failed_change(&d, r);
	/* Published before the reply leaves (view_flush()): its author's view shows what it did. */
	view_request_done(&srv->spaces, d.sp);
	if (r < 0) {
		/* Whatever a handler had filled in is not part of an error reply. */
		resp->result_case = VMAD__V1__RESPONSE__RESULT__NOT_SET;
		resp->has_error = true;
		resp->error = r;
		if (!resp->message)
			resp->message = strerror(-r);
	}
	dispatch_log(c, req->id, (int)req->op_case, r);
	return d.close;
}

void
dispatch_log(const struct conn *c, uint64_t id, int op, int r)
{
	if (log_enabled(LOG_LEVEL_DEBUG))
		log_debug("client %llu: request %llu op %d: %d", (unsigned long long)conn_id(c),
			  (unsigned long long)id, op, r);
}

int
dispatch_replay(struct server *srv, const struct peer_cred *cred, const Vmad__V1__Request *req,
		Vmad__V1__Response *resp)
{
	struct dctx d = { .srv = srv,
			  .cred = cred,
			  .req = req,
			  .resp = resp,
			  .arena = &srv->reply_arena,
			  .replay = true };
	int r = dispatch_op(&d);

	dispatch_failed_change(&d, r);
	quota_replayed(srv, req);
	return r;
}
