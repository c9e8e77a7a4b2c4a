/* SPDX-License-Identifier: MIT */
/*
 * What one client may take: the per-owner quotas (--max-spaces-per-uid,
 * --max-vmas-per-uid, refused with EDQUOT) and the daemon's memory budget (--memory-max,
 * refused with ENOMEM).  Every refusal happens before anything changes.  Reads, munmap and
 * destroy are never refused by the budget, so that users can always look and free.
 */
#ifndef VMAD_QUOTA_H
#define VMAD_QUOTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmad.pb-c.h"

struct server;
struct space;
struct peer_cred;
struct mm;

/* Growth one change may cause beyond the check: a new chunk of VMA slots (lib/slab.c). */
#define QUOTA_RESERVE (4ULL << 20)
#define QUOTA_MSG     200

/* One request between quota_before() and quota_after(). */
struct quota_op {
	struct space *sp; /* the space an in-place change works on, or NULL */
	uint64_t own_max; /* its own max_map_count, restored after */
	bool lowered;     /* the VMA quota lowered it for this request */
	char msg[QUOTA_MSG];
};

/*
 * Before dispatching: refuses (-ENOMEM, -EDQUOT, message in op->msg) a request that the
 * budget or the owner's quota does not allow, and holds an in-place change to the owner's
 * remaining VMAs.  0 to go on.
 */
int quota_before(struct server *srv, const Vmad__V1__Request *req, struct quota_op *op);
/*
 * After: restores the space's limit, turns an ENOMEM that the quota caused into -EDQUOT
 * (returning true with op->msg set), and brings the owner's VMA count up to date.
 */
bool quota_after(struct server *srv, struct quota_op *op, int *r);
/*
 * A journal record was replayed without the limits (it was within them when made): the
 * owner's VMA count follows the change.
 */
void quota_replayed(struct server *srv, const Vmad__V1__Request *req);
/*
 * A new space's mm, built aside (create, fork, import), before it joins the table: the
 * caller's space and VMA quotas and the budget, with what the mm really holds.
 */
int quota_admit(struct server *srv, const struct peer_cred *cred, const struct mm *mm,
		struct quota_op *op);
/* The same for a space's new mm (restore, exec over it), against its owner's quota. */
int quota_admit_replace(struct server *srv, const struct space *sp, const struct mm *mm,
			struct quota_op *op);
/* Whether the budget is spent (no room left for QUOTA_RESERVE). */
bool quota_budget_spent(const struct server *srv);

/* The default budget: a share of the cgroup's memory.max if set, else of physical memory. */
uint64_t quota_default_memory_max(void);

#endif
