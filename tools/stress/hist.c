/* SPDX-License-Identifier: MIT */
/*
 * Latency histograms: exact below 64 us, then 32 buckets per power of two (about 3% wide),
 * so that the shared memory of a run holds one fixed array per client.
 */
#include <time.h>

#include "stress.h"

#define HIST_LINEAR 64
#define HIST_SUB    32

static unsigned
hist_index(uint64_t us)
{
	unsigned e, idx;

	if (us < HIST_LINEAR)
		return (unsigned)us;
	e = 63u - (unsigned)__builtin_clzll(us);
	idx = HIST_LINEAR + (e - 6) * HIST_SUB + (unsigned)((us >> (e - 5)) & (HIST_SUB - 1));
	return idx < ST_HIST_BUCKETS ? idx : ST_HIST_BUCKETS - 1;
}

/* The smallest value of a bucket. */
static uint64_t
hist_value(unsigned idx)
{
	unsigned e, sub;

	if (idx < HIST_LINEAR)
		return idx;
	e = (idx - HIST_LINEAR) / HIST_SUB + 6;
	sub = (idx - HIST_LINEAR) % HIST_SUB;
	return (uint64_t)(HIST_SUB + sub) << (e - 5);
}

void
hist_add(uint64_t *hist, uint64_t us)
{
	hist[hist_index(us)]++;
}

uint64_t
hist_quantile(const uint64_t *hist, double q)
{
	uint64_t total = 0, seen = 0, want;

	for (unsigned i = 0; i < ST_HIST_BUCKETS; i++)
		total += hist[i];
	if (total == 0)
		return 0;
	want = (uint64_t)(q * (double)total);
	if (want >= total)
		want = total - 1;
	for (unsigned i = 0; i < ST_HIST_BUCKETS; i++) {
		seen += hist[i];
		if (seen > want)
			return hist_value(i);
	}
	return hist_value(ST_HIST_BUCKETS - 1);
}

uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
