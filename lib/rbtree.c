/* SPDX-License-Identifier: MIT */
/*
 * Red-black tree balancing (CLRS style, with parent pointers packed with the colour bit).
 *
 * Augmentation strategy: before any rotation, the values on the path from the changed spot
 * upwards are brought up to date (stopping where a value does not change); a rotation keeps
 * the set of nodes under the rotated position, so only the two rotated nodes need
 * recomputing, lower one first.
 */
#include "rbtree.h"

#include <stddef.h>

static void
set_parent(struct rb_node *n, struct rb_node *p)
{
	n->parent_color = (uintptr_t)p | (n->parent_color & 1);
}

static void
set_black(struct rb_node *n)
{
	n->parent_color |= 1;
}

static void
set_red(struct rb_node *n)
{
	n->parent_color &= ~(uintptr_t)1;
}

static void
copy_color(struct rb_node *dst, const struct rb_node *src)
{
	dst->parent_color = (dst->parent_color & ~(uintptr_t)1) | (src->parent_color & 1);
}

/* Make new take old's place under old's parent. */
static void
replace_child(struct rb_root *root, struct rb_node *old, struct rb_node *new)
{
	struct rb_node *p = rb_parent(old);

	if (!p)
		root->node = new;
	else if (p->left == old)
		p->left = new;
	else
		p->right = new;
	if (new)
		set_parent(new, p);
}

static void
rotate_left(struct rb_root *root, struct rb_node *x, const struct rb_augment *aug)
{
	struct rb_node *y = x->right;

	x->right = y->left;
	if (y->left)
		set_parent(y->left, x);
	replace_child(root, x, y);
	y->left = x;
	set_parent(x, y);
	aug->compute(x, aug->ctx);
	aug->compute(y, aug->ctx);
}

static void
rotate_right(struct rb_root *root, struct rb_node *x, const struct rb_augment *aug)
{
	struct rb_node *y = x->left;

	x->left = y->right;
	if (y->right)
		set_parent(y->right, x);
	replace_child(root, x, y);
	y->right = x;
	set_parent(x, y);
	aug->compute(x, aug->ctx);
	aug->compute(y, aug->ctx);
}

void
rb_propagate(struct rb_node *n, const struct rb_augment *aug)
{
	for (; n; n = rb_parent(n))
		if (!aug->compute(n, aug->ctx))
			break;
}

static void
insert_fixup(struct rb_root *root, struct rb_node *n, const struct rb_augment *aug)
{
	struct rb_node *p, *g, *u;

	while ((p = rb_parent(n)) && !rb_is_black(p)) {
		g = rb_parent(p);
		u = p == g->left ? g->right : g->left;
		if (!rb_is_black(u)) {
			set_black(p);
			set_black(u);
			set_red(g);
			n = g;
			continue;
		}
		if (p == g->left) {
			if (n == p->right) {
				rotate_left(root, p, aug);
				n = p;
				p = rb_parent(n);
			}
			set_black(p);
			set_red(g);
			rotate_right(root, g, aug);
		} else {
			if (n == p->left) {
				rotate_right(root, p, aug);
				n = p;
				p = rb_parent(n);
			}
			set_black(p);
			set_red(g);
			rotate_left(root, g, aug);
		}
	}
	set_black(root->node);
}

void
rb_insert(struct rb_root *root, struct rb_node *node, struct rb_node *parent, struct rb_node **link,
	  const struct rb_augment *aug)
{
	node->parent_color = (uintptr_t)parent; /* red */
	node->left = node->right = NULL;
	*link = node;
	aug->compute(node, aug->ctx);
	rb_propagate(parent, aug);
	insert_fixup(root, node, aug);
}

/* x (possibly NULL) under xp carries an extra black; restore the black heights. */
static void
erase_fixup(struct rb_root *root, struct rb_node *x, struct rb_node *xp,
	    const struct rb_augment *aug)
{
	struct rb_node *w;

	while (x != root->node && rb_is_black(x)) {
		if (x == xp->left) {
			w = xp->right;
			if (!rb_is_black(w)) {
				set_black(w);
				set_red(xp);
				rotate_left(root, xp, aug);
				w = xp->right;
			}
			if (rb_is_black(w->left) && rb_is_black(w->right)) {
				set_red(w);
				x = xp;
				xp = rb_parent(x);
				continue;
			}
			if (rb_is_black(w->right)) {
				set_black(w->left);
				set_red(w);
				rotate_right(root, w, aug);
				w = xp->right;
			}
			copy_color(w, xp);
			set_black(xp);
			set_black(w->right);
			rotate_left(root, xp, aug);
		} else {
			w = xp->left;
			if (!rb_is_black(w)) {
				set_black(w);
				set_red(xp);
				rotate_right(root, xp, aug);
				w = xp->left;
			}
			if (rb_is_black(w->left) && rb_is_black(w->right)) {
				set_red(w);
				x = xp;
				xp = rb_parent(x);
				continue;
			}
			if (rb_is_black(w->left)) {
				set_black(w->right);
				set_red(w);
				rotate_left(root, w, aug);
				w = xp->left;
			}
			copy_color(w, xp);
			set_black(xp);
			set_black(w->left);
			rotate_right(root, xp, aug);
		}
		x = root->node;
		break;
	}
	if (x)
		set_black(x);
}

void
rb_erase(struct rb_root *root, struct rb_node *node, const struct rb_augment *aug)
{
	struct rb_node *child, *fix_parent, *y = NULL, *n;
	bool removed_black;

	if (!node->left || !node->right) {
		child = node->left ? node->left : node->right;
		fix_parent = rb_parent(node);
		removed_black = rb_is_black(node);
		replace_child(root, node, child);
	} else {
		y = node->right;
		while (y->left)
			y = y->left;
		removed_black = rb_is_black(y);
		child = y->right;
		if (rb_parent(y) == node) {
			fix_parent = y;
		} else {
			fix_parent = rb_parent(y);
			replace_child(root, y, child);
			y->right = node->right;
			set_parent(y->right, y);
		}
		replace_child(root, node, y);
		y->left = node->left;
		set_parent(y->left, y);
		copy_color(y, node);
	}
	/* Below (and at) the node that took node's place every value must be recomputed. */
	for (n = fix_parent; y && n != rb_parent(y); n = rb_parent(n))
		aug->compute(n, aug->ctx);
	rb_propagate(y ? rb_parent(y) : fix_parent, aug);
	if (removed_black)
		erase_fixup(root, child, fix_parent, aug);
}
