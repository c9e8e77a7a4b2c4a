/* SPDX-License-Identifier: MIT */
/*
 * A watcher of a shared space: every event of the watch stream applied to a replay of the
 * space, which at the end must give the daemon's final layout.  Events carry what the request
 * asked (a file by its path, no file offset), which is why slices map files at offset 0 and
 * one open instance per path.  The end of the stream is a marker mapping made after every
 * client has finished.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stress.h"

static int
watcher_file(const char *path)
{
	for (size_t i = 0; path && path[0] && i < st_nfiles; i++)
		if (strcmp(st_files[i].path, path) == 0)
			return (int)i;
	return -1;
}

/* The request an event reports; false for events that are no change to replay. */
static bool
watcher_op(const struct vmac_event *ev, struct st_op *op)
{
	static const enum st_kind kinds[] = {
		[VMAC_EVENT_MMAP] = ST_MMAP,         [VMAC_EVENT_MUNMAP] = ST_MUNMAP,
		[VMAC_EVENT_MPROTECT] = ST_MPROTECT, [VMAC_EVENT_MREMAP] = ST_MREMAP,
		[VMAC_EVENT_BRK] = ST_BRK,           [VMAC_EVENT_MADVISE] = ST_MADVISE,
		[VMAC_EVENT_MLOCK] = ST_MLOCK,       [VMAC_EVENT_MUNLOCK] = ST_MUNLOCK,
		[VMAC_EVENT_POPULATE] = ST_POPULATE, [VMAC_EVENT_FAULT] = ST_FAULT,
		[VMAC_EVENT_FORK] = ST_FORK,
	};

	if ((unsigned)ev->kind > VMAC_EVENT_FORK)
		return false;
	*op = (struct st_op){ .kind = kinds[ev->kind],
			      .addr = ev->start,
			      .len = ev->len,
			      .new_len = ev->new_len,
			      .new_addr = ev->new_addr,
			      .prot = ev->new_prot,
			      .flags = ev->flags,
			      .file = -1 };
	switch (ev->kind) {
	case VMAC_EVENT_MMAP:
		op->file = watcher_file(ev->path);
		break;
	case VMAC_EVENT_BRK:
		op->addr = ev->new_addr;
		break;
	case VMAC_EVENT_MADVISE:
		op->arg = ev->advice;
		break;
	case VMAC_EVENT_MLOCK:
		op->arg = (int)ev->flags;
		break;
	case VMAC_EVENT_POPULATE:
		op->arg = ev->access == VMAC_ACCESS_WRITE;
		break;
	case VMAC_EVENT_FAULT:
		op->arg = (int)ev->access;
		break;
	default:
		break;
	}
	return true;
}

/* The replay must accept every event, at the address the event reports. */
static bool
watcher_accepted(const struct st_op *op, const struct vmac_event *ev, const struct st_result *r)
{
	if (r->err)
		return false;
	if (op->kind == ST_MMAP)
		return r->value == ev->start;
	if (op->kind == ST_MREMAP || op->kind == ST_BRK)
		return r->value == ev->new_addr;
	return op->kind != ST_FAULT || r->value == VMAC_FAULT_OK;
}

static int
watcher_follow(struct vmac_conn *w, struct replay *rp, struct st_slot *slot, const char *space)
{
	struct vmac_event ev;
	struct st_result res;
	struct st_op op;
	int rc;

	for (;;) {
		rc = vmac_watch_next(w, &ev, 1000);
		if (rc == -EAGAIN || rc == -EINTR)
			continue;
		if (rc < 0 || !watcher_op(&ev, &op)) {
			report_fail(slot,
				    "watcher of %s: the stream ended or went wrong at event %llu "
				    "(%s, %s)",
				    space, (unsigned long long)slot->done,
				    vmac_event_kind_name(ev.kind),
				    rc < 0 ? strerror(-rc) : "no change");
			return -EPROTO;
		}
		if (ev.seq != slot->done + 1) {
			report_fail(slot, "watcher of %s: event seq %llu follows seq %llu", space,
				    (unsigned long long)ev.seq, (unsigned long long)slot->done);
			return -EPROTO;
		}
		slot->done++;
		replay_apply(rp, &op, &res);
		if (!watcher_accepted(&op, &ev, &res)) {
			char d[512];

			describe_op(&op, d, sizeof(d));
			report_fail(slot,
				    "watcher of %s: event seq %llu (%s) does not replay: error %d "
				    "value 0x%llx",
				    space, (unsigned long long)ev.seq, d, res.err,
				    (unsigned long long)res.value);
			result_clear(&res);
			return -EUCLEAN;
		}
		result_clear(&res);
		if (ev.kind == VMAC_EVENT_MMAP && ev.start == marker_addr())
			return 0;
	}
}

static int
watcher_compare(const struct st_opts *o, struct replay *rp, struct st_slot *slot, const char *space)
{
	char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	struct vmac_conn *conn = NULL;
	int rc = vmac_connect(o->socket, &conn);

	if (rc == 0 && (rc = remote_maps(conn, space, 0, UINT64_MAX, &a)) == 0 &&
	    (rc = remote_status(conn, space, &b)) == 0 &&
	    (rc = replay_maps(rp, 0, UINT64_MAX, &c)) == 0 && (rc = replay_status(rp, &d)) == 0 &&
	    (strcmp(a, c) != 0 || strcmp(b, d) != 0)) {
		char diff[1024];

		describe_diff(strcmp(a, c) ? c : d, strcmp(a, c) ? a : b, diff, sizeof(diff));
		report_fail(slot,
			    "watcher of %s: the watch stream (%llu events) replayed is not "
			    "the final layout: %s",
			    space, (unsigned long long)slot->done, diff);
		rc = -EUCLEAN;
	} else if (rc < 0) {
		report_fail(slot, "watcher of %s: cannot read the final layout: %s", space,
			    strerror(-rc));
	}
	free(a);
	free(b);
	free(c);
	free(d);
	vmac_close(conn);
	return rc;
}

int
watcher_main(const struct st_opts *o, struct st_shared *sh, unsigned j)
{
	struct st_slot *slot = &sh->slots[ST_WATCHER_SLOT(j)];
	struct vmac_conn *w = NULL;
	struct replay *rp = NULL;
	struct st_target t;
	int rc;

	shared_target(o, j, &t);
	rc = replay_open(&t, &rp);
	if (rc == 0)
		rc = vmac_connect(o->socket, &w);
	if (rc == 0) {
		vmac_set_timeout(w, ST_REPLY_TIMEOUT);
		rc = vmac_watch(w, t.space);
	}
	__atomic_fetch_add(&sh->watchers_ready, 1, __ATOMIC_SEQ_CST);
	if (rc < 0)
		report_fail(slot, "watcher of %s: cannot watch: %s", t.space, strerror(-rc));
	if (rc == 0)
		rc = watcher_follow(w, rp, slot, t.space);
	if (rc == 0)
		rc = watcher_compare(o, rp, slot, t.space);
	vmac_close(w);
	replay_close(rp);
	if (rc < 0)
		slot->mismatches++;
	slot->finished = rc == 0 ? 1 : -1;
	return rc == 0 ? 0 : 1;
}
