/* SPDX-License-Identifier: MIT */
/*
 * The journal: numbered segment files in the state directory ("journal-<16 hex digits>"),
 * each a header then framed records.  A record is its payload's length, a CRC32C of that
 * length, a CRC32C of the payload, then the payload; so a torn tail (a record cut short at
 * the end of the last segment) is told apart from damage (anything else that does not check).
 * Records are gathered in memory and written by journal_write(); disk blocks are reserved
 * ahead (fallocate, keeping the file size), so that a full disk refuses a request before it
 * is applied rather than failing a write after.
 */
#ifndef VMAD_JOURNAL_H
#define VMAD_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm.h"

#define JOURNAL_VERSION       1
#define JOURNAL_HEADER        24 /* "VMADJRNL", u32 version, u32 zero, u64 segment number */
#define JOURNAL_RECORD_HEADER 12
#define JOURNAL_NAME_MAX      32
#define JOURNAL_RECORD_MAX    (256u << 20)

struct journal {
	int dirfd, fd; /* fd is -1 when no segment is open */
	uint64_t segno;
	uint64_t size;     /* bytes written to the segment */
	uint64_t reserved; /* disk blocks allocated up to this offset */
	bool no_reserve;   /* the file system cannot fallocate */
	struct mm_sbuf pending;
};

void journal_init(struct journal *j, int dirfd);
/* "journal-%016llx" / "snapshot-%016llx". */
void journal_name(char *buf, size_t size, const char *kind, uint64_t segno);
/* Starts segment segno (header written and synced, directory synced); the old one is closed. */
int journal_start(struct journal *j, uint64_t segno);
/* Makes sure n more bytes of records fit: memory, and blocks on disk.  -ENOSPC, -EIO, -ENOMEM. */
int journal_reserve(struct journal *j, size_t n);
/* Frames one record into the pending buffer (journal_reserve()d: cannot fail then). */
int journal_add(struct journal *j, const void *payload, size_t len);
bool journal_has_pending(const struct journal *j);
/* Writes the pending records; -errno, and then the segment's end is unknown. */
int journal_write(struct journal *j);
int journal_sync(struct journal *j);
/* Closes the segment (pending records are dropped: write them first). */
void journal_fini(struct journal *j);

/* Called for each record of a segment, in order; a negative return stops the scan. */
typedef int (*journal_record_fn)(void *arg, const uint8_t *payload, size_t len);

struct journal_scan {
	uint64_t segno;
	size_t valid;   /* bytes up to the end of the last good record */
	size_t size;    /* bytes in the file */
	bool torn;      /* the last record was cut short (only the last segment may be) */
	size_t records; /* records handed to the callback */
};
/*
 * Reads segment s->segno and hands each record to fn.  -EBADMSG (damage, msg names the file
 * and offset; s->valid is where the good records end), -EPROTONOSUPPORT (a newer version),
 * -errno, or fn's error.
 */
int journal_scan(int dirfd, struct journal_scan *s, journal_record_fn fn, void *arg, char *msg,
		 size_t msglen);

/* Helpers for the state directory's files: the whole of len bytes, or -errno. */
int journal_write_all(int fd, const void *data, size_t len);
/* Reads a regular file whole into a malloc()ed buffer. */
int journal_read_file(int dirfd, const char *name, uint8_t **out, size_t *len);

#endif
