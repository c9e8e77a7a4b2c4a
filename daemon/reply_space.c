/* SPDX-License-Identifier: MIT */
/* The results about spaces as a whole: the list of spaces and the per-owner usage lines. */
#include "reply.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mm.h"
#include "space.h"

static Vmad__V1__SpaceInfo *
reply_space_info(struct arena *a, const struct space *sp)
{
	Vmad__V1__SpaceInfo *si = arena_alloc(a, sizeof(*si));
	struct mm_status st;

	if (!si)
		return NULL;
	vmad__v1__space_info__init(si);
	mm_get_status(sp->mm, &st);
	si->name = (char *)sp->name;
	si->has_map_count = si->has_vm_size_kb = si->has_vm_rss_kb = true;
	si->has_uid = si->has_gid = si->has_mode = true;
	si->map_count = st.map_count;
	si->vm_size_kb = st.total_vm * (MM_PAGE_SIZE / 1024);
	si->vm_rss_kb = (st.rss_anon + st.rss_file + st.rss_shmem) * (MM_PAGE_SIZE / 1024);
	si->uid = (uint32_t)sp->uid;
	si->gid = (uint32_t)sp->gid;
	si->mode = sp->mode;
	return si;
}

static int
reply_space_info_cmp(const void *a, const void *b)
{
	const Vmad__V1__SpaceInfo *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

Vmad__V1__ListResult *
reply_list(struct arena *a, const struct space_table *t, const struct peer_cred *cred)
{
	Vmad__V1__ListResult *res = arena_alloc(a, sizeof(*res));
	size_t n = 0;

	if (!res)
		return NULL;
	vmad__v1__list_result__init(res);
	res->spaces = arena_alloc(a, (t->count + 1) * sizeof(*res->spaces));
	if (!res->spaces)
		return NULL;
	for (const struct space *sp = space_next(t, NULL); sp; sp = space_next(t, sp)) {
		if (space_access(sp, cred, SPACE_READ) < 0)
			continue;
		res->spaces[n] = reply_space_info(a, sp);
		if (!res->spaces[n++])
			return NULL;
	}
	qsort(res->spaces, n, sizeof(*res->spaces), reply_space_info_cmp);
	res->n_spaces = n;
	return res;
}

static Vmad__V1__UsageUid *
reply_usage_uid(struct arena *a, const struct usage *u)
{
	Vmad__V1__UsageUid *m = arena_alloc(a, sizeof(*m));

	if (!m)
		return NULL;
	vmad__v1__usage_uid__init(m);
	m->has_uid = m->has_spaces = m->has_vmas = true;
	m->uid = (uint32_t)u->uid;
	m->spaces = u->spaces;
	m->vmas = u->vmas;
	return m;
}

int
reply_usage_uids(struct arena *a, const struct usage_table *t, const struct peer_cred *cred,
		 Vmad__V1__UsageResult *res)
{
	size_t n = 0;

	res->uids = arena_alloc(a, (t->n + 1) * sizeof(*res->uids));
	if (!res->uids)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		if (cred->uid != 0 && t->v[i].uid != cred->uid)
			continue;
		res->uids[n] = reply_usage_uid(a, &t->v[i]);
		if (!res->uids[n++])
			return -ENOMEM;
	}
	res->n_uids = n;
	return 0;
}
