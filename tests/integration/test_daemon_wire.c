/* SPDX-License-Identifier: MIT */
/*
 * daemon/wire.c on its own: what it encodes is byte for byte what protobuf-c packs, and
 * what it decodes is what protobuf-c unpacks, for every field of every message of the
 * protocol, for the odd encodings protobuf-c accepts, and for broken input.  The same for
 * what libvmaclient takes from there: replies decoded on the heap (wire_in.c) and requests
 * packed by wire_req.c.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include <event2/buffer.h>

#include "arena.h"
#include "wire.h"
#include "wire_in.h"
#include "wire_req.h"

#define BUDGET     (1 << 20)
#define FILL_DEPTH 4

static struct arena fill_arena;

/* ---- filling any message through its descriptor -------------------------------------- */

static void fill(ProtobufCMessage *m, uint32_t pick, unsigned variant, unsigned depth);

static ProtobufCMessage *
new_message(const ProtobufCMessageDescriptor *d, unsigned variant, unsigned depth)
{
	ProtobufCMessage *m = arena_alloc(&fill_arena, d->sizeof_message);

	assert_non_null(m);
	d->message_init(m);
	/* A nested oneof gets its first member. */
	fill(m, d->n_fields ? d->fields[d->n_fields - 1].id : 0, variant, depth + 1);
	return m;
}

/* Extreme values in one variant, small ones in the other: both varint ends. */
static void
fill_value(const ProtobufCFieldDescriptor *f, void *member, unsigned variant, unsigned depth)
{
	const ProtobufCEnumDescriptor *e = f->descriptor;

	switch (f->type) {
	case PROTOBUF_C_TYPE_UINT64:
		*(uint64_t *)member = variant ? UINT64_MAX - f->id : f->id;
		break;
	case PROTOBUF_C_TYPE_UINT32:
		*(uint32_t *)member = variant ? UINT32_MAX - f->id : 0;
		break;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
		*(int32_t *)member = variant ? INT32_MIN + (int32_t)f->id : -(int32_t)f->id;
		break;
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)member = variant ? 1 : 0;
		break;
	case PROTOBUF_C_TYPE_ENUM:
		*(int32_t *)member = e->values[variant ? e->n_values - 1 : 0].value;
		break;
	case PROTOBUF_C_TYPE_STRING:
		*(const char **)member = variant ? "a longer string\nwith a newline" : "";
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		*(ProtobufCMessage **)member =
			depth < FILL_DEPTH ? new_message(f->descriptor, variant, depth) : NULL;
		break;
	case PROTOBUF_C_TYPE_BYTES:
		/* The one-pass codec leaves these to protobuf-c: the result must be the same. */
		((ProtobufCBinaryData *)member)->data = (uint8_t *)"\0bytes\xff";
		((ProtobufCBinaryData *)member)->len = variant ? 7 : 0;
		break;
	default:
		fail_msg("field %s has a type the daemon's encoder does not write", f->name);
	}
}

/*
 * Every field set, repeated ones twice; of a oneof only the member numbered pick (or none).
 * Every type the protocol uses is thereby encoded and decoded by the tests below.
 */
static void
fill(ProtobufCMessage *m, uint32_t pick, unsigned variant, unsigned depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		char *member = (char *)m + f->offset;
		char *quantifier = (char *)m + f->quantifier_offset;

		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			if (f->id != pick)
				continue;
			*(uint32_t *)quantifier = f->id;
		} else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			void **items = arena_alloc(&fill_arena, 2 * sizeof(void *));

			assert_non_null(items);
			assert_int_equal(f->type, PROTOBUF_C_TYPE_MESSAGE);
			/* Elements are never NULL (protobuf-c cannot pack that). */
			items[0] = new_message(f->descriptor, variant, depth);
			items[1] = new_message(f->descriptor, !variant, depth);
			*(void ***)member = items;
			*(size_t *)quantifier = 2;
			continue;
		} else if (f->type != PROTOBUF_C_TYPE_STRING &&
			   f->type != PROTOBUF_C_TYPE_MESSAGE) {
			*(protobuf_c_boolean *)quantifier = 1;
		}
		fill_value(f, member, variant, depth);
	}
}

/* ---- encoding -------------------------------------------------------------------------- */

/* wire_frame_append() gives the 4-byte length and then protobuf-c's bytes. */
static void
check_encoding(struct wire_buf *b, const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *want = malloc(len + 4), *got;
	struct evbuffer *out = evbuffer_new();

	assert_non_null(want);
	assert_non_null(out);
	want[0] = (uint8_t)(len >> 24);
	want[1] = (uint8_t)(len >> 16);
	want[2] = (uint8_t)(len >> 8);
	want[3] = (uint8_t)len;
	assert_int_equal(protobuf_c_message_pack(m, want + 4), len);
	assert_int_equal(wire_frame_append(b, out, m), 0);
	assert_int_equal(evbuffer_get_length(out), len + 4);
	got = evbuffer_pullup(out, -1);
	assert_memory_equal(got, want, len + 4);
	evbuffer_free(out);
	free(want);
}

/*
 * The straight writers' field numbers come from the descriptors, which must have the shape
 * they assume; the numbers are those protobuf-c itself uses for the same names.
 */
static void
test_field_numbers_from_descriptors(void **state)
{
	struct wire_buf b = { 0 };

	(void)state;
	assert_int_equal(wire_init(&b), 0);
	assert_true(b.ids_ready);
	assert_int_equal(b.vma_id[WIRE_VMA_RSS_KB], protobuf_c_message_descriptor_get_field_by_name(
							    &vmad__v1__vma__descriptor, "rss_kb")
							    ->id);
	assert_int_equal(b.resp_id[WIRE_RESP_MESSAGE],
			 protobuf_c_message_descriptor_get_field_by_name(
				 &vmad__v1__response__descriptor, "message")
				 ->id);
	assert_int_equal(b.find_id[WIRE_FIND_PREV],
			 protobuf_c_message_descriptor_get_field_by_name(
				 &vmad__v1__find_result__descriptor, "prev")
				 ->id);
	for (unsigned i = 1; i < WIRE_VMA_FIELDS; i++)
		assert_true(b.vma_id[i] > b.vma_id[i - 1]);
}

static void
test_encode_every_field(void **state)
{
	const ProtobufCMessageDescriptor *d = &vmad__v1__response__descriptor;
	struct wire_buf b = { 0 };

	(void)state;
	arena_init(&fill_arena, SIZE_MAX);
	for (unsigned variant = 0; variant < 2; variant++) {
		/* No result, then each result in turn. */
		for (unsigned i = 0; i <= d->n_fields; i++) {
			ProtobufCMessage *m = arena_alloc(&fill_arena, d->sizeof_message);

			assert_non_null(m);
			d->message_init(m);
			fill(m, i < d->n_fields ? d->fields[i].id : 0, variant, 0);
			check_encoding(&b, m);
		}
		arena_reset(&fill_arena);
	}
	arena_fini(&fill_arena);
	wire_buf_fini(&b);
}

/* Empty messages, absent fields, an empty string, the same element twice. */
static void
test_encode_sparse(void **state)
{
	Vmad__V1__Response resp = VMAD__V1__RESPONSE__INIT;
	Vmad__V1__MapsResult maps = VMAD__V1__MAPS_RESULT__INIT;
	Vmad__V1__Vma vma = VMAD__V1__VMA__INIT, *vmas[3] = { &vma, &vma, &vma };
	struct wire_buf b = { 0 };

	(void)state;
	check_encoding(&b, &resp.base);
	resp.has_id = 1;
	check_encoding(&b, &resp.base);
	resp.message = "";
	resp.has_error = 1;
	resp.error = -90;
	check_encoding(&b, &resp.base);
	resp.result_case = VMAD__V1__RESPONSE__RESULT_MAPS;
	resp.maps = &maps;
	check_encoding(&b, &resp.base);
	maps.n_vmas = 3;
	maps.vmas = vmas;
	vma.has_start = 1;
	vma.start = 0x7ffff7fff000;
	vma.line = "";
	check_encoding(&b, &resp.base);
	wire_buf_fini(&b);
	wire_buf_fini(NULL);
}

/* Replies far beyond the first buffer: it grows, and a huge one is not kept. */
static void
test_encode_large(void **state)
{
	Vmad__V1__Response resp = VMAD__V1__RESPONSE__INIT;
	Vmad__V1__MapsResult maps = VMAD__V1__MAPS_RESULT__INIT;
	Vmad__V1__Vma vma = VMAD__V1__VMA__INIT;
	static char line[4200];
	struct wire_buf b = { 0 };
	size_t n = 2000;

	(void)state;
	memset(line, 'x', sizeof(line) - 1);
	vma.line = line;
	vma.has_end = 1;
	vma.end = UINT64_MAX;
	maps.vmas = malloc(n * sizeof(*maps.vmas));
	assert_non_null(maps.vmas);
	for (size_t i = 0; i < n; i++)
		maps.vmas[i] = &vma;
	resp.result_case = VMAD__V1__RESPONSE__RESULT_MAPS;
	resp.maps = &maps;
	for (size_t count = 1; count <= n; count = count < 1000 ? count * 10 : count + 1000) {
		maps.n_vmas = count;
		check_encoding(&b, &resp.base);
	}
	assert_null(b.base);
	maps.n_vmas = 10;
	check_encoding(&b, &resp.base);
	assert_non_null(b.base);
	free(maps.vmas);
	wire_buf_fini(&b);
}

/* ---- decoding -------------------------------------------------------------------------- */

/*
 * wire_request_unpack() and protobuf-c agree: both refuse, or both decode to a request that
 * packs to the same bytes.  Returns whether the one-pass decoder took it on its own.
 */
/* Request fields up to here are decoded by wire.c's plain decoder; later ops by protobuf-c. */
#define WIRE_PLAIN_OPS_END 32

/* got packs to exactly the bytes want packs to. */
static void
assert_same_bytes(const ProtobufCMessage *want, const ProtobufCMessage *got)
{
	size_t n = protobuf_c_message_get_packed_size(want);
	uint8_t *x = malloc(n + 1), *y = malloc(n + 1);

	assert_non_null(x);
	assert_non_null(y);
	assert_int_equal(protobuf_c_message_get_packed_size(got), n);
	protobuf_c_message_pack(want, x);
	protobuf_c_message_pack(got, y);
	assert_memory_equal(x, y, n);
	free(x);
	free(y);
}

/* The find fast path takes a frame only if the one-pass decoder takes it too. */
static bool
check_decoding(const uint8_t *data, size_t len, size_t budget)
{
	struct arena a, b, c, d;
	Vmad__V1__Request *plain, *got, *want, *fast;

	arena_init(&a, budget);
	arena_init(&b, budget);
	arena_init(&c, budget);
	arena_init(&d, budget);
	plain = wire_request_plain(&c, data, len);
	fast = wire_request_find(&d, data, len);
	got = wire_request_unpack(&a, data, len);
	want = vmad__v1__request__unpack(arena_allocator(&b), len, data);
	assert_int_equal(got == NULL, want == NULL);
	if (plain)
		assert_non_null(want);
	if (fast) {
		assert_non_null(plain);
		assert_int_equal(fast->op_case, VMAD__V1__REQUEST__OP_FIND);
		/* The same allocations: the budget runs out at the same point. */
		assert_int_equal(d.spent, c.spent);
	}
	if (want) {
		assert_same_bytes(&want->base, &got->base);
		if (plain)
			assert_same_bytes(&want->base, &plain->base);
		if (fast)
			assert_same_bytes(&want->base, &fast->base);
	}
	arena_fini(&a);
	arena_fini(&b);
	arena_fini(&c);
	arena_fini(&d);
	return plain != NULL;
}

/* Whether the find fast path takes the frame on its own. */
static bool
decodes_fast(const uint8_t *data, size_t len, size_t budget)
{
	struct arena a;
	bool fast;

	arena_init(&a, budget);
	fast = wire_request_find(&a, data, len) != NULL;
	/* Refused for lack of memory: nothing is left allocated for the decoders after it. */
	if (!fast)
		assert_int_equal(a.spent, 0);
	arena_fini(&a);
	return fast;
}

/* Packs m with protobuf-c into buf (of size at least 4096); returns the length. */
static size_t
pack(const ProtobufCMessage *m, uint8_t *buf)
{
	size_t n = protobuf_c_message_get_packed_size(m);

	assert_true(n <= 4096);
	return protobuf_c_message_pack(m, buf);
}

static void
test_decode_every_field(void **state)
{
	const ProtobufCMessageDescriptor *d = &vmad__v1__request__descriptor;
	uint8_t buf[4096];

	(void)state;
	arena_init(&fill_arena, SIZE_MAX);
	for (unsigned variant = 0; variant < 2; variant++) {
		for (unsigned i = 0; i <= d->n_fields; i++) {
			ProtobufCMessage *m = arena_alloc(&fill_arena, d->sizeof_message);
			size_t n;

			assert_non_null(m);
			d->message_init(m);
			unsigned id = i < d->n_fields ? d->fields[i].id : 0;
			fill(m, id, variant, 0);
			n = pack(m, buf);
			/* Ops the hand-written codec does not know (from field 32 on) fall back. */
			assert_true(check_decoding(buf, n, BUDGET) || id >= WIRE_PLAIN_OPS_END);
			/* Too little memory: refused by both, whichever decodes. */
			check_decoding(buf, n, 16);
		}
		arena_reset(&fill_arena);
	}
	arena_fini(&fill_arena);
}

/* Encodings protobuf-c takes that are not the plain shape, and broken ones. */
static void
test_decode_odd(void **state)
{
	static const struct {
		const char *what;
		size_t len;
		uint8_t bytes[24];
		bool plain;
	} cases[] = {
		{ "empty", 0, { 0 }, true },
		{ "ping", 4, { 0x08, 0x01, 0x5a, 0x00 }, true },
		{ "ten-byte id",
		  11,
		  { 0x08, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 },
		  true },
		{ "bits beyond 64",
		  11,
		  { 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f },
		  true },
		{ "two-byte tag", 3, { 0x88, 0x00, 0x05 }, true },
		/* Mmap { addr = 255, file = File { path = "/", mode = 2 } } */
		{ "nested",
		  13,
		  { 0x82, 0x01, 0x0a, 0x10, 0xff, 0x01, 0x32, 0x05, 0x0a, 0x01, 0x2f, 0x18, 0x02 },
		  true },
		/* Create { with_stack = 2 }, then with only a bit beyond the 64th set. */
		{ "bool of 2", 4, { 0x62, 0x02, 0x30, 0x02 }, true },
		{ "bool beyond 64 bits",
		  13,
		  { 0x62, 0x0b, 0x30, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02 },
		  true },
		/* Destroy { name = "a\0b" }: the C string ends at the NUL either way. */
		{ "string with a NUL", 7, { 0x6a, 0x05, 0x0a, 0x03, 0x61, 0x00, 0x62 }, true },
		{ "eleven-byte id",
		  12,
		  { 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 },
		  false },
		{ "six-byte tag", 7, { 0x88, 0x80, 0x80, 0x80, 0x80, 0x00, 0x05 }, false },
		{ "field 0", 2, { 0x00, 0x01 }, false },
		{ "unknown field", 3, { 0xc0, 0x3e, 0x01 }, false },
		{ "id twice", 4, { 0x08, 0x01, 0x08, 0x02 }, false },
		{ "two ops", 5, { 0x5a, 0x00, 0xfa, 0x01, 0x00 }, false },
		{ "op twice (merged)",
		  8,
		  { 0xaa, 0x01, 0x02, 0x18, 0x05, 0xaa, 0x01, 0x00 },
		  false },
		{ "id as bytes", 3, { 0x0a, 0x01, 0x00 }, false },
		{ "op as varint", 2, { 0x58, 0x00 }, false },
		{ "length past the end", 3, { 0x5a, 0x05, 0x00 }, false },
		{ "truncated varint", 2, { 0x08, 0x80 }, false },
		{ "group", 2, { 0x0b, 0x0c }, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool plain = check_decoding(cases[i].bytes, cases[i].len, BUDGET);

		if (cases[i].plain && !plain)
			fail_msg("%s: not decoded in one pass", cases[i].what);
	}
}

/*
 * Find requests (Request.id = 1, find = 21; Find.name = 1, mode = 2, addr = 3, end = 4,
 * without_line = 5): the fast path takes the shape libvmaclient sends and its odd encodings;
 * anything else goes on to the one-pass decoder, and check_decoding() holds every answer to
 * it and protobuf-c.
 */
static void
test_decode_find(void **state)
{
	static const struct {
		const char *what;
		size_t len;
		uint8_t bytes[32];
		bool fast, plain;
	} cases[] = {
		{ "id, name, mode, addr",
		  18,
		  { 0x08, 0x07, 0xaa, 0x01, 0x0d, 0x0a, 0x05, 'b', 'e', 'n', 'c', 'h', 0x10, 0x00,
		    0x18, 0x80, 0x80, 0x04 },
		  true,
		  true },
		{ "no id", 6, { 0xaa, 0x01, 0x03, 0x0a, 0x01, 'a' }, true, true },
		{ "addr, without_line",
		  9,
		  { 0x08, 0x02, 0xaa, 0x01, 0x04, 0x18, 0x05, 0x28, 0x01 },
		  true,
		  true },
		{ "without_line 2", 5, { 0xaa, 0x01, 0x02, 0x28, 0x02 }, true, true },
		{ "without_line of zero bits in two bytes",
		  6,
		  { 0xaa, 0x01, 0x03, 0x28, 0x80, 0x00 },
		  true,
		  true },
		{ "without_line before end",
		  7,
		  { 0xaa, 0x01, 0x04, 0x28, 0x01, 0x20, 0x01 },
		  false,
		  true },
		{ "empty find", 3, { 0xaa, 0x01, 0x00 }, true, true },
		{ "intersection with end",
		  12,
		  { 0x08, 0x01, 0xaa, 0x01, 0x07, 0x10, 0x02, 0x18, 0x01, 0x20, 0xff, 0x01 },
		  true,
		  true },
		{ "ten-byte addr and id",
		  25,
		  { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0xaa, 0x01,
		    0x0b, 0x18, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f },
		  true,
		  true },
		{ "mode -1",
		  14,
		  { 0xaa, 0x01, 0x0b, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0x01 },
		  true,
		  true },
		{ "two-byte tags", 7, { 0x88, 0x00, 0x05, 0xaa, 0x81, 0x00, 0x00 }, true, true },
		{ "name with a NUL",
		  8,
		  { 0xaa, 0x01, 0x05, 0x0a, 0x03, 'a', 0x00, 'b' },
		  true,
		  true },
		{ "fields out of order",
		  8,
		  { 0xaa, 0x01, 0x05, 0x18, 0x05, 0x0a, 0x01, 'a' },
		  false,
		  true },
		{ "id after the find", 5, { 0xaa, 0x01, 0x00, 0x08, 0x01 }, false, true },
		{ "id only", 2, { 0x08, 0x01 }, false, true },
		{ "another op", 4, { 0x08, 0x01, 0x5a, 0x00 }, false, true },
		{ "addr twice", 7, { 0xaa, 0x01, 0x04, 0x18, 0x01, 0x18, 0x02 }, false, false },
		{ "id twice", 7, { 0x08, 0x01, 0x08, 0x02, 0xaa, 0x01, 0x00 }, false, false },
		{ "unknown field in the find", 5, { 0xaa, 0x01, 0x02, 0x30, 0x01 }, false, false },
		{ "mode as a string", 6, { 0xaa, 0x01, 0x03, 0x12, 0x01, 0x00 }, false, false },
		{ "name as a varint", 5, { 0xaa, 0x01, 0x02, 0x08, 0x01 }, false, false },
		{ "id as a string", 6, { 0x0a, 0x01, 0x00, 0xaa, 0x01, 0x00 }, false, false },
		{ "name past the find", 6, { 0xaa, 0x01, 0x03, 0x0a, 0x05, 'a' }, false, false },
		{ "find past the end", 4, { 0xaa, 0x01, 0x05, 0x18 }, false, false },
		{ "truncated addr", 5, { 0xaa, 0x01, 0x02, 0x18, 0x80 }, false, false },
		{ "eleven-byte addr",
		  15,
		  { 0xaa, 0x01, 0x0c, 0x18, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
		    0x80, 0x00 },
		  false,
		  false },
		{ "six-byte name length",
		  10,
		  { 0xaa, 0x01, 0x07, 0x0a, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00 },
		  false,
		  false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool plain = check_decoding(cases[i].bytes, cases[i].len, BUDGET);

		if (decodes_fast(cases[i].bytes, cases[i].len, BUDGET) != cases[i].fast)
			fail_msg("%s: the fast path %s it", cases[i].what,
				 cases[i].fast ? "refuses" : "takes");
		if (plain != cases[i].plain)
			fail_msg("%s: the one-pass decoder %s it", cases[i].what,
				 cases[i].plain ? "refuses" : "takes");
		/* Too little memory for the name: refused, and then refused by the others too. */
		for (size_t budget = 0; budget < 200; budget += 16)
			check_decoding(cases[i].bytes, cases[i].len, budget);
	}
}

/* Requests with bytes changed at random: the two decoders still agree on every one. */
static void
test_decode_mutated(void **state)
{
	const ProtobufCMessageDescriptor *d = &vmad__v1__request__descriptor;
	uint8_t buf[4096];
	uint64_t rng = 42;

	(void)state;
	arena_init(&fill_arena, SIZE_MAX);
	for (unsigned i = 0; i < d->n_fields; i++) {
		ProtobufCMessage *m = arena_alloc(&fill_arena, d->sizeof_message);
		size_t n;

		assert_non_null(m);
		d->message_init(m);
		fill(m, d->fields[i].id, i & 1, 0);
		n = pack(m, buf);
		for (unsigned round = 0; round < 400 && n > 0; round++) {
			uint8_t copy[4096];

			memcpy(copy, buf, n);
			for (unsigned k = 0; k < 1 + round % 3; k++) {
				rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
				copy[(rng >> 33) % n] = (uint8_t)(rng >> 17);
			}
			check_decoding(copy, n - (round % 5 == 4), BUDGET);
		}
	}
	arena_fini(&fill_arena);
}

/* ---- replies decoded on the heap (libvmaclient), requests packed by wire_req.c --------- */

static void *
heap_alloc(void *data, size_t size)
{
	(void)data;
	return malloc(size);
}

static void
heap_free(void *data, void *p)
{
	(void)data;
	free(p);
}

/* As protobuf-c's own allocator: what it decodes is freed with free_unpacked(m, NULL). */
static ProtobufCAllocator heap = { heap_alloc, heap_free, NULL };

/*
 * wire_in_message() on the heap and protobuf-c agree on a Response: the one-pass decoder
 * either leaves it (nothing allocated: the sanitizer build sees any leak) or gives one that
 * packs to protobuf-c's bytes and that protobuf-c frees.  Returns whether it decoded it.
 */
static unsigned fast_replies;

static bool
check_reply_decoding(const uint8_t *data, size_t len)
{
	const ProtobufCMessageDescriptor *d = &vmad__v1__response__descriptor;
	ProtobufCMessage *got = wire_in_message(&heap, d, data, len);
	ProtobufCMessage *want = protobuf_c_message_unpack(d, NULL, len, data);
	struct arena a;
	Vmad__V1__Response *fast;

	arena_init(&a, SIZE_MAX);
	fast = wire_find_reply(&a, data, len);
	if (got)
		assert_non_null(want);
	if (got && want)
		assert_same_bytes(want, got);
	/* The find fast path takes only what the one-pass decoder takes, alike. */
	if (fast) {
		assert_non_null(got);
		assert_same_bytes(got, &fast->base);
		fast_replies++;
	}
	arena_fini(&a);
	if (got)
		protobuf_c_message_free_unpacked(got, NULL);
	if (want)
		protobuf_c_message_free_unpacked(want, NULL);
	return got != NULL;
}

/* Every result, every field; those with repeated fields or bytes are left to protobuf-c. */
static void
test_decode_replies(void **state)
{
	const ProtobufCMessageDescriptor *d = &vmad__v1__response__descriptor;
	uint64_t rng = 7;
	uint8_t buf[4096];
	unsigned plain = 0;

	(void)state;
	arena_init(&fill_arena, SIZE_MAX);
	for (unsigned variant = 0; variant < 2; variant++) {
		for (unsigned i = 0; i <= d->n_fields; i++) {
			ProtobufCMessage *m = arena_alloc(&fill_arena, d->sizeof_message);
			size_t n;

			assert_non_null(m);
			d->message_init(m);
			fill(m, i < d->n_fields ? d->fields[i].id : 0, variant, 0);
			n = pack(m, buf);
			plain += check_reply_decoding(buf, n);
			/* Changed bytes and cut ends: still the same answer, nothing leaked. */
			for (unsigned round = 0; round < 200 && n > 0; round++) {
				uint8_t copy[4096];

				memcpy(copy, buf, n);
				rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
				copy[(rng >> 33) % n] = (uint8_t)(rng >> 17);
				check_reply_decoding(copy, n - (round % 4 == 3));
			}
		}
		arena_reset(&fill_arena);
	}
	/* The find reply, the error reply and most others are decoded in one pass. */
	assert_true(plain > d->n_fields);
	assert_true(fast_replies >= 2);
	arena_fini(&fill_arena);
}

/* A Vma of random fields, each present or not, numbers of every width. */
static void
random_vma(Vmad__V1__Vma *v, uint64_t *seed, char *strings)
{
	uint64_t x;

	*seed ^= *seed << 13;
	*seed ^= *seed >> 7;
	*seed ^= *seed << 17;
	x = *seed;
	vmad__v1__vma__init(v);
	v->has_start = x & 1, v->start = x >> (x % 64);
	v->has_end = x & 2, v->end = ~x;
	v->has_flags = x & 4, v->flags = x >> 40;
	v->has_pgoff = x & 8, v->pgoff = x >> 20;
	v->has_offset = x & 16, v->offset = x << 12;
	v->has_dev_major = x & 32, v->dev_major = (uint32_t)(x >> 7);
	v->has_dev_minor = x & 64, v->dev_minor = (uint32_t)(x >> 50);
	v->has_ino = x & 128, v->ino = x * 3;
	v->has_rss_kb = x & 256, v->rss_kb = x >> 60;
	v->perms = x & 512 ? strings + 300 - 4 : NULL;
	v->path = x & 1024 ? strings + 300 - (x >> 11) % 300 : NULL;
	v->line = x & 2048 ? strings + 300 - (x >> 23) % 300 : NULL;
}

/*
 * Find replies as the daemon packs them (protobuf-c's bytes), with every field of a Vma
 * present or not: the fast path takes each and decodes it as the one-pass decoder does.
 */
static void
test_find_reply_decoding(void **state)
{
	static char strings[301];
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	uint8_t buf[4096];

	(void)state;
	memset(strings, 's', sizeof(strings) - 1);
	for (unsigned i = 0; i < 5000; i++) {
		Vmad__V1__Response r = VMAD__V1__RESPONSE__INIT;
		Vmad__V1__FindResult f = VMAD__V1__FIND_RESULT__INIT;
		Vmad__V1__Vma v, p;
		unsigned before = fast_replies;

		random_vma(&v, &seed, strings);
		random_vma(&p, &seed, strings);
		r.has_id = i & 1;
		r.id = seed;
		r.has_error = i & 2;
		r.error = (int32_t)(seed >> 33) - (1 << 29);
		r.result_case = VMAD__V1__RESPONSE__RESULT_FIND;
		r.find = &f;
		f.vma = i & 4 ? &v : NULL;
		f.prev = i & 8 ? &p : NULL;
		assert_true(check_reply_decoding(buf, pack(&r.base, buf)));
		assert_int_equal(fast_replies, before + 1);
	}
}

/* wire_req_size() and wire_req_pack() give protobuf-c's bytes for every operation. */
static void
test_request_packing(void **state)
{
	const ProtobufCMessageDescriptor *d = &vmad__v1__request__descriptor;
	uint8_t want[4096], got[4096];

	(void)state;
	arena_init(&fill_arena, SIZE_MAX);
	for (unsigned variant = 0; variant < 2; variant++) {
		for (unsigned i = 0; i <= d->n_fields; i++) {
			Vmad__V1__Request *req = arena_alloc(&fill_arena, d->sizeof_message);
			struct wire_req w;
			size_t n;

			assert_non_null(req);
			d->message_init(&req->base);
			fill(&req->base, i < d->n_fields ? d->fields[i].id : 0, variant, 0);
			req->has_id = (i + variant) % 3 != 0;
			n = pack(&req->base, want);
			assert_int_equal(wire_req_size(req, &w), n);
			assert_int_equal(wire_req_pack(req, &w, got), n);
			assert_memory_equal(got, want, n);
		}
		arena_reset(&fill_arena);
	}
	arena_fini(&fill_arena);
}

/*
 * A find request, which wire_find_pack() packs, in every combination of its fields and with
 * values of every length: protobuf-c's bytes each time.
 */
static void
test_find_packing(void **state)
{
	static char name[300];
	uint8_t want[4096], got[4096];
	uint64_t seed = 0x2545f4914f6cdd1dULL;

	(void)state;
	memset(name, 'n', sizeof(name) - 1);
	for (unsigned i = 0; i < 20000; i++) {
		Vmad__V1__Request req = VMAD__V1__REQUEST__INIT;
		Vmad__V1__Find f = VMAD__V1__FIND__INIT;
		struct wire_req w;
		size_t n;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		req.op_case = VMAD__V1__REQUEST__OP_FIND;
		req.find = &f;
		req.has_id = i & 1;
		req.id = seed >> (i % 64);
		f.name = i & 2 ? name + sizeof(name) - 1 - (seed % sizeof(name)) : NULL;
		f.has_mode = (i & 4) != 0;
		f.mode = (Vmad__V1__FindMode)(int32_t)(seed >> 32);
		f.has_addr = (i & 8) != 0;
		f.addr = seed >> (seed % 64);
		f.has_end = (i & 16) != 0;
		f.end = ~seed;
		f.has_without_line = (i & 32) != 0;
		f.without_line = (i & 64) != 0;
		n = pack(&req.base, want);
		assert_int_equal(wire_req_size(&req, &w), n);
		assert_true(w.find);
		assert_int_equal(wire_req_pack(&req, &w, got), n);
		assert_memory_equal(got, want, n);
	}
}

/*
 * wire_in_varint() against a byte-at-a-time reading of protobuf-c's rule, on buffers that end
 * at every length: varints of 1 to 11 bytes, ending inside or past the 8 bytes read at once,
 * values with every group count, and truncated ones.
 */
static bool
varint_reference(const uint8_t *p, size_t avail, unsigned max, uint64_t *v, bool *any, size_t *used)
{
	uint64_t r = 0;
	bool nonzero = false;

	for (unsigned i = 0; i < max && i < avail; i++) {
		r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		nonzero |= (p[i] & 0x7f) != 0;
		if (!(p[i] & 0x80)) {
			*v = r;
			*any = nonzero;
			*used = i + 1;
			return true;
		}
	}
	return false;
}

static void
test_varints(void **state)
{
	uint8_t buf[16];
	uint64_t seed = 7;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		unsigned stop, max = i % 2 ? 10 : 5;
		size_t avail = (size_t)(i / 2) % 14, used = 0;
		uint64_t want = 0, got = 0;
		bool want_any = false, got_any = false, ok;
		const uint8_t *p = buf;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		stop = (unsigned)(seed >> 60) % 12;
		for (unsigned k = 0; k < sizeof(buf); k++) {
			uint8_t group = (seed >> (k * 3 % 56)) & (k % 3 ? 0x7f : 0);

			buf[k] = (uint8_t)(group | (k < stop ? 0x80 : 0));
		}
		ok = varint_reference(buf, avail, max, &want, &want_any, &used);
		assert_int_equal(wire_in_varint(&p, buf + avail, max, &got, &got_any), ok);
		if (!ok)
			continue;
		assert_int_equal(got, want);
		assert_int_equal(got_any, want_any);
		assert_ptr_equal(p, buf + used);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_numbers_from_descriptors),
		cmocka_unit_test(test_encode_every_field),
		cmocka_unit_test(test_encode_sparse),
		cmocka_unit_test(test_encode_large),
		cmocka_unit_test(test_decode_every_field),
		cmocka_unit_test(test_decode_odd),
		cmocka_unit_test(test_decode_find),
		cmocka_unit_test(test_decode_mutated),
		cmocka_unit_test(test_decode_replies),
		cmocka_unit_test(test_find_reply_decoding),
		cmocka_unit_test(test_request_packing),
		cmocka_unit_test(test_find_packing),
		cmocka_unit_test(test_varints),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
