/* SPDX-License-Identifier: MIT */
/*
 * The layout of a view segment: the shared memory in which vmad publishes one address space
 * for readers in other processes (proto/README.md, "Views", describes it for readers in
 * other languages).  Little-endian, fixed offsets, no pointers.
 *
 *   offset 0                 struct vseg_header
 *   offset nodes_off         nodes_cap nodes of node_size bytes: the B+tree of lib/vindex.h
 *                            and the names its records refer to
 *
 * Consistency: seq is a sequence counter.  The publisher makes it odd, changes the segment in
 * place, and makes it even again (release order); a reader reads seq (acquire), reads what it
 * needs, then reads seq again after an acquire fence, and keeps its answer only when both are
 * equal and even.  The state a reader saw has version seq / 2.  The segment only grows
 * (size); a reader maps size bytes or more, and maps again when size grows.
 */
#ifndef VMAD_VSEG_H
#define VMAD_VSEG_H

#include <stddef.h>
#include <stdint.h>

#include "vindex.h"

#define VSEG_MAGIC     0x5745495644414d56ULL /* "VMADVIEW" */
#define VSEG_VERSION   2 /* 2: cache-line layout of the nodes, padded keys, summaries */
#define VSEG_NODES_OFF 4096u
/* The memfd's name (what /proc/PID/fd shows as "memfd:vmad-view"). */
#define VSEG_MEMFD_NAME "vmad-view"

enum vseg_state {
	VSEG_LIVE = 1,
	VSEG_DESTROYED = 2, /* the space was destroyed */
	VSEG_CLOSED = 3,    /* the publisher stopped (vmad exiting, or out of memory) */
};

struct vseg_header {
	uint64_t magic;
	uint32_t version;
	uint32_t header_size;
	uint64_t seq;
	uint64_t size; /* bytes in use; the file is at least this long */
	uint32_t state;
	uint32_t node_size;
	uint32_t leaf_cap;
	uint32_t inner_cap;
	uint64_t nodes_off;
	uint32_t nodes_cap;
	uint32_t reserved0;
	struct vindex_root tree;
	uint64_t reserved[5];
};

/* The offsets proto/README.md gives readers in other languages. */
_Static_assert(sizeof(struct vseg_header) == 128, "the header is 128 bytes");
_Static_assert(offsetof(struct vseg_header, seq) == 16, "seq at 16");
_Static_assert(offsetof(struct vseg_header, state) == 32, "state at 32");
_Static_assert(offsetof(struct vseg_header, nodes_cap) == 56, "nodes_cap at 56");
_Static_assert(offsetof(struct vseg_header, tree) == 64, "the tree's root at 64");
_Static_assert(sizeof(struct vseg_header) <= VSEG_NODES_OFF, "nodes follow the header");

/* The seals that make a segment read-only for everyone but its publisher's own mapping. */
#define VSEG_SEALS (F_SEAL_SHRINK | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL)

#endif
