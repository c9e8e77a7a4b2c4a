#include "arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK (64 * 1024)
#define ARENA_ALIGN alignof(max_align_t)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
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
	a->spent = 0;
}

void
arena_reset(struct arena *a)
{
	struct arena_chunk *keep = NULL, *c = a->head;

	/* Keep one ordinary chunk: most requests fit in it, so steady state allocates nothing. */
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
		keep->used = 0;
	}
	arena_free_chunks(a->head);
	a->head = keep;
	a->spent = 0;
}

static struct arena_chunk *
arena_grow(struct arena *a, size_t size)
{
	size_t cap = size > ARENA_CHUNK ? size : ARENA_CHUNK;
	struct arena_chunk *c = malloc(sizeof(*c) + cap);

	if (!c)
		return NULL;
	c->size = cap;
	c->used = 0;
	c->next = a->head;
	a->head = c;
	return c;
}

void *
arena_alloc(struct arena *a, size_t size)
{
	struct arena_chunk *c = a->head;
	size_t need;
	void *p;

	if (size > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	need = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (need == 0)
		need = ARENA_ALIGN;
	if (need > a->budget - a->spent)
		return NULL;
	if (!c || c->size - c->used < need) {
		c = arena_grow(a, need);
		if (!c)
			return NULL;
	}
	p = c->data + c->used;
	c->used += need;
	a->spent += need;
	return p;
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
