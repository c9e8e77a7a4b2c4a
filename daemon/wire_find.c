/* SPDX-License-Identifier: MIT */
/*
 * The find request, the one clients send most, without walking the descriptors.  Decoding:
 * an id, then the find with its fields in ascending order, each at most once, is read
 * straight into the two messages.  The fields are those wire_in.c would set, with the same
 * conversions and the same allocations from the arena; every other frame is left to
 * wire_in.c.  Packing: the fields present, in number order, as protobuf-c writes them.
 */
#include "wire_find.h"

#include <stdatomic.h>
#include <string.h>

#include "wire.h"
#include "wire_in.h"
#include "wire_req.h"

/* Find's fields, in ascending number order. */
enum wire_find_req_field {
	FIND_NAME,
	FIND_MODE,
	FIND_ADDR,
	FIND_END,
	FIND_WITHOUT_LINE,
	FIND_FIELDS
};

static const struct {
	const char *name;
	ProtobufCType type;
} wire_find_fields[FIND_FIELDS] = {
	[FIND_NAME] = { "name", PROTOBUF_C_TYPE_STRING },
	[FIND_MODE] = { "mode", PROTOBUF_C_TYPE_ENUM },
	[FIND_ADDR] = { "addr", PROTOBUF_C_TYPE_UINT64 },
	[FIND_END] = { "end", PROTOBUF_C_TYPE_UINT64 },
	[FIND_WITHOUT_LINE] = { "without_line", PROTOBUF_C_TYPE_BOOL },
};

/* The tags (number << 3 | wire type) read from protoc-c's descriptors, never written by hand. */
struct wire_find_tags {
	uint64_t id, find; /* Request's */
	uint64_t field[FIND_FIELDS];
	uint32_t op_case; /* Request's find */
};

/* What one frame holds, before anything is allocated. */
struct wire_find_in {
	uint64_t id;
	bool has_id;
	bool has[FIND_FIELDS];
	uint64_t value[FIND_FIELDS]; /* the varints; the name is name[0..name_len) */
	bool set[FIND_FIELDS];       /* a varint's bits were not all zero (a bool's value) */
	const uint8_t *name;
	size_t name_len;
};

static struct wire_find_tags wire_find_tags_v;
/* 0: not yet looked at; 1: ready; -1: Request or Find changed shape, wire_in.c decodes all. */
static _Atomic int wire_find_state;

static uint64_t
wire_find_tag(const ProtobufCFieldDescriptor *f)
{
	bool delimited = f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE;

	return (uint64_t)f->id << 3 | (delimited ? WIRE_LEN : WIRE_VARINT);
}

/* Find's fields as wire_find_fields lists them: optional, of that type, ascending. */
static int
wire_find_shape(struct wire_find_tags *t)
{
	const ProtobufCMessageDescriptor *d = &vmad__v1__find__descriptor;

	for (unsigned k = 0; k < FIND_FIELDS; k++) {
		const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(
			d, wire_find_fields[k].name);

		if (!f || f->label != PROTOBUF_C_LABEL_OPTIONAL ||
		    f->type != wire_find_fields[k].type || f->default_value ||
		    (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
		    (k && wire_find_tag(f) <= t->field[k - 1]))
			return -1;
		t->field[k] = wire_find_tag(f);
	}
	return 1;
}

/* Request: an optional uint64 id, then find, a member of its oneof, numbered after the id. */
static int
wire_find_init(struct wire_find_tags *t)
{
	const ProtobufCMessageDescriptor *d = &vmad__v1__request__descriptor;
	const ProtobufCFieldDescriptor *id =
		protobuf_c_message_descriptor_get_field_by_name(d, "id");
	const ProtobufCFieldDescriptor *find =
		protobuf_c_message_descriptor_get_field_by_name(d, "find");

	if (!id || id->label != PROTOBUF_C_LABEL_OPTIONAL || id->type != PROTOBUF_C_TYPE_UINT64 ||
	    (id->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || !find ||
	    find->label != PROTOBUF_C_LABEL_OPTIONAL || find->type != PROTOBUF_C_TYPE_MESSAGE ||
	    find->descriptor != &vmad__v1__find__descriptor ||
	    !(find->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || find->id <= id->id)
		return -1;
	t->id = wire_find_tag(id);
	t->find = wire_find_tag(find);
	t->op_case = find->id;
	return wire_find_shape(t);
}

static const struct wire_find_tags *
wire_find_ready(void)
{
	int state = atomic_load_explicit(&wire_find_state, memory_order_acquire);

	if (state == 0) {
		state = wire_find_init(&wire_find_tags_v);
		atomic_store_explicit(&wire_find_state, state, memory_order_release);
	}
	return state > 0 ? &wire_find_tags_v : NULL;
}

/* Field k's value at *p, read as wire_in.c reads it. */
static bool
wire_find_value(unsigned k, const uint8_t **p, const uint8_t *end, struct wire_find_in *in)
{
	uint64_t len;

	if (k != FIND_NAME)
		return wire_in_varint(p, end, 10, &in->value[k], &in->set[k]);
	if (!wire_in_varint(p, end, 5, &len, NULL) || len > (uint64_t)(end - *p))
		return false;
	in->name = *p;
	in->name_len = (size_t)len;
	*p += len;
	return true;
}

/* The find's fields in [p, end): false for anything but each known field once, ascending. */
static bool
wire_find_body(const struct wire_find_tags *t, const uint8_t *p, const uint8_t *end,
	       struct wire_find_in *in)
{
	unsigned k = 0;
	uint64_t tag;

	while (p < end) {
		if (!wire_in_varint(&p, end, 5, &tag, NULL))
			return false;
		while (k < FIND_FIELDS && t->field[k] != tag)
			k++;
		if (k == FIND_FIELDS || !wire_find_value(k, &p, end, in))
			return false;
		in->has[k++] = true;
	}
	return true;
}

/* The find's fields as wire_in.c converts them; absent ones keep their defaults. */
static void
wire_find_set(Vmad__V1__Find *f, const struct wire_find_in *in)
{
	static const Vmad__V1__Find find_init = VMAD__V1__FIND__INIT;

	*f = find_init;
	if ((f->has_mode = in->has[FIND_MODE]))
		f->mode = (Vmad__V1__FindMode)(int32_t)(uint32_t)in->value[FIND_MODE];
	if ((f->has_addr = in->has[FIND_ADDR]))
		f->addr = in->value[FIND_ADDR];
	if ((f->has_end = in->has[FIND_END]))
		f->end = in->value[FIND_END];
	if ((f->has_without_line = in->has[FIND_WITHOUT_LINE]))
		f->without_line = in->set[FIND_WITHOUT_LINE];
}

/* The messages, allocated in wire_in.c's order: the request, the find, the name. */
static Vmad__V1__Request *
wire_find_build(struct arena *a, const struct wire_find_tags *t, const struct wire_find_in *in)
{
	static const Vmad__V1__Request req_init = VMAD__V1__REQUEST__INIT;
	Vmad__V1__Request *req = arena_alloc(a, sizeof(*req));
	Vmad__V1__Find *f = req ? arena_alloc(a, sizeof(*f)) : NULL;
	char *name = f && in->has[FIND_NAME] ? arena_alloc(a, in->name_len + 1) : NULL;

	if (!f || (in->has[FIND_NAME] && !name)) {
		/* The budget is spent: wire_in.c decides, from the budget it would have had. */
		arena_reset(a);
		return NULL;
	}
	*req = req_init;
	req->has_id = in->has_id;
	req->id = in->id;
	req->op_case = (Vmad__V1__Request__OpCase)t->op_case;
	req->find = f;
	wire_find_set(f, in);
	if (name)
		f->name = wire_in_string(name, in->name, in->name_len);
	return req;
}

/* A find frame's fields, or NULL when it is not one of the plain shape. */
static const struct wire_find_tags *
wire_find_parse(const uint8_t *data, size_t len, struct wire_find_in *in)
{
	const struct wire_find_tags *t = wire_find_ready();
	const uint8_t *p = data, *end = data + len;
	uint64_t tag, n;

	if (!t || !wire_in_varint(&p, end, 5, &tag, NULL))
		return NULL;
	if (tag == t->id) {
		if (!wire_in_varint(&p, end, 10, &in->id, NULL) ||
		    !wire_in_varint(&p, end, 5, &tag, NULL))
			return NULL;
		in->has_id = true;
	}
	/* The find ends the frame: whatever follows it is wire_in.c's to judge. */
	if (tag != t->find || !wire_in_varint(&p, end, 5, &n, NULL) || n != (uint64_t)(end - p) ||
	    !wire_find_body(t, p, end, in))
		return NULL;
	return t;
}

Vmad__V1__Request *
wire_request_find(struct arena *a, const uint8_t *data, size_t len)
{
	struct wire_find_in in = { 0 };
	const struct wire_find_tags *t = wire_find_parse(data, len, &in);

	return t ? wire_find_build(a, t, &in) : NULL;
}

bool
wire_find_read(const uint8_t *data, size_t len, struct wire_find_req *q, char *name, size_t size)
{
	struct wire_find_in in = { 0 };

	if (!wire_find_parse(data, len, &in) || (in.has[FIND_NAME] && in.name_len >= size))
		return false;
	q->has_id = in.has_id;
	q->id = in.id;
	wire_find_set(&q->find, &in);
	if (in.has[FIND_NAME])
		q->find.name = wire_in_string(name, in.name, in.name_len);
	return true;
}

/*
 * f's fields as varints (the name aside), and which are present: protobuf-c packs a string
 * that is set, a scalar whose has_ is, an enum as an int32 (sign-extended) and a bool as 0 or 1.
 */
static void
wire_find_values(const Vmad__V1__Find *f, bool has[FIND_FIELDS], uint64_t v[FIND_FIELDS])
{
	has[FIND_NAME] = f->name != NULL;
	v[FIND_NAME] = has[FIND_NAME] ? strlen(f->name) : 0;
	has[FIND_MODE] = f->has_mode;
	v[FIND_MODE] = (uint64_t)(int64_t)(int32_t)f->mode;
	has[FIND_ADDR] = f->has_addr;
	v[FIND_ADDR] = f->addr;
	has[FIND_END] = f->has_end;
	v[FIND_END] = f->end;
	has[FIND_WITHOUT_LINE] = f->has_without_line;
	v[FIND_WITHOUT_LINE] = f->without_line != 0;
}

bool
wire_find_size(const Vmad__V1__Find *f, size_t *len)
{
	const struct wire_find_tags *t = wire_find_ready();
	bool has[FIND_FIELDS];
	uint64_t v[FIND_FIELDS];
	size_t n = 0;

	if (!t || f->base.n_unknown_fields)
		return false;
	wire_find_values(f, has, v);
	for (unsigned k = 0; k < FIND_FIELDS; k++)
		if (has[k])
			n += wire_varint_size(t->field[k]) + wire_varint_size(v[k]) +
			     (k == FIND_NAME ? v[k] : 0);
	*len = n;
	return true;
}

size_t
wire_find_pack(const Vmad__V1__Find *f, uint8_t *out)
{
	const struct wire_find_tags *t = &wire_find_tags_v;
	bool has[FIND_FIELDS];
	uint64_t v[FIND_FIELDS];
	uint8_t *p = out;

	wire_find_values(f, has, v);
	for (unsigned k = 0; k < FIND_FIELDS; k++) {
		if (!has[k])
			continue;
		p = wire_put_varint(p, t->field[k]);
		p = wire_put_varint(p, v[k]);
		if (k == FIND_NAME) {
			memcpy(p, f->name, (size_t)v[k]);
			p += v[k];
		}
	}
	return (size_t)(p - out);
}
