/* SPDX-License-Identifier: MIT */
/*
 * Layout: "VMADSNAP", u32 version, u32 zero, u64 segment, u64 space count; per space a u32
 * name length and the name, the metadata fields below as u64, a u64 length and the engine's
 * serialised mm (lib/serial.c); then the CRC32C of everything before it.
 */
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "journal.h"
#include "space.h"

#define SNAPSHOT_MAGIC  "VMADSNAP"
#define SNAPSHOT_HEADER 32

/* The daemon's per-space state besides the mm: one list for both directions. */
#define SNAPSHOT_SPACE_FIELDS(X) X(uid) X(gid) X(mode) X(seq)

static int
encode_space(struct mm_sbuf *b, const struct space *sp)
{
	size_t n = strlen(sp->name), at;
	int r = mm_sbuf_u32(b, (uint32_t)n);

	r = r ? r : mm_sbuf_put(b, sp->name, n);
#define PUT(f) r = r ? r : mm_sbuf_u64(b, (uint64_t)sp->f);
	SNAPSHOT_SPACE_FIELDS(PUT)
#undef PUT
	r = r ? r : mm_sbuf_u64(b, 0);
	if (r)
		return r;
	at = b->len;
	r = mm_save(sp->mm, b);
	if (r)
		return r;
	for (int i = 0; i < 8; i++)
		b->data[at - 8 + i] = (uint8_t)((uint64_t)(b->len - at) >> (8 * i));
	return 0;
}

int
snapshot_encode(const struct space_table *t, uint64_t segno, struct mm_sbuf *b)
{
	int r = mm_sbuf_put(b, SNAPSHOT_MAGIC, 8);

	r = r ? r : mm_sbuf_u32(b, SNAPSHOT_VERSION);
	r = r ? r : mm_sbuf_u32(b, 0);
	r = r ? r : mm_sbuf_u64(b, segno);
	r = r ? r : mm_sbuf_u64(b, t->count);
	for (const struct space *sp = space_next(t, NULL); sp && !r; sp = space_next(t, sp))
		r = encode_space(b, sp);
	return r ? r : mm_sbuf_u32(b, crc32c(0, b->data, b->len));
}

int
snapshot_store(int dirfd, uint64_t segno, const struct mm_sbuf *b)
{
	char name[JOURNAL_NAME_MAX], tmp[JOURNAL_NAME_MAX + 8];
	int fd, r;

	journal_name(name, sizeof(name), "snapshot", segno);
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	r = journal_write_all(fd, b->data, b->len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	return fsync(dirfd) < 0 ? -errno : 0;
}

/* ---- loading ------------------------------------------------------------------------- */

struct snap_rd {
	const uint8_t *b;
	size_t off, len;
};

static int
snap_get(struct snap_rd *d, int n, uint64_t *v)
{
	if (d->len - d->off < (size_t)n)
		return -EBADMSG;
	*v = 0;
	for (int i = 0; i < n; i++)
		*v |= (uint64_t)d->b[d->off + (size_t)i] << (8 * i);
	d->off += (size_t)n;
	return 0;
}

static int
load_meta(struct snap_rd *d, struct space *meta, char *name)
{
	uint64_t n, v;
	int r = snap_get(d, 4, &n);

	if (r || n == 0 || n > SPACE_NAME_MAX || d->len - d->off < n)
		return -EBADMSG;
	memcpy(name, d->b + d->off, n);
	name[n] = '\0';
	d->off += n;
	if (space_name_check(name) < 0)
		return -EBADMSG;
#define GET(f)                                                                                     \
	if (snap_get(d, 8, &v) == 0)                                                               \
		meta->f = (__typeof__(meta->f))v;                                                  \
	else                                                                                       \
		return -EBADMSG;
	SNAPSHOT_SPACE_FIELDS(GET)
#undef GET
	return meta->mode & ~0777u ? -EBADMSG : 0;
}

static int
load_space(struct snap_rd *d, struct space_table *t, char *msg, size_t msglen)
{
	char name[SPACE_NAME_MAX + 1];
	struct space meta = { 0 }, *sp;
	struct peer_cred owner = { 0 };
	struct mm *mm = NULL;
	size_t used = 0;
	uint64_t n;
	int r = load_meta(d, &meta, name);

	if (r == 0)
		r = snap_get(d, 8, &n);
	if (r == 0 && n > d->len - d->off)
		r = -EBADMSG;
	if (r < 0)
		return snprintf(msg, msglen, "space record is not valid"), r;
	r = mm_load(d->b + d->off, (size_t)n, &used, &mm, msg, msglen);
	if (r < 0)
		return r == -EPROTONOSUPPORT ? r : -EBADMSG;
	d->off += (size_t)n;
	owner.uid = meta.uid;
	owner.gid = meta.gid;
	r = space_add(t, name, mm, &owner, meta.mode, &sp);
	if (r < 0) {
		mm_destroy(mm);
		return snprintf(msg, msglen, "space '%s': %s", name, strerror(-r)), r;
	}
	sp->seq = meta.seq;
	return 0;
}

static int
load_header(struct snap_rd *d, uint64_t segno, uint64_t *count, char *msg, size_t msglen)
{
	uint64_t version, zero, seg;

	/* Read again once the checksum is off the end: a snapshot of no space is the header alone.
	 */
	if (d->len < SNAPSHOT_HEADER || memcmp(d->b, SNAPSHOT_MAGIC, 8) != 0)
		return snprintf(msg, msglen, "not a vmad snapshot"), -EBADMSG;
	d->off = 8;
	if (snap_get(d, 4, &version) || snap_get(d, 4, &zero) || snap_get(d, 8, &seg) ||
	    snap_get(d, 8, count))
		return snprintf(msg, msglen, "header cut short"), -EBADMSG;
	if (version != SNAPSHOT_VERSION) {
		snprintf(msg, msglen, "snapshot format version %llu; this vmad reads version %d",
			 (unsigned long long)version, SNAPSHOT_VERSION);
		return version > SNAPSHOT_VERSION ? -EPROTONOSUPPORT : -EBADMSG;
	}
	if (seg != segno || zero)
		return snprintf(msg, msglen, "header does not match the file name"), -EBADMSG;
	return 0;
}

static int
load_all(struct snap_rd *d, uint64_t segno, struct space_table *t, char *msg, size_t msglen)
{
	uint64_t count, crc;
	size_t end = d->len - 4;
	int r;

	/* A newer format is named as such, before its checksum (maybe computed otherwise). */
	if (d->len < SNAPSHOT_HEADER + 4)
		return snprintf(msg, msglen, "not a vmad snapshot"), -EBADMSG;
	r = load_header(d, segno, &count, msg, msglen);
	if (r == -EPROTONOSUPPORT)
		return r;
	d->off = end;
	if (snap_get(d, 4, &crc) || crc != crc32c(0, d->b, end)) {
		d->off = 0;
		return snprintf(msg, msglen, "checksum mismatch"), -EBADMSG;
	}
	d->off = 0;
	d->len = end;
	r = load_header(d, segno, &count, msg, msglen);
	for (uint64_t i = 0; r == 0 && i < count; i++)
		r = load_space(d, t, msg, msglen);
	if (r == 0 && d->off != d->len)
		return snprintf(msg, msglen, "trailing bytes"), -EBADMSG;
	return r;
}

int
snapshot_load(int dirfd, uint64_t segno, struct space_table *t, char *msg, size_t msglen)
{
	char name[JOURNAL_NAME_MAX], why[384];
	struct snap_rd d = { 0 };
	uint8_t *buf = NULL;
	int r;

	journal_name(name, sizeof(name), "snapshot", segno);
	r = journal_read_file(dirfd, name, &buf, &d.len);
	if (r < 0)
		return snprintf(msg, msglen, "%s: %s", name, strerror(-r)), r;
	d.b = buf;
	why[0] = '\0';
	r = load_all(&d, segno, t, why, sizeof(why));
	if (r < 0) {
		snprintf(msg, msglen, "%s: at offset %zu: %s", name, d.off, why);
		for (struct space *sp; (sp = space_next(t, NULL));)
			space_remove(t, sp);
	}
	free(buf);
	return r;
}
