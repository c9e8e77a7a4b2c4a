/* SPDX-License-Identifier: MIT */
/*
 * A bump allocator with a byte budget, reset after every request.  Decoding a frame can
 * allocate many times the frame's size (repeated empty messages), so the budget is what
 * bounds the daemon's memory per request; "free" is a no-op.
 */
#ifndef VMAD_ARENA_H
#define VMAD_ARENA_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#define ARENA_ALIGN alignof(max_align_t)

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	unsigned char *next; /* the free part of the head chunk: where it starts, */
	size_t room;         /* and its size */
	size_t budget;       /* bytes that may be handed out between resets */
	size_t spent;
	ProtobufCAllocator pb;
};

void arena_init(struct arena *a, size_t budget);
void arena_fini(struct arena *a);
/* Frees everything handed out since the last reset (keeps one chunk for reuse). */
void arena_reset(struct arena *a);
/* arena_alloc() when the head chunk is full: a new chunk, need bytes of it handed out. */
void *arena_alloc_chunk(struct arena *a, size_t need);

/* NULL when the budget is spent or memory is short. */
static inline void *
arena_alloc(struct arena *a, size_t size)
{
	size_t need = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	void *p = a->next;

	/* A request has many small allocations: the common case is a bump, inline. */
	if (size > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	if (need == 0)
		need = ARENA_ALIGN;
	if (need > a->budget - a->spent)
		return NULL;
	if (need > a->room)
		return arena_alloc_chunk(a, need);
	a->next += need;
	a->room -= need;
	a->spent += need;
	return p;
}

/* Moves an arena to another place (its allocator refers to where it lives); src is left empty. */
void arena_move(struct arena *dst, struct arena *src);
char *arena_strdup(struct arena *a, const char *s);
ProtobufCAllocator *arena_allocator(struct arena *a);

#endif
