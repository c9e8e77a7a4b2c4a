/* SPDX-License-Identifier: MIT */
/*
 * The operations of a sequence.  Each one is drawn from the client's seeded generator and the
 * replay's current layout (never from the daemon's replies), so that a seed alone gives the
 * whole sequence again, whatever the daemon answered or however often the client was killed.
 * Addresses aim at and around existing VMAs, so that splits, merges, overlaps and the error
 * paths all occur; a slice's operations stay inside the slice and never move anything out of
 * it.
 */
#include "stress.h"

#define PAGE        4096ULL
#define HUGE        (2ULL << 20)
#define MANY_VMAS   400
#define TOPDOWN_TOP 0x7ffff7fff000ULL

struct gen_weight {
	enum st_kind kind;
	unsigned private_w, slice_w;
};

static const struct gen_weight gen_weights[] = {
	{ ST_MMAP, 22, 24 },   { ST_MUNMAP, 11, 12 }, { ST_MPROTECT, 12, 14 }, { ST_MREMAP, 9, 8 },
	{ ST_BRK, 5, 0 },      { ST_MADVISE, 8, 8 },  { ST_MLOCK, 4, 0 },      { ST_MUNLOCK, 3, 3 },
	{ ST_POPULATE, 5, 6 }, { ST_FAULT, 8, 12 },   { ST_FORK, 1, 0 },       { ST_FIND, 6, 9 },
	{ ST_MAPS, 2, 0 },     { ST_STATUS, 4, 0 },
};

static const int gen_advice[] = {
	VMAC_MADV_NORMAL,         VMAC_MADV_RANDOM,
	VMAC_MADV_SEQUENTIAL,     VMAC_MADV_WILLNEED,
	VMAC_MADV_DONTNEED,       VMAC_MADV_FREE,
	VMAC_MADV_REMOVE,         VMAC_MADV_DONTFORK,
	VMAC_MADV_DOFORK,         VMAC_MADV_MERGEABLE,
	VMAC_MADV_UNMERGEABLE,    VMAC_MADV_HUGEPAGE,
	VMAC_MADV_NOHUGEPAGE,     VMAC_MADV_DONTDUMP,
	VMAC_MADV_DODUMP,         VMAC_MADV_WIPEONFORK,
	VMAC_MADV_KEEPONFORK,     VMAC_MADV_COLD,
	VMAC_MADV_PAGEOUT,        VMAC_MADV_POPULATE_READ,
	VMAC_MADV_POPULATE_WRITE, 99,
};

static const uint32_t gen_mremap_flags[] = {
	0,
	VMAC_MREMAP_MAYMOVE,
	VMAC_MREMAP_MAYMOVE | VMAC_MREMAP_FIXED,
	VMAC_MREMAP_MAYMOVE | VMAC_MREMAP_DONTUNMAP,
	VMAC_MREMAP_MAYMOVE | VMAC_MREMAP_FIXED | VMAC_MREMAP_DONTUNMAP,
	VMAC_MREMAP_FIXED,
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

void
gen_init(struct gen *g, uint64_t seed, const struct st_target *t)
{
	g->rng = seed;
	g->t = t;
}

static bool
gen_chance(struct gen *g, unsigned percent)
{
	return rng_below(&g->rng, 100) < percent;
}

static enum st_kind
gen_kind(struct gen *g, struct replay *r)
{
	unsigned total = 0, pick;

	if (replay_count(r) > MANY_VMAS && gen_chance(g, 30))
		return ST_MUNMAP;
	for (size_t i = 0; i < NELEM(gen_weights); i++)
		total += g->t->slice ? gen_weights[i].slice_w : gen_weights[i].private_w;
	pick = (unsigned)rng_below(&g->rng, total);
	for (size_t i = 0; i < NELEM(gen_weights); i++) {
		unsigned w = g->t->slice ? gen_weights[i].slice_w : gen_weights[i].private_w;

		if (pick < w)
			return gen_weights[i].kind;
		pick -= w;
	}
	return ST_STATUS;
}

/* Pages: mostly a few, sometimes many, sometimes 2 MiB and more (THP alignment). */
static uint64_t
gen_len(struct gen *g)
{
	unsigned c = (unsigned)rng_below(&g->rng, 100);

	if (c < 70)
		return (1 + rng_below(&g->rng, 16)) * PAGE;
	if (c < 90)
		return (1 + rng_below(&g->rng, 512)) * PAGE;
	if (c < 96)
		return HUGE + rng_below(&g->rng, 512) * PAGE;
	if (c < 99)
		return 1 + rng_below(&g->rng, 3 * PAGE);
	return 0;
}

/* An address in or around a VMA, near the break or the mmap base, or anywhere. */
static uint64_t
gen_anchor(struct gen *g, struct replay *r)
{
	unsigned c = (unsigned)rng_below(&g->rng, 100);
	size_t n = replay_count(r);
	uint64_t start, end, flags, span;

	if (c < 65 && n) {
		replay_vma(r, (size_t)rng_below(&g->rng, n), &start, &end, &flags);
		span = (end - start) / PAGE + 8;
		start = start - 4 * PAGE + rng_below(&g->rng, span) * PAGE;
	} else if (c < 80 && !g->t->slice) {
		start = TOPDOWN_TOP - rng_below(&g->rng, 16384) * PAGE;
	} else if (c < 88 && !g->t->slice) {
		start = replay_brk(r) - 64 * PAGE + rng_below(&g->rng, 256) * PAGE;
	} else {
		start = g->t->lo + rng_below(&g->rng, (g->t->hi - g->t->lo) / PAGE) * PAGE;
	}
	if (g->t->slice && (start < g->t->lo || start >= g->t->hi))
		start = g->t->lo + rng_below(&g->rng, (g->t->hi - g->t->lo) / PAGE) * PAGE;
	if (!g->t->slice && gen_chance(g, 1))
		start += 1 + rng_below(&g->rng, PAGE - 1);
	return start;
}

/* A slice's ranges end inside it. */
static uint64_t
gen_fit(struct gen *g, uint64_t addr, uint64_t len)
{
	if (!g->t->slice || addr + len <= g->t->hi)
		return len;
	return g->t->hi - addr;
}

static uint32_t
gen_prot(struct gen *g)
{
	uint32_t prot = (uint32_t)rng_below(&g->rng, 8);

	if (!g->t->slice && gen_chance(g, 1))
		prot |= VMAC_PROT_GROWSDOWN;
	return prot;
}

static uint32_t
gen_mmap_flags(struct gen *g, bool file)
{
	uint32_t f = gen_chance(g, 75) ? VMAC_MAP_PRIVATE : VMAC_MAP_SHARED;

	if (gen_chance(g, 3))
		f = VMAC_MAP_SHARED_VALIDATE;
	/* Shared anonymous memory is numbered per space: a slice cannot know the number. */
	if (!file && g->t->slice)
		f = VMAC_MAP_PRIVATE;
	if (!file)
		f |= VMAC_MAP_ANONYMOUS;
	if (gen_chance(g, 5))
		f |= VMAC_MAP_POPULATE;
	if (gen_chance(g, 3))
		f |= VMAC_MAP_LOCKED;
	if (gen_chance(g, 5))
		f |= VMAC_MAP_NORESERVE;
	if (gen_chance(g, 2))
		f |= VMAC_MAP_STACK;
	if (!g->t->slice && !file && gen_chance(g, 2))
		f |= VMAC_MAP_GROWSDOWN;
	return f;
}

/*
 * A slice maps only files of unknown size, opened once: a fault beyond the end of a file
 * changes the VMA (it gets its anon_vma) although it fails, so it has no watch event, and a
 * watcher knows a file by its path alone.
 */
static int
gen_file(struct gen *g)
{
	int i;

	do
		i = (int)rng_below(&g->rng, st_nfiles);
	while (g->t->slice && st_files[i].size_known);
	return i;
}

static void
gen_mmap(struct gen *g, struct replay *r, struct st_op *op)
{
	unsigned place = (unsigned)rng_below(&g->rng, 100);
	bool file = gen_chance(g, 40);

	op->file = file ? gen_file(g) : -1;
	op->flags = gen_mmap_flags(g, file);
	op->prot = gen_prot(g) & ~(uint32_t)VMAC_PROT_GROWSDOWN;
	op->len = gen_len(g);
	if (file && !g->t->slice)
		op->offset = rng_below(&g->rng, 256) * PAGE;
	if (g->t->slice) {
		op->addr = gen_anchor(g, r) & ~(PAGE - 1);
		op->flags |= place < 70 ? VMAC_MAP_FIXED : VMAC_MAP_FIXED_NOREPLACE;
		op->len = gen_fit(g, op->addr, op->len ? op->len : PAGE);
		return;
	}
	if (place < 40)
		return;
	op->addr = gen_anchor(g, r);
	if (place >= 90)
		op->flags |= VMAC_MAP_FIXED_NOREPLACE;
	else if (place >= 65)
		op->flags |= VMAC_MAP_FIXED;
}

static void
gen_mremap(struct gen *g, struct replay *r, struct st_op *op)
{
	op->addr = gen_anchor(g, r);
	op->len = gen_len(g);
	op->new_len = gen_len(g);
	if (g->t->slice) {
		op->addr &= ~(PAGE - 1);
		op->len = gen_fit(g, op->addr, op->len);
		op->flags = gen_chance(g, 50) ? 0 : gen_mremap_flags[2 + 2 * rng_below(&g->rng, 2)];
		op->new_addr = op->flags ? gen_anchor(g, r) & ~(PAGE - 1) : op->addr;
		op->new_len = gen_fit(g, op->new_addr, op->new_len ? op->new_len : PAGE);
		op->new_addr = op->flags ? op->new_addr : 0;
		return;
	}
	op->flags = gen_mremap_flags[rng_below(&g->rng, NELEM(gen_mremap_flags))];
	if (op->flags & VMAC_MREMAP_FIXED)
		op->new_addr = gen_anchor(g, r);
}

/*
 * A failed request can still have changed the space (mprotect, madvise and mlock change the
 * VMAs before the hole or the refusal they stop at); watchers then get EVENT_CHANGED, which
 * says what to read again but cannot be replayed: a slice's ranges lie within one VMA, or
 * where nothing is mapped, so that every event of its space's stream replays.
 */
static void
gen_slice_range(struct gen *g, struct replay *r, struct st_op *op)
{
	size_t n = replay_count(r);
	uint64_t start, end, flags, pages;

	replay_vma(r, (size_t)rng_below(&g->rng, n), &start, &end, &flags);
	pages = (end - start) / PAGE;
	op->addr = start + rng_below(&g->rng, pages) * PAGE;
	op->len = (1 + rng_below(&g->rng, (end - op->addr) / PAGE)) * PAGE;
}

static void
gen_range(struct gen *g, struct replay *r, struct st_op *op)
{
	if (g->t->slice && replay_count(r) && gen_chance(g, 90)) {
		gen_slice_range(g, r, op);
		return;
	}
	op->addr = gen_anchor(g, r);
	op->len = gen_fit(g, op->addr, gen_len(g));
	if (g->t->slice && replay_count(r))
		op->addr = g->t->lo - PAGE - op->len; /* below the slice: nothing mapped */
}

static void
gen_fill(struct gen *g, struct replay *r, struct st_op *op)
{
	switch (op->kind) {
	case ST_MMAP:
		gen_mmap(g, r, op);
		break;
	case ST_MREMAP:
		gen_mremap(g, r, op);
		break;
	case ST_MPROTECT:
		gen_range(g, r, op);
		op->prot = gen_prot(g);
		break;
	case ST_BRK:
		op->addr = gen_chance(g, 10)
				   ? 0
				   : replay_brk(r) - 64 * PAGE + rng_below(&g->rng, 320) * PAGE;
		break;
	case ST_MADVISE:
		gen_range(g, r, op);
		op->arg = gen_advice[rng_below(&g->rng, NELEM(gen_advice))];
		/* Populating stops at the first page that cannot be populated, and fails. */
		if (g->t->slice &&
		    (op->arg == VMAC_MADV_POPULATE_READ || op->arg == VMAC_MADV_POPULATE_WRITE))
			op->arg = VMAC_MADV_WILLNEED;
		break;
	case ST_MLOCK:
		gen_range(g, r, op);
		op->arg = gen_chance(g, 3) ? 2 : (int)rng_below(&g->rng, 2);
		break;
	case ST_FAULT:
		op->addr = gen_anchor(g, r) + rng_below(&g->rng, PAGE);
		op->arg = (int)rng_below(&g->rng, 3);
		break;
	case ST_FIND:
		gen_range(g, r, op);
		op->arg = g->t->slice ? 2 : (int)rng_below(&g->rng, 3);
		op->len = op->len ? op->len : PAGE;
		break;
	case ST_FORK:
	case ST_MAPS:
	case ST_STATUS:
		break;
	default: /* munmap, munlock, populate */
		gen_range(g, r, op);
		op->arg = (int)rng_below(&g->rng, 2);
		break;
	}
}

void
gen_next(struct gen *g, struct replay *r, struct st_op *op)
{
	*op = (struct st_op){ .kind = gen_kind(g, r), .file = -1 };
	gen_fill(g, r, op);
}
