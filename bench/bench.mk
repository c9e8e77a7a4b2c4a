# SPDX-License-Identifier: MIT
# bench/: benchmark programs, run by `make bench` (never timed assertions in tests).
#   vma-bench    the engine against this machine's kernel: ns per operation, bytes per VMA
#   vmad-bench   the daemon against redis-server on a Unix socket: requests/s
#   durability-bench  what --state-dir costs (pairs/s per --sync mode), recovery of 1M VMAs
BENCH_COMMON   := $(B)/bench/bench_util.o $(B)/bench/lattice.o

VMA_BENCH      := $(B)/vma-bench
VMA_BENCH_OBJS := $(addprefix $(B)/bench/,vma_bench.o engine_ops.o kernel_ops.o)

VMAD_BENCH      := $(B)/vmad-bench
VMAD_BENCH_OBJS := $(addprefix $(B)/bench/,vmad_bench.o vmad_report.o load.o proc.o redis_side.o)

# fair-bench  a light client's p99 latency beside 49 pipelining clients, against idle
FAIR_BENCH      := $(B)/fair-bench
FAIR_BENCH_OBJS := $(B)/bench/fair_bench.o $(B)/bench/proc.o

DUR_BENCH      := $(B)/durability-bench
DUR_BENCH_OBJS := $(addprefix $(B)/bench/,durability_bench.o load.o proc.o)

VIEW_BENCH      := $(B)/view-bench
VIEW_BENCH_OBJS := $(B)/bench/view_bench.o $(B)/bench/proc.o

BENCHES += $(VMA_BENCH) $(VMAD_BENCH) $(VIEW_BENCH) $(DUR_BENCH) $(FAIR_BENCH)

# A sanitizer build (and the engine's checker after every operation) is far slower: the
# programs say so above their tables.
ifeq ($(SANITIZE),1)
$(VMA_BENCH_OBJS) $(VMAD_BENCH_OBJS): BENCH_CFLAGS := -DBENCH_SANITIZED
endif

$(VMA_BENCH_OBJS): EXTRA_CFLAGS = $(BENCH_CFLAGS)
$(VMA_BENCH): $(VMA_BENCH_OBJS) $(BENCH_COMMON) $(ENGINE_A)
	$(CC) $(BASE_LDFLAGS) -o $@ $^

$(VMAD_BENCH_OBJS): EXTRA_CFLAGS = -Iclient $(BENCH_CFLAGS)
$(VMAD_BENCH): $(VMAD_BENCH_OBJS) $(BENCH_COMMON) $(CLIENT_A)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(call PC_LIBS,libprotobuf-c) -lpthread

$(B)/bench/fair_bench.o: EXTRA_CFLAGS = -Iclient $(call PC_CFLAGS,libprotobuf-c) $(BENCH_CFLAGS)
$(B)/bench/fair_bench.o: | $(PROTO_H)
$(FAIR_BENCH): $(FAIR_BENCH_OBJS) $(BENCH_COMMON) $(CLIENT_A) $(PROTO_OBJ)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(call PC_LIBS,libprotobuf-c) -lpthread

$(B)/bench/durability_bench.o: EXTRA_CFLAGS = -Iclient $(BENCH_CFLAGS)
$(DUR_BENCH): $(DUR_BENCH_OBJS) $(BENCH_COMMON) $(CLIENT_A) | $(VMAD)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(call PC_LIBS,libprotobuf-c) -lpthread

# view-bench: views, local mode, the socket and the engine side by side.  The engine's own
# archive gives engine_find_ns; the client archive's copy of it is hidden.
$(B)/bench/view_bench.o: EXTRA_CFLAGS = -Iclient $(BENCH_CFLAGS)
$(VIEW_BENCH): $(VIEW_BENCH_OBJS) $(BENCH_COMMON) $(CLIENT_A) $(ENGINE_A)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(call PC_LIBS,libprotobuf-c) -lpthread

# redis-server and redis-benchmark for the Redis side of vmad-bench: installed when root,
# otherwise the apt-get line is printed and vmad-bench skips that side.
.PHONY: bench-redis-deps
bench-run: bench-redis-deps
bench-redis-deps:
	@sh bench/redis-deps.sh
