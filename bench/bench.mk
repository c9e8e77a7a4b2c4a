# bench/: benchmark programs, run by `make bench` (never timed assertions in tests).
#   vma-bench   the engine against this machine's kernel, ns per operation and bytes per VMA
VMA_BENCH      := $(B)/vma-bench
VMA_BENCH_OBJS := $(addprefix $(B)/bench/,vma_bench.o engine_ops.o kernel_ops.o lattice.o bench_util.o)
BENCHES        += $(VMA_BENCH)

$(VMA_BENCH): $(VMA_BENCH_OBJS) $(ENGINE_A)
	$(CC) $(BASE_LDFLAGS) -o $@ $^
