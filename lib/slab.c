/* SPDX-License-Identifier: MIT */
/*
 * The mm's VMA allocator: fixed-size slots carved from large chunks, with a free list per mm.
 *
 * Compared with one malloc() per VMA this saves the allocator's per-object header, makes the
 * common operations (a split and the merge that undoes it) recycle a slot instead of calling
 * malloc, and places VMAs created one after another (as an address space is built, mostly in
 * address order) next to each other in memory, so the last steps of a tree walk tend to stay
 * within a few pages.  Slots start on a cache-line boundary in every chunk and have a fixed
 * size, so the leading fields of a VMA (the ones a lookup reads) share one line in most slots
 * (see struct vma).  Chunks are returned to malloc when the mm is destroyed.
 *
 * The largest chunks are as big as two huge pages, and ask the kernel to back them with
 * huge pages: a walk of a tree of a million VMAs otherwise misses the TLB at most steps.
 *
 * Under AddressSanitizer free slots and the unused tail of a chunk are poisoned, so that a
 * use of a freed VMA is still reported as with malloc.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "mm_internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define SLAB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_ASAN 1
#endif
#endif

#ifdef SLAB_ASAN
#include <sanitizer/asan_interface.h>
#define slab_poison(p, n)   ASAN_POISON_MEMORY_REGION(p, n)
#define slab_unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define slab_poison(p, n)   ((void)(p), (void)(n))
#define slab_unpoison(p, n) ((void)(p), (void)(n))
#endif

#define SLAB_ALIGN 64
#define SLAB_SLOT  ((sizeof(struct vma) + 7) & ~(size_t)7)
/*
 * The first chunk holds a few VMAs (a small process needs no more); each next one twice as
 * many, up to 4 MiB including malloc's own header (then one mapping of exactly two huge
 * pages when malloc maps it by itself).  The chunk's overhead (that header, the list link,
 * the alignment) stays far below a byte per VMA.
 */
#define SLAB_FIRST_SLOTS 16u
#define SLAB_MAX_BYTES   ((4u << 20) - 64)
#define SLAB_HUGE_BYTES  (2u << 20)
#define SLAB_MAX_SLOTS   ((SLAB_MAX_BYTES - sizeof(struct slab_chunk) - (SLAB_ALIGN - 1)) / SLAB_SLOT)

struct slab_chunk {
	struct slab_chunk *next;
};

struct slab_free {
	struct slab_free *next;
};

static size_t
chunk_slots(const struct vma_slab *s)
{
	return s->chunk_slots ? s->chunk_slots : SLAB_FIRST_SLOTS;
}

/*
 * The huge-page hint for a large chunk, widened to whole pages: for a chunk that malloc
 * mapped by itself that is exactly its own mapping.  It is only a hint: where it is refused
 * (no transparent huge pages, another page size) the chunk works the same, only slower.
 */
static void
chunk_advise(void *c, size_t bytes)
{
#ifdef MADV_HUGEPAGE
	uintptr_t lo = (uintptr_t)c & MM_PAGE_MASK;
	uintptr_t hi = ((uintptr_t)c + bytes + MM_PAGE_SIZE - 1) & MM_PAGE_MASK;

	if (bytes >= SLAB_HUGE_BYTES)
		(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
	(void)c;
	(void)bytes;
#endif
}

/* Allocate a new chunk and make its slots the bump area; -ENOMEM. */
static int
slab_grow(struct vma_slab *s)
{
	size_t slots = chunk_slots(s);
	size_t bytes = sizeof(struct slab_chunk) + SLAB_ALIGN - 1 + slots * SLAB_SLOT;
	struct slab_chunk *c = malloc(bytes);
	uintptr_t first;

	if (!c)
		return -ENOMEM;
	c->next = s->chunks;
	s->chunks = c;
	first = ((uintptr_t)(c + 1) + SLAB_ALIGN - 1) & ~(uintptr_t)(SLAB_ALIGN - 1);
	s->bump = (char *)first;
	s->bump_end = s->bump + slots * SLAB_SLOT;
	slab_poison(s->bump, slots * SLAB_SLOT);
	chunk_advise(c, bytes);
	s->chunk_slots = (uint32_t)(2 * slots < SLAB_MAX_SLOTS ? 2 * slots : SLAB_MAX_SLOTS);
	return 0;
}

/* An uninitialised slot for a VMA, or NULL. */
void *
vma_slab_alloc(struct vma_slab *s)
{
	void *p;

	if (s->free) {
		struct slab_free *f = s->free;

		slab_unpoison(f, SLAB_SLOT);
		s->free = f->next;
		return f;
	}
	if (s->bump == s->bump_end && slab_grow(s) < 0)
		return NULL;
	p = s->bump;
	s->bump += SLAB_SLOT;
	slab_unpoison(p, SLAB_SLOT);
	return p;
}

void
vma_slab_free(struct vma_slab *s, void *p)
{
	struct slab_free *f = p;

	f->next = s->free;
	s->free = f;
	slab_poison(p, SLAB_SLOT);
}

/* Give every chunk back (the VMAs in them are gone); the slab is empty and usable after. */
void
vma_slab_release(struct vma_slab *s)
{
	struct slab_chunk *c, *next;

	for (c = s->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	*s = (struct vma_slab){ 0 };
}
