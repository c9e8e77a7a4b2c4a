/* SPDX-License-Identifier: MIT */
/* daemon/space.c on its own: names, the hash table, and the file-like access rules. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "mm.h"
#include "space.h"

static void
test_names(void **state)
{
	char name[300];

	(void)state;
	assert_int_equal(space_name_check("a"), 0);
	assert_int_equal(space_name_check("Az09._-"), 0);
	assert_int_equal(space_name_check(""), -EINVAL);
	assert_int_equal(space_name_check("a b"), -EINVAL);
	assert_int_equal(space_name_check("a/b"), -EINVAL);
	assert_int_equal(space_name_check("caf\xc3\xa9"), -EINVAL);
	assert_int_equal(space_name_check("tab\t"), -EINVAL);
	memset(name, 'x', sizeof(name));
	name[255] = '\0';
	assert_int_equal(space_name_check(name), 0);
	name[255] = 'x';
	name[256] = '\0';
	assert_int_equal(space_name_check(name), -EINVAL);
}

static struct mm *
new_mm(void)
{
	struct mm_config cfg;
	struct mm *mm;

	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	assert_int_equal(mm_create(&cfg, &mm), 0);
	return mm;
}

static void
test_table(void **state)
{
	enum { N = 1000 };
	struct peer_cred owner = { .uid = 1000, .gid = 100 };
	struct space_table t;
	struct space *sp;
	struct mm *dup;
	char name[32];
	int seen[N] = { 0 };
	size_t count = 0;

	(void)state;
	assert_int_equal(space_table_init(&t), 0);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "space-%d", i);
		assert_int_equal(space_add(&t, name, new_mm(), &owner, 0640, &sp), 0);
		assert_string_equal(sp->name, name);
		assert_int_equal(sp->uid, 1000);
		assert_int_equal(sp->gid, 100);
		assert_int_equal(sp->mode, 0640);
	}
	assert_int_equal(t.count, N);
	/* The table grew with its load. */
	assert_true(t.nbuckets >= N);
	dup = new_mm();
	assert_int_equal(space_add(&t, "space-7", dup, &owner, 0600, NULL), -EEXIST);
	mm_destroy(dup);
	for (sp = space_next(&t, NULL); sp; sp = space_next(&t, sp)) {
		int k;

		assert_int_equal(sscanf(sp->name, "space-%d", &k), 1);
		assert_int_equal(seen[k]++, 0);
		count++;
	}
	assert_int_equal(count, N);
	for (int i = 0; i < N; i += 2) {
		snprintf(name, sizeof(name), "space-%d", i);
		sp = space_find(&t, name);
		assert_non_null(sp);
		space_remove(&t, sp);
	}
	assert_int_equal(t.count, N / 2);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "space-%d", i);
		if (i % 2)
			assert_non_null(space_find(&t, name));
		else
			assert_null(space_find(&t, name));
	}
	space_table_fini(&t);
	space_table_fini(NULL);
}

static void
test_access(void **state)
{
	gid_t groups[] = { 7, 100 };
	struct space sp = { .uid = 1000, .gid = 100, .mode = 0640 };
	struct peer_cred owner = { .uid = 1000, .gid = 1000 };
	struct peer_cred member = { .uid = 2000, .gid = 2000, .groups = groups, .ngroups = 2 };
	struct peer_cred primary = { .uid = 2001, .gid = 100 };
	struct peer_cred other = { .uid = 3000, .gid = 3000 };
	struct peer_cred root = { .uid = 0, .gid = 0 };

	(void)state;
	assert_int_equal(space_access(&sp, &owner, SPACE_READ), 0);
	assert_int_equal(space_access(&sp, &owner, SPACE_WRITE), 0);
	assert_int_equal(space_access(&sp, &member, SPACE_READ), 0);
	assert_int_equal(space_access(&sp, &member, SPACE_WRITE), -EACCES);
	assert_int_equal(space_access(&sp, &primary, SPACE_READ), 0);
	assert_int_equal(space_access(&sp, &other, SPACE_READ), -EACCES);
	assert_int_equal(space_access(&sp, &root, SPACE_WRITE), 0);
	/* The first class that matches decides, as for files. */
	sp.mode = 0077;
	assert_int_equal(space_access(&sp, &owner, SPACE_READ), -EACCES);
	assert_int_equal(space_access(&sp, &member, SPACE_WRITE), 0);
	sp.mode = 0606;
	assert_int_equal(space_access(&sp, &member, SPACE_READ), -EACCES);
	assert_int_equal(space_access(&sp, &other, SPACE_WRITE), 0);
	assert_int_equal(space_owner_check(&sp, &owner), 0);
	assert_int_equal(space_owner_check(&sp, &root), 0);
	assert_int_equal(space_owner_check(&sp, &member), -EACCES);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_access),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
