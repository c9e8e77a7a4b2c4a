/* SPDX-License-Identifier: MIT */
/*
 * Who does what in a run.  Three clients in four work on a private space of their own (one
 * call at a time, in the library's pipeline, or in raw frames); the fourth owns a slice of a
 * shared space.  Slices are 64 MiB apart and keep 2 MiB free at both ends, so that no VMA of
 * one slice can touch, merge with or share a page table with another's.
 */
#include <stdio.h>

#include "stress.h"

#define SLICE_BASE   0x100000000000ULL
#define SLICE_SIZE   (64ULL << 20)
#define SLICE_GUARD  (2ULL << 20)
#define TASK_TOP     0x7ffffffff000ULL
#define PRIV_MEMLOCK (4ULL << 20)

static bool
client_is_slice(const struct st_opts *o, unsigned k)
{
	return o->shared > 0 && k % 4 == 3;
}

void
shared_target(const struct st_opts *o, unsigned j, struct st_target *t)
{
	*t = (struct st_target){ .lo = 0, .hi = UINT64_MAX, .rlimit_memlock = VMAC_RLIM_INFINITY };
	snprintf(t->space, sizeof(t->space), "%s-s%u", o->prefix, j);
}

void
client_target(const struct st_opts *o, unsigned k, struct st_target *t)
{
	unsigned j, slot;

	if (!client_is_slice(o, k)) {
		*t = (struct st_target){
			.lo = 0, .hi = TASK_TOP, .with_stack = true, .rlimit_memlock = PRIV_MEMLOCK
		};
		snprintf(t->space, sizeof(t->space), "%s-c%u", o->prefix, k);
		return;
	}
	j = (k / 4) % o->shared;
	slot = k / (4 * o->shared);
	shared_target(o, j, t);
	t->slice = true;
	t->lo = SLICE_BASE + slot * SLICE_SIZE + SLICE_GUARD;
	t->hi = t->lo + SLICE_SIZE - 2 * SLICE_GUARD;
}

enum st_mode
client_mode(const struct st_opts *o, unsigned k)
{
	if (client_is_slice(o, k))
		return k % 8 == 3 ? ST_MODE_CALL : ST_MODE_PIPE;
	return (enum st_mode)(k % 4 % 3);
}

/* The watchers' marker: one page below the slices that only the end of a run maps. */
uint64_t
marker_addr(void)
{
	return SLICE_BASE - SLICE_GUARD;
}

/* How a target's space is created, in the daemon and in the replay alike. */
void
target_create_opts(const struct st_target *t, struct vmac_create_opts *opts)
{
	vmac_create_opts_init(opts);
	opts->with_stack = t->with_stack;
	opts->set = VMAC_OPT_RLIMIT_MEMLOCK;
	opts->rlimit_memlock = t->rlimit_memlock;
}

/* Whether client k takes part in the run (all of them, or the one of --client). */
bool
client_runs(const struct st_opts *o, unsigned k)
{
	return k < o->clients && (o->only < 0 || (int)k == o->only);
}
