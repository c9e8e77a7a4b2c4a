/* SPDX-License-Identifier: MIT */
#include "quickfind.h"

#include <stdbool.h>

#include "conn.h"
#include "dispatch.h"
#include "fault_inject.h"
#include "reply.h"
#include "server.h"
#include "space.h"
#include "wire.h"
#include "wire_find.h"

/* The Vmas op_find() replies with, made in place; their text lives in t. */
struct quickfind_vmas {
	Vmad__V1__Vma vma, prev;
	struct reply_text t[2];
};

static int
quickfind_make(struct quickfind_vmas *q, struct mm *mm, const struct vma *v, const struct vma *prev,
	       bool line)
{
	int r = v ? reply_vma_in(&q->vma, &q->t[0], mm, v, line) : 0;

	return r == 0 && prev ? reply_vma_in(&q->prev, &q->t[1], mm, prev, line) : r;
}

/* The reply, straight onto the batch, or through conn_send() as a Response. */
static int
quickfind_send(struct conn *c, uint64_t id, const Vmad__V1__Vma *vma, const Vmad__V1__Vma *prev)
{
	struct wire_buf *b = conn_batch(c);
	Vmad__V1__Response resp = VMAD__V1__RESPONSE__INIT;
	Vmad__V1__FindResult res = VMAD__V1__FIND_RESULT__INIT;

	if (b)
		return wire_find_batch(b, id, vma, prev);
	res.vma = (Vmad__V1__Vma *)vma;
	res.prev = (Vmad__V1__Vma *)prev;
	/* dispatch_request() gives every reply an id, the request's or 0. */
	resp.has_id = true;
	resp.id = id;
	resp.result_case = VMAD__V1__RESPONSE__RESULT_FIND;
	resp.find = &res;
	return conn_send(c, &resp);
}

int
quickfind_answer(struct server *srv, struct conn *c, const uint8_t *data, size_t len)
{
	char name[SPACE_NAME_MAX + 1];
	struct quickfind_vmas vmas;
	const struct vma *v, *prev;
	struct wire_find_req q;
	struct mm *mm;
	int r;

	if (!wire_find_read(data, len, &q, name, sizeof(name)) ||
	    dispatch_find(srv, c, &q.find, &mm, &v, &prev) < 0 ||
	    quickfind_make(&vmas, mm, v, prev, !(q.find.has_without_line && q.find.without_line)))
		return 0;
	dispatch_log(c, q.id, (int)VMAD__V1__REQUEST__OP_FIND, 0);
	/* A find carried out twice answers the same: only a dropped reply is to be injected. */
	if (fault_inject_drop(q.id))
		return 1;
	r = quickfind_send(c, q.id, v ? &vmas.vma : NULL, prev ? &vmas.prev : NULL);
	return r < 0 ? r : 1;
}
