/* SPDX-License-Identifier: MIT */
/*
 * Conversions to the public structs: from wire messages, and (local mode) from the engine's
 * maps entry of a VMA, the fields the daemon's reply would carry (daemon/reply.c, reply_vma()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mm.h"

void
wire_vma(const Vmad__V1__Vma *w, struct vmac_vma *out)
{
	memset(out, 0, sizeof(*out));
	out->start = w->start;
	out->end = w->end;
	out->flags = w->flags;
	out->pgoff = w->pgoff;
	if (w->perms)
		memcpy(out->perms, w->perms, strnlen(w->perms, sizeof(out->perms) - 1));
	out->offset = w->offset;
	out->dev_major = w->dev_major;
	out->dev_minor = w->dev_minor;
	out->ino = w->ino;
	out->rss_kb = w->rss_kb;
	out->path = w->path ? w->path : "";
	out->line = w->line ? w->line : "";
}

size_t
wire_line_size(const Vmad__V1__Vma *w)
{
	return w->line ? 0 : MM_MAPS_HEADER_MAX + (w->path ? strlen(w->path) : 0) + 1;
}

char *
wire_line_room(char **buf, size_t *cap, size_t need)
{
	char *p;

	if (need <= *cap)
		return *buf;
	p = realloc(*buf, need);
	if (!p)
		return NULL;
	*buf = p;
	*cap = need;
	return p;
}

/* The engine's formatter, as the daemon would have used it: an empty path is no name. */
int
wire_vma_line(const Vmad__V1__Vma *w, struct vmac_vma *out, char *buf)
{
	struct mm_maps_entry e = { .start = w->start, .end = w->end, .offset = w->offset };
	size_t plen = w->path ? strlen(w->path) : 0;

	wire_vma(w, out);
	if (w->line)
		return 0;
	if (!w->perms || strlen(w->perms) != sizeof(e.perms) - 1)
		return -EPROTO;
	memcpy(e.perms, w->perms, sizeof(e.perms));
	e.dev_major = w->dev_major;
	e.dev_minor = w->dev_minor;
	e.ino = w->ino;
	if (mm_maps_line(&e, plen ? w->path : NULL, plen, buf, MM_MAPS_HEADER_MAX + plen + 1) < 0)
		return -EPROTO;
	out->line = buf;
	return 0;
}

void
wire_vma_entry(const struct mm_maps_entry *e, const struct mm_vma_info *info, const char *line,
	       struct vmac_vma *out)
{
	memset(out, 0, sizeof(*out));
	out->start = e->start;
	out->end = e->end;
	out->flags = info->flags;
	out->pgoff = info->pgoff;
	memcpy(out->perms, e->perms, sizeof(out->perms));
	out->offset = e->offset;
	out->dev_major = e->dev_major;
	out->dev_minor = e->dev_minor;
	out->ino = e->ino;
	out->rss_kb = mm_vma_info_rss_kb(info);
	out->path = line + e->name_off;
	out->line = line;
}
