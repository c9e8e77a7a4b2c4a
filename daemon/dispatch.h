/* SPDX-License-Identifier: MIT */
/*
 * Requests to engine calls: decode the op's fields, check the caller's rights, call the
 * engine, fill in the response, and tell watchers what changed.
 */
#ifndef VMAD_DISPATCH_H
#define VMAD_DISPATCH_H

#include <stdbool.h>

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

/*
 * A journalled request replayed at start-up (durable.c): as the recorded client made it, with
 * no connection.  Returns the handler's result (0 or a negative errno).
 */
struct peer_cred;
int dispatch_replay(struct server *srv, const struct peer_cred *cred, const Vmad__V1__Request *req,
		    Vmad__V1__Response *resp);

#endif
