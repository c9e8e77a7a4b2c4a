/* SPDX-License-Identifier: MIT */
/*
 * vmad-stress's own pieces without a daemon: a seed gives the same sequence again, a slice's
 * changes stay inside the slice, every kind of operation occurs, and the latency histogram's
 * quantiles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stress.h"

#define STEPS 3000

static const struct st_target private_space = {
	.space = "t",
	.lo = 0,
	.hi = 0x7ffffffff000ULL,
	.with_stack = true,
	.rlimit_memlock = 4 << 20,
};
static const struct st_target slice = {
	.space = "s",
	.slice = true,
	.lo = 0x100000200000ULL,
	.hi = 0x100003e00000ULL,
	.rlimit_memlock = VMAC_RLIM_INFINITY,
};

/* Runs a sequence; fills ops[] and the final maps text. */
static void
run(const struct st_target *t, uint64_t seed, struct st_op *ops, char **maps)
{
	struct replay *r;
	struct st_result res;
	struct gen g;

	assert_int_equal(replay_open(t, &r), 0);
	gen_init(&g, seed, t);
	for (int i = 0; i < STEPS; i++) {
		gen_next(&g, r, &ops[i]);
		replay_apply(r, &ops[i], &res);
		result_clear(&res);
	}
	assert_int_equal(replay_maps(r, 0, UINT64_MAX, maps), 0);
	replay_close(r);
}

static void
test_seed_replays(void **state)
{
	static struct st_op a[STEPS], b[STEPS], c[STEPS];
	char *ma, *mb, *mc;

	(void)state;
	run(&private_space, 7, a, &ma);
	run(&private_space, 7, b, &mb);
	run(&private_space, 8, c, &mc);
	assert_memory_equal(a, b, sizeof(a));
	assert_string_equal(ma, mb);
	assert_true(memcmp(a, c, sizeof(a)) != 0);
	free(ma);
	free(mb);
	free(mc);
}

static void
test_every_kind(void **state)
{
	static struct st_op ops[STEPS];
	bool seen[ST_KIND_COUNT] = { false };
	char *maps;

	(void)state;
	run(&private_space, 11, ops, &maps);
	for (int i = 0; i < STEPS; i++)
		seen[ops[i].kind] = true;
	for (int k = 0; k < ST_KIND_COUNT; k++)
		assert_true(seen[k]);
	free(maps);
}

/* Every VMA of a slice's replay lies inside the slice, and the slice's requests aim there. */
static void
test_slice_stays_inside(void **state)
{
	static struct st_op ops[STEPS];
	char *maps, *line;

	(void)state;
	run(&slice, 3, ops, &maps);
	for (line = maps; *line; line = strchr(line, '\n') + 1) {
		unsigned long long start, end;

		assert_int_equal(sscanf(line, "%llx-%llx", &start, &end), 2);
		if (start >= 0xffffffffff600000ULL)
			continue; /* [vsyscall] */
		assert_true(start >= slice.lo && end <= slice.hi);
	}
	for (int i = 0; i < STEPS; i++) {
		assert_true(ops[i].kind != ST_BRK && ops[i].kind != ST_FORK &&
			    ops[i].kind != ST_MLOCK);
		if (ops[i].kind == ST_MMAP)
			assert_true(ops[i].flags & (VMAC_MAP_FIXED | VMAC_MAP_FIXED_NOREPLACE));
		if (ops[i].kind == ST_MREMAP)
			assert_true(ops[i].flags == 0 || (ops[i].flags & VMAC_MREMAP_FIXED));
	}
	free(maps);
}

static void
test_hist_quantiles(void **state)
{
	static uint64_t hist[ST_HIST_BUCKETS];

	(void)state;
	for (uint64_t us = 1; us <= 1000; us++)
		hist_add(hist, us);
	/* Buckets are exact below 64 us and about 3% wide above. */
	assert_true(hist_quantile(hist, 0.5) >= 485 && hist_quantile(hist, 0.5) <= 500);
	assert_true(hist_quantile(hist, 0.99) >= 960 && hist_quantile(hist, 0.99) <= 990);
	assert_int_equal(hist_quantile(hist, 0.0), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_replays),
		cmocka_unit_test(test_every_kind),
		cmocka_unit_test(test_slice_stays_inside),
		cmocka_unit_test(test_hist_quantiles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
