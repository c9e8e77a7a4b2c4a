/* SPDX-License-Identifier: MIT */
/*
 * mm_take_changed(): after every operation, the VMAs that differ (range, flags, offset, file,
 * maps line) lie inside the ranges it reports, and no VMA, before or after, crosses an edge of
 * one.  Random operations of every kind that changes VMAs or their maps names: mmap (anonymous,
 * files, shared), munmap, mprotect and mlock inside one VMA (flags only, splits, merges),
 * madvise, mremap (growing in place and moving), mseal, brk, file truncation and unlinking,
 * fork (the parent does not change), and the layout set directly.
 */
#include "test_helpers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BASE  0x10000000ULL
#define SPAN  256 /* pages the operations play in */
#define MAXV  1024
#define OPS   20000
#define ROUND 1000

/* One VMA as a copy of it would show it. */
struct rec {
	uint64_t start, end, flags;
	char line[512];
};

struct snap {
	size_t n;
	struct rec r[MAXV];
};

static void
snap_take(const struct mm *mm, struct snap *s)
{
	s->n = 0;
	for (const struct vma *v = mm_first_vma(mm); v; v = mm_next_vma(v)) {
		struct mm_vma_info info;
		struct rec *r = &s->r[s->n++];

		assert_true(s->n <= MAXV);
		mm_vma_info(v, &info);
		r->start = info.start;
		r->end = info.end;
		r->flags = info.flags;
		mm_format_maps_line(mm, v, r->line, sizeof(r->line));
	}
}

static bool
rec_in(const struct rec *r, const struct snap *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->r[i].start == r->start)
			return s->r[i].end == r->end && s->r[i].flags == r->flags &&
			       strcmp(s->r[i].line, r->line) == 0;
	return false;
}

/* Each record of a that b does not hold unchanged is inside a range; none crosses an edge. */
static void
check_covered(const struct snap *a, const struct snap *b, const struct mm_range *rg, unsigned n,
	      int op)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct rec *r = &a->r[i];
		bool inside = false;

		for (unsigned k = 0; k < n; k++) {
			bool crosses = (r->start < rg[k].lo && r->end > rg[k].lo) ||
				       (r->start < rg[k].hi && r->end > rg[k].hi);

			if (crosses)
				fail_msg("op %d: [%llx, %llx) crosses changed [%llx, %llx)", op,
					 (unsigned long long)r->start, (unsigned long long)r->end,
					 (unsigned long long)rg[k].lo,
					 (unsigned long long)rg[k].hi);
			inside |= r->start >= rg[k].lo && r->end <= rg[k].hi;
		}
		if (!inside && !rec_in(r, b))
			fail_msg("op %d: %s changed outside the changed ranges", op, r->line);
	}
}

static void
check_ranges(const struct mm_range *rg, unsigned n)
{
	assert_true(n <= MM_CHANGED_RANGES);
	for (unsigned k = 0; k < n; k++) {
		assert_true(rg[k].lo < rg[k].hi);
		for (unsigned j = 0; j < k; j++)
			assert_true(rg[j].hi < rg[k].lo || rg[k].hi < rg[j].lo);
	}
}

static const struct mm_file_desc files[] = {
	{ .path = "/usr/lib/liba.so",
	  .mode = MM_FMODE_READ | MM_FMODE_WRITE,
	  .dev_major = 8,
	  .dev_minor = 1,
	  .ino = 11,
	  .size = MM_FILE_SIZE_UNKNOWN },
	{ .path = "/usr/lib/libb.so",
	  .mode = MM_FMODE_READ | MM_FMODE_WRITE,
	  .dev_major = 8,
	  .dev_minor = 2,
	  .ino = 12,
	  .size = 64 * P },
	{ .path = "/usr/lib/libb.so",
	  .mode = MM_FMODE_READ | MM_FMODE_WRITE,
	  .dev_major = 8,
	  .dev_minor = 2,
	  .ino = 12,
	  .size = 64 * P,
	  .deleted = true },
};

static uint64_t file_id;

static void
op_mmap(struct mm *mm, unsigned *seed, uint64_t a, uint64_t len, uint32_t prot)
{
	int k = rand_r(seed) % 6;
	uint32_t flags = MM_MAP_FIXED | (k == 5 ? MM_MAP_SHARED | MM_MAP_ANONYMOUS
						: MM_MAP_PRIVATE | (k < 3 ? MM_MAP_ANONYMOUS : 0));
	struct mm_file_desc byid = { .id = file_id };
	const struct mm_file_desc *f = k == 3 ? &files[rand_r(seed) % 3] : k == 4 ? &byid : NULL;
	uint64_t at;

	(void)mm_mmap(mm, a, len, prot, flags, f, f ? (uint64_t)(rand_r(seed) % 4) * P : 0, &at);
}

static void
op_mremap(struct mm *mm, unsigned *seed, uint64_t a, uint64_t len)
{
	uint64_t to = BASE + (uint64_t)(rand_r(seed) % SPAN) * P, at;

	switch (rand_r(seed) % 3) {
	case 0:
		(void)mm_mremap(mm, a, len, len * 2, MM_MREMAP_MAYMOVE, 0, &at);
		break;
	case 1:
		(void)mm_mremap(mm, a, len, len, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED,
				to + 64 * SPAN * P, &at);
		break;
	default:
		(void)mm_mremap(mm, a, len, len / 2 ? len / 2 : len, 0, 0, &at);
		break;
	}
}

static void
op_brk(struct mm *mm, unsigned *seed)
{
	struct mm_status st;

	mm_get_status(mm, &st);
	(void)mm_brk(mm, st.brk + (rand_r(seed) % 2 ? 1 : -1) * (int64_t)(rand_r(seed) % 3) * P +
				 (uint64_t)(rand_r(seed) % 2) * 100);
}

static void
op_file(struct mm *mm, unsigned *seed)
{
	struct mm_file_desc d = files[1];

	switch (rand_r(seed) % 3) {
	case 0:
		(void)mm_file_set_size(mm, file_id, (uint64_t)(rand_r(seed) % 8) * P);
		break;
	case 1:
		(void)mm_file_unlink(mm, file_id);
		break;
	default:
		(void)mm_file_close(mm, file_id);
		d.instance = (uint64_t)rand_r(seed);
		assert_int_equal(mm_file_open(mm, &d, &file_id), 0);
		break;
	}
}

static void
op_fork(struct mm *mm)
{
	struct mm *child = NULL;
	struct mm_range rg[MM_CHANGED_RANGES];

	assert_int_equal(mm_fork(mm, &child), 0);
	/* A new mm has everything to publish. */
	assert_int_equal(mm_take_changed(child, rg), 1);
	assert_true(rg[0].lo == 0 && rg[0].hi == UINT64_MAX);
	mm_destroy(child);
}

static void
op_random(struct mm *mm, unsigned *seed)
{
	uint64_t a = BASE + (uint64_t)(rand_r(seed) % SPAN) * P;
	uint64_t len = (uint64_t)(rand_r(seed) % 16 + 1) * P;
	uint32_t prot = (uint32_t)rand_r(seed) % 8;

	switch (rand_r(seed) % 13) {
	case 0:
	case 1:
		op_mmap(mm, seed, a, len, prot);
		break;
	case 2:
		(void)mm_munmap(mm, a, len);
		break;
	case 3:
	case 4:
		(void)mm_mprotect(mm, a, len, prot);
		break;
	case 5:
		(void)mm_mlock(mm, a, len, rand_r(seed) % 2 ? MM_MLOCK_ONFAULT : 0);
		break;
	case 6:
		(void)mm_munlock(mm, a, len);
		break;
	case 7:
		(void)mm_madvise(mm, a, len, rand_r(seed) % (MM_MADV_POPULATE_WRITE + 1));
		break;
	case 8:
		op_mremap(mm, seed, a, len);
		break;
	case 9:
		(void)mm_mseal(mm, a, len, 0);
		break;
	case 10:
		op_brk(mm, seed);
		break;
	case 11:
		op_file(mm, seed);
		break;
	default:
		if (rand_r(seed) % 8 == 0)
			op_fork(mm);
		else
			(void)mm_populate(mm, a, len, rand_r(seed) % 2);
		break;
	}
}

static struct snap before, after;

/* A fresh mm (seals pile up: each round starts again), its file open, its break in the span. */
static struct mm *
round_mm(void)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, true);
	struct mm_range rg[MM_CHANGED_RANGES];

	/* A new mm has everything to publish, once. */
	assert_int_equal(mm_take_changed(mm, rg), 1);
	assert_true(rg[0].lo == 0 && rg[0].hi == UINT64_MAX);
	assert_int_equal(mm_take_changed(mm, rg), 0);
	assert_int_equal(mm_file_open(mm, &files[1], &file_id), 0);
	mm_set_layout(mm, BASE + 100 * P, BASE + 100 * P, BASE + 200 * P + 5);
	assert_int_equal(mm_take_changed(mm, rg), 1);
	return mm;
}

static void
random_ops(void **state)
{
	struct mm_range rg[MM_CHANGED_RANGES];
	unsigned seed = 9, n;

	(void)state;
	for (int round = 0; round < OPS / ROUND; round++) {
		struct mm *mm = round_mm();

		for (int i = round * ROUND; i < (round + 1) * ROUND; i++) {
			snap_take(mm, &before);
			op_random(mm, &seed);
			check_valid(mm);
			snap_take(mm, &after);
			n = mm_take_changed(mm, rg);
			check_ranges(rg, n);
			check_covered(&before, &after, rg, n, i);
			check_covered(&after, &before, rg, n, i);
		}
		mm_destroy(mm);
	}
}

/* A loaded mm has everything to publish, as a new one. */
static void
loaded_all_changed(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, true), *copy = NULL;
	struct mm_sbuf b = { 0 };
	struct mm_range rg[MM_CHANGED_RANGES];
	char msg[128];

	(void)state;
	assert_int_equal(mm_save(mm, &b), 0);
	assert_int_equal(mm_load(b.data, b.len, NULL, &copy, msg, sizeof(msg)), 0);
	assert_int_equal(mm_take_changed(copy, rg), 1);
	assert_true(rg[0].lo == 0 && rg[0].hi == UINT64_MAX);
	mm_sbuf_free(&b);
	mm_destroy(copy);
	mm_destroy(mm);
}

/* An mremap move reports its two places, not everything between them. */
static void
mremap_two_ranges(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, false);
	struct mm_range rg[MM_CHANGED_RANGES];
	uint64_t at;

	(void)state;
	do_mmap(mm, BASE, 4 * P, RW, FIXED_PRIVATE);
	do_mmap(mm, BASE + 16 * P, 4 * P, MM_PROT_READ, FIXED_PRIVATE);
	(void)mm_take_changed(mm, rg);
	assert_int_equal(mm_mremap(mm, BASE, 4 * P, 4 * P, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED,
				   BASE + 1024 * P, &at),
			 0);
	assert_int_equal(mm_take_changed(mm, rg), 2);
	if (rg[0].lo > rg[1].lo) { /* in no particular order */
		struct mm_range t = rg[0];

		rg[0] = rg[1];
		rg[1] = t;
	}
	assert_true(rg[0].lo == BASE && rg[0].hi == BASE + 4 * P);
	assert_true(rg[1].lo == BASE + 1024 * P && rg[1].hi == BASE + 1028 * P);
	/* mprotect of the middle of one VMA: that VMA only. */
	assert_int_equal(mm_mprotect(mm, BASE + 17 * P, P, RW), 0);
	assert_int_equal(mm_take_changed(mm, rg), 1);
	assert_true(rg[0].lo == BASE + 16 * P && rg[0].hi == BASE + 20 * P);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_ops),
		cmocka_unit_test(loaded_all_changed),
		cmocka_unit_test(mremap_two_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
