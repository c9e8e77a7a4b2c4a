/* SPDX-License-Identifier: MIT */
#include "load.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "proc.h"
#include "vmaclient.h"

/* A daemon that stops answering ends the run with -ETIMEDOUT instead of hanging it. */
#define REPLY_TIMEOUT_MS 10000
#define NAP_NS           (20 * 1000 * 1000)
/* Finer, to see a round end within a millisecond. */
#define BOUNDARY_NAP_NS (1000 * 1000)
#define LOAD_PAGE       4096ULL

struct load_shared {
	const struct load_spec *spec;
	atomic_bool stop;
	atomic_bool failed;
};

struct worker {
	struct load_shared *shared;
	struct vmac_conn **conns;
	int nconns;
	struct vmac_vma *vmas; /* find's out-parameters: depth per connection */
	unsigned *calls;       /* requests issued per connection (map pairs alternate) */
	unsigned index;        /* of the worker: map pairs take addresses apart */
	unsigned next_addr;
	atomic_uint_fast64_t done;
	int err;
	const char *what;
	pthread_t tid;
};

static int
worker_fail(struct worker *w, int err, const char *what)
{
	w->err = err ? err : -EBADMSG;
	w->what = what;
	atomic_store(&w->shared->failed, true);
	return w->err;
}

static int
map_pair_half(struct worker *w, int k)
{
	const struct load_spec *spec = w->shared->spec;
	uint64_t addr = spec->base +
			((uint64_t)w->index * (uint64_t)w->nconns + (uint64_t)k) * 2 * LOAD_PAGE;

	if (w->calls[k]++ % 2 == 0)
		return vmac_mmap(
			w->conns[k], spec->space, addr, LOAD_PAGE, VMAC_PROT_READ | VMAC_PROT_WRITE,
			VMAC_MAP_PRIVATE | VMAC_MAP_ANONYMOUS | VMAC_MAP_FIXED, NULL, 0, NULL);
	return vmac_munmap(w->conns[k], spec->space, addr, LOAD_PAGE);
}

/* Sends (or, in a pipeline, queues) one request on connection k; returns what it returns. */
static int
issue(struct worker *w, int k, struct vmac_vma *vma)
{
	const struct load_spec *spec = w->shared->spec;

	if (spec->op == LOAD_PING)
		return vmac_ping(w->conns[k]);
	if (spec->op == LOAD_MAP_PAIR)
		return map_pair_half(w, k);
	return vmac_find_vma(w->conns[k], spec->space, spec->addrs[w->next_addr++ % spec->naddrs],
			     vma);
}

static int
expected_result(const struct load_spec *spec)
{
	return spec->op == LOAD_FIND ? VMAC_FOUND_VMA : 0;
}

static int
one_call(struct worker *w)
{
	int r = issue(w, 0, &w->vmas[0]);

	if (r != expected_result(w->shared->spec))
		return worker_fail(w, r < 0 ? r : -EBADMSG, "a call's reply");
	return 0;
}

static int
pipeline_send(struct worker *w, int k)
{
	int depth = w->shared->spec->depth;
	int r = vmac_pipeline_begin(w->conns[k]);

	if (r < 0)
		return worker_fail(w, r, "vmac_pipeline_begin");
	for (int d = 0; d < depth; d++) {
		r = issue(w, k, &w->vmas[k * depth + d]);
		if (r < 0)
			return worker_fail(w, r, "queueing a request");
	}
	r = vmac_pipeline_end(w->conns[k]);
	if (r != depth)
		return worker_fail(w, r < 0 ? r : -EBADMSG, "vmac_pipeline_end");
	return 0;
}

static int
pipeline_collect(struct worker *w, int k)
{
	int want = expected_result(w->shared->spec);

	for (int d = 0; d < w->shared->spec->depth; d++) {
		int result = 0;
		int r = vmac_pipeline_next(w->conns[k], &result);

		if (r != 1)
			return worker_fail(w, r < 0 ? r : -EBADMSG, "vmac_pipeline_next");
		if (result != want)
			return worker_fail(w, result < 0 ? result : -EBADMSG, "a pipelined reply");
	}
	return 0;
}

/* A pipeline on every connection of the worker, then every reply. */
static int
pipeline_round(struct worker *w)
{
	for (int k = 0; k < w->nconns; k++) {
		if (pipeline_send(w, k))
			return w->err;
	}
	for (int k = 0; k < w->nconns; k++) {
		if (pipeline_collect(w, k))
			return w->err;
	}
	return 0;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	const struct load_spec *spec = w->shared->spec;
	uint64_t per_round = (uint64_t)w->nconns * (uint64_t)spec->depth;

	while (!atomic_load_explicit(&w->shared->stop, memory_order_relaxed)) {
		if (spec->pipelined ? pipeline_round(w) : one_call(w))
			break;
		atomic_fetch_add_explicit(&w->done, per_round, memory_order_relaxed);
	}
	return NULL;
}

static int
worker_connect(struct worker *w, const char *sock)
{
	for (int k = 0; k < w->nconns; k++) {
		int err = vmac_connect(sock, &w->conns[k]);

		if (err)
			return worker_fail(w, err, "vmac_connect");
		vmac_set_timeout(w->conns[k], REPLY_TIMEOUT_MS);
	}
	return 0;
}

static void
worker_free(struct worker *w)
{
	for (int k = 0; w->conns && k < w->nconns; k++)
		vmac_close(w->conns[k]);
	free(w->conns);
	free(w->vmas);
	free(w->calls);
}

static int
workers_init(struct worker *ws, struct load_shared *shared)
{
	const struct load_spec *spec = shared->spec;
	int per = spec->conns / spec->threads;

	for (int t = 0; t < spec->threads; t++) {
		struct worker *w = &ws[t];

		w->shared = shared;
		w->nconns = per;
		/* Threads walk the address table from different points. */
		w->next_addr = (unsigned)t * 7919u;
		w->conns = calloc((size_t)per, sizeof(*w->conns));
		w->vmas = calloc((size_t)per * (size_t)spec->depth, sizeof(*w->vmas));
		w->calls = calloc((size_t)per, sizeof(*w->calls));
		w->index = (unsigned)t;
		if (!w->conns || !w->vmas || !w->calls)
			return worker_fail(w, -ENOMEM, "allocating a worker");
		if (worker_connect(w, spec->sock))
			return w->err;
	}
	return 0;
}

static uint64_t
requests_done(struct worker *ws, int n)
{
	uint64_t sum = 0;

	for (int t = 0; t < n; t++)
		sum += atomic_load_explicit(&ws[t].done, memory_order_relaxed);
	return sum;
}

/* Sleeps for ns, or less if a worker fails meanwhile. */
static void
wait_phase(struct load_shared *shared, uint64_t ns)
{
	uint64_t end = bench_now_ns() + ns;

	while (!atomic_load(&shared->failed) && bench_now_ns() < end) {
		struct timespec ts = { 0, NAP_NS };

		nanosleep(&ts, NULL);
	}
}

/*
 * Waits until want requests are done (checked often, so that the count just moved: a round
 * ended), a worker fails or the deadline passes; returns the count then.
 */
static uint64_t
wait_count(struct worker *ws, struct load_shared *shared, uint64_t want, uint64_t deadline)
{
	uint64_t n;

	while ((n = requests_done(ws, shared->spec->threads)) < want &&
	       !atomic_load(&shared->failed) && bench_now_ns() < deadline) {
		struct timespec ts = { 0, BOUNDARY_NAP_NS };

		nanosleep(&ts, NULL);
	}
	return n;
}

/* The count at the end of the measurement: the window, then min_rounds if asked. */
static uint64_t
measure_end(struct worker *ws, struct load_shared *shared, uint64_t n0, uint64_t deadline)
{
	const struct load_spec *spec = shared->spec;
	uint64_t round = (uint64_t)spec->conns * (uint64_t)spec->depth;
	uint64_t n, want;

	wait_phase(shared, spec->measure_ns);
	n = requests_done(ws, spec->threads);
	if (!spec->min_rounds)
		return n;
	want = n0 + spec->min_rounds * round;
	return wait_count(ws, shared, want > n + 1 ? want : n + 1, deadline);
}

static uint64_t
self_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * BENCH_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void
measure(struct worker *ws, struct load_shared *shared, struct load_result *out)
{
	const struct load_spec *spec = shared->spec;
	uint64_t t0, n0, n1, cpu0, self0, deadline;
	int started = 0;

	for (; started < spec->threads; started++) {
		if (pthread_create(&ws[started].tid, NULL, worker_main, &ws[started])) {
			worker_fail(&ws[started], -EAGAIN, "pthread_create");
			break;
		}
	}
	wait_phase(shared, spec->warmup_ns);
	deadline = bench_now_ns() + spec->max_ns;
	n0 = requests_done(ws, spec->threads);
	if (spec->min_rounds)
		n0 = wait_count(ws, shared, n0 + 1, deadline);
	t0 = bench_now_ns();
	cpu0 = proc_cpu_ns(spec->server);
	self0 = self_cpu_ns();
	n1 = measure_end(ws, shared, n0, deadline);
	out->ns = bench_now_ns() - t0;
	out->requests = n1 - n0;
	out->server_cpu_ns = proc_cpu_ns(spec->server) - cpu0;
	out->client_cpu_ns = self_cpu_ns() - self0;
	atomic_store(&shared->stop, true);
	for (int t = 0; t < started; t++)
		pthread_join(ws[t].tid, NULL);
}

int
load_run(const struct load_spec *spec, struct load_result *out)
{
	struct load_shared shared = { .spec = spec };
	struct worker *ws = calloc((size_t)spec->threads, sizeof(*ws));

	memset(out, 0, sizeof(*out));
	if (!ws) {
		out->err = -ENOMEM;
		out->what = "allocating the workers";
		return out->err;
	}
	if (workers_init(ws, &shared) == 0)
		measure(ws, &shared, out);
	for (int t = 0; t < spec->threads; t++) {
		if (ws[t].err && !out->err) {
			out->err = ws[t].err;
			out->what = ws[t].what;
		}
		worker_free(&ws[t]);
	}
	free(ws);
	return out->err;
}
