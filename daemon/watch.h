/* SPDX-License-Identifier: MIT */
/*
 * Subscriptions to an address space's changes.  Each change becomes one Event, sent on
 * the watching connection in order.  A watcher whose connection is congested gets its
 * events queued, up to a bound; beyond it they are counted and reported by one
 * EVENT_OVERFLOW event with `lost`, so loss is never silent and no watcher blocks the daemon.
 */
#ifndef VMAD_WATCH_H
#define VMAD_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "vmad.pb-c.h"

struct server;
struct conn;
struct space;

/* -EMFILE when the connection holds too many, -ENOMEM. */
int watch_add(struct server *srv, struct conn *c, struct space *sp, uint64_t id);
/* Fills in seq and the space's name, then delivers ev to every watcher of sp. */
void watch_emit(struct server *srv, struct space *sp, Vmad__V1__Event *ev);
/* The space is being destroyed: an EVENT_DESTROY, then its watches end. */
void watch_space_gone(struct server *srv, struct space *sp);
/* The connection's output drained below the low mark: send what was queued. */
void watch_conn_drain(struct server *srv, struct conn *c);
/* Whether events wait in the connection's queues for watch_conn_drain(). */
bool watch_conn_waiting(struct conn *c);
/* The connection is going away. */
void watch_conn_gone(struct server *srv, struct conn *c);

#endif
