/* SPDX-License-Identifier: MIT */
/*
 * The protobuf wire format on the request path, faster than protobuf-c's general code and
 * byte for byte equal to it.  Both directions are driven by protobuf-c's descriptors.
 *
 * Decoding takes the common shape of a request (each field once, known fields only, the
 * types vmad.proto uses) in one pass; anything else is left to protobuf-c, which then gives
 * the answer (unknown fields kept, repeated fields merged, errors).  Encoding writes the
 * message backwards from the end of a scratch buffer, so a nested message's length is known
 * when its prefix is written: one pass where protobuf-c measures every nested message once
 * per level above it and then packs.
 */
#ifndef VMAD_WIRE_H
#define VMAD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "arena.h"
#include "vmad.pb-c.h"

struct evbuffer;

/* Encoding space, reused from message to message. */
struct wire_buf {
	uint8_t *base;
	size_t cap;
};

/*
 * NULL when the bytes are not a valid Request or its decoding exceeds the arena's budget.
 * The arena holds nothing else: it is reset before protobuf-c is given the bytes.
 */
Vmad__V1__Request *wire_request_unpack(struct arena *a, const uint8_t *data, size_t len);
/* The one-pass decoder alone: NULL also for every request it leaves to protobuf-c. */
Vmad__V1__Request *wire_request_plain(struct arena *a, const uint8_t *data, size_t len);

/* Appends msg framed (4-byte big-endian length, then the message): 0, -ENOMEM, -EMSGSIZE. */
int wire_frame_append(struct wire_buf *b, struct evbuffer *out, const ProtobufCMessage *msg);
void wire_buf_fini(struct wire_buf *b);

#endif
