/* SPDX-License-Identifier: MIT */
/*
 * A reader of a shared space's view (lookups answered from the daemon's shared memory, with
 * no request): every answer must show a state the space really passed through.  One lookup
 * reads one published state, so the reader asks for the first VMA of a slice between reading
 * the slice owner's progress before and after: the answer must be that slice's first VMA
 * after one of the operations in between, as the owner recorded it from its replay.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "stress.h"

#define READER_PERMS (VMAC_VM_READ | VMAC_VM_WRITE | VMAC_VM_EXEC | VMAC_VM_MAYSHARE)

/* 1: the owner's first VMA after operation idx was `seen`; 0: it was not; -1: unknown. */
static int
reader_was(struct st_first *e, uint64_t idx, const struct st_first *seen)
{
	struct st_first f;

	if (__atomic_load_n(&e->idx, __ATOMIC_ACQUIRE) != idx)
		return -1;
	f.start = __atomic_load_n(&e->start, __ATOMIC_ACQUIRE);
	f.end = __atomic_load_n(&e->end, __ATOMIC_ACQUIRE);
	f.flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&e->idx, __ATOMIC_ACQUIRE) != idx)
		return -1;
	return f.start == seen->start && f.end == seen->end &&
	       (f.flags & READER_PERMS) == (seen->flags & READER_PERMS);
}

/* 1: seen after one of the operations lo..hi; 0: after none; -1: the record was overwritten. */
static int
reader_passed(struct st_first *ring, uint64_t lo, uint64_t hi, const struct st_first *seen)
{
	for (uint64_t i = lo; i <= hi; i++) {
		int r = reader_was(&ring[i % ST_RING], i, seen);

		if (r != 0)
			return r;
	}
	return 0;
}

static void
reader_fail(struct st_slot *slot, const char *space, unsigned k, const struct st_first *seen,
	    uint64_t version, uint64_t before, uint64_t after)
{
	slot->mismatches++;
	report_fail(slot,
		    "view reader of %s: the first VMA of client %u's slice showed as %llx-%llx "
		    "flags 0x%llx (view version %llu), which it was after none of the client's "
		    "operations %llu..%llu",
		    space, k, (unsigned long long)seen->start, (unsigned long long)seen->end,
		    (unsigned long long)seen->flags, (unsigned long long)version,
		    (unsigned long long)before, (unsigned long long)after);
}

/* One lookup in client k's slice: 0, -EUCLEAN for a state never passed, or the view's error. */
static int
reader_probe(struct st_shared *sh, struct vmac_view *v, const struct st_target *t, unsigned k,
	     struct st_slot *slot)
{
	const struct st_slot *owner = &sh->slots[k];
	struct vmac_view_vma vma = { 0 };
	struct st_first seen = { 0 };
	uint64_t before = __atomic_load_n(&owner->done, __ATOMIC_SEQ_CST), after;
	int rc = vmac_view_find_vma_intersection(v, t->lo, t->hi, &vma), was;

	after = __atomic_load_n(&owner->sent, __ATOMIC_SEQ_CST);
	if (rc == -EAGAIN)
		return 0;
	if (rc < 0)
		return rc;
	/* A restarted owner may go back to fewer operations sent: nothing to check then. */
	if (after < before || after - before >= ST_RING / 2)
		return 0;
	if (rc == VMAC_FOUND_VMA)
		seen = (struct st_first){ .start = vma.start, .end = vma.end, .flags = vma.flags };
	was = reader_passed(sh->firsts[k / 4], before, after, &seen);
	if (was < 0)
		return 0;
	slot->done++;
	if (was == 0) {
		reader_fail(slot, t->space, k, &seen, vma.version, before, after);
		return -EUCLEAN;
	}
	return 0;
}

/* The slice owners in space j. */
static unsigned
reader_owners(const struct st_opts *o, unsigned j, unsigned *owners)
{
	struct st_target t, mine;
	unsigned n = 0;

	shared_target(o, j, &mine);
	for (unsigned k = 0; k < o->clients; k++) {
		client_target(o, k, &t);
		if (client_runs(o, k) && t.slice && strcmp(t.space, mine.space) == 0)
			owners[n++] = k;
	}
	return n;
}

static int
reader_loop(const struct st_opts *o, struct st_shared *sh, struct vmac_view *v, unsigned j,
	    struct st_slot *slot)
{
	unsigned owners[ST_MAX_CLIENTS], n = reader_owners(o, j, owners);
	uint64_t dice = rng_seed(o->seed, 0x7ead0000ULL + j);
	const struct timespec pause = { 0, 200000 };
	struct st_target t;
	int rc = 0;

	while (n && rc == 0 && !sh->stop) {
		unsigned k = owners[rng_below(&dice, n)];

		client_target(o, k, &t);
		rc = reader_probe(sh, v, &t, k, slot);
		/* A pause, so that readers do not take the clients' processor time. */
		nanosleep(&pause, NULL);
	}
	if (rc < 0 && rc != -EUCLEAN)
		report_fail(slot, "view reader of space %u: a lookup failed: %s", j, strerror(-rc));
	return rc;
}

int
reader_main(const struct st_opts *o, struct st_shared *sh, unsigned j)
{
	struct st_slot *slot = &sh->slots[ST_READER_SLOT(j)];
	struct vmac_conn *c = NULL;
	struct vmac_view *v = NULL;
	struct st_target t;
	int rc;

	shared_target(o, j, &t);
	rc = vmac_connect(o->socket, &c);
	if (rc == 0)
		rc = vmac_view_open(c, t.space, &v);
	if (rc < 0)
		report_fail(slot, "view reader of %s: cannot open the view: %s", t.space,
			    strerror(-rc));
	else
		rc = reader_loop(o, sh, v, j, slot);
	vmac_view_close(v);
	vmac_close(c);
	if (rc < 0 && rc != -EUCLEAN)
		slot->mismatches++;
	slot->finished = rc == 0 ? 1 : -1;
	return rc == 0 ? 0 : 1;
}
