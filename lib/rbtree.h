/* SPDX-License-Identifier: MIT */
/*
 * An intrusive red-black tree with augmentation.
 *
 * The tree only balances; ordering is the caller's business (it finds the link to attach a new
 * node with its own comparisons).  Every node carries an augmented value computed from itself
 * and its children; the caller supplies that computation, and the tree calls it wherever the
 * shape changes, so each node's value stays correct for its subtree.
 */
#ifndef VMAD_RBTREE_H
#define VMAD_RBTREE_H

#include <stdbool.h>
#include <stdint.h>

/* The children first: a descent reads them and not the parent. */
struct rb_node {
	struct rb_node *left, *right;
	uintptr_t parent_color; /* parent pointer; bit 0 set = black */
};

struct rb_root {
	struct rb_node *node;
};

/* Recompute n's augmented value from n and its children; true if it changed. */
typedef bool (*rb_augment_fn)(struct rb_node *n, void *ctx);

struct rb_augment {
	rb_augment_fn compute;
	void *ctx;
};

static inline struct rb_node *
rb_parent(const struct rb_node *n)
{
	return (struct rb_node *)(n->parent_color & ~(uintptr_t)1);
}

static inline bool
rb_is_black(const struct rb_node *n)
{
	return !n || (n->parent_color & 1);
}

/* Attach node at *link (a NULL child slot of parent, or the root slot) and rebalance. */
void rb_insert(struct rb_root *root, struct rb_node *node, struct rb_node *parent,
	       struct rb_node **link, const struct rb_augment *aug);
void rb_erase(struct rb_root *root, struct rb_node *node, const struct rb_augment *aug);
/*
 * Recompute n and its ancestors after n's own contribution changed, stopping at the first
 * node whose value stays the same (nothing above it can change then).
 */
void rb_propagate(struct rb_node *n, const struct rb_augment *aug);

#endif
