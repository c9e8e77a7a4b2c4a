/* SPDX-License-Identifier: MIT */
/* mlockall(2) and munlockall(2) on the wire (lockall_req.h). */
#include "lockall_req.h"

_Static_assert(MM_MCL_CURRENT == 1 && MM_MCL_FUTURE == 2 && MM_MCL_ONFAULT == 4,
	       "the wire's MCL_* values are the engine's");

bool
lockall_req_handles(const Vmad__V1__Request *q)
{
	return q->op_case == VMAD__V1__REQUEST__OP_MLOCK_ALL ||
	       q->op_case == VMAD__V1__REQUEST__OP_MUNLOCK_ALL;
}

const char *
lockall_req_name(const Vmad__V1__Request *q)
{
	return q->op_case == VMAD__V1__REQUEST__OP_MLOCK_ALL ? q->mlock_all->name
							     : q->munlock_all->name;
}

int
lockall_req_run(struct mm *mm, const Vmad__V1__Request *q, Vmad__V1__Event *ev)
{
	int r;

	if (q->op_case == VMAD__V1__REQUEST__OP_MUNLOCK_ALL) {
		ev->kind = VMAD__V1__EVENT_KIND__EVENT_MUNLOCKALL;
		return mm_munlockall(mm);
	}
	r = mm_mlockall(mm, q->mlock_all->flags);
	ev->kind = VMAD__V1__EVENT_KIND__EVENT_MLOCKALL;
	ev->has_flags = true;
	ev->flags = q->mlock_all->flags;
	return r;
}
