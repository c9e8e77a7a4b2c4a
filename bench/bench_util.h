/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the benchmark programs: a monotonic clock, a small deterministic random
 * generator, and a loop that runs an operation until an iteration count or a time budget is
 * reached, whichever comes first (so that a slow engine cannot stretch the run).
 */
#ifndef VMAD_BENCH_UTIL_H
#define VMAD_BENCH_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#define BENCH_NS_PER_SEC 1000000000ULL

/* Printed above the tables: sanitizers (and the engine's checks) slow everything down. */
#ifdef BENCH_SANITIZED
#define BENCH_BUILD_NOTE "note: a sanitizer build (SANITIZE=1): these figures are not comparable\n"
#else
#define BENCH_BUILD_NOTE ""
#endif

uint64_t bench_now_ns(void);

/* xorshift64*: fast and reproducible; quality is ample for picking addresses. */
struct bench_rng {
	uint64_t state;
};

void bench_rng_seed(struct bench_rng *rng, uint64_t seed);
uint64_t bench_rng_next(struct bench_rng *rng);
uint64_t bench_rng_below(struct bench_rng *rng, uint64_t bound);

/*
 * Runs iterations [first, first + count) of an operation; returns 0 or a negative errno.
 * On failure it names the failing call in *what.
 */
typedef int (*bench_op_fn)(void *ctx, uint64_t first, uint64_t count, const char **what);

/* One measured figure: ns per iteration, or the error that stopped it. */
struct bench_figure {
	bool measured;    /* false: not run (not applicable) */
	int err;          /* 0, or the negative errno that stopped the measurement */
	const char *what; /* the failing call when err != 0 */
	uint64_t iters;
	uint64_t ns;
};

void bench_time_op(bench_op_fn fn, void *ctx, uint64_t max_iters, uint64_t budget_ns,
		   struct bench_figure *out);
void bench_figure_fail(struct bench_figure *fig, int err, const char *what);
bool bench_figure_ok(const struct bench_figure *fig);
double bench_figure_ns(const struct bench_figure *fig);

/*
 * Other work on the machine makes every figure slower than the code is.  Started before the
 * measurements, bench_others_print() says how many CPUs processes other than this one and its
 * children kept busy meanwhile (children count once reaped), with a warning when it matters.
 */
struct bench_others {
	uint64_t busy_ns, own_ns, wall_ns;
};

void bench_others_start(struct bench_others *o);
void bench_others_print(const struct bench_others *o);

/* Text of a figure for a table cell: "123.4", "FAILED", or "n/a". */
const char *bench_figure_str(const struct bench_figure *fig, char *buf, unsigned size);
/* Text of a figure for the summary line: a rounded integer, "fail", or "na". */
const char *bench_figure_int(const struct bench_figure *fig, char *buf, unsigned size);

#endif
