/* SPDX-License-Identifier: MIT */
/*
 * Crash test: client threads stream random operations at vmad --state-dir while it is killed
 * with SIGKILL at random moments.  After every restart each client's spaces must equal the
 * replay of what it saw acknowledged (the operation in flight present or absent, never half
 * applied), and the spaces written in earlier rounds must be unchanged.  The --sync mode
 * changes from round to round, and a small journal threshold makes snapshots happen too.
 * VMAD_CRASH_ROUNDS sets the number of kills (default 60).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "dursupport.h"
#include "harness.h"
#include "model.h"
#include "vmaclient.h"

#define CLIENTS 4
#define ROUNDS  60

struct client {
	struct model m;
	struct vmac_conn *conn;
	uint64_t seed;
	uint64_t acked, diverged;
	struct dop inflight;
	bool has_inflight;
	pthread_t thread;
};

struct totals {
	unsigned kills;
	uint64_t acked, present, absent, lost, diverged;
};

static void *
client_run(void *arg)
{
	struct client *cl = arg;
	struct dop op;
	bool lost = false;

	cl->has_inflight = false;
	while (!lost) {
		int64_t r, l;

		dop_random(&op, &cl->seed);
		r = dop_remote(cl->conn, &cl->m, &op, &lost);
		if (lost) {
			cl->inflight = op;
			cl->has_inflight = true;
			break;
		}
		l = dop_local(&cl->m, &op);
		if (r != l && cl->diverged++ < 5)
			fprintf(stderr, "# op %d: daemon %lld, model %lld\n", (int)op.kind,
				(long long)r, (long long)l);
		cl->acked++;
	}
	return NULL;
}

static const char *const sync_modes[] = { "batch", "always", "none" };

static void
start(struct vmad_proc *p, const char *state, unsigned round)
{
	const char *args[] = { "--state-dir", state, "--sync", sync_modes[round % 3], NULL };
	const char *env[] = { "VMAD_JOURNAL_MAX=24K", NULL };

	assert_int_equal(vmad_start(p, args, env), 0);
}

/* The daemon's space is the model, or the model after the operation in flight. */
static void
check_client(struct client *cl, struct vmac_conn *c, struct totals *t)
{
	struct model after;

	if (model_matches(&cl->m, c)) {
		t->absent += cl->has_inflight;
		return;
	}
	if (cl->has_inflight && model_clone(&cl->m, &after) == 0) {
		dop_local(&after, &cl->inflight);
		if (model_matches(&after, c)) {
			model_fini(&cl->m);
			cl->m = after;
			t->present++;
			return;
		}
		model_fini(&after);
	}
	t->lost++;
	fail_msg("space %s differs from what its client saw acknowledged (in flight: %s, op %d)",
		 cl->m.name, cl->has_inflight ? "yes" : "no", (int)cl->inflight.kind);
}

static void
run_round(struct client *cl, const char *sock, unsigned round)
{
	for (int i = 0; i < CLIENTS; i++) {
		assert_int_equal(vmac_connect(sock, &cl[i].conn), 0);
		if (round == 0) {
			char name[32];

			snprintf(name, sizeof(name), "c%d", i);
			cl[i].seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
			assert_int_equal(model_init(&cl[i].m, cl[i].conn, name), 0);
		}
		assert_int_equal(pthread_create(&cl[i].thread, NULL, client_run, &cl[i]), 0);
	}
}

/* A space written once per round and never touched again. */
static void
round_space(struct vmac_conn *c, unsigned round, struct model *keep)
{
	char name[32];
	struct dop op;
	uint64_t seed = round * 7919ULL + 1;
	bool lost;

	snprintf(name, sizeof(name), "r%u", round);
	assert_int_equal(model_init(keep, c, name), 0);
	for (int i = 0; i < 20; i++) {
		dop_random(&op, &seed);
		if (op.kind == DOP_FORK || op.kind == DOP_DESTROY)
			continue;
		dop_remote(c, keep, &op, &lost);
		assert_false(lost);
		dop_local(keep, &op);
	}
}

static void
check_all(struct client *cl, struct model *rounds, unsigned nrounds, const char *sock,
	  struct totals *t)
{
	struct vmac_conn *c;

	assert_int_equal(vmac_connect(sock, &c), 0);
	for (int i = 0; i < CLIENTS; i++)
		check_client(&cl[i], c, t);
	for (unsigned r = 0; r < nrounds; r++)
		if (!model_matches(&rounds[r], c))
			fail_msg("space %s of round %u changed", rounds[r].name, r);
	vmac_close(c);
}

static void
kill_now(struct vmad_proc *p, struct client *cl, struct totals *t)
{
	usleep((useconds_t)(2000 + rand() % 25000));
	kill(p->pid, SIGKILL);
	vmad_wait(p, 5000);
	vmad_stop(p);
	t->kills++;
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(cl[i].thread, NULL);
		vmac_close(cl[i].conn);
		t->acked += cl[i].acked;
		t->diverged += cl[i].diverged;
		cl[i].acked = cl[i].diverged = 0;
	}
}

static unsigned
rounds_wanted(void)
{
	const char *s = getenv("VMAD_CRASH_ROUNDS");

	return s && atoi(s) > 0 ? (unsigned)atoi(s) : ROUNDS;
}

/* The daemon and the state directory, stopped and removed even when a check fails. */
static struct vmad_proc p;
static char dir[64];

static int
teardown(void **state)
{
	(void)state;
	vmad_stop(&p);
	return state_dir_remove(dir);
}

static void
test_kill_and_recover(void **state)
{
	unsigned nrounds = rounds_wanted();
	struct model *rounds = calloc(nrounds, sizeof(*rounds));
	struct client cl[CLIENTS] = { 0 };
	struct totals t = { 0 };
	struct vmac_conn *c;

	(void)state;
	harness_bound(60 + nrounds * 2);
	srand(12345);
	assert_non_null(rounds);
	assert_int_equal(state_dir_new(dir, sizeof(dir)), 0);
	for (unsigned r = 0; r < nrounds; r++) {
		start(&p, dir, r);
		if (r)
			check_all(cl, rounds, r, p.sock, &t);
		assert_int_equal(vmac_connect(p.sock, &c), 0);
		round_space(c, r, &rounds[r]);
		vmac_close(c);
		run_round(cl, p.sock, r);
		kill_now(&p, cl, &t);
	}
	start(&p, dir, 0);
	check_all(cl, rounds, nrounds, p.sock, &t);
	assert_int_equal(vmad_stop(&p), 0);
	print_message("crash: kills=%u acked=%llu lost=%llu half_applied=0 in_flight_present=%llu "
		      "in_flight_absent=%llu diverged=%llu\n",
		      t.kills, (unsigned long long)t.acked, (unsigned long long)t.lost,
		      (unsigned long long)t.present, (unsigned long long)t.absent,
		      (unsigned long long)t.diverged);
	assert_int_equal(t.diverged, 0);
	for (int i = 0; i < CLIENTS; i++)
		model_fini(&cl[i].m);
	for (unsigned r = 0; r < nrounds; r++)
		model_fini(&rounds[r]);
	free(rounds);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_kill_and_recover, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
