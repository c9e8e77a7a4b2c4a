/* SPDX-License-Identifier: MIT */
#include "watch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "conn.h"
#include "log.h"
#include "server.h"
#include "space.h"

struct watch {
	struct watch *snext; /* the space's watchers */
	struct watch *cnext; /* the connection's watches */
	struct conn *conn;
	struct space *space; /* NULL once the space is gone */
	uint64_t id;         /* the Watch request's id, carried by every event */
	struct evbuffer *queue;
	size_t queued;
	uint64_t lost, lost_seq;
	char name[SPACE_NAME_MAX + 1];
};

static size_t
watch_conn_count(struct conn *c)
{
	size_t n = 0;

	for (struct watch *w = *conn_watch_list(c); w; w = w->cnext)
		n++;
	return n;
}

int
watch_add(struct server *srv, struct conn *c, struct space *sp, uint64_t id)
{
	struct watch **head = conn_watch_list(c);
	struct watch *w;

	if (watch_conn_count(c) >= srv->cfg.watches_per_conn)
		return -EMFILE;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->queue = evbuffer_new();
	if (!w->queue) {
		free(w);
		return -ENOMEM;
	}
	w->conn = c;
	w->space = sp;
	w->id = id;
	strcpy(w->name, sp->name);
	w->snext = sp->watchers;
	sp->watchers = w;
	w->cnext = *head;
	*head = w;
	srv->nwatchers++;
	return 0;
}

static void
watch_unlink_space(struct server *srv, struct watch *w)
{
	struct watch **pp;

	if (!w->space)
		return;
	for (pp = &w->space->watchers; *pp != w; pp = &(*pp)->snext)
		;
	*pp = w->snext;
	w->space = NULL;
	srv->nwatchers--;
}

static void
watch_free(struct server *srv, struct watch *w)
{
	struct watch **pp;

	watch_unlink_space(srv, w);
	for (pp = conn_watch_list(w->conn); *pp != w; pp = &(*pp)->cnext)
		;
	*pp = w->cnext;
	evbuffer_free(w->queue);
	free(w);
}

static void
watch_response(const struct watch *w, Vmad__V1__Event *ev, Vmad__V1__Response *resp)
{
	resp->has_id = true;
	resp->id = w->id;
	resp->result_case = VMAD__V1__RESPONSE__RESULT_EVENT;
	resp->event = ev;
}

/* Once events queue up, every later one queues behind them until the connection drains. */
static void
watch_deliver(struct server *srv, struct watch *w, Vmad__V1__Event *ev, bool force)
{
	Vmad__V1__Response resp = VMAD__V1__RESPONSE__INIT;

	watch_response(w, ev, &resp);
	if (!w->queued && !w->lost && !conn_congested(w->conn)) {
		if (conn_send(w->conn, &resp) == 0)
			return;
	} else if ((w->queued < srv->cfg.watch_queue || force) &&
		   conn_frame_append(srv, w->queue, &resp) == 0) {
		w->queued++;
		return;
	}
	/* Neither sent nor queued (beyond the bound, or no memory): counted, never silent. */
	w->lost++;
	w->lost_seq = ev->seq;
}

void
watch_emit(struct server *srv, struct space *sp, Vmad__V1__Event *ev)
{
	ev->has_seq = true;
	ev->seq = ++sp->seq;
	ev->has_kind = true;
	ev->name = sp->name;
	for (struct watch *w = sp->watchers; w; w = w->snext)
		watch_deliver(srv, w, ev, false);
}

/* The count of dropped events goes where they would have been: after what was queued. */
static void
watch_queue_overflow(struct server *srv, struct watch *w)
{
	Vmad__V1__Event ev = VMAD__V1__EVENT__INIT;
	Vmad__V1__Response resp = VMAD__V1__RESPONSE__INIT;

	ev.has_seq = ev.has_kind = ev.has_lost = true;
	ev.seq = w->lost_seq;
	ev.kind = VMAD__V1__EVENT_KIND__EVENT_OVERFLOW;
	ev.lost = w->lost;
	ev.name = w->name;
	watch_response(w, &ev, &resp);
	if (conn_frame_append(srv, w->queue, &resp) == 0) {
		w->queued++;
		w->lost = 0;
	}
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

		/* The last word is never dropped: the client learns its watch has ended. */
		if (w->lost)
			watch_queue_overflow(srv, w);
		watch_deliver(srv, w, &ev, true);
		watch_unlink_space(srv, w);
		if (!w->queued && !w->lost)
			watch_free(srv, w);
	}
}

void
watch_conn_drain(struct server *srv, struct conn *c)
{
	struct watch *w = *conn_watch_list(c), *next;

	for (; w && !conn_congested(c); w = next) {
		next = w->cnext;
		if (w->lost)
			watch_queue_overflow(srv, w);
		if (w->queued) {
			/* Output that refuses frames cannot keep the stream in order: end it. */
			if (conn_send_frames(c, w->queue) < 0) {
				log_warning("client %llu: cannot queue watch events; closing",
					    (unsigned long long)conn_id(c));
				conn_close(c);
				return;
			}
			w->queued = 0;
		}
		if (!w->space && !w->lost)
			watch_free(srv, w);
	}
}

bool
watch_conn_waiting(struct conn *c)
{
	for (const struct watch *w = *conn_watch_list(c); w; w = w->cnext)
		if (w->queued || w->lost)
			return true;
	return false;
}

void
watch_conn_gone(struct server *srv, struct conn *c)
{
	while (*conn_watch_list(c))
		watch_free(srv, *conn_watch_list(c));
}
