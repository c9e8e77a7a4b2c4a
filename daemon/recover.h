/* SPDX-License-Identifier: MIT */
/*
 * Start-up recovery: the newest snapshot, then every journal segment after it replayed in
 * order, then the engine's validator on every space.  A torn tail of the last segment is cut
 * off with a log line; damage elsewhere (a record that does not check, a missing segment or
 * snapshot, a newer format) stops start-up with a message naming the file and offset, unless
 * truncate is set: then what precedes the damage is kept and what follows is removed.
 */
#ifndef VMAD_RECOVER_H
#define VMAD_RECOVER_H

#include <stdbool.h>
#include <stdint.h>

struct server;

struct recover_result {
	uint64_t snapshot;   /* segment number of the snapshot loaded, 0 if none */
	uint64_t next_segno; /* the segment the journal continues in */
	uint64_t records;    /* journal records replayed */
	uint64_t diverged;   /* records whose replayed result differed from the recorded one */
};

int recover_state(struct server *srv, int dirfd, bool truncate, struct recover_result *out);

#endif
