/* SPDX-License-Identifier: MIT */
/*
 * Requests about the text and names of a space's VMAs (sreq.h): Smaps (a read) and
 * SetVmaAnonName (a change).
 */
#include "sreq.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef Vmad__V1__Request Request;

static bool
vma_req_handles(const Request *q, bool *write)
{
	*write = q->op_case == VMAD__V1__REQUEST__OP_SET_VMA_ANON_NAME;
	return *write || q->op_case == VMAD__V1__REQUEST__OP_SMAPS;
}

static const char *
vma_req_name(const Request *q)
{
	return q->op_case == VMAD__V1__REQUEST__OP_SMAPS ? q->smaps->name
							 : q->set_vma_anon_name->name;
}

/* The text goes out in the reply, which lives in the arena until it is sent. */
static int
smaps_reply(struct mm *mm, const Vmad__V1__Smaps *m, Vmad__V1__Response *resp, struct arena *arena,
	    char *why, size_t len)
{
	Vmad__V1__SmapsResult *res = arena_alloc(arena, sizeof(*res));
	char *text = NULL;
	size_t n = 0;
	int r;

	if (!res)
		return -ENOMEM;
	vmad__v1__smaps_result__init(res);
	r = mm_render_smaps(mm, m->has_rollup && m->rollup, &text, &n);
	if (r < 0)
		return r;
	res->text = arena_alloc(arena, n + 1);
	if (res->text)
		memcpy(res->text, text, n + 1);
	free(text);
	if (!res->text) {
		snprintf(why, len, "the smaps text (%zu bytes) does not fit one reply", n);
		return -E2BIG;
	}
	resp->result_case = VMAD__V1__RESPONSE__RESULT_SMAPS;
	resp->smaps = res;
	return 0;
}

static int
vma_req_run(const struct sreq_call *c)
{
	const Vmad__V1__SetVmaAnonName *m = c->q->set_vma_anon_name;
	int r;

	if (c->q->op_case == VMAD__V1__REQUEST__OP_SMAPS)
		return smaps_reply(c->mm, c->q->smaps, c->resp, c->arena, c->why, c->why_len);
	/* The engine checks the name as prctl() does: it is untrusted here. */
	r = mm_set_vma_anon_name(c->mm, m->addr, m->len, m->anon_name);
	sreq_event(c->ev, VMAD__V1__EVENT_KIND__EVENT_SET_VMA_ANON_NAME);
	c->ev->has_start = c->ev->has_len = true;
	c->ev->start = m->addr;
	c->ev->len = m->len;
	return r;
}

const struct sreq_family vma_req_family = { vma_req_handles, vma_req_name, vma_req_run };
