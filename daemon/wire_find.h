/* SPDX-License-Identifier: MIT */
/*
 * The find, the exchange clients make most, without walking the descriptors: the daemon
 * decodes the request (wire.c), libvmaclient packs it (wire_req.c) and decodes the reply
 * (io.c).  All are protobuf-c's reading or writing of the same bytes and need no transport.
 */
#ifndef VMAD_WIRE_FIND_H
#define VMAD_WIRE_FIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "vmad.pb-c.h"

/*
 * A find request (an id, then the find, its fields each once in number order), decoded
 * straight; NULL for every other frame, which is left to wire_request_plain().  What it
 * decodes, wire_request_plain() decodes alike.
 */
Vmad__V1__Request *wire_request_find(struct arena *a, const uint8_t *data, size_t len);

/* A find request read in place, as wire_request_find() would decode it. */
struct wire_find_req {
	uint64_t id;
	bool has_id;
	Vmad__V1__Find find; /* its name, if any, in the caller's buffer */
};

/*
 * The same, without allocating: the name is copied into name[0..size), NUL-terminated.
 * false for every frame wire_request_find() leaves to others, and for a longer name.
 */
bool wire_find_read(const uint8_t *data, size_t len, struct wire_find_req *q, char *name,
		    size_t size);

/*
 * The size of f packed as protobuf-c packs it, in *len; false when f is not of the shape
 * wire_find_pack() writes (unknown fields kept, or Find changed shape): protobuf-c packs it.
 */
bool wire_find_size(const Vmad__V1__Find *f, size_t *len);
/* Writes the wire_find_size() bytes of f (unchanged since) to out; returns their number. */
size_t wire_find_pack(const Vmad__V1__Find *f, uint8_t *out);

/*
 * wire_find_reply.c: a find reply (a Response of an id, an error and a find), decoded into
 * the arena as wire_in_message() decodes it; NULL for anything else, or memory short, which
 * may leave some of the arena used.
 */
Vmad__V1__Response *wire_find_reply(struct arena *a, const uint8_t *data, size_t len);

#endif
