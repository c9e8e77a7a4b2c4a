/* SPDX-License-Identifier: MIT */
#include "reply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm.h"

/*
 * A Vma message from the engine's maps entry, its strings in t: the line (its tail from
 * path_off is the path), or without a line the path alone, t->len bytes with the NUL; flags,
 * pgoff and rss where there is a VMA (reply_vma_in()).
 */
static void
reply_set(Vmad__V1__Vma *m, struct reply_text *t, const struct mm_maps_entry *e, size_t path_off,
	  bool line)
{
	static const Vmad__V1__Vma init = VMAD__V1__VMA__INIT;

	*m = init;
	m->has_start = m->has_end = m->has_offset = true;
	m->has_dev_major = m->has_dev_minor = m->has_ino = true;
	m->start = e->start;
	m->end = e->end;
	m->offset = e->offset;
	m->dev_major = e->dev_major;
	m->dev_minor = e->dev_minor;
	m->ino = e->ino;
	memcpy(t->perms, e->perms, sizeof(t->perms));
	m->perms = t->perms;
	m->line = line ? t->buf : NULL;
	m->path = t->buf + path_off;
}

/* The line, rendered into t. */
static int
reply_line(struct reply_text *t, struct mm *mm, const struct vma *v, struct mm_maps_entry *e,
	   struct mm_vma_info *info)
{
	int r = mm_maps_entry_info(mm, v, e, info, t->buf, sizeof(t->buf));

	if (r < 0)
		return r;
	t->len = e->len + 1;
	return (int)e->name_off;
}

/*
 * Without the line, the client makes it of the fields and the path (mm_maps_line()), which
 * tells "no name" (empty) from any name but an empty one: that rare VMA keeps its line.
 * Returns where the path starts in t, or an error.
 */
static int
reply_bare(struct reply_text *t, struct mm *mm, const struct vma *v, struct mm_maps_entry *e,
	   struct mm_vma_info *info, bool *line)
{
	const char *name;
	int n = mm_maps_entry_name(mm, v, e, info, t->buf, &name);

	*line = false;
	if (n < 0)
		return n;
	if (n > 0 || !name) {
		/* A fixed name ("[heap]", ...) is not in the buffer yet. */
		if (name != t->buf)
			memcpy(t->buf, name ? name : "", (size_t)n);
		t->buf[n] = '\0';
		t->len = (size_t)n + 1;
		return 0;
	}
	*line = true;
	n = mm_maps_line(e, name, 0, t->buf, sizeof(t->buf));
	if (n < 0)
		return n;
	t->len = e->len + 1;
	return (int)e->name_off;
}

int
reply_vma_in(Vmad__V1__Vma *m, struct reply_text *t, struct mm *mm, const struct vma *v, bool line)
{
	struct mm_maps_entry e;
	struct mm_vma_info info;
	int off = line ? reply_line(t, mm, v, &e, &info) : reply_bare(t, mm, v, &e, &info, &line);

	if (off < 0)
		return off;
	reply_set(m, t, &e, (size_t)off, line);
	m->has_flags = m->has_pgoff = m->has_rss_kb = true;
	m->flags = info.flags;
	m->pgoff = info.pgoff;
	m->rss_kb = mm_vma_info_rss_kb(&info);
	return 0;
}

/* m, made in t, copied into one arena piece: the message, then perms, then the text. */
static Vmad__V1__Vma *
reply_copy(struct arena *a, const Vmad__V1__Vma *m, const struct reply_text *t)
{
	Vmad__V1__Vma *c = arena_alloc(a, sizeof(*c) + sizeof(t->perms) + t->len);
	char *perms, *text;

	if (!c)
		return NULL;
	perms = (char *)(c + 1);
	text = perms + sizeof(t->perms);
	*c = *m;
	c->perms = memcpy(perms, t->perms, sizeof(t->perms));
	memcpy(text, t->buf, t->len);
	c->path = text + (m->path - t->buf);
	if (m->line)
		c->line = text;
	return c;
}

Vmad__V1__Vma *
reply_vma(struct arena *a, struct mm *mm, const struct vma *v, bool line)
{
	struct reply_text t;
	Vmad__V1__Vma m;

	return reply_vma_in(&m, &t, mm, v, line) < 0 ? NULL : reply_copy(a, &m, &t);
}

/* The [vsyscall] gate line: no VMA, so no flags, pgoff or rss; without the line, its name. */
static Vmad__V1__Vma *
reply_gate(struct arena *a, struct mm *mm, bool line)
{
	struct reply_text t;
	struct mm_maps_entry e;
	Vmad__V1__Vma m;
	size_t name;

	if (mm_maps_entry(mm, NULL, &e, t.buf, sizeof(t.buf)) < 0)
		return NULL;
	t.len = e.len + 1;
	if (!line) {
		name = e.len - e.name_off;
		memmove(t.buf, t.buf + e.name_off, name + 1);
		t.len = name + 1;
	}
	reply_set(&m, &t, &e, line ? e.name_off : 0, line);
	return reply_copy(a, &m, &t);
}

static int
reply_push(struct arena *a, Vmad__V1__MapsResult *out, Vmad__V1__Vma *m, size_t *cap)
{
	if (!m)
		return -ENOMEM;
	if (out->n_vmas == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		Vmad__V1__Vma **v = arena_alloc(a, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		if (out->n_vmas)
			memcpy(v, out->vmas, out->n_vmas * sizeof(*v));
		out->vmas = v;
		*cap = ncap;
	}
	out->vmas[out->n_vmas++] = m;
	return 0;
}

/* The gate line follows the last VMA, unless the page starts beyond it. */
static int
reply_push_gate(struct arena *a, struct mm *mm, uint64_t from, bool line, Vmad__V1__MapsResult *out,
		size_t *cap)
{
	Vmad__V1__Vma *m = reply_gate(a, mm, line);

	if (m && m->end <= from)
		return 0;
	return reply_push(a, out, m, cap);
}

int
reply_maps(struct arena *a, struct mm *mm, uint64_t from, uint32_t limit, bool line,
	   Vmad__V1__MapsResult *out)
{
	const struct vma *v = mm_find_vma(mm, from);
	struct mm_status st;
	size_t cap = 0, bytes = 0;
	int r;

	if (limit == 0)
		limit = REPLY_MAPS_LIMIT_DEFAULT;
	if (limit > REPLY_MAPS_LIMIT_MAX)
		limit = REPLY_MAPS_LIMIT_MAX;
	for (; v && out->n_vmas < limit && bytes < REPLY_MAPS_PAGE_BYTES; v = mm_next_vma(v)) {
		Vmad__V1__Vma *m = reply_vma(a, mm, v, line);

		r = reply_push(a, out, m, &cap);
		if (r < 0)
			return r;
		bytes += (m->line ? strlen(m->line) : 0) + strlen(m->path) + 64;
	}
	mm_get_status(mm, &st);
	if (v || (st.gate_vma && out->n_vmas == limit)) {
		out->has_next = true;
		out->next = out->vmas[out->n_vmas - 1]->end;
		return 0;
	}
	return st.gate_vma ? reply_push_gate(a, mm, from, line, out, &cap) : 0;
}

int
reply_status(struct arena *a, struct mm *mm, Vmad__V1__StatusResult *out)
{
	struct mm_status st;
	uint64_t kb = MM_PAGE_SIZE / 1024, rss, text, exec;
	char *s;
	size_t len;
	int r;

	mm_get_status(mm, &st);
	rss = st.rss_anon + st.rss_file + st.rss_shmem;
	/* task_mem() in fs/proc/task_mmu.c: the same formulas as the rendered text. */
	exec = st.exec_vm << MM_PAGE_SHIFT;
	text = ((st.end_code + MM_PAGE_SIZE - 1) & ~(MM_PAGE_SIZE - 1)) -
	       (st.start_code & ~(MM_PAGE_SIZE - 1));
	out->vm_peak = (st.hiwater_vm > st.total_vm ? st.hiwater_vm : st.total_vm) * kb;
	out->vm_size = st.total_vm * kb;
	out->vm_lck = st.locked_vm * kb;
	out->vm_hwm = (st.hiwater_rss > rss ? st.hiwater_rss : rss) * kb;
	out->vm_rss = rss * kb;
	out->rss_anon = st.rss_anon * kb;
	out->rss_file = st.rss_file * kb;
	out->rss_shmem = st.rss_shmem * kb;
	out->vm_data = st.data_vm * kb;
	out->vm_stk = st.stack_vm * kb;
	out->vm_exe = (text < exec ? text : exec) >> 10;
	out->vm_lib = (exec >> 10) - out->vm_exe;
	out->map_count = st.map_count;
	out->brk = st.brk;
	out->start_brk = st.start_brk;
	out->mmap_base = st.mmap_base;
	out->has_vm_peak = out->has_vm_size = out->has_vm_lck = out->has_vm_hwm = true;
	out->has_vm_rss = out->has_rss_anon = out->has_rss_file = out->has_rss_shmem = true;
	out->has_vm_data = out->has_vm_stk = out->has_vm_exe = out->has_map_count = true;
	out->has_vm_lib = true;
	out->has_brk = out->has_start_brk = out->has_mmap_base = true;
	r = mm_render_status(mm, &s, &len);
	if (r < 0)
		return r;
	out->text = arena_alloc(a, len + 1);
	if (out->text) {
		memcpy(out->text, s, len);
		out->text[len] = '\0';
	}
	free(s);
	return out->text ? 0 : -ENOMEM;
}
