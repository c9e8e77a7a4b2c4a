/* SPDX-License-Identifier: MIT */
/* daemon/arena.c on its own: alignment, the budget, reuse, and protobuf-c decoding in it. */
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "arena.h"
#include "vmad.pb-c.h"

static void
test_alignment_and_budget(void **state)
{
	struct arena a;
	char *p, *q;

	(void)state;
	arena_init(&a, 4096);
	p = arena_alloc(&a, 1);
	q = arena_alloc(&a, 3);
	assert_non_null(p);
	assert_non_null(q);
	assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
	assert_int_equal((uintptr_t)q % alignof(max_align_t), 0);
	assert_true(q != p);
	/* What is left of the budget, and no more. */
	assert_null(arena_alloc(&a, 4096));
	assert_non_null(arena_alloc(&a, 4096 - 2 * alignof(max_align_t)));
	assert_null(arena_alloc(&a, 1));
	assert_null(arena_alloc(&a, SIZE_MAX));
	arena_reset(&a);
	assert_non_null(arena_alloc(&a, 4096));
	arena_fini(&a);
	arena_fini(NULL);
}

static void
test_large_and_reuse(void **state)
{
	struct arena a;
	char *big, *s;

	(void)state;
	arena_init(&a, SIZE_MAX);
	/* Larger than a chunk: gets its own, and is writable end to end. */
	big = arena_alloc(&a, 1 << 20);
	assert_non_null(big);
	memset(big, 0xab, 1 << 20);
	s = arena_strdup(&a, "hello");
	assert_string_equal(s, "hello");
	for (int round = 0; round < 100; round++) {
		arena_reset(&a);
		for (int i = 0; i < 100; i++)
			assert_non_null(arena_alloc(&a, 100));
	}
	arena_fini(&a);
}

/* A Request of `fields` unknown varint fields (field 1000). */
static uint8_t *
unknown_fields(size_t fields, size_t *len)
{
	uint8_t *buf = malloc(fields * 3);

	assert_non_null(buf);
	for (size_t i = 0; i < fields; i++) {
		buf[3 * i] = 0xc0;
		buf[3 * i + 1] = 0x3e;
		buf[3 * i + 2] = 0x01;
	}
	*len = fields * 3;
	return buf;
}

static void
test_protobuf_decoding(void **state)
{
	Vmad__V1__Request *req;
	struct arena a;
	size_t len;
	uint8_t *buf = unknown_fields(10000, &len);

	(void)state;
	/* 10000 unknown fields need far more than 30 KB to decode: refused, cleanly. */
	arena_init(&a, len);
	req = vmad__v1__request__unpack(arena_allocator(&a), len, buf);
	assert_null(req);
	arena_fini(&a);
	/* With room, the same bytes decode. */
	arena_init(&a, 64 * len);
	req = vmad__v1__request__unpack(arena_allocator(&a), len, buf);
	assert_non_null(req);
	assert_int_equal(req->base.n_unknown_fields, 10000);
	assert_int_equal(req->op_case, VMAD__V1__REQUEST__OP__NOT_SET);
	vmad__v1__request__free_unpacked(req, arena_allocator(&a));
	arena_fini(&a);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alignment_and_budget),
		cmocka_unit_test(test_large_and_reuse),
		cmocka_unit_test(test_protobuf_decoding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
