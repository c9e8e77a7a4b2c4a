/* SPDX-License-Identifier: MIT */
#include "redis_side.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "bench_util.h"
#include "proc.h"

#define START_TIMEOUT_NS (10 * BENCH_NS_PER_SEC)
#define RUN_TIMEOUT_NS   (60 * BENCH_NS_PER_SEC)
/*
 * Requests per test, about a second of work at the rates seen on a small machine (20k/s with
 * one connection, 8x that with fifty, 15x with a pipeline of 16).
 */
#define REQUESTS_BASE      20000
#define REQUESTS_MANY_CONN 8
#define REQUESTS_PIPELINED 15

bool
redis_available(void)
{
	return proc_in_path("redis-server") && proc_in_path("redis-benchmark");
}

int
redis_start(const char *dir, const char *sock, const char *log_path, pid_t *pid)
{
	char *argv[] = {
		"redis-server", "--port", "0", "--unixsocket", (char *)sock, "--unixsocketperm",
		"700",          "--save", "",  "--appendonly", "no",         "--dir",
		(char *)dir,    NULL,
	};
	int err = proc_spawn(argv, log_path, pid);

	if (err)
		return err;
	err = proc_wait_socket(*pid, sock, START_TIMEOUT_NS);
	if (err)
		proc_stop(*pid);
	return err;
}

/* One CSV line, '"NAME","rps",...': stores rps when NAME is a test we report. */
static void
parse_line(const char *line, struct redis_figures *out)
{
	const char *rps = strstr(line, "\",\"");
	double *slot = NULL;

	if (!rps)
		return;
	if (strncmp(line, "\"PING_INLINE\"", (size_t)(rps + 1 - line)) == 0)
		slot = &out->ping_inline;
	else if (strncmp(line, "\"PING_MBULK\"", (size_t)(rps + 1 - line)) == 0)
		slot = &out->ping_mbulk;
	else if (strncmp(line, "\"GET\"", (size_t)(rps + 1 - line)) == 0)
		slot = &out->get;
	if (slot)
		*slot = strtod(rps + 3, NULL);
}

void
redis_measure(pid_t server, const char *sock, int clients, int pipeline, struct redis_figures *out)
{
	char c[16], p[16], n[16], csv[4096];
	char *argv[] = {
		"redis-benchmark", "-s", (char *)sock, "-c", c, "-P", p, "-n", n, "-t",
		"ping,get",        "-q", "--csv",      NULL,
	};
	int requests = REQUESTS_BASE * (clients > 1 ? REQUESTS_MANY_CONN : 1) *
		       (pipeline > 1 ? REQUESTS_PIPELINED : 1);
	uint64_t cpu0 = proc_cpu_ns(server);
	int status;

	memset(out, 0, sizeof(*out));
	snprintf(c, sizeof(c), "%d", clients);
	snprintf(p, sizeof(p), "%d", pipeline);
	snprintf(n, sizeof(n), "%d", requests);
	status = proc_run(argv, csv, sizeof(csv), RUN_TIMEOUT_NS);
	/* Three tests ran: PING_INLINE, PING_MBULK and GET. */
	out->cpu_ns_per_req = (double)(proc_cpu_ns(server) - cpu0) / (3.0 * requests);
	if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(out->error, sizeof(out->error), "redis-benchmark failed (%s)",
			 status < 0 ? strerror(-status) : "exit status");
		return;
	}
	for (char *line = strtok(csv, "\n"); line; line = strtok(NULL, "\n"))
		parse_line(line, out);
	if (out->ping_inline <= 0 || out->ping_mbulk <= 0 || out->get <= 0)
		snprintf(out->error, sizeof(out->error), "redis-benchmark printed no figure");
}
