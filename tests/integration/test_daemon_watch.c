/* SPDX-License-Identifier: MIT */
/*
 * Watch streams: one event per change, in order, with the fields the protocol promises; a
 * watcher that stops reading loses events only with an EVENT_OVERFLOW that counts them, and
 * never slows the daemon down for anyone else.
 */
#include <errno.h>
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
#define ADDR 0x10000000ULL

static struct vmad_proc vm;
static struct vmac_conn *c;

static int
group_setup(void **state)
{
	(void)state;
	return harness_group_start(&vm, NULL, &c);
}

static int
group_teardown(void **state)
{
	(void)state;
	return harness_group_stop(&vm, c);
}

static void
next_event(struct vmac_conn *w, struct vmac_event *ev, enum vmac_event_kind kind, uint64_t seq)
{
	assert_int_equal(vmac_watch_next(w, ev, 5000), 0);
	assert_int_equal(ev->kind, kind);
	assert_int_equal(ev->seq, seq);
	assert_string_equal(ev->name, "w");
}

static void
test_events(void **state)
{
	struct vmac_file f = { .path = "/lib/x.so", .mode = VMAC_FMODE_READ };
	enum vmac_fault_result fr;
	struct vmac_conn *w;
	struct vmac_event ev;
	uint64_t a = 0, b = 0, brk0 = 0, brk1 = 0;

	(void)state;
	assert_int_equal(vmac_create(c, "w", NULL), 0);
	assert_int_equal(vmac_connect(vm.sock, &w), 0);
	assert_int_equal(vmac_watch(w, "w"), 0);
	assert_int_equal(vmac_watch_next(w, &ev, 100), -EAGAIN);

	assert_int_equal(vmac_mmap(c, "w", ADDR, 0x4000, RW, ANON | VMAC_MAP_FIXED, NULL, 0, &a),
			 0);
	next_event(w, &ev, VMAC_EVENT_MMAP, 1);
	assert_int_equal(ev.start, ADDR);
	assert_int_equal(ev.len, 0x4000);
	assert_int_equal(ev.new_prot, RW);
	assert_int_equal(ev.flags, ANON | VMAC_MAP_FIXED);
	assert_string_equal(ev.path, "");

	assert_int_equal(vmac_mprotect(c, "w", ADDR + 0x1000, 0x1000, VMAC_PROT_READ), 0);
	next_event(w, &ev, VMAC_EVENT_MPROTECT, 2);
	assert_int_equal(ev.start, ADDR + 0x1000);
	assert_int_equal(ev.len, 0x1000);
	assert_int_equal(ev.old_prot, RW);
	assert_int_equal(ev.new_prot, VMAC_PROT_READ);

	assert_int_equal(
		vmac_mremap(c, "w", ADDR + 0x3000, 0x1000, 0x2000, VMAC_MREMAP_MAYMOVE, 0, &b), 0);
	next_event(w, &ev, VMAC_EVENT_MREMAP, 3);
	assert_int_equal(ev.start, ADDR + 0x3000);
	assert_int_equal(ev.len, 0x1000);
	assert_int_equal(ev.new_addr, b);
	assert_int_equal(ev.new_len, 0x2000);
	assert_int_equal(ev.flags, VMAC_MREMAP_MAYMOVE);

	assert_int_equal(vmac_munmap(c, "w", ADDR, 0x1000), 0);
	next_event(w, &ev, VMAC_EVENT_MUNMAP, 4);
	assert_int_equal(ev.start, ADDR);
	assert_int_equal(ev.len, 0x1000);

	/* A query and a failed request change nothing: no event. */
	assert_int_equal(vmac_brk(c, "w", 0, &brk0), 0);
	assert_int_equal(vmac_munmap(c, "w", ADDR + 1, 0x1000), -EINVAL);
	assert_int_equal(vmac_brk(c, "w", brk0 + 0x2000, &brk1), 0);
	next_event(w, &ev, VMAC_EVENT_BRK, 5);
	assert_int_equal(ev.start, brk0);
	assert_int_equal(ev.new_addr, brk0 + 0x2000);

	assert_int_equal(vmac_madvise(c, "w", ADDR + 0x2000, 0x1000, VMAC_MADV_DONTFORK), 0);
	next_event(w, &ev, VMAC_EVENT_MADVISE, 6);
	assert_int_equal(ev.advice, VMAC_MADV_DONTFORK);
	assert_int_equal(vmac_mlock2(c, "w", ADDR + 0x2000, 0x1000, VMAC_MLOCK_ONFAULT), 0);
	next_event(w, &ev, VMAC_EVENT_MLOCK, 7);
	assert_int_equal(ev.flags, VMAC_MLOCK_ONFAULT);
	assert_int_equal(vmac_munlock(c, "w", ADDR + 0x2000, 0x1000), 0);
	next_event(w, &ev, VMAC_EVENT_MUNLOCK, 8);
	assert_int_equal(vmac_populate(c, "w", ADDR + 0x2000, 0x1000, true), 0);
	next_event(w, &ev, VMAC_EVENT_POPULATE, 9);
	assert_int_equal(ev.access, VMAC_ACCESS_WRITE);
	assert_int_equal(vmac_fault(c, "w", ADDR + 0x1000, VMAC_ACCESS_READ, &fr), 0);
	assert_int_equal(fr, VMAC_FAULT_OK);
	next_event(w, &ev, VMAC_EVENT_FAULT, 10);
	assert_int_equal(ev.start, ADDR + 0x1000);
	assert_int_equal(ev.access, VMAC_ACCESS_READ);
	/* A fault that gives SIGSEGV changes nothing. */
	assert_int_equal(vmac_fault(c, "w", 0x1000, VMAC_ACCESS_READ, &fr), 0);
	assert_int_equal(fr, VMAC_FAULT_SEGV_MAPERR);

	assert_int_equal(vmac_mmap(c, "w", 0, 0x1000, VMAC_PROT_READ, VMAC_MAP_PRIVATE, &f, 0, &a),
			 0);
	next_event(w, &ev, VMAC_EVENT_MMAP, 11);
	assert_string_equal(ev.path, "/lib/x.so");
	assert_int_equal(ev.start, a);

	assert_int_equal(vmac_fork(c, "w", "w-child"), 0);
	next_event(w, &ev, VMAC_EVENT_FORK, 12);
	assert_string_equal(ev.target, "w-child");
	assert_int_equal(vmac_destroy(c, "w-child"), 0);

	assert_int_equal(vmac_destroy(c, "w"), 0);
	next_event(w, &ev, VMAC_EVENT_DESTROY, 13);
	/* The watch has ended. */
	assert_int_equal(vmac_watch_next(w, &ev, 200), -EAGAIN);
	vmac_close(w);
}

static void
test_watch_refusals(void **state)
{
	struct vmac_conn *w;

	(void)state;
	assert_int_equal(vmac_connect(vm.sock, &w), 0);
	assert_int_equal(vmac_watch(w, "nothing-here"), -ENOENT);
	vmac_close(w);
}

/* Several watchers of one space each get every event; the acknowledgement comes first. */
static void
test_raw_watchers(void **state)
{
	enum { W = 3 };
	int fds[W];

	(void)state;
	assert_int_equal(vmac_create(c, "multi", NULL), 0);
	for (int i = 0; i < W; i++) {
		Vmad__V1__Request req = VMAD__V1__REQUEST__INIT;
		Vmad__V1__Watch wm = VMAD__V1__WATCH__INIT;
		Vmad__V1__Response *resp;

		fds[i] = raw_connect(vm.sock);
		assert_true(fds[i] >= 0);
		req.has_id = true;
		req.id = 500 + (uint64_t)i;
		req.op_case = VMAD__V1__REQUEST__OP_WATCH;
		req.watch = &wm;
		wm.name = "multi";
		resp = raw_call(fds[i], &req);
		assert_non_null(resp);
		assert_int_equal(resp->id, 500 + i);
		assert_int_equal(resp->error, 0);
		assert_int_equal(resp->result_case, VMAD__V1__RESPONSE__RESULT__NOT_SET);
		raw_free(resp);
	}
	for (int k = 0; k < 10; k++)
		assert_int_equal(vmac_mmap(c, "multi", 0, 4096, (k % 2) ? RW : VMAC_PROT_READ, ANON,
					   NULL, 0, NULL),
				 0);
	for (int i = 0; i < W; i++) {
		for (int k = 0; k < 10; k++) {
			Vmad__V1__Response *resp = raw_recv(fds[i], 5000, NULL);

			assert_non_null(resp);
			assert_int_equal(resp->id, 500 + i);
			assert_int_equal(resp->result_case, VMAD__V1__RESPONSE__RESULT_EVENT);
			assert_int_equal(resp->event->kind, VMAD__V1__EVENT_KIND__EVENT_MMAP);
			assert_int_equal(resp->event->seq, k + 1);
			raw_free(resp);
		}
		close(fds[i]);
	}
	assert_int_equal(vmac_destroy(c, "multi"), 0);
}

/* Pipelined mprotect toggles on one page: each is a change, so each is an event. */
static void
churn(int fd, int n)
{
	enum { BATCH = 1000 };
	static unsigned char buf[BATCH * 64];

	for (int done = 0; done < n;) {
		size_t len = 0;
		int k = 0;

		for (; k < BATCH && done + k < n; k++) {
			Vmad__V1__Request req = VMAD__V1__REQUEST__INIT;
			Vmad__V1__Mprotect mp = VMAD__V1__MPROTECT__INIT;
			size_t m;

			mp.name = "flood";
			mp.has_addr = mp.has_len = mp.has_prot = true;
			mp.addr = ADDR;
			mp.len = 4096;
			mp.prot = ((done + k) % 2) ? RW : VMAC_PROT_READ;
			req.op_case = VMAD__V1__REQUEST__OP_MPROTECT;
			req.mprotect = &mp;
			m = vmad__v1__request__pack(&req, buf + len + 4);
			buf[len] = buf[len + 1] = buf[len + 2] = 0;
			buf[len + 3] = (unsigned char)m;
			len += 4 + m;
		}
		assert_int_equal(raw_write(fd, buf, len), 0);
		for (int i = 0; i < k; i++) {
			Vmad__V1__Response *resp = raw_recv(fd, 10000, NULL);

			assert_non_null(resp);
			assert_int_equal(resp->error, 0);
			raw_free(resp);
		}
		done += k;
	}
}

static void
test_overflow(void **state)
{
	enum { CHANGES = 250000 };
	Vmad__V1__Request req = VMAD__V1__REQUEST__INIT;
	Vmad__V1__Watch wm = VMAD__V1__WATCH__INIT;
	Vmad__V1__Response *resp;
	uint64_t got = 0, lost = 0, last_seq = 0, overflows = 0;
	int64_t t0;
	int watcher, writer;

	(void)state;
	assert_int_equal(vmac_create(c, "flood", NULL), 0);
	assert_int_equal(
		vmac_mmap(c, "flood", ADDR, 4096, RW, ANON | VMAC_MAP_FIXED, NULL, 0, NULL), 0);
	watcher = raw_connect(vm.sock);
	writer = raw_connect(vm.sock);
	assert_true(watcher >= 0 && writer >= 0);
	req.has_id = true;
	req.id = 77;
	req.op_case = VMAD__V1__REQUEST__OP_WATCH;
	req.watch = &wm;
	wm.name = "flood";
	resp = raw_call(watcher, &req);
	assert_non_null(resp);
	assert_int_equal(resp->error, 0);
	raw_free(resp);

	/* The watcher reads nothing while the changes happen, and nobody waits for it. */
	t0 = harness_now_ms();
	churn(writer, CHANGES);
	assert_true(raw_ping_ok(vm.sock));
	assert_true(harness_now_ms() - t0 < 60000);

	/* Now it reads: events in seq order, one overflow counting exactly the gap. */
	while (got + lost < CHANGES) {
		resp = raw_recv(watcher, 5000, NULL);
		assert_non_null(resp);
		assert_int_equal(resp->id, 77);
		assert_int_equal(resp->result_case, VMAD__V1__RESPONSE__RESULT_EVENT);
		if (resp->event->kind == VMAD__V1__EVENT_KIND__EVENT_OVERFLOW) {
			overflows++;
			assert_true(resp->event->lost > 0);
			lost += resp->event->lost;
			assert_int_equal(resp->event->seq, last_seq + resp->event->lost);
		} else {
			assert_int_equal(resp->event->kind, VMAD__V1__EVENT_KIND__EVENT_MPROTECT);
			assert_int_equal(resp->event->seq, last_seq + 1);
			got++;
		}
		last_seq = resp->event->seq;
		raw_free(resp);
	}
	assert_int_equal(got + lost, CHANGES);
	assert_true(overflows >= 1);
	assert_true(lost > 0);
	/* Caught up: the stream goes on normally. */
	assert_int_equal(vmac_mprotect(c, "flood", ADDR, 4096, VMAC_PROT_NONE), 0);
	resp = raw_recv(watcher, 5000, NULL);
	assert_non_null(resp);
	assert_int_equal(resp->event->seq, CHANGES + 1);
	raw_free(resp);
	close(watcher);
	close(writer);
	assert_int_equal(vmac_destroy(c, "flood"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_events, harness_bound_setup),
		cmocka_unit_test_setup(test_watch_refusals, harness_bound_setup),
		cmocka_unit_test_setup(test_raw_watchers, harness_bound_setup),
		cmocka_unit_test_setup(test_overflow, harness_bound_setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
