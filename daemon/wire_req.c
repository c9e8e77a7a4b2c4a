/* SPDX-License-Identifier: MIT */
#include "wire_req.h"

#include <stdatomic.h>
#include <stdbool.h>

#include "wire_find.h"
#include "wire_in.h"

/*
 * Request's id field number, once Request was found to be that field and the oneof op alone
 * (0: not yet looked at; UINT32_MAX: another shape, protobuf-c packs it).  Read from the
 * descriptor, never written by hand.
 */
static _Atomic uint32_t wire_req_id_field;

static uint32_t
wire_req_shape(void)
{
	const ProtobufCMessageDescriptor *d = &vmad__v1__request__descriptor;
	const ProtobufCFieldDescriptor *id;
	uint32_t v = atomic_load_explicit(&wire_req_id_field, memory_order_relaxed);

	if (v)
		return v;
	id = protobuf_c_message_descriptor_get_field_by_name(d, "id");
	v = id && id->label == PROTOBUF_C_LABEL_OPTIONAL && id->type == PROTOBUF_C_TYPE_UINT64
		    ? id->id
		    : UINT32_MAX;
	/* protobuf-c packs in field order: the id must come before every operation. */
	for (unsigned i = 0; i < d->n_fields && v != UINT32_MAX; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		if (f != id && (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || f->id <= id->id ||
				f->type != PROTOBUF_C_TYPE_MESSAGE))
			v = UINT32_MAX;
	}
	atomic_store_explicit(&wire_req_id_field, v, memory_order_relaxed);
	return v;
}

size_t
wire_req_size(const Vmad__V1__Request *req, struct wire_req *w)
{
	const ProtobufCFieldDescriptor *f =
		req->op_case ? wire_in_lookup(&vmad__v1__request__descriptor, req->op_case) : NULL;
	size_t n;

	w->id_field = wire_req_shape();
	w->op = NULL;
	if (!f || w->id_field == UINT32_MAX || req->base.n_unknown_fields)
		return protobuf_c_message_get_packed_size(&req->base);
	w->op = *(const ProtobufCMessage *const *)((const char *)req + f->offset);
	w->op_field = f->id;
	if (!w->op)
		return protobuf_c_message_get_packed_size(&req->base);
	w->find = f->descriptor == &vmad__v1__find__descriptor &&
		  wire_find_size((const Vmad__V1__Find *)w->op, &w->op_len);
	if (!w->find)
		w->op_len = protobuf_c_message_get_packed_size(w->op);
	n = wire_varint_size((uint64_t)w->op_field << 3 | WIRE_LEN) + wire_varint_size(w->op_len) +
	    w->op_len;
	if (req->has_id)
		n += wire_varint_size((uint64_t)w->id_field << 3 | WIRE_VARINT) +
		     wire_varint_size(req->id);
	return n;
}

size_t
wire_req_pack(const Vmad__V1__Request *req, const struct wire_req *w, uint8_t *out)
{
	uint8_t *p = out;

	if (!w->op)
		return protobuf_c_message_pack(&req->base, out);
	if (req->has_id) {
		p = wire_put_varint(p, (uint64_t)w->id_field << 3 | WIRE_VARINT);
		p = wire_put_varint(p, req->id);
	}
	p = wire_put_varint(p, (uint64_t)w->op_field << 3 | WIRE_LEN);
	p = wire_put_varint(p, w->op_len);
	if (w->find)
		return (size_t)(p - out) + wire_find_pack((const Vmad__V1__Find *)w->op, p);
	return (size_t)(p - out) + protobuf_c_message_pack(w->op, p);
}
