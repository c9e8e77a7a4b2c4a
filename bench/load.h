/* SPDX-License-Identifier: MIT */
/*
 * The vmad load generator: connections to a running vmad driven through libvmaclient, either
 * one call and one reply at a time (a thread per connection) or in pipelined rounds (one
 * thread sends a pipeline of `depth` requests on each of its connections, then collects the
 * replies).  Every reply is checked; a wrong one stops the measurement.
 */
#ifndef VMAD_BENCH_LOAD_H
#define VMAD_BENCH_LOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum load_op {
	LOAD_PING,
	LOAD_FIND, /* find_vma at random addresses that have a VMA at or above them */
	/*
	 * mmap of one page (MAP_FIXED) and munmap of it, alternately; each connection at its
	 * own address from spec->base on, in space spec->space.  Two requests make one pair.
	 */
	LOAD_MAP_PAIR,
};

struct load_spec {
	const char *sock;
	pid_t server; /* the daemon, whose CPU time is measured alongside */
	enum load_op op;
	const char *space;     /* LOAD_FIND */
	const uint64_t *addrs; /* LOAD_FIND: addresses to look up, used in turn */
	unsigned naddrs;
	uint64_t base;             /* LOAD_MAP_PAIR */
	int conns, depth, threads; /* threads divides conns */
	bool pipelined;            /* false: one call, one reply (depth must be 1) */
	uint64_t warmup_ns, measure_ns;
	/*
	 * At least this many rounds (conns * depth requests each) are measured, from the end of
	 * one round to the end of another, even if that takes longer than measure_ns (a slow
	 * mode, e.g. an fdatasync per request, may not finish one round in the window); but
	 * never past max_ns after the warm-up.  0: the window alone.
	 */
	unsigned min_rounds;
	uint64_t max_ns;
};

struct load_result {
	uint64_t requests; /* answered during the measured interval */
	uint64_t ns;
	uint64_t server_cpu_ns; /* the daemon's CPU time during the measured interval */
	uint64_t client_cpu_ns; /* the load generator's own, to tell when it is the limit */
	int err;                /* 0, or what stopped a worker */
	const char *what;       /* the failing call */
};

/* Runs the load; returns 0 or the first worker's error (also in out->err). */
int load_run(const struct load_spec *spec, struct load_result *out);

#endif
