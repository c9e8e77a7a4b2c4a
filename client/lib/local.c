/* SPDX-License-Identifier: MIT */
/*
 * vmac_open_local(): the engine inside the caller.  A call's Request is not encoded: it goes
 * straight to the daemon's own core (daemon/dispatch.c, space.c, reply.c), so results, errno
 * values, maps lines and messages are the daemon's.  This file stands in for the daemon's
 * transport (conn.c, watch.c, server.c, log.c) with the functions that core calls.
 *
 * Every local connection of a process reaches one engine, as every connection to one daemon
 * reaches the same spaces; it lives while a local connection is open.  One lock serialises
 * the requests, so local connections may be used from different threads.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#include "conn.h"
#include "dispatch.h"
#include "log.h"
#include "mm.h"
#include "server.h"
#include "space.h"
#include "view.h"
#include "watch.h"

/* Events kept for a local watcher that does not read them, before they count as lost. */
#define LOCAL_WATCH_QUEUE 1024
/* The subscriptions one connection may hold, as in vmad. */
#define LOCAL_WATCHES_PER_CONN 64

/* A local connection as the core sees it. */
struct conn {
	struct vmac_conn *vc;
	struct peer_cred cred;
	uint64_t id;
	struct arena arena; /* the replies not yet collected, and the last one */
	struct watch *watches;
	int pass_fd;   /* a descriptor for the reply being made (a view's), or -1 */
	size_t queued; /* event frames waiting in vc->in */
	uint64_t lost, lost_seq;
};

struct local_conn {
	struct conn conn;
};

struct watch {
	struct watch *snext; /* the space's watchers */
	struct watch *cnext; /* the connection's watches */
	struct conn *conn;
	struct space *space;
	uint64_t id; /* the Watch request's id, carried by every event */
};

static struct {
	pthread_mutex_t lock;
	struct server srv;
	size_t users;
} local = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* ---- what the core calls ------------------------------------------------------------- */

const struct peer_cred *
conn_cred(const struct conn *c)
{
	return &c->cred;
}

uint64_t
conn_id(const struct conn *c)
{
	return c->id;
}

void
conn_pass_fd(struct conn *c, int fd)
{
	if (c->pass_fd >= 0)
		close(c->pass_fd);
	c->pass_fd = fd;
}

/* The library never logs. */
int
log_enabled(int level)
{
	(void)level;
	return 0;
}

void
log_msg(int level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

uint64_t
server_uptime_sec(const struct server *srv)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - srv->started.tv_sec);
}

uint64_t
server_vma_count(const struct server *srv)
{
	struct mm_status st;
	uint64_t n = 0;

	for (const struct space *sp = space_next(&srv->spaces, NULL); sp;
	     sp = space_next(&srv->spaces, sp)) {
		mm_get_status(sp->mm, &st);
		n += st.map_count;
	}
	return n;
}

int
watch_add(struct server *srv, struct conn *c, struct space *sp, uint64_t id)
{
	size_t n = 0;
	struct watch *w;

	for (w = c->watches; w; w = w->cnext)
		n++;
	if (n >= srv->cfg.watches_per_conn)
		return -EMFILE;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->conn = c;
	w->space = sp;
	w->id = id;
	w->snext = sp->watchers;
	sp->watchers = w;
	w->cnext = c->watches;
	c->watches = w;
	srv->nwatchers++;
	return 0;
}

static void
local_watch_free(struct server *srv, struct watch *w)
{
	struct watch **pp;

	if (w->space) {
		for (pp = &w->space->watchers; *pp != w; pp = &(*pp)->snext)
			;
		*pp = w->snext;
	}
	for (pp = &w->conn->watches; *pp != w; pp = &(*pp)->cnext)
		;
	*pp = w->cnext;
	srv->nwatchers--;
	free(w);
}

/* Appends one framed event to the watcher's input, as the daemon's socket would. */
static int
local_frame_event(struct conn *c, uint64_t id, Vmad__V1__Event *ev)
{
	Vmad__V1__Response resp = VMAD__V1__RESPONSE__INIT;
	struct cbuf *in = &c->vc->in;
	uint64_t one = 1;
	size_t n;

	resp.has_id = true;
	resp.id = id;
	resp.result_case = VMAD__V1__RESPONSE__RESULT_EVENT;
	resp.event = ev;
	n = vmad__v1__response__get_packed_size(&resp);
	if (n > UINT32_MAX || cbuf_reserve(in, 4 + n) < 0)
		return -ENOMEM;
	in->data[in->len] = (uint8_t)(n >> 24);
	in->data[in->len + 1] = (uint8_t)(n >> 16);
	in->data[in->len + 2] = (uint8_t)(n >> 8);
	in->data[in->len + 3] = (uint8_t)n;
	vmad__v1__response__pack(&resp, in->data + in->len + 4);
	in->len += 4 + n;
	c->queued++;
	/* The eventfd counter cannot overflow at these rates; a failed write only delays poll. */
	if (write(c->vc->fd, &one, sizeof(one)) < 0)
		return 0;
	return 0;
}

/* Past the bound, events are counted and reported by one EVENT_OVERFLOW, as vmad does. */
static void
local_deliver(struct watch *w, Vmad__V1__Event *ev, bool force)
{
	struct conn *c = w->conn;

	if ((c->queued < LOCAL_WATCH_QUEUE || force) && !c->lost &&
	    local_frame_event(c, w->id, ev) == 0)
		return;
	c->lost++;
	c->lost_seq = ev->seq;
}

void
watch_emit(struct server *srv, struct space *sp, Vmad__V1__Event *ev)
{
	(void)srv;
	ev->has_seq = true;
	ev->seq = ++sp->seq;
	ev->has_kind = true;
	ev->name = sp->name;
	for (struct watch *w = sp->watchers; w; w = w->snext)
		local_deliver(w, ev, false);
}

void
watch_space_gone(struct server *srv, struct space *sp)
{
	Vmad__V1__Event ev = VMAD__V1__EVENT__INIT;

	ev.kind = VMAD__V1__EVENT_KIND__EVENT_DESTROY;
	ev.has_seq = ev.has_kind = true;
	ev.seq = ++sp->seq;
	ev.name = sp->name;
	while (sp->watchers) {
		struct watch *w = sp->watchers;

		local_deliver(w, &ev, true);
		local_watch_free(srv, w);
	}
}

void
watch_conn_gone(struct server *srv, struct conn *c)
{
	while (c->watches)
		local_watch_free(srv, c->watches);
}

/* The count of dropped events goes where they would have been: after what was queued. */
static void
local_overflow(struct conn *c)
{
	Vmad__V1__Event ev = VMAD__V1__EVENT__INIT;

	if (!c->lost || c->queued || !c->watches)
		return;
	ev.has_seq = ev.has_kind = ev.has_lost = true;
	ev.seq = c->lost_seq;
	ev.kind = VMAD__V1__EVENT_KIND__EVENT_OVERFLOW;
	ev.lost = c->lost;
	ev.name = c->watches->space ? c->watches->space->name : "";
	if (local_frame_event(c, c->watches->id, &ev) == 0)
		c->lost = 0;
}

/* ---- the library's side --------------------------------------------------------------- */

static int
local_engine_start(void)
{
	struct server *srv = &local.srv;
	int r;

	memset(srv, 0, sizeof(*srv));
	/* The daemon's limits protect it from its clients; here the caller is the only one. */
	srv->cfg.max_spaces = SIZE_MAX;
	/* The spaces live in the caller's own memory: no daemon quota or budget applies. */
	srv->cfg.max_spaces_per_uid = SIZE_MAX;
	srv->cfg.max_vmas_per_uid = UINT64_MAX;
	srv->cfg.memory_max = UINT64_MAX;
	srv->cfg.watches_per_conn = LOCAL_WATCHES_PER_CONN;
	srv->cfg.watch_queue = LOCAL_WATCH_QUEUE;
	clock_gettime(CLOCK_MONOTONIC, &srv->started);
	arena_init(&srv->req_arena, SIZE_MAX);
	arena_init(&srv->reply_arena, SIZE_MAX);
	r = space_table_init(&srv->spaces);
	return r;
}

static void
local_engine_stop(void)
{
	space_table_fini(&local.srv.spaces);
	arena_fini(&local.srv.req_arena);
	arena_fini(&local.srv.reply_arena);
}

static int
local_cred(struct peer_cred *cred)
{
	int n = getgroups(0, NULL);

	cred->pid = getpid();
	cred->uid = geteuid();
	cred->gid = getegid();
	if (n <= 0)
		return 0;
	cred->groups = calloc((size_t)n, sizeof(gid_t));
	if (!cred->groups)
		return -ENOMEM;
	n = getgroups(n, cred->groups);
	if (n < 0)
		return -errno;
	cred->ngroups = (size_t)n;
	return 0;
}

static int
local_attach(struct local_conn *lc)
{
	int r = 0;

	pthread_mutex_lock(&local.lock);
	if (local.users == 0)
		r = local_engine_start();
	if (r == 0) {
		local.users++;
		local.srv.nclients++;
		lc->conn.id = ++local.srv.next_conn_id;
	} else {
		local_engine_stop();
	}
	pthread_mutex_unlock(&local.lock);
	return r;
}

int
local_open(struct vmac_conn *c)
{
	struct local_conn *lc = calloc(1, sizeof(*lc));
	int r;

	if (!lc)
		return -ENOMEM;
	lc->conn.vc = c;
	lc->conn.pass_fd = -1;
	arena_init(&lc->conn.arena, SIZE_MAX);
	r = local_cred(&lc->conn.cred);
	c->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r == 0 && c->fd < 0)
		r = -errno;
	if (r == 0)
		r = local_attach(lc);
	if (r < 0) {
		if (c->fd >= 0)
			close(c->fd);
		free(lc->conn.cred.groups);
		free(lc);
		return r;
	}
	c->local = lc;
	return 0;
}

void
local_close(struct vmac_conn *c)
{
	struct local_conn *lc = c->local;

	pthread_mutex_lock(&local.lock);
	watch_conn_gone(&local.srv, &lc->conn);
	local.srv.nclients--;
	if (--local.users == 0)
		local_engine_stop();
	pthread_mutex_unlock(&local.lock);
	arena_fini(&lc->conn.arena);
	close(c->fd);
	free(lc->conn.cred.groups);
	free(lc);
	c->local = NULL;
}

static void
local_drain_eventfd(int fd)
{
	uint64_t n;

	/* Non-blocking: EAGAIN when nothing was signalled, which is not an error. */
	if (read(fd, &n, sizeof(n)) < 0)
		return;
}

void
local_reset(struct vmac_conn *c)
{
	struct conn *dc = &c->local->conn;

	pthread_mutex_lock(&local.lock);
	watch_conn_gone(&local.srv, dc);
	dc->queued = 0;
	dc->lost = 0;
	local_drain_eventfd(c->fd);
	pthread_mutex_unlock(&local.lock);
}

/* A reply an iterator keeps across later calls (a maps page) leaves the arena for the heap. */
static Response *
local_keep(Response *r)
{
	size_t n = vmad__v1__response__get_packed_size(r);
	uint8_t *buf = malloc(n ? n : 1);
	Response *copy;

	if (!buf)
		return NULL;
	vmad__v1__response__pack(r, buf);
	copy = vmad__v1__response__unpack(NULL, n, buf);
	free(buf);
	return copy;
}

/* Under the lock: the reply, in the connection's arena until its next call. */
static Response *
local_dispatch(struct vmac_conn *c, const Request *req, bool *close)
{
	struct server *srv = &local.srv;
	struct conn *dc = &c->local->conn;
	Response *resp;

	/* Replies still to be collected (a pipeline) live in the arena until then. */
	if (c->qhead == c->qlen)
		arena_reset(&dc->arena);
	arena_move(&srv->reply_arena, &dc->arena);
	resp = arena_alloc(&srv->reply_arena, sizeof(*resp));
	if (resp) {
		vmad__v1__response__init(resp);
		srv->requests++;
		*close = dispatch_request(srv, dc, req, resp);
		/* The reply is the caller's at once: nothing waits to be published with it. */
		view_flush(&srv->spaces);
		if (resp->error)
			srv->errors++;
	}
	arena_move(&dc->arena, &srv->reply_arena);
	return resp;
}

int
local_call(struct vmac_conn *c, const Request *req, Response **out)
{
	bool close = false;

	pthread_mutex_lock(&local.lock);
	*out = local_dispatch(c, req, &close);
	pthread_mutex_unlock(&local.lock);
	return *out ? 0 : -ENOMEM;
}

/* A VMA as a reply would carry it, its line copied into arena a. */
static int
local_vma(struct mm *mm, const struct vma *v, struct arena *a, struct vmac_vma *out)
{
	char line[MM_MAPS_LINE_MAX];
	struct mm_maps_entry e;
	struct mm_vma_info info;
	char *copy;

	/* A line that cannot be made fails the request as it does in reply_vma(). */
	if (mm_maps_entry_info(mm, v, &e, &info, line, sizeof(line)) < 0 ||
	    !(copy = arena_alloc(a, e.len + 1)))
		return -EAGAIN;
	memcpy(copy, line, e.len + 1);
	wire_vma_entry(&e, &info, copy, out);
	return 0;
}

int
local_find(struct vmac_conn *c, const Vmad__V1__Find *m, struct vmac_vma *vma,
	   struct vmac_vma *prev)
{
	struct arena *a = &c->local->conn.arena;
	const struct vma *v, *pv;
	struct mm *mm;
	int r;

	pthread_mutex_lock(&local.lock);
	r = dispatch_find(&local.srv, &c->local->conn, m, &mm, &v, &pv);
	if (r == 0) {
		local.srv.requests++;
		/* The last reply, which may live in the arena, goes first, as any call drops it. */
		conn_set_last(c, NULL);
		arena_reset(a);
		if (v)
			r = local_vma(mm, v, a, vma);
		if (r == 0 && pv && prev)
			r = local_vma(mm, pv, a, prev);
	}
	pthread_mutex_unlock(&local.lock);
	if (r < 0)
		return r;
	return (v ? VMAC_FOUND_VMA : 0) | (pv && prev ? VMAC_FOUND_PREV : 0);
}

int
local_submit(struct vmac_conn *c, Request *req, struct conn_pending *p)
{
	bool close = false;
	Response *resp;

	req->has_id = true;
	req->id = c->next_id++;
	p->id = req->id;
	pthread_mutex_lock(&local.lock);
	resp = local_dispatch(c, req, &close);
	if (resp && resp->result_case == VMAD__V1__RESPONSE__RESULT_MAPS) {
		resp = local_keep(resp);
		p->reply_owned = true;
	}
	pthread_mutex_unlock(&local.lock);
	if (!resp)
		return -ENOMEM;
	if (c->local->conn.pass_fd >= 0) {
		conn_take_fd(c, c->local->conn.pass_fd);
		c->local->conn.pass_fd = -1;
	}
	/* What makes vmad close the connection (a bad hello) ends this one after the reply. */
	if (close)
		c->send_err = -EPIPE;
	p->reply = resp;
	return 0;
}

static int
local_take_event(struct vmac_conn *c, Response **out)
{
	struct conn *dc = &c->local->conn;
	int rc;

	pthread_mutex_lock(&local.lock);
	local_drain_eventfd(c->fd);
	local_overflow(dc);
	rc = io_take_frame(c, out);
	if (rc > 0)
		dc->queued--;
	pthread_mutex_unlock(&local.lock);
	return rc;
}

int
local_read_frame(struct vmac_conn *c, Response **out, int timeout_ms, bool watch)
{
	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int rc = local_take_event(c, out);

		if (rc != 0)
			return rc < 0 ? rc : 0;
		rc = poll(&p, 1, timeout_ms);
		if (rc == 0)
			return watch ? -EAGAIN : io_fail(c, -ETIMEDOUT);
		if (rc < 0 && errno == EINTR && watch)
			return -EINTR;
		if (rc < 0 && errno != EINTR)
			return io_fail(c, -errno);
	}
}
