/* SPDX-License-Identifier: MIT */
#include "quickfind.h"

#include <stdbool.h>

#include "arena.h"
#include "conn.h"
#include "dispatch.h"
#include "fault_inject.h"
#include "log.h"
#include "reply.h"
#include "server.h"
#include "space.h"
#include "wire_find.h"

/* The reply op_find() makes, its Vmas in the reply arena, which the caller resets. */
static bool
quickfind_reply(struct server *srv, const struct wire_find_req *q, struct mm *mm,
		const struct vma *v, const struct vma *prev, Vmad__V1__Response *resp,
		Vmad__V1__FindResult *res)
{
	bool line = !(q->find.has_without_line && q->find.without_line);

	if ((v && !(res->vma = reply_vma(&srv->reply_arena, mm, v, line))) ||
	    (prev && !(res->prev = reply_vma(&srv->reply_arena, mm, prev, line))))
		return false;
	/* dispatch_request() gives every reply an id, the request's or 0. */
	resp->has_id = true;
	resp->id = q->id;
	resp->result_case = VMAD__V1__RESPONSE__RESULT_FIND;
	resp->find = res;
	return true;
}

int
quickfind_answer(struct server *srv, struct conn *c, const uint8_t *data, size_t len)
{
	Vmad__V1__Response resp = VMAD__V1__RESPONSE__INIT;
	Vmad__V1__FindResult res = VMAD__V1__FIND_RESULT__INIT;
	char name[SPACE_NAME_MAX + 1];
	const struct vma *v, *prev;
	struct wire_find_req q;
	struct mm *mm;
	int r = 0;

	if (!wire_find_read(data, len, &q, name, sizeof(name)) ||
	    dispatch_find(srv, c, &q.find, &mm, &v, &prev) < 0)
		return 0;
	if (!quickfind_reply(srv, &q, mm, v, prev, &resp, &res)) {
		/* Short of memory: the general path makes that error reply. */
		arena_reset(&srv->reply_arena);
		return 0;
	}
	if (log_enabled(LOG_LEVEL_DEBUG))
		log_debug("client %llu: request %llu op %d: 0", (unsigned long long)conn_id(c),
			  (unsigned long long)q.id, (int)VMAD__V1__REQUEST__OP_FIND);
	/* A find carried out twice answers the same: only a dropped reply is to be injected. */
	if (!fault_inject_drop(q.id))
		r = conn_send(c, &resp);
	arena_reset(&srv->reply_arena);
	return r < 0 ? r : 1;
}
