/* SPDX-License-Identifier: MIT */
/*
 * One client process: its seeded sequence sent to the daemon in batches and applied to the
 * replay, every reply compared, the whole layout compared at checkpoints and at the end.  A
 * client restarted after SIGKILL rebuilds the replay from the seed and finds which of the
 * requests in flight the daemon applied: a prefix of them, each whole, or the check fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stress.h"

struct client {
	const struct st_opts *o;
	struct st_shared *sh;
	struct st_slot *slot;
	unsigned k;
	uint64_t seed;
	struct st_target t;
	enum st_mode mode;
	struct replay *rp;
	struct gen g;
	uint64_t dice;          /* batch sizes and self-kills: apart from the sequence */
	struct vmac_conn *conn; /* checks, and the calls of the library modes */
	struct raw *raw;
};

static void
client_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Where a mismatch can be reproduced: this client alone, up to that operation. */
static void
client_repro(const struct client *c, uint64_t index, char *buf, size_t size)
{
	snprintf(buf, size,
		 "vmad-stress -s %s -p %s -c %u -S %u --seed %llu --client %u -n %llu --kill-ms 0",
		 c->o->socket, c->o->prefix, c->o->clients, c->o->shared,
		 (unsigned long long)c->o->seed, c->k, (unsigned long long)index + 1);
}

/* op NULL: the check of the layout made before operation index. */
static void
client_mismatch(struct client *c, uint64_t index, const struct st_op *op,
		const struct st_result *want, const struct st_result *got)
{
	char opd[512], w[1536], g[1536], diff[1024], repro[512];

	c->slot->mismatches++;
	if (op)
		describe_op(op, opd, sizeof(opd));
	else
		snprintf(opd, sizeof(opd), "the check of the %s made before it",
			 c->t.slice ? "slice's maps lines" : "whole maps and status");
	describe_result(want, w, sizeof(w));
	describe_result(got, g, sizeof(g));
	describe_diff(want->text, got->text, diff, sizeof(diff));
	client_repro(c, index, repro, sizeof(repro));
	report_fail(c->slot,
		    "client %u (%s, space %s) seed %llu operation %llu: %s\n"
		    "vmad answered:  %s\nreplay answers: %s\n%s\nreproduce: %s",
		    c->k,
		    c->mode == ST_MODE_RAW    ? "raw frames"
		    : c->mode == ST_MODE_PIPE ? "pipeline"
					      : "calls",
		    c->t.space, (unsigned long long)c->seed, (unsigned long long)index, opd, g, w,
		    want->text || got->text ? diff : "", repro);
}

static void
client_broken(struct client *c, uint64_t index, int err)
{
	char repro[512];

	/* No reply in time is a lost one; a reply with another id than the next breaks the
	 * library's connection (-EPROTO) and may be lost or duplicated: a mismatch. */
	if (err == -ETIMEDOUT)
		c->slot->lost++;
	else
		c->slot->mismatches++;
	client_repro(c, index, repro, sizeof(repro));
	report_fail(c->slot,
		    "client %u (space %s) seed %llu operation %llu: the connection broke: %s%s\n"
		    "reproduce: %s",
		    c->k, c->t.space, (unsigned long long)c->seed, (unsigned long long)index,
		    strerror(-err),
		    err == -ETIMEDOUT ? " (no reply within the timeout: a lost reply)"
		    : err == -EPROTO  ? " (a reply whose id is not the next one's: a reply lost, "
					"duplicated or out of order)"
				      : "",
		    repro);
}

/*
 * The layout the client checks: maps and status of its space, or its slice's maps lines, each
 * line with its VMA's flags and resident size.  After a kill, the requests in flight that the
 * daemon applied are told by the layout alone: an madvise or mlock2 over a whole VMA changes
 * no maps line, yet a later merge or fork depends on it.
 */
static int
client_state_remote(struct client *c, char **text)
{
	char *maps = NULL, *status = NULL;
	int rc = remote_layout(c->conn, c->t.space, c->t.slice ? c->t.lo : 0,
			       c->t.slice ? c->t.hi : UINT64_MAX, &maps);

	if (rc == 0 && !c->t.slice)
		rc = remote_status(c->conn, c->t.space, &status);
	*text = NULL;
	if (rc == 0 && asprintf(text, "%s%s", maps, status ? status : "") < 0)
		rc = -ENOMEM;
	free(maps);
	free(status);
	return rc;
}

static int
client_state_replay(struct client *c, char **text)
{
	char *maps = NULL, *status = NULL;
	int rc = replay_layout(c->rp, c->t.slice ? c->t.lo : 0, c->t.slice ? c->t.hi : UINT64_MAX,
			       &maps);

	if (rc == 0 && !c->t.slice)
		rc = replay_status(c->rp, &status);
	*text = NULL;
	if (rc == 0 && asprintf(text, "%s%s", maps, status ? status : "") < 0)
		rc = -ENOMEM;
	if (rc == -EUCLEAN)
		report_fail(c->slot, "client %u: the replay's engine is inconsistent: %s", c->k,
			    maps);
	free(maps);
	free(status);
	return rc;
}

static int
client_check(struct client *c)
{
	struct st_result want = { 0 }, got = { 0 };
	int rc;

	rc = client_state_remote(c, &got.text);
	if (rc < 0) {
		client_broken(c, c->slot->done, rc);
		return rc;
	}
	c->slot->requests += 2;
	rc = client_state_replay(c, &want.text);
	if (rc == 0 && !result_equal(&want, &got)) {
		client_mismatch(c, c->slot->done, NULL, &want, &got);
		rc = -EUCLEAN;
	}
	result_clear(&want);
	result_clear(&got);
	return rc;
}

/* A slice's first VMA after operation idx, for the view readers. */
static void
client_record(struct client *c, uint64_t idx)
{
	struct st_first f, *e;

	if (!c->t.slice)
		return;
	e = &c->sh->firsts[c->k / 4][idx % ST_RING];
	replay_first(c->rp, c->t.lo, c->t.hi, &f);
	__atomic_store_n(&e->idx, UINT64_MAX, __ATOMIC_RELEASE);
	__atomic_store_n(&e->start, f.start, __ATOMIC_RELEASE);
	__atomic_store_n(&e->end, f.end, __ATOMIC_RELEASE);
	__atomic_store_n(&e->flags, f.flags, __ATOMIC_RELEASE);
	__atomic_store_n(&e->idx, idx, __ATOMIC_RELEASE);
}

/* The replay and the generator after the first n operations of the sequence. */
static int
client_rebuild(struct client *c, uint64_t n)
{
	struct st_result res;
	struct st_op op;
	int rc;

	replay_close(c->rp);
	c->rp = NULL;
	rc = replay_open(&c->t, &c->rp);
	if (rc < 0)
		return rc;
	gen_init(&c->g, c->seed, &c->t);
	client_record(c, 0);
	for (uint64_t i = 0; i < n; i++) {
		gen_next(&c->g, c->rp, &op);
		replay_apply(c->rp, &op, &res);
		result_clear(&res);
		client_record(c, i + 1);
	}
	return 0;
}

/* The daemon's layout once it no longer changes (the killed connection's last requests). */
static int
client_settled(struct client *c, char **text)
{
	char *again = NULL;
	int rc = client_state_remote(c, text);

	for (int i = 0; rc == 0 && i < 50; i++) {
		client_sleep_ms(20);
		rc = client_state_remote(c, &again);
		if (rc == 0 && strcmp(again, *text) == 0)
			break;
		free(*text);
		*text = again;
		again = NULL;
	}
	free(again);
	return rc;
}

/* How many of the requests in flight the daemon applied (the last state that matches). */
static long
client_match_prefix(struct client *c, const char *daemon, uint64_t done, uint64_t inflight)
{
	struct st_result res;
	struct st_op op;
	long match = -1;
	char *mine;

	if (client_rebuild(c, done) < 0)
		return -1;
	for (uint64_t j = 0;; j++) {
		if (client_state_replay(c, &mine) < 0)
			return -1;
		if (strcmp(mine, daemon) == 0)
			match = (long)j;
		free(mine);
		if (j == inflight)
			return match;
		gen_next(&c->g, c->rp, &op);
		replay_apply(c->rp, &op, &res);
		result_clear(&res);
	}
}

static int
client_recover(struct client *c)
{
	uint64_t done = c->slot->done, inflight = c->slot->sent - done;
	char child[128], *daemon = NULL;
	long match;
	int rc;

	c->slot->restarts++;
	snprintf(child, sizeof(child), "%s-f", c->t.space);
	if (!c->t.slice && (rc = vmac_destroy(c->conn, child)) < 0 && rc != -ENOENT)
		return rc;
	rc = client_settled(c, &daemon);
	if (rc < 0)
		return rc;
	match = client_match_prefix(c, daemon, done, inflight);
	free(daemon);
	if (match < 0) {
		c->slot->mismatches++;
		report_fail(
			c->slot,
			"client %u (space %s) seed %llu: after a kill, the layout is none of "
			"those after operations %llu..%llu: a request applied in part, or twice",
			c->k, c->t.space, (unsigned long long)c->seed, (unsigned long long)done,
			(unsigned long long)(done + inflight));
		return -EUCLEAN;
	}
	c->slot->done = c->slot->sent = done + (uint64_t)match;
	return client_rebuild(c, c->slot->done);
}

static int
client_fresh(struct client *c)
{
	struct vmac_create_opts opts;
	char child[128];
	int rc;

	c->slot->done = c->slot->sent = 0;
	if (c->t.slice)
		return client_rebuild(c, 0);
	snprintf(child, sizeof(child), "%s-f", c->t.space);
	target_create_opts(&c->t, &opts);
	if (((rc = vmac_destroy(c->conn, c->t.space)) < 0 && rc != -ENOENT) ||
	    ((rc = vmac_destroy(c->conn, child)) < 0 && rc != -ENOENT) ||
	    (rc = vmac_create(c->conn, c->t.space, &opts)) < 0)
		return rc;
	return client_rebuild(c, 0);
}

/* A fork (several requests) and the library's paged maps end a batch and run as calls. */
static bool
client_alone(const struct client *c, const struct st_op *op)
{
	return op->kind == ST_FORK || (op->kind == ST_MAPS && c->mode != ST_MODE_RAW);
}

static size_t
client_generate(struct client *c, struct st_op *ops, struct st_result *want)
{
	size_t n = c->mode == ST_MODE_CALL ? 1 : 1 + (size_t)rng_below(&c->dice, ST_BATCH_MAX);

	if (c->o->ops && n > c->o->ops - c->slot->done)
		n = (size_t)(c->o->ops - c->slot->done);
	for (size_t i = 0; i < n; i++) {
		gen_next(&c->g, c->rp, &ops[i]);
		replay_apply(c->rp, &ops[i], &want[i]);
		client_record(c, c->slot->done + i + 1);
		if (client_alone(c, &ops[i]))
			return i + 1;
	}
	return n;
}

static int
client_call(struct client *c, const struct st_op *op, struct st_result *got)
{
	uint64_t t0 = now_ns();
	int rc = remote_call(c->conn, c->t.space, op, got);

	hist_add(c->slot->hist, (now_ns() - t0) / 1000);
	c->slot->requests++;
	return rc;
}

/* Send a batch the client's way; a rare batch is cut short by the client's own SIGKILL. */
static int
client_send(struct client *c, const struct st_op *ops, size_t n, struct st_result *got)
{
	size_t m = client_alone(c, &ops[n - 1]) ? n - 1 : n;
	bool die = c->o->kill_ms > 0 && rng_below(&c->dice, 400) == 0;
	int rc = 0;

	if (c->mode == ST_MODE_CALL)
		m = 0;
	if (m && c->mode == ST_MODE_PIPE) {
		rc = remote_pipeline(c->conn, c->t.space, ops, m, got, c->slot->hist, die);
		c->slot->requests += rc < 0 ? 0 : m;
	} else if (m) {
		rc = raw_run(c->raw, c->t.space, ops, m, got, c->slot->hist, c->slot,
			     die ? (int)rng_below(&c->dice, m) : -1);
	}
	for (size_t i = m; i < n && rc == 0; i++)
		rc = client_call(c, &ops[i], &got[i]);
	return rc;
}

static int
client_batch(struct client *c)
{
	struct st_op ops[ST_BATCH_MAX];
	struct st_result want[ST_BATCH_MAX], got[ST_BATCH_MAX] = { 0 };
	size_t n = client_generate(c, ops, want);
	int rc;

	c->slot->sent = c->slot->done + n;
	rc = client_send(c, ops, n, got);
	if (rc < 0)
		client_broken(c, c->slot->done, rc);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (got[i].err == ST_ERR_LOST) {
			rc = -EPROTO;
		} else if (!result_equal(&want[i], &got[i])) {
			client_mismatch(c, c->slot->done + i, &ops[i], &want[i], &got[i]);
			rc = -EUCLEAN;
		}
	}
	for (size_t i = 0; i < n; i++) {
		result_clear(&want[i]);
		result_clear(&got[i]);
	}
	if (rc == 0)
		c->slot->done += n;
	return rc;
}

static int
client_run(struct client *c)
{
	uint64_t checked = c->slot->done;
	int rc = 0;

	while (rc == 0 && !c->sh->stop && (!c->o->ops || c->slot->done < c->o->ops)) {
		rc = client_batch(c);
		if (rc == 0 && c->slot->done - checked >= ST_CHECK_EVERY) {
			rc = client_check(c);
			checked = c->slot->done;
		}
	}
	if (rc == 0)
		rc = client_check(c);
	if (c->raw)
		raw_drain(c->raw, c->slot);
	return rc;
}

static int
client_start(struct client *c, bool resume)
{
	char label[160];
	int rc = vmac_connect(c->o->socket, &c->conn);

	if (rc < 0)
		return rc;
	vmac_set_timeout(c->conn, ST_REPLY_TIMEOUT);
	/* Killed after its last check: only the space is left to destroy. */
	if (resume && c->slot->ending)
		return 0;
	/* Killed before its first request: nothing to recover. */
	if (resume && c->slot->sent == 0)
		resume = false;
	rc = resume ? client_recover(c) : client_fresh(c);
	snprintf(label, sizeof(label), "client %u (raw frames, space %s) seed %llu", c->k,
		 c->t.space, (unsigned long long)c->seed);
	if (rc == 0 && c->mode == ST_MODE_RAW)
		rc = raw_open(c->o->socket, label, &c->raw);
	return rc;
}

int
client_main(const struct st_opts *o, struct st_shared *sh, unsigned k, bool resume)
{
	struct client c = { .o = o, .sh = sh, .slot = &sh->slots[k], .k = k };
	struct st_slot *s = c.slot;
	int rc;

	client_target(o, k, &c.t);
	c.mode = client_mode(o, k);
	c.seed = rng_seed(o->seed, k);
	c.dice = rng_seed(o->seed ^ (0x5eedULL << 32), (uint64_t)k << 20 | s->restarts);
	rc = client_start(&c, resume);
	if (rc < 0 && rc != -EUCLEAN && !s->detail[0])
		report_fail(s, "client %u (space %s): cannot start: %s", k, c.t.space,
			    strerror(-rc));
	if (rc == 0 && !s->ending)
		rc = client_run(&c);
	s->ending = 1;
	if (rc == 0 && !c.t.slice && (rc = vmac_destroy(c.conn, c.t.space)) == -ENOENT && resume)
		rc = 0;
	if (rc < 0 && !s->detail[0])
		report_fail(s, "client %u: cannot destroy %s: %s", k, c.t.space, strerror(-rc));
	raw_close(c.raw);
	vmac_close(c.conn);
	replay_close(c.rp);
	s->finished = rc == 0 && !s->lost && !s->duplicated && !s->mismatches ? 1 : -1;
	return s->finished == 1 ? 0 : 1;
}
