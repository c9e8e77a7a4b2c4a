/* SPDX-License-Identifier: MIT */
/*
 * Snapshots: every address space with the daemon's metadata, in one file of the state
 * directory, "snapshot-<N>" holding the state before journal segment N.  Written to a
 * temporary file, synced, renamed into place and the directory synced, so a snapshot is
 * either whole or absent.  A trailing CRC32C covers the file.
 */
#ifndef VMAD_SNAPSHOT_H
#define VMAD_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "mm.h"

#define SNAPSHOT_VERSION 1

struct space_table;

/* The snapshot of every space in t, covering the journal before segment segno. */
int snapshot_encode(const struct space_table *t, uint64_t segno, struct mm_sbuf *b);
/* Stores an encoded snapshot as snapshot-<segno>: temporary file, fsync, rename, fsync dir. */
int snapshot_store(int dirfd, uint64_t segno, const struct mm_sbuf *b);
/*
 * Loads snapshot-<segno> into the empty table t.  -EBADMSG with msg naming the file and the
 * offset, -EPROTONOSUPPORT for a newer format, -errno.  On failure t is left empty.
 */
int snapshot_load(int dirfd, uint64_t segno, struct space_table *t, char *msg, size_t msglen);

#endif
