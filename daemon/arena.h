/*
 * A bump allocator with a byte budget, reset after every request.  Decoding a frame can
 * allocate many times the frame's size (repeated empty messages), so the budget is what
 * bounds the daemon's memory per request; "free" is a no-op.
 */
#ifndef VMAD_ARENA_H
#define VMAD_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	size_t budget; /* bytes that may be handed out between resets */
	size_t spent;
	ProtobufCAllocator pb;
};

void arena_init(struct arena *a, size_t budget);
void arena_fini(struct arena *a);
/* Frees everything handed out since the last reset (keeps one chunk for reuse). */
void arena_reset(struct arena *a);
/* NULL when the budget is spent or memory is short. */
void *arena_alloc(struct arena *a, size_t size);
char *arena_strdup(struct arena *a, const char *s);
ProtobufCAllocator *arena_allocator(struct arena *a);

#endif
