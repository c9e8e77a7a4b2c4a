/* SPDX-License-Identifier: MIT */
/*
 * The find request, the one clients send most, in both directions without walking the
 * descriptors: the daemon decodes it (wire.c), libvmaclient packs it (wire_req.c).  Both are
 * byte for byte protobuf-c's and need no transport.
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

/*
 * The size of f packed as protobuf-c packs it, in *len; false when f is not of the shape
 * wire_find_pack() writes (unknown fields kept, or Find changed shape): protobuf-c packs it.
 */
bool wire_find_size(const Vmad__V1__Find *f, size_t *len);
/* Writes the wire_find_size() bytes of f (unchanged since) to out; returns their number. */
size_t wire_find_pack(const Vmad__V1__Find *f, uint8_t *out);

#endif
