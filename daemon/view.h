/* SPDX-License-Identifier: MIT */
/*
 * Publishing address spaces as views: each space that a client has asked a view of is kept,
 * from then until the space goes, in a sealed memfd segment (vseg.h) that readers map.
 * After every request that may change a space, the part of the segment that the change can
 * reach is brought up to date, before the reply leaves: the work is proportional to the
 * change, and a client sees its own changes in its view once its call has returned.
 */
#ifndef VMAD_VIEW_H
#define VMAD_VIEW_H

#include <stdint.h>

#include "vseg.h"

struct space;
struct space_table;
struct view_pub;

/* A new read-only descriptor of sp's segment, which is created on first use: 0 or -errno. */
int view_open_fd(struct space *sp, int *fd);
/* The space is going: readers see state from now on.  Accepts NULL. */
void view_pub_free(struct view_pub *v, enum vseg_state state);
/* The size of sp's segment (it has one). */
uint64_t view_pub_size(const struct space *sp);
/*
 * After a request that found sp (or NULL): sp's segment, if it has one, is to be brought up
 * to date over the ranges the engine recorded as changed (mm_take_changed()).  The requests
 * a connection sent together are published as one change, by view_flush(), which the
 * transport calls before any reply leaves; a request on another space flushes first.
 */
void view_request_done(struct space_table *t, struct space *sp);
/* Publishes what view_request_done() left pending: readers see it whole. */
void view_flush(struct space_table *t);

#endif
