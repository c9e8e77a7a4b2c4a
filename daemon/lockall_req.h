/* SPDX-License-Identifier: MIT */
/* The whole-space lock requests (MlockAll, MunlockAll): decoded and run on a space's mm. */
#ifndef VMAD_LOCKALL_REQ_H
#define VMAD_LOCKALL_REQ_H

#include <stdbool.h>

#include "mm.h"
#include "vmad.pb-c.h"

/* Whether q is one of the requests lockall_req_run() handles, and the space it names. */
bool lockall_req_handles(const Vmad__V1__Request *q);
const char *lockall_req_name(const Vmad__V1__Request *q);

/*
 * Runs q on mm: 0 or a negative errno.  On success ev gets what watchers are told (its kind
 * and, for MlockAll, the flags).
 */
int lockall_req_run(struct mm *mm, const Vmad__V1__Request *q, Vmad__V1__Event *ev);

#endif
