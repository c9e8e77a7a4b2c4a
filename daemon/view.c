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

	v->fd = memfd_create(VSEG_MEMFD_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING);
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
view_rec_of(struct view_pub *v, struct mm *mm, const struct vma *vma,
	    const struct mm_vma_info *info, struct vindex_rec *r, struct view_text *name)
{
	struct mm_maps_entry e;
	int rc;

	memset(r, 0, sizeof(*r));
	r->start = info->start;
	r->end = info->end;
	r->flags = info->flags;
	r->pgoff = info->pgoff;
	r->name = VINDEX_NIL;
	/* A named anonymous VMA's name is formatted: it takes the maps line's buffer. */
	if (!info->path && !info->shmem && !info->anon_name) {
		name->s = mm_vma_name(mm, vma, NULL, 0);
		name->len = name->s ? strlen(name->s) : 0;
		return 0;
	}
	rc = mm_maps_entry(mm, vma, &e, v->line, sizeof(v->line));
	if (rc < 0)
		return rc;
	r->attr = info->path || info->shmem ? VINDEX_ATTR_FILE : 0;
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

/*
 * A window being published: [lo, hi), and where the engine's VMAs and the published records
 * from lo on begin.
 */
struct view_win {
	uint64_t lo, hi;
	const struct vma *first;
	int have;
	struct vindex_pos pos;
};

/* One search in the engine and one in the segment: the walks over the window start there. */
static void
view_window_find(struct view_pub *v, struct mm *mm, struct view_win *w)
{
	struct vindex_pool p = { v->ix.nodes, v->ix.ncap };

	w->first = mm_find_vma(mm, w->lo);
	w->have = vindex_find(&p, v->ix.root, w->lo, &w->pos);
}

static void
view_window_cover(struct view_win *w, uint64_t start, uint64_t end)
{
	if (start < w->lo)
		w->lo = start;
	if (end > w->hi)
		w->hi = end;
}

/*
 * Widens the window over what was collected in it: whether it grew.  The engine's changed
 * range (mm_take_changed()) is crossed by no VMA, old or new, so this finds nothing to do;
 * were it ever too narrow, the window still never ends inside a record.
 */
static bool
view_window_wider(const struct view_pub *v, struct view_win *w)
{
	uint64_t lo = w->lo, hi = w->hi;

	if (v->nrecs) {
		view_window_cover(w, v->recs[0].rec.start, v->recs[0].rec.end);
		view_window_cover(w, v->recs[v->nrecs - 1].rec.start,
				  v->recs[v->nrecs - 1].rec.end);
	}
	if (v->nolds) {
		view_window_cover(w, v->olds[0].start, v->olds[0].end);
		view_window_cover(w, v->olds[v->nolds - 1].start, v->olds[v->nolds - 1].end);
	}
	return w->lo != lo || w->hi != hi;
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

/* The engine's VMAs in the window into v->recs. */
static int
view_collect(struct view_pub *v, struct mm *mm, const struct view_win *w)
{
	struct mm_vma_info info;
	struct vindex_rec r;
	struct view_text name;

	if (view_collect_old(v, w) < 0)
		return -ENOMEM;
	v->nrecs = 0;
	for (const struct vma *e = w->first; e; e = mm_next_vma(e)) {
		mm_vma_info(e, &info);
		if (info.start >= w->hi)
			break;
		if (view_rec_of(v, mm, e, &info, &r, &name) < 0)
			return -ENOMEM;
		r.name = view_name_of(v, &name);
		if (view_recs_push(v, e, &r) < 0)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Whether r is in sorted[*k..n), moving *k past the records that start below r: the callers
 * walk two lists sorted by start in step.
 */
static bool
view_rec_kept(const struct vindex_rec *r, const struct vindex_rec *sorted, size_t stride, size_t n,
	      size_t *k)
{
	const struct vindex_rec *o;

	for (; *k < n; (*k)++) {
		o = (const struct vindex_rec *)((const char *)sorted + *k * stride);
		if (o->start >= r->start)
			return o->start == r->start && view_rec_same(o, r);
	}
	return false;
}

static void
view_write(struct view_pub *v)
{
	/* A request's changes are one change for readers: view_done() ends it. */
	if (!v->writing)
		view_write_begin(v);
	v->writing = true;
}

/* The published records of the window that the engine no longer has, as they were. */
static int
view_remove(struct view_pub *v)
{
	const struct vindex_rec *news = v->nrecs ? &v->recs[0].rec : NULL;
	size_t k = 0;

	for (size_t i = 0; i < v->nolds; i++) {
		if (view_rec_kept(&v->olds[i], news, sizeof(v->recs[0]), v->nrecs, &k))
			continue;
		view_write(v);
		view_name_put(v, v->olds[i].name);
		if (vindex_delete(&v->ix, v->olds[i].start) < 0)
			return -EIO;
	}
	return 0;
}

/* A record with a name is made again: the text of its name is not kept. */
static int
view_insert(struct view_pub *v, struct mm *mm, const struct view_new *n)
{
	struct vindex_rec r = n->rec;
	struct view_text name = { NULL, 0 };
	struct mm_vma_info info;

	if (r.name != VINDEX_NIL) {
		mm_vma_info(n->vma, &info);
		if (view_rec_of(v, mm, n->vma, &info, &r, &name) < 0)
			return -ENOMEM;
	}
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

/* The engine's records of the window that are not published yet. */
static int
view_add(struct view_pub *v, struct mm *mm)
{
	size_t k = 0;

	for (size_t i = 0; i < v->nrecs; i++) {
		if (view_rec_kept(&v->recs[i].rec, v->olds, sizeof(v->olds[0]), v->nolds, &k))
			continue;
		view_write(v);
		if (view_insert(v, mm, &v->recs[i]) < 0)
			return -ENOMEM;
	}
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

/*
 * Only the records that differ are rewritten: those of the window that the engine lost or
 * changed go, then the engine's new or changed ones come.
 */
static void
view_sync_window(struct view_pub *v, struct mm *mm, const struct mm_range *range)
{
	struct view_win w = { .lo = range->lo, .hi = range->hi };

	if (v->hdr->state != VSEG_LIVE)
		return;
	do {
		view_window_find(v, mm, &w);
		if (view_collect(v, mm, &w) < 0) {
			view_fail(v);
			return;
		}
	} while (view_window_wider(v, &w));
	if (view_remove(v) < 0 || view_add(v, mm) < 0)
		view_fail(v);
}

static void
view_sync(struct view_pub *v, struct mm *mm, const struct mm_range *ranges, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		view_sync_window(v, mm, &ranges[i]);
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

/* A new segment shows the whole space: what the engine recorded as changed before is moot. */
static int
view_pub_new(struct space *sp, struct view_pub **out)
{
	static const struct mm_range all = { 0, UINT64_MAX };
	struct view_pub *v = calloc(1, sizeof(*v));
	struct mm_range moot[MM_CHANGED_RANGES];
	int r;

	if (!v)
		return -ENOMEM;
	v->fd = -1;
	mm_take_changed(sp->mm, moot);
	r = view_seg_create(v);
	if (r == 0) {
		view_sync(v, sp->mm, &all, 1);
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
view_flush(struct space_table *t)
{
	struct space *sp = t->view_pending;
	struct mm_range ranges[MM_CHANGED_RANGES];
	unsigned n;

	if (!sp)
		return;
	t->view_pending = NULL;
	n = mm_take_changed(sp->mm, ranges);
	if (n)
		view_sync(sp->view, sp->mm, ranges, n);
	view_done(sp->view);
}

void
view_request_done(struct space_table *t, struct space *sp)
{
	/* With no view, the engine's record of changes grows until the first one opens. */
	if (!sp || !sp->view || sp == t->view_pending)
		return;
	view_flush(t);
	t->view_pending = sp;
}

uint64_t
view_pub_size(const struct space *sp)
{
	return sp->view->hdr->size;
}
