/* SPDX-License-Identifier: MIT */
/*
 * Requests to engine calls: decode the op's fields, check the caller's rights, call the
 * engine, fill in the response, and tell watchers what changed.
 */
#ifndef VMAD_DISPATCH_H
#define VMAD_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "vmad.pb-c.h"

#define VMAD_PROTOCOL_VERSION 1

struct server;
struct conn;

/*
 * Fills resp (its memory comes from srv->reply_arena).  Returns true when the connection
 * must be closed after the reply (no usable op, a protocol version mismatch).
 */
bool dispatch_request(struct server *srv, struct conn *c, const Vmad__V1__Request *req,
		      Vmad__V1__Response *resp);

/* The debug log's line for a request handled: its client, id, op and result. */
void dispatch_log(const struct conn *c, uint64_t id, int op, int r);
/*
 * A Find for a caller in this process (local mode), answered without a request or a reply:
 * 0 with the space's mm and the VMAs op_find() would reply with, or
 * -EAGAIN for anything that would be an error (no such space, no read access, an unknown
 * mode), which the caller then sends as a request, whose reply says why.
 */
struct mm;
struct vma;
int dispatch_find(struct server *srv, struct conn *c, const Vmad__V1__Find *m, struct mm **mm,
		  const struct vma **v, const struct vma **prev);

/*
 * A journalled request replayed at start-up (durable.c): as the recorded client made it, with
 * no connection.  Returns the handler's result (0 or a negative errno).
 */
struct peer_cred;
int dispatch_replay(struct server *srv, const struct peer_cred *cred, const Vmad__V1__Request *req,
		    Vmad__V1__Response *resp);

#endif
