/* SPDX-License-Identifier: MIT */
#include "wire_in.h"

#include <stdbool.h>
#include <string.h>

/* One bit per field marks the fields seen. */
#define WIRE_FIELDS_MAX 64

struct wire_in {
	const uint8_t *p, *end;
};

/* wire_in_varint() from where in is, which it moves past the varint. */
static bool
in_varint(struct wire_in *in, unsigned max, uint64_t *v, bool *any)
{
	return wire_in_varint(&in->p, in->end, max, v, any);
}

/*
 * The field with that number.  A descriptor's ranges are few (one per run of consecutive
 * numbers, then a dummy whose orig_index ends the last run), so a walk beats protobuf-c's
 * binary search.
 */
const ProtobufCFieldDescriptor *
wire_in_lookup(const ProtobufCMessageDescriptor *d, uint64_t id)
{
	const ProtobufCIntRange *r = d->field_ranges;

	/* Most messages number their fields 1, 2, 3...: the field is then at its number's place. */
	if (id - 1 < d->n_fields && d->fields[id - 1].id == id)
		return &d->fields[id - 1];
	for (unsigned i = 0; i < d->n_field_ranges; i++) {
		uint64_t first = (unsigned)r[i].start_value;

		if (id >= first && id - first < r[i + 1].orig_index - r[i].orig_index)
			return &d->fields[r[i].orig_index + (id - first)];
	}
	return NULL;
}

static ProtobufCMessage *in_message(ProtobufCAllocator *a, const ProtobufCMessageDescriptor *d,
				    const uint8_t *data, size_t len, unsigned depth);

/* A string or a nested message. */
static bool
in_delimited(ProtobufCAllocator *a, const ProtobufCFieldDescriptor *f, void *member,
	     struct wire_in *in, unsigned depth)
{
	const uint8_t *data;
	uint64_t len;
	char *s;

	if (!in_varint(in, 5, &len, NULL) || len > (uint64_t)(in->end - in->p))
		return false;
	data = in->p;
	in->p += len;
	if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		*(ProtobufCMessage **)member = in_message(a, f->descriptor, data, len, depth + 1);
		return *(ProtobufCMessage **)member != NULL;
	}
	s = a->alloc(a->allocator_data, len + 1);
	if (!s)
		return false;
	*(char **)member = wire_in_string(s, data, len);
	return true;
}

/* The integer types, converted as protobuf-c converts them. */
static bool
in_scalar(const ProtobufCFieldDescriptor *f, void *member, struct wire_in *in)
{
	uint64_t v;
	uint32_t low;
	bool any;

	if (!in_varint(in, 10, &v, &any))
		return false;
	low = (uint32_t)v;
	switch (f->type) {
	case PROTOBUF_C_TYPE_UINT64:
		*(uint64_t *)member = v;
		return true;
	case PROTOBUF_C_TYPE_UINT32:
		*(uint32_t *)member = low;
		return true;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_ENUM:
		*(int32_t *)member = (int32_t)low;
		return true;
	case PROTOBUF_C_TYPE_SINT32:
		*(int32_t *)member = wire_in_sint32(v);
		return true;
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)member = any;
		return true;
	default:
		return false;
	}
}

static bool
in_field(ProtobufCAllocator *a, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, unsigned wt,
	 struct wire_in *in, unsigned depth)
{
	void *member = (char *)m + f->offset;
	void *quantifier = (char *)m + f->quantifier_offset;
	bool delimited = f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE;

	if (wt != (delimited ? WIRE_LEN : WIRE_VARINT))
		return false;
	if (delimited ? !in_delimited(a, f, member, in, depth) : !in_scalar(f, member, in))
		return false;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		*(uint32_t *)quantifier = f->id;
	else if (!delimited)
		*(protobuf_c_boolean *)quantifier = 1;
	return true;
}

/*
 * NULL for whatever is not the plain shape: an unknown or repeated field, one seen twice, a
 * second member of a oneof, a wrong wire type, a malformed varint, memory short.
 */
static ProtobufCMessage *
in_message(ProtobufCAllocator *a, const ProtobufCMessageDescriptor *d, const uint8_t *data,
	   size_t len, unsigned depth)
{
	struct wire_in in = { data, data + len };
	ProtobufCMessage *m;
	uint64_t seen = 0, tag;
	bool ok = true;

	if (depth > WIRE_DEPTH_MAX || d->n_fields > WIRE_FIELDS_MAX)
		return NULL;
	m = a->alloc(a->allocator_data, d->sizeof_message);
	if (!m)
		return NULL;
	d->message_init(m);
	while (ok && in.p < in.end) {
		const ProtobufCFieldDescriptor *f;
		uint64_t bit;

		f = in_varint(&in, 5, &tag, NULL) ? wire_in_lookup(d, tag >> 3) : NULL;
		ok = f && f->label == PROTOBUF_C_LABEL_OPTIONAL;
		if (!ok)
			break;
		bit = 1ULL << (f - d->fields);
		ok = !(seen & bit) && !((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
					*(uint32_t *)((char *)m + f->quantifier_offset));
		seen |= bit;
		ok = ok && in_field(a, m, f, (unsigned)(tag & 7), &in, depth);
	}
	if (ok && in.p == in.end)
		return m;
	/* Only what was decoded whole is set: protobuf-c frees it as its own. */
	protobuf_c_message_free_unpacked(m, a);
	return NULL;
}

ProtobufCMessage *
wire_in_message(ProtobufCAllocator *alloc, const ProtobufCMessageDescriptor *d, const uint8_t *data,
		size_t len)
{
	return in_message(alloc, d, data, len, 0);
}
