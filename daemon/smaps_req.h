/* SPDX-License-Identifier: MIT */
/* The Smaps request: a space's /proc/PID/smaps or smaps_rollup text, rendered by the engine. */
#ifndef VMAD_SMAPS_REQ_H
#define VMAD_SMAPS_REQ_H

#include "arena.h"
#include "mm.h"
#include "vmad.pb-c.h"

/*
 * Fills res with mm's smaps (or, with m->rollup, smaps_rollup) text, copied into arena.
 * 0, -ENOMEM, or -E2BIG when the text does not fit the reply's budget.
 */
int smaps_req_reply(struct arena *arena, const struct mm *mm, const Vmad__V1__Smaps *m,
		    Vmad__V1__SmapsResult *res);

#endif
