/* SPDX-License-Identifier: MIT */
/*
 * The one-pass decoder of the protobuf wire format, driven by protobuf-c's descriptors:
 * the daemon decodes requests with it (wire.c) and libvmaclient replies.  It takes the
 * common shape of a message (each field once, known fields only, the scalar types and
 * strings and messages vmad.proto uses) and leaves anything else to protobuf-c, which then
 * gives the answer (unknown fields kept, repeated fields merged, bytes, errors).  It needs
 * no transport (no libevent).
 */
#ifndef VMAD_WIRE_IN_H
#define VMAD_WIRE_IN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#define WIRE_VARINT 0
#define WIRE_LEN    2
/* vmad.proto nests three deep (Response, MapsResult, Vma); deeper is not ours to decode. */
#define WIRE_DEPTH_MAX 4

/*
 * The message d describes in data[0..len), its memory from alloc as protobuf-c's unpack
 * takes it (free it with protobuf_c_message_free_unpacked(m, alloc)).  NULL for whatever is
 * not the plain shape: an unknown or repeated field, one seen twice, a second member of a
 * oneof, a wrong wire type, a malformed varint, memory short (nothing is left allocated).
 */
ProtobufCMessage *wire_in_message(ProtobufCAllocator *alloc, const ProtobufCMessageDescriptor *d,
				  const uint8_t *data, size_t len);

/*
 * A varint of at most max bytes at *p (protobuf-c's limits: 10 for values, 5 for tags and
 * lengths), *p moved past it.  *any tells whether a 7-bit group was nonzero, which is
 * protobuf-c's reading of a bool.  Inline: the decoders read one per field.
 */
static inline bool
wire_in_varint(const uint8_t **p, const uint8_t *end, unsigned max, uint64_t *v, bool *any)
{
	uint64_t r = 0;
	unsigned groups = 0;

	/* Tags, lengths and small numbers take one byte. */
	if (*p < end && **p < 0x80) {
		*v = *(*p)++;
		if (any)
			*any = *v != 0;
		return true;
	}
	for (unsigned i = 0; i < max && *p + i < end; i++) {
		uint8_t byte = (*p)[i];

		r |= (uint64_t)(byte & 0x7f) << (7 * i);
		groups |= byte & 0x7f;
		if (!(byte & 0x80)) {
			*p += i + 1;
			*v = r;
			if (any)
				*any = groups != 0;
			return true;
		}
	}
	return false;
}

/* protobuf-c's sint32 of a varint: the zigzag of its low 32 bits. */
static inline int32_t
wire_in_sint32(uint64_t v)
{
	uint32_t low = (uint32_t)v;

	return (int32_t)((low >> 1) ^ (0u - (low & 1)));
}

/* A string field's len bytes at p into s (len + 1 bytes), NUL-terminated as protobuf-c does. */
static inline char *
wire_in_string(char *s, const uint8_t *p, size_t len)
{
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

/* The field numbered id of d, or NULL. */
const ProtobufCFieldDescriptor *wire_in_lookup(const ProtobufCMessageDescriptor *d, uint64_t id);

#endif
