/* SPDX-License-Identifier: MIT */
/*
 * What the daemon's heap holds, counted from the allocations themselves: every malloc,
 * calloc, realloc, aligned allocation and free in the process (the engine's VMA slabs and
 * resident-page sets, space names, watch queues, libevent's input and output buffers,
 * protobuf-c's buffers) adds or takes away its usable size.  The memory budget
 * (--memory-max) is checked against this figure, never against an estimate.
 *
 * In a normal build vmad replaces the malloc family with thin wrappers around glibc's
 * allocator that keep the count (memacct_malloc.c); under AddressSanitizer (SANITIZE=1, the
 * fuzzer) the sanitizer's own allocator already counts, and its figure is used.
 */
#ifndef VMAD_MEMACCT_H
#define VMAD_MEMACCT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* The heap's count, kept by memacct_malloc.c (in vmad; elsewhere it stays 0). */
extern _Atomic int64_t memacct_heap;

/* Bytes held now: heap allocations plus what memacct_external() added. */
uint64_t memacct_in_use(void);

/*
 * Memory that is not on the heap but is held for clients (shared-memory view segments
 * mapped by the daemon): +bytes when mapped, -bytes when unmapped, so that it counts
 * against the budget like the rest.
 */
void memacct_external(int64_t bytes);

#endif
