/* SPDX-License-Identifier: MIT */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"

#define JOURNAL_MAGIC         "VMADJRNL"
#define JOURNAL_RESERVE_CHUNK (4u << 20)

void
journal_init(struct journal *j, int dirfd)
{
	memset(j, 0, sizeof(*j));
	j->dirfd = dirfd;
	j->fd = -1;
}

void
journal_name(char *buf, size_t size, const char *kind, uint64_t segno)
{
	snprintf(buf, size, "%s-%016llx", kind, (unsigned long long)segno);
}

static void
put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int
journal_write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
journal_header_write(int fd, uint64_t segno)
{
	uint8_t h[JOURNAL_HEADER] = { 0 };

	memcpy(h, JOURNAL_MAGIC, 8);
	put_le(h + 8, JOURNAL_VERSION, 4);
	put_le(h + 16, segno, 8);
	return journal_write_all(fd, h, sizeof(h));
}

int
journal_start(struct journal *j, uint64_t segno)
{
	char name[JOURNAL_NAME_MAX];
	int fd, r;

	journal_name(name, sizeof(name), "journal", segno);
	fd = openat(j->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	r = journal_header_write(fd, segno);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && fsync(j->dirfd) < 0)
		r = -errno;
	if (r < 0) {
		close(fd);
		unlinkat(j->dirfd, name, 0);
		return r;
	}
	if (j->fd >= 0)
		close(j->fd);
	j->fd = fd;
	j->segno = segno;
	j->size = j->reserved = JOURNAL_HEADER;
	return 0;
}

/* Blocks for the records to come, a chunk at a time. */
static int
journal_reserve_disk(struct journal *j, uint64_t end)
{
	uint64_t to = end + JOURNAL_RESERVE_CHUNK;

	if (j->no_reserve || end <= j->reserved)
		return 0;
	if (fallocate(j->fd, FALLOC_FL_KEEP_SIZE, (off_t)j->reserved, (off_t)(to - j->reserved)) <
	    0) {
		if (errno == EOPNOTSUPP) {
			j->no_reserve = true;
			return 0;
		}
		return errno == ENOSPC || errno == EDQUOT ? -ENOSPC : -EIO;
	}
	j->reserved = to;
	return 0;
}

int
journal_reserve(struct journal *j, size_t n)
{
	size_t need = j->pending.len + JOURNAL_RECORD_HEADER + n;
	int r;

	if (n > JOURNAL_RECORD_MAX)
		return -EMSGSIZE;
	if (j->fd < 0)
		return -EIO;
	r = journal_reserve_disk(j, j->size + need);
	if (r < 0)
		return r;
	if (j->pending.cap < need) {
		size_t cap = need * 2 < 65536 ? 65536 : need * 2;
		uint8_t *d = realloc(j->pending.data, cap);

		if (!d)
			return -ENOMEM;
		j->pending.data = d;
		j->pending.cap = cap;
	}
	return 0;
}

int
journal_add(struct journal *j, const void *payload, size_t len)
{
	uint8_t h[JOURNAL_RECORD_HEADER];
	int r;

	put_le(h, len, 4);
	put_le(h + 4, crc32c(0, h, 4), 4);
	put_le(h + 8, crc32c(0, payload, len), 4);
	r = mm_sbuf_put(&j->pending, h, sizeof(h));
	return r ? r : mm_sbuf_put(&j->pending, payload, len);
}

bool
journal_has_pending(const struct journal *j)
{
	return j->pending.len > 0;
}

int
journal_write(struct journal *j)
{
	int r;

	if (!j->pending.len)
		return 0;
	r = journal_write_all(j->fd, j->pending.data, j->pending.len);
	if (r < 0)
		return r;
	j->size += j->pending.len;
	j->pending.len = 0;
	return 0;
}

int
journal_sync(struct journal *j)
{
	return fdatasync(j->fd) < 0 ? -errno : 0;
}

void
journal_fini(struct journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	mm_sbuf_free(&j->pending);
}

/* ---- reading ------------------------------------------------------------------------- */

int
journal_read_file(int dirfd, const char *name, uint8_t **out, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (!buf || r < 0) {
		free(buf);
		return buf ? r : -ENOMEM;
	}
	*out = buf;
	*len = got;
	return 0;
}

static int
scan_header(const uint8_t *b, size_t len, struct journal_scan *s, const char *name, char *msg,
	    size_t msglen)
{
	uint64_t version;

	if (len < JOURNAL_HEADER) {
		/* Created, then cut short by a crash before its header was synced. */
		s->torn = true;
		return 0;
	}
	version = get_le(b + 8, 4);
	if (memcmp(b, JOURNAL_MAGIC, 8) != 0 || get_le(b + 16, 8) != s->segno) {
		snprintf(msg, msglen, "%s: not a journal segment of this directory (offset 0)",
			 name);
		return -EBADMSG;
	}
	if (version != JOURNAL_VERSION) {
		snprintf(msg, msglen, "%s: journal format version %llu; this vmad reads version %d",
			 name, (unsigned long long)version, JOURNAL_VERSION);
		return version > JOURNAL_VERSION ? -EPROTONOSUPPORT : -EBADMSG;
	}
	s->valid = JOURNAL_HEADER;
	return 0;
}

/* 1: a good record at off; 0: a torn tail; -EBADMSG: damage. */
static int
scan_record(const uint8_t *b, size_t len, size_t off, size_t *rlen)
{
	size_t left = len - off;
	uint64_t n;

	if (left < JOURNAL_RECORD_HEADER)
		return 0;
	n = get_le(b + off, 4);
	if (get_le(b + off + 4, 4) != crc32c(0, b + off, 4))
		return -EBADMSG;
	if (n > left - JOURNAL_RECORD_HEADER)
		return 0;
	if (get_le(b + off + 8, 4) != crc32c(0, b + off + JOURNAL_RECORD_HEADER, n))
		return n == left - JOURNAL_RECORD_HEADER ? 0 : -EBADMSG;
	*rlen = n;
	return 1;
}

static int
scan_records(const uint8_t *b, size_t len, struct journal_scan *s, journal_record_fn fn, void *arg,
	     const char *name, char *msg, size_t msglen)
{
	size_t off = s->valid, n = 0;
	int r;

	while (off < len) {
		r = scan_record(b, len, off, &n);
		if (r == 0) {
			s->torn = true;
			return 0;
		}
		if (r < 0) {
			snprintf(msg, msglen, "%s: damaged record at offset %zu", name, off);
			return r;
		}
		r = fn(arg, b + off + JOURNAL_RECORD_HEADER, n);
		if (r < 0) {
			snprintf(msg, msglen, "%s: record at offset %zu cannot be replayed", name,
				 off);
			return r;
		}
		off += JOURNAL_RECORD_HEADER + n;
		s->valid = off;
		s->records++;
	}
	return 0;
}

int
journal_scan(int dirfd, struct journal_scan *s, journal_record_fn fn, void *arg, char *msg,
	     size_t msglen)
{
	char name[JOURNAL_NAME_MAX];
	uint8_t *b = NULL;
	size_t len = 0;
	int r;

	journal_name(name, sizeof(name), "journal", s->segno);
	s->valid = s->size = s->records = 0;
	s->torn = false;
	r = journal_read_file(dirfd, name, &b, &len);
	if (r < 0) {
		snprintf(msg, msglen, "%s: %s", name, strerror(-r));
		return r;
	}
	s->size = len;
	r = scan_header(b, len, s, name, msg, msglen);
	if (r == 0 && !s->torn)
		r = scan_records(b, len, s, fn, arg, name, msg, msglen);
	free(b);
	return r;
}
