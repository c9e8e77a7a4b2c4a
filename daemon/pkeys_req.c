/* SPDX-License-Identifier: MIT */
/* The protection-key requests on the wire (sreq.h): PkeyAlloc, PkeyFree, PkeyMprotect. */
#include "sreq.h"

#include <errno.h>

typedef Vmad__V1__Request Request;

static bool
pkeys_req_handles(const Request *q, bool *write)
{
	*write = true;
	switch (q->op_case) {
	case VMAD__V1__REQUEST__OP_PKEY_ALLOC:
	case VMAD__V1__REQUEST__OP_PKEY_FREE:
	case VMAD__V1__REQUEST__OP_PKEY_MPROTECT:
		return true;
	default:
		return false;
	}
}

static const char *
pkeys_req_name(const Request *q)
{
	switch (q->op_case) {
	case VMAD__V1__REQUEST__OP_PKEY_ALLOC:
		return q->pkey_alloc->name;
	case VMAD__V1__REQUEST__OP_PKEY_FREE:
		return q->pkey_free->name;
	default:
		return q->pkey_mprotect->name;
	}
}

static int
pkey_alloc(struct mm *mm, const Vmad__V1__PkeyAlloc *m, Vmad__V1__Response *resp,
	   struct arena *arena, Vmad__V1__Event *ev)
{
	Vmad__V1__PkeyResult *res = arena_alloc(arena, sizeof(*res));
	int pkey = 0, r;

	if (!res)
		return -ENOMEM;
	r = mm_pkey_alloc(mm, m->flags, m->init_val, &pkey);
	if (r < 0)
		return r;
	vmad__v1__pkey_result__init(res);
	res->has_pkey = true;
	res->pkey = pkey;
	resp->result_case = VMAD__V1__RESPONSE__RESULT_PKEY;
	resp->pkey = res;
	ev->has_flags = true;
	ev->flags = (uint32_t)pkey;
	return 0;
}

static int
pkey_mprotect(struct mm *mm, const Vmad__V1__PkeyMprotect *m, Vmad__V1__Event *ev)
{
	/* An absent key is -1, as plain mprotect. */
	int pkey = m->has_pkey ? m->pkey : -1,
	    r = mm_pkey_mprotect(mm, m->addr, m->len, m->prot, pkey);

	if (r < 0)
		return r;
	ev->has_start = ev->has_len = ev->has_new_prot = ev->has_flags = true;
	ev->start = m->addr;
	ev->len = m->len;
	ev->new_prot = m->prot;
	ev->flags = (uint32_t)pkey;
	return 0;
}

static int
pkeys_req_run(const struct sreq_call *c)
{
	const Request *q = c->q;
	int r;

	switch (q->op_case) {
	case VMAD__V1__REQUEST__OP_PKEY_ALLOC:
		sreq_event(c->ev, VMAD__V1__EVENT_KIND__EVENT_PKEY_ALLOC);
		return pkey_alloc(c->mm, q->pkey_alloc, c->resp, c->arena, c->ev);
	case VMAD__V1__REQUEST__OP_PKEY_FREE:
		sreq_event(c->ev, VMAD__V1__EVENT_KIND__EVENT_PKEY_FREE);
		r = mm_pkey_free(c->mm, q->pkey_free->pkey);
		c->ev->has_flags = r == 0;
		c->ev->flags = (uint32_t)q->pkey_free->pkey;
		return r;
	default:
		sreq_event(c->ev, VMAD__V1__EVENT_KIND__EVENT_PKEY_MPROTECT);
		return pkey_mprotect(c->mm, q->pkey_mprotect, c->ev);
	}
}

const struct sreq_family pkeys_req_family = { pkeys_req_handles, pkeys_req_name, pkeys_req_run };
