/* SPDX-License-Identifier: MIT */
/*
 * Durability (--state-dir): every request that changes state is journalled before its reply
 * leaves, the journal is compacted into snapshots, and start-up recovers the newest snapshot
 * plus the journal after it.  Replay re-runs the recorded requests with the recorded
 * identities; the engine is deterministic, so the state comes back exactly.
 *
 * --sync always: each record is written and fdatasync()ed before its reply is queued.
 * --sync batch: one write and one fdatasync per event-loop pass, after every request of the
 * pass and before any of their replies leave (group commit).  --sync none: the same write,
 * no fdatasync (a killed vmad loses nothing; a power cut may).
 *
 * A request is refused (-ENOSPC, -EIO) before it is applied when the journal cannot reserve
 * disk space for it.  A write or fdatasync that fails after requests were applied cannot be
 * undone in memory: vmad withholds every reply of the pass and exits with status 75
 * (EX_TEMPFAIL), and recovery decides from what reached the disk.
 */
#ifndef VMAD_DURABLE_H
#define VMAD_DURABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmad.pb-c.h"

#define DURABLE_EXIT_STATUS 75
#define DURABLE_JOURNAL_MAX (64ULL << 20)

struct server;
struct peer_cred;

enum durable_sync { DURABLE_SYNC_ALWAYS, DURABLE_SYNC_BATCH, DURABLE_SYNC_NONE };

struct durable_config {
	const char *dir;
	enum durable_sync sync;
	bool recover_truncate; /* --recover=truncate: keep what precedes damage and start */
	uint64_t journal_max;  /* segment size that starts a snapshot */
};

void durable_config_init(struct durable_config *cfg);
/* "always", "batch", "none": 0 or -EINVAL. */
int durable_parse_sync(const char *word, enum durable_sync *out);

/* Recovers the state directory into srv's (empty) space table and opens the journal. */
int durable_open(struct server *srv, const struct durable_config *cfg);
/* Writes and syncs what is pending, stops a running snapshot; accepts a server without one. */
void durable_close(struct server *srv);

/*
 * Before a request is applied: false to go on; true when it is refused (resp is filled in
 * with the error), because the journal cannot take its record.
 */
bool durable_refuse(struct server *srv, const struct peer_cred *cred, const Vmad__V1__Request *req,
		    size_t len, Vmad__V1__Response *resp);
/* After a request was applied: journals it when it changes state. */
void durable_record(struct server *srv, const struct peer_cred *cred, const Vmad__V1__Request *req,
		    const uint8_t *data, size_t len, const Vmad__V1__Response *resp);
/* Replies must wait: the pass has records not yet committed. */
bool durable_holding(const struct server *srv);
/* Commits now what the pass has journalled and sends the replies that waited for it. */
void durable_flush(struct server *srv);
/* SIGHUP: compact now (a snapshot in a child process). */
void durable_compact(struct server *srv);
/* Snapshot figures for logs and the bench: the longest event-loop pause a snapshot cost. */
uint64_t durable_longest_pause_us(const struct server *srv);

#endif
