/* SPDX-License-Identifier: MIT */
#include "vseg_read.h"

#include <errno.h>
#include <string.h>

#include "vseg.h"

/* What one attempt reads: the tree's place, and the counter it started under. */
struct vseg_snap {
	const struct vseg_header *h;
	struct vindex_pool pool;
	struct vindex_root root;
	uint64_t seq;
};

/* r, unless the segment changed while it was read (then -EAGAIN). */
static int
vseg_end(const struct vseg_snap *s, int r)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&s->h->seq, __ATOMIC_RELAXED) == s->seq ? r : -EAGAIN;
}

int
vseg_map_init(struct vseg_map *m, const unsigned char *base, size_t len)
{
	const struct vseg_header *h = (const void *)base;

	if (len < sizeof(*h) || h->magic != VSEG_MAGIC || h->version != VSEG_VERSION ||
	    h->node_size != VINDEX_NODE_SIZE || h->leaf_cap != VINDEX_LEAF_CAP ||
	    h->inner_cap != VINDEX_INNER_CAP || h->nodes_off != VSEG_NODES_OFF)
		return -EBADMSG;
	m->base = base;
	m->len = len;
	return 0;
}

static int
vseg_begin(const struct vseg_map *m, struct vseg_snap *s)
{
	const struct vseg_header *h = (const void *)m->base;
	uint64_t size;

	s->h = h;
	s->seq = __atomic_load_n(&h->seq, __ATOMIC_ACQUIRE);
	if (s->seq & 1)
		return -EAGAIN;
	if (h->state != VSEG_LIVE)
		return h->state == VSEG_DESTROYED ? -ENOENT : -ENOTCONN;
	size = h->size;
	s->pool.ncap = h->nodes_cap;
	/*
	 * A segment that grows changes its size and capacity one after the other: read across
	 * that change, they disagree, which only an unchanged counter proves to be damage.
	 */
	if (size < VSEG_NODES_OFF + (uint64_t)s->pool.ncap * VINDEX_NODE_SIZE)
		return vseg_end(s, -EBADMSG);
	if (size > m->len)
		return VSEG_READ_REMAP;
	s->pool.base = m->base + VSEG_NODES_OFF;
	memcpy(&s->root, &h->tree, sizeof(s->root));
	return 0;
}

static int
vseg_find_in(const struct vseg_snap *s, enum vseg_find_mode mode, uint64_t addr, uint64_t end,
	     struct vseg_result *out)
{
	struct vindex_pos pos, prev;
	int found = vindex_find(&s->pool, &s->root, addr, &pos), r, mask = 0;

	if (found < 0)
		return found;
	if (found)
		vindex_get(&s->pool, &pos, &out->vma);
	if (mode == VSEG_FIND_INTERSECTION)
		return found && out->vma.start < end;
	mask = found;
	if (mode != VSEG_FIND_PREV)
		return mask;
	r = vindex_prev(&s->pool, &s->root, found ? &pos : NULL, &prev);
	if (r < 0)
		return r;
	if (r)
		vindex_get(&s->pool, &prev, &out->prev);
	return mask | (r ? 2 : 0);
}

int
vseg_find(const struct vseg_map *m, enum vseg_find_mode mode, uint64_t addr, uint64_t end,
	  struct vseg_result *out)
{
	struct vseg_snap s;
	int r = vseg_begin(m, &s);

	if (r != 0)
		return r;
	out->version = s.seq >> 1;
	return vseg_end(&s, vseg_find_in(&s, mode, addr, end, out));
}

static int
vseg_check_in(const struct vseg_snap *s, uint64_t addr, uint64_t end, uint32_t prot, uint64_t *bad)
{
	struct vindex_pos pos;
	struct vindex_rec r;
	uint64_t cur = addr;
	int found = vindex_find(&s->pool, &s->root, addr, &pos);

	/* At most one step per record: a segment whose links loop cannot hold the reader. */
	for (uint64_t steps = 0; steps <= s->root.count; steps++) {
		if (found < 0)
			return found;
		if (found)
			vindex_get(&s->pool, &pos, &r);
		if (!found || r.start > cur || (r.flags & prot) != prot || r.end <= cur) {
			*bad = cur;
			return -EFAULT;
		}
		cur = r.end;
		if (cur >= end)
			return 0;
		found = vindex_next(&s->pool, &pos, &pos);
	}
	return -EBADMSG;
}

int
vseg_check(const struct vseg_map *m, uint64_t addr, uint64_t size, uint32_t prot, uint64_t *bad)
{
	struct vseg_snap s;
	int r;

	if (size == 0)
		return 0;
	if (size > UINT64_MAX - addr) {
		*bad = addr;
		return -EFAULT;
	}
	r = vseg_begin(m, &s);
	if (r != 0)
		return r;
	return vseg_end(&s, vseg_check_in(&s, addr, addr + size, prot, bad));
}

int
vseg_name(const struct vseg_map *m, const struct vindex_rec *vma, char *buf, size_t size)
{
	struct vseg_snap s;
	struct vindex_pos pos;
	struct vindex_rec r;
	int found, n = 0;

	found = vseg_begin(m, &s);
	if (found != 0)
		return found;
	found = vindex_find(&s.pool, &s.root, vma->start, &pos);
	if (found == 1)
		vindex_get(&s.pool, &pos, &r);
	if (found == 1 && (r.start != vma->start || r.end != vma->end))
		found = -ESTALE;
	else if (found == 0)
		found = -ESTALE;
	if (found == 1 && r.name != VINDEX_NIL)
		n = vindex_name_read(&s.pool, r.name, buf, size);
	else if (found == 1 && size > 0)
		buf[0] = '\0';
	return vseg_end(&s, found < 0 ? found : n);
}

int
vseg_version(const struct vseg_map *m, uint64_t *version)
{
	struct vseg_snap s;
	int r = vseg_begin(m, &s);

	if (r != 0)
		return r;
	*version = s.seq >> 1;
	return vseg_end(&s, 0);
}
