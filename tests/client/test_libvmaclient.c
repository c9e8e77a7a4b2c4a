/* SPDX-License-Identifier: MIT */
/*
 * libvmaclient against a real vmad: every call, its error paths, pipelining, maps paging,
 * watching, and a daemon that dies or stalls mid-call.  SIGPIPE keeps its default action on
 * purpose: a library that let it through would kill this test.
 *
 * The tests of the calls added since 0.1, and of watching, are in test_libvmaclient_calls.c.
 *
 * With VMAC_TEST_LOCAL=1 in the environment the same tests run against the in-process engine
 * (vmac_open_local()) instead, so that the two cannot drift apart; the tests of the socket
 * itself (a daemon that dies, stalls or closes) are skipped there.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tlib.h"

struct tvmad tlib_vm;
bool tlib_local;

struct vmac_conn *
tlib_conn(void)
{
	struct vmac_conn *c = NULL;
	if (tlib_local)
		assert_int_equal(vmac_open_local(&c), 0);
	else
		assert_int_equal(vmac_connect(tlib_vm.sock, &c), 0);
	assert_non_null(c);
	return c;
}

void
tlib_socket_only(void)
{
	if (tlib_local)
		skip();
}

struct vmac_conn *
tlib_space(const char *name, const struct vmac_create_opts *o)
{
	struct vmac_conn *c = tlib_conn();
	assert_int_equal(vmac_create(c, name, o), 0);
	return c;
}

void
tlib_done(struct vmac_conn *c, const char *name)
{
	assert_int_equal(vmac_destroy(c, name), 0);
	vmac_close(c);
}

int
tlib_count_vmas(struct vmac_conn *c, const char *name, uint32_t page)
{
	struct vmac_maps_iter *it;
	struct vmac_vma v;
	int n = 0, rc;
	assert_int_equal(vmac_maps_open(c, name, 0, page, &it), 0);
	while ((rc = vmac_maps_next(it, &v)) > 0)
		n++;
	assert_int_equal(rc, 0);
	vmac_maps_close(it);
	return n;
}

static void
test_connect_errors(void **state)
{
	(void)state;
	tlib_socket_only();
	struct vmac_conn *c = NULL;
	char path[256];
	snprintf(path, sizeof(path), "%s/nothing-here", tlib_vm.dir);
	assert_int_equal(vmac_connect(path, &c), -ENOENT);
	memset(path, 'x', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(vmac_connect(path, &c), -ENAMETOOLONG);
	assert_null(c);
	setenv("VMAD_SOCKET", tlib_vm.sock, 1);
	assert_int_equal(vmac_connect(NULL, &c), 0);
	unsetenv("VMAD_SOCKET");
	assert_int_equal(vmac_ping(c), 0);
	assert_true(vmac_fd(c) >= 0);
	vmac_close(c);
	vmac_close(NULL);
}

static void
test_hello_ping(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_conn();
	struct vmac_server_info info;
	assert_int_equal(vmac_hello(c, "test_libvmaclient", &info), 0);
	assert_int_equal(info.version, VMAC_PROTOCOL_VERSION);
	assert_true(strncmp(info.server, "vmad", 4) == 0);
	assert_int_equal(vmac_ping(c), 0);
	assert_int_equal(vmac_conn_error(c), 0);
	assert_string_equal(vmac_errmsg(c), "");
	assert_non_null(vmac_version());
	vmac_close(c);
}

static void
test_create_destroy_list(void **state)
{
	(void)state;
	struct vmac_create_opts o;
	vmac_create_opts_init(&o);
	o.set = VMAC_OPT_MODE;
	o.mode = 0640;
	o.with_stack = true;
	struct vmac_conn *c = tlib_space("cd", &o);
	assert_int_equal(vmac_create(c, "cd", NULL), -EEXIST);
	assert_true(strlen(vmac_errmsg(c)) > 0);
	assert_int_equal(vmac_conn_error(c), 0);

	const struct vmac_space *s;
	size_t n, i;
	assert_int_equal(vmac_list(c, &s, &n), 0);
	for (i = 0; i < n && strcmp(s[i].name, "cd") != 0; i++)
		;
	assert_true(i < n);
	assert_int_equal(s[i].mode, 0640);
	assert_int_equal(s[i].uid, getuid());
	assert_int_equal(s[i].map_count, 1); /* the [stack] */
	assert_true(s[i].vm_size_kb > 0);

	assert_int_equal(vmac_destroy(c, "cd"), 0);
	assert_int_equal(vmac_destroy(c, "cd"), -ENOENT);
	assert_int_equal(vmac_create(c, NULL, NULL), -EINVAL);
	o.layout = (enum vmac_layout)7;
	assert_int_equal(vmac_create(c, "bad", &o), -EINVAL);
	vmac_close(c);
}

static void
test_mmap_find(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_space("mf", NULL);
	uint64_t a = 0, b = 0;
	assert_int_equal(vmac_mmap(c, "mf", 0, 16 * PAGE, RW, ANON, NULL, 0, &a), 0);
	assert_int_equal(a, MMAP_TOP - 16 * PAGE);
	assert_int_equal(vmac_mmap(c, "mf", 0x10000000, PAGE, VMAC_PROT_READ, ANON | VMAC_MAP_FIXED,
				   NULL, 0, &b),
			 0);
	assert_int_equal(b, 0x10000000);
	assert_int_equal(vmac_mmap(c, "mf", 0x10000000, PAGE, VMAC_PROT_READ,
				   ANON | VMAC_MAP_FIXED_NOREPLACE, NULL, 0, NULL),
			 -EEXIST);
	assert_int_equal(vmac_mmap(c, "mf", 0, 0, RW, ANON, NULL, 0, NULL), -EINVAL);

	struct vmac_vma v, p;
	assert_int_equal(vmac_find_vma(c, "mf", 0, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.start, 0x10000000);
	assert_int_equal(v.end, 0x10001000);
	assert_string_equal(v.perms, "r--p");
	assert_true(v.flags & VMAC_VM_READ);
	assert_false(v.flags & VMAC_VM_WRITE);
	assert_string_equal(v.path, "");
	assert_true(strncmp(v.line, "10000000-10001000 r--p 00000000 00:00 0", 39) == 0);

	assert_int_equal(vmac_find_vma_prev(c, "mf", a, &v, &p), VMAC_FOUND_VMA | VMAC_FOUND_PREV);
	assert_int_equal(v.start, a);
	assert_int_equal(p.start, 0x10000000);
	assert_int_equal(vmac_find_vma_prev(c, "mf", 0x1000, &v, &p), VMAC_FOUND_VMA);

	assert_int_equal(vmac_find_vma_intersection(c, "mf", 0x10001000, a, &v), 0);
	assert_int_equal(vmac_find_vma_intersection(c, "mf", 0x10001000, a + 1, &v),
			 VMAC_FOUND_VMA);
	assert_int_equal(v.start, a);
	assert_int_equal(vmac_find_vma(c, "mf", MMAP_TOP, &v), 0);
	assert_int_equal(vmac_find_vma(c, "nope", 0, &v), -ENOENT);
	assert_string_equal(vmac_errmsg(c), "no address space named 'nope'");
	assert_int_equal(vmac_find_vma(c, "bad/name", 0, &v), -EINVAL);
	assert_true(strstr(vmac_errmsg(c), "invalid space name") != NULL);
	/* Queued in a pipeline, the same answers (local mode answers a lone find directly). */
	struct vmac_vma q;
	int result;
	assert_int_equal(vmac_pipeline_begin(c), 0);
	assert_int_equal(vmac_find_vma(c, "mf", 0x10000000, &q), 0);
	assert_int_equal(vmac_find_vma(c, "nope", 0, &q), 0);
	assert_int_equal(vmac_pipeline_end(c), 2);
	assert_int_equal(vmac_pipeline_next(c, &result), 1);
	assert_int_equal(result, VMAC_FOUND_VMA);
	assert_int_equal(q.start, 0x10000000);
	/* Not while replies wait, in either mode. */
	assert_int_equal(vmac_find_vma(c, "mf", 0x10000000, &v), -EBUSY);
	assert_int_equal(vmac_pipeline_next(c, &result), 1);
	assert_int_equal(result, -ENOENT);
	assert_int_equal(vmac_pipeline_next(c, &result), 0);
	assert_int_equal(vmac_find_vma(c, "mf", 0x10000000, &v), VMAC_FOUND_VMA);
	tlib_done(c, "mf");
}

static void
assert_vma_equal(const struct vmac_vma *a, const struct vmac_vma *b)
{
	assert_int_equal(a->start, b->start);
	assert_int_equal(a->end, b->end);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->pgoff, b->pgoff);
	assert_string_equal(a->perms, b->perms);
	assert_int_equal(a->offset, b->offset);
	assert_int_equal(a->dev_major, b->dev_major);
	assert_int_equal(a->dev_minor, b->dev_minor);
	assert_int_equal(a->ino, b->ino);
	assert_int_equal(a->rss_kb, b->rss_kb);
	assert_string_equal(a->path, b->path);
	assert_string_equal(a->line, b->line);
}

/* The strings of v copied into k, which outlives the connection's next call. */
struct kept_vma {
	struct vmac_vma v;
	char line[512], path[512];
};

static void
keep_vma(struct kept_vma *k, const struct vmac_vma *v)
{
	k->v = *v;
	snprintf(k->line, sizeof(k->line), "%s", v->line);
	snprintf(k->path, sizeof(k->path), "%s", v->path);
	k->v.line = k->line;
	k->v.path = k->path;
}

/*
 * A lone find (in local mode answered from the engine without a request) and the same find
 * queued in a pipeline (a request and its reply in both modes) give the same VMA, field by
 * field, for every kind of VMA and every mode.
 */
static void
test_find_lone_pipelined(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_space("fl", NULL);
	struct vmac_file f = { .path = "/usr/lib/libfl.so",
			       .mode = VMAC_FMODE_READ,
			       .dev_major = 8,
			       .dev_minor = 3,
			       .ino = 77,
			       .size = 64 * PAGE,
			       .size_known = true };
	struct vmac_vma v, p, qv, qp;
	struct kept_vma kv, kp;
	uint64_t a, addr;
	int result, r;

	assert_int_equal(vmac_mmap(c, "fl", 0, 4 * PAGE, VMAC_PROT_READ | VMAC_PROT_EXEC,
				   VMAC_MAP_PRIVATE, &f, 2 * PAGE, &a),
			 0);
	assert_int_equal(vmac_mmap(c, "fl", 0, 3 * PAGE, RW, VMAC_MAP_SHARED | VMAC_MAP_ANONYMOUS,
				   NULL, 0, NULL),
			 0);
	assert_int_equal(vmac_mmap(c, "fl", 0, 8 * PAGE, RW, ANON, NULL, 0, &a), 0);
	assert_int_equal(vmac_populate(c, "fl", a, 3 * PAGE, true), 0);
	for (addr = 0; (r = vmac_find_vma(c, "fl", addr, &v)) == VMAC_FOUND_VMA; addr = v.end) {
		for (int mode = 0; mode < 3; mode++) {
			r = mode == 0   ? vmac_find_vma(c, "fl", v.start, &v)
			    : mode == 1 ? vmac_find_vma_prev(c, "fl", v.start, &v, &p)
					: vmac_find_vma_intersection(c, "fl", v.start, v.end, &v);
			keep_vma(&kv, &v);
			if (r & VMAC_FOUND_PREV)
				keep_vma(&kp, &p);
			assert_int_equal(vmac_pipeline_begin(c), 0);
			assert_int_equal(
				mode == 0 ? vmac_find_vma(c, "fl", v.start, &qv)
				: mode == 1
					? vmac_find_vma_prev(c, "fl", v.start, &qv, &qp)
					: vmac_find_vma_intersection(c, "fl", v.start, v.end, &qv),
				0);
			assert_int_equal(vmac_pipeline_end(c), 1);
			assert_int_equal(vmac_pipeline_next(c, &result), 1);
			assert_int_equal(result, r);
			assert_vma_equal(&kv.v, &qv);
			if (r & VMAC_FOUND_PREV)
				assert_vma_equal(&kp.v, &qp);
			v = kv.v;
		}
	}
	assert_int_equal(r, 0);
	assert_true(addr > a);
	tlib_done(c, "fl");
}

static void
test_file_mapping(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_space("fm", NULL);
	struct vmac_file f = { .path = "/usr/lib/libdemo.so",
			       .mode = VMAC_FMODE_READ,
			       .dev_major = 8,
			       .dev_minor = 1,
			       .ino = 4242,
			       .size = 64 * PAGE,
			       .size_known = true };
	uint64_t a;
	assert_int_equal(
		vmac_mmap(c, "fm", 0, 2 * PAGE, VMAC_PROT_READ, VMAC_MAP_PRIVATE, &f, PAGE, &a), 0);
	struct vmac_vma v;
	assert_int_equal(vmac_find_vma(c, "fm", a, &v), VMAC_FOUND_VMA);
	assert_string_equal(v.path, "/usr/lib/libdemo.so");
	assert_int_equal(v.dev_major, 8);
	assert_int_equal(v.dev_minor, 1);
	assert_int_equal(v.ino, 4242);
	assert_int_equal(v.offset, PAGE);
	assert_int_equal(v.pgoff, 1);
	assert_non_null(strstr(v.line, " 00001000 08:01 4242 "));
	/* Opened read-only: a shared writable mapping is refused as the kernel refuses it. */
	assert_int_equal(vmac_mmap(c, "fm", 0, PAGE, RW, VMAC_MAP_SHARED, &f, 0, NULL), -EACCES);
	tlib_done(c, "fm");
}

/*
 * Open files (0.2): a file grown after its first mmap still merges and faults in to its new
 * end; a truncate makes faults beyond it SIGBUS; unlink shows " (deleted)"; close ends the id.
 */
static void
test_open_files(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_space("of", NULL);
	struct vmac_file_info f;
	enum vmac_fault_result fr;
	uint64_t id, a, b, brk;
	struct vmac_vma v;

	vmac_file_info_init(&f);
	f.path = "/data/grows";
	f.dev_major = 254;
	f.ino = 7;
	f.size = 64 * 1024;
	f.size_known = true;
	assert_int_equal(vmac_file_open(c, "of", &f, &id), 0);
	assert_true(id != 0);
	vmac_file_info_init(&f);
	f.id = id;
	assert_int_equal(vmac_mmap_file(c, "of", 0x10000000, 32 * PAGE, VMAC_PROT_READ,
					VMAC_MAP_SHARED | VMAC_MAP_FIXED, &f, 0, &a),
			 0);
	assert_int_equal(vmac_fault(c, "of", a + 24 * PAGE, VMAC_ACCESS_READ, &fr), 0);
	assert_int_equal(fr, VMAC_FAULT_SIGBUS);
	assert_int_equal(vmac_file_set_size(c, "of", id, 128 * 1024), 0);
	assert_int_equal(vmac_fault(c, "of", a + 24 * PAGE, VMAC_ACCESS_READ, &fr), 0);
	assert_int_equal(fr, VMAC_FAULT_OK);
	assert_int_equal(vmac_mmap_file(c, "of", a + 32 * PAGE, 4 * PAGE, VMAC_PROT_READ,
					VMAC_MAP_SHARED | VMAC_MAP_FIXED, &f, 32 * PAGE, &b),
			 0);
	assert_int_equal(vmac_find_vma(c, "of", a, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.end, b + 4 * PAGE);
	assert_int_equal(vmac_file_set_size(c, "of", id, 4 * PAGE), 0);
	assert_int_equal(vmac_fault(c, "of", a + 8 * PAGE, VMAC_ACCESS_READ, &fr), 0);
	assert_int_equal(fr, VMAC_FAULT_SIGBUS);
	assert_int_equal(vmac_file_unlink(c, "of", id), 0);
	assert_int_equal(vmac_find_vma(c, "of", a, &v), VMAC_FOUND_VMA);
	assert_non_null(strstr(v.line, "/data/grows (deleted)"));
	assert_int_equal(vmac_file_close(c, "of", id), 0);
	assert_int_equal(vmac_file_close(c, "of", id), -EBADF);
	assert_int_equal(
		vmac_mmap_file(c, "of", 0, PAGE, VMAC_PROT_READ, VMAC_MAP_PRIVATE, &f, 0, NULL),
		-EBADF);
	/* /dev/zero shared through a writable open: shared anonymous memory, never merging. */
	vmac_file_info_init(&f);
	f.path = "/dev/zero";
	f.kind = VMAC_FILE_DEV_ZERO;
	assert_int_equal(vmac_mmap_file(c, "of", 0x20000000, 2 * PAGE, RW,
					VMAC_MAP_SHARED | VMAC_MAP_FIXED, &f, 0, &a),
			 0);
	assert_int_equal(vmac_mmap_file(c, "of", 0x20002000, 2 * PAGE, RW,
					VMAC_MAP_SHARED | VMAC_MAP_FIXED, &f, 2 * PAGE, &b),
			 0);
	assert_int_equal(vmac_find_vma(c, "of", b, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.start, b);
	assert_non_null(strstr(v.line, " 00002000 00:01 "));
	assert_non_null(strstr(v.line, "/dev/zero (deleted)"));
	/* The break, set after the fact. */
	assert_int_equal(vmac_set_brk(c, "of", 0x555555555000ULL, 0x555555555000ULL), 0);
	assert_int_equal(vmac_brk(c, "of", 0, &brk), 0);
	assert_int_equal(brk, 0x555555555000ULL);
	assert_int_equal(vmac_set_brk(c, "of", 0x555555555001ULL, 0x555555556000ULL), -EINVAL);
	tlib_done(c, "of");
}

/*
 * vmac_create_ext (0.2): READ_IMPLIES_EXEC makes a readable mapping executable, as do_mmap()
 * does; personality bits and features that are not modelled, and reserved words that are not
 * zero, are refused rather than ignored.
 */
/* Many VMAs that cannot merge (alternating protections, one page apart). */
static void
fill(struct vmac_conn *c, const char *name, int n)
{
	int result;
	assert_int_equal(vmac_pipeline_begin(c), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(vmac_mmap(c, name, 0x10000000 + (uint64_t)i * 2 * PAGE, PAGE,
					   i % 2 ? VMAC_PROT_READ : RW, ANON | VMAC_MAP_FIXED, NULL,
					   0, NULL),
				 0);
	assert_int_equal(vmac_pipeline_end(c), n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(vmac_pipeline_next(c, &result), 1);
		assert_int_equal(result, 0);
	}
	assert_int_equal(vmac_pipeline_next(c, &result), 0);
}

static void
test_maps_paging(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_space("mp", NULL);
	fill(c, "mp", 300);
	/* 300 VMAs and the [vsyscall] line, whatever the page size. */
	assert_int_equal(tlib_count_vmas(c, "mp", 7), 301);
	assert_int_equal(tlib_count_vmas(c, "mp", 1), 301);
	assert_int_equal(tlib_count_vmas(c, "mp", 0), 301);

	struct vmac_maps_iter *it;
	struct vmac_vma v;
	uint64_t last = 0;
	int n = 0;
	assert_int_equal(vmac_maps_open(c, "mp", 0x10000000 + 100 * 2 * PAGE, 16, &it), 0);
	while (vmac_maps_next(it, &v) > 0) {
		assert_true(v.start >= last);
		/* Other calls may be made between steps. */
		assert_int_equal(vmac_ping(c), 0);
		last = v.end;
		n++;
	}
	vmac_maps_close(it);
	assert_int_equal(n, 201);
	assert_int_equal(vmac_maps_open(c, "nope", 0, 0, &it), -ENOENT);
	vmac_maps_close(NULL);
	tlib_done(c, "mp");
}

static void
test_pipeline(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_space("pl", NULL);
	enum { N = 2000 };
	static uint64_t addr[N];
	int result;
	struct vmac_vma v;
	enum vmac_fault_result fr = VMAC_FAULT_OK;

	assert_int_equal(vmac_pipeline_begin(c), 0);
	assert_int_equal(vmac_pipeline_begin(c), -EBUSY);
	for (int i = 0; i < N; i++)
		assert_int_equal(vmac_mmap(c, "pl", 0, PAGE, i % 2 ? VMAC_PROT_READ : RW, ANON,
					   NULL, 0, &addr[i]),
				 0);
	assert_int_equal(vmac_munmap(c, "pl", 0x1001, PAGE), 0); /* queued; refused later */
	assert_int_equal(vmac_find_vma(c, "pl", 0, &v), 0);
	assert_int_equal(vmac_fault(c, "pl", 0x1000, VMAC_ACCESS_READ, &fr), 0);
	assert_int_equal(vmac_pipeline_end(c), N + 3);
	assert_int_equal(vmac_ping(c), -EBUSY);
	for (int i = 0; i < N; i++) {
		assert_int_equal(vmac_pipeline_next(c, &result), 1);
		assert_int_equal(result, 0);
		assert_int_equal(addr[i], MMAP_TOP - (uint64_t)(i + 1) * PAGE);
	}
	assert_int_equal(vmac_pipeline_next(c, &result), 1);
	assert_int_equal(result, -EINVAL);
	assert_int_equal(vmac_pipeline_next(c, &result), 1);
	assert_int_equal(result, VMAC_FOUND_VMA);
	assert_int_equal(v.start, addr[N - 1]);
	assert_int_equal(vmac_pipeline_next(c, &result), 1);
	assert_int_equal(result, 0);
	assert_int_equal(fr, VMAC_FAULT_SEGV_MAPERR);
	assert_int_equal(vmac_pipeline_next(c, &result), 0);
	assert_int_equal(vmac_ping(c), 0);
	assert_int_equal(vmac_pipeline_end(c), -EINVAL);
	tlib_done(c, "pl");
}

static void
test_bad_arguments(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_conn();
	struct vmac_vma v;
	enum vmac_fault_result r;
	struct vmac_file f = { 0 };
	assert_int_equal(vmac_mmap(c, NULL, 0, PAGE, RW, ANON, NULL, 0, NULL), -EINVAL);
	assert_int_equal(vmac_mmap(c, "x", 0, PAGE, RW, 0, &f, 0, NULL), -EINVAL);
	assert_int_equal(vmac_find_vma(c, "x", 0, NULL), -EINVAL);
	assert_int_equal(vmac_find_vma_prev(c, "x", 0, &v, NULL), -EINVAL);
	assert_int_equal(vmac_fault(c, "x", 0, VMAC_ACCESS_READ, NULL), -EINVAL);
	assert_int_equal(vmac_fault(c, NULL, 0, VMAC_ACCESS_READ, &r), -EINVAL);
	assert_int_equal(vmac_list(c, NULL, NULL), -EINVAL);
	assert_int_equal(vmac_pipeline_next(c, NULL), -EINVAL);
	assert_int_equal(vmac_watch_next(c, NULL, 0), -EINVAL);
	assert_int_equal(vmac_ping(NULL), -EINVAL);
	assert_int_equal(vmac_conn_error(c), 0);
	vmac_close(c);
}

/* The daemon closes after an oversized request; its reason is the connection's error. */
static void
test_oversized_request(void **state)
{
	(void)state;
	tlib_socket_only();
	struct vmac_conn *c = tlib_conn();
	size_t n = 2u << 20; /* twice the daemon's default frame limit */
	char *text = malloc(n + 1);
	assert_non_null(text);
	memset(text, '#', n);
	text[n] = '\0';
	assert_int_equal(vmac_import(c, "big", text, NULL), -EMSGSIZE);
	free(text);
	assert_int_equal(vmac_conn_error(c), -EMSGSIZE);
	assert_int_equal(vmac_ping(c), -EMSGSIZE);
	assert_int_equal(vmac_reconnect(c), 0);
	assert_int_equal(vmac_ping(c), 0);
	vmac_close(c);
}

/* A second daemon of our own, to kill. */
static struct tvmad victim;

static int
victim_up(void **state)
{
	(void)state;
	return tlib_local ? 0 : tvmad_start(&victim);
}

static int
victim_down(void **state)
{
	(void)state;
	if (!tlib_local)
		tvmad_stop(&victim);
	return 0;
}

static struct vmac_conn *
victim_conn(void)
{
	struct vmac_conn *c = NULL;
	assert_int_equal(vmac_connect(victim.sock, &c), 0);
	return c;
}

static bool
is_lost(int rc)
{
	return rc == -EPIPE || rc == -ECONNRESET;
}

/* Kill the daemon after delay_ms from a child process, while the caller waits on it. */
static pid_t
kill_later(pid_t target, int delay_ms)
{
	pid_t k = fork();
	if (k == 0) {
		usleep((useconds_t)delay_ms * 1000);
		kill(target, SIGKILL);
		_exit(0);
	}
	return k;
}

static void
test_daemon_dies(void **state)
{
	(void)state;
	tlib_socket_only();
	struct vmac_conn *c = victim_conn();
	struct vmac_conn *idle = victim_conn();
	assert_int_equal(vmac_create(c, "d", NULL), 0);

	/* Stopped daemon: the call waits; the daemon dies under it. */
	tvmad_signal(&victim, SIGSTOP);
	pid_t k = kill_later(victim.pid, 200);
	int rc = vmac_ping(c);
	assert_true(is_lost(rc));
	assert_int_equal(vmac_conn_error(c), rc);
	assert_int_equal(vmac_mmap(c, "d", 0, PAGE, RW, ANON, NULL, 0, NULL), rc);
	waitpid(k, NULL, 0);
	tvmad_signal(&victim, SIGKILL);

	/* A connection that was idle when it died: the send itself fails, without SIGPIPE. */
	for (int i = 0; i < 3 && rc != -EPIPE; i++)
		rc = vmac_ping(idle);
	assert_true(is_lost(rc));
	assert_int_equal(vmac_reconnect(idle), -ECONNREFUSED);

	/* Back on the same socket: reconnecting is the caller's decision. */
	assert_int_equal(tvmad_restart(&victim), 0);
	assert_int_equal(vmac_reconnect(c), 0);
	assert_int_equal(vmac_conn_error(c), 0);
	assert_int_equal(vmac_ping(c), 0);
	vmac_close(idle);
	vmac_close(c);
}

static void
test_daemon_dies_in_pipeline(void **state)
{
	(void)state;
	tlib_socket_only();
	struct vmac_conn *c = victim_conn();
	assert_int_equal(vmac_create(c, "p", NULL), 0);
	tvmad_signal(&victim, SIGSTOP);
	/* More than the socket buffers hold, so that sending blocks until the daemon dies. */
	assert_int_equal(vmac_pipeline_begin(c), 0);
	pid_t k = kill_later(victim.pid, 300);
	int rc = 0;
	for (int i = 0; i < 200000 && rc == 0; i++)
		rc = vmac_mmap(c, "p", 0, PAGE, RW, ANON, NULL, 0, NULL);
	if (rc == 0)
		rc = vmac_pipeline_end(c);
	waitpid(k, NULL, 0);
	assert_true(is_lost(rc));
	int result;
	assert_true(is_lost(vmac_pipeline_next(c, &result)));
	tvmad_signal(&victim, SIGKILL);
	assert_int_equal(tvmad_restart(&victim), 0);
	vmac_close(c);
}

static void
test_timeout(void **state)
{
	(void)state;
	tlib_socket_only();
	struct vmac_conn *c = victim_conn();
	tvmad_signal(&victim, SIGSTOP);
	vmac_set_timeout(c, 200);
	assert_int_equal(vmac_ping(c), -ETIMEDOUT);
	assert_int_equal(vmac_conn_error(c), -ETIMEDOUT);
	tvmad_signal(&victim, SIGCONT);
	assert_int_equal(vmac_reconnect(c), 0);
	assert_int_equal(vmac_ping(c), 0);
	vmac_close(c);
}

/* Local connections share one engine, which ends with the last of them. */
static void
test_local_engine(void **state)
{
	(void)state;
	if (!tlib_local)
		skip();
	struct vmac_conn *a = tlib_conn(), *b = tlib_conn();
	struct vmac_vma v;
	uint64_t x;
	assert_int_equal(vmac_create(a, "le", NULL), 0);
	assert_int_equal(vmac_mmap(b, "le", 0, PAGE, RW, ANON, NULL, 0, &x), 0);
	assert_int_equal(vmac_find_vma(a, "le", 0, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.start, x);
	/* A reply's strings stay valid while another connection is used. */
	assert_int_equal(vmac_find_vma(b, "nope", 0, &v), -ENOENT);
	assert_true(strncmp(v.line, "7ffff7ffe000-7ffff7fff000 rw-p", 30) == 0);
	assert_true(vmac_fd(a) >= 0);
	assert_int_equal(vmac_reconnect(a), 0);
	assert_int_equal(vmac_find_vma(a, "le", 0, &v), VMAC_FOUND_VMA);
	vmac_close(a);
	vmac_close(b);
	a = tlib_conn();
	assert_int_equal(vmac_find_vma(a, "le", 0, &v), -ENOENT);
	vmac_close(a);
}

static int
setup(void **state)
{
	(void)state;
	return tlib_local ? 0 : tvmad_start(&tlib_vm);
}

static int
teardown(void **state)
{
	(void)state;
	if (!tlib_local)
		tvmad_stop(&tlib_vm);
	return 0;
}

int
main(void)
{
	const char *mode = getenv("VMAC_TEST_LOCAL");
	tlib_local = mode && strcmp(mode, "1") == 0;
	alarm(300);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_errors),
		cmocka_unit_test(test_hello_ping),
		cmocka_unit_test(test_create_destroy_list),
		cmocka_unit_test(test_mmap_find),
		cmocka_unit_test(test_find_lone_pipelined),
		cmocka_unit_test(test_file_mapping),
		cmocka_unit_test(test_open_files),
		cmocka_unit_test(test_maps_paging),
		cmocka_unit_test(test_pipeline),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_local_engine),
		cmocka_unit_test(test_oversized_request),
		cmocka_unit_test_setup_teardown(test_daemon_dies, victim_up, victim_down),
		cmocka_unit_test_setup_teardown(test_daemon_dies_in_pipeline, victim_up,
						victim_down),
		cmocka_unit_test_setup_teardown(test_timeout, victim_up, victim_down),
	};
	const size_t n = sizeof(tests) / sizeof(tests[0]);
	struct CMUnitTest all[sizeof(tests) / sizeof(tests[0]) + 64];

	/* One group, so that one daemon serves both files' tests and TAP has one plan. */
	if (n + tlib_calls_count > sizeof(all) / sizeof(all[0]))
		return 1;
	memcpy(all, tests, sizeof(tests));
	memcpy(all + n, tlib_calls_tests, tlib_calls_count * sizeof(all[0]));
	return _cmocka_run_group_tests("libvmaclient", all, n + tlib_calls_count, setup, teardown);
}
