/* SPDX-License-Identifier: MIT */
/*
 * Requests packed byte for byte as protobuf-c packs them, without walking every field of
 * Request twice (once to measure, once to pack): a request is its id and one operation (the
 * oneof op), so protobuf-c packs the operation's message alone and the id, the operation's
 * tag and its length are written here.  Whatever is not that shape is packed by protobuf-c.
 * libvmaclient frames its requests with it; it needs no transport.
 */
#ifndef VMAD_WIRE_REQ_H
#define VMAD_WIRE_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "vmad.pb-c.h"

/* What wire_req_size() measured, for wire_req_pack(). */
struct wire_req {
	const ProtobufCMessage *op; /* NULL: protobuf-c packs the whole request */
	uint32_t id_field, op_field;
	size_t op_len;
};

/* The packed size of req. */
size_t wire_req_size(const Vmad__V1__Request *req, struct wire_req *w);
/* Writes the wire_req_size() bytes of req (unchanged since) to out; returns their number. */
size_t wire_req_pack(const Vmad__V1__Request *req, const struct wire_req *w, uint8_t *out);

#endif
