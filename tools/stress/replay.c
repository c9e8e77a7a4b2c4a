/* SPDX-License-Identifier: MIT */
/*
 * The replay: each client's sequence applied to the engine in-process through the library's
 * local mode (vmac_open_local(), which runs vmad's own request handling in this process), so
 * that the daemon and the replay are asked in the same calls and answer in the same shape.
 * The generator reads the replay's layout through a view of the local space.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stress.h"

/*
 * Reading the whole layout through the view after every change would cost more than the
 * change: a private space's generator reads it again only every REPLAY_REFRESH changes, which
 * keeps the sequence a function of the seed (a rebuilt replay refreshes at the same points).
 * A slice's generator must know the layout exactly (its ranges lie within one VMA).
 */
#define REPLAY_REFRESH 16

struct replay {
	struct vmac_conn *c;
	struct vmac_view *view;
	char name[32];
	bool exact;       /* refresh after every change */
	unsigned changes; /* since vmas[] was read */
	size_t count, cap;
	struct vmac_view_vma *vmas;
};

int
replay_open(const struct st_target *t, struct replay **out)
{
	static unsigned serial;
	struct vmac_create_opts opts;
	struct replay *r = calloc(1, sizeof(*r));
	int rc;

	if (!r)
		return -ENOMEM;
	r->exact = t->slice;
	r->changes = REPLAY_REFRESH;
	snprintf(r->name, sizeof(r->name), "replay-%u", serial++);
	target_create_opts(t, &opts);
	rc = vmac_open_local(&r->c);
	if (rc == 0)
		rc = vmac_create(r->c, r->name, &opts);
	if (rc == 0)
		rc = vmac_view_open(r->c, r->name, &r->view);
	if (rc < 0) {
		replay_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void
replay_close(struct replay *r)
{
	if (!r)
		return;
	vmac_view_close(r->view);
	/* Local spaces live while a local connection of the process is open: this one goes. */
	vmac_close(r->c);
	free(r->vmas);
	free(r);
}

void
replay_apply(struct replay *r, const struct st_op *op, struct st_result *res)
{
	int rc = remote_call(r->c, r->name, op, res);

	if (rc < 0 && res->err == 0)
		res->err = rc;
	r->changes++;
}

int
replay_maps(struct replay *r, uint64_t lo, uint64_t hi, char **text)
{
	return remote_maps(r->c, r->name, lo, hi, text);
}

int
replay_layout(struct replay *r, uint64_t lo, uint64_t hi, char **text)
{
	return remote_layout(r->c, r->name, lo, hi, text);
}

int
replay_status(struct replay *r, char **text)
{
	return remote_status(r->c, r->name, text);
}

/* The VMAs, read through the view once per change. */
static void
replay_refresh(struct replay *r)
{
	uint64_t cursor = 0;
	struct vmac_view_vma v;

	r->count = 0;
	while (vmac_view_next(r->view, &cursor, &v) == VMAC_FOUND_VMA) {
		if (r->count == r->cap) {
			size_t cap = r->cap ? 2 * r->cap : 64;
			struct vmac_view_vma *p = realloc(r->vmas, cap * sizeof(*p));

			if (!p)
				break;
			r->vmas = p;
			r->cap = cap;
		}
		r->vmas[r->count++] = v;
	}
	r->changes = 0;
}

static void
replay_current(struct replay *r)
{
	if (r->changes >= (r->exact ? 1u : REPLAY_REFRESH))
		replay_refresh(r);
}

size_t
replay_count(struct replay *r)
{
	replay_current(r);
	return r->count;
}

void
replay_vma(struct replay *r, size_t i, uint64_t *start, uint64_t *end, uint64_t *flags)
{
	replay_current(r);
	if (i >= r->count) {
		*start = *end = *flags = 0;
		return;
	}
	*start = r->vmas[i].start;
	*end = r->vmas[i].end;
	*flags = r->vmas[i].flags;
}

uint64_t
replay_brk(struct replay *r)
{
	uint64_t brk = 0;

	if (vmac_brk(r->c, r->name, 0, &brk) < 0)
		return 0;
	return brk;
}

void
replay_first(struct replay *r, uint64_t lo, uint64_t hi, struct st_first *out)
{
	struct vmac_view_vma v;

	out->start = out->end = out->flags = 0;
	if (vmac_view_find_vma_intersection(r->view, lo, hi, &v) != VMAC_FOUND_VMA)
		return;
	out->start = v.start;
	out->end = v.end;
	out->flags = v.flags;
}
