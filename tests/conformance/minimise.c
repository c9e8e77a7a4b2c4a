/* SPDX-License-Identifier: MIT */
/*
 * Delta debugging (ddmin) over a failing sequence: drop chunks of operations while the engine
 * still disagrees with the kernel in the same family.  Operations keep their ids, so the ones
 * that pointed at a dropped op are skipped on both sides and are dropped in turn.
 */
#include <string.h>

#include "driver.h"

#define MAX_RUNS 600

struct mctx {
	const char *runner;
	const struct conf_host *host;
	const struct conf_files *files;
	enum conf_family family;
	int runs;
};

static bool
still_fails(struct mctx *m, const struct conf_seq *seq, struct conf_report *rep)
{
	struct conf_krun run;
	bool fails = false;

	m->runs++;
	if (conf_kernel_run(m->runner, m->files, seq, &run) == 0) {
		conf_check(m->host, m->files, seq, &run, rep);
		fails = rep->verdict == CONF_DISAGREE && rep->family == m->family;
	}
	conf_krun_free(&run);
	return fails;
}

/* seq without ops [from, to). */
static void
without(const struct conf_seq *seq, size_t from, size_t to, struct conf_seq *out)
{
	size_t n = 0;

	out->prog = seq->prog;
	for (size_t i = 0; i < seq->nops; i++) {
		if (i < from || i >= to)
			out->ops[n++] = seq->ops[i];
	}
	out->nops = n;
}

static bool
try_chunks(struct mctx *m, struct conf_seq *seq, size_t chunks, struct conf_seq *tmp,
	   struct conf_report *rep)
{
	size_t len = seq->nops;

	for (size_t c = 0; c < chunks && m->runs < MAX_RUNS; c++) {
		size_t from = len * c / chunks, to = len * (c + 1) / chunks;
		struct conf_report r;

		if (from == to)
			continue;
		without(seq, from, to, tmp);
		if (still_fails(m, tmp, &r)) {
			memcpy(seq, tmp, sizeof(*seq));
			*rep = r;
			return true;
		}
	}
	return false;
}

void
conf_minimise(const char *runner, const struct conf_host *host, const struct conf_files *files,
	      struct conf_seq *seq, struct conf_report *rep)
{
	static struct conf_seq tmp;
	struct mctx m = { runner, host, files, rep->family, 0 };
	size_t chunks = 2;

	while (seq->nops >= 2 && m.runs < MAX_RUNS) {
		if (try_chunks(&m, seq, chunks, &tmp, rep)) {
			chunks = chunks > 2 ? chunks - 1 : 2;
			continue;
		}
		if (chunks >= seq->nops)
			break;
		chunks = chunks * 2 < seq->nops ? chunks * 2 : seq->nops;
	}
}
