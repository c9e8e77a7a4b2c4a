/* SPDX-License-Identifier: MIT */
/*
 * Many clients at once, and pipelining: replies come back in request order, each with its
 * request's id, whatever mix of operations is in flight.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"
#include "vmaclient.h"

#define ANON (VMAC_MAP_PRIVATE | VMAC_MAP_ANONYMOUS)
#define RW   (VMAC_PROT_READ | VMAC_PROT_WRITE)

static struct vmad_proc vm;

static int
group_setup(void **state)
{
	(void)state;
	harness_more_fds();
	return harness_group_start(&vm, NULL, NULL);
}

static int
group_teardown(void **state)
{
	(void)state;
	return harness_group_stop(&vm, NULL);
}

enum { THREADS = 32, ROUNDS = 200 };

struct worker {
	int index;
	pthread_barrier_t *barrier;
	uint64_t clients_seen;
	int failures;
	char why[160];
};

static void
worker_fail(struct worker *w, const char *what, int r)
{
	if (!w->failures++)
		snprintf(w->why, sizeof(w->why), "worker %d: %s: %d", w->index, what, r);
}

/* Each worker owns a space and checks that what it reads back is what it did. */
static void
work(struct worker *w, struct vmac_conn *c, const char *name)
{
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t a = 0x10000000 + (uint64_t)(i % 16) * 0x10000;
		struct vmac_status st;
		struct vmac_vma v;
		int r;

		r = vmac_mmap(c, name, a, 0x4000, RW, ANON | VMAC_MAP_FIXED, NULL, 0, NULL);
		if (r < 0)
			worker_fail(w, "mmap", r);
		r = vmac_find_vma(c, name, a, &v);
		if (r != VMAC_FOUND_VMA || v.start > a || v.end < a + 0x4000)
			worker_fail(w, "find_vma", r);
		if (i % 16 == 15) {
			r = vmac_munmap(c, name, 0x10000000, 0x100000);
			if (r < 0)
				worker_fail(w, "munmap", r);
			r = vmac_status(c, name, &st);
			if (r < 0 || st.map_count != 0)
				worker_fail(w, "status", r);
		}
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct vmac_conn *c;
	struct vmac_stats stats;
	char name[32];
	int r;

	snprintf(name, sizeof(name), "w%d", w->index);
	r = vmac_connect(vm.sock, &c);
	if (r < 0) {
		worker_fail(w, "connect", r);
		pthread_barrier_wait(w->barrier);
		return NULL;
	}
	r = vmac_create(c, name, NULL);
	if (r < 0)
		worker_fail(w, "create", r);
	/* Everyone is connected at once here. */
	pthread_barrier_wait(w->barrier);
	if (vmac_stats(c, &stats) == 0)
		w->clients_seen = stats.clients;
	work(w, c, name);
	r = vmac_destroy(c, name);
	if (r < 0)
		worker_fail(w, "destroy", r);
	vmac_close(c);
	return NULL;
}

static void
test_many_clients(void **state)
{
	pthread_t th[THREADS];
	struct worker w[THREADS];
	pthread_barrier_t barrier;

	(void)state;
	pthread_barrier_init(&barrier, NULL, THREADS);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .index = i, .barrier = &barrier };
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		if (w[i].failures)
			print_error("%s\n", w[i].why);
		assert_int_equal(w[i].failures, 0);
		assert_true(w[i].clients_seen >= THREADS);
	}
	pthread_barrier_destroy(&barrier);
	assert_true(raw_ping_ok(vm.sock));
}

/* 500 connections, each with a request in flight at the same time. */
static void
test_many_connections_interleaved(void **state)
{
	enum { N = 500 };
	int fds[N];

	(void)state;
	for (int i = 0; i < N; i++) {
		fds[i] = raw_connect(vm.sock);
		assert_true(fds[i] >= 0);
	}
	for (int i = 0; i < N; i++) {
		Vmad__V1__Request req;
		Vmad__V1__Ping ping;

		raw_ping_req(&req, &ping, 1000 + (uint64_t)i);
		assert_int_equal(raw_send(fds[i], &req), 0);
	}
	for (int i = N - 1; i >= 0; i--) {
		Vmad__V1__Response *resp = raw_recv(fds[i], 5000, NULL);

		assert_non_null(resp);
		assert_int_equal(resp->id, 1000 + i);
		raw_free(resp);
		close(fds[i]);
	}
}

/* Frames a request into buf; returns the bytes used. */
static size_t
frame(unsigned char *buf, Vmad__V1__Request *req)
{
	size_t n = vmad__v1__request__pack(req, buf + 4);

	buf[0] = (unsigned char)(n >> 24);
	buf[1] = (unsigned char)(n >> 16);
	buf[2] = (unsigned char)(n >> 8);
	buf[3] = (unsigned char)n;
	return n + 4;
}

/*
 * 3000 requests in one write: creates, mmaps, statuses, pings and a bad request in the
 * middle; every reply is in order, with its id and the result of exactly that request.
 */
static void
test_pipelining_order(void **state)
{
	enum { N = 3000 };
	unsigned char *buf = malloc((size_t)N * 64);
	size_t len = 0;
	int fd = raw_connect(vm.sock);

	(void)state;
	assert_non_null(buf);
	assert_true(fd >= 0);
	for (int i = 0; i < N; i++) {
		Vmad__V1__Request req = VMAD__V1__REQUEST__INIT;
		Vmad__V1__Create cr = VMAD__V1__CREATE__INIT;
		Vmad__V1__Mmap mm = VMAD__V1__MMAP__INIT;
		Vmad__V1__Status st = VMAD__V1__STATUS__INIT;
		Vmad__V1__Ping ping = VMAD__V1__PING__INIT;

		req.has_id = true;
		req.id = (uint64_t)i * 7 + 1;
		if (i == 0) {
			cr.name = "pipe";
			req.op_case = VMAD__V1__REQUEST__OP_CREATE;
			req.create = &cr;
		} else if (i % 3 == 1) {
			mm.name = "pipe";
			mm.has_len = mm.has_prot = mm.has_flags = true;
			mm.len = 4096;
			mm.prot = (i % 2) ? RW : VMAC_PROT_READ;
			mm.flags = ANON;
			req.op_case = VMAD__V1__REQUEST__OP_MMAP;
			req.mmap = &mm;
		} else if (i % 3 == 2) {
			st.name = (i == 1001) ? "no-such-space" : "pipe";
			req.op_case = VMAD__V1__REQUEST__OP_STATUS;
			req.status = &st;
		} else {
			req.op_case = VMAD__V1__REQUEST__OP_PING;
			req.ping = &ping;
		}
		len += frame(buf + len, &req);
	}
	assert_int_equal(raw_write(fd, buf, len), 0);
	for (int i = 0, maps = 0; i < N; i++) {
		Vmad__V1__Response *resp = raw_recv(fd, 10000, NULL);

		assert_non_null(resp);
		assert_int_equal(resp->id, (uint64_t)i * 7 + 1);
		if (i == 1001) {
			assert_int_equal(resp->error, -ENOENT);
		} else {
			assert_int_equal(resp->error, 0);
		}
		if (i % 3 == 1) {
			maps++;
			assert_int_equal(resp->result_case, VMAD__V1__RESPONSE__RESULT_ADDR);
			/* Each new page lands right below the previous one. */
			assert_int_equal(resp->addr->addr,
					 0x7ffff7fff000ULL - (uint64_t)maps * 4096);
		} else if (i % 3 == 2 && i != 1001) {
			/* Alternating protections: no merging, one VMA per mmap so far. */
			assert_int_equal(resp->status->map_count, maps);
		}
		raw_free(resp);
	}
	close(fd);
	free(buf);
}

/* libvmaclient's pipelined form against the daemon. */
static void
test_client_pipeline(void **state)
{
	enum { N = 1000 };
	static uint64_t addrs[N];
	struct vmac_conn *c;
	int result, n;

	(void)state;
	assert_int_equal(vmac_connect(vm.sock, &c), 0);
	assert_int_equal(vmac_create(c, "cp", NULL), 0);
	assert_int_equal(vmac_pipeline_begin(c), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(vmac_mmap(c, "cp", 0, 4096, (i % 2) ? RW : VMAC_PROT_READ, ANON,
					   NULL, 0, &addrs[i]),
				 0);
	n = vmac_pipeline_end(c);
	assert_int_equal(n, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(vmac_pipeline_next(c, &result), 1);
		assert_int_equal(result, 0);
	}
	assert_int_equal(vmac_pipeline_next(c, &result), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(addrs[i], 0x7ffff7fff000ULL - (uint64_t)(i + 1) * 4096);
	assert_int_equal(vmac_destroy(c, "cp"), 0);
	vmac_close(c);
}

/*
 * Replies far beyond the output high mark, asked for in one write by a client that reads
 * only later: the daemon stops reading at the high mark and, as the client reads, resumes
 * with the requests it had already taken in; every reply arrives, in order.
 */
static void
test_backpressure_resumes(void **state)
{
	enum { VMAS = 3000, N = 40 };
	unsigned char buf[N * 64];
	size_t len = 0;
	struct vmac_conn *c;
	int result, fd;

	(void)state;
	assert_int_equal(vmac_connect(vm.sock, &c), 0);
	assert_int_equal(vmac_create(c, "bp", NULL), 0);
	assert_int_equal(vmac_pipeline_begin(c), 0);
	for (int i = 0; i < VMAS; i++)
		assert_int_equal(vmac_mmap(c, "bp", 0, 4096, (i % 2) ? RW : VMAC_PROT_READ, ANON,
					   NULL, 0, NULL),
				 0);
	assert_int_equal(vmac_pipeline_end(c), VMAS);
	while (vmac_pipeline_next(c, &result) == 1)
		assert_int_equal(result, 0);
	fd = raw_connect(vm.sock);
	assert_true(fd >= 0);
	for (int i = 0; i < N; i++) {
		Vmad__V1__Request req = VMAD__V1__REQUEST__INIT;
		Vmad__V1__Maps maps = VMAD__V1__MAPS__INIT;

		req.has_id = true;
		req.id = (uint64_t)i + 1;
		maps.name = "bp";
		maps.has_limit = true;
		maps.limit = 4096;
		req.op_case = VMAD__V1__REQUEST__OP_MAPS;
		req.maps = &maps;
		len += frame(buf + len, &req);
	}
	/* About 15 MiB of replies: the daemon pauses long before the client reads any. */
	assert_int_equal(raw_write(fd, buf, len), 0);
	usleep(300 * 1000);
	for (int i = 0; i < N; i++) {
		Vmad__V1__Response *resp = raw_recv(fd, 10000, NULL);

		assert_non_null(resp);
		assert_int_equal(resp->id, (uint64_t)i + 1);
		assert_int_equal(resp->result_case, VMAD__V1__RESPONSE__RESULT_MAPS);
		/* The VMAs and the [vsyscall] line, all in one page. */
		assert_int_equal(resp->maps->n_vmas, VMAS + 1);
		assert_false(resp->maps->has_next);
		raw_free(resp);
	}
	assert_true(raw_ping_ok(vm.sock));
	close(fd);
	assert_int_equal(vmac_destroy(c, "bp"), 0);
	vmac_close(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_many_clients, harness_bound_setup),
		cmocka_unit_test_setup(test_many_connections_interleaved, harness_bound_setup),
		cmocka_unit_test_setup(test_pipelining_order, harness_bound_setup),
		cmocka_unit_test_setup(test_client_pipeline, harness_bound_setup),
		cmocka_unit_test_setup(test_backpressure_resumes, harness_bound_setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
