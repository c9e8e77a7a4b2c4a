/* SPDX-License-Identifier: MIT */
#include "space.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mm.h"
#include "view.h"

#define SPACE_BUCKETS_MIN 64

int
space_table_init(struct space_table *t)
{
	t->buckets = calloc(SPACE_BUCKETS_MIN, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->nbuckets = SPACE_BUCKETS_MIN;
	t->count = 0;
	t->usage = (struct usage_table){ 0 };
	return 0;
}

/* A space destroyed by request tells its view's readers so; one going at exit, that it ended. */
static void
space_free(struct space *sp, enum vseg_state why)
{
	view_pub_free(sp->view, why);
	mm_destroy(sp->mm);
	free(sp);
}

void
space_table_fini(struct space_table *t)
{
	if (!t || !t->buckets)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct space *sp = t->buckets[i];

		while (sp) {
			struct space *next = sp->hnext;

			space_free(sp, VSEG_CLOSED);
			sp = next;
		}
	}
	free(t->buckets);
	usage_table_fini(&t->usage);
	t->buckets = NULL;
	t->nbuckets = t->count = 0;
}

int
space_name_check(const char *name)
{
	size_t n = 0;

	for (const char *p = name; *p; p++, n++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';

		if (!ok || n >= SPACE_NAME_MAX)
			return -EINVAL;
	}
	return n ? 0 : -EINVAL;
}

/* FNV-1a: names are short and chosen by clients; the table grows, so chains stay short. */
static size_t
space_hash(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return (size_t)(h ^ (h >> 32));
}

struct space *
space_find(const struct space_table *t, const char *name)
{
	struct space *sp = t->buckets[space_hash(name) & (t->nbuckets - 1)];

	while (sp && strcmp(sp->name, name) != 0)
		sp = sp->hnext;
	return sp;
}

static void
space_grow(struct space_table *t)
{
	size_t n = t->nbuckets * 2;
	struct space **b = calloc(n, sizeof(*b));

	/* Without memory the table keeps working, only with longer chains. */
	if (!b)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct space *sp = t->buckets[i];

		while (sp) {
			struct space *next = sp->hnext;
			size_t k = space_hash(sp->name) & (n - 1);

			sp->hnext = b[k];
			b[k] = sp;
			sp = next;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

int
space_add(struct space_table *t, const char *name, struct mm *mm, const struct peer_cred *owner,
	  unsigned mode, struct space **out)
{
	size_t len = strlen(name);
	struct space *sp;
	size_t k;

	if (space_find(t, name))
		return -EEXIST;
	sp = calloc(1, sizeof(*sp) + len + 1);
	if (!sp)
		return -ENOMEM;
	sp->vmas = mm_map_count(mm);
	if (usage_space_added(&t->usage, owner->uid, sp->vmas) < 0) {
		free(sp);
		return -ENOMEM;
	}
	memcpy(sp->name, name, len + 1);
	sp->mm = mm;
	sp->uid = owner->uid;
	sp->gid = owner->gid;
	sp->mode = mode;
	if (t->count >= t->nbuckets)
		space_grow(t);
	k = space_hash(name) & (t->nbuckets - 1);
	sp->hnext = t->buckets[k];
	t->buckets[k] = sp;
	t->count++;
	if (out)
		*out = sp;
	return 0;
}

void
space_remove(struct space_table *t, struct space *sp)
{
	struct space **pp = &t->buckets[space_hash(sp->name) & (t->nbuckets - 1)];

	while (*pp && *pp != sp)
		pp = &(*pp)->hnext;
	if (*pp) {
		*pp = sp->hnext;
		t->count--;
		usage_space_removed(&t->usage, sp->uid, sp->vmas);
	}
	if (t->view_pending == sp)
		t->view_pending = NULL;
	space_free(sp, VSEG_DESTROYED);
}

void
space_recount(struct space_table *t, struct space *sp)
{
	uint64_t now = mm_map_count(sp->mm);

	usage_vmas_changed(&t->usage, sp->uid, sp->vmas, now);
	sp->vmas = now;
}

struct space *
space_next(const struct space_table *t, const struct space *prev)
{
	size_t i = 0;

	if (prev) {
		if (prev->hnext)
			return prev->hnext;
		i = (space_hash(prev->name) & (t->nbuckets - 1)) + 1;
	}
	for (; i < t->nbuckets; i++)
		if (t->buckets[i])
			return t->buckets[i];
	return NULL;
}

static bool
space_in_group(const struct space *sp, const struct peer_cred *cred)
{
	if (cred->gid == sp->gid)
		return true;
	for (size_t i = 0; i < cred->ngroups; i++)
		if (cred->groups[i] == sp->gid)
			return true;
	return false;
}

int
space_access(const struct space *sp, const struct peer_cred *cred, enum space_right right)
{
	unsigned bits;

	if (cred->uid == 0)
		return 0;
	/* Like a file: the first class that matches decides, even if a later one would allow. */
	if (cred->uid == sp->uid)
		bits = sp->mode >> 6;
	else if (space_in_group(sp, cred))
		bits = sp->mode >> 3;
	else
		bits = sp->mode;
	return (bits & (unsigned)right) ? 0 : -EACCES;
}

int
space_owner_check(const struct space *sp, const struct peer_cred *cred)
{
	return cred->uid == 0 || cred->uid == sp->uid ? 0 : -EACCES;
}
