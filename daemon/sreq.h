/* SPDX-License-Identifier: MIT */
/*
 * Families of requests on one named space, each decoded and run by a file of its own
 * (files_req.c, lockall_req.c, pkeys_req.c, vma_req.c).  Dispatch finds the family of a
 * request, looks the space up with the right the request needs, runs it on the space's mm,
 * and after a success tells the space's watchers with the event the run filled in.
 */
#ifndef VMAD_SREQ_H
#define VMAD_SREQ_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "mm.h"
#include "vmad.pb-c.h"

/* One request to run.  resp's result and its memory come from arena. */
struct sreq_call {
	struct mm *mm;
	const Vmad__V1__Request *q;
	Vmad__V1__Response *resp;
	struct arena *arena;
	Vmad__V1__Event *ev; /* has_kind set by run when watchers are to be told */
	char *why;           /* the message of an error that has one (else left empty) */
	size_t why_len;
};

struct sreq_family {
	/* Whether q belongs to the family; *write: it changes the space, else it only reads. */
	bool (*handles)(const Vmad__V1__Request *q, bool *write);
	const char *(*name)(const Vmad__V1__Request *q);
	/* 0 or a negative errno. */
	int (*run)(const struct sreq_call *c);
};

/* Sets the event's kind; run calls it for a request that watchers are told of. */
static inline void
sreq_event(Vmad__V1__Event *ev, Vmad__V1__EventKind kind)
{
	ev->has_kind = true;
	ev->kind = kind;
}

extern const struct sreq_family files_req_family, lockall_req_family, pkeys_req_family,
	vma_req_family;

#endif
