/* SPDX-License-Identifier: MIT */
/* The protection-key requests (PkeyAlloc, PkeyFree, PkeyMprotect), run on a space's mm. */
#ifndef VMAD_PKEYS_REQ_H
#define VMAD_PKEYS_REQ_H

#include <stdbool.h>

#include "arena.h"
#include "mm.h"
#include "vmad.pb-c.h"

/* Whether q is one of the requests pkeys_req_run() handles, and the space it names. */
bool pkeys_req_handles(const Vmad__V1__Request *q);
const char *pkeys_req_name(const Vmad__V1__Request *q);

/*
 * Runs q on mm, filling resp's result (PkeyAlloc's key, from arena).  0 or a negative errno;
 * on success *kind and ev describe the event for the space's watchers.
 */
int pkeys_req_run(struct mm *mm, const Vmad__V1__Request *q, Vmad__V1__Response *resp,
		  struct arena *arena, Vmad__V1__EventKind *kind, Vmad__V1__Event *ev);

#endif
