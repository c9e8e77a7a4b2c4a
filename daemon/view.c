/* SPDX-License-Identifier: MIT */
#include "view.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memacct.h"
#include "mm.h"
#include "space.h"

/* Nodes of a new segment; it doubles when full. */
#define VIEW_NODES_MIN 64
/* Entries of the window buffers kept between changes: more are freed after a change. */
#define VIEW_BUF_KEEP 1024

/* An interned name: records with equal names share its nodes. */
struct view_name {
	struct view_name *next;
	uint32_t node;
	uint32_t refs;
	size_t len;
	char text[];
};

/* An engine VMA to publish and its record (its name's node NIL: it has none). */
struct view_new {
	const struct vma *vma;
	struct vindex_rec rec;
};

struct view_pub {
	int fd;
	unsigned char *map;
	size_t maplen;
	struct vseg_header *hdr;
	struct vindex ix;
	struct view_name **names;
	size_t nbuckets, nnames;
	uint64_t brk;          /* the program break when last published */
	bool writing;          /* inside a change: the sequence counter is odd */
	struct view_new *recs; /* the engine's VMAs in the window being published, reused */
	size_t nrecs, caprecs;
	struct vindex_rec *olds; /* the records published in that window, reused */
	size_t nolds, capolds;
	char namebuf[MM_MAPS_NAME_MAX];
	char line[MM_MAPS_LINE_MAX];
};

/* ---- the segment ---------------------------------------------------------------------- */

static size_t
view_seg_size(uint32_t nodes)
{
	return VSEG_NODES_OFF + (size_t)nodes * VINDEX_NODE_SIZE;
}

static void
view_seg_attach(struct view_pub *v)
{
	v->hdr = (struct vseg_header *)v->map;
	v->ix.nodes = v->map + VSEG_NODES_OFF;
	v->ix.root = &v->hdr->tree;
}

/* The file grows, then the publisher's own mapping (the seals forbid a new writable one). */
static int
view_seg_grow(struct vindex *ix, uint32_t want)
{
	struct view_pub *v = ix->ctx;
	uint32_t cap = ix->ncap;
	size_t size;
	void *p;

	while (cap < want)
		cap = cap > UINT32_MAX / 2 ? want : cap * 2;
	size = view_seg_size(cap);
	if (ftruncate(v->fd, (off_t)size) < 0)
		return -errno;
	p = mremap(v->map, v->maplen, size, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		return -errno;
	/* The segment's memory counts against the daemon's budget (--memory-max). */
	memacct_external((int64_t)size - (int64_t)v->maplen);
	v->map = p;
	v->maplen = size;
	view_seg_attach(v);
	ix->ncap = cap;
	v->hdr->nodes_cap = cap;
	v->hdr->size = size;
	return 0;
}

static void
view_seg_header(struct vseg_header *h)
{
	h->magic = VSEG_MAGIC;
	h->version = VSEG_VERSION;
	h->header_size = sizeof(*h);
	h->state = VSEG_LIVE;
	h->node_size = VINDEX_NODE_SIZE;
	h->leaf_cap = VINDEX_LEAF_CAP;
	h->inner_cap = VINDEX_INNER_CAP;
	h->nodes_off = VSEG_NODES_OFF;
	h->nodes_cap = VIEW_NODES_MIN;
	h->size = view_seg_size(VIEW_NODES_MIN);
}

static int
view_seg_create(struct view_pub *v)
{
	size_t size = view_seg_size(VIEW_NODES_MIN);

	v->fd = memfd_create("vmad-view", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (v->fd < 0)
		return -errno;
	if (ftruncate(v->fd, (off_t)size) < 0)
		return -errno;
	v->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->map == MAP_FAILED) {
		v->map = NULL;
		return -errno;
	}
	v->maplen = size;
	memacct_external((int64_t)size);
	/* From here on only this mapping can write: no write(2), no new writable mapping. */
	if (fcntl(v->fd, F_ADD_SEALS, VSEG_SEALS) < 0)
		return -errno;
	view_seg_attach(v);
	view_seg_header(v->hdr);
	v->ix.ncap = VIEW_NODES_MIN;
	v->ix.grow = view_seg_grow;
	v->ix.ctx = v;
	vindex_init(&v->ix);
	return 0;
}

/* The sequence counter: odd while the segment changes. */
static void
view_write_begin(struct view_pub *v)
{
	__atomic_store_n(&v->hdr->seq, v->hdr->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void
view_write_end(struct view_pub *v)
{
	__atomic_store_n(&v->hdr->seq, v->hdr->seq + 1, __ATOMIC_RELEASE);
}

/* ---- names ---------------------------------------------------------------------------- */

static size_t
view_name_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return (size_t)(h ^ (h >> 32));
}

static struct view_name **
view_name_slot(struct view_pub *v, const char *s, size_t len)
{
	struct view_name **pp = &v->names[view_name_hash(s, len) & (v->nbuckets - 1)];

	while (*pp && ((*pp)->len != len || memcmp((*pp)->text, s, len) != 0))
		pp = &(*pp)->next;
	return pp;
}

static int
view_names_grow(struct view_pub *v)
{
	size_t n = v->nbuckets ? v->nbuckets * 2 : 64;
	struct view_name **b = calloc(n, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < v->nbuckets; i++) {
		while (v->names[i]) {
			struct view_name *e = v->names[i];

			v->names[i] = e->next;
			e->next = b[view_name_hash(e->text, e->len) & (n - 1)];
			b[view_name_hash(e->text, e->len) & (n - 1)] = e;
		}
	}
	free(v->names);
	v->names = b;
	v->nbuckets = n;
	return 0;
}

/* The name's first node (a new reference), storing it when it is new: or NIL on failure. */
static uint32_t
view_name_get(struct view_pub *v, const char *s, size_t len)
{
	struct view_name **pp, *e;

	if (v->nnames >= v->nbuckets && view_names_grow(v) < 0)
		return VINDEX_NIL;
	pp = view_name_slot(v, s, len);
	if (*pp) {
		(*pp)->refs++;
		return (*pp)->node;
	}
	e = malloc(sizeof(*e) + len);
	if (!e || vindex_reserve(&v->ix, vindex_name_nodes(len)) < 0) {
		free(e);
		return VINDEX_NIL;
	}
	memcpy(e->text, s, len);
	e->len = len;
	e->refs = 1;
	e->node = vindex_name_store(&v->ix, s, len);
	e->next = NULL;
	*pp = e;
	v->nnames++;
	return e->node;
}

static void
view_name_put(struct view_pub *v, uint32_t node)
{
	struct vindex_pool p = { v->ix.nodes, v->ix.ncap };
	struct view_name **pp, *e;
	int len;

	if (node == VINDEX_NIL)
		return;
	len = vindex_name_read(&p, node, v->namebuf, sizeof(v->namebuf));
	if (len < 0)
		return;
	pp = view_name_slot(v, v->namebuf, (size_t)len);
	e = *pp;
	if (!e || --e->refs > 0)
		return;
	*pp = e->next;
	vindex_name_free(&v->ix, e->node);
	v->nnames--;
	free(e);
}

static void
view_names_free(struct view_pub *v)
{
	for (size_t i = 0; i < v->nbuckets; i++) {
		while (v->names[i]) {
			struct view_name *e = v->names[i];

			v->names[i] = e->next;
			free(e);
		}
	}
	free(v->names);
}

/* ---- records -------------------------------------------------------------------------- */

/* A VMA's maps name: text and length (text NULL: none). */
struct view_text {
	const char *s;
	size_t len;
};

/*
 * The engine's VMA as a record (name not set) and the name maps prints for it.  What maps
 * prints of a file's VMA comes from the engine's one formatter of maps lines (into v->line);
 * private anonymous memory prints no offset, device or inode, only perhaps [heap] or [stack].
 */
static int
view_rec_of(struct view_pub *v, struct mm *mm, const struct vma *vma, struct vindex_rec *r,
	    struct view_text *name)
{
	struct mm_maps_entry e;
	struct mm_vma_info info;
	int rc;

	mm_vma_info(vma, &info);
	memset(r, 0, sizeof(*r));
	r->start = info.start;
	r->end = info.end;
	r->flags = info.flags;
	r->pgoff = info.pgoff;
	r->name = VINDEX_NIL;
	/* A named anonymous VMA's name is formatted: it takes the maps line's buffer. */
	if (!info.path && !info.shmem && !info.anon_name) {
		name->s = mm_vma_name(mm, vma, NULL, 0);
		name->len = name->s ? strlen(name->s) : 0;
		return 0;
	}
	rc = mm_maps_entry(mm, vma, &e, v->line, sizeof(v->line));
	if (rc < 0)
		return rc;
	r->attr = info.path || info.shmem ? VINDEX_ATTR_FILE : 0;
	r->dev_major = e.dev_major;
	r->dev_minor = e.dev_minor;
	r->ino = e.ino;
	name->s = e.name_off < e.len ? v->line + e.name_off : NULL;
	name->len = e.len - e.name_off;
	return 0;
}

static bool
view_rec_same(const struct vindex_rec *a, const struct vindex_rec *b)
{
	return a->start == b->start && a->end == b->end && a->flags == b->flags &&
	       a->pgoff == b->pgoff && a->ino == b->ino && a->dev_major == b->dev_major &&
	       a->dev_minor == b->dev_minor && a->attr == b->attr && a->name == b->name;
}

/* The node of a name, looked up without a new reference. */
static uint32_t
view_name_of(struct view_pub *v, const struct view_text *name)
{
	struct view_name **pp;

	if (!name->s)
		return VINDEX_NIL;
	if (v->nbuckets == 0)
		return VINDEX_NIL - 1;
	pp = view_name_slot(v, name->s, name->len);
	/* A name not stored yet differs from every stored one. */
	return *pp ? (*pp)->node : VINDEX_NIL - 1;
}

static int
view_recs_push(struct view_pub *v, const struct vma *e, const struct vindex_rec *r)
{
	if (v->nrecs == v->caprecs) {
		size_t cap = v->caprecs ? v->caprecs * 2 : 16;
		struct view_new *p = realloc(v->recs, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		v->recs = p;
		v->caprecs = cap;
	}
	v->recs[v->nrecs].vma = e;
	v->recs[v->nrecs++].rec = *r;
	return 0;
}

/* ---- bringing a window up to date ------------------------------------------------------ */

/* The published record that ends above addr (find_vma), if any. */
static bool
view_lookup(struct view_pub *v, uint64_t addr, struct vindex_rec *out)
{
	struct vindex_pool p = { v->ix.nodes, v->ix.ncap };
	struct vindex_pos pos;

	if (vindex_find(&p, v->ix.root, addr, &pos) != 1)
		return false;
	vindex_get(&p, &pos, out);
	return true;
}

/*
 * A window being published: [lo, hi), and where the engine's VMAs and the published records
 * from lo on begin (the lookups that settled lo, kept for the walk over the window).
 */
struct view_win {
	uint64_t lo, hi;
	const struct vma *first;
	int have;
	struct vindex_pos pos;
};

/*
 * Moves w->lo down to the start of whatever crosses it, until nothing does, and keeps where
 * the engine's VMAs and the published records from the final lo on begin.
 */
static void
view_window_lo(struct view_pub *v, struct mm *mm, struct view_win *w)
{
	struct vindex_pool p = { v->ix.nodes, v->ix.ncap };
	struct mm_vma_info info;
	struct vindex_rec r;
	bool moved = true;

	while (moved) {
		moved = false;
		w->first = mm_find_vma(mm, w->lo);
		if (w->first && (mm_vma_info(w->first, &info), info.start < w->lo)) {
			w->lo = info.start;
			moved = true;
		}
		w->have = vindex_find(&p, v->ix.root, w->lo, &w->pos);
		if (w->have == 1 && (vindex_get(&p, &w->pos, &r), r.start < w->lo)) {
			w->lo = r.start;
			moved = true;
		}
	}
}

/*
 * The end of the engine's VMA that crosses addr, or 0.  The one that ends above lo (found
 * already) is the one that ends above addr when it reaches past addr: no second search.
 */
static uint64_t
view_cross_mm(struct mm *mm, const struct view_win *w, uint64_t addr)
{
	const struct vma *e = w->first;
	struct mm_vma_info info;

	if (e && (mm_vma_info(e, &info), info.end <= addr))
		e = mm_find_vma(mm, addr);
	if (e && (mm_vma_info(e, &info), info.start < addr && info.end > addr))
		return info.end;
	return 0;
}

/* The same in the segment. */
static uint64_t
view_cross_seg(struct view_pub *v, const struct view_win *w, uint64_t addr)
{
	struct vindex_pool p = { v->ix.nodes, v->ix.ncap };
	struct vindex_rec r;
	bool have = w->have == 1;

	if (have)
		vindex_get(&p, &w->pos, &r);
	if (have && r.end <= addr)
		have = view_lookup(v, addr, &r);
	return have && r.start < addr && r.end > addr ? r.end : 0;
}

/*
 * Widens the window until no VMA, in the engine or in the segment, crosses its edges: the
 * records inside it are then the whole difference between the two.  Each edge settles on
 * its own: what crosses one does not depend on where the other is.
 */
static void
view_window(struct view_pub *v, struct mm *mm, struct view_win *w)
{
	uint64_t end;
	bool moved = true;

	view_window_lo(v, mm, w);
	while (moved) {
		moved = false;
		if ((end = view_cross_mm(mm, w, w->hi)) != 0) {
			w->hi = end;
			moved = true;
		}
		if ((end = view_cross_seg(v, w, w->hi)) != 0) {
			w->hi = end;
			moved = true;
		}
	}
}

static int
view_olds_push(struct view_pub *v, const struct vindex_rec *r)
{
	if (v->nolds == v->capolds) {
		size_t cap = v->capolds ? v->capolds * 2 : 16;
		struct vindex_rec *p = realloc(v->olds, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		v->olds = p;
		v->capolds = cap;
	}
	v->olds[v->nolds++] = *r;
	return 0;
}

/* The published records in the window into v->olds. */
static int
view_collect_old(struct view_pub *v, const struct view_win *w)
{
	struct vindex_pool p = { v->ix.nodes, v->ix.ncap };
	struct vindex_pos pos = w->pos;
	struct vindex_rec r;

	v->nolds = 0;
	for (int have = w->have; have == 1; have = vindex_next(&p, &pos, &pos)) {
		vindex_get(&p, &pos, &r);
		if (r.start >= w->hi)
			break;
		if (view_olds_push(v, &r) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The engine's VMAs in the window into v->recs; whether they equal the published ones. */
static int
view_collect(struct view_pub *v, struct mm *mm, const struct view_win *w, bool *same)
{
	struct mm_vma_info info;
	struct vindex_rec r;
	struct view_text name;

	if (view_collect_old(v, w) < 0)
		return -ENOMEM;
	v->nrecs = 0;
	*same = true;
	for (const struct vma *e = w->first; e; e = mm_next_vma(e)) {
		mm_vma_info(e, &info);
		if (info.start >= w->hi)
			break;
		if (view_rec_of(v, mm, e, &r, &name) < 0)
			return -ENOMEM;
		r.name = view_name_of(v, &name);
		if (view_recs_push(v, e, &r) < 0)
			return -ENOMEM;
		if (*same && v->nrecs <= v->nolds)
			*same = view_rec_same(&r, &v->olds[v->nrecs - 1]);
	}
	*same = *same && v->nrecs == v->nolds;
	return 0;
}

static void
view_remove(struct view_pub *v)
{
	for (size_t i = 0; i < v->nolds; i++) {
		view_name_put(v, v->olds[i].name);
		if (vindex_delete(&v->ix, v->olds[i].start) < 0)
			break;
	}
}

/* A record with a name is made again: the text of its name is not kept. */
static int
view_insert(struct view_pub *v, struct mm *mm, const struct view_new *n)
{
	struct vindex_rec r = n->rec;
	struct view_text name = { NULL, 0 };

	if (r.name != VINDEX_NIL && view_rec_of(v, mm, n->vma, &r, &name) < 0)
		return -ENOMEM;
	if (name.s) {
		r.name = view_name_get(v, name.s, name.len);
		if (r.name == VINDEX_NIL)
			return -ENOMEM;
	}
	if (vindex_reserve(&v->ix, vindex_insert_need(&v->ix)) < 0) {
		view_name_put(v, r.name);
		return -ENOMEM;
	}
	vindex_insert(&v->ix, &r);
	return 0;
}

/* Out of memory while publishing: readers are told rather than shown a wrong state. */
static void
view_fail(struct view_pub *v)
{
	if (!v->writing)
		view_write_begin(v);
	v->writing = true;
	v->hdr->state = VSEG_CLOSED;
}

/* A large window (a whole space) leaves no large buffers behind. */
static void
view_bufs_trim(struct view_pub *v)
{
	if (v->caprecs > VIEW_BUF_KEEP) {
		free(v->recs);
		v->recs = NULL;
		v->caprecs = 0;
	}
	if (v->capolds > VIEW_BUF_KEEP) {
		free(v->olds);
		v->olds = NULL;
		v->capolds = 0;
	}
}

static void
view_sync_window(struct view_pub *v, struct mm *mm, uint64_t lo, uint64_t hi)
{
	struct view_win w = { .lo = lo, .hi = hi > lo ? hi : lo + 1 };
	bool same;

	if (v->hdr->state != VSEG_LIVE)
		return;
	view_window(v, mm, &w);
	if (view_collect(v, mm, &w, &same) < 0) {
		view_fail(v);
		return;
	}
	if (same)
		return;
	/* A request's changes are one change for readers: view_pub_done() ends it. */
	if (!v->writing)
		view_write_begin(v);
	v->writing = true;
	view_remove(v);
	for (size_t i = 0; i < v->nrecs; i++) {
		if (view_insert(v, mm, &v->recs[i]) < 0) {
			view_fail(v);
			break;
		}
	}
}

static void
view_sync(struct view_pub *v, struct mm *mm, uint64_t lo, uint64_t hi)
{
	view_sync_window(v, mm, lo, hi);
	view_bufs_trim(v);
}

static void
view_done(struct view_pub *v)
{
	if (v->writing)
		view_write_end(v);
	v->writing = false;
}

/* ---- the module's interface ----------------------------------------------------------- */

static uint64_t
view_mm_brk(struct mm *mm)
{
	struct mm_status st;

	mm_get_status(mm, &st);
	return st.brk;
}

static int
view_pub_new(struct space *sp, struct view_pub **out)
{
	struct view_pub *v = calloc(1, sizeof(*v));
	int r;

	if (!v)
		return -ENOMEM;
	v->fd = -1;
	v->brk = view_mm_brk(sp->mm);
	r = view_seg_create(v);
	if (r == 0) {
		view_sync(v, sp->mm, 0, UINT64_MAX);
		view_done(v);
		r = v->hdr->state == VSEG_LIVE ? 0 : -ENOMEM;
	}
	if (r < 0) {
		view_pub_free(v, VSEG_CLOSED);
		return r;
	}
	*out = v;
	return 0;
}

int
view_open_fd(struct space *sp, int *fd)
{
	int r;

	if (!sp->view && (r = view_pub_new(sp, &sp->view)) < 0)
		return r;
	*fd = fcntl(sp->view->fd, F_DUPFD_CLOEXEC, 0);
	return *fd < 0 ? -errno : 0;
}

void
view_pub_free(struct view_pub *v, enum vseg_state state)
{
	if (!v)
		return;
	if (v->hdr && v->hdr->state == VSEG_LIVE) {
		if (!v->writing)
			view_write_begin(v);
		v->hdr->state = state;
		view_write_end(v);
	}
	if (v->map) {
		munmap(v->map, v->maplen);
		memacct_external(-(int64_t)v->maplen);
	}
	if (v->fd >= 0)
		close(v->fd);
	view_names_free(v);
	free(v->recs);
	free(v->olds);
	free(v);
}

void
view_pub_touch(struct space *sp, uint64_t lo, uint64_t hi)
{
	if (sp->view)
		view_sync(sp->view, sp->mm, lo, hi);
}

void
view_pub_done(struct space *sp)
{
	if (sp->view)
		view_done(sp->view);
}

uint64_t
view_pub_size(const struct space *sp)
{
	return sp->view->hdr->size;
}

uint64_t
view_pub_brk(const struct space *sp)
{
	return sp->view ? sp->view->brk : 0;
}

void
view_pub_set_brk(struct space *sp, uint64_t brk)
{
	if (sp->view)
		sp->view->brk = brk;
}
