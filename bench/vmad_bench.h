/* SPDX-License-Identifier: MIT */
/* vmad-bench's measurements, shared by the driver (vmad_bench.c) and the report. */
#ifndef VMAD_BENCH_VMAD_BENCH_H
#define VMAD_BENCH_VMAD_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "bench_util.h"
#include "load.h"
#include "redis_side.h"

#define VB_SPACE_CELLS 10000
#define VB_ROUNDS      2
#define VB_WARMUP_NS   (BENCH_NS_PER_SEC / 4)
#define VB_MEASURE_NS  BENCH_NS_PER_SEC

/* The connection counts and pipeline depths both servers are measured at. */
enum vb_shape { C1_P1, C1_P16, C50_P1, C50_P16, VB_SHAPES };

struct vb_shape_desc {
	int conns, depth;
};
extern const struct vb_shape_desc vb_shapes[VB_SHAPES];

/* One way of loading vmad; the best of the rounds is kept. */
struct vb_case {
	enum load_op op;
	enum vb_shape shape;
	int threads;
	bool pipelined;
	bool protobuf_c; /* on the second daemon, whose wire is protobuf-c alone (VMAD_WIRE) */
	bool ran;
	struct load_result best;
};

struct vb_run {
	char dir[32];
	char vmad[4096];
	char note[512];     /* why vmad could not be measured at all */
	char pbc_note[512]; /* why the protobuf-c daemon could not be */
	char redis_note[256];
	bool redis_ran;
	struct redis_figures redis[VB_SHAPES]; /* the best of the rounds, per figure */
	struct vb_case *cases;
	unsigned ncases;
	struct bench_others others;
};

bool vb_case_ok(const struct vb_case *vc);
double vb_case_rps(const struct vb_case *vc);
/* Prints the table, the failures and the summary line. */
void vb_report(const struct vb_run *run);

#endif
