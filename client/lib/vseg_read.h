/* SPDX-License-Identifier: MIT */
/*
 * Reading a view segment (daemon/vseg.h) that is mapped at base for len bytes.  One call is
 * one attempt under the segment's sequence counter: it returns -EAGAIN when the publisher
 * was writing meanwhile (try again), VSEG_READ_REMAP when the segment has grown beyond len
 * (map more, try again), -ENOENT when the space was destroyed, -ENOTCONN when publishing
 * stopped, and -EBADMSG for a segment that breaks its own rules.  Nothing in the segment is
 * trusted: a hostile one gives an error, never a read outside [base, base + len).
 */
#ifndef VMAC_VSEG_READ_H
#define VMAC_VSEG_READ_H

#include <stddef.h>
#include <stdint.h>

#include "vindex.h"

#define VSEG_READ_REMAP (-1000)

enum vseg_find_mode { VSEG_FIND = 0, VSEG_FIND_PREV = 1, VSEG_FIND_INTERSECTION = 2 };

/* What a lookup found, and the version of the state it was read from. */
struct vseg_result {
	struct vindex_rec vma, prev;
	uint64_t version;
};

/*
 * A mapping of a segment.  Its format (magic, version and the node geometry, which the
 * publisher writes once, before the segment is handed out) is checked once, when it is mapped,
 * rather than by every lookup; what changes (the counter, state, sizes, the tree) is checked by
 * every one.
 */
struct vseg_map {
	const unsigned char *base;
	size_t len;
};

/* 0, or -EBADMSG for a segment that is not one of this format. */
int vseg_map_init(struct vseg_map *m, const unsigned char *base, size_t len);
/* A mask of 1 (vma) and 2 (prev, with VSEG_FIND_PREV), or an error above. */
int vseg_find(const struct vseg_map *m, enum vseg_find_mode mode, uint64_t addr, uint64_t end,
	      struct vseg_result *out);
/* 0 when [addr, addr + size) is mapped with prot; -EFAULT with *bad; or an error above. */
int vseg_check(const struct vseg_map *m, uint64_t addr, uint64_t size, uint32_t prot,
	       uint64_t *bad);
/* The name maps prints for the VMA that starts at start (its length, 0 without one); -ESTALE
 * when no VMA starts there any more. */
int vseg_name(const struct vseg_map *m, const struct vindex_rec *vma, char *buf, size_t size);
/* The current version, or an error above. */
int vseg_version(const struct vseg_map *m, uint64_t *version);

#endif
