/* SPDX-License-Identifier: MIT */
#include "vindex.h"

#include <errno.h>
#include <string.h>

/* A hint, not a load: it never faults, and a compiler without it loses only the speed. */
#if defined(__GNUC__)
#define vindex_prefetch(p) __builtin_prefetch(p)
#else
#define vindex_prefetch(p) ((void)(p))
#endif

_Static_assert(VINDEX_GROUP == 8 && VINDEX_GROUPS == 8, "vindex_rank8() counts a summary line");
_Static_assert(VINDEX_LEAF_CAP == 2 * VINDEX_GROUP, "a leaf's ends are two lines of keys");
_Static_assert(VINDEX_GROUP * sizeof(uint64_t) == VINDEX_LINE, "a group of keys is a line");

/* ---- reading -------------------------------------------------------------------------- */

static const struct vindex_head *
vindex_node(const struct vindex_pool *p, uint32_t idx, uint32_t kind, uint32_t cap)
{
	const struct vindex_head *h;

	if (idx >= p->ncap)
		return NULL;
	h = (const struct vindex_head *)(p->base + (size_t)idx * VINDEX_NODE_SIZE);
	if (h->kind != kind || h->count > cap)
		return NULL;
	return h;
}

/*
 * How many of the n keys at k are <= addr: in sorted keys, the index of the first one above
 * addr.  Every key is compared, none is waited for: the loads go out together and the sum
 * compiles to compare-and-add, with no branch for random addresses to mispredict.
 */
static uint32_t
vindex_rank(const uint64_t *k, uint32_t n, uint64_t addr)
{
	uint32_t r = 0;

	for (uint32_t i = 0; i < n; i++)
		r += k[i] <= addr;
	return r;
}

/*
 * vindex_rank() of one line of keys, written out: eight comparisons with no loop around them
 * (about an eighth off a lookup whose lines are all in the cache).
 */
static inline uint32_t
vindex_rank8(const uint64_t *k, uint64_t addr)
{
	uint32_t a = (uint32_t)(k[0] <= addr) + (uint32_t)(k[1] <= addr);
	uint32_t b = (uint32_t)(k[2] <= addr) + (uint32_t)(k[3] <= addr);
	uint32_t c = (uint32_t)(k[4] <= addr) + (uint32_t)(k[5] <= addr);
	uint32_t d = (uint32_t)(k[6] <= addr) + (uint32_t)(k[7] <= addr);

	return (a + b) + (c + d);
}

/*
 * The first child of an inner node whose key is above addr (VINDEX_INNER_CAP or more when
 * none is): the summary line picks a group, one line of keys the child in it.  Past the last
 * group (g == VINDEX_GROUPS) the last group is counted, all of whose keys are <= addr in a
 * sound node; in a damaged one the result is still at most VINDEX_INNER_CAP.
 */
static inline uint32_t
vindex_inner_rank(const struct vindex_inner *in, uint64_t addr)
{
	uint32_t g = vindex_rank8(in->sum, addr);

	g -= g == VINDEX_GROUPS;
	vindex_prefetch(&in->child[g * VINDEX_GROUP]);
	return g * VINDEX_GROUP + vindex_rank8(&in->key[g * VINDEX_GROUP], addr);
}

int
vindex_find(const struct vindex_pool *p, const struct vindex_root *r, uint64_t addr,
	    struct vindex_pos *pos)
{
	const struct vindex_inner *in;
	const struct vindex_leaf *lf;
	uint32_t n = r->root, h = r->height, i;

	if (h == 0)
		return 0;
	if (h > VINDEX_MAX_HEIGHT)
		return -EBADMSG;
	for (; h > 1; h--) {
		in = (const void *)vindex_node(p, n, VINDEX_INNER, VINDEX_INNER_CAP);
		if (!in)
			return -EBADMSG;
		i = vindex_inner_rank(in, addr);
		if (i >= in->h.count)
			return 0;
		n = in->child[i];
	}
	lf = (const void *)vindex_node(p, n, VINDEX_LEAF, VINDEX_LEAF_CAP);
	if (!lf)
		return -EBADMSG;
#pragma GCC unroll 12
	/*
	 * Whichever slot the ends pick, its lines are on their way meanwhile.  Unrolled: the loop
	 * around twelve prefetches was a fifth of a lookup's instructions.
	 */
	for (size_t o = 0; o < sizeof(lf->slot); o += VINDEX_LINE)
		vindex_prefetch((const char *)lf->slot + o);
	i = vindex_rank8(lf->end, addr) + vindex_rank8(&lf->end[VINDEX_GROUP], addr);
	if (i >= lf->h.count)
		return 0;
	pos->leaf = n;
	pos->slot = i;
	return 1;
}

/* The last record of leaf n. */
static int
vindex_leaf_last(const struct vindex_pool *p, uint32_t n, struct vindex_pos *out)
{
	const struct vindex_head *h;

	if (n == VINDEX_NIL)
		return 0;
	h = vindex_node(p, n, VINDEX_LEAF, VINDEX_LEAF_CAP);
	if (!h || h->count == 0)
		return -EBADMSG;
	out->leaf = n;
	out->slot = h->count - 1;
	return 1;
}

int
vindex_prev(const struct vindex_pool *p, const struct vindex_root *r, const struct vindex_pos *pos,
	    struct vindex_pos *out)
{
	const struct vindex_head *h;

	if (!pos)
		return r->height ? vindex_leaf_last(p, r->last, out) : 0;
	if (pos->slot > 0) {
		out->leaf = pos->leaf;
		out->slot = pos->slot - 1;
		return 1;
	}
	h = vindex_node(p, pos->leaf, VINDEX_LEAF, VINDEX_LEAF_CAP);
	return h ? vindex_leaf_last(p, h->prev, out) : -EBADMSG;
}

int
vindex_next(const struct vindex_pool *p, const struct vindex_pos *pos, struct vindex_pos *out)
{
	const struct vindex_head *h = vindex_node(p, pos->leaf, VINDEX_LEAF, VINDEX_LEAF_CAP);

	if (!h)
		return -EBADMSG;
	if (pos->slot + 1 < h->count) {
		out->leaf = pos->leaf;
		out->slot = pos->slot + 1;
		return 1;
	}
	uint32_t next = h->next;

	if (next == VINDEX_NIL)
		return 0;
	h = vindex_node(p, next, VINDEX_LEAF, VINDEX_LEAF_CAP);
	if (!h || h->count == 0)
		return -EBADMSG;
	out->leaf = next;
	out->slot = 0;
	return 1;
}

int
vindex_name_read(const struct vindex_pool *p, uint32_t n, char *buf, size_t size)
{
	const struct vindex_name *nm;
	size_t len = 0;

	if (size == 0)
		return -ENOSPC;
	/* A chain longer than the pool is a loop. */
	for (uint32_t steps = 0; n != VINDEX_NIL; steps++, n = nm->h.next) {
		nm = (const void *)vindex_node(p, n, VINDEX_NAME, VINDEX_NAME_BYTES);
		if (!nm || steps >= p->ncap)
			return -EBADMSG;
		if (nm->h.count >= size - len)
			return -ENOSPC;
		memcpy(buf + len, nm->text, nm->h.count);
		len += nm->h.count;
	}
	buf[len] = '\0';
	return len > (size_t)INT32_MAX ? -ENOSPC : (int)len;
}

/* ---- writing -------------------------------------------------------------------------- */

static void *
vindex_wnode(const struct vindex *ix, uint32_t idx)
{
	return ix->nodes + (size_t)idx * VINDEX_NODE_SIZE;
}

void
vindex_init(struct vindex *ix)
{
	ix->used = 0;
	ix->free_head = ix->inner_free = VINDEX_NIL;
	ix->nfree = ix->ninner_free = 0;
	ix->root->root = ix->root->first = ix->root->last = VINDEX_NIL;
	ix->root->height = 0;
	ix->root->count = 0;
}

int
vindex_reserve(struct vindex *ix, uint32_t want)
{
	uint32_t have = ix->nfree + ix->ninner_free + (ix->ncap - ix->used);

	if (have >= want)
		return 0;
	if ((uint64_t)ix->ncap + (want - have) > VINDEX_NIL - 1)
		return -ENOMEM;
	return ix->grow(ix, ix->ncap + (want - have));
}

uint32_t
vindex_insert_need(const struct vindex *ix)
{
	return ix->root->height + 2;
}

/* Pads the ends past a leaf's count (the layout in vindex.h). */
static void
vindex_leaf_seal(struct vindex_leaf *lf)
{
	for (uint32_t i = lf->h.count; i < VINDEX_LEAF_CAP; i++)
		lf->end[i] = VINDEX_KEY_PAD;
}

/* Pads the keys past an inner node's count and sets its summary from its keys. */
static void
vindex_inner_seal(struct vindex_inner *in)
{
	for (uint32_t i = in->h.count; i < VINDEX_INNER_CAP; i++)
		in->key[i] = VINDEX_KEY_PAD;
	for (uint32_t g = 0; g < VINDEX_GROUPS; g++)
		in->sum[g] = in->key[g * VINDEX_GROUP + VINDEX_GROUP - 1];
}

/* Takes the first node of a free list. */
static uint32_t
vindex_pop(struct vindex *ix, uint32_t *head, uint32_t *n)
{
	uint32_t idx = *head;

	*head = ((struct vindex_head *)vindex_wnode(ix, idx))->next;
	(*n)--;
	return idx;
}

/* Puts a node on a free list. */
static void
vindex_push(struct vindex *ix, uint32_t idx, uint32_t *head, uint32_t *n)
{
	struct vindex_head *h = vindex_wnode(ix, idx);

	h->kind = VINDEX_FREE;
	h->count = 0;
	h->next = *head;
	*head = idx;
	(*n)++;
}

/*
 * Fills the inner nodes' list with the next whole page of untouched nodes, the nodes before
 * it going to the general list; nothing when there is no such page.
 */
static void
vindex_inner_page(struct vindex *ix)
{
	uint32_t at = (ix->used + VINDEX_PAGE_NODES - 1) / VINDEX_PAGE_NODES * VINDEX_PAGE_NODES;

	if (at > ix->ncap || ix->ncap - at < VINDEX_PAGE_NODES)
		return;
	while (ix->used < at)
		vindex_push(ix, ix->used++, &ix->free_head, &ix->nfree);
	for (uint32_t i = VINDEX_PAGE_NODES; i-- > 0;)
		vindex_push(ix, at + i, &ix->inner_free, &ix->ninner_free);
	ix->used = at + VINDEX_PAGE_NODES;
}

/* A free node for kind: its own list first, then untouched nodes, then the other list. */
static uint32_t
vindex_take(struct vindex *ix, uint32_t kind)
{
	if (kind == VINDEX_INNER && ix->ninner_free == 0)
		vindex_inner_page(ix);
	if (kind == VINDEX_INNER && ix->ninner_free)
		return vindex_pop(ix, &ix->inner_free, &ix->ninner_free);
	if (kind != VINDEX_INNER && ix->nfree)
		return vindex_pop(ix, &ix->free_head, &ix->nfree);
	if (ix->used < ix->ncap)
		return ix->used++;
	if (ix->nfree)
		return vindex_pop(ix, &ix->free_head, &ix->nfree);
	return vindex_pop(ix, &ix->inner_free, &ix->ninner_free);
}

static uint32_t
vindex_alloc(struct vindex *ix, uint32_t kind)
{
	uint32_t idx = vindex_take(ix, kind);
	struct vindex_head *h = vindex_wnode(ix, idx);

	memset(h, 0, VINDEX_NODE_SIZE);
	h->kind = kind;
	h->prev = h->next = VINDEX_NIL;
	if (kind == VINDEX_LEAF)
		vindex_leaf_seal((struct vindex_leaf *)h);
	else if (kind == VINDEX_INNER)
		vindex_inner_seal((struct vindex_inner *)h);
	return idx;
}

static void
vindex_free(struct vindex *ix, uint32_t idx)
{
	if (((struct vindex_head *)vindex_wnode(ix, idx))->kind == VINDEX_INNER)
		vindex_push(ix, idx, &ix->inner_free, &ix->ninner_free);
	else
		vindex_push(ix, idx, &ix->free_head, &ix->nfree);
}

static uint64_t
vindex_max_end(const struct vindex *ix, uint32_t idx, uint32_t level)
{
	if (level == 1) {
		const struct vindex_leaf *lf = vindex_wnode(ix, idx);

		return lf->end[lf->h.count - 1];
	}
	const struct vindex_inner *in = vindex_wnode(ix, idx);
	return in->key[in->h.count - 1];
}

/* Moves n records of src from slot from to slot to of dst (which may be src). */
static void
vindex_leaf_move(struct vindex_leaf *dst, uint32_t to, struct vindex_leaf *src, uint32_t from,
		 uint32_t n)
{
	memmove(&dst->end[to], &src->end[from], n * sizeof(dst->end[0]));
	memmove(&dst->slot[to], &src->slot[from], n * sizeof(dst->slot[0]));
}

static void
vindex_leaf_put(struct vindex_leaf *lf, uint32_t j, const struct vindex_rec *r)
{
	vindex_leaf_move(lf, j + 1, lf, j, lf->h.count - j);
	lf->end[j] = r->end;
	memcpy(&lf->slot[j], r, sizeof(lf->slot[j]));
	lf->h.count++;
}

static void
vindex_inner_put(struct vindex_inner *in, uint32_t i, uint64_t key, uint32_t child)
{
	uint32_t n = in->h.count - i;

	memmove(&in->key[i + 1], &in->key[i], n * sizeof(in->key[0]));
	memmove(&in->child[i + 1], &in->child[i], n * sizeof(in->child[0]));
	in->key[i] = key;
	in->child[i] = child;
	in->h.count++;
	vindex_inner_seal(in);
}

/*
 * Splits a full leaf before slot half: the records from there go to a new leaf after it,
 * which is returned.
 */
static uint32_t
vindex_leaf_split(struct vindex *ix, uint32_t l, uint32_t half)
{
	uint32_t r = vindex_alloc(ix, VINDEX_LEAF);
	struct vindex_leaf *L = vindex_wnode(ix, l), *R = vindex_wnode(ix, r);

	vindex_leaf_move(R, 0, L, half, L->h.count - half);
	R->h.count = L->h.count - half;
	L->h.count = half;
	vindex_leaf_seal(L);
	R->h.prev = l;
	R->h.next = L->h.next;
	if (L->h.next != VINDEX_NIL)
		((struct vindex_head *)vindex_wnode(ix, L->h.next))->prev = r;
	else
		ix->root->last = r;
	L->h.next = r;
	return r;
}

static uint32_t
vindex_leaf_insert(struct vindex *ix, uint32_t l, const struct vindex_rec *rec)
{
	struct vindex_leaf *L = vindex_wnode(ix, l);
	uint32_t j = vindex_rank(L->end, L->h.count, rec->start), r, half;

	if (L->h.count < VINDEX_LEAF_CAP) {
		vindex_leaf_put(L, j, rec);
		return VINDEX_NIL;
	}
	/* Appending to the last leaf (a space filled upwards) leaves it full, not half full. */
	half = j == VINDEX_LEAF_CAP && L->h.next == VINDEX_NIL ? VINDEX_LEAF_CAP
							       : VINDEX_LEAF_CAP / 2;
	r = vindex_leaf_split(ix, l, half);
	if (j <= half && half < VINDEX_LEAF_CAP)
		vindex_leaf_put(L, j, rec);
	else
		vindex_leaf_put(vindex_wnode(ix, r), j - half, rec);
	return r;
}

/* Adds (key, child) at i of a full or not full inner node: the new sibling, or NIL. */
static uint32_t
vindex_inner_insert(struct vindex *ix, uint32_t n, uint32_t i, uint64_t key, uint32_t child)
{
	struct vindex_inner *I = vindex_wnode(ix, n), *R;
	uint32_t r, half;

	if (I->h.count < VINDEX_INNER_CAP) {
		vindex_inner_put(I, i, key, child);
		return VINDEX_NIL;
	}
	r = vindex_alloc(ix, VINDEX_INNER);
	R = vindex_wnode(ix, r);
	/* Appending: the new node starts with the new child alone (see vindex_leaf_insert). */
	half = i == VINDEX_INNER_CAP ? VINDEX_INNER_CAP : VINDEX_INNER_CAP / 2;
	memcpy(R->key, &I->key[half], (I->h.count - half) * sizeof(R->key[0]));
	memcpy(R->child, &I->child[half], (I->h.count - half) * sizeof(R->child[0]));
	R->h.count = I->h.count - half;
	I->h.count = half;
	vindex_inner_seal(I);
	vindex_inner_seal(R);
	if (i <= half && half < VINDEX_INNER_CAP)
		vindex_inner_put(I, i, key, child);
	else
		vindex_inner_put(R, i - half, key, child);
	return r;
}

static uint32_t
vindex_insert_at(struct vindex *ix, uint32_t n, uint32_t level, const struct vindex_rec *rec)
{
	struct vindex_inner *I;
	uint32_t i, child, split;

	if (level == 1)
		return vindex_leaf_insert(ix, n, rec);
	I = vindex_wnode(ix, n);
	i = vindex_rank(I->key, I->h.count, rec->start);
	if (i == I->h.count)
		i--;
	child = I->child[i];
	split = vindex_insert_at(ix, child, level - 1, rec);
	I->key[i] = vindex_max_end(ix, child, level - 1);
	vindex_inner_seal(I);
	if (split == VINDEX_NIL)
		return VINDEX_NIL;
	return vindex_inner_insert(ix, n, i + 1, vindex_max_end(ix, split, level - 1), split);
}

void
vindex_insert(struct vindex *ix, const struct vindex_rec *rec)
{
	struct vindex_root *r = ix->root;
	struct vindex_inner *I;
	uint32_t split, top;

	if (r->height == 0) {
		r->root = r->first = r->last = vindex_alloc(ix, VINDEX_LEAF);
		r->height = 1;
	}
	split = vindex_insert_at(ix, r->root, r->height, rec);
	r->count++;
	if (split == VINDEX_NIL)
		return;
	top = vindex_alloc(ix, VINDEX_INNER);
	I = vindex_wnode(ix, top);
	I->key[0] = vindex_max_end(ix, r->root, r->height);
	I->child[0] = r->root;
	I->key[1] = vindex_max_end(ix, split, r->height);
	I->child[1] = split;
	I->h.count = 2;
	vindex_inner_seal(I);
	r->root = top;
	r->height++;
}

static void
vindex_leaf_unlink(struct vindex *ix, uint32_t l)
{
	struct vindex_head *h = vindex_wnode(ix, l);

	if (h->prev != VINDEX_NIL)
		((struct vindex_head *)vindex_wnode(ix, h->prev))->next = h->next;
	else
		ix->root->first = h->next;
	if (h->next != VINDEX_NIL)
		((struct vindex_head *)vindex_wnode(ix, h->next))->prev = h->prev;
	else
		ix->root->last = h->prev;
}

/* Removes the record; *empty tells whether node n is left with nothing. */
static int
vindex_delete_at(struct vindex *ix, uint32_t n, uint32_t level, uint64_t start, int *empty)
{
	uint32_t i, child;
	int r, child_empty = 0;

	if (level == 1) {
		struct vindex_leaf *L = vindex_wnode(ix, n);

		i = vindex_rank(L->end, L->h.count, start);
		if (i == L->h.count || L->slot[i].start != start)
			return -ENOENT;
		vindex_leaf_move(L, i, L, i + 1, L->h.count - i - 1);
		*empty = --L->h.count == 0;
		vindex_leaf_seal(L);
		return 0;
	}
	struct vindex_inner *I = vindex_wnode(ix, n);
	i = vindex_rank(I->key, I->h.count, start);
	if (i == I->h.count)
		return -ENOENT;
	child = I->child[i];
	r = vindex_delete_at(ix, child, level - 1, start, &child_empty);
	if (r < 0)
		return r;
	if (child_empty) {
		if (level == 2)
			vindex_leaf_unlink(ix, child);
		vindex_free(ix, child);
		memmove(&I->key[i], &I->key[i + 1], (I->h.count - i - 1) * sizeof(I->key[0]));
		memmove(&I->child[i], &I->child[i + 1], (I->h.count - i - 1) * sizeof(I->child[0]));
		I->h.count--;
	} else {
		I->key[i] = vindex_max_end(ix, child, level - 1);
	}
	vindex_inner_seal(I);
	*empty = I->h.count == 0;
	return 0;
}

int
vindex_delete(struct vindex *ix, uint64_t start)
{
	struct vindex_root *r = ix->root;
	int empty = 0, rc;

	if (r->height == 0)
		return -ENOENT;
	rc = vindex_delete_at(ix, r->root, r->height, start, &empty);
	if (rc < 0)
		return rc;
	r->count--;
	if (empty) {
		vindex_free(ix, r->root);
		r->root = r->first = r->last = VINDEX_NIL;
		r->height = 0;
		return 0;
	}
	/* A root with one child hands the tree down to it. */
	while (r->height > 1 && ((struct vindex_head *)vindex_wnode(ix, r->root))->count == 1) {
		uint32_t old = r->root;

		r->root = ((struct vindex_inner *)vindex_wnode(ix, old))->child[0];
		r->height--;
		vindex_free(ix, old);
	}
	return 0;
}

uint32_t
vindex_name_nodes(size_t len)
{
	return len == 0 ? 1 : (uint32_t)((len + VINDEX_NAME_BYTES - 1) / VINDEX_NAME_BYTES);
}

uint32_t
vindex_name_store(struct vindex *ix, const char *s, size_t len)
{
	uint32_t first = VINDEX_NIL, *link = &first;

	do {
		uint32_t idx = vindex_alloc(ix, VINDEX_NAME);
		struct vindex_name *nm = vindex_wnode(ix, idx);
		size_t n = len < VINDEX_NAME_BYTES ? len : VINDEX_NAME_BYTES;

		memcpy(nm->text, s, n);
		nm->h.count = (uint32_t)n;
		*link = idx;
		link = &nm->h.next;
		s += n;
		len -= n;
	} while (len > 0);
	return first;
}

void
vindex_name_free(struct vindex *ix, uint32_t n)
{
	while (n != VINDEX_NIL) {
		uint32_t next = ((struct vindex_head *)vindex_wnode(ix, n))->next;

		vindex_free(ix, n);
		n = next;
	}
}
