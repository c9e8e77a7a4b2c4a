/* SPDX-License-Identifier: MIT */
#include "recover.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "dispatch.h"
#include "journal.h"
#include "log.h"
#include "mm.h"
#include "record.h"
#include "server.h"
#include "snapshot.h"
#include "space.h"
#include "wire.h"

#define RECOVER_MSG 512

struct seglist {
	uint64_t *v;
	size_t n, cap;
};

struct dir_state {
	struct seglist journals, snapshots;
};

static int
seglist_add(struct seglist *l, uint64_t segno)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		uint64_t *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = segno;
	return 0;
}

static int
seg_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* "kind-<16 hex digits>" exactly. */
static bool
parse_name(const char *name, const char *kind, uint64_t *segno)
{
	size_t k = strlen(kind);
	char *end;

	if (strncmp(name, kind, k) != 0 || name[k] != '-' || strlen(name + k + 1) != 16)
		return false;
	*segno = strtoull(name + k + 1, &end, 16);
	return *end == '\0' && *segno > 0;
}

/* A temporary file is a snapshot that was never renamed into place. */
static int
classify(int dirfd, const char *name, struct dir_state *ds)
{
	size_t n = strlen(name);
	uint64_t segno;

	if (n > 4 && strcmp(name + n - 4, ".tmp") == 0) {
		log_info("removing %s, left by an interrupted snapshot", name);
		return unlinkat(dirfd, name, 0) < 0 ? -errno : 0;
	}
	if (parse_name(name, "journal", &segno))
		return seglist_add(&ds->journals, segno);
	if (parse_name(name, "snapshot", &segno))
		return seglist_add(&ds->snapshots, segno);
	return 0;
}

static int
list_dir(int dirfd, struct dir_state *ds)
{
	int fd = dup(dirfd), r = 0;
	struct dirent *e;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while (r == 0 && (e = readdir(d)) != NULL)
		r = classify(dirfd, e->d_name, ds);
	closedir(d);
	if (ds->journals.n)
		qsort(ds->journals.v, ds->journals.n, sizeof(uint64_t), seg_cmp);
	if (ds->snapshots.n)
		qsort(ds->snapshots.v, ds->snapshots.n, sizeof(uint64_t), seg_cmp);
	return r;
}

/* ---- replay -------------------------------------------------------------------------- */

struct replay {
	struct server *srv;
	uint64_t records, diverged;
	bool reuse_last; /* the last segment never got its header: the journal restarts there */
};

static void
replay_seq(struct server *srv, const Vmad__V1__Request *req, const struct record *rec)
{
	const char *name;
	struct space *sp;

	record_mutates(req, &name);
	sp = rec->has_seq && name ? space_find(&srv->spaces, name) : NULL;
	if (sp)
		sp->seq = rec->seq;
}

static int
replay_one(void *arg, const uint8_t *p, size_t len)
{
	struct replay *rp = arg;
	struct server *srv = rp->srv;
	Vmad__V1__Response resp = VMAD__V1__RESPONSE__INIT;
	Vmad__V1__Request *req = NULL;
	struct record rec;
	int r = record_decode(p, len, &rec);

	if (r == 0)
		req = wire_request_unpack(&srv->req_arena, rec.req, rec.req_len);
	if (r == 0 && !req)
		r = -EBADMSG;
	if (r == 0) {
		r = dispatch_replay(srv, &rec.cred, req, &resp);
		if (r != rec.result && rp->diverged++ < 10)
			log_warning("replayed request (op %d) gave %d, recorded %d",
				    (int)req->op_case, r, (int)rec.result);
		replay_seq(srv, req, &rec);
		rp->records++;
		r = 0;
	}
	free(rec.cred.groups);
	arena_reset(&srv->req_arena);
	arena_reset(&srv->reply_arena);
	return r;
}

static int
cut_segment(int dirfd, uint64_t segno, size_t valid)
{
	char name[JOURNAL_NAME_MAX];
	int fd, r = 0;

	journal_name(name, sizeof(name), "journal", segno);
	fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)valid) < 0 || fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int
remove_file(int dirfd, const char *kind, uint64_t segno)
{
	char name[JOURNAL_NAME_MAX];

	journal_name(name, sizeof(name), kind, segno);
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* --recover=truncate: keep segment i up to valid, remove every later one. */
static int
truncate_at(int dirfd, const struct seglist *l, size_t i, size_t valid)
{
	int r = cut_segment(dirfd, l->v[i], valid);

	for (size_t k = i + 1; r == 0 && k < l->n; k++)
		r = remove_file(dirfd, "journal", l->v[k]);
	if (r == 0 && fsync(dirfd) < 0)
		r = -errno;
	return r;
}

/*
 * The segments to replay, [*first, *end): those from the snapshot on, which must follow one
 * another without a gap.  A gap is damage; *end is where it starts.
 */
static int
segment_range(const struct seglist *l, uint64_t snap, size_t *first, size_t *end, char *msg,
	      size_t msglen)
{
	size_t i = 0;

	while (i < l->n && l->v[i] < snap)
		i++;
	*first = i;
	for (size_t k = i; k < l->n; k++) {
		uint64_t want = k == i ? (snap ? snap : 1) : l->v[k - 1] + 1;

		if (l->v[k] != want) {
			snprintf(msg, msglen,
				 "journal-%016" PRIx64
				 " follows no snapshot or segment (%s-%016" PRIx64 " is missing)",
				 l->v[k], k == i && !snap ? "snapshot" : "journal", want);
			*end = k;
			return -EBADMSG;
		}
	}
	*end = l->n;
	return 0;
}

/* --recover=truncate past a gap: the segments from end on go. */
static int
remove_from(int dirfd, const struct seglist *l, size_t end)
{
	int r = 0;

	for (size_t k = end; r == 0 && k < l->n; k++)
		r = remove_file(dirfd, "journal", l->v[k]);
	if (r == 0 && fsync(dirfd) < 0)
		r = -errno;
	return r;
}

static int
replay_segment(struct server *srv, int dirfd, uint64_t segno, bool last, struct replay *rp,
	       struct journal_scan *s, char *msg, size_t msglen)
{
	int r;

	s->segno = segno;
	r = journal_scan(dirfd, s, replay_one, rp, msg, msglen);
	(void)srv;
	if (r == 0 && s->torn && !last) {
		snprintf(msg, msglen, "journal-%016" PRIx64 ": cut short at offset %zu", segno,
			 s->valid);
		return -EBADMSG;
	}
	/*
	 * A last segment without its header never held a record (start-up or a snapshot was
	 * killed before the header reached the disk).  Cut to nothing and followed by a new
	 * segment it would read as damage at the next start: the journal starts it again.
	 */
	if (r == 0 && s->torn && s->valid == 0) {
		log_warning("journal-%016" PRIx64 ": the segment's header was never written "
			    "(%zu bytes); the journal starts it again",
			    segno, s->size);
		rp->reuse_last = true;
		return 0;
	}
	if (r == 0 && s->torn) {
		log_warning("journal-%016" PRIx64 ": dropping a torn last record at offset %zu "
			    "(%zu bytes)",
			    segno, s->valid, s->size - s->valid);
		r = cut_segment(dirfd, segno, s->valid);
	}
	return r;
}

/* Replays [first, *end); where --recover=truncate cuts, *end becomes the segment after. */
static int
replay_all(struct server *srv, int dirfd, const struct seglist *l, size_t first, size_t *end,
	   bool truncate, struct replay *rp, char *msg, size_t msglen)
{
	struct journal_scan s = { 0 };
	int r = 0;

	for (size_t i = first; r == 0 && i < *end; i++) {
		r = replay_segment(srv, dirfd, l->v[i], i + 1 == *end, rp, &s, msg, msglen);
		if (r == -EBADMSG && truncate) {
			*end = i + 1;
			log_warning(
				"%s; --recover=truncate: keeping what precedes it, removing the "
				"rest",
				msg);
			return truncate_at(dirfd, l, i, s.valid);
		}
	}
	return r;
}

static int
validate_all(struct server *srv, char *msg, size_t msglen)
{
	char why[256];

	for (struct space *sp = space_next(&srv->spaces, NULL); sp;
	     sp = space_next(&srv->spaces, sp)) {
		if (mm_validate(sp->mm, why, sizeof(why)) < 0) {
			snprintf(msg, msglen, "recovered space '%s' is not consistent: %s",
				 sp->name, why);
			return -EUCLEAN;
		}
	}
	return 0;
}

/* What the snapshot covers is no longer needed (a compaction may have stopped midway). */
static void
remove_covered(int dirfd, const struct dir_state *ds, uint64_t snap)
{
	for (size_t i = 0; i < ds->journals.n && ds->journals.v[i] < snap; i++)
		if (remove_file(dirfd, "journal", ds->journals.v[i]) < 0)
			log_warning("cannot remove covered journal segment: %s", strerror(errno));
	for (size_t i = 0; i < ds->snapshots.n && ds->snapshots.v[i] < snap; i++)
		if (remove_file(dirfd, "snapshot", ds->snapshots.v[i]) < 0)
			log_warning("cannot remove an old snapshot: %s", strerror(errno));
}

static int
recover_from(struct server *srv, int dirfd, bool truncate, struct dir_state *ds,
	     struct recover_result *out, char *msg, size_t msglen)
{
	const struct seglist *l = &ds->journals;
	uint64_t snap = ds->snapshots.n ? ds->snapshots.v[ds->snapshots.n - 1] : 0;
	struct replay rp = { srv, 0, 0, false };
	size_t first = 0, end = 0;
	int r = 0;

	if (snap)
		r = snapshot_load(dirfd, snap, &srv->spaces, msg, msglen);
	if (r == 0)
		r = segment_range(l, snap, &first, &end, msg, msglen);
	if (r == -EBADMSG && truncate) {
		log_warning("%s; --recover=truncate: removing the segments from there on", msg);
		r = remove_from(dirfd, l, end);
	}
	if (r == 0)
		r = replay_all(srv, dirfd, l, first, &end, truncate, &rp, msg, msglen);
	if (r == 0)
		r = validate_all(srv, msg, msglen);
	if (r < 0)
		return r;
	remove_covered(dirfd, ds, snap);
	out->snapshot = snap;
	out->records = rp.records;
	out->diverged = rp.diverged;
	out->next_segno = end > first ? l->v[end - 1] + !rp.reuse_last : (snap ? snap : 1);
	return 0;
}

int
recover_state(struct server *srv, int dirfd, bool truncate, struct recover_result *out)
{
	struct dir_state ds = { 0 };
	size_t max_spaces = srv->cfg.max_spaces;
	char msg[RECOVER_MSG] = "";
	int r = list_dir(dirfd, &ds);

	memset(out, 0, sizeof(*out));
	/* What was accepted once is replayed whatever today's limits are. */
	srv->cfg.max_spaces = SIZE_MAX;
	if (r == 0)
		r = recover_from(srv, dirfd, truncate, &ds, out, msg, sizeof(msg));
	else
		snprintf(msg, sizeof(msg), "cannot list the state directory: %s", strerror(-r));
	srv->cfg.max_spaces = max_spaces;
	if (r < 0)
		log_err("recovery failed: %s", msg);
	free(ds.journals.v);
	free(ds.snapshots.v);
	return r;
}
