/* SPDX-License-Identifier: MIT */
/*
 * Fault injection: every write, fdatasync, fsync, fallocate, rename, file creation and
 * truncation of the state directory is made to fail in turn (faultshim.so, preloaded), during
 * start-up, journalling and snapshots (a small journal threshold and a SIGHUP make several).
 * Whatever fails, a request is either acknowledged and survives a restart, or refused with
 * EIO/ENOSPC and absent, or unanswered because vmad exited with status 75; the daemon started
 * again without the fault always recovers.  A full disk refuses changes and keeps serving reads.
 */
#include <errno.h>
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

#define OPS 40

static struct vmad_proc p;
static char dir[64];
static char asan_env[512];

struct outcome {
	struct model m;
	struct dop inflight;
	bool has_inflight;
	unsigned acked, refused;
};

static void
env_init(void)
{
	const char *a = getenv("ASAN_OPTIONS");

	/* The shim comes before the sanitizer runtime in a SANITIZE=1 vmad. */
	snprintf(asan_env, sizeof(asan_env), "ASAN_OPTIONS=%s%sverify_asan_link_order=0",
		 a ? a : "", a && *a ? ":" : "");
}

static int
start_faulty(const char *fault, const char *sync)
{
	char spec[64];
	const char *args[] = { "--state-dir", dir, "--sync", sync, NULL };
	const char *env[] = { "LD_PRELOAD=" FAULTSHIM, spec, asan_env, "VMAD_JOURNAL_MAX=2K",
			      NULL };

	snprintf(spec, sizeof(spec), "VMAD_FAULT=%s", fault);
	return vmad_start(&p, args, env);
}

static void
start_clean(void)
{
	const char *args[] = { "--state-dir", dir, NULL };

	if (vmad_start(&p, args, NULL) < 0)
		fail_msg("vmad does not start again on %s", dir);
}

/* A refusal must name the journal's trouble; anything else is the engine's own answer. */
static bool
refused_for_disk(int64_t r)
{
	return r == -EIO || r == -ENOSPC;
}

static void
workload(struct outcome *o, uint64_t seed)
{
	struct vmac_conn *c;
	struct dop op;
	bool lost = false;

	if (vmac_connect(p.sock, &c) < 0)
		return;
	if (model_init(&o->m, c, "s") < 0) {
		vmac_close(c);
		return;
	}
	for (int i = 0; i < OPS && !lost; i++) {
		int64_t r;

		if (i == OPS / 2)
			kill(p.pid, SIGHUP);
		dop_random(&op, &seed);
		r = dop_remote(c, &o->m, &op, &lost);
		if (lost) {
			o->inflight = op;
			o->has_inflight = true;
		} else if (refused_for_disk(r)) {
			o->refused++;
		} else {
			dop_local(&o->m, &op);
			o->acked++;
		}
	}
	vmac_close(c);
}

/* Creating the space was refused or never answered: it may exist only empty, as created. */
static bool
no_spaces(struct vmac_conn *c)
{
	const struct vmac_space *s;
	size_t n = 1;

	return vmac_list(c, &s, &n) == 0 && (n == 0 || (n == 1 && s[0].map_count == 1));
}

static void
verify(struct outcome *o)
{
	struct vmac_conn *c;
	struct model after;
	bool ok;

	start_clean();
	assert_int_equal(vmac_connect(p.sock, &c), 0);
	ok = o->m.mm ? model_matches(&o->m, c) : no_spaces(c);
	if (!ok && o->has_inflight && model_clone(&o->m, &after) == 0) {
		dop_local(&after, &o->inflight);
		ok = model_matches(&after, c);
		model_fini(&after);
	}
	vmac_close(c);
	assert_int_equal(vmad_stop(&p), 0);
	if (!ok)
		fail_msg("after the fault, the space is not what was acknowledged");
}

/* One run with the fault; false when the fault was never reached. */
static bool
run_one(const char *call, long n, const char *err, const char *sync, unsigned *points)
{
	struct outcome o = { 0 };
	char fault[64];
	bool hit;
	int rc;

	snprintf(fault, sizeof(fault), "%s:%ld:%s", call, n, err);
	assert_int_equal(state_dir_new(dir, sizeof(dir)), 0);
	if (start_faulty(fault, sync) == 0) {
		workload(&o, (uint64_t)n * 131 + 7);
		hit = vmad_log_has(&p, "faultshim:");
		rc = p.pid > 0 ? vmad_stop(&p) : vmad_wait(&p, 5000);
		if (rc != 0 && rc != 75)
			fail_msg("%s: vmad ended with status %d", fault, rc);
		vmad_stop(&p);
	} else {
		/* The fault stopped start-up: a clear error, nothing acknowledged. */
		hit = vmad_log_has(&p, "faultshim:");
		assert_true(vmad_log_has(&p, "cannot start") || vmad_log_has(&p, "recovery"));
		vmad_stop(&p);
	}
	verify(&o);
	model_fini(&o.m);
	assert_int_equal(state_dir_remove(dir), 0);
	*points += hit;
	return hit;
}

static void
sweep(const char *call, const char *err, const char *sync, unsigned *points)
{
	for (long n = 1; n < 400; n = n < 8 ? n + 1 : n + n / 2)
		if (!run_one(call, n, err, sync, points))
			return;
}

static void
test_every_failure_point(void **state)
{
	static const char *const calls[] = { "write",    "fdatasync", "fsync",    "fallocate",
					     "renameat", "openat",    "ftruncate" };
	unsigned points = 0;

	(void)state;
	harness_bound(240);
	env_init();
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		sweep(calls[i], "EIO", "batch", &points);
		sweep(calls[i], "ENOSPC", "always", &points);
	}
	print_message("faults: %u failure points swept\n", points);
	assert_true(points > 50);
}

/* A full disk: every change refused with ENOSPC, reads still answered, nothing lost. */
static void
test_full_disk(void **state)
{
	struct vmac_conn *c;
	struct vmac_status st;
	uint64_t addr;
	struct model m;

	(void)state;
	harness_bound(60);
	env_init();
	assert_int_equal(state_dir_new(dir, sizeof(dir)), 0);
	start_clean();
	assert_int_equal(vmac_connect(p.sock, &c), 0);
	assert_int_equal(model_init(&m, c, "s"), 0);
	vmac_close(c);
	assert_int_equal(vmad_stop(&p), 0);
	assert_int_equal(start_faulty("fallocate:1+:ENOSPC", "batch"), 0);
	assert_int_equal(vmac_connect(p.sock, &c), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(vmac_mmap(c, "s", 0, 4096, 3, 0x22, NULL, 0, &addr), -ENOSPC);
	assert_int_equal(vmac_status(c, "s", &st), 0);
	assert_true(model_matches(&m, c));
	vmac_close(c);
	assert_int_equal(vmad_stop(&p), 0);
	start_clean();
	assert_int_equal(vmac_connect(p.sock, &c), 0);
	assert_true(model_matches(&m, c));
	vmac_close(c);
	assert_int_equal(vmad_stop(&p), 0);
	model_fini(&m);
}

static int
teardown(void **state)
{
	(void)state;
	vmad_stop(&p);
	return state_dir_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_every_failure_point, teardown),
		cmocka_unit_test_teardown(test_full_disk, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
