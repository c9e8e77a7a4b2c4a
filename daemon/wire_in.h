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

#include <stddef.h>
#include <stdint.h>

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

/* The field numbered id of d, or NULL. */
const ProtobufCFieldDescriptor *wire_in_lookup(const ProtobufCMessageDescriptor *d, uint64_t id);

#endif
