/* SPDX-License-Identifier: MIT */
/*
 * Random operation sequences.  Addresses refer to earlier results ("the address op 3 returned,
 * plus two pages"), to the fixed window, or to the initial break, so that a sequence keeps its
 * meaning when operations are dropped while minimising.  Most ranges land on or next to
 * existing mappings, so that merges, splits, errors and faults are all exercised.
 */
#include <stdio.h>
#include <string.h>

#include "driver.h"

#define PAGE CONF_PAGE
#define MIB  (1024ULL * 1024)

struct rng {
	uint64_t s;
};

/* A result the later operations may point at: an op id and how long the mapping was meant. */
struct producer {
	int32_t id;
	uint64_t len;
};

struct gen {
	struct rng rng;
	const struct conf_files *files;
	struct conf_seq *seq;
	struct producer prod[CONF_MAX_OPS];
	size_t nprod;
	int forks;
};

static uint64_t
next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]; lo when the range is empty. */
static int64_t
range(struct gen *g, int64_t lo, int64_t hi)
{
	if (hi < lo)
		return lo;
	return lo + (int64_t)(next(&g->rng) % (uint64_t)(hi - lo + 1));
}

static bool
chance(struct gen *g, unsigned percent)
{
	return next(&g->rng) % 100 < percent;
}

static uint32_t
pick_prot(struct gen *g)
{
	static const uint32_t prots[] = {
		MM_PROT_READ | MM_PROT_WRITE,
		MM_PROT_READ | MM_PROT_WRITE,
		MM_PROT_READ,
		MM_PROT_NONE,
		MM_PROT_READ | MM_PROT_EXEC,
		MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC,
		MM_PROT_WRITE,
	};
	return prots[range(g, 0, sizeof(prots) / sizeof(prots[0]) - 1)];
}

static uint64_t
pick_pages(struct gen *g)
{
	if (chance(g, 75))
		return (uint64_t)range(g, 1, 8);
	if (chance(g, 70))
		return (uint64_t)range(g, 9, 40);
	return (uint64_t)range(g, 41, 300);
}

/* An address range near an earlier mapping, in the window, or above the initial break. */
static void
pick_range(struct gen *g, struct conf_addr *a, uint64_t *len)
{
	uint64_t pages = pick_pages(g);

	if (g->nprod && chance(g, 75)) {
		const struct producer *p = &g->prod[range(g, 0, (int64_t)g->nprod - 1)];
		int64_t span = (int64_t)((p->len + PAGE - 1) / PAGE);

		a->base = p->id;
		if (chance(g, 60)) {
			/* Inside the mapping as it was made. */
			a->delta = range(g, 0, span - 1) * (int64_t)PAGE;
			pages = (uint64_t)range(g, 1, span - a->delta / (int64_t)PAGE);
		} else {
			a->delta = range(g, -2, span) * (int64_t)PAGE;
			pages = chance(g, 50) ? (uint64_t)range(g, 1, span + 2) : pages;
		}
	} else if (chance(g, 75)) {
		a->base = CONF_BASE_ABS;
		a->delta = (int64_t)(CONF_WINDOW + (uint64_t)range(g, 0, CONF_WINDOW_PAGES) * PAGE);
	} else {
		a->base = CONF_BASE_HEAP;
		a->delta = range(g, 0, 24) * (int64_t)PAGE;
	}
	*len = pages * PAGE;
	if (chance(g, 3))
		a->delta += range(g, 1, (int64_t)PAGE - 1);
	if (chance(g, 4))
		*len -= (uint64_t)range(g, 1, (int64_t)PAGE - 1);
	if (chance(g, 1))
		*len = 0;
}

static uint64_t
mmap_len(struct gen *g, bool hintless)
{
	if (hintless && chance(g, 8))
		return (uint64_t)range(g, 1, 3) * 2 * MIB + (chance(g, 30) ? PAGE : 0);
	if (chance(g, 5))
		return pick_pages(g) * PAGE - (uint64_t)range(g, 1, (int64_t)PAGE - 1);
	return pick_pages(g) * PAGE;
}

static uint32_t
mmap_extra_flags(struct gen *g, bool anon_private)
{
	uint32_t f = 0;

	if (chance(g, 12))
		f |= MM_MAP_POPULATE;
	if (chance(g, 5))
		f |= MM_MAP_LOCKED;
	if (chance(g, 8))
		f |= MM_MAP_NORESERVE;
	if (chance(g, anon_private ? 7 : 1))
		f |= MM_MAP_GROWSDOWN;
	if (chance(g, 5))
		f |= MM_MAP_STACK;
	if (chance(g, 4))
		f |= MM_MAP_32BIT;
	return f;
}

static void
mmap_placement(struct gen *g, struct conf_op *op, bool *hintless)
{
	int64_t r = range(g, 0, 99);
	uint64_t dummy;

	*hintless = false;
	if (r < 35) {
		op->addr.base = CONF_BASE_ABS;
		op->addr.delta = 0;
		*hintless = true;
	} else if (r < 85) {
		op->addr.base = CONF_BASE_ABS;
		op->addr.delta =
			(int64_t)(CONF_WINDOW + (uint64_t)range(g, 0, CONF_WINDOW_PAGES) * PAGE);
		op->flags |= r < 65 ? MM_MAP_FIXED : r < 75 ? MM_MAP_FIXED_NOREPLACE : 0;
	} else {
		pick_range(g, &op->addr, &dummy);
		op->flags |= r < 95 ? MM_MAP_FIXED : 0;
	}
}

static void
gen_mmap(struct gen *g, struct conf_op *op)
{
	int64_t kind = range(g, 0, 99);
	bool hintless;

	op->kind = CONF_OP_MMAP;
	op->file = -1;
	mmap_placement(g, op, &hintless);
	op->len = mmap_len(g, hintless);
	op->prot = pick_prot(g);
	if (kind < 50) {
		op->flags |= MM_MAP_PRIVATE | MM_MAP_ANONYMOUS;
	} else if (kind < 65) {
		op->flags |= MM_MAP_SHARED | MM_MAP_ANONYMOUS;
	} else {
		op->flags |= kind < 83 ? MM_MAP_PRIVATE : MM_MAP_SHARED;
		op->file = (int32_t)range(g, 0, (int64_t)g->seq->prog.nfiles - 1);
		/* Slot 2 is the 16-page file: stay mostly inside it (touching past EOF is SIGBUS).
		 */
		op->offset = (uint64_t)range(g, 0, op->file == 2 ? 8 : 32) * PAGE;
	}
	op->flags |= mmap_extra_flags(g, kind < 50);
	if (chance(g, 1))
		op->flags &= ~(uint32_t)MM_MAP_TYPE;
	if (chance(g, 1))
		op->len = 0;
	if (chance(g, 1))
		op->offset += 100;
	if (g->nprod < CONF_MAX_OPS)
		g->prod[g->nprod++] = (struct producer){ op->id, op->len ? op->len : PAGE };
}

/* A length 1..4 pages shorter, at least one page. */
static uint64_t
shrunk(struct gen *g, uint64_t len)
{
	int64_t pages = (int64_t)(len / PAGE);

	if (pages <= 1)
		return PAGE;
	return (uint64_t)(pages - range(g, 1, pages - 1 < 4 ? pages - 1 : 4)) * PAGE;
}

static void
gen_mremap(struct gen *g, struct conf_op *op)
{
	static const uint32_t flag_sets[] = { 0, 1, 1, 1, 3, 3, 5, 7, 2, 4 };
	int64_t shape = range(g, 0, 99);

	op->kind = CONF_OP_MREMAP;
	pick_range(g, &op->addr, &op->len);
	op->flags = flag_sets[range(g, 0, sizeof(flag_sets) / sizeof(flag_sets[0]) - 1)];
	if (shape < 20 || (op->flags & MM_MREMAP_DONTUNMAP && shape < 90))
		op->new_len = op->len;
	else if (shape < 45)
		op->new_len = shrunk(g, op->len);
	else
		op->new_len = op->len + (uint64_t)range(g, 1, 16) * PAGE;
	if (chance(g, 2))
		op->len = 0;
	if (op->flags & (MM_MREMAP_FIXED | MM_MREMAP_DONTUNMAP)) {
		uint64_t dummy;

		if (chance(g, 80)) {
			op->new_addr.base = CONF_BASE_ABS;
			op->new_addr.delta =
				(int64_t)(CONF_WINDOW +
					  (uint64_t)range(g, 0, CONF_WINDOW_PAGES) * PAGE);
		} else {
			pick_range(g, &op->new_addr, &dummy);
		}
	} else {
		op->new_addr.base = CONF_BASE_ABS;
	}
	/* Many mremaps fail, and ops pointing at a failed one are skipped: register fewer. */
	if (g->nprod < CONF_MAX_OPS && chance(g, 40))
		g->prod[g->nprod++] = (struct producer){ op->id, op->new_len };
}

static void
gen_touch(struct gen *g, struct conf_op *op)
{
	uint64_t len;

	op->kind = CONF_OP_TOUCH;
	pick_range(g, &op->addr, &len);
	op->addr.delta += range(g, 0, (int64_t)(len ? len - 1 : 0));
	if (chance(g, 6))
		op->addr.delta -= range(g, 1, 300) * (int64_t)PAGE;
	op->flags = chance(g, 60) ? 1 : 0;
}

static void
gen_madvise(struct gen *g, struct conf_op *op)
{
	static const int advice[] = {
		MM_MADV_DONTNEED,      MM_MADV_DONTNEED,       MM_MADV_DONTFORK,
		MM_MADV_DOFORK,        MM_MADV_WIPEONFORK,     MM_MADV_KEEPONFORK,
		MM_MADV_POPULATE_READ, MM_MADV_POPULATE_WRITE, MM_MADV_POPULATE_WRITE,
		MM_MADV_FREE,          MM_MADV_COLD,           MM_MADV_GUARD_INSTALL,
		MM_MADV_GUARD_INSTALL, MM_MADV_GUARD_REMOVE,   MM_MADV_HUGEPAGE,
		MM_MADV_NOHUGEPAGE,
	};
	bool whole;

	op->kind = CONF_OP_MADVISE;
	pick_range(g, &op->addr, &op->len);
	op->advice = advice[range(g, 0, sizeof(advice) / sizeof(advice[0]) - 1)];
	/* A whole 2 MiB+ mapping often enough that THP (an aligned 2 MiB block) can apply. */
	whole = op->advice == MM_MADV_HUGEPAGE && chance(g, 50);
	for (size_t i = 0; whole && i < g->nprod; i++)
		if (g->prod[i].len >= 2 * MIB) {
			op->addr.base = g->prod[i].id;
			op->addr.delta = 0;
			op->len = g->prod[i].len;
			break;
		}
}

static void
gen_brk(struct gen *g, struct conf_op *op)
{
	op->kind = CONF_OP_BRK;
	op->addr.base = chance(g, 12) ? CONF_BASE_ABS : CONF_BASE_HEAP;
	op->addr.delta = op->addr.base == CONF_BASE_ABS ? 0 : range(g, 0, 40) * (int64_t)PAGE;
	if (op->addr.base == CONF_BASE_HEAP && chance(g, 20))
		op->addr.delta += range(g, 1, (int64_t)PAGE - 1);
}

/*
 * Lengths near 2^47, 2^63 and 2^64, and ones that take a range from the window past the end
 * of the task, for every operation with a length (the runner tries them in a throwaway child).
 * No such mmap asks to be populated or locked: a read-only mapping of 96 TiB is granted, and
 * filling its page tables would take the machine's memory.  (The sequence's other mappings
 * are small, so populating or locking ranges that reach far is harmless.)
 */
static void
gen_odd_length(struct gen *g, struct conf_op *op)
{
	static const uint64_t odd[] = {
		1ULL << 63,
		(1ULL << 63) - PAGE,
		(1ULL << 63) + PAGE,
		0 - PAGE,
		UINT64_MAX,
		0 - (PAGE - 1),
		1ULL << 47,
		(1ULL << 47) - PAGE,
		1ULL << 48,
		0x7ffffffff000ULL - CONF_WINDOW + PAGE,
		0x7ffffffff000ULL - CONF_WINDOW,
	};
	uint64_t len = odd[range(g, 0, sizeof(odd) / sizeof(odd[0]) - 1)];

	if (op->kind == CONF_OP_BRK || op->kind == CONF_OP_TOUCH || op->kind == CONF_OP_FORK ||
	    op->kind == CONF_OP_MLOCKALL || op->kind == CONF_OP_MUNLOCKALL ||
	    op->kind == CONF_OP_PKEY_ALLOC || op->kind == CONF_OP_PKEY_FREE || !chance(g, 3))
		return;
	op->flags &= op->kind == CONF_OP_MMAP ? ~(uint32_t)(MM_MAP_POPULATE | MM_MAP_LOCKED) : ~0u;
	op->probe = 1;
	if (op->kind == CONF_OP_MREMAP && chance(g, 40))
		op->new_len = len;
	else
		op->len = len;
}

/* mlockall: mostly a valid combination, now and then one the kernel refuses. */
static void
gen_mlockall(struct gen *g, struct conf_op *op)
{
	static const uint32_t valid[] = {
		MM_MCL_CURRENT,
		MM_MCL_FUTURE,
		MM_MCL_CURRENT | MM_MCL_FUTURE,
		MM_MCL_CURRENT | MM_MCL_ONFAULT,
		MM_MCL_FUTURE | MM_MCL_ONFAULT,
		MM_MCL_CURRENT | MM_MCL_FUTURE | MM_MCL_ONFAULT,
	};
	static const uint32_t invalid[] = { 0, MM_MCL_ONFAULT, 8, MM_MCL_CURRENT | 8 };

	if (chance(g, 30)) {
		op->kind = CONF_OP_MUNLOCKALL;
		return;
	}
	op->kind = CONF_OP_MLOCKALL;
	if (chance(g, 10))
		op->flags = invalid[range(g, 0, sizeof(invalid) / sizeof(invalid[0]) - 1)];
	else
		op->flags = valid[range(g, 0, sizeof(valid) / sizeof(valid[0]) - 1)];
}

/*
 * The protection-key calls, which this machine (a CPU without PKU) refuses: the first
 * pkey_alloc with EINVAL and later ones with ENOSPC, every key but -1 with EINVAL.
 */
static void
gen_pkey(struct gen *g, struct conf_op *op)
{
	int64_t r = range(g, 0, 9);

	if (r < 4) {
		op->kind = CONF_OP_PKEY_ALLOC;
		op->flags = chance(g, 10) ? 1 : 0;
		op->prot = (uint32_t)range(g, 0, 4);
	} else if (r < 6) {
		op->kind = CONF_OP_PKEY_FREE;
		op->advice = (int32_t)range(g, -1, 16);
	} else {
		op->kind = CONF_OP_PKEY_MPROTECT;
		pick_range(g, &op->addr, &op->len);
		op->prot = pick_prot(g);
		op->advice = chance(g, 50) ? -1 : (int32_t)range(g, -2, 16);
	}
}

static void
gen_op(struct gen *g, struct conf_op *op)
{
	int64_t r = range(g, 0, 99);

	if (r < 28) {
		gen_mmap(g, op);
	} else if (r < 38) {
		op->kind = CONF_OP_MUNMAP;
		pick_range(g, &op->addr, &op->len);
	} else if (r < 50) {
		op->kind = CONF_OP_MPROTECT;
		pick_range(g, &op->addr, &op->len);
		op->prot = pick_prot(g) | (chance(g, 3) ? MM_PROT_GROWSDOWN : 0);
	} else if (r < 60) {
		gen_mremap(g, op);
	} else if (r < 65) {
		gen_brk(g, op);
	} else if (r < 78) {
		gen_touch(g, op);
	} else if (r < 80) {
		op->kind = CONF_OP_ANON_NAME;
		pick_range(g, &op->addr, &op->len);
		op->flags = (uint32_t)range(g, 0, CONF_ANON_NAME_COUNT);
	} else if (r < 88) {
		gen_madvise(g, op);
	} else if (r < 91) {
		op->kind = chance(g, 60) ? CONF_OP_MLOCK : CONF_OP_MUNLOCK;
		pick_range(g, &op->addr, &op->len);
		op->flags = op->kind == CONF_OP_MLOCK && chance(g, 30) ? MM_MLOCK_ONFAULT : 0;
	} else if (r < 92) {
		gen_mlockall(g, op);
	} else if (r < 95) {
		op->kind = CONF_OP_MSEAL;
		pick_range(g, &op->addr, &op->len);
		op->flags = chance(g, 3) ? 1 : 0;
	} else if (r < 97) {
		gen_pkey(g, op);
	} else if (g->forks < 2) {
		op->kind = CONF_OP_FORK;
		g->forks++;
	} else {
		gen_touch(g, op);
	}
	gen_odd_length(g, op);
}

/* One sequence in four runs under small limits, without CAP_IPC_LOCK for the memlock one. */
static void
gen_limits(struct gen *g, struct conf_seq *seq)
{
	static const uint64_t memlock[] = { 0, 4 * PAGE, 16 * PAGE, 64 * PAGE };

	if (!chance(g, 25))
		return;
	seq->prog.limits = (uint32_t)range(g, 1, 7);
	if (chance(g, 25))
		seq->prog.limits = (seq->prog.limits & ~CONF_LIMIT_DATA) | CONF_LIMIT_DATA_ABS;
	seq->prog.memlock = memlock[range(g, 0, 3)];
	seq->prog.data_headroom = (uint64_t)range(g, 0, 96) * PAGE;
	seq->prog.as_headroom = (uint64_t)range(g, 0, 160) * PAGE;
}

/* One sequence in eight runs bottom-up (ADDR_COMPAT_LAYOUT), with READ_IMPLIES_EXEC, or both. */
static void
gen_personality(struct gen *g, struct conf_seq *seq)
{
	static const uint32_t pers[] = { MM_PER_ADDR_COMPAT_LAYOUT, MM_PER_READ_IMPLIES_EXEC,
					 MM_PER_ADDR_COMPAT_LAYOUT | MM_PER_READ_IMPLIES_EXEC };

	if (chance(g, 12))
		seq->prog.personality = pers[range(g, 0, 2)];
}

void
conf_seq_files(const struct conf_files *files, uint64_t seed, struct conf_seq *seq)
{
	/* Slots 0 and 1 are two opens of the big file, slot 2 the small one, slot 3 /dev/zero. */
	static const int which[] = { 0, 0, 1 };

	seq->prog.nfiles = 4;
	for (int i = 0; i < 3; i++) {
		snprintf(seq->prog.files[i].path, CONF_PATH_MAX, "%s", files->path[which[i]]);
		seq->prog.files[i].writable = i == 1 ? 0 : (int32_t)((seed >> i) & 1) | (i == 0);
	}
	snprintf(seq->prog.files[3].path, CONF_PATH_MAX, "%s", CONF_DEV_ZERO);
	seq->prog.files[3].writable = (int32_t)((seed >> 3) & 1);
}

void
conf_gen_sequence(uint64_t seed, const struct conf_files *files, struct conf_seq *seq)
{
	struct gen g = { .rng = { seed * 0x2545f4914f6cdd1dULL + 1 }, .files = files, .seq = seq };

	memset(seq, 0, sizeof(*seq));
	conf_seq_files(files, next(&g.rng), seq);
	gen_limits(&g, seq);
	gen_personality(&g, seq);
	seq->nops = (size_t)range(&g, 6, 40);
	for (size_t i = 0; i < seq->nops; i++) {
		struct conf_op *op = &seq->ops[i];

		op->id = (int32_t)i;
		op->file = -1;
		op->addr.base = CONF_BASE_ABS;
		op->new_addr.base = CONF_BASE_ABS;
		gen_op(&g, op);
	}
}
