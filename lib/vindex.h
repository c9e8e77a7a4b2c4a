/* SPDX-License-Identifier: MIT */
/*
 * A B+tree of disjoint, sorted address ranges kept in a flat pool of fixed-size nodes that
 * refer to each other by index, never by pointer, so that the pool can live in shared memory
 * (a view segment) and be read there by other processes, or be moved and grown.
 *
 * find_vma(addr) descends from the root to the first child whose key is above addr, then
 * takes the first record of the leaf whose end is above addr.  An insertion or a deletion
 * changes the nodes on one root-to-leaf path (and a sibling when a node splits), never the
 * whole pool.
 *
 * Layout.  A node is VINDEX_NODE_SIZE bytes cut into VINDEX_LINE-byte cache lines; in a pool
 * that starts on a page boundary (a view segment's does) a node's lines are the machine's.  Both
 * kinds of tree node keep the lines a lookup reads apart from those it does not:
 *
 *   leaf  (16 records)      line 0   head
 *                           2-3      end[16]: the records' ends, searched
 *                           4-15     slot[16]: the rest of each record, 48 bytes
 *   inner (64 children)     line 0   head
 *                           1        sum[8]: sum[g] = key[8g + 7], one key per group
 *                           2-9      key[64]: the largest end in child[i]'s subtree
 *                           10-13    child[64]
 *
 * Keys past count hold VINDEX_KEY_PAD, which is <= no address but the last (and at that one
 * every key is), and an inner node's sum[] always matches its key[].  That lets a reader count,
 * over the whole fixed-size array, the keys that are <= addr instead of searching the first count
 * of them: in a sorted array that count is the index of the first key above addr, the loads of all
 * the keys are issued at once (none waits for the node's count or for another key), and
 * nothing branches on a key.  A leaf search reads its head and end lines side by side while
 * its slot lines are prefetched, then one slot; an inner search reads the summary line, then one
 * line of eight keys (while the line of those eight children is prefetched), then the child.  The
 * unused bytes of a node (reserved[]) mean nothing.
 *
 * Readers never trust the pool: every index is checked against the pool's size, every count
 * against its capacity, the depth against VINDEX_MAX_HEIGHT, and a position found by
 * counting is used only when it is below the node's count; a pool that breaks a rule gives
 * -EBADMSG or a wrong answer, never a read outside the pool.  Whether what was read is a
 * consistent state is the caller's business (the view segment's sequence counter).
 */
#ifndef VMAD_VINDEX_H
#define VMAD_VINDEX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define VINDEX_NODE_SIZE  1024
#define VINDEX_LINE       64 /* the cache line the nodes are cut to */
#define VINDEX_LEAF_CAP   16
#define VINDEX_INNER_CAP  64
#define VINDEX_GROUP      8 /* keys in a cache line */
#define VINDEX_GROUPS     (VINDEX_INNER_CAP / VINDEX_GROUP)
#define VINDEX_KEY_PAD    UINT64_MAX
#define VINDEX_NIL        UINT32_MAX
#define VINDEX_MAX_HEIGHT 12
/* Bytes of text one name node carries. */
#define VINDEX_NAME_BYTES (VINDEX_NODE_SIZE - 16)

enum vindex_kind {
	VINDEX_FREE = 0,
	VINDEX_LEAF = 1,
	VINDEX_INNER = 2,
	VINDEX_NAME = 3, /* a piece of a string: count bytes, then the next piece (or NIL) */
};

struct vindex_head {
	uint32_t kind;
	uint32_t count;
	uint32_t prev, next; /* leaves: neighbours; free nodes and names: the next one */
};

/* attr bits of a record. */
#define VINDEX_ATTR_FILE 1u /* maps prints the offset, device and inode (not private anon) */

/* What a leaf keeps of a record besides its end, read once the record is found. */
struct vindex_slot {
	uint64_t start, flags, pgoff, ino;
	uint32_t dev_major, dev_minor;
	uint32_t name; /* first name node, or NIL */
	uint32_t attr;
};

struct vindex_leaf {
	struct vindex_head h;
	uint64_t reserved[14];
	uint64_t end[VINDEX_LEAF_CAP]; /* 128-byte aligned: one pair of lines */
	struct vindex_slot slot[VINDEX_LEAF_CAP];
};

struct vindex_inner {
	struct vindex_head h;
	uint64_t reserved[6];
	uint64_t sum[VINDEX_GROUPS];
	uint64_t key[VINDEX_INNER_CAP];
	uint32_t child[VINDEX_INNER_CAP];
	uint64_t reserved2[16];
};

struct vindex_name {
	struct vindex_head h;
	char text[VINDEX_NAME_BYTES];
};

_Static_assert(sizeof(struct vindex_leaf) == VINDEX_NODE_SIZE, "leaf is a node");
_Static_assert(sizeof(struct vindex_inner) == VINDEX_NODE_SIZE, "inner node is a node");
_Static_assert(sizeof(struct vindex_name) == VINDEX_NODE_SIZE, "name node is a node");
_Static_assert(offsetof(struct vindex_leaf, end) == 128, "ends on lines 2-3");
_Static_assert(offsetof(struct vindex_leaf, slot) == 256, "slots from line 4");
_Static_assert(sizeof(struct vindex_slot) == 48, "a slot is 48 bytes");
_Static_assert(offsetof(struct vindex_inner, sum) == 64, "summary on line 1");
_Static_assert(offsetof(struct vindex_inner, key) == 128, "keys from line 2");
_Static_assert(offsetof(struct vindex_inner, child) == 640, "children from line 10");

/* Where the tree starts (kept in the view segment's header). */
struct vindex_root {
	uint32_t root;   /* NIL when empty */
	uint32_t height; /* 0 when empty, 1 when the root is a leaf */
	uint32_t first, last;
	uint64_t count; /* records */
};

/* A record: a slot's fields in a slot's order (copied whole), then the end. */
struct vindex_rec {
	uint64_t start, flags, pgoff, ino;
	uint32_t dev_major, dev_minor, name, attr;
	uint64_t end;
};

_Static_assert(offsetof(struct vindex_rec, end) == sizeof(struct vindex_slot), "slot, then end");
_Static_assert(offsetof(struct vindex_rec, ino) == offsetof(struct vindex_slot, ino), "as a slot");
_Static_assert(offsetof(struct vindex_rec, attr) == offsetof(struct vindex_slot, attr),
	       "as a slot");

/* A record's place: a leaf and a slot in it. */
struct vindex_pos {
	uint32_t leaf, slot;
};

/* A pool as a reader sees it: ncap nodes at base. */
struct vindex_pool {
	const unsigned char *base;
	uint32_t ncap;
};

/*
 * find_vma(): the first record with end > addr.  1 with *pos set, 0 if there is none, or
 * -EBADMSG.
 */
int vindex_find(const struct vindex_pool *p, const struct vindex_root *r, uint64_t addr,
		struct vindex_pos *pos);
/* The record before pos (pos NULL: the last one).  1, 0 (none), or -EBADMSG. */
int vindex_prev(const struct vindex_pool *p, const struct vindex_root *r,
		const struct vindex_pos *pos, struct vindex_pos *out);
/* The record after pos.  1, 0 (none), or -EBADMSG. */
int vindex_next(const struct vindex_pool *p, const struct vindex_pos *pos, struct vindex_pos *out);
/*
 * Copies the record at pos (a position vindex_find/prev/next returned).  Inline: a lookup's
 * caller copies the record it found, and the call around the copy cost as much as the copy.
 */
static inline void
vindex_get(const struct vindex_pool *p, const struct vindex_pos *pos, struct vindex_rec *out)
{
	const struct vindex_leaf *lf =
		(const void *)(p->base + (size_t)pos->leaf * VINDEX_NODE_SIZE);

	/* Whole, not field by field: the caller's wide loads of it then forward from the stores. */
	memcpy(out, &lf->slot[pos->slot], sizeof(lf->slot[0]));
	out->end = lf->end[pos->slot];
}
/* A string kept in name nodes into buf (NUL-terminated): its length, -ENOSPC, -EBADMSG. */
int vindex_name_read(const struct vindex_pool *p, uint32_t first, char *buf, size_t size);

/* ---- writing -------------------------------------------------------------------------- */

struct vindex;
/* Makes room for at least want nodes (ix->ncap grows, ix->nodes may move): 0 or -ENOMEM. */
typedef int (*vindex_grow_fn)(struct vindex *ix, uint32_t want);

/*
 * Inner nodes are taken VINDEX_PAGE_NODES at a time, one page of a page-aligned pool, and
 * kept on a free list of their own when freed: the few thousand inner nodes of a million
 * records then sit four to a page instead of one, and a lookup, which touches one inner
 * node per level, misses the TLB on fewer of them.  Any free node still serves any kind
 * when its own list and the untouched nodes run out, so that vindex_reserve() counts nodes,
 * not kinds.
 */
#define VINDEX_PAGE_NODES (4096 / VINDEX_NODE_SIZE)

struct vindex {
	unsigned char *nodes;
	uint32_t ncap;
	uint32_t used;      /* nodes [used, ncap) have never been handed out */
	uint32_t free_head; /* freed leaves and names, linked through head.next */
	uint32_t nfree;
	uint32_t inner_free; /* free nodes kept for inner nodes, linked the same way */
	uint32_t ninner_free;
	struct vindex_root *root;
	vindex_grow_fn grow;
	void *ctx;
};

/* An empty tree over the pool the caller has set (nodes, ncap, root, grow). */
void vindex_init(struct vindex *ix);
/* Ensures the next want node allocations succeed: 0 or -ENOMEM. */
int vindex_reserve(struct vindex *ix, uint32_t want);
/* Nodes an insertion may allocate (a split on every level and a new root). */
uint32_t vindex_insert_need(const struct vindex *ix);
/* Adds a record that overlaps none (after vindex_reserve(vindex_insert_need())). */
void vindex_insert(struct vindex *ix, const struct vindex_rec *rec);
/* Removes the record that starts at start: 0 or -ENOENT. */
int vindex_delete(struct vindex *ix, uint64_t start);
/* Stores a string in name nodes (after vindex_reserve()): the first node. */
uint32_t vindex_name_store(struct vindex *ix, const char *s, size_t len);
/* Nodes vindex_name_store() takes for len bytes. */
uint32_t vindex_name_nodes(size_t len);
void vindex_name_free(struct vindex *ix, uint32_t first);

#endif
