/* SPDX-License-Identifier: MIT */
/*
 * Requests about the text and names of a space's VMAs: Smaps (a read) and SetVmaAnonName (a
 * change), decoded and run on the space's mm.
 */
#ifndef VMAD_VMA_REQ_H
#define VMAD_VMA_REQ_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "mm.h"
#include "vmad.pb-c.h"

/* Whether q is one of the requests vma_req_run() handles; *write: it changes the space. */
bool vma_req_handles(const Vmad__V1__Request *q, bool *write);
const char *vma_req_name(const Vmad__V1__Request *q);

/*
 * Runs q on mm, filling resp's result (the smaps text, copied into arena).  0 or a negative
 * errno; why gets the message of an error that has one (else it is left empty).
 */
int vma_req_run(struct mm *mm, const Vmad__V1__Request *q, Vmad__V1__Response *resp,
		struct arena *arena, char *why, size_t len);

/* The event watchers get after q succeeded; false if none. */
bool vma_req_event(const Vmad__V1__Request *q, Vmad__V1__Event *ev);

#endif
