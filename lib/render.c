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

/* seq_setwidth(m, 25 + sizeof(void *) * 6 - 1): the name column on 64-bit. */
#define MAPS_NAME_COLUMN 72

static const char spaces[MAPS_NAME_COLUMN + 1] =
	"                                                                        ";

/* The internal shmem mount that backs shared anonymous memory is device 00:01. */
#define SHMEM_DEV_MAJOR 0
#define SHMEM_DEV_MINOR 1

#define GATE_LINE                                                                                  \
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n"

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

const char *
mm_vma_name(const struct mm *mm, const struct vma *vma, char *buf, size_t size)
{
	struct mm_vma_info info;
	struct mm_status st;
	size_t pos = 0;

	mm_vma_info(vma, &info);
	if (!vma_is_anon(&info)) {
		if (!buf || !size)
			return info.path ? (info.deleted ? NULL : info.path)
					 : "/dev/zero (deleted)";
		put_path(buf, size, &pos, info.path ? info.path : "/dev/zero");
		if (info.deleted || !info.path)
			put(buf, size, &pos, " (deleted)");
		return buf;
	}
	mm_get_status(mm, &st);
	/* vma_is_initial_heap(): strict overlap with (start_brk, brk) since 6.7. */
	if (info.start < st.brk && info.end > st.start_brk)
		return "[heap]";
	if (info.start <= st.start_stack && info.end >= st.start_stack)
		return "[stack]";
	return NULL;
}

/* The [vsyscall] line, or nothing (0) when the mm has no gate area. */
static size_t
format_gate_line(const struct mm *mm, char *buf, size_t size)
{
	struct mm_status st;
	size_t pos = 0;

	mm_get_status(mm, &st);
	if (!st.gate_vma) {
		if (size)
			buf[0] = '\0';
		return 0;
	}
	put(buf, size, &pos, "%s", GATE_LINE);
	return pos;
}

/* With vma NULL, formats the [vsyscall] gate line that follows the VMAs (for paged output). */
size_t
mm_format_maps_line(const struct mm *mm, const struct vma *vma, char *buf, size_t size)
{
	char namebuf[MM_MAPS_LINE_MAX];
	struct mm_vma_info info;
	unsigned long long offset = 0;
	unsigned dev_major = 0, dev_minor = 0;
	unsigned long long ino = 0;
	const char *name;
	size_t pos = 0;

	if (!vma)
		return format_gate_line(mm, buf, size);

	mm_vma_info(vma, &info);
	if (!vma_is_anon(&info)) {
		offset = (unsigned long long)info.pgoff << MM_PAGE_SHIFT;
		dev_major = info.dev_major;
		dev_minor = info.dev_minor;
		ino = info.ino;
		if (info.shmem && !info.path && !dev_major && !dev_minor) {
			dev_major = SHMEM_DEV_MAJOR;
			dev_minor = SHMEM_DEV_MINOR;
		}
	}
	put(buf, size, &pos, "%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu ",
	    (unsigned long long)info.start, (unsigned long long)info.end,
	    info.flags & VM_READ ? 'r' : '-', info.flags & VM_WRITE ? 'w' : '-',
	    info.flags & VM_EXEC ? 'x' : '-', info.flags & VM_MAYSHARE ? 's' : 'p', offset,
	    dev_major, dev_minor, ino);
	name = mm_vma_name(mm, vma, namebuf, sizeof(namebuf));
	if (name) {
		/* seq_pad(): spaces up to the column, then always one more. */
		if (pos < MAPS_NAME_COLUMN)
			put_mem(buf, size, &pos, spaces, MAPS_NAME_COLUMN - pos);
		put_mem(buf, size, &pos, " ", 1);
		put_mem(buf, size, &pos, name, strlen(name));
	}
	put(buf, size, &pos, "\n");
	return pos;
}

int
mm_render_maps(const struct mm *mm, char **out, size_t *len)
{
	struct textbuf tb = { 0 };
	char line[MM_MAPS_LINE_MAX];
	const struct vma *vma;
	size_t n;

	if (!mm || !out)
		return -EINVAL;
	tb_reserve(&tb, 0);
	for (vma = mm_first_vma(mm); vma; vma = mm_next_vma(vma)) {
		n = mm_format_maps_line(mm, vma, line, sizeof(line));
		if (n >= sizeof(line)) {
			free(tb.data);
			return -ENAMETOOLONG;
		}
		tb_append(&tb, line, n);
	}
	n = format_gate_line(mm, line, sizeof(line));
	tb_append(&tb, line, n);
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
