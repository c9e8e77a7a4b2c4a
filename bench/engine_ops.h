/* SPDX-License-Identifier: MIT */
/* The engine side of vma-bench: a struct mm holding a lattice, and the timed operations. */
#ifndef VMAD_BENCH_ENGINE_OPS_H
#define VMAD_BENCH_ENGINE_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "bench_util.h"
#include "lattice.h"

struct mm;

struct ebench {
	struct mm *mm;
	struct lattice lat;
	uint64_t sink; /* folds lookup results so that the compiler keeps the lookups */
};

/* Creates an empty mm allowed to hold `cells` VMAs and places the lattice in it. */
int ebench_create(struct ebench *eb, uint64_t cells, const char **what);
/*
 * Maps cells [*built, end) of the lattice, giving up once budget_ns has passed (a slow engine
 * must not stall the run).  Returns 0, a negative errno, or -ETIMEDOUT; *built is advanced
 * past the VMAs mapped.
 */
int ebench_build(struct ebench *eb, uint64_t end, uint64_t budget_ns, uint64_t *built,
		 const char **what);
/* Checks that the mm holds exactly the lattice; 0, or -EBADMSG with the reason in msg. */
int ebench_check(struct ebench *eb, char *msg, size_t msglen);
/* The timed callback of one operation (see bench_time_op). */
bench_op_fn ebench_op(enum lat_op op);
void ebench_destroy(struct ebench *eb);

#endif
