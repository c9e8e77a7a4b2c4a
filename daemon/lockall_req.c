/* SPDX-License-Identifier: MIT */
/* mlockall(2) and munlockall(2) on the wire (sreq.h): MlockAll, MunlockAll. */
#include "sreq.h"

_Static_assert(MM_MCL_CURRENT == 1 && MM_MCL_FUTURE == 2 && MM_MCL_ONFAULT == 4,
	       "the wire's MCL_* values are the engine's");

static bool
lockall_req_handles(const Vmad__V1__Request *q, bool *write)
{
	*write = true;
	return q->op_case == VMAD__V1__REQUEST__OP_MLOCK_ALL ||
	       q->op_case == VMAD__V1__REQUEST__OP_MUNLOCK_ALL;
}

static const char *
lockall_req_name(const Vmad__V1__Request *q)
{
	return q->op_case == VMAD__V1__REQUEST__OP_MLOCK_ALL ? q->mlock_all->name
							     : q->munlock_all->name;
}

static int
lockall_req_run(const struct sreq_call *c)
{
	const Vmad__V1__Request *q = c->q;
	int r;

	if (q->op_case == VMAD__V1__REQUEST__OP_MUNLOCK_ALL) {
		sreq_event(c->ev, VMAD__V1__EVENT_KIND__EVENT_MUNLOCKALL);
		return mm_munlockall(c->mm);
	}
	r = mm_mlockall(c->mm, q->mlock_all->flags);
	sreq_event(c->ev, VMAD__V1__EVENT_KIND__EVENT_MLOCKALL);
	c->ev->has_flags = true;
	c->ev->flags = q->mlock_all->flags;
	return r;
}

const struct sreq_family lockall_req_family = { lockall_req_handles, lockall_req_name,
						lockall_req_run };
