/* SPDX-License-Identifier: MIT */
#include "memacct.h"

#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define MEMACCT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEMACCT_ASAN 1
#endif
#endif

/* Signed: a free the wrappers never saw allocated must not wrap the count around. */
static _Atomic int64_t memacct_external_bytes;

void
memacct_external(int64_t bytes)
{
	atomic_fetch_add_explicit(&memacct_external_bytes, bytes, memory_order_relaxed);
}

static uint64_t
memacct_sum(int64_t heap)
{
	int64_t n = heap + atomic_load_explicit(&memacct_external_bytes, memory_order_relaxed);

	return n > 0 ? (uint64_t)n : 0;
}

#ifdef MEMACCT_ASAN

/* The sanitizer runtime's count (its header is not shipped with every compiler). */
size_t __sanitizer_get_current_allocated_bytes(void);

uint64_t
memacct_in_use(void)
{
	return memacct_sum((int64_t)__sanitizer_get_current_allocated_bytes());
}

#else

/*
 * glibc documents replacing malloc (malloc, free, calloc, realloc, and the aligned variants
 * so that every pointer free() sees came through here); its own functions, exported under
 * these names, do the allocating.  The count is of usable sizes, what glibc really hands out.
 */
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void *__libc_memalign(size_t align, size_t size);
void *__libc_valloc(size_t size);
void *__libc_pvalloc(size_t size);
void __libc_free(void *p);

static _Atomic int64_t memacct_heap;

uint64_t
memacct_in_use(void)
{
	return memacct_sum(atomic_load_explicit(&memacct_heap, memory_order_relaxed));
}

static void *
memacct_got(void *p)
{
	if (p)
		atomic_fetch_add_explicit(&memacct_heap, (int64_t)malloc_usable_size(p),
					  memory_order_relaxed);
	return p;
}

void *
malloc(size_t size)
{
	return memacct_got(__libc_malloc(size));
}

void *
calloc(size_t n, size_t size)
{
	return memacct_got(__libc_calloc(n, size));
}

void
free(void *p)
{
	if (!p)
		return;
	atomic_fetch_sub_explicit(&memacct_heap, (int64_t)malloc_usable_size(p),
				  memory_order_relaxed);
	__libc_free(p);
}

void *
realloc(void *p, size_t size)
{
	size_t old = p ? malloc_usable_size(p) : 0;
	void *n = __libc_realloc(p, size);

	/* A failed realloc leaves p as it was; realloc(p, 0) frees it and may return NULL. */
	if (!n && (size != 0 || !p))
		return NULL;
	atomic_fetch_sub_explicit(&memacct_heap, (int64_t)old, memory_order_relaxed);
	return memacct_got(n);
}

void *
memalign(size_t align, size_t size)
{
	return memacct_got(__libc_memalign(align, size));
}

void *
aligned_alloc(size_t align, size_t size)
{
	return memacct_got(__libc_memalign(align, size));
}

int
posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	p = __libc_memalign(align, size);
	if (!p)
		return ENOMEM;
	*out = memacct_got(p);
	return 0;
}

void *
valloc(size_t size)
{
	return memacct_got(__libc_valloc(size));
}

void *
pvalloc(size_t size)
{
	return memacct_got(__libc_pvalloc(size));
}

#endif
