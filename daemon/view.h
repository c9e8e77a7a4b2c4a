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

#include "vmad.pb-c.h"
#include "vseg.h"

struct space;
struct space_table;
struct view_pub;

/* A new read-only descriptor of sp's segment, which is created on first use: 0 or -errno. */
int view_open_fd(struct space *sp, int *fd);
/* The space is going: readers see state from now on.  Accepts NULL. */
void view_pub_free(struct view_pub *v, enum vseg_state state);
/*
 * Brings the part of sp's segment over [lo, hi) (widened to whole VMAs) up to date, as part
 * of a change that view_pub_done() ends.
 */
void view_pub_touch(struct space *sp, uint64_t lo, uint64_t hi);
/* Ends the change the touches since the last call made: readers see it whole. */
void view_pub_done(struct space *sp);
/* The size of sp's segment (it has one). */
uint64_t view_pub_size(const struct space *sp);
/* The program break the segment was last published with, and its new value. */
uint64_t view_pub_brk(const struct space *sp);
void view_pub_set_brk(struct space *sp, uint64_t brk);
/* After a request: updates the segment of the space it may have changed, if it has one. */
void view_request_done(struct space_table *t, const Vmad__V1__Request *req,
		       const Vmad__V1__Response *resp);

#endif
