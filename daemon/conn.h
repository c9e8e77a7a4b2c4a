/* SPDX-License-Identifier: MIT */
/*
 * One client connection: a bufferevent, length-prefixed framing, backpressure and
 * timeouts.  Requests are handled in arrival order and replies appended in that order, so
 * pipelined requests get their replies in one write.
 */
#ifndef VMAD_CONN_H
#define VMAD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmad.pb-c.h"

struct evbuffer;
struct server;
struct peer_cred;
struct watch;
struct wire_buf;

#define CONN_HEADER 4

/* Takes over fd (closed on failure) and cred's group list.  NULL on failure. */
struct conn *conn_new(struct server *srv, int fd, struct peer_cred *cred);
/* Immediately; accepts NULL. */
void conn_free(struct conn *c);
/* Stop reading, send what is pending, then free (from the event loop, never at once). */
void conn_close(struct conn *c);
/* Shutdown: answer what the client has already sent, then close. */
void conn_drain_and_close(struct conn *c);

const struct peer_cred *conn_cred(const struct conn *c);
uint64_t conn_id(const struct conn *c);
struct conn *conn_next(const struct conn *c);
/* The head of the connection's watch list (watch.c). */
struct watch **conn_watch_list(struct conn *c);

/* The journal committed: send the replies that waited for it (durable.c). */
void conn_release(struct conn *c);

/*
 * The next reply carries fd (SCM_RIGHTS, on its first byte; fd is closed once sent) and the
 * connection is never closed as idle: it holds a view.
 */
void conn_pass_fd(struct conn *c, int fd);

/* Pending output has passed the high mark: queue, don't send. */
bool conn_congested(const struct conn *c);
/* Appends one framed response to the output. 0 or -ENOMEM / -EMSGSIZE. */
int conn_send(struct conn *c, const Vmad__V1__Response *resp);
/*
 * The batch c's next reply may be appended to directly (wire_find_batch()), or NULL: then it
 * goes through conn_send().
 */
struct wire_buf *conn_batch(struct conn *c);
/* Moves already framed responses to the output: 0, or -EIO when the output refuses them. */
int conn_send_frames(struct conn *c, struct evbuffer *frames);
/* Frames resp (4-byte big-endian length, then the message) onto buf. */
int conn_frame_append(struct server *srv, struct evbuffer *buf, const Vmad__V1__Response *resp);

#endif
