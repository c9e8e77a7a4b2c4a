/* SPDX-License-Identifier: MIT */
/* What every fuzz target asks of an mm the code under test built: the engine's invariants. */
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

#endif
