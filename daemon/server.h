/* SPDX-License-Identifier: MIT */
/*
 * The daemon's state and its listening socket: configuration and limits, the connections,
 * the address spaces, counters, and graceful shutdown.
 */
#ifndef VMAD_SERVER_H
#define VMAD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "arena.h"
#include "space.h"
#include "wire.h"

struct event_base;
struct event;
struct evconnlistener;
struct conn;
struct durable;

struct server_config {
	size_t max_clients;
	size_t max_spaces;
	size_t max_frame;        /* largest request body accepted, bytes */
	size_t decode_budget;    /* bytes a request may allocate while decoding */
	unsigned idle_ms;        /* close a client that sends nothing for this long */
	unsigned frame_ms;       /* ... or leaves a frame incomplete for this long */
	unsigned write_ms;       /* ... or reads none of its pending output for this long */
	unsigned shutdown_ms;    /* how long SIGTERM waits for replies to drain */
	size_t out_high;         /* pending output that stops reading a client */
	size_t out_low;          /* ... and that resumes it */
	size_t watch_queue;      /* events queued per watcher before EVENT_OVERFLOW */
	size_t watches_per_conn; /* subscriptions one connection may hold */
	unsigned socket_mode;    /* mode of a socket node vmad creates */
	size_t max_spaces_per_uid;
	uint64_t max_vmas_per_uid;
	uint64_t memory_max;  /* the budget, bytes (quota.h); 0 = the default */
	unsigned pass_frames; /* requests one connection gets served per loop pass */
	bool wire_protobuf_c; /* protobuf-c alone on the wire (VMAD_WIRE=protobuf-c) */
};

struct server {
	struct server_config cfg;
	struct event_base *base;
	struct evconnlistener *listener;
	struct event *accept_timer; /* re-enables accepting after EMFILE and friends */
	struct event *stop_timer;   /* bounds the graceful shutdown */
	char *own_path;             /* the socket node vmad created, removed at exit */
	struct space_table spaces;
	struct conn *conns;
	size_t nclients;
	size_t nwatchers;
	uint64_t next_conn_id;
	uint64_t requests, errors;
	uint64_t refused;           /* clients turned away by --max-clients */
	uint64_t refused_logged_at; /* uptime second of the last warning about them */
	struct timespec started;    /* CLOCK_MONOTONIC */
	struct arena req_arena;     /* decoded requests, budgeted */
	struct arena reply_arena;   /* replies under construction */
	struct wire_buf wire;       /* replies being encoded */
	bool stopping;
	struct durable *durable; /* --state-dir: the journal and snapshots (durable.c), or NULL */
	/* Called after every request (the fuzzer checks the engine's invariants here). */
	void (*after_request)(struct server *srv, void *arg);
	void *after_request_arg;
};

void server_config_init(struct server_config *cfg);
int server_init(struct server *srv, struct event_base *base, const struct server_config *cfg);
/* Destroys the connections, the spaces, the listener; removes a socket node vmad created. */
void server_fini(struct server *srv);

/* Serves the socket systemd passed (LISTEN_FDS), else creates one at path. */
int server_listen(struct server *srv, const char *path);
/* The same two routes, separately. */
int server_listen_fd(struct server *srv, int fd);
int server_listen_path(struct server *srv, const char *path);

/* SIGTERM: stop accepting, answer what has arrived, close, then leave the loop. */
void server_stop(struct server *srv);
/* A connection went away (conn.c). */
void server_conn_gone(struct server *srv);

uint64_t server_uptime_sec(const struct server *srv);
uint64_t server_vma_count(const struct server *srv);

#endif
