/* SPDX-License-Identifier: MIT */
/*
 * The find reply, the one a client receives most, decoded without walking the descriptors:
 * wire_in.c finds each field of each message by its number and dispatches on its type, which
 * costs more than the dozen small fields of a Vma.  Here a table per message, made once from
 * the descriptors, maps a one-byte tag straight to what to do.  It takes a Response of an
 * id, an error and a find (a FindResult of Vmas), each field once, in any order, and builds
 * what wire_in.c builds from it; anything else (another result, a message, a multi-byte tag)
 * gives NULL and is left to wire_in.c.
 */
#include <stdatomic.h>
#include <string.h>

#include "wire_find.h"
#include "wire_in.h"

/* Fields numbered below this have one-byte tags: the only ones taken. */
#define WFR_NUMBERS 16

enum wfr_kind {
	WFR_NONE, /* not taken: the message goes to wire_in.c */
	WFR_UINT64,
	WFR_UINT32,
	WFR_SINT32,
	WFR_STRING,
	WFR_FIND, /* Response's FindResult, a member of its oneof */
	WFR_VMA,  /* FindResult's Vmas */
};

struct wfr_field {
	uint8_t kind;
	uint8_t wire_type;
	uint16_t number;
	uint32_t offset, quantifier; /* the member, and its has_ (or the oneof's case) */
};

/* The messages a find reply nests, one table each, indexed by field number. */
enum wfr_msg { WFR_RESPONSE, WFR_FIND_RESULT, WFR_VMA_MSG, WFR_MSGS };

static const ProtobufCMessageDescriptor *const wfr_desc[WFR_MSGS] = {
	[WFR_RESPONSE] = &vmad__v1__response__descriptor,
	[WFR_FIND_RESULT] = &vmad__v1__find_result__descriptor,
	[WFR_VMA_MSG] = &vmad__v1__vma__descriptor,
};

static struct wfr_field wfr_table[WFR_MSGS][WFR_NUMBERS];
/* 0: not yet made; 1: made; -1: the messages changed shape, wire_in.c decodes all. */
static _Atomic int wfr_state;

/* What field f of message msg is to the decoder; WFR_NONE for what it leaves alone. */
static enum wfr_kind
wfr_kind_of(enum wfr_msg msg, const ProtobufCFieldDescriptor *f)
{
	bool oneof = f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF;

	if (f->label != PROTOBUF_C_LABEL_OPTIONAL || f->id >= WFR_NUMBERS)
		return WFR_NONE;
	if (msg == WFR_RESPONSE && oneof)
		return f->type == PROTOBUF_C_TYPE_MESSAGE &&
				       f->descriptor == wfr_desc[WFR_FIND_RESULT]
			       ? WFR_FIND
			       : WFR_NONE;
	if (oneof)
		return WFR_NONE;
	switch (f->type) {
	case PROTOBUF_C_TYPE_UINT64:
		return WFR_UINT64;
	case PROTOBUF_C_TYPE_UINT32:
		return WFR_UINT32;
	case PROTOBUF_C_TYPE_SINT32:
		return WFR_SINT32;
	case PROTOBUF_C_TYPE_STRING:
		/* Only Response.message is a string outside a Vma, and an error reply is not hot.
		 */
		return msg == WFR_VMA_MSG ? WFR_STRING : WFR_NONE;
	case PROTOBUF_C_TYPE_MESSAGE:
		return msg == WFR_FIND_RESULT && f->descriptor == wfr_desc[WFR_VMA_MSG] ? WFR_VMA
											: WFR_NONE;
	default:
		return WFR_NONE;
	}
}

static int
wfr_init(void)
{
	unsigned finds = 0, vmas = 0;

	for (unsigned m = 0; m < WFR_MSGS; m++) {
		const ProtobufCMessageDescriptor *d = wfr_desc[m];

		for (unsigned i = 0; i < d->n_fields; i++) {
			const ProtobufCFieldDescriptor *f = &d->fields[i];
			enum wfr_kind kind = wfr_kind_of(m, f);
			bool delimited = kind == WFR_STRING || kind == WFR_FIND || kind == WFR_VMA;

			if (kind == WFR_NONE)
				continue;
			finds += kind == WFR_FIND;
			vmas += kind == WFR_VMA;
			wfr_table[m][f->id] = (struct wfr_field){
				.kind = (uint8_t)kind,
				.wire_type = delimited ? WIRE_LEN : WIRE_VARINT,
				.number = (uint16_t)f->id,
				.offset = f->offset,
				.quantifier = f->quantifier_offset,
			};
		}
	}
	/* Response and FindResult no longer hold what a find reply is made of. */
	return finds == 1 && vmas > 0 ? 1 : -1;
}

static bool
wfr_ready(void)
{
	int state = atomic_load_explicit(&wfr_state, memory_order_acquire);

	if (state == 0) {
		state = wfr_init();
		atomic_store_explicit(&wfr_state, state, memory_order_release);
	}
	return state > 0;
}

static void *wfr_message(struct arena *a, enum wfr_msg msg, const uint8_t *p, const uint8_t *end);

/* A string or a nested message of len bytes at p into member. */
static bool
wfr_delimited(struct arena *a, const struct wfr_field *f, void *member, const uint8_t *p,
	      size_t len)
{
	char *s;

	if (f->kind != WFR_STRING) {
		*(void **)member = wfr_message(
			a, f->kind == WFR_FIND ? WFR_FIND_RESULT : WFR_VMA_MSG, p, p + len);
		return *(void **)member != NULL;
	}
	s = arena_alloc(a, len + 1);
	if (!s)
		return false;
	*(char **)member = wire_in_string(s, p, len);
	return true;
}

/* A varint into member, converted as wire_in.c (and protobuf-c) convert it. */
static void
wfr_scalar(const struct wfr_field *f, void *member, uint64_t v)
{
	if (f->kind == WFR_UINT64)
		*(uint64_t *)member = v;
	else if (f->kind == WFR_UINT32)
		*(uint32_t *)member = (uint32_t)v;
	else
		*(int32_t *)member = wire_in_sint32(v);
}

/* One field at *p (its tag already read) into m. */
static bool
wfr_field(struct arena *a, const struct wfr_field *f, void *m, const uint8_t **p,
	  const uint8_t *end)
{
	void *member = (char *)m + f->offset;
	uint64_t v;

	if (!wire_in_varint(p, end, f->wire_type == WIRE_LEN ? 5 : 10, &v, NULL))
		return false;
	if (f->wire_type == WIRE_VARINT) {
		wfr_scalar(f, member, v);
		*(protobuf_c_boolean *)((char *)m + f->quantifier) = 1;
		return true;
	}
	if (v > (uint64_t)(end - *p) || !wfr_delimited(a, f, member, *p, (size_t)v))
		return false;
	*p += v;
	if (f->kind == WFR_FIND)
		*(uint32_t *)((char *)m + f->quantifier) = f->number;
	return true;
}

static void *
wfr_message(struct arena *a, enum wfr_msg msg, const uint8_t *p, const uint8_t *end)
{
	const ProtobufCMessageDescriptor *d = wfr_desc[msg];
	ProtobufCMessage *m = arena_alloc(a, d->sizeof_message);
	uint32_t seen = 0;

	if (!m)
		return NULL;
	d->message_init(m);
	while (p < end) {
		uint8_t tag = *p++;
		const struct wfr_field *f = &wfr_table[msg][(tag >> 3) & (WFR_NUMBERS - 1)];
		uint32_t bit = 1u << (tag >> 3);

		if (tag >= 0x80 || f->kind == WFR_NONE || (tag & 7) != f->wire_type ||
		    (seen & bit) || !wfr_field(a, f, m, &p, end))
			return NULL;
		seen |= bit;
	}
	return m;
}

Vmad__V1__Response *
wire_find_reply(struct arena *a, const uint8_t *data, size_t len)
{
	return wfr_ready() ? wfr_message(a, WFR_RESPONSE, data, data + len) : NULL;
}
