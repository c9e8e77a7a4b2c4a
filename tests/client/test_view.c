/* SPDX-License-Identifier: MIT */
/*
 * Views (vmac_view_*) against a real vmad, or with VMAC_TEST_LOCAL=1 against the in-process
 * engine: lookups equal the daemon's own for random spaces, a reader thread never sees a
 * state that was not published while another connection changes the space, the segment
 * cannot be written through the descriptor the client holds, and a destroyed space or a dead
 * daemon gives an errno.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tseg.h"
#include "tvmad.h"
#include "vmaclient.h"
#include "vseg.h"

#define PAGE 4096ULL
#define ANON (VMAC_MAP_PRIVATE | VMAC_MAP_ANONYMOUS)
#define BASE 0x10000000ULL
#define SPAN 512 /* pages the random operations play in */

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
	return c;
}

/* random_op() queues its requests in a pipeline. */
static bool pipelined;

/* A file the space has open (0: none), for mmap by id, truncation and unlinking. */
static uint64_t open_file;

/* Changes that may touch only flags inside one VMA, or move, seal, truncate, unlink. */
static void
random_op_more(struct vmac_conn *c, const char *name, unsigned *seed, int k, uint64_t a,
	       uint64_t len)
{
	static const int advice[] = { VMAC_MADV_DONTFORK,   VMAC_MADV_DOFORK,
				      VMAC_MADV_WIPEONFORK, VMAC_MADV_KEEPONFORK,
				      VMAC_MADV_DONTDUMP,   VMAC_MADV_DODUMP,
				      VMAC_MADV_HUGEPAGE,   VMAC_MADV_NOHUGEPAGE };
	uint64_t to = BASE + (uint64_t)(rand_r(seed) % SPAN) * PAGE;
	struct vmac_file_info byid = { .id = open_file };

	if (k == 10) {
		(void)vmac_mremap(c, name, a, len, len, VMAC_MREMAP_MAYMOVE | VMAC_MREMAP_FIXED, to,
				  NULL);
	} else if (k == 11) {
		(void)vmac_madvise(c, name, a, len, advice[rand_r(seed) % 8]);
	} else if (k == 12) {
		/* Seals pile up and then refuse most changes: rarely. */
		if (rand_r(seed) % 16 == 0)
			(void)vmac_mseal(c, name, a, len, 0);
		else
			(void)vmac_munlock(c, name, a, len);
	} else if (open_file && rand_r(seed) % 2) {
		(void)vmac_mmap_file(c, name, a, len, VMAC_PROT_READ,
				     VMAC_MAP_PRIVATE | VMAC_MAP_FIXED, &byid, 0, NULL);
	} else if (open_file) {
		if (rand_r(seed) % 8 == 0)
			(void)vmac_file_unlink(c, name, open_file);
		else
			(void)vmac_file_set_size(c, name, open_file,
						 (uint64_t)(rand_r(seed) % 8) * PAGE);
	}
}

/* One random change in [BASE, BASE + SPAN pages): its result does not matter. */
static void
random_op(struct vmac_conn *c, const char *name, unsigned *seed)
{
	static const struct vmac_file files[] = {
		{ .path = "/usr/lib/liba.so",
		  .mode = 3,
		  .dev_major = 8,
		  .dev_minor = 1,
		  .ino = 11 },
		{ .path = "/usr/lib/libb.so",
		  .mode = 3,
		  .dev_major = 8,
		  .dev_minor = 2,
		  .ino = 12 },
		{ .path = "/tmp/gone", .mode = 3, .ino = 13, .deleted = true },
	};
	uint64_t a = BASE + (uint64_t)(rand_r(seed) % SPAN) * PAGE;
	uint64_t len = (uint64_t)(rand_r(seed) % 16 + 1) * PAGE;
	uint32_t prot = (uint32_t)rand_r(seed) % 8;
	int k = rand_r(seed) % 14;

	if (k < 3) {
		const struct vmac_file *f = k == 0 ? &files[rand_r(seed) % 3] : NULL;
		(void)vmac_mmap(c, name, a, len, prot,
				f ? VMAC_MAP_PRIVATE | VMAC_MAP_FIXED : ANON | VMAC_MAP_FIXED, f, 0,
				NULL);
	} else if (k < 5) {
		(void)vmac_munmap(c, name, a, len);
	} else if (k < 7) {
		(void)vmac_mprotect(c, name, a, len, prot);
	} else if (k == 7) {
		(void)vmac_mremap(c, name, a, len, len * 2, VMAC_MREMAP_MAYMOVE, 0, NULL);
	} else if (k == 8) {
		(void)vmac_mlock(c, name, a, len);
	} else if (k == 9 && pipelined) {
		/* Out-parameters are written when a reply is collected: none on this stack. */
		(void)vmac_brk(c, name, BASE + (uint64_t)(rand_r(seed) % SPAN) * PAGE, NULL);
	} else if (k == 9) {
		uint64_t b;
		(void)vmac_brk(c, name, 0, &b);
		(void)vmac_brk(c, name, b + (rand_r(seed) % 2 ? PAGE : -PAGE), NULL);
	} else {
		random_op_more(c, name, seed, k, a, len);
	}
}

/* The view and the daemon agree on find_vma(addr), find_vma_prev(addr) and the maps line. */
static void
compare_at(struct vmac_conn *c, struct vmac_view *v, const char *name, uint64_t addr)
{
	struct vmac_vma d, dp;
	struct vmac_view_vma w, wp;
	char line[8192];
	int rd = vmac_find_vma_prev(c, name, addr, &d, &dp);
	int rw = vmac_view_find_vma_prev(v, addr, &w, &wp);

	assert_int_equal(rw, rd);
	if (rd & VMAC_FOUND_VMA) {
		assert_int_equal(w.start, d.start);
		assert_int_equal(w.end, d.end);
		assert_int_equal(w.flags, d.flags);
		assert_int_equal(w.pgoff, d.pgoff);
		assert_string_equal(w.perms, d.perms);
		assert_true(vmac_view_line(v, &w, line, sizeof(line)) > 0);
		assert_string_equal(line, d.line);
	}
	if (rd & VMAC_FOUND_PREV)
		assert_int_equal(wp.start, dp.start);
}

static void
compare_all(struct vmac_conn *c, struct vmac_view *v, const char *name)
{
	struct vmac_maps_iter *it;
	struct vmac_vma d;
	struct vmac_view_vma w;
	uint64_t cursor = 0;
	int rc;

	assert_int_equal(vmac_maps_open(c, name, 0, 0, &it), 0);
	while ((rc = vmac_maps_next(it, &d)) > 0) {
		if (strstr(d.line, "[vsyscall]"))
			continue;
		assert_int_equal(vmac_view_next(v, &cursor, &w), VMAC_FOUND_VMA);
		assert_int_equal(w.start, d.start);
		assert_int_equal(w.end, d.end);
		assert_int_equal(w.flags, d.flags);
	}
	assert_int_equal(rc, 0);
	vmac_maps_close(it);
	assert_int_equal(vmac_view_next(v, &cursor, &w), 0);
}

static void
test_equal_to_daemon(void **state)
{
	(void)state;
	struct vmac_conn *c = conn();
	struct vmac_view *v;
	unsigned seed = 42;
	int ops = local_mode ? 3000 : 600;

	struct vmac_file_info f = { .path = "/usr/lib/libr.so", .mode = 3, .ino = 21 };

	assert_int_equal(vmac_create(c, "eq", NULL), 0);
	assert_int_equal(vmac_file_open(c, "eq", &f, &open_file), 0);
	/* The break inside the span: brk and [heap] meet the other changes. */
	assert_int_equal(vmac_set_brk(c, "eq", BASE + SPAN / 2 * PAGE, BASE + SPAN / 2 * PAGE), 0);
	assert_int_equal(vmac_view_open(c, "nope", &v), -ENOENT);
	assert_int_equal(vmac_view_open(c, "eq", &v), 0);
	for (int i = 0; i < ops; i++) {
		random_op(c, "eq", &seed);
		/* Read-your-writes: the call has returned, so the view shows its effect. */
		compare_at(c, v, "eq",
			   BASE + (uint64_t)(rand_r(&seed) % (SPAN + 8)) * PAGE +
				   (uint64_t)(rand_r(&seed) % PAGE));
		if (i % 100 == 0)
			compare_all(c, v, "eq");
	}
	compare_all(c, v, "eq");
	open_file = 0;
	assert_int_equal(vmac_destroy(c, "eq"), 0);
	struct vmac_view_vma w;
	assert_int_equal(vmac_view_find_vma(v, 0, &w), -ENOENT);
	vmac_view_close(v);
	vmac_close(c);
}

static void
test_check(void **state)
{
	(void)state;
	struct vmac_conn *c = conn();
	struct vmac_view *v;
	uint64_t bad = 0;
	uint32_t rw = VMAC_PROT_READ | VMAC_PROT_WRITE;

	assert_int_equal(vmac_create(c, "ck", NULL), 0);
	assert_int_equal(vmac_view_open(c, "ck", &v), 0);
	assert_int_equal(
		vmac_mmap(c, "ck", BASE, 4 * PAGE, rw, ANON | VMAC_MAP_FIXED, NULL, 0, NULL), 0);
	assert_int_equal(vmac_mmap(c, "ck", BASE + 4 * PAGE, 2 * PAGE, VMAC_PROT_READ,
				   ANON | VMAC_MAP_FIXED, NULL, 0, NULL),
			 0);
	assert_int_equal(vmac_view_check(v, BASE + 10, 6 * PAGE - 10, VMAC_PROT_READ, &bad), 0);
	assert_int_equal(vmac_view_check(v, BASE, 6 * PAGE, rw, &bad), -EFAULT);
	assert_int_equal(bad, BASE + 4 * PAGE);
	assert_int_equal(vmac_view_check(v, BASE, 7 * PAGE, 0, &bad), -EFAULT);
	assert_int_equal(bad, BASE + 6 * PAGE);
	assert_int_equal(vmac_view_check(v, BASE - PAGE, 2 * PAGE, 0, &bad), -EFAULT);
	assert_int_equal(bad, BASE - PAGE);
	assert_int_equal(vmac_view_check(v, BASE, 0, rw, &bad), 0);
	assert_int_equal(vmac_view_check(v, UINT64_MAX - 5, 10, 0, &bad), -EFAULT);
	assert_int_equal(vmac_view_check(v, BASE, PAGE, 0x80, &bad), -EINVAL);
	assert_int_equal(vmac_munmap(c, "ck", BASE + PAGE, PAGE), 0);
	assert_int_equal(vmac_view_check(v, BASE, 2 * PAGE, 0, &bad), -EFAULT);
	assert_int_equal(bad, BASE + PAGE);
	assert_int_equal(vmac_destroy(c, "ck"), 0);
	vmac_view_close(v);
	vmac_close(c);
}

/* Changes that reach the whole space: unlinking a file, setting the break, restoring. */
static void
test_whole_space_changes(void **state)
{
	(void)state;
	struct vmac_conn *c = conn();
	struct vmac_view *v;
	struct vmac_file_info f = { .path = "/usr/lib/libw.so", .mode = 3, .ino = 77 };
	uint64_t id, a;
	void *saved;
	size_t len;

	assert_int_equal(vmac_create(c, "wh", NULL), 0);
	assert_int_equal(vmac_file_open(c, "wh", &f, &id), 0);
	struct vmac_file_info byid = { .id = id };
	assert_int_equal(vmac_mmap_file(c, "wh", BASE, 2 * PAGE, VMAC_PROT_READ,
					VMAC_MAP_PRIVATE | VMAC_MAP_FIXED, &byid, 0, &a),
			 0);
	assert_int_equal(vmac_save(c, "wh", &saved, &len), 0);
	assert_int_equal(vmac_view_open(c, "wh", &v), 0);
	compare_at(c, v, "wh", BASE);
	assert_int_equal(vmac_file_unlink(c, "wh", id), 0);
	compare_at(c, v, "wh", BASE); /* now " (deleted)" */
	assert_int_equal(vmac_mmap(c, "wh", 0x20000000, PAGE, VMAC_PROT_READ, ANON | VMAC_MAP_FIXED,
				   NULL, 0, NULL),
			 0);
	assert_int_equal(vmac_set_brk(c, "wh", 0x20000000, 0x20001000), 0);
	compare_at(c, v, "wh", 0x20000000); /* now [heap] */
	assert_int_equal(vmac_restore(c, "wh", saved, len, 0), 0);
	compare_all(c, v, "wh");
	compare_at(c, v, "wh", BASE);
	free(saved);
	assert_int_equal(vmac_destroy(c, "wh"), 0);
	vmac_view_close(v);
	vmac_close(c);
}

/* fork leaves the parent's view as it was; exec over a space with a view replaces it whole. */
static void
test_fork_exec(void **state)
{
	(void)state;
	struct vmac_conn *c = conn();
	struct vmac_view *v, *cv;
	const char *argv[] = { "true", NULL };
	unsigned seed = 5;

	assert_int_equal(vmac_create(c, "fx", NULL), 0);
	assert_int_equal(vmac_view_open(c, "fx", &v), 0);
	for (int i = 0; i < 100; i++)
		random_op(c, "fx", &seed);
	/* Some VMAs stay behind (holes in the range make the call fail after changing some). */
	(void)vmac_madvise(c, "fx", BASE, SPAN / 4 * PAGE, VMAC_MADV_DONTFORK);
	assert_int_equal(vmac_fork(c, "fx", "fx2"), 0);
	compare_all(c, v, "fx");
	assert_int_equal(vmac_view_open(c, "fx2", &cv), 0);
	compare_all(c, cv, "fx2");
	random_op(c, "fx2", &seed);
	compare_all(c, cv, "fx2");
	assert_int_equal(vmac_exec(c, "fx", "/bin/true", argv, NULL, NULL), 0);
	compare_all(c, v, "fx");
	uint64_t brk;
	assert_int_equal(vmac_brk(c, "fx", 0, &brk), 0);
	assert_int_equal(vmac_brk(c, "fx", brk + 2 * PAGE, NULL), 0);
	compare_at(c, v, "fx", brk); /* [heap] */
	compare_all(c, v, "fx");
	assert_int_equal(vmac_destroy(c, "fx2"), 0);
	assert_int_equal(vmac_destroy(c, "fx"), 0);
	vmac_view_close(cv);
	vmac_view_close(v);
	vmac_close(c);
}

/*
 * Pipelined requests are published together before their replies leave, also when they
 * alternate between two spaces: once the replies are in, both views show every change.
 */
static void
test_pipelined(void **state)
{
	(void)state;
	struct vmac_conn *c = conn();
	struct vmac_view *v[2];
	const char *names[2] = { "p0", "p1" };
	unsigned seed = 77;
	int result, r;

	for (int s = 0; s < 2; s++) {
		assert_int_equal(vmac_create(c, names[s], NULL), 0);
		assert_int_equal(vmac_view_open(c, names[s], &v[s]), 0);
	}
	for (int round = 0; round < 20; round++) {
		assert_int_equal(vmac_pipeline_begin(c), 0);
		pipelined = true;
		for (int i = 0; i < 32; i++)
			random_op(c, names[(i / (round % 4 + 1)) % 2], &seed);
		pipelined = false;
		r = vmac_pipeline_end(c);
		assert_true(r >= 0);
		while ((r = vmac_pipeline_next(c, &result)) > 0)
			;
		assert_int_equal(r, 0);
		for (int s = 0; s < 2; s++) {
			compare_all(c, v[s], names[s]);
			compare_at(c, v[s], names[s],
				   BASE + (uint64_t)(rand_r(&seed) % SPAN) * PAGE);
		}
	}
	for (int s = 0; s < 2; s++) {
		assert_int_equal(vmac_destroy(c, names[s]), 0);
		vmac_view_close(v[s]);
	}
	vmac_close(c);
}

static void
test_read_only(void **state)
{
	(void)state;
	struct vmac_conn *c = conn();
	struct vmac_view *v;

	assert_int_equal(vmac_create(c, "ro", NULL), 0);
	assert_int_equal(vmac_view_open(c, "ro", &v), 0);
	int fd = tseg_fd();
	assert_true(fd >= 0);
	errno = 0;
	assert_true(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED);
	assert_int_equal(errno, EPERM);
	assert_int_equal(write(fd, "x", 1), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(fd, 0), -1);
	void *p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(mprotect(p, PAGE, PROT_READ | PROT_WRITE), -1);
	munmap(p, PAGE);
	assert_int_equal(vmac_destroy(c, "ro"), 0);
	vmac_view_close(v);
	vmac_close(c);
}

/* ---- a reader against a writer -------------------------------------------------------- */

#define STATES 4096
#define PROBES 64

/* For every published version, what find_vma gives at each probe address. */
static struct published {
	int ready;
	uint64_t start[PROBES], end[PROBES], flags[PROBES];
} * states;

static uint64_t
probe_addr(int i)
{
	return BASE + (uint64_t)i * (SPAN / PROBES) * PAGE + 123;
}

/* An answer whose version was not recorded yet, checked at the end. */
struct answer {
	uint64_t start, end, flags;
	uint32_t version;
	uint16_t probe;
	uint16_t found;
};

#define ANSWERS (1u << 20)

struct reader {
	struct vmac_view *v;
	volatile int stop;
	long lookups, checked, wrong;
	int err; /* the first lookup that failed, for the message */
	struct answer *later;
	size_t nlater;
	pthread_t t;
	bool running;
};

/* What test_reader_vs_writer holds, so that its teardown can release it after a failure. */
static struct rw_test {
	struct vmac_conn *c;
	struct vmac_view *v;
	struct reader r[2];
	bool created;
	pthread_t writer, staller;
	volatile int stop_staller;
	bool stalling;
	const struct vseg_header *seg; /* the segment's header, to see a change begin */
} rw;

#define STALL_NS (20 * 1000 * 1000L)

static void
rw_sleep(long ns)
{
	struct timespec ts = { 0, ns };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The writer thread, which in local mode is also the publisher, loses the processor. */
static void
rw_stall_handler(int sig)
{
	int saved = errno;

	(void)sig;
	rw_sleep(STALL_NS);
	errno = saved;
}

/* The header of the one segment this process has open, mapped read-only. */
static const struct vseg_header *
rw_segment(void)
{
	int fd = tseg_fd();
	void *p;

	assert_true(fd >= 0);
	p = mmap(NULL, sizeof(struct vseg_header), PROT_READ, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	return p;
}

/*
 * The publisher loses the processor in the middle of a change, for longer than a time slice,
 * as it does now and then on a busy machine: readers must wait the change out.
 */
static void *
rw_staller_main(void *arg)
{
	(void)arg;
	while (!rw.stop_staller) {
		if (!(__atomic_load_n(&rw.seg->seq, __ATOMIC_ACQUIRE) & 1)) {
			sched_yield();
			continue;
		}
		if (local_mode) {
			if (pthread_kill(rw.writer, SIGUSR1) != 0)
				break;
		} else {
			tvmad_signal(&vm, SIGSTOP);
			rw_sleep(STALL_NS);
			tvmad_signal(&vm, SIGCONT);
		}
		/*
		 * Then let the publisher run freely for a while: stalled again at once, it would
		 * be in the middle of a change nearly all the time, and a reader could find no
		 * moment between changes for longer than a lookup waits.
		 */
		rw_sleep(5 * STALL_NS);
	}
	return NULL;
}

static bool
answer_ok(const struct answer *a)
{
	const struct published *s = &states[a->version];

	if (!a->found)
		return s->start[a->probe] == 0;
	return s->start[a->probe] == a->start && s->end[a->probe] == a->end &&
	       s->flags[a->probe] == a->flags;
}

static void
reader_check(struct reader *r, const struct answer *a)
{
	r->checked++;
	if (!answer_ok(a))
		r->wrong++;
}

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	struct vmac_view_vma w;
	unsigned seed = (unsigned)(uintptr_t)arg;

	while (!r->stop) {
		struct answer a = { .probe = (uint16_t)(rand_r(&seed) % PROBES) };
		int rc = vmac_view_find_vma(r->v, probe_addr(a.probe), &w);
		if (rc < 0 || w.version >= STATES) {
			r->err = rc < 0 ? rc : -ERANGE;
			r->wrong++;
			break;
		}
		__atomic_store_n(&r->lookups, r->lookups + 1, __ATOMIC_RELAXED);
		a.found = rc != 0;
		a.version = (uint32_t)w.version;
		a.start = w.start;
		a.end = w.end;
		a.flags = w.flags;
		if (!__atomic_load_n(&states[a.version].ready, __ATOMIC_ACQUIRE) &&
		    r->nlater < ANSWERS) {
			r->later[r->nlater++] = a;
			continue;
		}
		/* The writer records each version right after the call that made it. */
		while (!__atomic_load_n(&states[a.version].ready, __ATOMIC_ACQUIRE) && !r->stop)
			sched_yield();
		if (__atomic_load_n(&states[a.version].ready, __ATOMIC_ACQUIRE))
			reader_check(r, &a);
	}
	return NULL;
}

/* What the daemon says now, as the state of version ver (nobody else changes the space). */
static void
record(struct vmac_conn *c, struct vmac_view *v)
{
	struct published *s;
	struct vmac_maps_iter *it;
	struct vmac_vma d;
	uint64_t ver;
	int i = 0, rc;

	assert_int_equal(vmac_view_version(v, &ver), 0);
	assert_true(ver < STATES);
	s = &states[ver];
	if (s->ready)
		return;
	/* find_vma() of each probe, from the daemon's maps (in address order). */
	assert_int_equal(vmac_maps_open(c, "rw", 0, 4096, &it), 0);
	while ((rc = vmac_maps_next(it, &d)) > 0) {
		for (; i < PROBES && d.end > probe_addr(i) && !strstr(d.line, "[vsyscall]"); i++) {
			s->start[i] = d.start;
			s->end[i] = d.end;
			s->flags[i] = d.flags;
		}
	}
	assert_int_equal(rc, 0);
	vmac_maps_close(it);
	for (; i < PROBES; i++)
		s->start[i] = s->end[i] = s->flags[i] = 0;
	__atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
}

static void
rw_readers_stop(void)
{
	rw.stop_staller = 1;
	if (rw.stalling)
		pthread_join(rw.staller, NULL);
	rw.stalling = false;
	if (rw.seg)
		munmap((void *)rw.seg, sizeof(*rw.seg));
	rw.seg = NULL;
	for (int k = 0; k < 2; k++)
		rw.r[k].stop = 1;
	for (int k = 0; k < 2; k++) {
		if (rw.r[k].running)
			pthread_join(rw.r[k].t, NULL);
		rw.r[k].running = false;
	}
}

static int
rw_teardown(void **state)
{
	(void)state;
	rw_readers_stop();
	/* Only after a failure: the failure is what the run reports. */
	if (rw.created)
		(void)vmac_destroy(rw.c, "rw");
	vmac_view_close(rw.v);
	vmac_close(rw.c);
	for (int k = 0; k < 2; k++)
		free(rw.r[k].later);
	free(states);
	states = NULL;
	memset(&rw, 0, sizeof(rw));
	return 0;
}

static void
test_reader_vs_writer(void **state)
{
	(void)state;
	struct reader *r = rw.r;
	unsigned seed = 99;
	time_t until = time(NULL) + 2;
	long lookups = 0, checked = 0, wrong = 0;

	rw.c = conn();
	states = calloc(STATES, sizeof(*states));
	assert_non_null(states);
	assert_int_equal(vmac_create(rw.c, "rw", NULL), 0);
	rw.created = true;
	assert_int_equal(vmac_view_open(rw.c, "rw", &rw.v), 0);
	record(rw.c, rw.v);
	/* Two readers share the view, as an emulator's threads do. */
	for (int k = 0; k < 2; k++) {
		r[k].v = rw.v;
		r[k].later = malloc(ANSWERS * sizeof(*r[k].later));
		assert_non_null(r[k].later);
		assert_int_equal(pthread_create(&r[k].t, NULL, reader_main, &r[k]), 0);
		r[k].running = true;
	}
	struct sigaction sa = { .sa_handler = rw_stall_handler, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	rw.writer = pthread_self();
	rw.seg = rw_segment();
	assert_int_equal(pthread_create(&rw.staller, NULL, rw_staller_main, NULL), 0);
	rw.stalling = true;
	/* Two seconds, and longer (up to ten) until the reader has done its share on a busy
	 * machine. */
	for (int i = 0; i < STATES - 2 && !r[0].stop && !r[1].stop; i++) {
		time_t now = time(NULL);
		if (now >= until + 8 ||
		    (now >= until && __atomic_load_n(&r[0].lookups, __ATOMIC_RELAXED) >= 100000))
			break;
		random_op(rw.c, "rw", &seed);
		record(rw.c, rw.v);
	}
	rw_readers_stop();
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < r[k].nlater; i++)
			reader_check(&r[k], &r[k].later[i]);
		lookups += r[k].lookups;
		checked += r[k].checked;
		wrong += r[k].wrong;
		if (r[k].err)
			print_message("# a lookup failed: %s\n", strerror(-r[k].err));
	}
	print_message("# %ld lookups, %ld checked against the published states\n", lookups,
		      checked);
	assert_int_equal(wrong, 0);
	assert_true(checked > 1000);
	rw.created = false;
	assert_int_equal(vmac_destroy(rw.c, "rw"), 0);
}

/* ---- the daemon goes --------------------------------------------------------------------- */

static void
test_daemon_gone(void **state)
{
	(void)state;
	if (local_mode)
		skip();
	struct tvmad victim;
	struct vmac_conn *c;
	struct vmac_view *v;
	struct vmac_view_vma w;

	assert_int_equal(tvmad_start(&victim), 0);
	assert_int_equal(vmac_connect(victim.sock, &c), 0);
	assert_int_equal(vmac_create(c, "g", NULL), 0);
	assert_int_equal(
		vmac_mmap(c, "g", BASE, PAGE, VMAC_PROT_READ, ANON | VMAC_MAP_FIXED, NULL, 0, NULL),
		0);
	assert_int_equal(vmac_view_open(c, "g", &v), 0);
	vmac_close(c); /* the view does not need the connection it came from */
	assert_int_equal(vmac_view_find_vma(v, 0, &w), VMAC_FOUND_VMA);
	tvmad_signal(&victim, SIGKILL);
	int rc = 0;
	for (int i = 0; i < 200 && rc >= 0; i++) {
		rc = vmac_view_find_vma(v, 0, &w);
		usleep(5000);
	}
	assert_int_equal(rc, -ENOTCONN);
	vmac_view_close(v);
	tvmad_stop(&victim);
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
		cmocka_unit_test(test_equal_to_daemon),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_whole_space_changes),
		cmocka_unit_test(test_fork_exec),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test_teardown(test_reader_vs_writer, rw_teardown),
		cmocka_unit_test(test_daemon_gone),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
