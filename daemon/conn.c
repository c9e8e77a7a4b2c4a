/* SPDX-License-Identifier: MIT */
#include "conn.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "dispatch.h"
#include "durable.h"
#include "fault_inject.h"
#include "log.h"
#include "quickfind.h"
#include "server.h"
#include "space.h"
#include "view.h"
#include "watch.h"
#include "wire.h"

/* Beyond a whole frame, what the input may hold before reading stops (one socket read). */
#define CONN_READ_SLACK 16384

struct conn {
	struct server *srv;
	struct conn *prev, *next;
	struct bufferevent *bev;
	struct event *timer; /* idle and frame deadlines; deferred free when closing */
	struct event *more;  /* the rest of the input, in a later loop pass */
	struct peer_cred cred;
	struct watch *watches;
	uint64_t id;
	unsigned pass_left; /* requests this pass may still serve (fair service) */
	bool more_armed;    /* input is left for the next pass: `more` is armed */
	bool hung_up;       /* the client closed its end: what it sent is served at once */
	bool partial;       /* a frame has started but not completed; its deadline is armed */
	bool paused;        /* reading stopped because the output passed the high mark */
	bool draining;      /* shutdown: answer what is buffered, read nothing more */
	bool closing;       /* flush the output, then free */
	bool busy;          /* handling its input: the replies are written when that ends */
	bool writing;       /* output is pending and libevent's write event is armed for it */
	bool held;          /* output waits in held_out for the journal's commit (durable.c) */
	struct evbuffer *held_out;
	bool viewer; /* holds a view: never closed as idle */
	int pass_fd; /* a descriptor the next reply carries, or -1 */
};

/* A connection whose deadline cannot be armed could hold its slot forever: it is closed. */
static void
conn_timeout(struct conn *c, unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	if (event_add(c->timer, &tv) < 0) {
		log_warning("client %llu: cannot arm its timer; closing",
			    (unsigned long long)c->id);
		conn_close(c);
	}
}

/* Output not yet written: in libevent's buffer, and the replies batched this pass. */
static size_t
conn_pending(const struct conn *c)
{
	const struct wire_buf *w = &c->srv->wire;

	return evbuffer_get_length(bufferevent_get_output(c->bev)) +
	       (w->batch_owner == c ? w->batch_len : 0);
}

bool
conn_congested(const struct conn *c)
{
	return conn_pending(c) >= c->srv->cfg.out_high;
}

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

struct conn *
conn_next(const struct conn *c)
{
	return c->next;
}

struct watch **
conn_watch_list(struct conn *c)
{
	return &c->watches;
}

/*
 * The replies of one pass are framed into the server's batch and handed to the output in one
 * piece (an evbuffer_add per reply costs its chain bookkeeping and the output's callbacks).
 * The batch belongs to the connection being served (busy), which moves it to its output
 * before anything else is written there, and at the end of the pass.
 */
static void
conn_batch_flush(struct conn *c)
{
	struct wire_buf *w = &c->srv->wire;

	if (w->batch_owner != c)
		return;
	w->batch_owner = NULL;
	if (wire_batch_flush(w, bufferevent_get_output(c->bev)) < 0) {
		log_warning("client %llu: out of memory for its replies; closing",
			    (unsigned long long)c->id);
		conn_close(c);
	}
}

/* Whether a reply to c may go to the batch: c is being served and its replies may leave. */
static bool
conn_batching(struct conn *c)
{
	struct wire_buf *w = &c->srv->wire;

	if (!c->busy || c->closing || durable_holding(c->srv) ||
	    (w->batch_owner && w->batch_owner != c))
		return false;
	w->batch_owner = c;
	return true;
}

struct wire_buf *
conn_batch(struct conn *c)
{
	return c->pass_fd < 0 && conn_batching(c) ? &c->srv->wire : NULL;
}

/* From now on libevent writes the output when the socket takes it, and calls conn_write_cb. */
static void
conn_want_write(struct conn *c)
{
	if (c->writing)
		return;
	c->writing = true;
	if (bufferevent_enable(c->bev, EV_WRITE) == 0)
		return;
	/* Output that can never be written: the connection ends (conn_timer_cb frees it). */
	c->writing = false;
	log_warning("client %llu: cannot wait to write; closing", (unsigned long long)c->id);
	conn_close(c);
}

/*
 * The pass's replies written straight from the batch when nothing waits before them: moving
 * them to the output first costs a copy there and a chain allocated and freed per pass.
 * What the socket does not take, and a failed write (which libevent then retries and
 * reports), stay in the batch for conn_batch_flush().
 */
static void
conn_write_batch(struct conn *c, struct evbuffer *out)
{
	struct wire_buf *w = &c->srv->wire;
	ssize_t n;

	if (w->batch_owner != c || !w->batch_len || c->writing || c->paused ||
	    evbuffer_get_length(out) > 0 || watch_conn_waiting(c))
		return;
	n = send(bufferevent_getfd(c->bev), w->batch, w->batch_len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n > 0)
		wire_batch_sent(w, (size_t)n);
}

/*
 * Writes the pending output at once.  Arming the write event for every reply and disarming
 * it once sent costs two epoll_ctl calls and a second epoll_wait per round trip; the write
 * event is armed only for what the socket does not take now (libevent then also reports a
 * write error, and the write timeout runs).  A paused reader and queued watch events wait for
 * conn_write_cb, which only libevent's writing calls: then libevent writes everything.  A
 * socket bufferevent keeps its output frozen at the front against writers other than itself,
 * hence the thaw around the write.
 */
static void
conn_flush(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	int written = 0;

	/* No reply leaves before the views show what it reports. */
	view_flush(&c->srv->spaces);
	conn_write_batch(c, out);
	conn_batch_flush(c);
	if (c->writing || evbuffer_get_length(out) == 0)
		return;
	if (!c->paused && !watch_conn_waiting(c)) {
		evbuffer_unfreeze(out, 1);
		written = evbuffer_write(out, bufferevent_getfd(c->bev));
		evbuffer_freeze(out, 1);
	}
	/* What is left, and a failed write, go to libevent: it retries and reports the error. */
	if (written < 0 || evbuffer_get_length(out) > 0)
		conn_want_write(c);
}

/*
 * Where output goes.  While the journal holds records not yet committed, every reply and
 * event waits beside the connection's output, which therefore only ever holds what may leave:
 * nothing libevent writes on its own can acknowledge a change that is not durable.
 */
static struct evbuffer *
conn_out(struct conn *c)
{
	if (!durable_holding(c->srv))
		return bufferevent_get_output(c->bev);
	if (!c->held_out && !(c->held_out = evbuffer_new()))
		return NULL;
	c->held = true;
	return c->held_out;
}

void
conn_release(struct conn *c)
{
	conn_batch_flush(c);
	if (!c->held)
		return;
	c->held = false;
	if (evbuffer_add_buffer(bufferevent_get_output(c->bev), c->held_out) < 0) {
		log_warning("client %llu: out of memory for its replies; closing",
			    (unsigned long long)c->id);
		conn_close(c);
		return;
	}
	conn_flush(c);
	/* A closing connection waits for its output to leave before it is freed. */
	if (c->closing)
		event_active(c->timer, EV_TIMEOUT, 0);
}

/* Output queued while the connection is idle (a watch event) goes out through libevent. */
static void
conn_queued(struct conn *c)
{
	if (!c->busy)
		conn_want_write(c);
}

int
conn_frame_append(struct server *srv, struct evbuffer *out, const Vmad__V1__Response *resp)
{
	return wire_frame_append(&srv->wire, out, &resp->base);
}

void
conn_pass_fd(struct conn *c, int fd)
{
	if (c->pass_fd >= 0)
		close(c->pass_fd);
	c->pass_fd = fd;
	c->viewer = true;
}

/* Sends the start of frame with fd attached; what the socket does not take stays in frame. */
static void
conn_sendmsg_fd(struct conn *c, struct evbuffer *frame, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	size_t len = evbuffer_get_length(frame);
	struct iovec iov = { .iov_base = evbuffer_pullup(frame, (ev_ssize_t)len), .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	if (!iov.iov_base)
		return;
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	n = sendmsg(bufferevent_getfd(c->bev), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n > 0)
		evbuffer_drain(frame, (size_t)n);
	else
		log_debug("client %llu: no descriptor sent: %s", (unsigned long long)c->id,
			  strerror(errno));
}

/*
 * A reply with a descriptor: the descriptor rides on the reply's first byte, so what is
 * queued before it is written first.  A reply that cannot carry it goes without (the client
 * then reports a protocol error).
 */
static int
conn_send_fd(struct conn *c, const Vmad__V1__Response *resp)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer *frame = evbuffer_new();
	int fd = c->pass_fd, r;

	conn_batch_flush(c);
	c->pass_fd = -1;
	view_flush(&c->srv->spaces);
	/* What is queued before it may wait for the journal: commit that first. */
	durable_flush(c->srv);
	r = frame ? conn_frame_append(c->srv, frame, resp) : -ENOMEM;
	if (r == 0) {
		evbuffer_unfreeze(out, 1);
		while (evbuffer_get_length(out) > 0 &&
		       evbuffer_write(out, bufferevent_getfd(c->bev)) > 0)
			;
		evbuffer_freeze(out, 1);
		if (evbuffer_get_length(out) == 0)
			conn_sendmsg_fd(c, frame, fd);
		evbuffer_add_buffer(out, frame);
		conn_queued(c);
	}
	if (frame)
		evbuffer_free(frame);
	close(fd);
	return r;
}

int
conn_send(struct conn *c, const Vmad__V1__Response *resp)
{
	struct evbuffer *out;
	int r;

	if (c->pass_fd >= 0)
		return conn_send_fd(c, resp);
	if (conn_batching(c))
		return wire_frame_batch(&c->srv->wire, &resp->base);
	conn_batch_flush(c);
	out = conn_out(c);
	r = out ? conn_frame_append(c->srv, out, resp) : -ENOMEM;
	conn_queued(c);
	return r;
}

int
conn_send_frames(struct conn *c, struct evbuffer *frames)
{
	struct evbuffer *out;

	conn_batch_flush(c);
	out = conn_out(c);
	int r = out && evbuffer_add_buffer(out, frames) == 0 ? 0 : -EIO;

	conn_queued(c);
	return r;
}

void
conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	/* Freeing happens from the loop: callers up the stack may still hold c. */
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	conn_flush(c);
	event_del(c->timer);
	event_active(c->timer, EV_TIMEOUT, 0);
}

/* A protocol error: one error reply (the request id if known), then close. */
static void __attribute__((format(printf, 4, 5)))
conn_fail(struct conn *c, uint64_t id, int err, const char *fmt, ...)
{
	Vmad__V1__Response resp = VMAD__V1__RESPONSE__INIT;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_info("client %llu (pid %d uid %u): %s; closing", (unsigned long long)c->id,
		 (int)c->cred.pid, (unsigned)c->cred.uid, msg);
	resp.id = id;
	resp.has_id = id != 0;
	resp.error = err;
	resp.has_error = true;
	resp.message = msg;
	if (conn_send(c, &resp) < 0)
		log_debug("client %llu: the error reply could not be framed",
			  (unsigned long long)c->id);
	c->srv->errors++;
	conn_close(c);
}

/* After a request's reply: close if it must, and the hook (the fuzzer's invariant checks). */
static bool
conn_handled(struct conn *c, bool close)
{
	struct server *srv = c->srv;

	if (close)
		conn_close(c);
	if (srv->after_request)
		srv->after_request(srv, srv->after_request_arg);
	return close;
}

/* Decode, dispatch, reply.  Returns true when the connection must close after the reply. */
static bool
conn_handle(struct conn *c, const uint8_t *data, size_t len)
{
	struct server *srv = c->srv;
	Vmad__V1__Response resp = VMAD__V1__RESPONSE__INIT;
	Vmad__V1__Request *req;
	bool close = false;
	int r;

	srv->requests++;
	if (!srv->wire.protobuf_c && (r = quickfind_answer(srv, c, data, len)) != 0)
		return conn_handled(c, r < 0);
	req = srv->wire.protobuf_c ? wire_request_unpack_protobuf_c(&srv->req_arena, data, len)
				   : wire_request_unpack(&srv->req_arena, data, len);
	if (!req) {
		conn_fail(c, 0, -EBADMSG, "undecodable request (%zu bytes)", len);
		arena_reset(&srv->req_arena);
		return true;
	}
	if (!durable_refuse(srv, &c->cred, req, len, &resp)) {
		close = dispatch_request(srv, c, req, &resp);
		durable_record(srv, &c->cred, req, data, len, &resp);
		if (fault_inject_twice(req->id)) {
			Vmad__V1__Response again = VMAD__V1__RESPONSE__INIT;

			close |= dispatch_request(srv, c, req, &again);
			durable_record(srv, &c->cred, req, data, len, &again);
		}
	}
	if (resp.error)
		srv->errors++;
	if (!fault_inject_drop(req->id) && conn_send(c, &resp) < 0)
		close = true;
	arena_reset(&srv->req_arena);
	arena_reset(&srv->reply_arena);
	return conn_handled(c, close);
}

static size_t
conn_frame_len(const unsigned char *hdr)
{
	return (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
}

/*
 * 1: a frame was handled; 0: more bytes are needed; -1: the connection is closing.  This is
 * the general case: a frame that spans chunks of the input is pulled together first.
 */
/* Handled frames leave the input; if they cannot, they would be handled again: close. */
static int
conn_drain_input(struct conn *c, struct evbuffer *in, size_t n)
{
	if (evbuffer_drain(in, n) == 0)
		return 0;
	if (!c->closing)
		conn_fail(c, 0, -EIO, "cannot drain %zu handled bytes", n);
	return -1;
}

static int
conn_next_frame(struct conn *c, struct evbuffer *in)
{
	size_t have = evbuffer_get_length(in);
	unsigned char hdr[CONN_HEADER];
	unsigned char *frame;
	size_t len;
	bool close;

	if (have < CONN_HEADER)
		return 0;
	if (evbuffer_copyout(in, hdr, CONN_HEADER) != CONN_HEADER) {
		conn_fail(c, 0, -EIO, "cannot read the frame header");
		return -1;
	}
	len = conn_frame_len(hdr);
	if (len > c->srv->cfg.max_frame) {
		conn_fail(c, 0, -EMSGSIZE, "frame of %zu bytes exceeds the limit of %zu", len,
			  c->srv->cfg.max_frame);
		return -1;
	}
	if (have - CONN_HEADER < len)
		return 0;
	frame = evbuffer_pullup(in, (ev_ssize_t)(CONN_HEADER + len));
	if (!frame) {
		conn_fail(c, 0, -ENOMEM, "out of memory");
		return -1;
	}
	c->partial = false;
	c->pass_left--;
	close = conn_handle(c, frame + CONN_HEADER, len);
	return conn_drain_input(c, in, CONN_HEADER + len) < 0 || close ? -1 : 1;
}

/*
 * The common case, a burst of small frames read in one go: those that lie whole in the
 * input's first chunk are handled where they lie and drained together.  Returns as
 * conn_next_frame() does; 0 leaves the rest (and any error) to it.
 */
static int
conn_frames_in_place(struct conn *c, struct evbuffer *in)
{
	struct evbuffer_iovec v;
	const unsigned char *p;
	size_t used = 0, len;
	int r = 0;

	if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
		return 0;
	p = v.iov_base;
	while (r >= 0 && !c->closing && !conn_congested(c) && c->pass_left > 0 &&
	       v.iov_len - used >= CONN_HEADER) {
		len = conn_frame_len(p + used);
		if (len > c->srv->cfg.max_frame || v.iov_len - used - CONN_HEADER < len)
			break;
		c->partial = false;
		c->pass_left--;
		r = conn_handle(c, p + used + CONN_HEADER, len) ? -1 : 1;
		used += CONN_HEADER + len;
	}
	if (used && conn_drain_input(c, in, used) < 0)
		return -1;
	return r;
}

/* The deadline that applies now: an incomplete frame's, or idleness. */
static void
conn_arm_timer(struct conn *c)
{
	const struct server_config *cfg = &c->srv->cfg;

	if (c->closing)
		return;
	if (c->paused || c->draining || c->more_armed) {
		/* Not the client's fault: the frame deadline starts afresh on resuming. */
		c->partial = false;
		event_del(c->timer);
		return;
	}
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0) {
		if (!c->partial) {
			c->partial = true;
			conn_timeout(c, cfg->frame_ms);
		}
		return;
	}
	c->partial = false;
	conn_timeout(c, cfg->idle_ms);
}

/*
 * Fair service: one pass of the event loop serves at most pass_frames requests of each
 * connection.  What is left waits for a zero timeout, which libevent runs after its next poll,
 * so every other connection with input gets its turn first, whatever this one has sent.
 */
static void
conn_defer_rest(struct conn *c)
{
	static const struct timeval now = { 0, 0 };

	if (c->more_armed || c->closing)
		return;
	c->more_armed = true;
	event_add(c->more, &now);
}

static void
conn_process(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	bool pause;
	int r = 1;

	/* Input that arrives while the rest waits for its turn waits with it. */
	if (c->more_armed)
		return;
	c->busy = true;
	c->pass_left = c->hung_up ? UINT_MAX : c->srv->cfg.pass_frames;
	while (!c->closing && !conn_congested(c) && c->pass_left > 0 && r > 0) {
		r = conn_frames_in_place(c, in);
		if (r == 0)
			r = conn_next_frame(c, in);
	}
	c->busy = false;
	if (r > 0 && c->pass_left == 0 && !conn_congested(c) && evbuffer_get_length(in) > 0)
		conn_defer_rest(c);
	/* Decided before the write: frames may be left that only the write callback resumes. */
	pause = !c->closing && conn_congested(c) && !c->paused;
	if (pause) {
		c->paused = true;
		bufferevent_disable(c->bev, EV_READ);
	}
	/* The replies to everything that arrived leave in one write. */
	conn_flush(c);
	if (c->closing)
		return;
	/*
	 * Draining reads nothing more: unless a deferred pass will serve what is left, what is
	 * left is at most part of a frame, whether the pass ended on it or on its budget.
	 */
	if (!c->paused && c->draining && !c->more_armed) {
		conn_close(c);
		return;
	}
	conn_arm_timer(c);
}

static void
conn_more_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	c->more_armed = false;
	if (!c->paused)
		conn_process(c);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_process(arg);
}

/* Runs when the output has drained to the low mark (to empty once closing). */
static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_free(c);
		return;
	}
	watch_conn_drain(c->srv, c);
	if (c->paused && !conn_congested(c)) {
		c->paused = false;
		if (!c->draining && bufferevent_enable(bev, EV_READ) < 0) {
			log_warning("client %llu: cannot resume reading; closing",
				    (unsigned long long)c->id);
			conn_close(c);
			return;
		}
		conn_process(c);
	}
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		c->writing = false;
		bufferevent_disable(bev, EV_WRITE);
	}
}

/*
 * A client that hangs up has its requests served all the same, as when the loop served each
 * input to its end: the frames waiting for their turn are served now, before the close.
 */
static void
conn_serve_rest(struct conn *c)
{
	if (c->more_armed) {
		event_del(c->more);
		c->more_armed = false;
	}
	c->hung_up = true;
	if (!c->paused && !c->closing)
		conn_process(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT) {
		log_info("client %llu (pid %d uid %u) reads none of its replies; dropped",
			 (unsigned long long)c->id, (int)c->cred.pid, (unsigned)c->cred.uid);
		conn_free(c);
	} else if (what & BEV_EVENT_ERROR) {
		log_debug("client %llu: %s", (unsigned long long)c->id,
			  strerror(EVUTIL_SOCKET_ERROR()));
		conn_free(c);
	} else if (what & BEV_EVENT_EOF) {
		conn_serve_rest(c);
		if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
			log_info("client %llu hung up in the middle of a frame",
				 (unsigned long long)c->id);
		else
			log_debug("client %llu hung up", (unsigned long long)c->id);
		conn_close(c);
	}
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (c->closing) {
		/*
		 * Pending output waits for the write callback, unless it can never be written;
		 * output the journal holds waits for conn_release().
		 */
		if (!c->held && (conn_pending(c) == 0 || !c->writing))
			conn_free(c);
	} else if (c->partial) {
		conn_fail(c, 0, -ETIMEDOUT, "frame incomplete after %u ms", c->srv->cfg.frame_ms);
	} else if (c->watches || c->viewer) {
		/* A watcher listens, it need not talk; a view's connection tells it vmad lives. */
		conn_timeout(c, c->srv->cfg.idle_ms);
	} else {
		log_debug("client %llu idle for %u ms; closing", (unsigned long long)c->id,
			  c->srv->cfg.idle_ms);
		conn_close(c);
	}
}

static int
conn_setup(struct conn *c, int fd)
{
	const struct server_config *cfg = &c->srv->cfg;
	struct timeval wt = { .tv_sec = cfg->write_ms / 1000,
			      .tv_usec = (cfg->write_ms % 1000) * 1000 };

	c->bev = bufferevent_socket_new(c->srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev)
		return -ENOMEM;
	c->timer = evtimer_new(c->srv->base, conn_timer_cb, c);
	c->more = evtimer_new(c->srv->base, conn_more_cb, c);
	if (!c->timer || !c->more)
		return -ENOMEM;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, cfg->out_low, 0);
	/* Input waiting for its turn is bounded too: one largest frame and a read's worth. */
	bufferevent_setwatermark(c->bev, EV_READ, 0,
				 cfg->max_frame + CONN_HEADER + CONN_READ_SLACK);
	/* The write timeout fires only while output is pending and the peer takes none. */
	if (bufferevent_set_timeouts(c->bev, NULL, &wt) < 0 ||
	    bufferevent_enable(c->bev, EV_READ) < 0)
		return -EIO;
	conn_arm_timer(c);
	return 0;
}

struct conn *
conn_new(struct server *srv, int fd, struct peer_cred *cred)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c) {
		close(fd);
		free(cred->groups);
		return NULL;
	}
	c->srv = srv;
	c->pass_fd = -1;
	c->cred = *cred;
	cred->groups = NULL;
	c->id = ++srv->next_conn_id;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nclients++;
	if (conn_setup(c, fd) < 0) {
		if (!c->bev)
			close(fd);
		conn_free(c);
		return NULL;
	}
	log_debug("client %llu connected: pid %d uid %u gid %u", (unsigned long long)c->id,
		  (int)cred->pid, (unsigned)cred->uid, (unsigned)cred->gid);
	return c;
}

void
conn_free(struct conn *c)
{
	struct server *srv;

	if (!c)
		return;
	srv = c->srv;
	if (srv->wire.batch_owner == c) {
		srv->wire.batch_owner = NULL;
		srv->wire.batch_len = 0;
	}
	watch_conn_gone(srv, c);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->timer)
		event_free(c->timer);
	if (c->more)
		event_free(c->more);
	if (c->bev)
		bufferevent_free(c->bev);
	if (c->pass_fd >= 0)
		close(c->pass_fd);
	if (c->held_out)
		evbuffer_free(c->held_out);
	free(c->cred.groups);
	free(c);
	server_conn_gone(srv);
}

void
conn_drain_and_close(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	if (c->closing)
		return;
	/*
	 * What the client sent before the signal is in flight: take it in and answer it.  The
	 * bound stops a client that keeps writing from holding the shutdown.
	 */
	for (size_t got = 0; got < c->srv->cfg.max_frame + 65536;) {
		int n = evbuffer_read(in, fd, 65536);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	c->draining = true;
	bufferevent_disable(c->bev, EV_READ);
	if (!c->paused)
		conn_process(c);
}
