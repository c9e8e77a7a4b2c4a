/* SPDX-License-Identifier: MIT */
/*
 * Per-uid quotas and the memory budget against a real vmad: refusals carry EDQUOT or ENOMEM
 * and a message naming the limit, a refused request changes nothing, other uids are still
 * served, and quotas are given back on destroy.  The budget test drives the daemon into its
 * --memory-max and checks its resident memory stays within the budget and a fixed margin.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"
#include "vmaclient.h"

#define PAGE     4096ULL
#define BASE     0x100000000ULL
#define ANON     (VMAC_MAP_PRIVATE | VMAC_MAP_ANONYMOUS)
#define ANON_AT  (ANON | VMAC_MAP_FIXED)
#define RW       (VMAC_PROT_READ | VMAC_PROT_WRITE)
#define CELL     (4 * PAGE) /* each test VMA: three pages, then a one-page hole */
#define CELL_LEN (3 * PAGE)
#define CHUNK    1000
#define MIB      (1024ULL * 1024)
/* What the daemon's resident memory may exceed its budget by: code, libraries, stacks,
 * the allocator's own slack, and the one request's growth the check lets through. */
#define RSS_MARGIN (24 * MIB)

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static uint64_t
cell(uint64_t i)
{
	return BASE + i * CELL;
}

/* mmaps cells [first, first + n) pipelined; the count that succeeded, first error in *err. */
static uint64_t
map_cells(struct vmac_conn *c, const char *name, uint64_t first, uint64_t n, int *err)
{
	uint64_t ok = 0;
	int r, result;

	*err = 0;
	assert_int_equal(vmac_pipeline_begin(c), 0);
	for (uint64_t i = first; i < first + n; i++)
		assert_int_equal(vmac_mmap(c, name, cell(i), CELL_LEN, RW, ANON_AT, NULL, 0, NULL),
				 0);
	assert_true(vmac_pipeline_end(c) >= 0);
	while ((r = vmac_pipeline_next(c, &result)) == 1) {
		if (result == 0)
			ok++;
		else if (*err == 0)
			*err = result;
	}
	assert_int_equal(r, 0);
	return ok;
}

static uint64_t
map_count(struct vmac_conn *c, const char *name)
{
	struct vmac_status st;

	assert_int_equal(vmac_status(c, name, &st), 0);
	return st.map_count;
}

static void
assert_msg_names(struct vmac_conn *c, const char *what)
{
	if (!strstr(vmac_errmsg(c), what))
		fail_msg("message '%s' does not name %s", vmac_errmsg(c), what);
}

static const struct vmac_usage_uid *
usage_of(struct vmac_conn *c, uint32_t uid, struct vmac_usage *u)
{
	*u = (struct vmac_usage){ 0 };
	assert_int_equal(vmac_usage(c, u), 0);
	for (size_t i = 0; i < u->n_uids; i++)
		if (u->uids[i].uid == uid)
			return &u->uids[i];
	return NULL;
}

static void
start(struct vmad_proc *p, struct vmac_conn **c, const char *const *args)
{
	harness_bound(100);
	assert_int_equal(vmad_start(p, args, NULL), 0);
	assert_int_equal(vmac_connect(p->sock, c), 0);
}

static void
test_space_quota(void **state)
{
	static const char *const args[] = { "--max-spaces-per-uid", "2", NULL };
	const struct vmac_space *list;
	struct vmad_proc p;
	struct vmac_conn *c;
	size_t n;

	(void)state;
	start(&p, &c, args);
	assert_int_equal(vmac_create(c, "one", NULL), 0);
	assert_int_equal(vmac_create(c, "two", NULL), 0);
	assert_int_equal(vmac_create(c, "three", NULL), -EDQUOT);
	assert_msg_names(c, "--max-spaces-per-uid");
	assert_int_equal(vmac_fork(c, "one", "three"), -EDQUOT);
	assert_int_equal(vmac_import(c, "three", "", NULL), -EDQUOT);
	/* Nothing was made: the name is still free, the list still two long. */
	assert_int_equal(vmac_list(c, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(vmac_destroy(c, "three"), -ENOENT);
	/* Destroy gives the quota back. */
	assert_int_equal(vmac_destroy(c, "two"), 0);
	assert_int_equal(vmac_fork(c, "one", "three"), 0);
	vmac_close(c);
	assert_int_equal(vmad_stop(&p), 0);
}

static void
test_vma_quota(void **state)
{
	static const char *const args[] = { "--max-vmas-per-uid", "8", NULL };
	const struct vmac_usage_uid *mine;
	struct vmac_usage u;
	struct vmad_proc p;
	struct vmac_conn *c;
	uint32_t uid = (uint32_t)getuid();
	int err;

	(void)state;
	start(&p, &c, args);
	assert_int_equal(vmac_create(c, "a", NULL), 0);
	assert_int_equal(map_cells(c, "a", 0, 9, &err), 8);
	assert_int_equal(err, -EDQUOT);
	assert_int_equal(map_count(c, "a"), 8);
	/* The quota is the owner's, over all its spaces. */
	assert_int_equal(vmac_create(c, "b", NULL), 0);
	assert_int_equal(vmac_mmap(c, "b", 0, PAGE, RW, ANON, NULL, 0, NULL), -EDQUOT);
	assert_msg_names(c, "--max-vmas-per-uid");
	assert_int_equal(map_count(c, "b"), 0);
	/* A split past it is refused as the kernel refuses at max_map_count, nothing changed. */
	assert_int_equal(vmac_mprotect(c, "a", cell(0) + PAGE, PAGE, VMAC_PROT_READ), -EDQUOT);
	assert_int_equal(map_count(c, "a"), 8);
	assert_int_equal(vmac_fork(c, "a", "c"), -EDQUOT);
	mine = usage_of(c, uid, &u);
	assert_non_null(mine);
	assert_int_equal(mine->spaces, 2);
	assert_int_equal(mine->vmas, 8);
	assert_int_equal(u.max_vmas_per_uid, 8);
	/* Unmapping and destroying give VMAs back. */
	assert_int_equal(vmac_munmap(c, "a", cell(7), CELL), 0);
	assert_int_equal(vmac_mprotect(c, "a", cell(0), PAGE, VMAC_PROT_READ), 0);
	assert_int_equal(map_count(c, "a"), 8);
	assert_int_equal(vmac_destroy(c, "a"), 0);
	assert_int_equal(map_cells(c, "b", 0, 8, &err), 8);
	assert_int_equal(usage_of(c, uid, &u)->vmas, 8);
	vmac_close(c);
	assert_int_equal(vmad_stop(&p), 0);
}

/* As uid 65534, in a child: a space of its own and a mapping, whatever root holds. */
static int
other_uid_client(const char *sock)
{
	struct vmac_conn *c;
	struct vmac_usage u = { 0 };

	if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
		return 10;
	if (vmac_connect(sock, &c) < 0)
		return 11;
	if (vmac_create(c, "nobody", NULL) < 0 ||
	    vmac_mmap(c, "nobody", 0, PAGE, RW, ANON, NULL, 0, NULL) < 0)
		return 12;
	/* Its usage shows itself only. */
	if (vmac_usage(c, &u) < 0 || u.n_uids != 1 || u.uids[0].uid != 65534 || u.uids[0].vmas != 1)
		return 13;
	vmac_close(c);
	return 0;
}

static int
run_as_other(const char *sock)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(other_uid_client(sock));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void
test_quota_other_uid(void **state)
{
	static const char *const args[] = { "--max-spaces-per-uid", "1", "--max-vmas-per-uid", "1",
					    NULL };
	struct vmad_proc p;
	struct vmac_conn *c;

	(void)state;
	if (geteuid() != 0)
		skip();
	start(&p, &c, args);
	assert_int_equal(vmac_create(c, "root", NULL), 0);
	assert_int_equal(vmac_mmap(c, "root", 0, PAGE, RW, ANON, NULL, 0, NULL), 0);
	assert_int_equal(vmac_create(c, "root2", NULL), -EDQUOT);
	assert_int_equal(vmac_mmap(c, "root", 0, PAGE, RW, ANON, NULL, 0, NULL), -EDQUOT);
	assert_int_equal(run_as_other(p.sock), 0);
	vmac_close(c);
	assert_int_equal(vmad_stop(&p), 0);
}

/*
 * Spaces of CHUNK cells each ("big0", "big1", ...: small enough for the engine's checker,
 * which a sanitizer build runs after every operation) until the budget refuses a mapping or
 * a space.  Returns the cells mapped; *last is the last space's index.
 */
static uint64_t
fill_to_budget(struct vmac_conn *c, const struct vmad_proc *p, uint64_t *rss_max, int *last)
{
	uint64_t mapped = 0, rss;
	char name[16];
	int err = 0;

	for (*last = 0; err == 0; ++*last) {
		snprintf(name, sizeof(name), "big%d", *last);
		err = vmac_create(c, name, NULL);
		if (err == 0)
			mapped += map_cells(c, name, 0, CHUNK, &err);
		rss = vmad_rss_bytes(p);
		assert_true(rss > 0);
		*rss_max = rss > *rss_max ? rss : *rss_max;
		assert_true(*last < 4000);
	}
	assert_int_equal(err, -ENOMEM);
	--*last;
	return mapped;
}

/* Requests of one kind until the budget refuses one: the successes. */
static uint64_t
refuse_loop(struct vmac_conn *c, const char *kind)
{
	uint64_t ok = 0, count = map_count(c, "big0");
	char name[32];
	int r;

	do {
		snprintf(name, sizeof(name), "%s%llu", kind, (unsigned long long)ok);
		if (strcmp(kind, "mmap") == 0)
			r = vmac_mmap(c, "big0", cell(count + ok), CELL_LEN, RW, ANON_AT, NULL, 0,
				      NULL);
		else if (strcmp(kind, "create") == 0)
			r = vmac_create(c, name, NULL);
		else
			r = vmac_fork(c, "big0", name);
		ok += r == 0;
		assert_true(ok < 100000);
	} while (r == 0);
	assert_int_equal(r, -ENOMEM);
	assert_msg_names(c, "--memory-max");
	/* Nothing was made or mapped. */
	assert_int_equal(map_count(c, "big0"), count + (strcmp(kind, "mmap") == 0 ? ok : 0));
	if (strcmp(kind, "mmap") != 0)
		assert_int_equal(vmac_destroy(c, name), -ENOENT);
	return strcmp(kind, "mmap") == 0 ? ok : 0;
}

static void
test_budget(void **state)
{
	static const char *const args[] = { "--memory-max", "24M", "--max-vmas-per-uid",
					    "100000000", NULL };
	struct vmac_usage u;
	struct vmac_vma v;
	struct vmad_proc p;
	struct vmac_conn *c;
	uint64_t mapped, rss_max = 0;
	char name[16];
	int n, r;

	(void)state;
	start(&p, &c, args);
	mapped = fill_to_budget(c, &p, &rss_max, &n);
	/*
	 * At the edge the connections' buffers come and go, so a request may fit again: each
	 * kind is repeated until refused.  A refused request changes nothing and names the budget.
	 */
	mapped += refuse_loop(c, "mmap");
	refuse_loop(c, "create");
	refuse_loop(c, "fork");
	/* Reads keep working, and the daemon says where it stands. */
	assert_int_equal(vmac_find_vma(c, "big0", cell(CHUNK / 2), &v), VMAC_FOUND_VMA);
	assert_int_equal(v.start, cell(CHUNK / 2));
	usage_of(c, 0, &u);
	assert_int_equal(u.memory_max, 24 * MIB);
	assert_true(u.memory_used <= u.memory_max);
	print_message("# budget 24 MiB: %llu VMAs held, %llu bytes counted, largest RSS %llu "
		      "bytes\n",
		      (unsigned long long)mapped, (unsigned long long)u.memory_used,
		      (unsigned long long)rss_max);
#ifndef UNDER_ASAN
	assert_true(rss_max <= u.memory_max + RSS_MARGIN);
#else
	print_message("# RSS bound not checked: AddressSanitizer's shadow and quarantine\n");
#endif
	/* Destroy frees, and the next request is served again. */
	assert_int_equal(vmac_munmap(c, "big0", cell(0), CELL), 0);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "big%d", i);
		assert_int_equal(vmac_destroy(c, name), 0);
	}
	/* The space the budget stopped: made and partly filled, or refused. */
	snprintf(name, sizeof(name), "big%d", n);
	r = vmac_destroy(c, name);
	assert_true(r == 0 || r == -ENOENT);
	assert_int_equal(vmac_create(c, "more", NULL), 0);
	assert_int_equal(map_cells(c, "more", 0, 16, &(int){ 0 }), 16);
	vmac_close(c);
	assert_int_equal(vmad_stop(&p), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_space_quota),
		cmocka_unit_test(test_vma_quota),
		cmocka_unit_test(test_quota_other_uid),
		cmocka_unit_test(test_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
