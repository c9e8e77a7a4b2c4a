/* SPDX-License-Identifier: MIT */
/*
 * Hostile and broken input: each case gets a clear error or a closed connection, and a
 * well-behaved client is served right after it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"

#define FRAME_MS "800"
#define IDLE_MS  "1500"
#define WRITE_MS "1500"

static struct vmad_proc vm;

static int
group_setup(void **state)
{
	static const char *const env[] = { "VMAD_FRAME_TIMEOUT_MS=" FRAME_MS,
					   "VMAD_IDLE_TIMEOUT_MS=" IDLE_MS,
					   "VMAD_WRITE_TIMEOUT_MS=" WRITE_MS, NULL };

	(void)state;
	harness_more_fds();
	return harness_group_start(&vm, env, NULL);
}

static int
group_teardown(void **state)
{
	(void)state;
	return harness_group_stop(&vm, NULL);
}

static void
assert_served(void)
{
	assert_true(raw_ping_ok(vm.sock));
}

/* The one error reply a protocol violation gets, then the connection closes. */
static void
assert_error_then_close(int fd, int err, uint64_t id)
{
	Vmad__V1__Response *resp = raw_recv(fd, 5000, NULL);

	assert_non_null(resp);
	assert_int_equal(resp->error, err);
	assert_int_equal(resp->id, id);
	assert_non_null(resp->message);
	assert_true(strlen(resp->message) > 0);
	raw_free(resp);
	assert_int_equal(raw_wait_closed(fd, 5000), 1);
}

/*
 * Send bytes on a fresh connection; expect the one error reply, the close, and the daemon
 * still serving others.
 */
static void
assert_bytes_refused(const void *bytes, size_t len, int err, uint64_t id)
{
	int fd = raw_connect(vm.sock);

	assert_true(fd >= 0);
	assert_int_equal(raw_write(fd, bytes, len), 0);
	assert_error_then_close(fd, err, id);
	close(fd);
	assert_served();
}

static void
test_garbage(void **state)
{
	static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	(void)state;
	/* "GET " read as a length is 1.2 GB: refused as soon as the header is in. */
	assert_bytes_refused(http, sizeof(http) - 1, -EMSGSIZE, 0);
}

static void
test_4gib_length(void **state)
{
	static const unsigned char hdr[] = { 0xff, 0xff, 0xff, 0xff };

	(void)state;
	assert_bytes_refused(hdr, sizeof(hdr), -EMSGSIZE, 0);
}

static void
test_undecodable(void **state)
{
	/* Field 1 as a varint that never ends. */
	static const unsigned char frame[] = { 0, 0, 0, 6, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff };

	(void)state;
	assert_bytes_refused(frame, sizeof(frame), -EBADMSG, 0);
}

static void
test_unknown_op(void **state)
{
	/* id 7, then field 99 (an op this server does not know) as an empty message. */
	static const unsigned char frame[] = { 0, 0, 0, 5, 0x08, 0x07, 0x9a, 0x06, 0x00 };

	(void)state;
	assert_bytes_refused(frame, sizeof(frame), -EOPNOTSUPP, 7);
}

static void
test_empty_frame(void **state)
{
	static const unsigned char frame[] = { 0, 0, 0, 0 };

	(void)state;
	assert_bytes_refused(frame, sizeof(frame), -EOPNOTSUPP, 0);
}

static void
test_bad_version(void **state)
{
	Vmad__V1__Request req = VMAD__V1__REQUEST__INIT;
	Vmad__V1__Hello hello = VMAD__V1__HELLO__INIT;
	int fd = raw_connect(vm.sock);

	(void)state;
	assert_true(fd >= 0);
	req.has_id = true;
	req.id = 3;
	req.op_case = VMAD__V1__REQUEST__OP_HELLO;
	req.hello = &hello;
	hello.has_version = true;
	hello.version = 2;
	assert_int_equal(raw_send(fd, &req), 0);
	assert_error_then_close(fd, -EPROTONOSUPPORT, 3);
	close(fd);
	assert_served();
}

static void
test_good_hello(void **state)
{
	Vmad__V1__Request req = VMAD__V1__REQUEST__INIT;
	Vmad__V1__Hello hello = VMAD__V1__HELLO__INIT;
	Vmad__V1__Response *resp;
	int fd = raw_connect(vm.sock);

	(void)state;
	assert_true(fd >= 0);
	req.has_id = true;
	req.id = 9;
	req.op_case = VMAD__V1__REQUEST__OP_HELLO;
	req.hello = &hello;
	hello.has_version = true;
	hello.version = 1;
	hello.client = "hostile-test\n<3>forged log line";
	resp = raw_call(fd, &req);
	assert_non_null(resp);
	assert_int_equal(resp->error, 0);
	assert_int_equal(resp->result_case, VMAD__V1__RESPONSE__RESULT_HELLO);
	assert_int_equal(resp->hello->version, 1);
	assert_non_null(strstr(resp->hello->server, "vmad"));
	raw_free(resp);
	close(fd);
}

/* A valid request and garbage in one write: the request is answered before the error. */
static void
test_valid_then_garbage(void **state)
{
	unsigned char buf[64];
	Vmad__V1__Request req;
	Vmad__V1__Ping ping;
	Vmad__V1__Response *resp;
	size_t n;
	int fd = raw_connect(vm.sock);

	(void)state;
	assert_true(fd >= 0);
	raw_ping_req(&req, &ping, 11);
	n = vmad__v1__request__pack(&req, buf + 4);
	buf[0] = buf[1] = buf[2] = 0;
	buf[3] = (unsigned char)n;
	memcpy(buf + 4 + n, "\x7f\x00\x00\x00", 4);
	assert_int_equal(raw_write(fd, buf, 8 + n), 0);
	resp = raw_recv(fd, 5000, NULL);
	assert_non_null(resp);
	assert_int_equal(resp->id, 11);
	assert_int_equal(resp->error, 0);
	raw_free(resp);
	assert_error_then_close(fd, -EMSGSIZE, 0);
	close(fd);
	assert_served();
}

static void
test_truncated_then_close(void **state)
{
	static const unsigned char part[] = { 0, 0, 0, 100, 0x08, 0x01, 0x5a };
	int fd = raw_connect(vm.sock);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(raw_write(fd, part, sizeof(part)), 0);
	close(fd);
	assert_served();
	assert_served();
}

static void
test_byte_by_byte(void **state)
{
	unsigned char buf[64];
	Vmad__V1__Request req;
	Vmad__V1__Ping ping;
	Vmad__V1__Response *resp;
	size_t n;
	int fd = raw_connect(vm.sock);

	(void)state;
	assert_true(fd >= 0);
	raw_ping_req(&req, &ping, 0x123456789ULL);
	n = vmad__v1__request__pack(&req, buf + 4);
	buf[0] = buf[1] = buf[2] = 0;
	buf[3] = (unsigned char)n;
	for (size_t i = 0; i < n + 4; i++) {
		assert_int_equal(raw_write(fd, buf + i, 1), 0);
		usleep(20000);
		/* Nothing may come back before the frame is complete. */
		if (i + 1 < n + 4) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			assert_int_equal(poll(&pfd, 1, 0), 0);
		}
	}
	resp = raw_recv(fd, 5000, NULL);
	assert_non_null(resp);
	assert_int_equal(resp->id, 0x123456789ULL);
	assert_int_equal(resp->error, 0);
	raw_free(resp);
	close(fd);
	assert_served();
}

/* A frame that stays incomplete is given up after the frame timeout. */
static void
test_half_frame_timeout(void **state)
{
	static const unsigned char part[] = { 0, 0, 0, 10, 0x08 };
	int64_t t0 = harness_now_ms();
	int fd = raw_connect(vm.sock);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(raw_write(fd, part, sizeof(part)), 0);
	assert_error_then_close(fd, -ETIMEDOUT, 0);
	assert_true(harness_now_ms() - t0 >= atoi(FRAME_MS) - 50);
	close(fd);
	assert_served();
}

static void
test_idle_timeout(void **state)
{
	int64_t t0 = harness_now_ms();
	int fd = raw_connect(vm.sock);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(raw_wait_closed(fd, 10000), 1);
	assert_true(harness_now_ms() - t0 >= atoi(IDLE_MS) - 50);
	close(fd);
	assert_served();
}

/* Build and send one request on fd; returns its reply. */
static Vmad__V1__Response *
call_named(int fd, Vmad__V1__Request__OpCase op, const char *name, uint64_t id)
{
	Vmad__V1__Request req = VMAD__V1__REQUEST__INIT;
	Vmad__V1__Create cr = VMAD__V1__CREATE__INIT;
	Vmad__V1__Watch w = VMAD__V1__WATCH__INIT;
	Vmad__V1__Destroy d = VMAD__V1__DESTROY__INIT;

	cr.name = w.name = d.name = (char *)name;
	req.has_id = true;
	req.id = id;
	req.op_case = op;
	if (op == VMAD__V1__REQUEST__OP_CREATE)
		req.create = &cr;
	else if (op == VMAD__V1__REQUEST__OP_WATCH)
		req.watch = &w;
	else
		req.destroy = &d;
	return raw_call(fd, &req);
}

/* A watcher may stay silent past the idle timeout; once its watch has ended, it may not. */
static void
test_idle_watcher(void **state)
{
	Vmad__V1__Response *resp;
	int64_t t0;
	int w = raw_connect(vm.sock), other = raw_connect(vm.sock);

	(void)state;
	assert_true(w >= 0 && other >= 0);
	resp = call_named(other, VMAD__V1__REQUEST__OP_CREATE, "idle-w", 1);
	assert_non_null(resp);
	assert_int_equal(resp->error, 0);
	raw_free(resp);
	close(other);
	resp = call_named(w, VMAD__V1__REQUEST__OP_WATCH, "idle-w", 2);
	assert_non_null(resp);
	assert_int_equal(resp->error, 0);
	raw_free(resp);
	/* Three idle timeouts later the watcher is still there. */
	usleep(3 * atoi(IDLE_MS) * 1000);
	other = raw_connect(vm.sock);
	assert_true(other >= 0);
	resp = call_named(other, VMAD__V1__REQUEST__OP_DESTROY, "idle-w", 3);
	assert_non_null(resp);
	assert_int_equal(resp->error, 0);
	raw_free(resp);
	close(other);
	resp = raw_recv(w, 5000, NULL);
	assert_non_null(resp);
	assert_int_equal(resp->id, 2);
	assert_int_equal(resp->result_case, VMAD__V1__RESPONSE__RESULT_EVENT);
	assert_int_equal(resp->event->kind, VMAD__V1__EVENT_KIND__EVENT_DESTROY);
	raw_free(resp);
	/* Now an ordinary idle connection: closed within about one timeout. */
	t0 = harness_now_ms();
	assert_int_equal(raw_wait_closed(w, 10000), 1);
	assert_true(harness_now_ms() - t0 <= 2 * atoi(IDLE_MS) + 500);
	close(w);
}

static void
test_1000_idle(void **state)
{
	enum { N = 1000 };
	int *fds = calloc(N, sizeof(int));

	(void)state;
	assert_non_null(fds);
	for (int i = 0; i < N; i++) {
		fds[i] = raw_connect(vm.sock);
		assert_true(fds[i] >= 0);
	}
	assert_served();
	for (int i = 0; i < N; i++)
		close(fds[i]);
	free(fds);
	assert_served();
}

static uint64_t
stat_clients(void)
{
	Vmad__V1__Request req = VMAD__V1__REQUEST__INIT;
	Vmad__V1__Stats st = VMAD__V1__STATS__INIT;
	Vmad__V1__Response *resp;
	uint64_t n = UINT64_MAX;
	int fd = raw_connect(vm.sock);

	if (fd < 0)
		return n;
	req.op_case = VMAD__V1__REQUEST__OP_STATS;
	req.stats = &st;
	resp = raw_call(fd, &req);
	if (resp && resp->result_case == VMAD__V1__RESPONSE__RESULT_STATS)
		n = resp->stats->clients;
	raw_free(resp);
	close(fd);
	return n;
}

/* Writes pipelined pings until the daemon stops taking them for a second. */
static size_t
flood_pings(int fd)
{
	enum { BATCH = 4096 };
	static unsigned char buf[BATCH * 16];
	size_t len = 0, sent = 0;
	int64_t stalled = 0;

	for (int i = 0; i < BATCH; i++) {
		Vmad__V1__Request req;
		Vmad__V1__Ping ping;
		size_t n;

		raw_ping_req(&req, &ping, (uint64_t)i + 1);
		n = vmad__v1__request__pack(&req, buf + len + 4);
		buf[len] = buf[len + 1] = buf[len + 2] = 0;
		buf[len + 3] = (unsigned char)n;
		len += 4 + n;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (size_t off = 0;;) {
		ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);

		if (n > 0) {
			sent += (size_t)n;
			off = (off + (size_t)n) % len;
			stalled = 0;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			break;
		if (!stalled)
			stalled = harness_now_ms();
		else if (harness_now_ms() - stalled > 1000)
			break;
		usleep(10000);
	}
	return sent;
}

static void
test_never_reads(void **state)
{
	int64_t deadline;
	size_t sent;
	int fd = raw_connect(vm.sock);

	(void)state;
	assert_true(fd >= 0);
	sent = flood_pings(fd);
	/* The daemon stopped reading once the replies piled up... */
	assert_true(sent > 1024 * 1024);
	assert_true(sent < 64 * 1024 * 1024);
	/* ...serves everyone else meanwhile... */
	assert_served();
	/* ...and drops the client once it has read nothing for the write timeout. */
	deadline = harness_now_ms() + 10000;
	while (!vmad_log_has(&vm, "reads none of its replies") && harness_now_ms() < deadline)
		usleep(50000);
	assert_true(vmad_log_has(&vm, "reads none of its replies"));
	assert_int_equal(stat_clients(), 1);
	close(fd);
	assert_served();
}

/* Requests then an immediate close: replies meet a closed socket (EPIPE, not SIGPIPE). */
static void
test_close_before_reply(void **state)
{
	(void)state;
	for (int round = 0; round < 50; round++) {
		Vmad__V1__Request req;
		Vmad__V1__Ping ping;
		int fd = raw_connect(vm.sock);

		assert_true(fd >= 0);
		raw_ping_req(&req, &ping, 1);
		for (int i = 0; i < 100; i++)
			assert_int_equal(raw_send(fd, &req), 0);
		close(fd);
	}
	assert_served();
}

/*
 * A frame within --max-frame that would take more than the decoding budget (8x the frame
 * limit) to unpack: 1 MiB of 3-byte unknown fields.
 */
static void
test_decode_budget(void **state)
{
	size_t body = (1u << 20) - 4, n = 0;
	unsigned char *buf = malloc(body + 4);
	int fd = raw_connect(vm.sock);

	(void)state;
	assert_non_null(buf);
	assert_true(fd >= 0);
	buf[0] = (unsigned char)(body >> 24);
	buf[1] = (unsigned char)(body >> 16);
	buf[2] = (unsigned char)(body >> 8);
	buf[3] = (unsigned char)body;
	while (n + 3 <= body) {
		/* field 1000, varint 0 */
		buf[4 + n++] = 0xc0;
		buf[4 + n++] = 0x3e;
		buf[4 + n++] = 0x00;
	}
	while (n < body) {
		buf[4 + n++] = 0x08; /* field 1 (id), varint 0 */
		if (n < body)
			buf[4 + n++] = 0x00;
	}
	assert_int_equal(raw_write(fd, buf, body + 4), 0);
	assert_error_then_close(fd, -EBADMSG, 0);
	free(buf);
	close(fd);
	assert_served();
}

static void
test_max_frame_option(void **state)
{
	static const char *const args[] = { "--max-frame", "1K", NULL };
	unsigned char hdr[] = { 0, 0, 0x04, 0x01 };
	struct vmad_proc small;
	int fd;

	(void)state;
	assert_int_equal(vmad_start(&small, args, NULL), 0);
	fd = raw_connect(small.sock);
	assert_true(fd >= 0);
	assert_int_equal(raw_write(fd, hdr, sizeof(hdr)), 0);
	assert_error_then_close(fd, -EMSGSIZE, 0);
	close(fd);
	assert_true(raw_ping_ok(small.sock));
	assert_int_equal(vmad_stop(&small), 0);
}

/*
 * A connection the daemon serves (a ping answered on it).  The daemon frees the slot of a
 * client that hung up (vmad_start()'s probe) when it reads the hang-up, which may come after
 * this connect() was queued: until then a connection is refused with EUSERS, so it is made
 * again, for at most ten seconds.
 */
static int
connect_served(const char *sock)
{
	Vmad__V1__Request req;
	Vmad__V1__Ping ping;
	int64_t deadline = harness_now_ms() + 10000;

	raw_ping_req(&req, &ping, 1);
	for (;;) {
		int fd = raw_connect(sock);
		Vmad__V1__Response *resp;

		assert_true(fd >= 0);
		resp = raw_call(fd, &req);
		if (resp && resp->error == 0 && resp->id == 1) {
			raw_free(resp);
			return fd;
		}
		raw_free(resp);
		close(fd);
		assert_true(harness_now_ms() < deadline);
		usleep(10000);
	}
}

static void
test_max_clients_option(void **state)
{
	static const char *const args[] = { "--max-clients", "3", NULL };
	struct vmad_proc small;
	int fds[3], extra;

	(void)state;
	assert_int_equal(vmad_start(&small, args, NULL), 0);
	for (int i = 0; i < 3; i++)
		fds[i] = connect_served(small.sock);
	extra = raw_connect(small.sock);
	assert_true(extra >= 0);
	assert_error_then_close(extra, -EUSERS, 0);
	close(extra);
	/* The freed slot serves a new client. */
	close(fds[0]);
	fds[0] = connect_served(small.sock);
	close(fds[0]);
	close(fds[1]);
	close(fds[2]);
	assert_int_equal(vmad_stop(&small), 0);
}

/*
 * Out of descriptors: accept fails with EMFILE.  The daemon pauses accepting for a second
 * instead of spinning on the readable listener, and takes the waiting client once a
 * descriptor is free again.  RLIMIT_NOFILE 8 leaves room for exactly one client next to
 * stdin/out/err, epoll, libevent's signal pipe and the listener.
 */
static void
test_out_of_descriptors(void **state)
{
	Vmad__V1__Request req;
	Vmad__V1__Ping ping;
	Vmad__V1__Response *resp;
	struct vmad_proc small;
	long before, after;
	int first, second;

	(void)state;
	assert_int_equal(vmad_start_nofile(&small, NULL, NULL, 8), 0);
	usleep(200000);
	first = raw_connect(small.sock);
	assert_true(first >= 0);
	second = raw_connect(small.sock);
	assert_true(second >= 0);
	usleep(300000);
	assert_true(vmad_log_has(&small, "pausing"));
	before = vmad_cpu_ticks(&small);
	usleep(1500000);
	after = vmad_cpu_ticks(&small);
	/* Retrying once a second costs nothing like a busy loop (150 ticks). */
	assert_true(after - before < 20);
	close(first);
	raw_ping_req(&req, &ping, 5);
	resp = raw_call(second, &req);
	assert_non_null(resp);
	assert_int_equal(resp->id, 5);
	raw_free(resp);
	close(second);
	assert_int_equal(vmad_stop(&small), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_garbage, harness_bound_setup),
		cmocka_unit_test_setup(test_4gib_length, harness_bound_setup),
		cmocka_unit_test_setup(test_undecodable, harness_bound_setup),
		cmocka_unit_test_setup(test_unknown_op, harness_bound_setup),
		cmocka_unit_test_setup(test_empty_frame, harness_bound_setup),
		cmocka_unit_test_setup(test_bad_version, harness_bound_setup),
		cmocka_unit_test_setup(test_good_hello, harness_bound_setup),
		cmocka_unit_test_setup(test_valid_then_garbage, harness_bound_setup),
		cmocka_unit_test_setup(test_truncated_then_close, harness_bound_setup),
		cmocka_unit_test_setup(test_byte_by_byte, harness_bound_setup),
		cmocka_unit_test_setup(test_half_frame_timeout, harness_bound_setup),
		cmocka_unit_test_setup(test_idle_timeout, harness_bound_setup),
		cmocka_unit_test_setup(test_idle_watcher, harness_bound_setup),
		cmocka_unit_test_setup(test_1000_idle, harness_bound_setup),
		cmocka_unit_test_setup(test_never_reads, harness_bound_setup),
		cmocka_unit_test_setup(test_close_before_reply, harness_bound_setup),
		cmocka_unit_test_setup(test_decode_budget, harness_bound_setup),
		cmocka_unit_test_setup(test_max_frame_option, harness_bound_setup),
		cmocka_unit_test_setup(test_max_clients_option, harness_bound_setup),
		cmocka_unit_test_setup(test_out_of_descriptors, harness_bound_setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
