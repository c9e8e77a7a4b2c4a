/* SPDX-License-Identifier: MIT */
/*
 * The Redis half of vmad-bench: a redis-server on a Unix socket in the bench's temporary
 * directory, measured with redis-benchmark at the same connection counts and pipeline depths.
 */
#ifndef VMAD_BENCH_REDIS_SIDE_H
#define VMAD_BENCH_REDIS_SIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Requests/s of one redis-benchmark run; a test that did not report stays at 0. */
struct redis_figures {
	double ping_inline, ping_mbulk, get;
	double cpu_ns_per_req; /* redis-server's CPU time over the whole run, per request */
	char error[160];       /* why the run failed; "" when it did not */
};

/* Whether redis-server and redis-benchmark are installed. */
bool redis_available(void);
/* Starts redis-server serving only sock (port 0, no persistence), logging to log_path. */
int redis_start(const char *dir, const char *sock, const char *log_path, pid_t *pid);
/* redis-benchmark -t ping,get with clients connections and pipeline depth. */
void redis_measure(pid_t server, const char *sock, int clients, int pipeline,
		   struct redis_figures *out);

#endif
