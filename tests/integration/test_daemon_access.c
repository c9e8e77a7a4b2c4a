/* SPDX-License-Identifier: MIT */
/*
 * Access control with real peer credentials: as root, the test runs clients under other
 * uids (forked children that drop to them) and checks every right against the space's
 * owner and mode, like a file's.
 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stddef.h>
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

#define ANON (VMAC_MAP_PRIVATE | VMAC_MAP_ANONYMOUS)
#define RW   (VMAC_PROT_READ | VMAC_PROT_WRITE)

#define NOBODY 65534
#define OTHER  65533
#define ADDR   0x10000000ULL

/* In a child: report the first failed expectation and exit with status 1. */
#define EXPECT(cond)                                                                               \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "child uid %u: line %d: %s\n", (unsigned)getuid(),         \
				__LINE__, #cond);                                                  \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

static struct vmad_proc vm;
static struct vmac_conn *root;

static int
group_setup(void **state)
{
	static const char *const spaces[] = { "private", "readable", "writable", "group" };
	static const uint32_t modes[] = { 0600, 0644, 0666, 0640 };
	struct vmac_create_opts o;

	(void)state;
	if (harness_group_start(&vm, NULL, &root) < 0)
		return -1;
	for (int i = 0; i < 4; i++) {
		vmac_create_opts_init(&o);
		o.set = VMAC_OPT_MODE;
		o.mode = modes[i];
		if (vmac_create(root, spaces[i], &o) < 0 ||
		    vmac_mmap(root, spaces[i], ADDR, 0x4000, RW, ANON | VMAC_MAP_FIXED, NULL, 0,
			      NULL) < 0)
			return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return harness_group_stop(&vm, root);
}

static int
setup(void **state)
{
	(void)state;
	harness_bound(60);
	return 0;
}

/*
 * The tests act as other users, which only root can: elsewhere each one is skipped, and
 * reported as skipped (skip() in a setup would count as a failure).
 */
static void
require_root(void)
{
	if (geteuid() != 0)
		skip();
}

/* Runs fn in a child with the given identity; returns fn's result (0 = all as expected). */
static int
as_user(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups, int (*fn)(struct vmac_conn *))
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		struct vmac_conn *c;

		if (setgroups(ngroups, groups) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0 || vmac_connect(vm.sock, &c) < 0)
			_exit(2);
		_exit(fn(c));
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool
listed(struct vmac_conn *c, const char *name, uint32_t *uid)
{
	const struct vmac_space *s;
	size_t n;

	if (vmac_list(c, &s, &n) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(s[i].name, name) == 0) {
			if (uid)
				*uid = s[i].uid;
			return true;
		}
	return false;
}

/* Every change is refused on name. */
static int
no_writes(struct vmac_conn *c, const char *name)
{
	enum vmac_fault_result fr;

	EXPECT(vmac_mmap(c, name, 0, 4096, RW, ANON, NULL, 0, NULL) == -EACCES);
	EXPECT(strstr(vmac_errmsg(c), "write") != NULL);
	EXPECT(vmac_munmap(c, name, ADDR, 4096) == -EACCES);
	EXPECT(vmac_mprotect(c, name, ADDR, 4096, VMAC_PROT_READ) == -EACCES);
	EXPECT(vmac_mremap(c, name, ADDR, 4096, 8192, VMAC_MREMAP_MAYMOVE, 0, NULL) == -EACCES);
	EXPECT(vmac_brk(c, name, 0x600000000000ULL, NULL) == -EACCES);
	EXPECT(vmac_populate(c, name, ADDR, 4096, false) == -EACCES);
	EXPECT(vmac_fault(c, name, ADDR, VMAC_ACCESS_READ, &fr) == -EACCES);
	EXPECT(vmac_madvise(c, name, ADDR, 4096, VMAC_MADV_DONTNEED) == -EACCES);
	EXPECT(vmac_mlock(c, name, ADDR, 4096) == -EACCES);
	EXPECT(vmac_munlock(c, name, ADDR, 4096) == -EACCES);
	EXPECT(vmac_destroy(c, name) == -EACCES);
	return 0;
}

static int
no_reads(struct vmac_conn *c, const char *name)
{
	struct vmac_maps_iter *it = NULL;
	struct vmac_status st;
	struct vmac_vma v;
	int r;

	EXPECT(vmac_status(c, name, &st) == -EACCES);
	EXPECT(strstr(vmac_errmsg(c), "read") != NULL);
	EXPECT(vmac_find_vma(c, name, 0, &v) == -EACCES);
	EXPECT(vmac_brk(c, name, 0, NULL) == -EACCES);
	EXPECT(vmac_fork(c, name, "stolen") == -EACCES);
	r = vmac_maps_open(c, name, 0, 0, &it);
	if (r == 0) {
		struct vmac_vma first;

		r = vmac_maps_next(it, &first);
		vmac_maps_close(it);
	}
	EXPECT(r == -EACCES);
	EXPECT(!listed(c, name, NULL));
	return no_writes(c, name);
}

static int
nobody_checks(struct vmac_conn *c)
{
	struct vmac_status st;
	struct vmac_vma v;
	uint64_t brk = 0;
	uint32_t uid = 0;

	/* 0600 root: nothing. */
	EXPECT(no_reads(c, "private") == 0);
	EXPECT(vmac_watch(c, "private") == -EACCES);
	/* 0640 root:root, and nobody is not in group 0: nothing. */
	EXPECT(no_reads(c, "group") == 0);
	/* 0644: reads only. */
	EXPECT(listed(c, "readable", NULL));
	EXPECT(vmac_status(c, "readable", &st) == 0 && st.map_count == 1);
	EXPECT(vmac_find_vma(c, "readable", 0, &v) == VMAC_FOUND_VMA && v.start == ADDR);
	EXPECT(vmac_brk(c, "readable", 0, &brk) == 0 && brk != 0);
	EXPECT(no_writes(c, "readable") == 0);
	/* fork needs r on the source and gives the caller the copy. */
	EXPECT(vmac_fork(c, "readable", "mine") == 0);
	EXPECT(listed(c, "mine", &uid) && uid == NOBODY);
	EXPECT(vmac_mmap(c, "mine", 0, 4096, RW, ANON, NULL, 0, NULL) == 0);
	EXPECT(vmac_destroy(c, "mine") == 0);
	/* 0666: changes too, but only the owner destroys. */
	EXPECT(vmac_mmap(c, "writable", 0, 4096, RW, ANON, NULL, 0, NULL) == 0);
	EXPECT(vmac_munmap(c, "writable", ADDR, 4096) == 0);
	EXPECT(vmac_destroy(c, "writable") == -EACCES);
	/* A space of one's own, 0600; and one whose owner bits are empty. */
	EXPECT(vmac_create(c, "nob", NULL) == 0);
	EXPECT(vmac_mmap(c, "nob", ADDR, 4096, RW, ANON | VMAC_MAP_FIXED, NULL, 0, NULL) == 0);
	return 0;
}

static int
owner_bits_decide(struct vmac_conn *c)
{
	struct vmac_create_opts o;
	struct vmac_status st;

	vmac_create_opts_init(&o);
	o.set = VMAC_OPT_MODE;
	o.mode = 0066;
	EXPECT(vmac_create(c, "noowner", &o) == 0);
	/* Like a file: the owner class matches first and has no bits, so group and other
	 * bits do not help the owner... */
	EXPECT(vmac_status(c, "noowner", &st) == -EACCES);
	EXPECT(vmac_mmap(c, "noowner", 0, 4096, RW, ANON, NULL, 0, NULL) == -EACCES);
	/* ...who may still destroy it. */
	EXPECT(vmac_destroy(c, "noowner") == 0);
	return 0;
}

static int
other_checks(struct vmac_conn *c)
{
	struct vmac_status st;

	/* In group 0 (a supplementary group): 0640 root:root gives read, not write. */
	EXPECT(vmac_status(c, "group", &st) == 0);
	EXPECT(listed(c, "group", NULL));
	EXPECT(no_writes(c, "group") == 0);
	/* nobody's 0600 space is closed to another user. */
	EXPECT(no_reads(c, "nob") == 0);
	EXPECT(no_reads(c, "private") == 0);
	return 0;
}

static void
test_nobody(void **state)
{
	(void)state;
	require_root();
	assert_int_equal(as_user(NOBODY, NOBODY, NULL, 0, nobody_checks), 0);
	assert_int_equal(as_user(NOBODY, NOBODY, NULL, 0, owner_bits_decide), 0);
}

static void
test_other_user_in_group(void **state)
{
	static const gid_t groups[] = { 0 };

	(void)state;
	require_root();
	assert_int_equal(as_user(OTHER, OTHER, groups, 1, other_checks), 0);
}

/* uid 0 may do everything, on anybody's space. */
static void
test_root_may_all(void **state)
{
	const struct vmac_space *s;
	struct vmac_status st;
	size_t n;
	bool seen = false;

	(void)state;
	require_root();
	assert_int_equal(vmac_list(root, &s, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (strcmp(s[i].name, "nob") == 0) {
			seen = true;
			assert_int_equal(s[i].uid, NOBODY);
			assert_int_equal(s[i].gid, NOBODY);
			assert_int_equal(s[i].mode, 0600);
		}
	assert_true(seen);
	assert_int_equal(vmac_status(root, "nob", &st), 0);
	assert_int_equal(st.map_count, 1);
	assert_int_equal(vmac_mmap(root, "nob", 0, 4096, RW, ANON, NULL, 0, NULL), 0);
	assert_int_equal(vmac_destroy(root, "nob"), 0);
}

/* A missing space is ENOENT for everyone: the name lookup comes before the rights. */
static int
missing_is_enoent(struct vmac_conn *c)
{
	struct vmac_status st;

	EXPECT(vmac_status(c, "does-not-exist", &st) == -ENOENT);
	EXPECT(vmac_destroy(c, "does-not-exist") == -ENOENT);
	return 0;
}

static void
test_missing(void **state)
{
	(void)state;
	require_root();
	assert_int_equal(as_user(NOBODY, NOBODY, NULL, 0, missing_is_enoent), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_nobody, setup),
		cmocka_unit_test_setup(test_other_user_in_group, setup),
		cmocka_unit_test_setup(test_root_may_all, setup),
		cmocka_unit_test_setup(test_missing, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
