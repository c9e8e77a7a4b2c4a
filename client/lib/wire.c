/* SPDX-License-Identifier: MIT */
/* Conversions from wire messages to the public structs. */
#include <string.h>

#include "internal.h"

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
