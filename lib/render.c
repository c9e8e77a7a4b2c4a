/* SPDX-License-Identifier: MIT */
/*
 * /proc/PID/maps and /proc/PID/status text for an mm, byte for byte as fs/proc/task_mmu.c
 * prints them (show_vma_header_prefix, show_map_vma, get_vma_name, task_mem).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm.h"
#include "mm_internal.h"

/* seq_setwidth(m, 25 + sizeof(void *) * 6 - 1): the name column on 64-bit. */
#define MAPS_NAME_COLUMN 72

/* The internal shmem mount that backs shared anonymous memory is device 00:01. */
#define SHMEM_DEV_MINOR 1

/* arch/x86/entry/vsyscall/vsyscall_64.c: gate_vma, VSYSCALL_ADDR, one page, VM_EXEC. */
#define GATE_START 0xffffffffff600000ULL
#define GATE_END   0xffffffffff601000ULL

/* A growing text buffer; on allocation failure it remembers -ENOMEM. */
struct textbuf {
	char *data;
	size_t len, cap;
	int err;
};

static void
tb_reserve(struct textbuf *tb, size_t extra)
{
	size_t want = tb->len + extra + 1;
	size_t cap = tb->cap ? tb->cap : 256;
	char *p;

	if (tb->err || want <= tb->cap)
		return;
	while (cap < want)
		cap *= 2;
	p = realloc(tb->data, cap);
	if (!p) {
		tb->err = -ENOMEM;
		return;
	}
	tb->data = p;
	tb->cap = cap;
	tb->data[tb->len] = '\0';
}

static void
tb_append(struct textbuf *tb, const char *s, size_t n)
{
	tb_reserve(tb, n);
	if (tb->err)
		return;
	memcpy(tb->data + tb->len, s, n);
	tb->len += n;
	tb->data[tb->len] = '\0';
}

static int
tb_finish(struct textbuf *tb, char **out, size_t *len)
{
	tb_reserve(tb, 0);
	if (tb->err) {
		free(tb->data);
		return tb->err;
	}
	*out = tb->data;
	if (len)
		*len = tb->len;
	return 0;
}

/* Appends printf output to buf at *pos, never beyond size; *pos counts what was wanted. */
static void __attribute__((format(printf, 4, 5)))
put(char *buf, size_t size, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*pos < size ? buf + *pos : NULL, *pos < size ? size - *pos : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += (size_t)n;
}

/* Appends n bytes of s like put(): truncated at size, NUL-terminated, *pos counts all n. */
static void
put_mem(char *buf, size_t size, size_t *pos, const char *s, size_t n)
{
	size_t k;

	if (*pos < size) {
		k = size - *pos - 1;
		if (n < k)
			k = n;
		memcpy(buf + *pos, s, k);
		buf[*pos + k] = '\0';
	}
	*pos += n;
}

/* seq_path(m, path, "\n") escapes a newline in a path as octal; the rest is copied in runs. */
static void
put_path(char *buf, size_t size, size_t *pos, const char *path)
{
	size_t run;

	for (;;) {
		run = strcspn(path, "\n");
		put_mem(buf, size, pos, path, run);
		path += run;
		if (!*path)
			return;
		put_mem(buf, size, pos, "\\012", 4);
		path++;
	}
}

static bool
vma_is_anon(const struct mm_vma_info *info)
{
	return !info->path && !info->shmem;
}

/* "[anon:NAME]" or "[anon_shmem:NAME]" in buf; NULL without a buffer to put it in. */
static const char *
put_anon_name(char *buf, size_t size, const char *prefix, const char *name)
{
	size_t pos = 0;

	if (!buf || !size)
		return NULL;
	put(buf, size, &pos, "%s%s]", prefix, name);
	return buf;
}

/* mm_vma_name() of the VMA that info describes. */
static const char *
vma_name(const struct mm *mm, const struct mm_vma_info *info, char *buf, size_t size)
{
	size_t pos = 0;

	/* get_vma_name(): named shared anonymous memory shows its name instead of the file's. */
	if (!vma_is_anon(info) && info->anon_name)
		return put_anon_name(buf, size, "[anon_shmem:", info->anon_name);
	if (!vma_is_anon(info)) {
		if (!buf || !size)
			return info->path ? (info->deleted ? NULL : info->path)
					  : "/dev/zero (deleted)";
		put_path(buf, size, &pos, info->path ? info->path : "/dev/zero");
		if (info->deleted || !info->path)
			put(buf, size, &pos, " (deleted)");
		return buf;
	}
	/* vma_is_initial_heap(): strict overlap with (start_brk, brk) since 6.7. */
	if (info->start < mm->brk && info->end > mm->start_brk)
		return "[heap]";
	if (info->start <= mm->start_stack && info->end >= mm->start_stack)
		return "[stack]";
	return info->anon_name ? put_anon_name(buf, size, "[anon:", info->anon_name) : NULL;
}

const char *
mm_vma_name(const struct mm *mm, const struct vma *vma, char *buf, size_t size)
{
	struct mm_vma_info info;

	mm_vma_info(vma, &info);
	return vma_name(mm, &info, buf, size);
}

/* printf's "%0*llx" (width at most 16), two digits at a time, without the format interpreter. */
static char *
put_hex(char *p, uint64_t v, int width)
{
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

/* printf's "%llu". */
static char *
put_dec(char *p, uint64_t v)
{
	int n = 1;
	char *q;

	for (uint64_t rest = v / 10; rest; rest /= 10)
		n++;
	for (q = p + n; q > p; v /= 10)
		*--q = (char)('0' + v % 10);
	return p + n;
}

/* "start-end perms offset major:minor inode ", as show_vma_header_prefix() prints it. */
static size_t
put_header(char *buf, const struct mm_maps_entry *e)
{
	char *p = buf;

	p = put_hex(p, e->start, 8);
	*p++ = '-';
	p = put_hex(p, e->end, 8);
	*p++ = ' ';
	memcpy(p, e->perms, 4);
	p += 4;
	*p++ = ' ';
	p = put_hex(p, e->offset, 8);
	*p++ = ' ';
	p = put_hex(p, e->dev_major, 2);
	*p++ = ':';
	p = put_hex(p, e->dev_minor, 2);
	*p++ = ' ';
	p = put_dec(p, e->ino);
	*p++ = ' ';
	return (size_t)(p - buf);
}

/*
 * The fields show_map_vma() prints: offset, device and inode are those of the file, and 0
 * for private anonymous memory; shared anonymous memory without a file of its own shows the
 * shmem device.
 */
static void
entry_fields(const struct mm_vma_info *info, struct mm_maps_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->start = info->start;
	e->end = info->end;
	e->perms[0] = info->flags & VM_READ ? 'r' : '-';
	e->perms[1] = info->flags & VM_WRITE ? 'w' : '-';
	e->perms[2] = info->flags & VM_EXEC ? 'x' : '-';
	e->perms[3] = info->flags & VM_MAYSHARE ? 's' : 'p';
	if (vma_is_anon(info))
		return;
	e->offset = info->pgoff << MM_PAGE_SHIFT;
	e->dev_major = info->dev_major;
	e->dev_minor = info->dev_minor;
	e->ino = info->ino;
	if (info->shmem && !info->path && !e->dev_major && !e->dev_minor)
		e->dev_minor = SHMEM_DEV_MINOR;
}

/* The header, then with a name: seq_pad()'s spaces up to the column, always one more, the name. */
int
mm_maps_line(struct mm_maps_entry *e, const char *name, size_t nlen, char *buf, size_t size)
{
	size_t hlen = put_header(buf, e);
	size_t pad = name && hlen < MAPS_NAME_COLUMN ? MAPS_NAME_COLUMN - hlen : 0;

	e->name_off = hlen + (name ? pad + 1 : 0);
	e->len = e->name_off + nlen;
	if (e->len >= size)
		return -ENAMETOOLONG;
	if (name) {
		memset(buf + hlen, ' ', pad + 1);
		memmove(buf + e->name_off, name, nlen);
	}
	buf[e->len] = '\0';
	return 0;
}

static int
entry_gate(const struct mm *mm, struct mm_maps_entry *e, char *buf, size_t size)
{
	static const char name[] = "[vsyscall]";
	struct mm_status st;

	mm_get_status(mm, &st);
	if (!st.gate_vma)
		return -ENOENT;
	memset(e, 0, sizeof(*e));
	e->start = GATE_START;
	e->end = GATE_END;
	memcpy(e->perms, "--xp", 5);
	return mm_maps_line(e, name, sizeof(name) - 1, buf, size);
}

int
mm_maps_entry_name(const struct mm *mm, const struct vma *vma, struct mm_maps_entry *e,
		   struct mm_vma_info *info, char namebuf[MM_MAPS_NAME_MAX], const char **name)
{
	size_t nlen;

	mm_vma_info(vma, info);
	entry_fields(info, e);
	*name = vma_name(mm, info, namebuf, MM_MAPS_NAME_MAX);
	nlen = *name ? strlen(*name) : 0;
	/* mm_vma_name() cuts what does not fit: a full buffer may be a cut name. */
	if (nlen >= MM_MAPS_NAME_MAX - 1)
		return -ENAMETOOLONG;
	return (int)nlen;
}

int
mm_maps_entry_info(const struct mm *mm, const struct vma *vma, struct mm_maps_entry *e,
		   struct mm_vma_info *info, char *buf, size_t size)
{
	char namebuf[MM_MAPS_NAME_MAX];
	const char *name;
	int r;

	if (size < MM_MAPS_HEADER_MAX)
		return -ENAMETOOLONG;
	if (!vma)
		return entry_gate(mm, e, buf, size);
	r = mm_maps_entry_name(mm, vma, e, info, namebuf, &name);
	return r < 0 ? r : mm_maps_line(e, name, (size_t)r, buf, size);
}

int
mm_maps_entry(const struct mm *mm, const struct vma *vma, struct mm_maps_entry *e, char *buf,
	      size_t size)
{
	struct mm_vma_info info;

	return mm_maps_entry_info(mm, vma, e, &info, buf, size);
}

/* With vma NULL, formats the [vsyscall] gate line that follows the VMAs (for paged output). */
size_t
mm_format_maps_line(const struct mm *mm, const struct vma *vma, char *buf, size_t size)
{
	char line[MM_MAPS_LINE_MAX];
	struct mm_maps_entry e;
	size_t pos = 0;
	int r = mm_maps_entry(mm, vma, &e, line, sizeof(line));

	if (r == -ENOENT) {
		if (size)
			buf[0] = '\0';
		return 0;
	}
	put_mem(buf, size, &pos, line, r < 0 ? strlen(line) : e.len);
	put_mem(buf, size, &pos, "\n", 1);
	return pos;
}

int
mm_render_maps(const struct mm *mm, char **out, size_t *len)
{
	struct textbuf tb = { 0 };
	char line[MM_MAPS_LINE_MAX];
	struct mm_maps_entry e;
	const struct vma *vma = mm ? mm_first_vma(mm) : NULL;
	int r;

	if (!mm || !out)
		return -EINVAL;
	tb_reserve(&tb, 0);
	for (;; vma = mm_next_vma(vma)) {
		r = mm_maps_entry(mm, vma, &e, line, sizeof(line));
		if (r == -ENOENT && !vma)
			break;
		if (r < 0) {
			free(tb.data);
			return r;
		}
		line[e.len] = '\n';
		tb_append(&tb, line, e.len + 1);
		if (!vma)
			break;
	}
	return tb_finish(&tb, out, len);
}

static uint64_t
max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static void
status_line(struct textbuf *tb, const char *name, uint64_t kb)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%s:\t%8llu kB\n", name, (unsigned long long)kb);

	tb_append(tb, line, (size_t)n);
}

/*
 * task_mem()'s memory lines, without VmPin, VmPTE and VmSwap (always 0 or unknowable here),
 * followed by one line the kernel does not print there: "MapCount:\t%8llu", the number of
 * VMAs (mm->map_count; the [vsyscall] gate is not one).
 */
int
mm_render_status(const struct mm *mm, char **out, size_t *len)
{
	const uint64_t kb = MM_PAGE_SIZE / 1024;
	struct textbuf tb = { 0 };
	struct mm_status st;
	uint64_t rss, text, exec_bytes;
	char line[64];
	int n;

	if (!mm || !out)
		return -EINVAL;
	mm_get_status(mm, &st);
	rss = st.rss_anon + st.rss_file + st.rss_shmem;
	exec_bytes = st.exec_vm * MM_PAGE_SIZE;
	text = ((st.end_code + MM_PAGE_SIZE - 1) & ~(MM_PAGE_SIZE - 1)) -
	       (st.start_code & ~(MM_PAGE_SIZE - 1));
	if (st.end_code < st.start_code)
		text = 0;
	text = min_u64(text, exec_bytes);

	status_line(&tb, "VmPeak", max_u64(st.hiwater_vm, st.total_vm) * kb);
	status_line(&tb, "VmSize", st.total_vm * kb);
	status_line(&tb, "VmLck", st.locked_vm * kb);
	status_line(&tb, "VmHWM", max_u64(st.hiwater_rss, rss) * kb);
	status_line(&tb, "VmRSS", rss * kb);
	status_line(&tb, "RssAnon", st.rss_anon * kb);
	status_line(&tb, "RssFile", st.rss_file * kb);
	status_line(&tb, "RssShmem", st.rss_shmem * kb);
	status_line(&tb, "VmData", st.data_vm * kb);
	status_line(&tb, "VmStk", st.stack_vm * kb);
	status_line(&tb, "VmExe", text >> 10);
	status_line(&tb, "VmLib", (exec_bytes - text) >> 10);
	n = snprintf(line, sizeof(line), "MapCount:\t%8llu\n", (unsigned long long)st.map_count);
	tb_append(&tb, line, (size_t)n);
	return tb_finish(&tb, out, len);
}
