/* SPDX-License-Identifier: MIT */
/*
 * vmad's malloc family: glibc's allocator, with every block's usable size added to or taken
 * from memacct_heap (memacct.h).  Linked into the vmad program only, never into a library
 * (libvmaclient's local mode links the daemon's core, not this); under AddressSanitizer the
 * sanitizer's allocator counts instead and this file is empty.
 */
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "memacct.h"

#if defined(__SANITIZE_ADDRESS__)
#define MEMACCT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEMACCT_ASAN 1
#endif
#endif

#ifndef MEMACCT_ASAN

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
