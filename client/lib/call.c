/* SPDX-License-Identifier: MIT */
/*
 * Requests and their replies.  Every call encodes its request, remembers how to turn the reply
 * into its result (an apply function and the out-parameters), and either waits for the reply at
 * once or, in a pipeline, leaves it to vmac_pipeline_next().  The daemon answers in request
 * order, so replies are matched to the head of the queue by id.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include "wire_req.h"

/* In a pipeline, send once this much is queued, so that requests and replies overlap. */
#define CALL_FLUSH_AT (64u << 10)

int
conn_usable(const struct vmac_conn *c)
{
	if (c == NULL)
		return -EINVAL;
	if (c->broken)
		return c->broken;
	if (c->send_err)
		return c->send_err; /* replies already received can still be collected */
	if (c->watching)
		return -EBUSY;
	return 0;
}

int
conn_protocol_error(struct vmac_conn *c)
{
	return io_fail(c, -EPROTO);
}

void
conn_take_fd(struct vmac_conn *c, int fd)
{
	if (c->has_passed_fd || !c->want_fds) {
		close(fd);
		return;
	}
	c->passed_fd = fd;
	c->has_passed_fd = true;
}

void
conn_set_last(struct vmac_conn *c, Response *r)
{
	free(c->spaces);
	c->spaces = NULL;
	free(c->usage_uids);
	c->usage_uids = NULL;
	if (c->last && !c->last_borrowed)
		vmad__v1__response__free_unpacked(c->last, NULL);
	c->last = r;
	c->last_borrowed = false;
}

/* The reply's error; one that is no errno at all breaks the connection. */
int
conn_reply_errno(struct vmac_conn *c, const Response *r)
{
	if (!r->has_error)
		return 0;
	if (r->error > 0 || r->error < -4095)
		return conn_protocol_error(c);
	return r->error;
}

/*
 * A reply that answers no request awaited.  The daemon reports a protocol error (an oversized
 * or undecodable frame, too many clients, a stalled frame) with id 0 and then closes: that
 * error is what broke the connection.  Anything else is a protocol violation.
 */
int
conn_stray_reply(struct vmac_conn *c, Response *r)
{
	int err = r->has_error ? r->error : 0;
	bool daemon_error = (!r->has_id || r->id == 0) && err < 0 && err >= -4095;
	if (!c->reply_borrowed)
		vmad__v1__response__free_unpacked(r, NULL);
	return io_fail(c, daemon_error ? err : -EPROTO);
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int
conn_encode(struct vmac_conn *c, Request *req, uint64_t *id)
{
	struct wire_req w;
	req->has_id = 1;
	req->id = c->next_id;
	size_t n = wire_req_size(req, &w);
	if (n > UINT32_MAX)
		return -EMSGSIZE;
	int rc = cbuf_reserve(&c->out, 4 + n);
	if (rc < 0)
		return rc;
	uint8_t *p = c->out.data + c->out.len;
	put_be32(p, (uint32_t)n);
	wire_req_pack(req, &w, p + 4);
	c->out.len += 4 + n;
	*id = c->next_id++;
	return 0;
}

static int
queue_push(struct vmac_conn *c, const struct conn_pending *p)
{
	if (c->qlen == c->qcap) {
		size_t cap = c->qcap ? 2 * c->qcap : 16;
		struct conn_pending *q = realloc(c->q, cap * sizeof(*q));
		if (q == NULL)
			return -ENOMEM;
		c->q = q;
		c->qcap = cap;
	}
	c->q[c->qlen++] = *p;
	return 0;
}

int
conn_apply_reply(struct vmac_conn *c, Response *r, bool owned, conn_apply_fn apply,
		 void *const out[2])
{
	conn_set_last(c, NULL);
	int err = conn_reply_errno(c, r);
	int result = apply ? apply(c, &r, out, err) : err;
	c->last = r;
	c->last_borrowed = !owned;
	return result;
}

/* Wait for the reply at the head of the queue and apply it.  1 done, 0 none awaited. */
static int
conn_collect(struct vmac_conn *c, int *result)
{
	if (c->qhead == c->qlen)
		return 0;
	struct conn_pending p = c->q[c->qhead];
	Response *r = p.reply;
	if (!c->local) {
		c->borrow_reply = p.borrow;
		int rc = io_read_frame(c, &r, c->timeout_ms, false);
		c->borrow_reply = false;
		if (rc < 0)
			return rc;
		if (!r->has_id || r->id != p.id)
			return conn_stray_reply(c, r);
		p.reply_owned = !c->reply_borrowed;
	}
	if (++c->qhead == c->qlen)
		c->qhead = c->qlen = 0;
	*result = conn_apply_reply(c, r, p.reply_owned, p.apply, p.out);
	return 1;
}

static int
conn_submit_pending(struct vmac_conn *c, Request *req, struct conn_pending p)
{
	int rc = conn_usable(c);
	if (rc < 0)
		return rc;
	if (!c->queueing && c->qhead != c->qlen)
		return -EBUSY;
	rc = c->local ? local_submit(c, req, &p) : conn_encode(c, req, &p.id);
	if (rc < 0)
		return rc;
	rc = queue_push(c, &p);
	if (rc < 0) {
		/* The request is already framed (or run): replies can no longer be matched. */
		if (p.reply_owned)
			vmad__v1__response__free_unpacked(p.reply, NULL);
		return io_fail(c, rc);
	}
	if (c->queueing)
		return cbuf_avail(&c->out) >= CALL_FLUSH_AT ? io_flush(c) : 0;
	rc = c->local ? 0 : io_flush(c);
	if (rc < 0)
		return rc;
	int result = 0;
	rc = conn_collect(c, &result);
	return rc < 0 ? rc : result;
}

int
conn_submit(struct vmac_conn *c, Request *req, conn_apply_fn apply, void *out0, void *out1)
{
	return conn_submit_pending(c, req,
				   (struct conn_pending){ .apply = apply, .out = { out0, out1 } });
}

int
conn_submit_read(struct vmac_conn *c, Request *req, conn_apply_fn apply, void *out0, void *out1)
{
	return conn_submit_pending(
		c, req,
		(struct conn_pending){ .apply = apply, .out = { out0, out1 }, .borrow = true });
}

void
conn_reset(struct vmac_conn *c)
{
	conn_set_last(c, NULL);
	arena_fini(&c->replies);
	if (c->early_event)
		vmad__v1__response__free_unpacked(c->early_event, NULL);
	c->early_event = NULL;
	for (size_t i = c->qhead; i < c->qlen; i++)
		if (c->q[i].reply_owned)
			vmad__v1__response__free_unpacked(c->q[i].reply, NULL);
	free(c->q);
	c->q = NULL;
	c->qhead = c->qlen = c->qcap = 0;
	cbuf_free(&c->in);
	cbuf_free(&c->out);
	free(c->lines);
	c->lines = NULL;
	c->lines_cap = 0;
	c->broken = 0;
	c->send_err = 0;
	c->eof = false;
	c->queueing = false;
	c->watching = false;
	c->watch_id = 0;
	if (c->has_passed_fd)
		close(c->passed_fd);
	c->has_passed_fd = false;
}

VMAC_EXPORT int
vmac_pipeline_begin(struct vmac_conn *c)
{
	int rc = conn_usable(c);
	if (rc < 0)
		return rc;
	if (c->queueing || c->qhead != c->qlen)
		return -EBUSY;
	c->queueing = true;
	return 0;
}

VMAC_EXPORT int
vmac_pipeline_end(struct vmac_conn *c)
{
	if (c == NULL || !c->queueing)
		return -EINVAL;
	c->queueing = false;
	int rc = c->local ? 0 : io_flush(c);
	if (rc < 0)
		return rc;
	return (int)(c->qlen - c->qhead);
}

VMAC_EXPORT int
vmac_pipeline_next(struct vmac_conn *c, int *result)
{
	if (c == NULL || result == NULL)
		return -EINVAL;
	if (c->queueing) {
		int rc = vmac_pipeline_end(c);
		if (rc < 0)
			return rc;
	}
	return conn_collect(c, result);
}
