/* SPDX-License-Identifier: MIT */
#include "reply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm.h"

/* seq_setwidth(m, 25 + sizeof(void *) * 6 - 1) in show_map_vma(): the name column. */
#define REPLY_NAME_COLUMN 72
/* The internal mount behind shared anonymous memory is device 00:01. */
#define REPLY_SHMEM_DEV_MINOR 1
/* The longest name: a path of 4095 bytes, every byte escaped as "\012", then " (deleted)". */
#define REPLY_NAME_MAX (4 * 4096 + 16)
/* What precedes the name: two addresses, perms, offset, device, inode, the spaces. */
#define REPLY_HEADER_MAX 128

/* The [vsyscall] gate line: the engine's text, read back (it is no VMA and has no info). */
static const char *
reply_parse_line(struct arena *a, Vmad__V1__Vma *m)
{
	unsigned long long start, end, offset, ino;
	unsigned major, minor;
	char perms[5];
	int n = 0;

	if (sscanf(m->line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, perms, &offset,
		   &major, &minor, &ino, &n) != 7 ||
	    n == 0)
		return NULL;
	m->perms = arena_strdup(a, perms);
	m->has_start = m->has_end = m->has_offset = m->has_dev_major = true;
	m->has_dev_minor = m->has_ino = true;
	m->start = start;
	m->end = end;
	m->offset = offset;
	m->dev_major = major;
	m->dev_minor = minor;
	m->ino = ino;
	return m->perms ? m->line + n : NULL;
}

/* printf's "%0*llx" (width at most 16) and "%llu", without the format interpreter. */
static char *
reply_hex(char *p, uint64_t v, int width)
{
	/* The digits of every byte value: two digits at a time. */
	static const char pairs[] = "000102030405060708090a0b0c0d0e0f"
				    "101112131415161718191a1b1c1d1e1f"
				    "202122232425262728292a2b2c2d2e2f"
				    "303132333435363738393a3b3c3d3e3f"
				    "404142434445464748494a4b4c4d4e4f"
				    "505152535455565758595a5b5c5d5e5f"
				    "606162636465666768696a6b6c6d6e6f"
				    "707172737475767778797a7b7c7d7e7f"
				    "808182838485868788898a8b8c8d8e8f"
				    "909192939495969798999a9b9c9d9e9f"
				    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
				    "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
				    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
				    "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
				    "e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
				    "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
	int n = (64 - __builtin_clzll(v | 1) + 3) / 4;
	char *q;

	if (n < width)
		n = width;
	for (q = p + n; q - p >= 2; v >>= 8) {
		q -= 2;
		memcpy(q, &pairs[2 * (v & 0xff)], 2);
	}
	if (q > p)
		*p = pairs[2 * (v & 0xf) + 1];
	return p + n;
}

static char *
reply_dec(char *p, uint64_t v)
{
	int n = 1;
	char *q;

	for (uint64_t rest = v / 10; rest; rest /= 10)
		n++;
	for (q = p + n; q > p; v /= 10)
		*--q = (char)('0' + v % 10);
	return p + n;
}

/*
 * The fields show_map_vma() prints: offset, device and inode are those of the file, and 0
 * for private anonymous memory; shared anonymous memory without a file of its own shows the
 * shmem device.
 */
static void
reply_fields(Vmad__V1__Vma *m, const struct mm_vma_info *info)
{
	m->has_start = m->has_end = m->has_flags = m->has_pgoff = m->has_offset = true;
	m->has_dev_major = m->has_dev_minor = m->has_ino = m->has_rss_kb = true;
	m->start = info->start;
	m->end = info->end;
	m->flags = info->flags;
	m->pgoff = info->pgoff;
	m->rss_kb = (info->rss_anon + info->rss_file + info->rss_shmem) * (MM_PAGE_SIZE / 1024);
	if (!info->path && !info->shmem)
		return;
	m->offset = info->pgoff << MM_PAGE_SHIFT;
	m->dev_major = info->dev_major;
	m->dev_minor = info->dev_minor;
	m->ino = info->ino;
	if (info->shmem && !info->path && !m->dev_major && !m->dev_minor)
		m->dev_minor = REPLY_SHMEM_DEV_MINOR;
}

/* "start-end perms offset major:minor inode ", as show_vma_header_prefix() prints it. */
static size_t
reply_header(char *buf, const Vmad__V1__Vma *m, const char perms[4])
{
	char *p = buf;

	p = reply_hex(p, m->start, 8);
	*p++ = '-';
	p = reply_hex(p, m->end, 8);
	*p++ = ' ';
	memcpy(p, perms, 4);
	p += 4;
	*p++ = ' ';
	p = reply_hex(p, m->offset, 8);
	*p++ = ' ';
	p = reply_hex(p, m->dev_major, 2);
	*p++ = ':';
	p = reply_hex(p, m->dev_minor, 2);
	*p++ = ' ';
	p = reply_dec(p, m->ino);
	*p++ = ' ';
	return (size_t)(p - buf);
}

/* The maps line: the header, then with a name: spaces up to the column, one more, the name. */
static char *
reply_line(struct arena *a, const char *header, size_t hlen, const char *name, size_t nlen)
{
	size_t pad = name && hlen < REPLY_NAME_COLUMN ? REPLY_NAME_COLUMN - hlen : 0;
	size_t len = hlen + (name ? pad + 1 + nlen : 0);
	char *line = arena_alloc(a, len + 1);

	if (!line)
		return NULL;
	memcpy(line, header, hlen);
	if (name) {
		memset(line + hlen, ' ', pad + 1);
		memcpy(line + hlen + pad + 1, name, nlen);
	}
	line[len] = '\0';
	return line;
}

size_t
reply_line_format(char *buf, size_t size, const Vmad__V1__Vma *m, const char perms[4],
		  const char *name)
{
	char header[REPLY_HEADER_MAX];
	size_t hlen = reply_header(header, m, perms);
	size_t nlen = name ? strlen(name) : 0;
	size_t pad = name && hlen < REPLY_NAME_COLUMN ? REPLY_NAME_COLUMN - hlen : 0;
	size_t len = hlen + (name ? pad + 1 + nlen : 0);

	_Static_assert(REPLY_HEADER_MAX + REPLY_NAME_COLUMN < REPLY_LINE_EXTRA, "extra room");
	if (len >= size)
		return 0;
	memcpy(buf, header, hlen);
	if (name) {
		memset(buf + hlen, ' ', pad + 1);
		memcpy(buf + hlen + pad + 1, name, nlen);
	}
	buf[len] = '\0';
	return len;
}

Vmad__V1__Vma *
reply_vma(struct arena *a, struct mm *mm, const struct vma *v)
{
	Vmad__V1__Vma *m = arena_alloc(a, sizeof(*m));
	char header[REPLY_HEADER_MAX], namebuf[REPLY_NAME_MAX];
	struct mm_vma_info info;
	const char *name;
	size_t hlen, nlen;

	if (!m)
		return NULL;
	vmad__v1__vma__init(m);
	mm_vma_info(v, &info);
	reply_fields(m, &info);
	m->perms = arena_alloc(a, 5);
	if (!m->perms)
		return NULL;
	m->perms[0] = info.flags & VM_READ ? 'r' : '-';
	m->perms[1] = info.flags & VM_WRITE ? 'w' : '-';
	m->perms[2] = info.flags & VM_EXEC ? 'x' : '-';
	m->perms[3] = info.flags & VM_MAYSHARE ? 's' : 'p';
	m->perms[4] = '\0';
	hlen = reply_header(header, m, m->perms);
	name = mm_vma_name(mm, v, namebuf, sizeof(namebuf));
	nlen = name ? strlen(name) : 0;
	m->line = reply_line(a, header, hlen, name, nlen);
	m->path = arena_alloc(a, nlen + 1);
	if (!m->line || !m->path)
		return NULL;
	memcpy(m->path, name ? name : "", nlen + 1);
	return m;
}

static Vmad__V1__Vma *
reply_gate(struct arena *a, struct mm *mm)
{
	Vmad__V1__Vma *m = arena_alloc(a, sizeof(*m));
	char buf[MM_MAPS_LINE_MAX];
	size_t n = m ? mm_format_maps_line(mm, NULL, buf, sizeof(buf)) : 0;
	const char *name;

	if (n == 0 || n >= sizeof(buf))
		return NULL;
	vmad__v1__vma__init(m);
	if (buf[n - 1] == '\n')
		n--;
	m->line = arena_alloc(a, n + 1);
	if (!m->line)
		return NULL;
	memcpy(m->line, buf, n);
	m->line[n] = '\0';
	name = reply_parse_line(a, m);
	if (!name)
		return NULL;
	m->path = (char *)name;
	return m;
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
reply_push_gate(struct arena *a, struct mm *mm, uint64_t from, Vmad__V1__MapsResult *out,
		size_t *cap)
{
	Vmad__V1__Vma *m = reply_gate(a, mm);

	if (m && m->end <= from)
		return 0;
	return reply_push(a, out, m, cap);
}

int
reply_maps(struct arena *a, struct mm *mm, uint64_t from, uint32_t limit, Vmad__V1__MapsResult *out)
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
		Vmad__V1__Vma *m = reply_vma(a, mm, v);

		r = reply_push(a, out, m, &cap);
		if (r < 0)
			return r;
		bytes += strlen(m->line) + strlen(m->path) + 64;
	}
	mm_get_status(mm, &st);
	if (v || (st.gate_vma && out->n_vmas == limit)) {
		out->has_next = true;
		out->next = out->vmas[out->n_vmas - 1]->end;
		return 0;
	}
	return st.gate_vma ? reply_push_gate(a, mm, from, out, &cap) : 0;
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
