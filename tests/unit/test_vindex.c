/* SPDX-License-Identifier: MIT */
/*
 * The range B+tree (lib/vindex.c): random insertions and deletions against a plain sorted
 * array, every lookup checked; names stored over several nodes; damaged pools refused.
 */
#include "test_helpers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vindex.h"

#define SLOTS 4096 /* possible ranges: slot i is [i * 2 pages, i * 2 pages + 1 page) */
#define PG    4096ULL

struct model {
	struct vindex ix;
	struct vindex_root root;
	unsigned char *mem;
	bool present[SLOTS];
};

static int
grow(struct vindex *ix, uint32_t want)
{
	struct model *m = ix->ctx;
	uint32_t cap = ix->ncap ? ix->ncap : 8;
	unsigned char *p;

	while (cap < want)
		cap *= 2;
	p = realloc(m->mem, (size_t)cap * VINDEX_NODE_SIZE);
	if (!p)
		return -ENOMEM;
	m->mem = ix->nodes = p;
	ix->ncap = cap;
	return 0;
}

static void
model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	m->ix.root = &m->root;
	m->ix.grow = grow;
	m->ix.ctx = m;
	vindex_init(&m->ix);
}

static struct vindex_rec
rec_of(int i)
{
	struct vindex_rec r = { .start = (uint64_t)i * 2 * PG, .end = (uint64_t)i * 2 * PG + PG };

	r.flags = (uint64_t)i;
	r.pgoff = (uint64_t)i * 7;
	r.ino = (uint64_t)i * 3;
	r.dev_major = (uint32_t)i & 0xff;
	r.name = VINDEX_NIL;
	return r;
}

/* The model's answer to find_vma(addr): the slot, or -1. */
static int
model_find(const struct model *m, uint64_t addr)
{
	for (int i = (int)(addr / (2 * PG)); i < SLOTS; i++)
		if (m->present[i] && rec_of(i).end > addr)
			return i;
	return -1;
}

static void
check_lookup(struct model *m, uint64_t addr)
{
	struct vindex_pool p = { m->mem, m->ix.ncap };
	struct vindex_pos pos, prev;
	struct vindex_rec r;
	int want = model_find(m, addr), got = vindex_find(&p, &m->root, addr, &pos);

	assert_int_equal(got, want >= 0);
	if (want < 0)
		return;
	vindex_get(&p, &pos, &r);
	assert_int_equal(r.start, rec_of(want).start);
	assert_int_equal(r.pgoff, rec_of(want).pgoff);
	got = vindex_prev(&p, &m->root, &pos, &prev);
	int w = want - 1;
	while (w >= 0 && !m->present[w])
		w--;
	assert_int_equal(got, w >= 0);
	if (w >= 0) {
		vindex_get(&p, &prev, &r);
		assert_int_equal(r.start, rec_of(w).start);
	}
}

/*
 * The layout's promises a reader counts on (lib/vindex.h): keys past a node's count are
 * padding, an inner node's summary matches its keys, a key is the largest end below it.
 * Returns the subtree's largest end.
 */
static uint64_t
check_node(struct model *m, uint32_t n, uint32_t level)
{
	const struct vindex_head *h = (const void *)(m->mem + (size_t)n * VINDEX_NODE_SIZE);

	assert_true(n < m->ix.ncap);
	assert_true(h->count > 0);
	if (level == 1) {
		const struct vindex_leaf *lf = (const void *)h;

		assert_int_equal(h->kind, VINDEX_LEAF);
		for (uint32_t i = h->count; i < VINDEX_LEAF_CAP; i++)
			assert_true(lf->end[i] == VINDEX_KEY_PAD);
		return lf->end[h->count - 1];
	}
	const struct vindex_inner *in = (const void *)h;

	assert_int_equal(h->kind, VINDEX_INNER);
	for (uint32_t i = 0; i < h->count; i++)
		assert_true(check_node(m, in->child[i], level - 1) == in->key[i]);
	for (uint32_t i = h->count; i < VINDEX_INNER_CAP; i++)
		assert_true(in->key[i] == VINDEX_KEY_PAD);
	for (uint32_t g = 0; g < VINDEX_GROUPS; g++)
		assert_true(in->sum[g] == in->key[g * VINDEX_GROUP + VINDEX_GROUP - 1]);
	return in->key[h->count - 1];
}

static void
check_walk(struct model *m)
{
	struct vindex_pool p = { m->mem, m->ix.ncap };
	struct vindex_pos pos;
	struct vindex_rec r;
	uint64_t n = 0;
	int i = -1, rc = vindex_find(&p, &m->root, 0, &pos);

	while (rc == 1) {
		vindex_get(&p, &pos, &r);
		while (!m->present[++i])
			;
		assert_int_equal(r.start, rec_of(i).start);
		n++;
		rc = vindex_next(&p, &pos, &pos);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, m->root.count);
	if (m->root.height > 0)
		check_node(m, m->root.root, m->root.height);
}

static void
test_random(void **state)
{
	struct model *m = malloc(sizeof(*m));

	(void)state;
	assert_non_null(m);
	model_init(m);
	srand(7);
	for (int step = 0; step < 60000; step++) {
		int i = rand() % SLOTS;
		/* Mostly insertions first, then mostly deletions: the tree grows and shrinks. */
		bool insert = (rand() % 100) < (step < 30000 ? 70 : 30);
		if (insert && !m->present[i]) {
			struct vindex_rec r = rec_of(i);
			assert_int_equal(vindex_reserve(&m->ix, vindex_insert_need(&m->ix)), 0);
			vindex_insert(&m->ix, &r);
			m->present[i] = true;
		} else if (!insert) {
			assert_int_equal(vindex_delete(&m->ix, rec_of(i).start),
					 m->present[i] ? 0 : -ENOENT);
			m->present[i] = false;
		}
		check_lookup(m,
			     (uint64_t)(rand() % (SLOTS * 2 + 4)) * PG + (uint64_t)(rand() % 4096));
		if (step % 1000 == 0) {
			check_walk(m);
			/* The last address: every key, padding included, is <= it. */
			check_lookup(m, VINDEX_KEY_PAD);
		}
	}
	check_walk(m);
	for (int i = 0; i < SLOTS; i++)
		if (m->present[i])
			assert_int_equal(vindex_delete(&m->ix, rec_of(i).start), 0);
	assert_int_equal(m->root.height, 0);
	assert_int_equal(m->root.count, 0);
	free(m->mem);
	free(m);
}

static void
test_names(void **state)
{
	struct model m;
	char big[3000], out[4000];

	(void)state;
	model_init(&m);
	memset(big, 'p', sizeof(big));
	assert_int_equal(vindex_reserve(&m.ix, vindex_name_nodes(sizeof(big))), 0);
	uint32_t n = vindex_name_store(&m.ix, big, sizeof(big));
	struct vindex_pool p = { m.mem, m.ix.ncap };
	assert_int_equal(vindex_name_read(&p, n, out, sizeof(out)), sizeof(big));
	assert_memory_equal(out, big, sizeof(big));
	assert_int_equal(vindex_name_read(&p, n, out, 100), -ENOSPC);
	/* A chain that loops back is damage, not an endless read. */
	((struct vindex_head *)(m.mem + (size_t)n * VINDEX_NODE_SIZE))->next = n;
	assert_int_equal(vindex_name_read(&p, n, out, sizeof(out)), -ENOSPC);
	vindex_name_free(&m.ix, VINDEX_NIL);
	free(m.mem);
}

/* A NUL inside a name's text is damage: the length read would not be the string's. */
static void
test_name_with_nul(void **state)
{
	static const char name[] = "/usr/lib/libx.so";
	struct model m;
	char out[64];

	(void)state;
	model_init(&m);
	assert_int_equal(vindex_reserve(&m.ix, vindex_name_nodes(sizeof(name) - 1)), 0);
	uint32_t n = vindex_name_store(&m.ix, name, sizeof(name) - 1);
	struct vindex_pool p = { m.mem, m.ix.ncap };
	struct vindex_name *nm = (void *)(m.mem + (size_t)n * VINDEX_NODE_SIZE);
	assert_int_equal(vindex_name_read(&p, n, out, sizeof(out)), sizeof(name) - 1);
	nm->text[4] = '\0';
	assert_int_equal(vindex_name_read(&p, n, out, sizeof(out)), -EBADMSG);
	free(m.mem);
}

static void
test_damaged(void **state)
{
	struct model m;
	struct vindex_pos pos;

	(void)state;
	model_init(&m);
	for (int i = 0; i < 200; i++) {
		struct vindex_rec r = rec_of(i);
		assert_int_equal(vindex_reserve(&m.ix, vindex_insert_need(&m.ix)), 0);
		vindex_insert(&m.ix, &r);
	}
	struct vindex_pool p = { m.mem, m.ix.ncap };
	struct vindex_root bad = m.root;
	bad.root = m.ix.ncap + 5;
	assert_int_equal(vindex_find(&p, &bad, 0, &pos), -EBADMSG);
	bad = m.root;
	bad.height = VINDEX_MAX_HEIGHT + 1;
	assert_int_equal(vindex_find(&p, &bad, 0, &pos), -EBADMSG);
	((struct vindex_head *)(m.mem + (size_t)m.root.root * VINDEX_NODE_SIZE))->count = 9999;
	assert_int_equal(vindex_find(&p, &m.root, 0, &pos), -EBADMSG);
	free(m.mem);
}

/* Inner nodes share pages: at most one page more than they fill, however leaves come between. */
static void
test_inner_pages(void **state)
{
	struct model *m = malloc(sizeof(*m));
	uint32_t pages = 0, inner = 0, last_page = VINDEX_NIL;

	(void)state;
	assert_non_null(m);
	model_init(m);
	for (int i = 0; i < SLOTS; i++) {
		struct vindex_rec r = rec_of(i);
		assert_int_equal(vindex_reserve(&m->ix, vindex_insert_need(&m->ix)), 0);
		vindex_insert(&m->ix, &r);
	}
	for (uint32_t n = 0; n < m->ix.used; n++) {
		const struct vindex_head *h = (const void *)(m->mem + (size_t)n * VINDEX_NODE_SIZE);

		if (h->kind != VINDEX_INNER)
			continue;
		inner++;
		pages += n / VINDEX_PAGE_NODES != last_page;
		last_page = n / VINDEX_PAGE_NODES;
	}
	assert_true(inner > VINDEX_PAGE_NODES);
	assert_true(pages <= (inner + VINDEX_PAGE_NODES - 1) / VINDEX_PAGE_NODES + 1);
	free(m->mem);
	free(m);
}

/* A lookup in a damaged pool: an error, none, or a position inside a leaf's count. */
static void
find_bounded(const struct vindex_pool *p, const struct vindex_root *r, uint64_t addr)
{
	struct vindex_pos pos;
	int rc = vindex_find(p, r, addr, &pos);

	assert_true(rc == -EBADMSG || rc == 0 || rc == 1);
	if (rc == 1) {
		const struct vindex_head *h =
			(const void *)(p->base + (size_t)pos.leaf * VINDEX_NODE_SIZE);
		assert_true(pos.leaf < p->ncap);
		assert_int_equal(h->kind, VINDEX_LEAF);
		assert_true(pos.slot < h->count);
	}
}

/*
 * The words a lookup counts rather than searches: padding that is no longer padding,
 * summaries that disagree with their keys, keys out of order, children out of the pool.
 */
static void
test_damaged_keys(void **state)
{
	static const uint64_t vals[] = { 0, 1, PG, VINDEX_KEY_PAD, VINDEX_KEY_PAD - 1 };
	struct model m;
	unsigned seed = 3;

	(void)state;
	model_init(&m);
	for (int i = 0; i < 3000; i++) {
		struct vindex_rec r = rec_of(i);
		assert_int_equal(vindex_reserve(&m.ix, vindex_insert_need(&m.ix)), 0);
		vindex_insert(&m.ix, &r);
	}
	struct vindex_pool p = { m.mem, m.ix.ncap };
	size_t bytes = (size_t)m.ix.ncap * VINDEX_NODE_SIZE;
	unsigned char *good = malloc(bytes);
	assert_non_null(good);
	memcpy(good, m.mem, bytes);
	for (int round = 0; round < 20000; round++) {
		uint64_t *w = (uint64_t *)(m.mem +
					   (size_t)(rand_r(&seed) % m.ix.used) * VINDEX_NODE_SIZE) +
			      rand_r(&seed) % (VINDEX_NODE_SIZE / 8);
		uint64_t old = *w;

		*w = rand_r(&seed) % 2 ? vals[rand_r(&seed) % 5]
				       : ((uint64_t)rand_r(&seed) << 33) ^ (uint64_t)rand_r(&seed);
		for (int k = 0; k < 8; k++)
			find_bounded(&p, &m.root,
				     k == 7 ? VINDEX_KEY_PAD
					    : (uint64_t)(rand_r(&seed) % (3000 * 2 + 4)) * PG);
		*w = old;
	}
	assert_memory_equal(good, m.mem, bytes);
	free(good);
	free(m.mem);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),        cmocka_unit_test(test_names),
		cmocka_unit_test(test_name_with_nul), cmocka_unit_test(test_inner_pages),
		cmocka_unit_test(test_damaged),       cmocka_unit_test(test_damaged_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
