/* SPDX-License-Identifier: MIT */
#include "reply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm.h"

/*
 * A Vma message from the engine's maps entry: the line and its fields come from the one
 * formatter (mm_maps_entry()); flags, pgoff and rss only where there is a VMA.  One arena
 * piece holds the message, perms and text: the line, whose tail from path_off is the path,
 * or (without a line) the path alone.  A find reply is on the hot path, so it costs one
 * allocation and one copy.
 */
static Vmad__V1__Vma *
reply_entry(struct arena *a, const struct mm_maps_entry *e, const char *text, size_t len,
	    size_t path_off, bool line)
{
	static const Vmad__V1__Vma init = VMAD__V1__VMA__INIT;
	const size_t perms = sizeof(e->perms);
	Vmad__V1__Vma *m = arena_alloc(a, sizeof(*m) + perms + len + 1);

	if (!m)
		return NULL;
	*m = init;
	m->has_start = m->has_end = m->has_offset = true;
	m->has_dev_major = m->has_dev_minor = m->has_ino = true;
	m->start = e->start;
	m->end = e->end;
	m->offset = e->offset;
	m->dev_major = e->dev_major;
	m->dev_minor = e->dev_minor;
	m->ino = e->ino;
	m->perms = (char *)(m + 1);
	memcpy(m->perms, e->perms, perms);
	m->path = m->perms + perms;
	memcpy(m->path, text, len);
	m->path[len] = '\0';
	if (line)
		m->line = m->path;
	m->path += path_off;
	return m;
}

static Vmad__V1__Vma *
reply_line(struct arena *a, struct mm *mm, const struct vma *v, struct mm_maps_entry *e,
	   struct mm_vma_info *info)
{
	char line[MM_MAPS_LINE_MAX];

	if (mm_maps_entry_info(mm, v, e, info, line, sizeof(line)) < 0)
		return NULL;
	return reply_entry(a, e, line, e->len, e->name_off, true);
}

/*
 * Without the line, the client makes it of the fields and the path (mm_maps_line()), which
 * tells "no name" (empty) from any name but an empty one: that rare VMA keeps its line.
 */
static Vmad__V1__Vma *
reply_bare(struct arena *a, struct mm *mm, const struct vma *v, struct mm_maps_entry *e,
	   struct mm_vma_info *info)
{
	char namebuf[MM_MAPS_NAME_MAX], line[MM_MAPS_HEADER_MAX];
	const char *name;
	int n = mm_maps_entry_name(mm, v, e, info, namebuf, &name);

	if (n < 0)
		return NULL;
	if (n > 0 || !name)
		return reply_entry(a, e, name ? name : "", (size_t)n, 0, false);
	if (mm_maps_line(e, name, 0, line, sizeof(line)) < 0)
		return NULL;
	return reply_entry(a, e, line, e->len, e->name_off, true);
}

Vmad__V1__Vma *
reply_vma(struct arena *a, struct mm *mm, const struct vma *v, bool line)
{
	struct mm_maps_entry e;
	struct mm_vma_info info;
	Vmad__V1__Vma *m = line ? reply_line(a, mm, v, &e, &info) : reply_bare(a, mm, v, &e, &info);

	if (!m)
		return NULL;
	m->has_flags = m->has_pgoff = m->has_rss_kb = true;
	m->flags = info.flags;
	m->pgoff = info.pgoff;
	m->rss_kb = mm_vma_info_rss_kb(&info);
	return m;
}

/* The [vsyscall] gate line: no VMA, so no flags, pgoff or rss; without the line, its name. */
static Vmad__V1__Vma *
reply_gate(struct arena *a, struct mm *mm, bool line)
{
	char text[MM_MAPS_LINE_MAX];
	struct mm_maps_entry e;

	if (mm_maps_entry(mm, NULL, &e, text, sizeof(text)) < 0)
		return NULL;
	if (!line)
		return reply_entry(a, &e, text + e.name_off, e.len - e.name_off, 0, false);
	return reply_entry(a, &e, text, e.len, e.name_off, true);
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
