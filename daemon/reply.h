/* SPDX-License-Identifier: MIT */
/*
 * Engine views to result messages: a VMA with its exact maps line, a page of maps, the
 * status figures.  Memory comes from the reply arena.
 */
#ifndef VMAD_REPLY_H
#define VMAD_REPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "mm.h"
#include "vmad.pb-c.h"

struct mm;
struct vma;
struct space_table;
struct usage_table;
struct peer_cred;

#define REPLY_MAPS_LIMIT_DEFAULT 256
#define REPLY_MAPS_LIMIT_MAX     4096
#define REPLY_MAPS_PAGE_BYTES    (512 * 1024)

/*
 * NULL when memory is short.  Without line, the Vma leaves out its line where the client can
 * make it of the other fields (proto/README.md, section 6).
 */
Vmad__V1__Vma *reply_vma(struct arena *a, struct mm *mm, const struct vma *v, bool line);

/* What a Vma made without the arena points into: perms, and the line or path (len bytes). */
struct reply_text {
	char perms[sizeof(((struct mm_maps_entry *)0)->perms)];
	size_t len;
	char buf[MM_MAPS_LINE_MAX];
};

/* reply_vma()'s message in *m, its strings in *t (which must outlive it): 0 or -errno. */
int reply_vma_in(Vmad__V1__Vma *m, struct reply_text *t, struct mm *mm, const struct vma *v,
		 bool line);
/*
 * VMAs with end > from, at most limit (0 = default) and about REPLY_MAPS_PAGE_BYTES; their
 * lines as reply_vma() gives them.
 */
int reply_maps(struct arena *a, struct mm *mm, uint64_t from, uint32_t limit, bool line,
	       Vmad__V1__MapsResult *out);
int reply_status(struct arena *a, struct mm *mm, Vmad__V1__StatusResult *out);

/* reply_space.c: the spaces cred may read, by name; NULL when memory is short. */
Vmad__V1__ListResult *reply_list(struct arena *a, const struct space_table *t,
				 const struct peer_cred *cred);
/* The usage lines cred may see: root every owner's, anyone else their own.  -ENOMEM. */
int reply_usage_uids(struct arena *a, const struct usage_table *t, const struct peer_cred *cred,
		     Vmad__V1__UsageResult *res);

#endif
