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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "arena.h"
#include "vmad.pb-c.h"
#include "wire_find.h"

struct evbuffer;

/* The Vma fields written without walking the descriptor, in field-number order. */
enum wire_vma_field {
	WIRE_VMA_START,
	WIRE_VMA_END,
	WIRE_VMA_FLAGS,
	WIRE_VMA_PGOFF,
	WIRE_VMA_PERMS,
	WIRE_VMA_OFFSET,
	WIRE_VMA_DEV_MAJOR,
	WIRE_VMA_DEV_MINOR,
	WIRE_VMA_INO,
	WIRE_VMA_PATH,
	WIRE_VMA_LINE,
	WIRE_VMA_RSS_KB,
	WIRE_VMA_FIELDS
};

/* Response's fields besides its result oneof. */
enum wire_resp_field { WIRE_RESP_ID, WIRE_RESP_ERROR, WIRE_RESP_MESSAGE, WIRE_RESP_FIELDS };

/* FindResult's fields, both a Vma. */
enum wire_find_field { WIRE_FIND_VMA, WIRE_FIND_PREV, WIRE_FIND_FIELDS };

/* Encoding space, reused from message to message. */
struct wire_buf {
	uint8_t *base;
	size_t cap;
	bool protobuf_c; /* encode and decode with protobuf-c alone (to measure this codec) */
	bool ids_ready;
	/* Field numbers taken from protoc-c's descriptors (wire_init), never written by hand. */
	uint32_t vma_id[WIRE_VMA_FIELDS];
	uint32_t resp_id[WIRE_RESP_FIELDS];
	uint32_t find_id[WIRE_FIND_FIELDS];
	uint32_t resp_find;                 /* Response's FindResult, the commonest result */
	uint8_t vma_tag[WIRE_VMA_FIELDS];   /* each Vma field's tag, one byte (wire_init) */
	uint8_t find_tag[WIRE_FIND_FIELDS]; /* and FindResult's */
	/*
	 * Frames gathered to be handed to one output at once (wire_frame_batch()), and whose
	 * output that is (conn.c's business).
	 */
	uint8_t *batch;
	size_t batch_len, batch_cap;
	const void *batch_owner;
};

/*
 * Reads the field numbers from the generated descriptors and checks that the messages have
 * the shape the straight writers assume: 0, or -EPROTO (the .proto changed and this file did
 * not).  wire_frame_append() calls it the first time; the daemon calls it at start.
 */
int wire_init(struct wire_buf *b);

/*
 * NULL when the bytes are not a valid Request or its decoding exceeds the arena's budget.
 * The arena holds nothing else: it is reset before protobuf-c is given the bytes.
 */
Vmad__V1__Request *wire_request_unpack(struct arena *a, const uint8_t *data, size_t len);
/* protobuf-c's decoder alone (the switch wire_buf.protobuf_c). */
Vmad__V1__Request *wire_request_unpack_protobuf_c(struct arena *a, const uint8_t *data, size_t len);
/* The one-pass decoder alone: NULL also for every request it leaves to protobuf-c. */
Vmad__V1__Request *wire_request_plain(struct arena *a, const uint8_t *data, size_t len);
/* Appends msg framed (4-byte big-endian length, then the message): 0, -ENOMEM, -EMSGSIZE. */
int wire_frame_append(struct wire_buf *b, struct evbuffer *out, const ProtobufCMessage *msg);
/* Appends msg framed to the batch instead: 0, -ENOMEM, -EMSGSIZE. */
int wire_frame_batch(struct wire_buf *b, const ProtobufCMessage *msg);
/*
 * Appends the reply to a find, a Response with that id and a FindResult of vma and prev (either
 * may be NULL), framed to the batch: what wire_frame_batch() appends for it, made without the
 * Response.  Vmas with unknown fields are not taken (-EOPNOTSUPP); 0, -ENOMEM, -EMSGSIZE.
 */
int wire_find_batch(struct wire_buf *b, uint64_t id, const Vmad__V1__Vma *vma,
		    const Vmad__V1__Vma *prev);
/* Moves the batch to out in one piece: 0, or -ENOMEM (the batch is dropped all the same). */
int wire_batch_flush(struct wire_buf *b, struct evbuffer *out);
/* Drops the first n bytes of the batch, which the caller wrote to the socket itself. */
void wire_batch_sent(struct wire_buf *b, size_t n);
void wire_buf_fini(struct wire_buf *b);

#endif
