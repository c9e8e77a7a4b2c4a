/* SPDX-License-Identifier: MIT */
/* The Smaps request (smaps_req.h). */
#include "smaps_req.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
smaps_req_reply(struct arena *arena, const struct mm *mm, const Vmad__V1__Smaps *m,
		Vmad__V1__SmapsResult *res)
{
	char *text = NULL;
	size_t len = 0;
	int r = mm_render_smaps(mm, m->has_rollup && m->rollup, &text, &len);

	if (r < 0)
		return r;
	/* The text goes out in the reply, which lives in the arena until it is sent. */
	res->text = arena_alloc(arena, len + 1);
	if (res->text)
		memcpy(res->text, text, len + 1);
	free(text);
	return res->text ? 0 : -E2BIG;
}
