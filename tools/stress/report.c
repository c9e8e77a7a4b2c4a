/* SPDX-License-Identifier: MIT */
/* The first failure of each process, and the run's summary line. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "stress.h"

void
report_fail(struct st_slot *slot, const char *fmt, ...)
{
	va_list ap;

	if (slot->detail[0])
		return;
	va_start(ap, fmt);
	vsnprintf(slot->detail, sizeof(slot->detail), fmt, ap);
	va_end(ap);
	slot->fail_ns = now_ns();
}

static int
report_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The earliest failure of the run. */
static const struct st_slot *
report_first(const struct st_shared *sh, unsigned n)
{
	const struct st_slot *first = NULL;

	for (unsigned i = 0; i < ST_SLOTS; i++) {
		const struct st_slot *s = &sh->slots[i];

		if (i >= n && i < ST_MAX_CLIENTS)
			continue;
		if (s->detail[0] && (!first || s->fail_ns < first->fail_ns))
			first = s;
	}
	return first;
}

int
report_summary(const struct st_opts *o, const struct st_shared *sh, double secs, unsigned killed)
{
	static uint64_t hist[ST_HIST_BUCKETS];
	uint64_t ops = 0, lost = 0, dup = 0, mism = 0, progress[ST_MAX_CLIENTS];
	const struct st_slot *first;
	unsigned n = 0;
	bool failed = false;

	for (unsigned i = 0; i < ST_SLOTS; i++) {
		const struct st_slot *s = &sh->slots[i];
		bool client = i < ST_MAX_CLIENTS;

		if (client && !client_runs(o, i))
			continue;
		if (!client && (i - ST_MAX_CLIENTS) % ST_MAX_SHARED >= o->shared)
			continue;
		if (client)
			progress[n++] = s->done;
		ops += s->requests;
		lost += s->lost;
		dup += s->duplicated;
		mism += s->mismatches;
		failed |= s->finished != 1;
		for (unsigned b = 0; b < ST_HIST_BUCKETS; b++)
			hist[b] += s->hist[b];
	}
	qsort(progress, n, sizeof(progress[0]), report_cmp);
	printf("vmad-stress: clients=%u ops=%llu ops_per_s=%.0f p50_us=%llu p99_us=%llu "
	       "progress_min/median/max=%llu/%llu/%llu mismatches=%llu lost=%llu duplicated=%llu "
	       "killed=%u\n",
	       n, (unsigned long long)ops, secs > 0 ? (double)ops / secs : 0.0,
	       (unsigned long long)hist_quantile(hist, 0.5),
	       (unsigned long long)hist_quantile(hist, 0.99),
	       (unsigned long long)(n ? progress[0] : 0),
	       (unsigned long long)(n ? progress[n / 2] : 0),
	       (unsigned long long)(n ? progress[n - 1] : 0), (unsigned long long)mism,
	       (unsigned long long)lost, (unsigned long long)dup, killed);
	first = report_first(sh, o->clients);
	if (first)
		printf("first failure: %s\n", first->detail);
	else if (failed)
		printf("first failure: a process of the run ended without finishing its checks\n");
	fflush(stdout);
	return failed || mism || lost || dup || first ? 1 : 0;
}
