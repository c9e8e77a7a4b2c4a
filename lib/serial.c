/* SPDX-License-Identifier: MIT */
/*
 * Exact serialisation of an mm.  What is written is the state the engine's behaviour depends
 * on: the layout and limits, the counters and high-water marks, the identity counters
 * (anon_vma ids, shmem inode numbers), the page-table regions, every file object with its
 * interning slot, and every VMA with its resident pages.  What is derived (tree, gaps, lookup
 * cache, reference counts, slab) is rebuilt on load.
 *
 * Each section's scalar fields are listed once, in the X-macro tables below: a new engine
 * field is added to its table (and MM_SERIAL_VERSION raised) and both directions follow.
 *
 * Layout: "VMADMM\r\n", u32 version, then the sections in order.  Integers are little-endian,
 * bools are bits of one u64 per section, strings are u32 length + bytes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm_internal.h"

#define SERIAL_MAGIC     "VMADMM\r\n"
#define SERIAL_MAGIC_LEN 8
#define SERIAL_PATH_MAX  4096
#define SERIAL_IDS_MAX   (UINT64_MAX >> 1)

/* struct mm: u64-valued fields. */
/* clang-format off */
#define MM_SERIAL_MM_U64(X)                                                                        \
	X(task_size)                                                                               \
	X(mmap_base)                                                                               \
	X(mmap_legacy_base)                                                                        \
	X(start_brk)                                                                               \
	X(brk)                                                                                     \
	X(start_stack)                                                                             \
	X(start_code)                                                                              \
	X(end_code)                                                                                \
	X(mmap_min_addr)                                                                           \
	X(dac_mmap_min_addr)                                                                       \
	X(stack_guard_gap)                                                                         \
	X(max_map_count)                                                                           \
	X(rlimit_as)                                                                               \
	X(rlimit_data)                                                                             \
	X(rlimit_stack)                                                                            \
	X(rlimit_memlock)                                                                          \
	X(def_flags)                                                                               \
	X(total_vm)                                                                                \
	X(data_vm)                                                                                 \
	X(exec_vm)                                                                                 \
	X(stack_vm)                                                                                \
	X(locked_vm)                                                                               \
	X(locked_leak)                                                                             \
	X(hiwater_vm)                                                                              \
	X(hiwater_rss)                                                                             \
	X(rss[PAGE_ANON])                                                                          \
	X(rss[PAGE_FILE])                                                                          \
	X(rss[PAGE_SHMEM])                                                                         \
	X(next_anon_vma)                                                                           \
	X(next_shmem_ino)                                                                          \
	X(next_file_id)                                                                            \
	X(overcommit_ram_pages)                                                                    \
	X(personality)                                                                             \
	X(features)                                                                                \
	X(pkey_map)                                                                                \
	X(execute_only_pkey)
/* clang-format on */
/* struct mm: bool fields. */
#define MM_SERIAL_MM_BOOL(X)                                                                       \
	X(topdown)                                                                                 \
	X(map_full)                                                                                \
	X(gate_vma) X(cap_sys_rawio) X(cap_ipc_lock) X(thp) X(overcommit_never)
/* struct mm_file. */
#define MM_SERIAL_FILE_U64(X)                                                                      \
	X(mode) X(dev_major) X(dev_minor) X(ino) X(instance) X(size) X(id) X(kind)
#define MM_SERIAL_FILE_BOOL(X) X(shmem) X(noexec) X(deleted) X(open)
/* struct vma (file and pages are written apart). */
#define MM_SERIAL_VMA_U64(X)  X(start) X(end) X(flags) X(pgoff) X(anon_vma)
#define MM_SERIAL_VMA_BOOL(X) X(fork_child)

/* ---- writing ------------------------------------------------------------------------- */

void
mm_sbuf_free(struct mm_sbuf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int
mm_sbuf_put(struct mm_sbuf *b, const void *p, size_t n)
{
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *d;

		while (cap - b->len < n)
			cap *= 2;
		d = realloc(b->data, cap);
		if (!d)
			return -ENOMEM;
		b->data = d;
		b->cap = cap;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int
mm_sbuf_u64(struct mm_sbuf *b, uint64_t v)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	return mm_sbuf_put(b, le, sizeof(le));
}

int
mm_sbuf_u32(struct mm_sbuf *b, uint32_t v)
{
	uint8_t le[4];

	for (int i = 0; i < 4; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	return mm_sbuf_put(b, le, sizeof(le));
}

static int
save_pages(struct mm_sbuf *b, const struct vma_pages *ps)
{
	uint32_t nr = ps ? ps->nr : 0;
	int r = mm_sbuf_u32(b, nr);

	for (uint32_t i = 0; i < nr && !r; i++) {
		r = mm_sbuf_u64(b, ps->run[i].first);
		r = r ? r : mm_sbuf_u64(b, ps->run[i].count);
		r = r ? r : mm_sbuf_u32(b, ps->run[i].kind);
	}
	return r;
}

#define SAVE_U64(f)  r = r ? r : mm_sbuf_u64(b, (uint64_t)(obj)->f);
#define SAVE_BOOL(f) bits |= (uint64_t)((obj)->f ? 1 : 0) << nbits++;

static int
save_mm_fields(struct mm_sbuf *b, const struct mm *obj)
{
	uint64_t bits = 0;
	unsigned nbits = 0;
	int r = mm_sbuf_u32(b, (uint32_t)obj->layout);

	MM_SERIAL_MM_U64(SAVE_U64)
	MM_SERIAL_MM_BOOL(SAVE_BOOL)
	return r ? r : mm_sbuf_u64(b, bits);
}

static int
save_file(struct mm_sbuf *b, const struct mm_file *obj)
{
	size_t n = strlen(obj->path);
	uint64_t bits = 0;
	unsigned nbits = 0;
	int r = 0;

	MM_SERIAL_FILE_U64(SAVE_U64)
	MM_SERIAL_FILE_BOOL(SAVE_BOOL)
	r = r ? r : mm_sbuf_u64(b, bits);
	r = r ? r : mm_sbuf_u32(b, (uint32_t)n);
	r = r ? r : mm_sbuf_put(b, obj->path, n);
	return r ? r : save_pages(b, obj->pages);
}

/*
 * Shared anonymous objects have no slot; they are numbered after the interned files in the
 * order the VMAs first use them.  The table maps each one to its number while saving.
 */
struct shmem_ids {
	const struct mm_file **obj;
	size_t n, cap;
};

static int
shmem_index(const struct shmem_ids *t, const struct mm_file *f)
{
	for (size_t i = t->n; i-- > 0;)
		if (t->obj[i] == f)
			return (int)i;
	return -1;
}

static int
shmem_collect(const struct mm *mm, struct shmem_ids *t)
{
	for (const struct vma *v = mm->first; v; v = v->next) {
		if (!v->file || v->file->slot != MM_FILE_NOSLOT || shmem_index(t, v->file) >= 0)
			continue;
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 16;
			const struct mm_file **o = realloc(t->obj, cap * sizeof(*o));

			if (!o)
				return -ENOMEM;
			t->obj = o;
			t->cap = cap;
		}
		t->obj[t->n++] = v->file;
	}
	return 0;
}

static uint32_t
file_number(const struct mm *mm, const struct shmem_ids *t, const struct mm_file *f)
{
	if (!f)
		return 0;
	if (f->slot != MM_FILE_NOSLOT)
		return f->slot + 1;
	return mm->nfiles + (uint32_t)shmem_index(t, f) + 1;
}

/* The name's length + 1 (0: none), then its bytes. */
static int
save_anon_name(struct mm_sbuf *b, const struct mm_anon_name *n)
{
	size_t len = n ? strlen(n->name) : 0;
	int r = mm_sbuf_u32(b, n ? (uint32_t)len + 1 : 0);

	return r || !n ? r : mm_sbuf_put(b, n->name, len);
}

static int
save_vma(struct mm_sbuf *b, const struct mm *mm, const struct shmem_ids *t, const struct vma *obj)
{
	uint64_t bits = 0;
	unsigned nbits = 0;
	int r = 0;

	MM_SERIAL_VMA_U64(SAVE_U64)
	MM_SERIAL_VMA_BOOL(SAVE_BOOL)
	r = r ? r : mm_sbuf_u64(b, bits);
	r = r ? r : mm_sbuf_u32(b, file_number(mm, t, obj->file));
	r = r ? r : save_anon_name(b, obj->anon_name);
	return r ? r : save_pages(b, obj->pages);
}

static int
save_files(struct mm_sbuf *b, const struct mm *mm, const struct shmem_ids *t)
{
	int r = mm_sbuf_u32(b, mm->nfiles);

	r = r ? r : mm_sbuf_u32(b, (uint32_t)t->n);
	for (uint32_t i = 0; i < mm->nfiles && !r; i++)
		r = save_file(b, mm->files[i]);
	for (size_t i = 0; i < t->n && !r; i++)
		r = save_file(b, t->obj[i]);
	return r;
}

int
mm_save(const struct mm *mm, struct mm_sbuf *b)
{
	struct shmem_ids t = { 0 };
	size_t start = b->len;
	int r = mm_sbuf_put(b, SERIAL_MAGIC, SERIAL_MAGIC_LEN);

	r = r ? r : mm_sbuf_u32(b, MM_SERIAL_VERSION);
	r = r ? r : save_mm_fields(b, mm);
	r = r ? r : save_pages(b, mm->pt);
	r = r ? r : shmem_collect(mm, &t);
	r = r ? r : save_files(b, mm, &t);
	r = r ? r : mm_sbuf_u64(b, mm->map_count);
	for (const struct vma *v = mm->first; v && !r; v = v->next)
		r = save_vma(b, mm, &t, v);
	free(t.obj);
	if (r)
		b->len = start;
	return r;
}

/* ---- reading ------------------------------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t left;
	size_t total;
	char *msg;
	size_t msglen;
	int err;
};

static int rd_fail(struct rd *d, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
rd_fail(struct rd *d, int err, const char *fmt, ...)
{
	va_list ap;

	if (d->err)
		return d->err;
	va_start(ap, fmt);
	if (d->msglen) {
		int n = snprintf(d->msg, d->msglen, "at byte %zu: ", d->total - d->left);

		if (n > 0 && (size_t)n < d->msglen)
			vsnprintf(d->msg + n, d->msglen - (size_t)n, fmt, ap);
	}
	va_end(ap);
	d->err = err;
	return err;
}

static const uint8_t *
rd_take(struct rd *d, size_t n)
{
	const uint8_t *p = d->p;

	if (d->err)
		return NULL;
	if (d->left < n) {
		rd_fail(d, -EINVAL, "truncated (%zu bytes wanted, %zu left)", n, d->left);
		return NULL;
	}
	d->p += n;
	d->left -= n;
	return p;
}

static uint64_t
rd_u64(struct rd *d)
{
	const uint8_t *p = rd_take(d, 8);
	uint64_t v = 0;

	for (int i = 0; p && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint32_t
rd_u32(struct rd *d)
{
	const uint8_t *p = rd_take(d, 4);
	uint32_t v = 0;

	for (int i = 0; p && i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

/* A count of items of at least `each` bytes: more than the input holds is a lie. */
static uint64_t
rd_count(struct rd *d, uint64_t n, size_t each, const char *what)
{
	if (!d->err && n > d->left / each) {
		rd_fail(d, -EINVAL, "%s count %llu exceeds the input", what, (unsigned long long)n);
		return 0;
	}
	return d->err ? 0 : n;
}

static struct vma_pages *
load_pages(struct rd *d)
{
	uint32_t nr = (uint32_t)rd_count(d, rd_u32(d), 20, "page run");
	struct vma_pages *ps = NULL;
	char msg[128];

	if (!nr || pages_reserve(&ps, nr) < 0) {
		if (nr)
			rd_fail(d, -ENOMEM, "out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i < nr; i++) {
		struct page_run *run = &ps->run[i];

		run->first = rd_u64(d);
		run->count = rd_u64(d);
		run->kind = rd_u32(d);
		if (run->kind >= PAGE_KINDS || run->first + run->count < run->first)
			rd_fail(d, -EINVAL, "page run %u is not valid", i);
		else
			ps->count[run->kind] += run->count;
	}
	ps->nr = nr;
	if (!d->err && pages_check(ps, msg, sizeof(msg)) < 0)
		rd_fail(d, -EINVAL, "%s", msg);
	if (d->err) {
		pages_free(ps);
		return NULL;
	}
	return ps;
}

/* A value wider than its field (kind, mode, a device number) is not one the engine wrote. */
#define LOAD_U64(f)                                                                                \
	v = rd_u64(d);                                                                             \
	(obj)->f = v;                                                                              \
	if ((uint64_t)(obj)->f != v)                                                               \
		rd_fail(d, -EINVAL, "field " #f " holds %#llx", (unsigned long long)v);
#define LOAD_BOOL(f) (obj)->f = (bits >> nbits++) & 1;

static uint64_t
rd_bits(struct rd *d, unsigned nbits)
{
	uint64_t bits = rd_u64(d);

	if (nbits < 64 && bits >> nbits)
		rd_fail(d, -EINVAL, "unknown flag bits %#llx", (unsigned long long)bits);
	return bits;
}

static void
load_mm_fields(struct rd *d, struct mm *obj)
{
	uint64_t bits, v;
	unsigned nbits = 0;
	uint32_t layout = rd_u32(d);

	if (layout > MM_LAYOUT_I386)
		rd_fail(d, -EINVAL, "unknown layout %u", layout);
	obj->layout = (enum mm_layout)layout;
	MM_SERIAL_MM_U64(LOAD_U64)
#define COUNT(f) +1
	bits = rd_bits(d, 0 MM_SERIAL_MM_BOOL(COUNT));
	MM_SERIAL_MM_BOOL(LOAD_BOOL)
}

/* The layout fields must be those a valid configuration gives, or the engine's rules break. */
static void
check_mm_fields(struct rd *d, const struct mm *mm)
{
	struct mm_config c;

	memset(&c, 0, sizeof(c));
	c.layout = mm->layout;
	c.task_size = mm->task_size;
	c.mmap_base = mm->mmap_base;
	c.mmap_legacy_base = mm->mmap_legacy_base;
	c.start_brk = mm->start_brk;
	c.start_stack = mm->start_stack;
	c.mmap_min_addr = mm->mmap_min_addr;
	c.dac_mmap_min_addr = mm->dac_mmap_min_addr;
	c.stack_guard_gap = mm->stack_guard_gap;
	c.personality = mm->personality <= UINT32_MAX ? (uint32_t)mm->personality : UINT32_MAX;
	c.features = mm->features <= UINT32_MAX ? (uint32_t)mm->features : UINT32_MAX;
	if (!mm_config_valid(&c) || !pkeys_valid(mm) || mm->brk < mm->start_brk ||
	    mm->brk > mm->task_size || mm->start_code > mm->end_code ||
	    mm->topdown != mm_layout_topdown(mm->layout, mm->personality))
		rd_fail(d, -EINVAL, "the layout fields are not consistent");
	/*
	 * Ids are handed out one at a time (++counter): a counter near 2^64 would wrap to 0, the
	 * id that means none, and no space the engine saved has handed out 2^63 of them.
	 */
	else if (mm->next_anon_vma > SERIAL_IDS_MAX || mm->next_shmem_ino > SERIAL_IDS_MAX ||
		 mm->next_file_id > SERIAL_IDS_MAX)
		rd_fail(d, -EINVAL, "an id counter is past 2^63");
}

static struct mm_file *
load_file(struct rd *d)
{
	struct mm_file tmp, *obj = &tmp, *f;
	uint64_t bits, v;
	unsigned nbits = 0;
	const uint8_t *path;
	uint32_t n;

	memset(&tmp, 0, sizeof(tmp));
	MM_SERIAL_FILE_U64(LOAD_U64)
	bits = rd_bits(d, 0 MM_SERIAL_FILE_BOOL(COUNT));
	MM_SERIAL_FILE_BOOL(LOAD_BOOL)
	n = rd_u32(d);
	if (n >= SERIAL_PATH_MAX)
		rd_fail(d, -EINVAL, "file path of %u bytes", n);
	path = rd_take(d, n);
	if (!path || memchr(path, 0, n)) {
		rd_fail(d, -EINVAL, "file path is not valid");
		return NULL;
	}
	f = calloc(1, sizeof(*f) + n + 1);
	if (!f) {
		rd_fail(d, -ENOMEM, "out of memory");
		return NULL;
	}
	*f = tmp;
	memcpy(f->path, path, n);
	f->slot = MM_FILE_NOSLOT;
	f->pages = load_pages(d);
	/* A shmem object holds pages; guard markers live only in a VMA's page tables. */
	if (pages_count(f->pages, PAGE_GUARD))
		rd_fail(d, -EINVAL, "file page set holds guard markers");
	return f;
}

struct loaded_files {
	struct mm_file **all; /* interned (slot order), then shared anonymous */
	uint32_t interned, n;
	uint32_t shmem_used; /* shared anonymous objects a VMA used so far */
};

/* Objects no VMA took are freed here; the others go with their last VMA. */
static void
files_drop_unused(struct loaded_files *lf)
{
	for (uint32_t i = 0; i < lf->n; i++) {
		if (lf->all[i] && !lf->all[i]->refs) {
			pages_free(lf->all[i]->pages);
			free(lf->all[i]);
		}
	}
	free(lf->all);
}

static int
load_files(struct rd *d, struct loaded_files *lf)
{
	uint32_t ni = (uint32_t)rd_count(d, rd_u32(d), 40, "file");
	uint32_t ns = (uint32_t)rd_count(d, rd_u32(d), 40, "shmem object");

	if (d->err || (uint64_t)ni + ns > d->left / 40)
		return rd_fail(d, -EINVAL, "file counts exceed the input");
	lf->all = calloc((size_t)ni + ns + 1, sizeof(*lf->all));
	if (!lf->all)
		return rd_fail(d, -ENOMEM, "out of memory");
	lf->interned = ni;
	for (uint32_t i = 0; i < ni + ns && !d->err; i++) {
		struct mm_file *f = load_file(d);

		lf->all[lf->n++] = f;
		/* Interned files may be tmpfs (shmem pages); shared anonymous objects are shmem. */
		if (f && (i >= ni ? !f->shmem || f->open : f->shmem && f->kind != MM_FILE_TMPFS))
			rd_fail(d, -EINVAL, "file %u is in the wrong table", i);
		if (f && (f->kind > MM_FILE_DEVZERO || (f->open && !f->id)))
			rd_fail(d, -EINVAL, "file %u has a bad kind or id", i);
	}
	return d->err;
}

/* The interned objects take their slots once every VMA holds its reference. */
static void
install_files(struct rd *d, struct mm *mm, const struct loaded_files *lf)
{
	/* An open registered file holds a reference of its own, and may be mapped by none. */
	for (uint32_t i = 0; i < lf->interned; i++) {
		lf->all[i]->refs += lf->all[i]->open;
		if (!lf->all[i]->refs)
			rd_fail(d, -EINVAL, "file %u is used by no VMA", i);
	}
	/* mm_save() writes the shared anonymous objects its VMAs use, no others. */
	for (uint32_t i = lf->interned; i < lf->n; i++)
		if (!lf->all[i]->refs)
			rd_fail(d, -EINVAL, "shmem object %u is used by no VMA", i);
	if (d->err)
		return;
	mm->files = malloc(((size_t)lf->interned + 1) * sizeof(*mm->files));
	if (!mm->files) {
		rd_fail(d, -ENOMEM, "out of memory");
		return;
	}
	mm->files_cap = lf->interned + 1;
	for (uint32_t i = 0; i < lf->interned; i++) {
		lf->all[i]->slot = i;
		mm->files[mm->nfiles++] = lf->all[i];
	}
}

/* A name as prctl() would have taken it (anon_name_valid()), or none. */
static struct mm_anon_name *
load_anon_name(struct rd *d)
{
	uint32_t n = rd_u32(d);
	const uint8_t *p;
	struct mm_anon_name *name;

	if (!n || d->err)
		return NULL;
	p = n - 1 < MM_ANON_VMA_NAME_MAX ? rd_take(d, n - 1) : NULL;
	if (!p || !anon_name_valid((const char *)p, n - 1)) {
		rd_fail(d, -EINVAL, "VMA name of %u bytes is not valid", n - 1);
		return NULL;
	}
	name = anon_name_new((const char *)p, n - 1);
	if (!name)
		rd_fail(d, -ENOMEM, "out of memory");
	return name;
}

static struct vma *
load_vma(struct rd *d, struct mm *mm, struct loaded_files *lf)
{
	struct vma *obj = vma_new(mm);
	uint64_t bits, v;
	unsigned nbits = 0;
	uint32_t fno;

	if (!obj) {
		rd_fail(d, -ENOMEM, "out of memory");
		return NULL;
	}
	MM_SERIAL_VMA_U64(LOAD_U64)
	bits = rd_bits(d, 0 MM_SERIAL_VMA_BOOL(COUNT));
	MM_SERIAL_VMA_BOOL(LOAD_BOOL)
	fno = rd_u32(d);
	if (fno > lf->n || (fno && !lf->all[fno - 1]))
		rd_fail(d, -EINVAL, "file number %u out of range", fno);
	/* mm_save() numbers the shared anonymous objects in the order the VMAs first use them. */
	else if (fno > lf->interned + lf->shmem_used + 1)
		rd_fail(d, -EINVAL, "shmem object %u used before %u", fno - 1,
			lf->interned + lf->shmem_used);
	else if (fno)
		obj->file = lf->all[fno - 1];
	if (fno && fno == lf->interned + lf->shmem_used + 1)
		lf->shmem_used++;
	if (obj->file)
		mm_file_get(obj->file);
	obj->anon_name = load_anon_name(d);
	obj->pages = load_pages(d);
	return obj;
}

static void
check_vma_place(struct rd *d, const struct mm *mm, const struct vma *v)
{
	if (v->start >= v->end || (v->start | v->end) & ~MM_PAGE_MASK || v->end > mm->task_size ||
	    (mm->last && mm->last->end > v->start))
		rd_fail(d, -EINVAL, "VMA %#llx-%#llx is out of place", (unsigned long long)v->start,
			(unsigned long long)v->end);
	/* Shared memory always has its object (mm/mmap.c: __mmap_region(), shmem_zero_setup()). */
	else if ((v->flags & (VM_SHARED | VM_MAYSHARE)) && !v->file)
		rd_fail(d, -EINVAL, "shared VMA %#llx has no file object",
			(unsigned long long)v->start);
	else if (v->anon_vma > mm->next_anon_vma)
		rd_fail(d, -EINVAL, "VMA %#llx has an anon_vma id never handed out",
			(unsigned long long)v->start);
}

static void
load_vmas(struct rd *d, struct mm *mm, struct loaded_files *lf)
{
	uint64_t n = rd_count(d, rd_u64(d), 52, "VMA");

	for (uint64_t i = 0; i < n && !d->err; i++) {
		struct vma *v = load_vma(d, mm, lf);

		if (v && !d->err)
			check_vma_place(d, mm, v);
		if (d->err) {
			/* The file objects are files_drop_unused()'s to free, not this VMA's. */
			if (v && v->file) {
				v->file->refs--;
				v->file = NULL;
			}
			vma_destroy(mm, v);
			return;
		}
		vma_tree_link(mm, v, NULL);
	}
}

/* The counters, saved as they were, must be what the VMAs add up to. */
static void
check_loaded(struct rd *d, struct mm *mm)
{
	char msg[256];

	if (!d->err && mm_validate(mm, msg, sizeof(msg)) < 0)
		rd_fail(d, -EINVAL, "the loaded address space is not consistent: %s", msg);
}

static void
load_header(struct rd *d)
{
	uint32_t version;

	if (d->left < SERIAL_MAGIC_LEN || memcmp(d->p, SERIAL_MAGIC, SERIAL_MAGIC_LEN) != 0) {
		rd_fail(d, -EINVAL, "not a saved address space");
		return;
	}
	rd_take(d, SERIAL_MAGIC_LEN);
	version = rd_u32(d);
	if (!d->err && version != MM_SERIAL_VERSION)
		rd_fail(d, version > MM_SERIAL_VERSION ? -EPROTONOSUPPORT : -EINVAL,
			"format version %u; this engine reads version %u", version,
			MM_SERIAL_VERSION);
}

static int
load_body(struct rd *d, struct mm *mm)
{
	struct loaded_files lf = { 0 };

	load_mm_fields(d, mm);
	if (!d->err)
		check_mm_fields(d, mm);
	mm->pt = d->err ? NULL : load_pages(d);
	if (!d->err)
		load_files(d, &lf);
	if (!d->err)
		load_vmas(d, mm, &lf);
	if (!d->err)
		install_files(d, mm, &lf);
	check_loaded(d, mm);
	files_drop_unused(&lf);
	return d->err;
}

int
mm_load(const void *data, size_t len, size_t *used, struct mm **out, char *msg, size_t msglen)
{
	struct rd d = { data, len, len, msg, msglen, 0 };
	struct mm *mm;

	*out = NULL;
	if (msglen)
		msg[0] = '\0';
	load_header(&d);
	if (d.err)
		return d.err;
	mm = calloc(1, sizeof(*mm));
	if (!mm)
		return rd_fail(&d, -ENOMEM, "out of memory");
	if (load_body(&d, mm) < 0) {
		mm_destroy(mm);
		return d.err;
	}
	mm_changed_all(mm);
	if (used)
		*used = len - d.left;
	*out = mm;
	return 0;
}
