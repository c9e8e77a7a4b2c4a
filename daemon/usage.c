/* SPDX-License-Identifier: MIT */
#include "usage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
usage_table_fini(struct usage_table *t)
{
	if (!t)
		return;
	free(t->v);
	*t = (struct usage_table){ 0 };
}

/* Where uid is, or would be inserted. */
static size_t
usage_slot(const struct usage_table *t, uid_t uid)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct usage *
usage_entry(const struct usage_table *t, uid_t uid)
{
	size_t i = usage_slot(t, uid);

	return i < t->n && t->v[i].uid == uid ? &t->v[i] : NULL;
}

const struct usage *
usage_find(const struct usage_table *t, uid_t uid)
{
	return usage_entry(t, uid);
}

static int
usage_insert(struct usage_table *t, uid_t uid, struct usage **out)
{
	size_t i = usage_slot(t, uid);

	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 8;
		struct usage *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(*t->v));
	t->v[i] = (struct usage){ .uid = uid };
	t->n++;
	*out = &t->v[i];
	return 0;
}

int
usage_space_added(struct usage_table *t, uid_t uid, uint64_t vmas)
{
	struct usage *u = usage_entry(t, uid);
	int r;

	if (!u && (r = usage_insert(t, uid, &u)) < 0)
		return r;
	u->spaces++;
	u->vmas += vmas;
	return 0;
}

void
usage_space_removed(struct usage_table *t, uid_t uid, uint64_t vmas)
{
	struct usage *u = usage_entry(t, uid);

	if (!u)
		return;
	u->vmas -= vmas < u->vmas ? vmas : u->vmas;
	if (--u->spaces > 0)
		return;
	memmove(u, u + 1, (size_t)(&t->v[t->n] - (u + 1)) * sizeof(*u));
	t->n--;
}

void
usage_vmas_changed(struct usage_table *t, uid_t uid, uint64_t before, uint64_t after)
{
	struct usage *u = usage_entry(t, uid);

	if (u)
		u->vmas = u->vmas - before + after;
}
