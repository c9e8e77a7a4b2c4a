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

#include <endian.h>
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
 * A varint that ends within the 8 bytes at *p (all readable), read at once: its last byte is
 * the first without the top bit, and the 7-bit groups are packed pairwise in three steps.
 * false when it ends later or beyond max bytes: the caller reads it bytewise.  Without a
 * ninth group, a nonzero group is a nonzero value.
 */
static inline bool
wire_in_varint8(const uint8_t **p, unsigned max, uint64_t *v)
{
	uint64_t x, last;
	unsigned n;

	memcpy(&x, *p, sizeof(x));
	x = le64toh(x);
	last = ~x & 0x8080808080808080ULL;
	if (!last)
		return false;
	n = (unsigned)__builtin_ctzll(last) / 8 + 1;
	if (n > max)
		return false;
	last &= -last;
	x &= (last | (last - 1)) & 0x7f7f7f7f7f7f7f7fULL;
	x = (x & 0x007f007f007f007fULL) | (x & 0x7f007f007f007f00ULL) >> 1;
	x = (x & 0x00003fff00003fffULL) | (x & 0x3fff00003fff0000ULL) >> 2;
	x = (x & 0x000000000fffffffULL) | (x & 0x0fffffff00000000ULL) >> 4;
	*p += n;
	*v = x;
	return true;
}

/* The same as wire_in_varint(), a byte at a time: near the end, or beyond 8 bytes. */
static inline bool
wire_in_varint_bytes(const uint8_t **p, const uint8_t *end, unsigned max, uint64_t *v, bool *any)
{
	uint64_t r = 0;
	unsigned groups = 0;

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

/*
 * A varint of at most max bytes at *p (protobuf-c's limits: 10 for values, 5 for tags and
 * lengths), *p moved past it.  *any tells whether a 7-bit group was nonzero, which is
 * protobuf-c's reading of a bool.  Inline: the decoders read one per field.
 */
static inline bool
wire_in_varint(const uint8_t **p, const uint8_t *end, unsigned max, uint64_t *v, bool *any)
{
	/* Tags, lengths and small numbers take one byte. */
	if (*p < end && **p < 0x80) {
		*v = *(*p)++;
		if (any)
			*any = *v != 0;
		return true;
	}
	/* Ids, two-byte tags (a field numbered 16 or more) and small lengths take two. */
	if (end - *p >= 2 && (*p)[1] < 0x80) {
		*v = ((*p)[0] & 0x7fu) | (uint64_t)(*p)[1] << 7;
		*p += 2;
	} else if (!(end - *p >= 8 && wire_in_varint8(p, max, v))) {
		return wire_in_varint_bytes(p, end, max, v, any);
	}
	if (any)
		*any = *v != 0;
	return true;
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
