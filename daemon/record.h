/* SPDX-License-Identifier: MIT */
/*
 * The payload of a journal record: one request that changed state, as its client sent it,
 * with what replay needs to redo it exactly: the client's identity, the result it got, and the
 * watch sequence number of the space it touched (events advance it only while watched).
 */
#ifndef VMAD_RECORD_H
#define VMAD_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm.h"
#include "space.h"
#include "vmad.pb-c.h"

#define RECORD_KIND_REQUEST 1

struct record {
	struct peer_cred cred; /* groups malloc()ed by record_decode() */
	int32_t result;
	bool has_seq;
	uint64_t seq;
	const uint8_t *req; /* the request's protobuf bytes, inside the payload */
	size_t req_len;
};

/*
 * Whether the request changes state, and the space whose watch sequence it may advance
 * (NULL if none).  Reads and session requests return false.
 */
bool record_mutates(const Vmad__V1__Request *req, const char **space);
/*
 * 0 when every op of Request's `op` oneof is classified (and its space field exists), else
 * a negative errno with *bad naming the op that is not.
 */
int record_check(const char **bad);
/* Bytes record_encode() appends for these sizes, at most. */
size_t record_size(size_t ngroups, size_t req_len);
int record_encode(struct mm_sbuf *b, const struct record *rec);
/* -EBADMSG when the payload is not a record; free rec->cred.groups after. */
int record_decode(const uint8_t *p, size_t len, struct record *rec);

#endif
