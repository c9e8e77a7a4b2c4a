/* SPDX-License-Identifier: MIT */
#include "wire.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "wire_in.h"

/* Most replies fit the first buffer; one that needed more than the second is not kept. */
#define WIRE_BUF_MIN  (64 * 1024)
#define WIRE_BUF_KEEP (4 * 1024 * 1024)
#define WIRE_HEADER   4
/* The longest varint. */
#define OUT_VARINT_MAX 10

/* ---- decoding (wire_in.c) ------------------------------------------------------------ */

Vmad__V1__Request *
wire_request_plain(struct arena *a, const uint8_t *data, size_t len)
{
	return (Vmad__V1__Request *)wire_in_message(arena_allocator(a),
						    &vmad__v1__request__descriptor, data, len);
}

Vmad__V1__Request *
wire_request_unpack_protobuf_c(struct arena *a, const uint8_t *data, size_t len)
{
	return vmad__v1__request__unpack(arena_allocator(a), len, data);
}

Vmad__V1__Request *
wire_request_unpack(struct arena *a, const uint8_t *data, size_t len)
{
	Vmad__V1__Request *req = wire_request_find(a, data, len);

	if (!req)
		req = wire_request_plain(a, data, len);
	if (req)
		return req;
	/* protobuf-c decides, with the whole budget. */
	arena_reset(a);
	return wire_request_unpack_protobuf_c(a, data, len);
}

/* ---- encoding ------------------------------------------------------------------------ */

struct wire_out {
	struct wire_buf *b;
	uint8_t *p; /* the first byte written; writing goes downwards */
};

static size_t
out_written(const struct wire_out *o)
{
	return (size_t)(o->b->base + o->b->cap - o->p);
}

/* A larger buffer, which takes what was written at its end. */
static int
out_grow(struct wire_out *o, size_t n)
{
	struct wire_buf *b = o->b;
	size_t used = out_written(o), cap = b->cap;
	uint8_t *base;

	if (n > SIZE_MAX / 4 - used)
		return -EMSGSIZE;
	while (cap < used + n)
		cap *= 2;
	base = malloc(cap);
	if (!base)
		return -ENOMEM;
	memcpy(base + cap - used, o->p, used);
	free(b->base);
	b->base = base;
	b->cap = cap;
	o->p = base + cap - used;
	return 0;
}

/* Room for n more bytes below p. */
static inline int
out_room(struct wire_out *o, size_t n)
{
	return (size_t)(o->p - o->b->base) >= n ? 0 : out_grow(o, n);
}

/* n bytes before what is written (the writers below go backwards). */
static inline uint8_t *
put_bytes(uint8_t *p, const void *src, size_t n)
{
	p -= n;
	memcpy(p, src, n);
	return p;
}

static int
out_bytes(struct wire_out *o, const void *src, size_t n)
{
	int r = out_room(o, n);

	if (r < 0)
		return r;
	o->p = put_bytes(o->p, src, n);
	return 0;
}

/*
 * The writers below go downwards from p and return the new start, room being the caller's
 * business (OUT_VARINT_MAX bytes a varint).  They work on a local pointer: a byte stored
 * through o->p could alias o->p itself, which would make the compiler reload it every byte.
 */
static inline uint8_t *
put_varint(uint8_t *p, uint64_t v)
{
	size_t n;
	uint8_t *q;

	/* Tags, lengths, flags: most take one byte. */
	if (v < 0x80) {
		*--p = (uint8_t)v;
		return p;
	}
	/* The bytes it takes: one per 7 significant bits. */
	n = (size_t)(64 - __builtin_clzll(v) + 6) / 7;
	p -= n;
	q = p;
	for (; v >= 0x80; v >>= 7)
		*q++ = (uint8_t)(v | 0x80);
	*q = (uint8_t)v;
	return p;
}

/* A value and its tag. */
static inline uint8_t *
put_field(uint8_t *p, uint32_t id, unsigned wt, uint64_t v)
{
	return put_varint(put_varint(p, v), (uint64_t)id << 3 | wt);
}

/* An optional string field of n bytes. */
static inline uint8_t *
put_string(uint8_t *p, uint32_t id, const char *s, size_t n)
{
	return s ? put_field(put_bytes(p, s, n), id, WIRE_LEN, n) : p;
}

/* A value and its one-byte tag. */
static inline uint8_t *
put_tagged(uint8_t *p, uint8_t tag, uint64_t v)
{
	p = put_varint(p, v);
	*--p = tag;
	return p;
}

/* An optional string field of n bytes, its tag one byte. */
static inline uint8_t *
put_tagged_string(uint8_t *p, uint8_t tag, const char *s, size_t n)
{
	return s ? put_tagged(put_bytes(p, s, n), tag, n) : p;
}

/* A value and its tag, room for both being the caller's business. */
static inline void
out_put(struct wire_out *o, uint32_t id, unsigned wt, uint64_t v)
{
	o->p = put_field(o->p, id, wt, v);
}

/* A value and its tag. */
static inline int
out_field(struct wire_out *o, uint32_t id, unsigned wt, uint64_t v)
{
	int r = out_room(o, 2 * OUT_VARINT_MAX);

	if (r == 0)
		out_put(o, id, wt, v);
	return r;
}

/* The integer types, converted as protobuf-c converts them. */
static inline int
out_scalar(struct wire_out *o, const ProtobufCFieldDescriptor *f, const void *member)
{
	int32_t s;

	switch (f->type) {
	case PROTOBUF_C_TYPE_UINT64:
		return out_field(o, f->id, WIRE_VARINT, *(const uint64_t *)member);
	case PROTOBUF_C_TYPE_UINT32:
		return out_field(o, f->id, WIRE_VARINT, *(const uint32_t *)member);
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_ENUM:
		return out_field(o, f->id, WIRE_VARINT,
				 (uint64_t)(int64_t) * (const int32_t *)member);
	case PROTOBUF_C_TYPE_SINT32:
		s = *(const int32_t *)member;
		return out_field(o, f->id, WIRE_VARINT, ((uint32_t)s << 1) ^ (uint32_t)(s >> 31));
	case PROTOBUF_C_TYPE_BOOL:
		return out_field(o, f->id, WIRE_VARINT,
				 *(const protobuf_c_boolean *)member ? 1 : 0);
	default:
		return -EOPNOTSUPP;
	}
}

static int out_message(struct wire_out *o, const ProtobufCMessage *m, unsigned depth);

/* A string or nested message, with its length and tag. */
static int
out_delimited(struct wire_out *o, const ProtobufCFieldDescriptor *f, const void *ptr,
	      unsigned depth)
{
	size_t mark = out_written(o);
	int r;

	if (f->type == PROTOBUF_C_TYPE_STRING)
		r = out_bytes(o, ptr, strlen(ptr));
	else
		r = out_message(o, ptr, depth + 1);
	return r < 0 ? r : out_field(o, f->id, WIRE_LEN, out_written(o) - mark);
}

/* An optional string field of n bytes, room for it being the caller's business. */
static inline void
out_put_string(struct wire_out *o, uint32_t id, const char *s, size_t n)
{
	o->p = put_string(o->p, id, s, n);
}

/* The names of the fields behind enum wire_vma_field and enum wire_resp_field. */
static const char *const wire_vma_names[WIRE_VMA_FIELDS] = {
	[WIRE_VMA_START] = "start",
	[WIRE_VMA_END] = "end",
	[WIRE_VMA_FLAGS] = "flags",
	[WIRE_VMA_PGOFF] = "pgoff",
	[WIRE_VMA_PERMS] = "perms",
	[WIRE_VMA_OFFSET] = "offset",
	[WIRE_VMA_DEV_MAJOR] = "dev_major",
	[WIRE_VMA_DEV_MINOR] = "dev_minor",
	[WIRE_VMA_INO] = "ino",
	[WIRE_VMA_PATH] = "path",
	[WIRE_VMA_LINE] = "line",
	[WIRE_VMA_RSS_KB] = "rss_kb",
};
static const char *const wire_resp_names[WIRE_RESP_FIELDS] = {
	[WIRE_RESP_ID] = "id",
	[WIRE_RESP_ERROR] = "error",
	[WIRE_RESP_MESSAGE] = "message",
};
static const char *const wire_find_names[WIRE_FIND_FIELDS] = {
	[WIRE_FIND_VMA] = "vma",
	[WIRE_FIND_PREV] = "prev",
};

/* The wire type the straight writers give each field: a string, or a varint. */
static bool
wire_is_string(const ProtobufCFieldDescriptor *f)
{
	return f->type == PROTOBUF_C_TYPE_STRING;
}

/*
 * Looks up names[0..n) in d: each an optional field, in ascending number order (the writers
 * go from the last to the first), of the expected kind.  All of d's fields when whole.
 */
static int
wire_ids(const ProtobufCMessageDescriptor *d, const char *const *names, unsigned n, uint32_t *ids,
	 uint32_t strings, bool whole)
{
	for (unsigned i = 0; i < n; i++) {
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field_by_name(d, names[i]);

		if (!f || f->label != PROTOBUF_C_LABEL_OPTIONAL ||
		    wire_is_string(f) != !!(strings & (1u << i)) || (i && f->id <= ids[i - 1]))
			return -EPROTO;
		ids[i] = f->id;
	}
	return whole && d->n_fields != n ? -EPROTO : 0;
}

/* Response: id, error (sint32), message, then only the result oneof, numbered after them. */
static int
wire_resp_shape(const uint32_t *ids)
{
	const ProtobufCMessageDescriptor *d = &vmad__v1__response__descriptor;
	const ProtobufCFieldDescriptor *e =
		protobuf_c_message_descriptor_get_field_by_name(d, "error");

	if (!e || e->type != PROTOBUF_C_TYPE_SINT32)
		return -EPROTO;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		bool own = f->id == ids[WIRE_RESP_ID] || f->id == ids[WIRE_RESP_ERROR] ||
			   f->id == ids[WIRE_RESP_MESSAGE];

		if (!own &&
		    (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || f->id <= ids[WIRE_RESP_MESSAGE]))
			return -EPROTO;
	}
	return 0;
}

/* FindResult: two Vma messages, which out_find() writes straight. */
static int
wire_find_shape(void)
{
	const ProtobufCMessageDescriptor *d = &vmad__v1__find_result__descriptor;

	for (unsigned i = 0; i < d->n_fields; i++) {
		if (d->fields[i].type != PROTOBUF_C_TYPE_MESSAGE ||
		    d->fields[i].descriptor != &vmad__v1__vma__descriptor)
			return -EPROTO;
	}
	return 0;
}

/* Response's find, the member of its result that out_response() writes without a look-up. */
static int
wire_resp_find(struct wire_buf *b)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(
		&vmad__v1__response__descriptor, "find");

	if (!f || !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || f->type != PROTOBUF_C_TYPE_MESSAGE ||
	    f->descriptor != &vmad__v1__find_result__descriptor)
		return -EPROTO;
	b->resp_find = f->id;
	return 0;
}

/*
 * The tag of each of n fields, which the straight writers store as one byte: numbers below
 * 16.  strings: a bit per field of the string (length-delimited) ones.
 */
static int
wire_tags(const uint32_t *ids, unsigned n, uint32_t strings, uint8_t *tags)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t tag = ids[i] << 3 | (strings & (1u << i) ? WIRE_LEN : WIRE_VARINT);

		if (ids[i] >= 16)
			return -EPROTO;
		tags[i] = (uint8_t)tag;
	}
	return 0;
}

int
wire_init(struct wire_buf *b)
{
	const uint32_t vma_strings =
		1u << WIRE_VMA_PERMS | 1u << WIRE_VMA_PATH | 1u << WIRE_VMA_LINE;
	int r = wire_ids(&vmad__v1__vma__descriptor, wire_vma_names, WIRE_VMA_FIELDS, b->vma_id,
			 vma_strings, true);

	if (r == 0)
		r = wire_ids(&vmad__v1__response__descriptor, wire_resp_names, WIRE_RESP_FIELDS,
			     b->resp_id, 1u << WIRE_RESP_MESSAGE, false);
	if (r == 0)
		r = wire_resp_shape(b->resp_id);
	if (r == 0)
		r = wire_ids(&vmad__v1__find_result__descriptor, wire_find_names, WIRE_FIND_FIELDS,
			     b->find_id, 0, true);
	if (r == 0)
		r = wire_find_shape();
	if (r == 0)
		r = wire_resp_find(b);
	if (r == 0)
		r = wire_tags(b->vma_id, WIRE_VMA_FIELDS, vma_strings, b->vma_tag);
	if (r == 0)
		r = wire_tags(b->find_id, WIRE_FIND_FIELDS, (1u << WIRE_FIND_FIELDS) - 1,
			      b->find_tag);
	b->ids_ready = r == 0;
	return r;
}

/* A Vma's string lengths, measured once for its room and its writing. */
struct vma_lens {
	size_t perms, path, line;
};

/* The most a Vma can take: every field with a varint of the longest kind, and the strings. */
static size_t
vma_measure(const Vmad__V1__Vma *v, struct vma_lens *l)
{
	l->perms = v->perms ? strlen(v->perms) : 0;
	l->path = v->path ? strlen(v->path) : 0;
	l->line = v->line ? strlen(v->line) : 0;
	return WIRE_VMA_FIELDS * 2 * OUT_VARINT_MAX + l->perms + l->path + l->line;
}

/*
 * The Vma is most of a find or a maps reply: its fields are written straight, last to first,
 * rather than by walking its descriptor, with the numbers wire_init() read from it (which also
 * refuses a Vma with a field this function does not write).  test_daemon_wire sets every
 * field of every message and compares the bytes with protobuf-c's.  The room is the caller's
 * (vma_measure()).
 */
static uint8_t *
put_vma(uint8_t *p, const uint8_t *tag, const Vmad__V1__Vma *v, const struct vma_lens *l)
{
	if (v->has_rss_kb)
		p = put_tagged(p, tag[WIRE_VMA_RSS_KB], v->rss_kb);
	p = put_tagged_string(p, tag[WIRE_VMA_LINE], v->line, l->line);
	p = put_tagged_string(p, tag[WIRE_VMA_PATH], v->path, l->path);
	if (v->has_ino)
		p = put_tagged(p, tag[WIRE_VMA_INO], v->ino);
	if (v->has_dev_minor)
		p = put_tagged(p, tag[WIRE_VMA_DEV_MINOR], v->dev_minor);
	if (v->has_dev_major)
		p = put_tagged(p, tag[WIRE_VMA_DEV_MAJOR], v->dev_major);
	if (v->has_offset)
		p = put_tagged(p, tag[WIRE_VMA_OFFSET], v->offset);
	p = put_tagged_string(p, tag[WIRE_VMA_PERMS], v->perms, l->perms);
	if (v->has_pgoff)
		p = put_tagged(p, tag[WIRE_VMA_PGOFF], v->pgoff);
	if (v->has_flags)
		p = put_tagged(p, tag[WIRE_VMA_FLAGS], v->flags);
	if (v->has_end)
		p = put_tagged(p, tag[WIRE_VMA_END], v->end);
	if (v->has_start)
		p = put_tagged(p, tag[WIRE_VMA_START], v->start);
	return p;
}

static int
out_vma(struct wire_out *o, const Vmad__V1__Vma *v)
{
	struct vma_lens l;
	int r = out_room(o, vma_measure(v, &l));

	if (r == 0)
		o->p = put_vma(o->p, o->b->vma_tag, v, &l);
	return r;
}

/* A Vma field of that one-byte tag: the message, its length and its tag. */
static uint8_t *
put_vma_field(uint8_t *p, const struct wire_buf *b, uint8_t tag, const Vmad__V1__Vma *v,
	      const struct vma_lens *l)
{
	const uint8_t *end = p;

	p = put_vma(p, b->vma_tag, v, l);
	return put_tagged(p, tag, (uint64_t)(end - p));
}

/*
 * A find reply's result, written straight as the Vma is (wire_init() checked its shape), in
 * room reserved once for both Vmas and extra more bytes (the caller's fields around them).
 */
static int
out_find_vmas(struct wire_out *o, const Vmad__V1__Vma *vma, const Vmad__V1__Vma *prev, size_t extra)
{
	struct vma_lens lv, lp;
	size_t room = extra + 2 * (1 + OUT_VARINT_MAX);
	int r;

	if ((vma && vma->base.n_unknown_fields) || (prev && prev->base.n_unknown_fields))
		return -EOPNOTSUPP;
	room += (vma ? vma_measure(vma, &lv) : 0) + (prev ? vma_measure(prev, &lp) : 0);
	if ((r = out_room(o, room)) < 0)
		return r;
	if (prev)
		o->p = put_vma_field(o->p, o->b, o->b->find_tag[WIRE_FIND_PREV], prev, &lp);
	if (vma)
		o->p = put_vma_field(o->p, o->b, o->b->find_tag[WIRE_FIND_VMA], vma, &lv);
	return 0;
}

static int
out_find(struct wire_out *o, const Vmad__V1__FindResult *m)
{
	return out_find_vmas(o, m->vma, m->prev, 0);
}

/*
 * Response's find: the FindResult, its length and its tag, as out_delimited() writes it;
 * extra bytes of room are reserved beyond them.
 */
static int
out_resp_find_vmas(struct wire_out *o, const Vmad__V1__Vma *vma, const Vmad__V1__Vma *prev,
		   size_t extra)
{
	size_t mark = out_written(o);
	int r = out_find_vmas(o, vma, prev, extra + 2 * OUT_VARINT_MAX);

	if (r == 0)
		out_put(o, o->b->resp_find, WIRE_LEN, out_written(o) - mark);
	return r;
}

static int
out_resp_find(struct wire_out *o, const Vmad__V1__FindResult *m)
{
	return m->base.n_unknown_fields ? -EOPNOTSUPP : out_resp_find_vmas(o, m->vma, m->prev, 0);
}

/*
 * Every reply is a Response: of its many fields (the members of the result oneof) at most
 * four are present, so it is written straight too, the result looked up by its case.
 */
static int
out_response(struct wire_out *o, const Vmad__V1__Response *m, unsigned depth)
{
	const ProtobufCMessageDescriptor *d = &vmad__v1__response__descriptor;
	bool find = m->result_case == o->b->resp_find;
	const ProtobufCFieldDescriptor *f =
		m->result_case && !find ? wire_in_lookup(d, m->result_case) : NULL;
	const void *member = f ? (const char *)m + f->offset : NULL;
	size_t message = m->message ? strlen(m->message) : 0;
	int r = 0;

	if (find && m->find) {
		r = out_resp_find(o, m->find);
	} else if (f && (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING)) {
		const void *ptr = *(const void *const *)member;

		if (ptr && ptr != f->default_value)
			r = out_delimited(o, f, ptr, depth);
	} else if (f) {
		r = out_scalar(o, f, member);
	}
	if (r == 0)
		r = out_room(o, 3 * 2 * OUT_VARINT_MAX + message);
	if (r < 0)
		return r;
	out_put_string(o, o->b->resp_id[WIRE_RESP_MESSAGE], m->message, message);
	if (m->has_error)
		out_put(o, o->b->resp_id[WIRE_RESP_ERROR], WIRE_VARINT,
			((uint32_t)m->error << 1) ^ (uint32_t)(m->error >> 31));
	if (m->has_id)
		out_put(o, o->b->resp_id[WIRE_RESP_ID], WIRE_VARINT, m->id);
	return 0;
}

/* Repeated messages (the only repeated fields vmad.proto has), last first. */
static int
out_repeated(struct wire_out *o, const ProtobufCFieldDescriptor *f, const void *member,
	     size_t count, unsigned depth)
{
	const ProtobufCMessage *const *items = *(const ProtobufCMessage *const *const *)member;
	int r = 0;

	if (count && f->type != PROTOBUF_C_TYPE_MESSAGE)
		return -EOPNOTSUPP;
	while (count-- > 0 && r == 0)
		r = out_delimited(o, f, items[count], depth);
	return r;
}

/*
 * Fields last to first, so that the bytes come out in field order, as protobuf-c packs, and
 * under its rules: a oneof member when it is the case; a string or message when its pointer
 * is set (and not the default); another optional field when has_X says so.
 */
static int
out_message(struct wire_out *o, const ProtobufCMessage *m, unsigned depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	int r = 0;

	if (depth > WIRE_DEPTH_MAX || m->n_unknown_fields)
		return -EOPNOTSUPP;
	if (d == &vmad__v1__vma__descriptor)
		return out_vma(o, (const Vmad__V1__Vma *)m);
	if (d == &vmad__v1__response__descriptor)
		return out_response(o, (const Vmad__V1__Response *)m, depth);
	if (d == &vmad__v1__find_result__descriptor)
		return out_find(o, (const Vmad__V1__FindResult *)m);
	for (unsigned i = d->n_fields; i-- > 0 && r == 0;) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const void *quantifier = (const char *)m + f->quantifier_offset;
		const void *member = (const char *)m + f->offset;
		bool oneof = f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF;

		/* Most of a Response is one oneof, and all but one of its members are absent. */
		if (oneof && *(const uint32_t *)quantifier != f->id)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			r = out_repeated(o, f, member, *(const size_t *)quantifier, depth);
		} else if (f->label != PROTOBUF_C_LABEL_OPTIONAL) {
			r = -EOPNOTSUPP;
		} else if (f->type == PROTOBUF_C_TYPE_STRING ||
			   f->type == PROTOBUF_C_TYPE_MESSAGE) {
			const void *ptr = *(const void *const *)member;

			if (ptr && ptr != f->default_value)
				r = out_delimited(o, f, ptr, depth);
		} else if (oneof || *(const protobuf_c_boolean *)quantifier) {
			r = out_scalar(o, f, member);
		}
	}
	return r;
}

static void
wire_header(uint8_t header[WIRE_HEADER], size_t len)
{
	header[0] = (uint8_t)(len >> 24);
	header[1] = (uint8_t)(len >> 16);
	header[2] = (uint8_t)(len >> 8);
	header[3] = (uint8_t)len;
}

/* protobuf-c's measure and pack, straight into the output's free space. */
static int
wire_frame_append_protobuf_c(struct evbuffer *out, const ProtobufCMessage *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	struct evbuffer_iovec v;

	if (len > UINT32_MAX)
		return -EMSGSIZE;
	if (evbuffer_reserve_space(out, (ev_ssize_t)(len + WIRE_HEADER), &v, 1) != 1)
		return -ENOMEM;
	wire_header(v.iov_base, len);
	protobuf_c_message_pack(msg, (uint8_t *)v.iov_base + WIRE_HEADER);
	v.iov_len = len + WIRE_HEADER;
	return evbuffer_commit_space(out, &v, 1) == 0 ? 0 : -ENOMEM;
}

/* Writing starts at the end of the scratch space. */
static int
wire_begin(struct wire_buf *b, struct wire_out *o)
{
	int r;

	if (!b->ids_ready && (r = wire_init(b)) < 0)
		return r;
	if (!b->base) {
		b->base = malloc(WIRE_BUF_MIN);
		if (!b->base)
			return -ENOMEM;
		b->cap = WIRE_BUF_MIN;
	}
	o->b = b;
	o->p = b->base + b->cap;
	return 0;
}

/* The header before what was written (r: how writing went): the frame, *len bytes at *frame. */
static int
wire_end(struct wire_out *o, int r, const uint8_t **frame, size_t *len)
{
	uint8_t header[WIRE_HEADER];

	*len = out_written(o);
	if (r == 0 && *len > UINT32_MAX)
		r = -EMSGSIZE;
	if (r == 0) {
		wire_header(header, *len);
		r = out_bytes(o, header, sizeof(header));
	}
	*frame = o->p;
	*len += WIRE_HEADER;
	return r;
}

/* The frame of msg in the scratch space (*frame, *len bytes); -EOPNOTSUPP: for protobuf-c. */
static int
wire_encode(struct wire_buf *b, const ProtobufCMessage *msg, const uint8_t **frame, size_t *len)
{
	struct wire_out o;
	int r = wire_begin(b, &o);

	return r < 0 ? r : wire_end(&o, out_message(&o, msg, 0), frame, len);
}

/* After a frame: a scratch space grown past WIRE_BUF_KEEP is not kept. */
static void
wire_scratch_trim(struct wire_buf *b)
{
	if (b->cap > WIRE_BUF_KEEP) {
		free(b->base);
		b->base = NULL;
		b->cap = 0;
	}
}

int
wire_frame_append(struct wire_buf *b, struct evbuffer *out, const ProtobufCMessage *msg)
{
	const uint8_t *frame;
	size_t len;
	int r;

	if (b->protobuf_c)
		return wire_frame_append_protobuf_c(out, msg);
	r = wire_encode(b, msg, &frame, &len);
	if (r == 0 && evbuffer_add(out, frame, len) < 0)
		r = -ENOMEM;
	wire_scratch_trim(b);
	/* What the one-pass encoder does not know (bytes fields) is packed by protobuf-c. */
	return r == -EOPNOTSUPP ? wire_frame_append_protobuf_c(out, msg) : r;
}

/* Room for n more bytes at the end of the batch. */
static int
wire_batch_room(struct wire_buf *b, size_t n)
{
	size_t cap = b->batch_cap ? b->batch_cap : WIRE_BUF_MIN;
	uint8_t *p;

	if (b->batch_cap - b->batch_len >= n)
		return 0;
	if (n > SIZE_MAX / 4 - b->batch_len)
		return -EMSGSIZE;
	while (cap - b->batch_len < n)
		cap *= 2;
	p = realloc(b->batch, cap);
	if (!p)
		return -ENOMEM;
	b->batch = p;
	b->batch_cap = cap;
	return 0;
}

static int
wire_batch_protobuf_c(struct wire_buf *b, const ProtobufCMessage *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	int r = len > UINT32_MAX ? -EMSGSIZE : wire_batch_room(b, len + WIRE_HEADER);

	if (r < 0)
		return r;
	wire_header(b->batch + b->batch_len, len);
	protobuf_c_message_pack(msg, b->batch + b->batch_len + WIRE_HEADER);
	b->batch_len += len + WIRE_HEADER;
	return 0;
}

/* A frame from the scratch space onto the batch, if it was made (r == 0). */
static int
wire_batch_add(struct wire_buf *b, int r, const uint8_t *frame, size_t len)
{
	if (r == 0 && (r = wire_batch_room(b, len)) == 0) {
		memcpy(b->batch + b->batch_len, frame, len);
		b->batch_len += len;
	}
	wire_scratch_trim(b);
	return r;
}

int
wire_frame_batch(struct wire_buf *b, const ProtobufCMessage *msg)
{
	const uint8_t *frame = NULL;
	size_t len = 0;
	int r;

	if (b->protobuf_c)
		return wire_batch_protobuf_c(b, msg);
	r = wire_encode(b, msg, &frame, &len);
	r = wire_batch_add(b, r, frame, len);
	return r == -EOPNOTSUPP ? wire_batch_protobuf_c(b, msg) : r;
}

int
wire_find_batch(struct wire_buf *b, uint64_t id, const Vmad__V1__Vma *vma,
		const Vmad__V1__Vma *prev)
{
	const uint8_t *frame = NULL;
	struct wire_out o;
	size_t len = 0;
	int r = wire_begin(b, &o);

	if (r < 0)
		return r;
	/* out_response()'s bytes for that Response: the find, then the id (its room reserved). */
	r = out_resp_find_vmas(&o, vma, prev, 2 * OUT_VARINT_MAX);
	if (r == 0)
		out_put(&o, b->resp_id[WIRE_RESP_ID], WIRE_VARINT, id);
	r = wire_end(&o, r, &frame, &len);
	return wire_batch_add(b, r, frame, len);
}

void
wire_batch_sent(struct wire_buf *b, size_t n)
{
	if (n > b->batch_len)
		n = b->batch_len;
	/* All of it, but for a socket that took only part. */
	if (n < b->batch_len)
		memmove(b->batch, b->batch + n, b->batch_len - n);
	b->batch_len -= n;
}

int
wire_batch_flush(struct wire_buf *b, struct evbuffer *out)
{
	int r = b->batch_len && evbuffer_add(out, b->batch, b->batch_len) < 0 ? -ENOMEM : 0;

	b->batch_len = 0;
	if (b->batch_cap > WIRE_BUF_KEEP) {
		free(b->batch);
		b->batch = NULL;
		b->batch_cap = 0;
	}
	return r;
}

void
wire_buf_fini(struct wire_buf *b)
{
	if (!b)
		return;
	free(b->base);
	b->base = NULL;
	b->cap = 0;
	free(b->batch);
	b->batch = NULL;
	b->batch_len = b->batch_cap = 0;
}
