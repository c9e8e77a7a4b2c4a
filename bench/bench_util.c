/* SPDX-License-Identifier: MIT */
#include "bench_util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

/* Iterations between two reads of the clock: enough to make the clock's cost negligible. */
#define BENCH_BATCH 256

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * BENCH_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

void
bench_rng_seed(struct bench_rng *rng, uint64_t seed)
{
	rng->state = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

uint64_t
bench_rng_next(struct bench_rng *rng)
{
	uint64_t x = rng->state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng->state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

uint64_t
bench_rng_below(struct bench_rng *rng, uint64_t bound)
{
	return bench_rng_next(rng) % bound;
}

void
bench_time_op(bench_op_fn fn, void *ctx, uint64_t max_iters, uint64_t budget_ns,
	      struct bench_figure *out)
{
	uint64_t start = bench_now_ns();
	uint64_t done = 0;

	memset(out, 0, sizeof(*out));
	out->measured = true;
	while (done < max_iters) {
		uint64_t n = max_iters - done < BENCH_BATCH ? max_iters - done : BENCH_BATCH;
		int err = fn(ctx, done, n, &out->what);

		if (err) {
			out->err = err;
			break;
		}
		done += n;
		if (bench_now_ns() - start >= budget_ns)
			break;
	}
	out->iters = done;
	out->ns = bench_now_ns() - start;
}

void
bench_figure_fail(struct bench_figure *fig, int err, const char *what)
{
	memset(fig, 0, sizeof(*fig));
	fig->measured = true;
	fig->err = err;
	fig->what = what;
}

bool
bench_figure_ok(const struct bench_figure *fig)
{
	return fig->measured && fig->err == 0 && fig->iters > 0;
}

double
bench_figure_ns(const struct bench_figure *fig)
{
	return (double)fig->ns / (double)fig->iters;
}

const char *
bench_figure_str(const struct bench_figure *fig, char *buf, unsigned size)
{
	if (!fig->measured)
		snprintf(buf, size, "n/a");
	else if (!bench_figure_ok(fig))
		snprintf(buf, size, "FAILED");
	else
		snprintf(buf, size, "%.1f", bench_figure_ns(fig));
	return buf;
}

const char *
bench_figure_int(const struct bench_figure *fig, char *buf, unsigned size)
{
	if (!fig->measured)
		snprintf(buf, size, "na");
	else if (!bench_figure_ok(fig))
		snprintf(buf, size, "fail");
	else
		snprintf(buf, size, "%.0f", bench_figure_ns(fig));
	return buf;
}

/* Time all CPUs spent busy (not idle or waiting for I/O), stolen time included. */
static uint64_t
machine_busy_ns(void)
{
	unsigned long long user, nice, sys, idle, iowait, irq, softirq, steal;
	FILE *f = fopen("/proc/stat", "r");
	int n = 0;

	if (f) {
		n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys,
			   &idle, &iowait, &irq, &softirq, &steal);
		fclose(f);
	}
	if (n != 8)
		return 0;
	return (user + nice + sys + irq + softirq + steal) *
	       (BENCH_NS_PER_SEC / (uint64_t)sysconf(_SC_CLK_TCK));
}

static uint64_t
tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * BENCH_NS_PER_SEC + (uint64_t)tv.tv_usec * 1000;
}

static uint64_t
own_cpu_ns(void)
{
	struct rusage self, children;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	return tv_ns(self.ru_utime) + tv_ns(self.ru_stime) + tv_ns(children.ru_utime) +
	       tv_ns(children.ru_stime);
}

void
bench_others_start(struct bench_others *o)
{
	o->busy_ns = machine_busy_ns();
	o->own_ns = own_cpu_ns();
	o->wall_ns = bench_now_ns();
}

void
bench_others_print(const struct bench_others *o)
{
	uint64_t busy = machine_busy_ns() - o->busy_ns, own = own_cpu_ns() - o->own_ns;
	double others =
		busy > own ? (double)(busy - own) / (double)(bench_now_ns() - o->wall_ns) : 0.0;

	if (o->busy_ns == 0)
		return;
	printf("other processes kept %.2f of %ld CPUs busy during the run%s\n", others,
	       sysconf(_SC_NPROCESSORS_ONLN),
	       others > 0.25 ? ": the figures are slower than an idle machine gives" : "");
}
