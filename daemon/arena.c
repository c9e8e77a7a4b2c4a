/* SPDX-License-Identifier: MIT */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK (64 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	alignas(max_align_t) unsigned char data[];
};

static void *
arena_pb_alloc(void *data, size_t size)
{
	return arena_alloc(data, size);
}

static void
arena_pb_free(void *data, void *ptr)
{
	(void)data;
	(void)ptr;
}

void
arena_init(struct arena *a, size_t budget)
{
	a->head = NULL;
	a->next = NULL;
	a->room = 0;
	a->budget = budget;
	a->spent = 0;
	a->pb.alloc = arena_pb_alloc;
	a->pb.free = arena_pb_free;
	a->pb.allocator_data = a;
}

static void
arena_free_chunks(struct arena_chunk *c)
{
	while (c) {
		struct arena_chunk *next = c->next;

		free(c);
		c = next;
	}
}

void
arena_fini(struct arena *a)
{
	if (!a)
		return;
	arena_free_chunks(a->head);
	a->head = NULL;
	a->next = NULL;
	a->room = 0;
	a->spent = 0;
}

void
arena_reset(struct arena *a)
{
	struct arena_chunk *keep = NULL, *c = a->head;

	/* Keep one ordinary chunk: most requests fit in it, so steady state allocates nothing. */
	if (c && !c->next && c->size == ARENA_CHUNK) {
		a->next = c->data;
		a->room = c->size;
		a->spent = 0;
		return;
	}
	while (c && c->size != ARENA_CHUNK)
		c = c->next;
	if (c) {
		keep = c;
		for (struct arena_chunk **pp = &a->head; *pp; pp = &(*pp)->next)
			if (*pp == keep) {
				*pp = keep->next;
				break;
			}
		keep->next = NULL;
	}
	arena_free_chunks(a->head);
	a->head = keep;
	a->next = keep ? keep->data : NULL;
	a->room = keep ? keep->size : 0;
	a->spent = 0;
}

void *
arena_alloc_chunk(struct arena *a, size_t need)
{
	size_t cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;
	struct arena_chunk *c = malloc(sizeof(*c) + cap);

	if (!c)
		return NULL;
	/* What the old head had left is not used again before the reset. */
	c->size = cap;
	c->next = a->head;
	a->head = c;
	a->next = c->data + need;
	a->room = cap - need;
	a->spent += need;
	return c->data;
}

void
arena_move(struct arena *dst, struct arena *src)
{
	*dst = *src;
	dst->pb.allocator_data = dst;
	arena_init(src, src->budget);
}

char *
arena_strdup(struct arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = arena_alloc(a, n);

	if (p)
		memcpy(p, s, n);
	return p;
}

ProtobufCAllocator *
arena_allocator(struct arena *a)
{
	return &a->pb;
}
