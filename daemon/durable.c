/* SPDX-License-Identifier: MIT */
#include "durable.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "conn.h"
#include "journal.h"
#include "log.h"
#include "record.h"
#include "recover.h"
#include "server.h"
#include "snapshot.h"
#include "space.h"

/* Everything else keeps libevent's default priority, the middle one. */
#define DURABLE_PRIORITIES 3
/* A group commit waits for the loop to go idle, but no longer than this, nor for more. */
#define DURABLE_GROUP_US       2000
#define DURABLE_GROUP_BYTES    (1u << 20)
#define DURABLE_GROUP_DELAY_US 300

struct durable {
	struct server *srv;
	struct durable_config cfg;
	int dirfd;
	int lockfd; /* "lock": one vmad per state directory */
	struct journal j;
	struct event *commit_ev; /* end of the pass: write, sync, release the replies */
	bool commit_armed;
	struct event *child_ev; /* SIGCHLD: a snapshot child finished */
	pid_t child;
	uint64_t child_segno;
	uint64_t snap_segno; /* the newest snapshot on disk, 0 if none */
	uint64_t longest_pause_us;
	uint64_t pending_since; /* when the oldest uncommitted record was made (us) */
	uint64_t sync_us;       /* recent fdatasync cost, a moving average */
	bool failed_snapshot;   /* wait for the journal to grow again before retrying */
	uint64_t retry_at;      /* journal size that retries a failed snapshot */
	struct mm_sbuf scratch;
};

void
durable_config_init(struct durable_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->sync = DURABLE_SYNC_BATCH;
	cfg->journal_max = DURABLE_JOURNAL_MAX;
}

int
durable_parse_sync(const char *word, enum durable_sync *out)
{
	static const char *const names[] = { "always", "batch", "none" };

	for (int i = 0; i < 3; i++) {
		if (strcmp(word, names[i]) == 0) {
			*out = (enum durable_sync)i;
			return 0;
		}
	}
	return -EINVAL;
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * A record that cannot be written or synced belongs to requests already applied in memory:
 * their replies must never leave.  Exiting without them leaves the decision to recovery.
 */
static void __attribute__((noreturn)) durable_fatal(struct durable *d, const char *what, int err)
{
	log_err("journal-%016llx: %s failed: %s; exiting (status %d) without sending the "
		"replies it would acknowledge",
		(unsigned long long)d->j.segno, what, strerror(-err), DURABLE_EXIT_STATUS);
	_exit(DURABLE_EXIT_STATUS);
}

/* ---- the pass's commit --------------------------------------------------------------- */

static void
release_held(struct server *srv)
{
	struct conn *c = srv->conns, *next;

	for (; c; c = next) {
		next = conn_next(c);
		conn_release(c);
	}
}

static void durable_snapshot_start(struct durable *d);

static void
durable_commit(struct durable *d)
{
	int r = journal_write(&d->j);

	if (r < 0)
		durable_fatal(d, "write", r);
	if (d->cfg.sync != DURABLE_SYNC_NONE) {
		uint64_t t0 = now_us();

		r = journal_sync(&d->j);
		if (r < 0)
			durable_fatal(d, "fdatasync", r);
		d->sync_us = (d->sync_us * 7 + (now_us() - t0)) / 8;
	}
}

/* Past the threshold (and past the retry point after a failure), a snapshot starts. */
static void
durable_maybe_compact(struct durable *d)
{
	if (d->j.size >= d->cfg.journal_max && !d->child &&
	    (!d->failed_snapshot || d->j.size >= d->retry_at))
		durable_snapshot_start(d);
}

static void
durable_commit_release(struct durable *d)
{
	if (d->commit_armed) {
		event_del(d->commit_ev);
		d->commit_armed = false;
	}
	durable_commit(d);
	release_held(d->srv);
}

/*
 * With other clients connected, a young group waits a little (PostgreSQL's commit_delay) so
 * that their requests, on their way, join this fdatasync: a tenth of what one costs, at most
 * DURABLE_GROUP_DELAY_US.  Where syncing is cheap, nothing waits.
 */
static bool
durable_commit_later(struct durable *d, short what)
{
	uint64_t age = now_us() - d->pending_since, delay = d->sync_us / 10;
	struct timeval tv = { 0, 0 };

	if (delay > DURABLE_GROUP_DELAY_US)
		delay = DURABLE_GROUP_DELAY_US;
	if (what & EV_TIMEOUT || d->cfg.sync != DURABLE_SYNC_BATCH || d->srv->nclients < 2 ||
	    age >= delay)
		return false;
	tv.tv_usec = (suseconds_t)(delay - age);
	return event_add(d->commit_ev, &tv) == 0;
}

static void
durable_commit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct durable *d = arg;

	(void)fd;
	if (durable_commit_later(d, what))
		return;
	d->commit_armed = false;
	durable_commit(d);
	release_held(d->srv);
	durable_maybe_compact(d);
}

bool
durable_holding(const struct server *srv)
{
	return srv->durable && journal_has_pending(&srv->durable->j);
}

bool
durable_refuse(struct server *srv, const struct peer_cred *cred, const Vmad__V1__Request *req,
	       size_t len, Vmad__V1__Response *resp)
{
	struct durable *d = srv->durable;
	const char *name;
	int r;

	if (!d || !record_mutates(req, &name))
		return false;
	r = journal_reserve(&d->j, record_size(cred->ngroups, len));
	if (r == 0)
		return false;
	resp->has_id = true;
	resp->id = req->id;
	resp->has_error = true;
	resp->error = r;
	resp->message = r == -ENOSPC ? "the journal's file system is full; nothing was changed"
				     : "the journal cannot take the request; nothing was changed";
	return true;
}

static void
durable_fill(struct record *rec, const struct server *srv, const struct peer_cred *cred,
	     const Vmad__V1__Request *req, const Vmad__V1__Response *resp)
{
	const char *name;
	const struct space *sp;

	record_mutates(req, &name);
	sp = name ? space_find(&srv->spaces, name) : NULL;
	rec->cred = *cred;
	rec->result = resp->has_error ? resp->error : 0;
	rec->has_seq = sp != NULL;
	rec->seq = sp ? sp->seq : 0;
}

void
durable_record(struct server *srv, const struct peer_cred *cred, const Vmad__V1__Request *req,
	       const uint8_t *data, size_t len, const Vmad__V1__Response *resp)
{
	struct durable *d = srv->durable;
	struct record rec = { .req = data, .req_len = len };
	const char *name;
	int r;

	if (!d || !record_mutates(req, &name))
		return;
	durable_fill(&rec, srv, cred, req, resp);
	d->scratch.len = 0;
	r = record_encode(&d->scratch, &rec);
	if (r == 0)
		r = journal_add(&d->j, d->scratch.data, d->scratch.len);
	if (r < 0)
		durable_fatal(d, "recording a request", r);
	if (d->cfg.sync == DURABLE_SYNC_ALWAYS) {
		durable_commit(d);
		durable_maybe_compact(d);
	} else if (!d->commit_armed) {
		d->commit_armed = true;
		d->pending_since = now_us();
		event_active(d->commit_ev, EV_READ, 0);
	} else if (d->j.pending.len >= DURABLE_GROUP_BYTES ||
		   now_us() - d->pending_since >= DURABLE_GROUP_US) {
		/* Input keeps coming: a group is not held back longer than this. */
		durable_commit_release(d);
	}
}

/* ---- snapshots ----------------------------------------------------------------------- */

static void
drop_covered(struct durable *d, uint64_t segno)
{
	char name[JOURNAL_NAME_MAX];

	/* Segments and snapshots are numbered densely from 1: walk down until one is absent. */
	for (uint64_t s = segno; s-- > 1;) {
		journal_name(name, sizeof(name), "journal", s);
		if (unlinkat(d->dirfd, name, 0) < 0)
			break;
	}
	if (d->snap_segno && d->snap_segno < segno) {
		journal_name(name, sizeof(name), "snapshot", d->snap_segno);
		if (unlinkat(d->dirfd, name, 0) < 0 && errno != ENOENT)
			log_warning("cannot remove %s: %s", name, strerror(errno));
	}
	d->snap_segno = segno;
	if (fsync(d->dirfd) < 0)
		log_warning("cannot sync the state directory: %s", strerror(errno));
}

/* The writer dies with vmad: a restarted vmad must not race a writer of the old one. */
static void __attribute__((noreturn))
snapshot_child(struct durable *d, uint64_t segno, pid_t parent)
{
	struct mm_sbuf b = { 0 };
	int r;

	/* The lock is vmad's alone: a writer outliving it must not keep the next one out. */
	close(d->lockfd);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	r = snapshot_encode(&d->srv->spaces, segno, &b);

	if (r == 0)
		r = snapshot_store(d->dirfd, segno, &b);
	_exit(r == 0 ? 0 : 1);
}

/*
 * The journal moves on to a new segment, then a child process (a copy-on-write image of this
 * moment) writes the snapshot while the loop goes on serving.  The pause is the fork.
 */
static void
durable_snapshot_start(struct durable *d)
{
	uint64_t segno = d->j.segno + 1, t0;
	pid_t parent = getpid();
	int r;

	durable_commit_release(d);
	r = journal_start(&d->j, segno);
	if (r < 0) {
		log_warning("cannot start journal segment %llu: %s; no snapshot for now",
			    (unsigned long long)segno, strerror(-r));
		d->failed_snapshot = true;
		d->retry_at = d->j.size + d->cfg.journal_max;
		return;
	}
	t0 = now_us();
	d->child = fork();
	if (d->child == 0)
		snapshot_child(d, segno, parent);
	if (now_us() - t0 > d->longest_pause_us)
		d->longest_pause_us = now_us() - t0;
	if (d->child < 0) {
		log_warning("cannot fork the snapshot writer: %s", strerror(errno));
		d->child = 0;
		d->failed_snapshot = true;
		d->retry_at = d->j.size + d->cfg.journal_max;
		return;
	}
	d->child_segno = segno;
	log_info("snapshot-%016llx: writing (pid %d, loop paused %llu us)",
		 (unsigned long long)segno, (int)d->child, (unsigned long long)(now_us() - t0));
}

static void
durable_child_cb(evutil_socket_t fd, short what, void *arg)
{
	struct durable *d = arg;
	int status;

	(void)fd;
	(void)what;
	if (!d->child || waitpid(d->child, &status, WNOHANG) != d->child)
		return;
	d->child = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_info("snapshot-%016llx: written", (unsigned long long)d->child_segno);
		d->failed_snapshot = false;
		drop_covered(d, d->child_segno);
		return;
	}
	log_warning("snapshot-%016llx: the writer failed; the journal keeps everything and the "
		    "snapshot is retried later",
		    (unsigned long long)d->child_segno);
	d->failed_snapshot = true;
	d->retry_at = d->j.size + d->cfg.journal_max;
}

void
durable_flush(struct server *srv)
{
	if (durable_holding(srv))
		durable_commit_release(srv->durable);
}

void
durable_compact(struct server *srv)
{
	struct durable *d = srv->durable;

	if (!d)
		return;
	if (d->child) {
		log_info("a snapshot is being written already");
		return;
	}
	durable_snapshot_start(d);
}

uint64_t
durable_longest_pause_us(const struct server *srv)
{
	return srv->durable ? srv->durable->longest_pause_us : 0;
}

/* ---- start and stop ------------------------------------------------------------------ */

/*
 * The commit runs at the lowest priority: libevent gets to it once a poll finds no more input
 * waiting, so that a burst read over several passes is synced once.
 */
static int
durable_events(struct durable *d, struct event_base *base)
{
	if (event_base_priority_init(base, DURABLE_PRIORITIES) < 0)
		return -EINVAL;
	d->commit_ev = event_new(base, -1, 0, durable_commit_cb, d);
	if (d->commit_ev && event_priority_set(d->commit_ev, DURABLE_PRIORITIES - 1) < 0)
		return -EINVAL;
	d->child_ev = evsignal_new(base, SIGCHLD, durable_child_cb, d);
	if (!d->commit_ev || !d->child_ev || evsignal_add(d->child_ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

static int
durable_recover(struct durable *d)
{
	struct recover_result res;
	uint64_t t0 = now_us();
	int r = recover_state(d->srv, d->dirfd, d->cfg.recover_truncate, &res);

	if (r < 0)
		return r;
	d->snap_segno = res.snapshot;
	log_info("recovered %zu address spaces from %s (snapshot %llu, %llu journal records) in "
		 "%.3f s",
		 d->srv->spaces.count, d->cfg.dir, (unsigned long long)res.snapshot,
		 (unsigned long long)res.records, (double)(now_us() - t0) / 1e6);
	if (res.diverged)
		log_warning("%llu replayed requests gave another result than recorded",
			    (unsigned long long)res.diverged);
	r = journal_start(&d->j, res.next_segno);
	if (r < 0)
		log_err("cannot start journal segment %llu: %s", (unsigned long long)res.next_segno,
			strerror(-r));
	return r;
}

/* Two daemons on one directory would each recover, truncate and append: refuse the second. */
static int
durable_lock(struct durable *d)
{
	d->lockfd = openat(d->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lockfd < 0 || flock(d->lockfd, LOCK_EX | LOCK_NB) < 0) {
		int r = -errno;

		log_err("state directory %s: %s", d->cfg.dir,
			r == -EWOULDBLOCK ? "in use by another vmad" : strerror(-r));
		return r;
	}
	return 0;
}

int
durable_open(struct server *srv, const struct durable_config *cfg)
{
	struct durable *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	d->srv = srv;
	d->cfg = *cfg;
	d->lockfd = -1;
	d->dirfd = open(cfg->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	journal_init(&d->j, d->dirfd);
	if (d->dirfd < 0) {
		r = -errno;
		log_err("state directory %s: %s", cfg->dir, strerror(-r));
		free(d);
		return r;
	}
	srv->durable = d;
	r = durable_lock(d);
	if (r == 0)
		r = durable_events(d, srv->base);
	if (r == 0)
		r = durable_recover(d);
	if (r < 0)
		durable_close(srv);
	return r;
}

static void
durable_stop_child(struct durable *d)
{
	char name[JOURNAL_NAME_MAX + 8];

	if (!d->child)
		return;
	/* The journal holds everything the half-written snapshot would. */
	kill(d->child, SIGKILL);
	waitpid(d->child, NULL, 0);
	journal_name(name, sizeof(name), "snapshot", d->child_segno);
	strcat(name, ".tmp");
	unlinkat(d->dirfd, name, 0);
	d->child = 0;
}

void
durable_close(struct server *srv)
{
	struct durable *d = srv ? srv->durable : NULL;

	if (!d)
		return;
	if (d->j.fd >= 0 && journal_has_pending(&d->j))
		durable_commit(d);
	durable_stop_child(d);
	if (d->commit_ev)
		event_free(d->commit_ev);
	if (d->child_ev)
		event_free(d->child_ev);
	journal_fini(&d->j);
	mm_sbuf_free(&d->scratch);
	if (d->lockfd >= 0)
		close(d->lockfd);
	close(d->dirfd);
	free(d);
	srv->durable = NULL;
}
