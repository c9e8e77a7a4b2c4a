/* SPDX-License-Identifier: MIT */
/*
 * Watching a space.  After the daemon acknowledges the Watch request, events arrive as
 * Responses carrying the Watch request's id; the connection then carries nothing else.
 */
#include <errno.h>

#include "internal.h"

static const char *const event_names[] = {
	[VMAC_EVENT_MMAP] = "mmap",
	[VMAC_EVENT_MUNMAP] = "munmap",
	[VMAC_EVENT_MPROTECT] = "mprotect",
	[VMAC_EVENT_MREMAP] = "mremap",
	[VMAC_EVENT_BRK] = "brk",
	[VMAC_EVENT_MADVISE] = "madvise",
	[VMAC_EVENT_MLOCK] = "mlock",
	[VMAC_EVENT_MUNLOCK] = "munlock",
	[VMAC_EVENT_POPULATE] = "populate",
	[VMAC_EVENT_FAULT] = "fault",
	[VMAC_EVENT_FORK] = "fork",
	[VMAC_EVENT_DESTROY] = "destroy",
	[VMAC_EVENT_OVERFLOW] = "overflow",
	[VMAC_EVENT_MSEAL] = "mseal",
	[VMAC_EVENT_CHANGED] = "changed",
	[VMAC_EVENT_RESTORE] = "restore",
	[VMAC_EVENT_EXEC] = "exec",
	[VMAC_EVENT_FILE_SET_SIZE] = "file-size",
	[VMAC_EVENT_FILE_UNLINK] = "file-unlink",
	[VMAC_EVENT_SET_BRK] = "set-brk",
	[VMAC_EVENT_PKEY_ALLOC] = "pkey_alloc",
	[VMAC_EVENT_PKEY_FREE] = "pkey_free",
	[VMAC_EVENT_PKEY_MPROTECT] = "pkey_mprotect",
	[VMAC_EVENT_MLOCKALL] = "mlockall",
	[VMAC_EVENT_MUNLOCKALL] = "munlockall",
	[VMAC_EVENT_SET_VMA_ANON_NAME] = "set_vma_anon_name",
};

VMAC_EXPORT const char *
vmac_event_kind_name(enum vmac_event_kind kind)
{
	if ((unsigned)kind >= sizeof(event_names) / sizeof(event_names[0]))
		return "unknown";
	return event_names[kind];
}

/* The acknowledgement has no result; a daemon may also start with an event right away. */
static int
watch_apply(struct vmac_conn *c, Response **rp, void *const out[2], int err)
{
	(void)out;
	if (err)
		return err;
	if ((*rp)->result_case == VMAD__V1__RESPONSE__RESULT_EVENT) {
		c->early_event = *rp;
		*rp = NULL;
		return 0;
	}
	if ((*rp)->result_case != VMAD__V1__RESPONSE__RESULT__NOT_SET)
		return conn_protocol_error(c);
	return 0;
}

VMAC_EXPORT int
vmac_watch(struct vmac_conn *c, const char *name)
{
	if (c == NULL || name == NULL)
		return -EINVAL;
	if (c->queueing)
		return -EBUSY;
	Vmad__V1__Watch m = VMAD__V1__WATCH__INIT;
	m.name = (char *)name;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_WATCH;
	req.watch = &m;
	int rc = conn_submit(c, &req, watch_apply, NULL, NULL);
	if (rc < 0)
		return rc;
	c->watching = true;
	c->watch_id = req.id;
	return 0;
}

static void
event_from_wire(const Vmad__V1__Event *w, struct vmac_event *ev)
{
	*ev = (struct vmac_event){
		.seq = w->seq,
		.kind = (enum vmac_event_kind)w->kind,
		.name = w->name ? w->name : "",
		.start = w->start,
		.len = w->len,
		.old_prot = w->old_prot,
		.new_prot = w->new_prot,
		.new_addr = w->new_addr,
		.new_len = w->new_len,
		.lost = w->lost,
		.flags = w->flags,
		.advice = w->advice,
		.target = w->target ? w->target : "",
		.path = w->path ? w->path : "",
		.access = (enum vmac_access)w->access,
	};
}

static int
watch_take(struct vmac_conn *c, Response **rp, int timeout_ms)
{
	if (c->early_event) {
		*rp = c->early_event;
		c->early_event = NULL;
		return 0;
	}
	return io_read_frame(c, rp, timeout_ms, true);
}

VMAC_EXPORT int
vmac_watch_next(struct vmac_conn *c, struct vmac_event *ev, int timeout_ms)
{
	if (c == NULL || ev == NULL)
		return -EINVAL;
	if (c->broken)
		return c->broken;
	if (!c->watching)
		return -EINVAL;
	Response *r = NULL;
	int rc = watch_take(c, &r, timeout_ms < 0 ? -1 : timeout_ms);
	if (rc < 0)
		return rc;
	if (!r->has_id || r->id != c->watch_id)
		return conn_stray_reply(c, r);
	conn_set_last(c, r);
	int err = conn_reply_errno(c, r);
	if (err) {
		c->watching = false;
		return err;
	}
	if (r->result_case != VMAD__V1__RESPONSE__RESULT_EVENT)
		return conn_protocol_error(c);
	event_from_wire(r->event, ev);
	return 0;
}
