/* SPDX-License-Identifier: MIT */
/* What the fuzz targets ask of an mm the code under test built: the engine's invariants. */
#ifndef VMAD_FUZZ_CHECK_H
#define VMAD_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include "mm.h"

/* Aborts, saying when (and in which space, if space is not NULL), unless mm is sound. */
static inline void
fuzz_check_mm(const struct mm *mm, const char *when, const char *space)
{
	char msg[512];

	if (mm_validate(mm, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "invariant broken %s%s%s: %s\n", when, space ? " in space " : "",
			space ? space : "", msg);
		abort();
	}
}

/*
 * What the engine may do with an mm a parser built: fork it (both sides stay sound) and unmap
 * everything.  The mm is left empty.
 */
static inline void
fuzz_use_mm(struct mm *mm)
{
	struct mm *child = NULL;
	struct mm_status st;

	if (mm_fork(mm, &child) == 0) {
		fuzz_check_mm(child, "in a fork's child", NULL);
		fuzz_check_mm(mm, "in a fork's parent", NULL);
		mm_destroy(child);
	}
	mm_get_status(mm, &st);
	(void)mm_munmap(mm, 0, st.task_size);
	fuzz_check_mm(mm, "after unmapping everything", NULL);
}

#endif
