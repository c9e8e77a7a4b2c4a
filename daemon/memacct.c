/* SPDX-License-Identifier: MIT */
#include "memacct.h"

#include <stdatomic.h>

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

_Atomic int64_t memacct_heap;

uint64_t
memacct_in_use(void)
{
	return memacct_sum(atomic_load_explicit(&memacct_heap, memory_order_relaxed));
}

#endif
