/* SPDX-License-Identifier: MIT */
/*
 * Inside the dispatcher: one request in progress and the checks every handler shares (the
 * space by name with the caller's right, a new space's name and mode, adding or replacing a
 * space within the quotas, telling watchers).  dispatch.c runs the memory system calls and
 * reads; space_req.c the requests on whole spaces.
 */
#ifndef VMAD_DISPATCH_INT_H
#define VMAD_DISPATCH_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "space.h"
#include "vmad.pb-c.h"

typedef Vmad__V1__Request Request;
typedef Vmad__V1__Response Response;
typedef Vmad__V1__Event Event;

struct server;
struct conn;
struct mm;

/* One request in progress. */
struct dctx {
	struct server *srv;
	struct conn *conn;
	const struct peer_cred *cred;
	const Request *req;
	Response *resp;
	struct arena *arena;
	struct space *sp; /* the space the request named, once found (for its view) */
	bool close;       /* close the connection after the reply */
	bool replay;      /* a journal record: it was within the limits when it was made */
};

/* Sets the reply's message and returns err, so handlers can `return dctx_fail(...)`. */
int __attribute__((format(printf, 3, 4))) dctx_fail(struct dctx *d, int err, const char *fmt, ...);
/* The named space (-EINVAL for a bad name, -ENOENT for none); it becomes d->sp. */
int dctx_find_space(struct dctx *d, const char *name, struct space **out);
/* The same, if the caller has the right (-EACCES). */
int dctx_lookup(struct dctx *d, const char *name, enum space_right right, struct space **out);
/* A name for a new space: valid, free, and within --max-spaces. */
int dctx_check_new_space(struct dctx *d, const char *name);
/* A new space's mode: at most 0777, SPACE_MODE_DEFAULT when absent. */
int dctx_check_mode(struct dctx *d, bool has, uint32_t mode, unsigned *out);
/* A new space of mm (taken: destroyed on failure), owned by the caller, within the quotas. */
int dctx_add_space(struct dctx *d, const char *name, struct mm *mm, unsigned mode);
/* Restore and exec over an existing space: its new mm, within the owner's quota and the budget. */
int dctx_replace_mm(struct dctx *d, struct space *sp, struct mm *mm);
/* Tells sp's watchers of ev, of that kind. */
void dctx_emit(struct dctx *d, struct space *sp, Vmad__V1__EventKind kind, Event *ev);

/* space_req.c: the requests on whole spaces. */
int space_req_create(struct dctx *d, const Vmad__V1__Create *m);
int space_req_destroy(struct dctx *d, const Vmad__V1__Destroy *m);
int space_req_list(struct dctx *d);
int space_req_fork(struct dctx *d, const Vmad__V1__Fork *m);
int space_req_import(struct dctx *d, const Vmad__V1__Import *m);
int space_req_save(struct dctx *d, const Vmad__V1__Save *m);
int space_req_restore(struct dctx *d, const Vmad__V1__Restore *m);
int space_req_exec(struct dctx *d, const Vmad__V1__Exec *m);

#endif
