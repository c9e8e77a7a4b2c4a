/* SPDX-License-Identifier: MIT */
/*
 * Named address spaces: a hash table from name to engine mm, with the owner and the
 * file-like mode that decide who may read, change or destroy each one.
 */
#ifndef VMAD_SPACE_H
#define VMAD_SPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "usage.h"

#define SPACE_NAME_MAX     255
#define SPACE_MODE_DEFAULT 0600u

struct mm;
struct watch;
struct view_pub;

/* Who a client is, from SO_PEERCRED and SO_PEERGROUPS at accept time. */
struct peer_cred {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* supplementary groups (malloc()ed) */
	size_t ngroups;
};

enum space_right {
	SPACE_READ = 4,  /* find, maps, status, watch, fork's source, list */
	SPACE_WRITE = 2, /* every change */
};

struct space {
	struct space *hnext;
	struct mm *mm;
	uid_t uid;
	gid_t gid;
	unsigned mode;
	uint64_t seq;           /* events emitted so far */
	uint64_t vmas;          /* the map count last added to the owner's usage */
	struct watch *watchers; /* watch.c's list of subscribers */
	struct view_pub *view;  /* view.c's segment, once a view was asked for */
	char name[];
};

struct space_table {
	struct space **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
	struct usage_table usage;   /* per owner */
	struct space *view_pending; /* its view waits for view_flush() (view.c) */
};

int space_table_init(struct space_table *t);
/* Destroys every space and its mm. */
void space_table_fini(struct space_table *t);

/* 1-255 bytes of [A-Za-z0-9._-]: 0 or -EINVAL. */
int space_name_check(const char *name);

struct space *space_find(const struct space_table *t, const char *name);
/* Takes ownership of mm on success.  -EEXIST, -ENOMEM. */
int space_add(struct space_table *t, const char *name, struct mm *mm, const struct peer_cred *owner,
	      unsigned mode, struct space **out);
/* The space's mm changed: bring its owner's VMA count up to date. */
void space_recount(struct space_table *t, struct space *sp);
/* Unlinks and frees the space and its mm (the caller has detached its watchers). */
void space_remove(struct space_table *t, struct space *sp);

/* Iteration in table order: pass NULL to start; returns NULL at the end. */
struct space *space_next(const struct space_table *t, const struct space *prev);

/* 0, or -EACCES when cred lacks the right (owner/group/other bits, uid 0 passes). */
int space_access(const struct space *sp, const struct peer_cred *cred, enum space_right right);
/* Destroy: the owner or uid 0. */
int space_owner_check(const struct space *sp, const struct peer_cred *cred);

#endif
