/* SPDX-License-Identifier: MIT */
/*
 * Requests packed byte for byte as protobuf-c packs them, without walking every field of
 * Request twice (once to measure, once to pack): a request is its id and one operation (the
 * oneof op), so protobuf-c packs the operation's message alone and the id, the operation's
 * tag and its length are written here (and a find, the one sent most, by wire_find_pack()).
 * Whatever is not that shape is packed by protobuf-c.
 * libvmaclient frames its requests with it; it needs no transport.
 */
#ifndef VMAD_WIRE_REQ_H
#define VMAD_WIRE_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmad.pb-c.h"

/* The bytes of v as a varint, and v written as one (the packers' own writer). */
static inline size_t
wire_varint_size(uint64_t v)
{
	size_t n = 1;

	for (; v >= 0x80; v >>= 7)
		n++;
	return n;
}

static inline uint8_t *
wire_put_varint(uint8_t *p, uint64_t v)
{
	for (; v >= 0x80; v >>= 7)
		*p++ = (uint8_t)(v | 0x80);
	*p++ = (uint8_t)v;
	return p;
}

/* What wire_req_size() measured, for wire_req_pack(). */
struct wire_req {
	const ProtobufCMessage *op; /* NULL: protobuf-c packs the whole request */
	bool find;                  /* op is a Find that wire_find_pack() packs */
	uint32_t id_field, op_field;
	size_t op_len;
};

/* The packed size of req. */
size_t wire_req_size(const Vmad__V1__Request *req, struct wire_req *w);
/* Writes the wire_req_size() bytes of req (unchanged since) to out; returns their number. */
size_t wire_req_pack(const Vmad__V1__Request *req, const struct wire_req *w, uint8_t *out);

#endif
