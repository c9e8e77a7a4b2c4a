/* SPDX-License-Identifier: MIT */
#include "dispatch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "files_req.h"
#include "lockall_req.h"
#include "pkeys_req.h"
#include "exec_req.h"
#include "memacct.h"
#include "log.h"
#include "mm.h"
#include "quota.h"
#include "reply.h"
#include "server.h"
#include "space.h"
#include "view.h"
#include "vma_req.h"
#include "watch.h"

typedef Vmad__V1__Request Request;
typedef Vmad__V1__Response Response;
typedef Vmad__V1__Event Event;

/* One request in progress. */
struct dctx {
	struct server *srv;
	struct conn *conn;
	const struct peer_cred *cred;
	const Request *req;
	Response *resp;
	struct arena *arena;
	struct space *sp; /* the space the request named, once found (for its view) */
	bool close;       /* close the connection after the reply */
	bool replay;      /* a journal record: it was within the limits when it was made */
};

/* Sets the reply's message and returns err, so handlers can `return fail(...)`. */
static int __attribute__((format(printf, 3, 4))) fail(struct dctx *d, int err, const char *fmt, ...)
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
		return fail(d, -EINVAL, "no space name given");
	if (space_name_check(name) < 0)
		return fail(d, -EINVAL, "invalid space name (1-%d characters of A-Z a-z 0-9 . _ -)",
			    SPACE_NAME_MAX);
	return 0;
}

static int
find_space(struct dctx *d, const char *name, struct space **out)
{
	int r;

	/* Every stored name is valid: only a miss is checked, to tell EINVAL from ENOENT. */
	*out = name ? space_find(&d->srv->spaces, name) : NULL;
	if (*out) {
		d->sp = *out;
		return 0;
	}
	r = check_name(d, name);
	return r < 0 ? r : fail(d, -ENOENT, "no address space named '%s'", name);
}

/* The space, if the caller has the right: the name is looked up first, then the mode. */
static int
lookup(struct dctx *d, const char *name, enum space_right right, struct space **out)
{
	int r = find_space(d, name, out);

	if (r < 0)
		return r;
	if (space_access(*out, d->cred, right) < 0)
		return fail(d, -EACCES, "no %s access to '%s' (owner %u, mode %04o)",
			    right == SPACE_READ ? "read" : "write", name, (unsigned)(*out)->uid,
			    (*out)->mode);
	return 0;
}

/* A name for a new space: valid, free, and within --max-spaces. */
static int
check_new_space(struct dctx *d, const char *name)
{
	int r = check_name(d, name);

	if (r < 0)
		return r;
	if (space_find(&d->srv->spaces, name))
		return fail(d, -EEXIST, "address space '%s' exists", name);
	if (d->srv->spaces.count >= d->srv->cfg.max_spaces)
		return fail(d, -ENOSPC, "the daemon holds its limit of %zu address spaces",
			    d->srv->cfg.max_spaces);
	return 0;
}

static int
check_mode(struct dctx *d, bool has, uint32_t mode, unsigned *out)
{
	if (has && (mode & ~0777u))
		return fail(d, -EINVAL, "mode %o has bits beyond 0777", mode);
	*out = has ? mode : SPACE_MODE_DEFAULT;
	return 0;
}

static int
add_space(struct dctx *d, const char *name, struct mm *mm, unsigned mode)
{
	struct quota_op q;
	int r = d->replay ? 0 : quota_admit(d->srv, d->cred, mm, &q);

	if (r < 0) {
		mm_destroy(mm);
		return fail(d, r, "%s", q.msg);
	}
	/* The request's space from now on: what its mm reports as changed is this request's. */
	r = space_add(&d->srv->spaces, name, mm, d->cred, mode, &d->sp);
	if (r < 0) {
		mm_destroy(mm);
		return fail(d, r, "cannot add address space '%s'", name);
	}
	log_debug("uid %u created address space '%s'", (unsigned)d->cred->uid, name);
	return 0;
}

/* Restore and exec over an existing space: its new mm, within the owner's quota and the budget. */
static int
replace_mm(struct dctx *d, struct space *sp, struct mm *mm)
{
	struct quota_op q;
	int r = d->replay ? 0 : quota_admit_replace(d->srv, sp, mm, &q);

	if (r < 0) {
		mm_destroy(mm);
		return fail(d, r, "%s", q.msg);
	}
	mm_destroy(sp->mm);
	sp->mm = mm;
	d->sp = sp;
	space_recount(&d->srv->spaces, sp);
	return 0;
}

static void
emit(struct dctx *d, struct space *sp, Vmad__V1__EventKind kind, Event *ev)
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
		return fail(d, -EPROTONOSUPPORT,
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

/* ---- spaces -------------------------------------------------------------------------- */

/* The Create fields that are configuration fields of the same name and type. */
#define CREATE_COPIED(X)                                                                           \
	X(mmap_base)                                                                               \
	X(start_brk)                                                                               \
	X(with_stack)                                                                              \
	X(max_map_count)                                                                           \
	X(rlimit_as)                                                                               \
	X(rlimit_data)                                                                             \
	X(rlimit_stack)                                                                            \
	X(rlimit_memlock)                                                                          \
	X(personality)                                                                             \
	X(features)

/* mm_config_init() defaults, then what the request sets; derived values stay derived. */
static void
create_config(const Vmad__V1__Create *m, struct mm_config *cfg)
{
	mm_config_init(cfg, (enum mm_layout)(m->has_layout ? m->layout : 0));
	if (m->has_task_size) {
		cfg->task_size = m->task_size;
		/* exec leaves the stack pointer in the top page of the task. */
		cfg->start_stack = m->task_size - MM_PAGE_SIZE;
	}
#define CREATE_COPY(f)                                                                             \
	if (m->has_##f)                                                                            \
		cfg->f = m->f;
	CREATE_COPIED(CREATE_COPY)
#undef CREATE_COPY
}

static int
check_layout(struct dctx *d, bool has, Vmad__V1__Layout layout)
{
	if (has &&
	    (layout < VMAD__V1__LAYOUT__LAYOUT_X86_64 || layout > VMAD__V1__LAYOUT__LAYOUT_I386))
		return fail(d, -EINVAL, "unknown layout %d", (int)layout);
	return 0;
}

static int
op_create(struct dctx *d, const Vmad__V1__Create *m)
{
	struct mm_config cfg;
	struct mm *mm;
	unsigned mode = SPACE_MODE_DEFAULT;
	int r;

	if ((r = check_new_space(d, m->name)) < 0 ||
	    (r = check_mode(d, m->has_mode, m->mode, &mode)) < 0 ||
	    (r = check_layout(d, m->has_layout, m->layout)) < 0)
		return r;
	create_config(m, &cfg);
	if (cfg.personality & ~MM_PER_MODELLED || cfg.features & ~MM_FEAT_MODELLED)
		return fail(d, -EINVAL, "personality 0x%x or features 0x%x: not modelled",
			    cfg.personality & ~MM_PER_MODELLED, cfg.features & ~MM_FEAT_MODELLED);
	r = mm_create(&cfg, &mm);
	if (r < 0)
		return fail(d, r, "the configuration of '%s' is not valid", m->name);
	return add_space(d, m->name, mm, mode);
}

static int
op_destroy(struct dctx *d, const Vmad__V1__Destroy *m)
{
	struct space *sp;
	int r = find_space(d, m->name, &sp);

	if (r < 0)
		return r;
	if (space_owner_check(sp, d->cred) < 0)
		return fail(d, -EACCES, "'%s' belongs to uid %u", m->name, (unsigned)sp->uid);
	watch_space_gone(d->srv, sp);
	space_remove(&d->srv->spaces, sp);
	d->sp = NULL;
	return 0;
}

static int
op_list(struct dctx *d)
{
	Vmad__V1__ListResult *res = reply_list(d->arena, &d->srv->spaces, d->cred);

	if (!res)
		return -ENOMEM;
	d->resp->result_case = VMAD__V1__RESPONSE__RESULT_LIST;
	d->resp->list = res;
	return 0;
}

static int
op_fork(struct dctx *d, const Vmad__V1__Fork *m)
{
	Event ev = VMAD__V1__EVENT__INIT;
	struct space *src;
	struct mm *child;
	int r;

	if ((r = lookup(d, m->src, SPACE_READ, &src)) < 0 || (r = check_new_space(d, m->dst)) < 0)
		return r;
	r = mm_fork(src->mm, &child);
	if (r < 0)
		return fail(d, r, "fork of '%s' failed", m->src);
	/* Like a copied file: the caller owns the copy, which keeps the source's mode. */
	r = add_space(d, m->dst, child, src->mode);
	if (r < 0 || !src->watchers)
		return r;
	ev.target = m->dst;
	emit(d, src, VMAD__V1__EVENT_KIND__EVENT_FORK, &ev);
	return 0;
}

static int
op_import(struct dctx *d, const Vmad__V1__Import *m)
{
	struct mm_config cfg;
	unsigned errline = 0;
	struct mm *mm;
	unsigned mode = SPACE_MODE_DEFAULT;
	int r;

	if ((r = check_new_space(d, m->name)) < 0 ||
	    (r = check_mode(d, m->has_mode, m->mode, &mode)) < 0 ||
	    (r = check_layout(d, m->has_layout, m->layout)) < 0)
		return r;
	if (!m->text)
		return fail(d, -EINVAL, "no maps text given");
	mm_config_init(&cfg, (enum mm_layout)(m->has_layout ? m->layout : 0));
	r = mm_import_maps(&cfg, m->text, strlen(m->text), &mm, &errline);
	if (r == -EINVAL && errline)
		return fail(d, r, "maps text line %u is not valid", errline);
	if (r < 0)
		return fail(d, r, "cannot import the maps text");
	return add_space(d, m->name, mm, mode);
}

/* ---- memory operations --------------------------------------------------------------- */

static int
file_desc(struct dctx *d, const Vmad__V1__File *f, struct mm_file_desc *out)
{
	char why[160] = "";
	int r = files_req_desc(f, out, why, sizeof(why));

	return r < 0 ? fail(d, r, "%s", why) : 0;
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

	if ((r = lookup(d, m->name, SPACE_WRITE, &sp)) < 0)
		return r;
	if (m->file) {
		if ((r = file_desc(d, m->file, &fd)) < 0)
			return r;
		file = &fd;
	}
	r = mm_mmap(sp->mm, m->addr, m->len, m->prot, m->flags, file, m->offset, &addr);
	if (r == -EBADF && file && file->id)
		return fail(d, r, "no open file %llu in '%s'", (unsigned long long)file->id,
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
		emit(d, sp, VMAD__V1__EVENT_KIND__EVENT_MMAP, &ev);
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
	emit(d, sp, kind, ev);
}

static int
op_mprotect(struct dctx *d, const Vmad__V1__Mprotect *m)
{
	Event ev = VMAD__V1__EVENT__INIT;
	const struct vma *v;
	struct mm_vma_info info;
	struct space *sp;
	int r;

	if ((r = lookup(d, m->name, SPACE_WRITE, &sp)) < 0)
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

	if ((r = lookup(d, m->name, SPACE_WRITE, &sp)) < 0)
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
	if ((r = lookup(d, m->name, m->has_addr ? SPACE_WRITE : SPACE_READ, &sp)) < 0)
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
		emit(d, sp, VMAD__V1__EVENT_KIND__EVENT_BRK, &ev);
	}
	return 0;
}

static int
op_find(struct dctx *d, const Vmad__V1__Find *m)
{
	Vmad__V1__FindResult *res = arena_alloc(d->arena, sizeof(*res));
	const struct vma *v, *prev = NULL;
	struct space *sp;
	int r;

	if ((r = lookup(d, m->name, SPACE_READ, &sp)) < 0)
		return r;
	if (!res)
		return -ENOMEM;
	vmad__v1__find_result__init(res);
	switch (m->has_mode ? m->mode : VMAD__V1__FIND_MODE__FIND_VMA) {
	case VMAD__V1__FIND_MODE__FIND_VMA:
		v = mm_find_vma(sp->mm, m->addr);
		break;
	case VMAD__V1__FIND_MODE__FIND_VMA_PREV:
		v = mm_find_vma_prev(sp->mm, m->addr, &prev);
		break;
	case VMAD__V1__FIND_MODE__FIND_INTERSECTION:
		v = mm_find_vma_intersection(sp->mm, m->addr, m->end);
		break;
	default:
		return fail(d, -EINVAL, "unknown find mode %d", (int)m->mode);
	}
	if ((v && !(res->vma = reply_vma(d->arena, sp->mm, v))) ||
	    (prev && !(res->prev = reply_vma(d->arena, sp->mm, prev))))
		return -ENOMEM;
	d->resp->result_case = VMAD__V1__RESPONSE__RESULT_FIND;
	d->resp->find = res;
	return 0;
}

static int
op_populate(struct dctx *d, const Vmad__V1__Populate *m)
{
	Event ev = VMAD__V1__EVENT__INIT;
	struct space *sp;
	int r;

	if ((r = lookup(d, m->name, SPACE_WRITE, &sp)) < 0)
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

	if ((r = lookup(d, m->name, SPACE_WRITE, &sp)) < 0)
		return r;
	if (m->access < VMAD__V1__ACCESS__ACCESS_READ || m->access > VMAD__V1__ACCESS__ACCESS_EXEC)
		return fail(d, -EINVAL, "unknown access kind %d", (int)m->access);
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
		emit(d, sp, VMAD__V1__EVENT_KIND__EVENT_FAULT, &ev);
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

	if ((r = lookup(d, q->name, SPACE_WRITE, &sp)) < 0)
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

	if ((r = lookup(d, m->name, SPACE_READ, &sp)) < 0)
		return r;
	if (!res)
		return -ENOMEM;
	vmad__v1__maps_result__init(res);
	r = reply_maps(d->arena, sp->mm, m->from, m->limit, res);
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

	if ((r = lookup(d, m->name, SPACE_READ, &sp)) < 0)
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

	if ((r = lookup(d, m->name, SPACE_READ, &sp)) < 0)
		return r;
	r = watch_add(d->srv, d->conn, sp, d->req->id);
	if (r == -EMFILE)
		return fail(d, r, "this connection already holds %zu watches",
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

/* ---- saved spaces -------------------------------------------------------------------- */

static int
op_save(struct dctx *d, const Vmad__V1__Save *m)
{
	Vmad__V1__SaveResult *res = arena_alloc(d->arena, sizeof(*res));
	struct mm_sbuf b = { 0 };
	struct space *sp;
	int r;

	if ((r = lookup(d, m->name, SPACE_READ, &sp)) < 0)
		return r;
	if (res)
		vmad__v1__save_result__init(res);
	if (!res || mm_save(sp->mm, &b) < 0 || !(res->data.data = arena_alloc(d->arena, b.len))) {
		mm_sbuf_free(&b);
		return -ENOMEM;
	}
	memcpy(res->data.data, b.data, b.len);
	res->has_data = true;
	res->data.len = b.len;
	mm_sbuf_free(&b);
	d->resp->result_case = VMAD__V1__RESPONSE__RESULT_SAVE;
	d->resp->save = res;
	return 0;
}

/* Over an existing space the contents change, its owner, mode and watchers stay. */
static int
op_restore(struct dctx *d, const Vmad__V1__Restore *m)
{
	struct space *sp = m->name ? space_find(&d->srv->spaces, m->name) : NULL;
	unsigned mode = SPACE_MODE_DEFAULT;
	Event ev = VMAD__V1__EVENT__INIT;
	char msg[256];
	struct mm *mm;
	int r;

	if (sp && (r = lookup(d, m->name, SPACE_WRITE, &sp)) < 0)
		return r;
	if (!sp && ((r = check_new_space(d, m->name)) < 0 ||
		    (r = check_mode(d, m->has_mode, m->mode, &mode)) < 0))
		return r;
	r = mm_load(m->data.data, m->data.len, NULL, &mm, msg, sizeof(msg));
	if (r < 0)
		return fail(d, r, "saved address space not usable: %s", msg);
	if (!sp)
		return add_space(d, m->name, mm, mode);
	if ((r = replace_mm(d, sp, mm)) < 0 || !sp->watchers)
		return r;
	emit(d, sp, VMAD__V1__EVENT_KIND__EVENT_RESTORE, &ev);
	return 0;
}

/* ---- open files and the break (files_req.c) ------------------------------------------ */

static int
op_files(struct dctx *d)
{
	Event ev = VMAD__V1__EVENT__INIT;
	char why[160] = "";
	struct space *sp;
	int r;

	if ((r = lookup(d, files_req_name(d->req), SPACE_WRITE, &sp)) < 0)
		return r;
	r = files_req_run(sp->mm, d->req, d->resp, d->arena, why, sizeof(why));
	if (r < 0)
		return why[0] ? fail(d, r, "%s", why) : r;
	if (sp->watchers && files_req_event(d->req, &ev))
		emit(d, sp, ev.kind, &ev);
	return 0;
}

/* mlockall and munlockall (lockall_req.c). */
static int
op_lockall(struct dctx *d)
{
	Event ev = VMAD__V1__EVENT__INIT;
	struct space *sp;
	int r;

	if ((r = lookup(d, lockall_req_name(d->req), SPACE_WRITE, &sp)) < 0)
		return r;
	r = lockall_req_run(sp->mm, d->req, &ev);
	if (r == 0 && sp->watchers)
		emit(d, sp, ev.kind, &ev);
	return r;
}

/* ---- protection keys (pkeys_req.c) --------------------------------------------------- */

static int
op_pkeys(struct dctx *d)
{
	Event ev = VMAD__V1__EVENT__INIT;
	Vmad__V1__EventKind kind;
	struct space *sp;
	int r;

	if ((r = lookup(d, pkeys_req_name(d->req), SPACE_WRITE, &sp)) < 0)
		return r;
	r = pkeys_req_run(sp->mm, d->req, d->resp, d->arena, &kind, &ev);
	if (r == 0 && sp->watchers)
		emit(d, sp, kind, &ev);
	return r;
}

/* Smaps and SetVmaAnonName (vma_req.c). */
static int
op_vma_req(struct dctx *d, bool write)
{
	Event ev = VMAD__V1__EVENT__INIT;
	char why[160] = "";
	struct space *sp;
	int r;

	if ((r = lookup(d, vma_req_name(d->req), write ? SPACE_WRITE : SPACE_READ, &sp)) < 0)
		return r;
	r = vma_req_run(sp->mm, d->req, d->resp, d->arena, why, sizeof(why));
	if (r < 0)
		return why[0] ? fail(d, r, "%s", why) : r;
	if (sp->watchers && vma_req_event(d->req, &ev))
		emit(d, sp, ev.kind, &ev);
	return 0;
}

static int
op_view_open(struct dctx *d, const Vmad__V1__ViewOpen *m)
{
	Vmad__V1__ViewResult *res = arena_alloc(d->arena, sizeof(*res));
	struct space *sp;
	int fd, r;

	if ((r = lookup(d, m->name, SPACE_READ, &sp)) < 0)
		return r;
	if (!res)
		return -ENOMEM;
	r = view_open_fd(sp, &fd);
	if (r < 0)
		return fail(d, r, "cannot publish a view of '%s'", m->name);
	conn_pass_fd(d->conn, fd);
	vmad__v1__view_result__init(res);
	res->has_segment_version = res->has_size = true;
	res->segment_version = VSEG_VERSION;
	res->size = view_pub_size(sp);
	d->resp->result_case = VMAD__V1__RESPONSE__RESULT_VIEW;
	d->resp->view = res;
	return 0;
}

/* The space is replaced as execve replaces a process's mm: same owner, mode and watchers. */
static int
op_exec(struct dctx *d, const Vmad__V1__Exec *m)
{
	struct exec_req *req = calloc(1, sizeof(*req));
	struct space *sp = space_find(&d->srv->spaces, m->name ? m->name : "");
	struct mm_exec_info info;
	Event ev = VMAD__V1__EVENT__INIT;
	const char *why = "";
	unsigned mode = SPACE_MODE_DEFAULT;
	struct mm *mm;
	int r;

	if (!req)
		return -ENOMEM;
	if (sp)
		r = lookup(d, m->name, SPACE_WRITE, &sp);
	else if ((r = check_new_space(d, m->name)) == 0)
		r = check_mode(d, m->has_mode, m->mode, &mode);
	if (r == 0 && (r = exec_req_parse(m, req, &why)) < 0)
		r = fail(d, r, "%s", why);
	if (r == 0 && (r = mm_exec(&req->cfg, &req->args, &mm, &info)) < 0)
		r = fail(d, r, "exec of '%s' failed", req->exe.file.path);
	/* The program's path lies in the request message, not in req. */
	ev.path = (char *)req->exe.file.path;
	free(req);
	if (r < 0)
		return r;
	if ((r = sp ? replace_mm(d, sp, mm) : add_space(d, m->name, mm, mode)) < 0)
		return r;
	if (sp && sp->watchers)
		emit(d, sp, VMAD__V1__EVENT_KIND__EVENT_EXEC, &ev);
	d->resp->exec = exec_req_result(d->arena, &info);
	if (!d->resp->exec)
		return -ENOMEM;
	d->resp->result_case = VMAD__V1__RESPONSE__RESULT_EXEC;
	return 0;
}

/* ---- the switch ---------------------------------------------------------------------- */

static int
dispatch_op(struct dctx *d)
{
	const Request *q = d->req;
	bool write;

	switch (q->op_case) {
	case VMAD__V1__REQUEST__OP_HELLO:
		return op_hello(d, q->hello);
	case VMAD__V1__REQUEST__OP_PING:
		return 0;
	case VMAD__V1__REQUEST__OP_CREATE:
		return op_create(d, q->create);
	case VMAD__V1__REQUEST__OP_DESTROY:
		return op_destroy(d, q->destroy);
	case VMAD__V1__REQUEST__OP_LIST:
		return op_list(d);
	case VMAD__V1__REQUEST__OP_FORK:
		return op_fork(d, q->fork);
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
		return op_import(d, q->import);
	case VMAD__V1__REQUEST__OP_WATCH:
		return op_watch(d, q->watch);
	case VMAD__V1__REQUEST__OP_STATS:
		return op_stats(d);
	case VMAD__V1__REQUEST__OP_USAGE:
		return op_usage(d);
	case VMAD__V1__REQUEST__OP_SAVE:
		return op_save(d, q->save);
	case VMAD__V1__REQUEST__OP_RESTORE:
		return op_restore(d, q->restore);
	case VMAD__V1__REQUEST__OP_VIEW_OPEN:
		return op_view_open(d, q->view_open);
	case VMAD__V1__REQUEST__OP_EXEC:
		return op_exec(d, q->exec);
	default:
		if (files_req_handles(q))
			return op_files(d);
		if (lockall_req_handles(q))
			return op_lockall(d);
		if (pkeys_req_handles(q))
			return op_pkeys(d);
		if (vma_req_handles(q, &write))
			return op_vma_req(d, write);
		d->close = true;
		return fail(d, -EOPNOTSUPP, "the request carries no operation this server knows");
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
	Event ev = VMAD__V1__EVENT__INIT;
	struct mm_range rg;

	if (!d->sp || !mm_take_op_changed(d->sp->mm, &rg) || r >= 0 || !d->sp->watchers)
		return;
	emit_range(d, d->sp, VMAD__V1__EVENT_KIND__EVENT_CHANGED, rg.lo, rg.hi - rg.lo, &ev);
}

/* The op within the quotas and the memory budget (limits.h). */
static int
dispatch_limited(struct dctx *d)
{
	struct quota_op q;
	int r = quota_before(d->srv, d->req, &q);

	if (r < 0)
		return fail(d, r, "%s", q.msg);
	r = dispatch_op(d);
	if (quota_after(d->srv, &q, &r))
		fail(d, r, "%s", q.msg);
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
	if (log_enabled(LOG_LEVEL_DEBUG))
		log_debug("client %llu: request %llu op %d: %d", (unsigned long long)conn_id(c),
			  (unsigned long long)req->id, (int)req->op_case, r);
	return d.close;
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
