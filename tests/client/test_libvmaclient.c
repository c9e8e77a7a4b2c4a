/* SPDX-License-Identifier: MIT */
/*
 * libvmaclient against a real vmad: every call, its error paths, pipelining, maps paging,
 * watching, and a daemon that dies or stalls mid-call.  SIGPIPE keeps its default action on
 * purpose: a library that let it through would kill this test.
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

#include "tvmad.h"
#include "vmaclient.h"

#define PAGE     4096ULL
#define MMAP_TOP 0x7ffff7fff000ULL /* mmap_base of a default x86_64 space */
#define ANON     (VMAC_MAP_PRIVATE | VMAC_MAP_ANONYMOUS)
#define RW       (VMAC_PROT_READ | VMAC_PROT_WRITE)

static struct tvmad vm;
static bool local_mode;

static struct vmac_conn *
conn(void)
{
	struct vmac_conn *c = NULL;
	if (local_mode)
		assert_int_equal(vmac_open_local(&c), 0);
	else
		assert_int_equal(vmac_connect(vm.sock, &c), 0);
	assert_non_null(c);
	return c;
}

/* A test of the transport: nothing to test in local mode. */
static void
socket_only(void)
{
	if (local_mode)
		skip();
}

/* A fresh space named after the test, destroyed at the end by the caller. */
static struct vmac_conn *
space(const char *name, const struct vmac_create_opts *o)
{
	struct vmac_conn *c = conn();
	assert_int_equal(vmac_create(c, name, o), 0);
	return c;
}

static void
done(struct vmac_conn *c, const char *name)
{
	assert_int_equal(vmac_destroy(c, name), 0);
	vmac_close(c);
}

static int
count_vmas(struct vmac_conn *c, const char *name, uint32_t page)
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
	socket_only();
	struct vmac_conn *c = NULL;
	char path[256];
	snprintf(path, sizeof(path), "%s/nothing-here", vm.dir);
	assert_int_equal(vmac_connect(path, &c), -ENOENT);
	memset(path, 'x', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(vmac_connect(path, &c), -ENAMETOOLONG);
	assert_null(c);
	setenv("VMAD_SOCKET", vm.sock, 1);
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
	struct vmac_conn *c = conn();
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
	struct vmac_conn *c = space("cd", &o);
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
	struct vmac_conn *c = space("mf", NULL);
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
	done(c, "mf");
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
	struct vmac_conn *c = space("fl", NULL);
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
	done(c, "fl");
}

static void
test_file_mapping(void **state)
{
	(void)state;
	struct vmac_conn *c = space("fm", NULL);
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
	done(c, "fm");
}

/*
 * Open files (0.2): a file grown after its first mmap still merges and faults in to its new
 * end; a truncate makes faults beyond it SIGBUS; unlink shows " (deleted)"; close ends the id.
 */
static void
test_open_files(void **state)
{
	(void)state;
	struct vmac_conn *c = space("of", NULL);
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
	done(c, "of");
}

/*
 * vmac_create_ext (0.2): READ_IMPLIES_EXEC makes a readable mapping executable, as do_mmap()
 * does; personality bits and features that are not modelled, and reserved words that are not
 * zero, are refused rather than ignored.
 */
static void
test_create_ext(void **state)
{
	(void)state;
	struct vmac_conn *c = conn();
	struct vmac_create_ext x = { .personality = VMAC_PER_READ_IMPLIES_EXEC };
	struct vmac_vma v;
	uint64_t a;

	assert_int_equal(vmac_create_ext(c, "px", NULL, &x), 0);
	assert_int_equal(vmac_mmap(c, "px", 0, PAGE, VMAC_PROT_READ, ANON, NULL, 0, &a), 0);
	assert_int_equal(vmac_find_vma(c, "px", a, &v), VMAC_FOUND_VMA);
	assert_true(v.flags & VMAC_VM_EXEC);
	x.personality = 0x0100000u; /* MMAP_PAGE_ZERO */
	assert_int_equal(vmac_create_ext(c, "py", NULL, &x), -EINVAL);
	x.personality = 0;
	x.reserved[3] = 1;
	assert_int_equal(vmac_create_ext(c, "py", NULL, &x), -EINVAL);
	assert_int_equal(vmac_create_ext(c, "py", NULL, NULL), 0);
	assert_int_equal(vmac_mmap(c, "py", 0, PAGE, VMAC_PROT_READ, ANON, NULL, 0, &a), 0);
	assert_int_equal(vmac_find_vma(c, "py", a, &v), VMAC_FOUND_VMA);
	assert_false(v.flags & VMAC_VM_EXEC);
	assert_int_equal(vmac_destroy(c, "py"), 0);
	/* ADDR_COMPAT_LAYOUT: bottom-up from TASK_UNMAPPED_BASE, as the kernel lays it out. */
	x.reserved[3] = 0;
	x.personality = VMAC_PER_ADDR_COMPAT_LAYOUT;
	assert_int_equal(vmac_create_ext(c, "pz", NULL, &x), 0);
	assert_int_equal(vmac_mmap(c, "pz", 0, PAGE, VMAC_PROT_READ, ANON, NULL, 0, &a), 0);
	assert_int_equal(a, 0x2aaaaaaab000ULL);
	assert_int_equal(vmac_destroy(c, "pz"), 0);
	done(c, "px");
}

/* mseal (0.2): sealed mappings refuse munmap and mprotect; the watcher hears of the seal. */
static void
test_mseal(void **state)
{
	(void)state;
	struct vmac_conn *c = space("ms", NULL), *w = conn();
	struct vmac_event ev;
	struct vmac_vma v;
	uint64_t a;

	assert_int_equal(vmac_watch(w, "ms"), 0);
	assert_int_equal(
		vmac_mmap(c, "ms", 0x10000000, 4 * PAGE, RW, ANON | VMAC_MAP_FIXED, NULL, 0, &a),
		0);
	assert_int_equal(vmac_mseal(c, "ms", a + PAGE, PAGE, 1), -EINVAL);
	assert_int_equal(vmac_mseal(c, "ms", a + PAGE, PAGE, 0), 0);
	assert_int_equal(vmac_munmap(c, "ms", a, 4 * PAGE), -EPERM);
	assert_int_equal(vmac_mprotect(c, "ms", a + PAGE, PAGE, VMAC_PROT_READ), -EPERM);
	assert_int_equal(vmac_find_vma(c, "ms", a + PAGE, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.start, a + PAGE);
	assert_int_equal(v.end, a + 2 * PAGE);
	assert_true(v.flags & (1ULL << 42));
	assert_int_equal(vmac_mseal(c, "ms", a + 8 * PAGE, PAGE, 0), -ENOMEM);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_MMAP);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_MSEAL);
	assert_string_equal(vmac_event_kind_name(ev.kind), "mseal");
	assert_int_equal(ev.start, a + PAGE);
	vmac_close(w);
	done(c, "ms");
}

/*
 * mlockall/munlockall (0.2): MCL_CURRENT locks what is mapped, MCL_FUTURE what is mapped
 * later; the watcher hears of both calls.
 */
static void
test_mlockall(void **state)
{
	(void)state;
	struct vmac_conn *c = space("mla", NULL), *w = conn();
	struct vmac_event ev;
	struct vmac_status st;
	struct vmac_vma v;
	uint64_t a, b;

	assert_int_equal(vmac_watch(w, "mla"), 0);
	assert_int_equal(
		vmac_mmap(c, "mla", 0x10000000, 4 * PAGE, RW, ANON | VMAC_MAP_FIXED, NULL, 0, &a),
		0);
	assert_int_equal(vmac_mlockall(c, "mla", VMAC_MCL_ONFAULT), -EINVAL);
	assert_int_equal(vmac_mlockall(c, "mla", 0), -EINVAL);
	assert_int_equal(vmac_mlockall(c, "mla", VMAC_MCL_CURRENT), 0);
	assert_int_equal(vmac_status(c, "mla", &st), 0);
	assert_int_equal(st.vm_lck, 16);
	assert_int_equal(st.rss_anon, 16);
	assert_int_equal(vmac_mlockall(c, "mla", VMAC_MCL_FUTURE | VMAC_MCL_ONFAULT), 0);
	assert_int_equal(vmac_mmap(c, "mla", 0, 2 * PAGE, RW, ANON, NULL, 0, &b), 0);
	assert_int_equal(vmac_find_vma(c, "mla", b, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.flags & (VMAC_VM_LOCKED | VMAC_VM_LOCKONFAULT),
			 VMAC_VM_LOCKED | VMAC_VM_LOCKONFAULT);
	assert_int_equal(vmac_munlockall(c, "mla"), 0);
	assert_int_equal(vmac_status(c, "mla", &st), 0);
	assert_int_equal(st.vm_lck, 0);
	assert_int_equal(vmac_munlockall(c, "nosuch"), -ENOENT);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_MMAP);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_MLOCKALL);
	assert_string_equal(vmac_event_kind_name(ev.kind), "mlockall");
	assert_int_equal(ev.flags, VMAC_MCL_CURRENT);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.flags, VMAC_MCL_FUTURE | VMAC_MCL_ONFAULT);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_MMAP);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_MUNLOCKALL);
	vmac_close(w);
	done(c, "mla");
}

/*
 * Protection keys (0.2): a default space answers as a CPU without PKU; a VMAC_FEATURE_PKU one
 * hands out keys, the VMA's flags carry its key, watchers hear of each call.
 */
static void
test_pkeys(void **state)
{
	(void)state;
	struct vmac_conn *c = space("pk", NULL), *w = conn();
	struct vmac_create_ext x = { .features = VMAC_FEATURE_PKU };
	struct vmac_event ev;
	struct vmac_vma v;
	int k = -5;
	uint64_t a;

	assert_int_equal(vmac_pkey_alloc(c, "pk", 0, 0, &k), -EINVAL);
	assert_int_equal(vmac_pkey_alloc(c, "pk", 0, 0, &k), -ENOSPC);
	assert_int_equal(vmac_pkey_free(c, "pk", 0), -EINVAL);
	assert_int_equal(vmac_mmap(c, "pk", 0, 2 * PAGE, RW, ANON, NULL, 0, &a), 0);
	assert_int_equal(vmac_pkey_mprotect(c, "pk", a, PAGE, VMAC_PROT_READ, 0), -EINVAL);
	assert_int_equal(vmac_pkey_mprotect(c, "pk", a, PAGE, VMAC_PROT_READ, -1), 0);
	assert_int_equal(vmac_destroy(c, "pk"), 0);

	assert_int_equal(vmac_create_ext(c, "pk", NULL, &x), 0);
	assert_int_equal(vmac_watch(w, "pk"), 0);
	assert_int_equal(vmac_pkey_alloc(c, "pk", 0, VMAC_PKEY_DISABLE_WRITE, &k), 0);
	assert_int_equal(k, 1);
	assert_int_equal(vmac_mmap(c, "pk", 0, 2 * PAGE, RW, ANON, NULL, 0, &a), 0);
	assert_int_equal(vmac_pkey_mprotect(c, "pk", a, PAGE, VMAC_PROT_READ, k), 0);
	assert_int_equal(vmac_find_vma(c, "pk", a, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.end, a + PAGE);
	assert_int_equal((v.flags & VMAC_VM_PKEY_MASK) >> VMAC_VM_PKEY_SHIFT, 1);
	assert_int_equal(vmac_pkey_free(c, "pk", k), 0);
	assert_int_equal(vmac_pkey_free(c, "pk", k), -EINVAL);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_PKEY_ALLOC);
	assert_string_equal(vmac_event_kind_name(ev.kind), "pkey_alloc");
	assert_int_equal(ev.flags, 1);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_MMAP);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_PKEY_MPROTECT);
	assert_int_equal(ev.start, a);
	assert_int_equal(ev.flags, 1);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_PKEY_FREE);
	vmac_close(w);
	done(c, "pk");
}

/* smaps (0.2): the caller's own copy of the text, the rollup's sums, NULL text on failure. */
static void
test_smaps(void **state)
{
	(void)state;
	struct vmac_conn *c = space("sm", NULL);
	char *text = NULL;
	size_t len = 0;
	uint64_t a;

	assert_int_equal(
		vmac_mmap(c, "sm", 0x10000000, 4 * PAGE, RW, ANON | VMAC_MAP_FIXED, NULL, 0, &a),
		0);
	assert_int_equal(vmac_populate(c, "sm", a, 3 * PAGE, true), 0);
	assert_int_equal(vmac_smaps(c, "sm", false, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	assert_non_null(strstr(text, "10000000-10004000 rw-p 00000000 00:00 0 \nSize:"));
	assert_non_null(strstr(text, "\nAnonymous:            12 kB\n"));
	free(text);
	assert_int_equal(vmac_smaps(c, "sm", true, &text, NULL), 0);
	assert_non_null(strstr(text, "[rollup]\nRss:                  12 kB\n"));
	free(text);
	assert_int_equal(vmac_smaps(c, "none", true, &text, NULL), -ENOENT);
	assert_null(text);
	assert_int_equal(vmac_smaps(c, NULL, true, &text, NULL), -EINVAL);
	done(c, "sm");
}

/*
 * Anonymous VMA names (0.2): refused without the feature, as on a kernel without
 * CONFIG_ANON_VMA_NAME; with it, shown in maps, merged when equal, kept by save/restore.
 */
static void
test_anon_name(void **state)
{
	(void)state;
	struct vmac_create_ext ext = { .features = VMAC_FEATURE_ANON_VMA_NAME };
	struct vmac_conn *c = space("an", NULL), *w = conn();
	struct vmac_event ev;
	struct vmac_vma v;
	void *data = NULL;
	size_t len = 0;
	uint64_t a;

	assert_int_equal(
		vmac_mmap(c, "an", 0x10000000, 4 * PAGE, RW, ANON | VMAC_MAP_FIXED, NULL, 0, &a),
		0);
	assert_int_equal(vmac_set_vma_anon_name(c, "an", a, PAGE, "x"), -EINVAL);
	done(c, "an");
	c = conn();
	assert_int_equal(vmac_create_ext(c, "an", NULL, &ext), 0);
	assert_int_equal(vmac_watch(w, "an"), 0);
	assert_int_equal(
		vmac_mmap(c, "an", 0x10000000, 4 * PAGE, RW, ANON | VMAC_MAP_FIXED, NULL, 0, &a),
		0);
	assert_int_equal(vmac_set_vma_anon_name(c, "an", a + PAGE, PAGE, "x"), 0);
	assert_int_equal(vmac_set_vma_anon_name(c, "an", a + 2 * PAGE, PAGE, "x"), 0);
	assert_int_equal(vmac_set_vma_anon_name(c, "an", a, PAGE, "bad]"), -EINVAL);
	assert_int_equal(vmac_set_vma_anon_name(c, "an", a, 8 * PAGE, NULL), -ENOMEM);
	assert_int_equal(count_vmas(c, "an", 0), 2); /* the VMA and [vsyscall] */
	assert_int_equal(vmac_set_vma_anon_name(c, "an", a + PAGE, 2 * PAGE, "x"), 0);
	assert_int_equal(vmac_find_vma(c, "an", a + PAGE, &v), VMAC_FOUND_VMA);
	assert_string_equal(v.path, "[anon:x]");
	assert_int_equal(v.end, a + 3 * PAGE);
	assert_int_equal(vmac_save(c, "an", &data, &len), 0);
	assert_int_equal(vmac_restore(c, "an2", data, len, 0600), 0);
	free(data);
	assert_int_equal(vmac_find_vma(c, "an2", a + PAGE, &v), VMAC_FOUND_VMA);
	assert_string_equal(v.path, "[anon:x]");
	assert_int_equal(vmac_destroy(c, "an2"), 0);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_MMAP);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_SET_VMA_ANON_NAME);
	assert_string_equal(vmac_event_kind_name(ev.kind), "set_vma_anon_name");
	assert_int_equal(ev.start, a + PAGE);
	vmac_close(w);
	done(c, "an");
}

static void
test_change_calls(void **state)
{
	(void)state;
	struct vmac_conn *c = space("cc", NULL);
	uint64_t a, n;
	assert_int_equal(vmac_mmap(c, "cc", 0, 8 * PAGE, RW, ANON, NULL, 0, &a), 0);
	assert_int_equal(vmac_mprotect(c, "cc", a, PAGE, VMAC_PROT_READ), 0);
	assert_int_equal(count_vmas(c, "cc", 0), 3); /* two VMAs and [vsyscall] */
	assert_int_equal(vmac_mprotect(c, "cc", a + 1, PAGE, VMAC_PROT_READ), -EINVAL);
	assert_int_equal(vmac_munmap(c, "cc", a, PAGE), 0);
	assert_int_equal(count_vmas(c, "cc", 0), 2);
	/* Something right above the mapping, so that it cannot grow in place. */
	assert_int_equal(vmac_mmap(c, "cc", a + 8 * PAGE, PAGE, VMAC_PROT_READ,
				   ANON | VMAC_MAP_FIXED, NULL, 0, NULL),
			 0);
	assert_int_equal(vmac_mremap(c, "cc", a + PAGE, 7 * PAGE, 10 * PAGE, 0, 0, &n), -ENOMEM);
	assert_int_equal(vmac_mremap(c, "cc", a + PAGE, 7 * PAGE, 6 * PAGE, 0, 0, &n), 0);
	assert_int_equal(n, a + PAGE);
	assert_int_equal(
		vmac_mremap(c, "cc", a + PAGE, 6 * PAGE, 64 * PAGE, VMAC_MREMAP_MAYMOVE, 0, &n), 0);
	assert_int_not_equal(n, a + PAGE);
	struct vmac_vma v;
	assert_int_equal(vmac_find_vma(c, "cc", n, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.start, n);
	assert_int_equal(v.end, n + 64 * PAGE);
	assert_int_equal(vmac_madvise(c, "cc", n, PAGE, VMAC_MADV_DONTFORK), 0);
	assert_int_equal(vmac_madvise(c, "cc", n, PAGE, 9999), -EINVAL);
	assert_int_equal(vmac_munmap(c, "cc", 0x1001, PAGE), -EINVAL);
	done(c, "cc");
}

static void
test_brk_status(void **state)
{
	(void)state;
	struct vmac_conn *c = space("bs", NULL);
	struct vmac_status st;
	assert_int_equal(vmac_status(c, "bs", &st), 0);
	assert_int_equal(st.map_count, 0);
	assert_int_equal(st.vm_size, 0);
	uint64_t start = st.start_brk, b = 0;
	assert_int_equal(vmac_brk(c, "bs", 0, &b), 0);
	assert_int_equal(b, start);
	assert_int_equal(vmac_brk(c, "bs", start + 0x21000, &b), 0);
	assert_int_equal(b, start + 0x21000);
	/* Below the start: refused by leaving the break where it is, as brk(2) does. */
	assert_int_equal(vmac_brk(c, "bs", start - PAGE, &b), 0);
	assert_int_equal(b, start + 0x21000);
	struct vmac_vma v;
	assert_int_equal(vmac_find_vma(c, "bs", start, &v), VMAC_FOUND_VMA);
	assert_string_equal(v.path, "[heap]");
	assert_int_equal(vmac_status(c, "bs", &st), 0);
	assert_int_equal(st.brk, start + 0x21000);
	assert_int_equal(st.map_count, 1);
	assert_int_equal(st.vm_size, 0x21000 / 1024);
	assert_int_equal(st.vm_data, 0x21000 / 1024);
	assert_non_null(strstr(st.text, "VmSize:"));
	assert_int_equal(vmac_status(c, "nope", &st), -ENOENT);
	done(c, "bs");
}

static void
test_populate_fault_mlock(void **state)
{
	(void)state;
	struct vmac_conn *c = space("pf", NULL);
	uint64_t a;
	struct vmac_status st;
	enum vmac_fault_result r;
	assert_int_equal(vmac_mmap(c, "pf", 0, 4 * PAGE, RW, ANON, NULL, 0, &a), 0);
	assert_int_equal(vmac_populate(c, "pf", a, 2 * PAGE, true), 0);
	assert_int_equal(vmac_status(c, "pf", &st), 0);
	assert_int_equal(st.vm_rss, 8);
	assert_int_equal(vmac_fault(c, "pf", a + 3 * PAGE, VMAC_ACCESS_WRITE, &r), 0);
	assert_int_equal(r, VMAC_FAULT_OK);
	assert_int_equal(vmac_fault(c, "pf", 0x1000, VMAC_ACCESS_READ, &r), 0);
	assert_int_equal(r, VMAC_FAULT_SEGV_MAPERR);
	assert_int_equal(vmac_fault(c, "pf", a, VMAC_ACCESS_EXEC, &r), 0);
	assert_int_equal(r, VMAC_FAULT_SEGV_ACCERR);
	assert_int_equal(vmac_fault(c, "pf", a, (enum vmac_access)9, &r), -EINVAL);
	assert_int_equal(vmac_status(c, "pf", &st), 0);
	assert_int_equal(st.vm_rss, 12);

	assert_int_equal(vmac_mlock(c, "pf", a, 4 * PAGE), 0);
	assert_int_equal(vmac_status(c, "pf", &st), 0);
	assert_int_equal(st.vm_lck, 16);
	assert_int_equal(vmac_munlock(c, "pf", a, 4 * PAGE), 0);
	assert_int_equal(vmac_mlock2(c, "pf", a, PAGE, VMAC_MLOCK_ONFAULT), 0);
	struct vmac_vma v;
	assert_int_equal(vmac_find_vma(c, "pf", a, &v), VMAC_FOUND_VMA);
	assert_true(v.flags & VMAC_VM_LOCKONFAULT);
	assert_int_equal(vmac_mlock2(c, "pf", a, PAGE, 0x80), -EINVAL);
	done(c, "pf");
}

static void
test_fork_import(void **state)
{
	(void)state;
	struct vmac_conn *c = space("fk", NULL);
	uint64_t a, b;
	assert_int_equal(vmac_mmap(c, "fk", 0, PAGE, RW, ANON, NULL, 0, &a), 0);
	assert_int_equal(vmac_mmap(c, "fk", 0, PAGE, VMAC_PROT_READ, ANON, NULL, 0, &b), 0);
	assert_int_equal(vmac_madvise(c, "fk", b, PAGE, VMAC_MADV_DONTFORK), 0);
	assert_int_equal(vmac_fork(c, "fk", "fk-child"), 0);
	assert_int_equal(vmac_fork(c, "fk", "fk-child"), -EEXIST);
	assert_int_equal(vmac_fork(c, "nope", "x"), -ENOENT);
	struct vmac_vma v;
	assert_int_equal(vmac_find_vma(c, "fk-child", 0, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.start, a); /* the DONTFORK VMA below it was not copied */
	assert_int_equal(count_vmas(c, "fk-child", 0), 2);

	const char *text = "00400000-00401000 r-xp 00000000 08:01 77 /bin/demo\n"
			   "7ffff7ff0000-7ffff7ff1000 rw-p 00000000 00:00 0 \n";
	struct vmac_create_opts o = { .set = VMAC_OPT_MODE, .mode = 0644 };
	assert_int_equal(vmac_import(c, "imp", text, &o), 0);
	assert_int_equal(vmac_find_vma(c, "imp", 0, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.start, 0x400000);
	assert_string_equal(v.path, "/bin/demo");
	assert_string_equal(v.perms, "r-xp");
	assert_int_equal(vmac_import(c, "imp2", "garbage\n", NULL), -EINVAL);
	o.set |= VMAC_OPT_TASK_SIZE;
	assert_int_equal(vmac_import(c, "imp3", text, &o), -EINVAL);
	assert_int_equal(vmac_destroy(c, "imp"), 0);
	assert_int_equal(vmac_destroy(c, "fk-child"), 0);
	done(c, "fk");
}

static void
test_stats(void **state)
{
	(void)state;
	struct vmac_conn *c = space("st", NULL);
	struct vmac_stats s;
	assert_int_equal(vmac_stats(c, &s), 0);
	assert_true(s.clients >= 1);
	assert_true(s.spaces >= 1);
	assert_true(s.requests >= 1);
	done(c, "st");
}

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
	struct vmac_conn *c = space("mp", NULL);
	fill(c, "mp", 300);
	/* 300 VMAs and the [vsyscall] line, whatever the page size. */
	assert_int_equal(count_vmas(c, "mp", 7), 301);
	assert_int_equal(count_vmas(c, "mp", 1), 301);
	assert_int_equal(count_vmas(c, "mp", 0), 301);

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
	done(c, "mp");
}

static void
test_pipeline(void **state)
{
	(void)state;
	struct vmac_conn *c = space("pl", NULL);
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
	done(c, "pl");
}

static void
expect_event(struct vmac_conn *w, enum vmac_event_kind kind, uint64_t start, uint64_t len)
{
	struct vmac_event ev;
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, kind);
	assert_string_equal(ev.name, "wt");
	assert_int_equal(ev.start, start);
	assert_int_equal(ev.len, len);
}

static void
test_watch(void **state)
{
	(void)state;
	struct vmac_conn *c = space("wt", NULL);
	struct vmac_conn *w = conn();
	struct vmac_event ev;
	assert_int_equal(vmac_watch(w, "nope"), -ENOENT);
	assert_int_equal(vmac_watch(w, "wt"), 0);
	assert_int_equal(vmac_ping(w), -EBUSY);
	assert_int_equal(vmac_watch_next(w, &ev, 0), -EAGAIN);

	uint64_t a;
	assert_int_equal(vmac_mmap(c, "wt", 0, 2 * PAGE, RW, ANON, NULL, 0, &a), 0);
	struct pollfd p = { .fd = vmac_fd(w), .events = POLLIN };
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_int_equal(vmac_watch_next(w, &ev, 0), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_MMAP);
	assert_int_equal(ev.start, a);
	assert_int_equal(ev.len, 2 * PAGE);
	assert_int_equal(ev.new_prot, RW);
	assert_string_equal(vmac_event_kind_name(ev.kind), "mmap");
	uint64_t seq = ev.seq;

	assert_int_equal(vmac_mprotect(c, "wt", a, PAGE, VMAC_PROT_READ), 0);
	assert_int_equal(vmac_munmap(c, "wt", a, PAGE), 0);
	expect_event(w, VMAC_EVENT_MPROTECT, a, PAGE);
	expect_event(w, VMAC_EVENT_MUNMAP, a, PAGE);
	assert_int_equal(vmac_destroy(c, "wt"), 0);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_DESTROY);
	assert_true(ev.seq > seq);
	assert_string_equal(vmac_event_kind_name((enum vmac_event_kind)99), "unknown");
	vmac_close(w);
	vmac_close(c);
}

/*
 * The changes that are not memory system calls reach watchers too: an open file resized or
 * unlinked, the break set, the contents replaced by restore or exec.  Opening and closing a
 * file change nothing a space shows and send nothing.
 */
static void
test_watch_replacements(void **state)
{
	(void)state;
	struct vmac_conn *c = space("wt", NULL), *w = conn();
	const char *const argv[] = { "true", NULL };
	struct vmac_file_info f;
	struct vmac_event ev;
	char *program = realpath("/bin/true", NULL);
	uint64_t id;
	size_t len;
	void *saved;

	assert_non_null(program);
	assert_int_equal(vmac_save(c, "wt", &saved, &len), 0);
	assert_int_equal(vmac_watch(w, "wt"), 0);
	vmac_file_info_init(&f);
	f.path = "/data/f";
	assert_int_equal(vmac_file_open(c, "wt", &f, &id), 0);
	assert_int_equal(vmac_file_set_size(c, "wt", id, 3 * PAGE), 0);
	expect_event(w, VMAC_EVENT_FILE_SET_SIZE, id, 3 * PAGE);
	assert_string_equal(vmac_event_kind_name(VMAC_EVENT_FILE_SET_SIZE), "file-size");
	assert_int_equal(vmac_file_unlink(c, "wt", id), 0);
	expect_event(w, VMAC_EVENT_FILE_UNLINK, id, 0);
	assert_int_equal(vmac_file_close(c, "wt", id), 0);
	assert_int_equal(vmac_set_brk(c, "wt", 0x600000000000ULL, 0x600000002000ULL), 0);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_SET_BRK);
	assert_int_equal(ev.start, 0x600000000000ULL);
	assert_int_equal(ev.new_addr, 0x600000002000ULL);
	assert_int_equal(vmac_restore(c, "wt", saved, len, 0), 0);
	expect_event(w, VMAC_EVENT_RESTORE, 0, 0);
	assert_int_equal(vmac_exec(c, "wt", "/bin/true", argv, NULL, NULL), 0);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_EXEC);
	assert_string_equal(ev.path, program);
	assert_int_equal(vmac_watch_next(w, &ev, 0), -EAGAIN);
	free(program);
	free(saved);
	vmac_close(w);
	done(c, "wt");
}

/*
 * mprotect over a hole fails with ENOMEM after changing the VMAs before the hole, as the
 * kernel does: watchers get EVENT_CHANGED for them.  A failure that changed nothing sends
 * nothing.
 */
static void
test_watch_failed_change(void **state)
{
	(void)state;
	struct vmac_conn *c = space("wt", NULL), *w = conn();
	struct vmac_event ev;
	uint64_t a = 0x10000000;

	assert_int_equal(vmac_mmap(c, "wt", a, 2 * PAGE, RW, ANON | VMAC_MAP_FIXED, NULL, 0, NULL),
			 0);
	assert_int_equal(vmac_watch(w, "wt"), 0);
	assert_int_equal(vmac_munmap(c, "wt", a + 1, PAGE), -EINVAL);
	assert_int_equal(vmac_mprotect(c, "wt", a, 3 * PAGE, VMAC_PROT_READ), -ENOMEM);
	expect_event(w, VMAC_EVENT_CHANGED, a, 2 * PAGE);
	assert_string_equal(vmac_event_kind_name(VMAC_EVENT_CHANGED), "changed");
	assert_int_equal(vmac_watch_next(w, &ev, 0), -EAGAIN);
	vmac_close(w);
	done(c, "wt");
}

static void
test_bad_arguments(void **state)
{
	(void)state;
	struct vmac_conn *c = conn();
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
	socket_only();
	struct vmac_conn *c = conn();
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
	return local_mode ? 0 : tvmad_start(&victim);
}

static int
victim_down(void **state)
{
	(void)state;
	if (!local_mode)
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
	socket_only();
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
	socket_only();
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
	socket_only();
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
	if (!local_mode)
		skip();
	struct vmac_conn *a = conn(), *b = conn();
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
	a = conn();
	assert_int_equal(vmac_find_vma(a, "le", 0, &v), -ENOENT);
	vmac_close(a);
}

static int
setup(void **state)
{
	(void)state;
	return local_mode ? 0 : tvmad_start(&vm);
}

static int
teardown(void **state)
{
	(void)state;
	if (!local_mode)
		tvmad_stop(&vm);
	return 0;
}

int
main(void)
{
	const char *mode = getenv("VMAC_TEST_LOCAL");
	local_mode = mode && strcmp(mode, "1") == 0;
	alarm(300);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_errors),
		cmocka_unit_test(test_hello_ping),
		cmocka_unit_test(test_create_destroy_list),
		cmocka_unit_test(test_mmap_find),
		cmocka_unit_test(test_find_lone_pipelined),
		cmocka_unit_test(test_file_mapping),
		cmocka_unit_test(test_open_files),
		cmocka_unit_test(test_create_ext),
		cmocka_unit_test(test_mseal),
		cmocka_unit_test(test_mlockall),
		cmocka_unit_test(test_pkeys),
		cmocka_unit_test(test_smaps),
		cmocka_unit_test(test_anon_name),
		cmocka_unit_test(test_change_calls),
		cmocka_unit_test(test_brk_status),
		cmocka_unit_test(test_populate_fault_mlock),
		cmocka_unit_test(test_fork_import),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_maps_paging),
		cmocka_unit_test(test_pipeline),
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_watch_replacements),
		cmocka_unit_test(test_watch_failed_change),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_local_engine),
		cmocka_unit_test(test_oversized_request),
		cmocka_unit_test_setup_teardown(test_daemon_dies, victim_up, victim_down),
		cmocka_unit_test_setup_teardown(test_daemon_dies_in_pipeline, victim_up,
						victim_down),
		cmocka_unit_test_setup_teardown(test_timeout, victim_up, victim_down),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
