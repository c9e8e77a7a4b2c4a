/* SPDX-License-Identifier: MIT */
/*
 * vma-bench: the engine's costs at 1k, 64k and 1M VMAs, beside the same operations as real
 * system calls on this machine's kernel (1k and 64k VMAs: the kernel's max_map_count is 65530),
 * and the engine's heap per VMA.  Prints a table, the targets with pass/miss, and ends with one
 * summary line.  A failing engine operation is reported as failed, never given a number.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench_util.h"
#include "engine_ops.h"
#include "kernel_ops.h"
#include "lattice.h"

#define FIGURE_BUDGET_NS (BENCH_NS_PER_SEC * 2 / 5)
#define FIGURE_REPS      3
#define WARMUP_BUDGET_NS (BENCH_NS_PER_SEC / 20)
#define BUILD_BUDGET_NS  (BENCH_NS_PER_SEC * 30)
#define MAX_ITERS        50000000ULL

#define TARGET_FIND_NS     100.0
#define TARGET_KERNEL_FRAC 0.1
#define TARGET_BYTES       128.0

struct size_run {
	const char *label;
	uint64_t cells;
	bool kernel; /* the kernel can hold this many */
	struct bench_figure eng[LAT_OPS], ker[LAT_OPS];
	bool mem_ok;
	double heap_per_vma, rss_per_vma;
	char note[512]; /* why the engine side failed, when the reason is not a static string */
};

static const char *const op_names[LAT_OPS] = {
	[LAT_FIND] = "find_vma (random address)",
	[LAT_FIND_QUIET] = "find_vma, quiet space (flat index)",
	[LAT_MMAP] = "mmap+munmap 1 page in a hole",
	[LAT_MPROTECT] = "mprotect split + merge back",
	[LAT_PLACE] = "mmap(no hint) 2 pages+munmap",
};

static struct size_run runs[] = {
	{ .label = "1k", .cells = 1000, .kernel = true },
	{ .label = "64k", .cells = 64000, .kernel = true },
	{ .label = "1M", .cells = 1000000, .kernel = false },
};
#define NRUNS (sizeof(runs) / sizeof(runs[0]))

/* After a warm-up, the fastest of a few repetitions: other load on the machine only slows. */
static void
measure(bench_op_fn fn, void *ctx, struct bench_figure *fig)
{
	struct bench_figure rep;

	bench_time_op(fn, ctx, LAT_PICKS, WARMUP_BUDGET_NS, fig);
	for (int r = 0; r < FIGURE_REPS && fig->err == 0; r++) {
		bench_time_op(fn, ctx, MAX_ITERS, FIGURE_BUDGET_NS / FIGURE_REPS, &rep);
		if (r == 0 || rep.err || bench_figure_ns(&rep) < bench_figure_ns(fig))
			*fig = rep;
	}
}

static void
fail_all(struct bench_figure *figs, int err, const char *what)
{
	for (int op = 0; op < LAT_OPS; op++)
		bench_figure_fail(&figs[op], err, what);
}

static uint64_t
heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static uint64_t
rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/*
 * Maps the lattice in two halves and charges each VMA what the second half cost: the mm's
 * fixed allocations are not a per-VMA cost.
 */
static int
build_engine(struct size_run *run, struct ebench *eb)
{
	const char *what = NULL;
	uint64_t heap0, rss0, half = run->cells / 2, built = 0;
	int err = ebench_create(eb, run->cells, &what);

	if (!err)
		err = ebench_build(eb, half, BUILD_BUDGET_NS, &built, &what);
	heap0 = heap_bytes();
	rss0 = rss_bytes();
	if (!err)
		err = ebench_build(eb, run->cells, BUILD_BUDGET_NS, &built, &what);
	if (err) {
		snprintf(run->note, sizeof(run->note), "%s (%llu of %llu VMAs mapped)", what,
			 (unsigned long long)built, (unsigned long long)run->cells);
		fail_all(run->eng, err, run->note);
		return err;
	}
	run->mem_ok = true;
	run->heap_per_vma = (double)(int64_t)(heap_bytes() - heap0) / (double)(run->cells - half);
	run->rss_per_vma = (double)(int64_t)(rss_bytes() - rss0) / (double)(run->cells - half);
	err = ebench_check(eb, run->note, sizeof(run->note));
	if (err)
		fail_all(run->eng, err, run->note);
	return err;
}

static void
run_engine(struct size_run *run)
{
	struct ebench eb;

	if (build_engine(run, &eb) == 0) {
		for (int op = 0; op < LAT_OPS; op++) {
			measure(ebench_op(op), &eb, &run->eng[op]);
			if (run->eng[op].err)
				break;
			/* An operation that leaves the mm wrong does not earn a figure. */
			if (ebench_check(&eb, run->note, sizeof(run->note))) {
				bench_figure_fail(&run->eng[op], -EBADMSG, run->note);
				break;
			}
		}
	}
	ebench_destroy(&eb);
}

static void
run_kernel(struct size_run *run)
{
	struct lattice lat;
	const char *what = NULL;
	int err;

	if (!run->kernel)
		return;
	err = kbench_build(&lat, run->cells, &what);
	if (err) {
		fail_all(run->ker, err, what);
		return;
	}
	for (int op = 0; op < LAT_OPS; op++) {
		if (kbench_op(op))
			measure(kbench_op(op), &lat, &run->ker[op]);
	}
	kbench_destroy(&lat);
}

static void
print_op_rows(enum lat_op op)
{
	char e[32], k[32], ratio[32];

	for (size_t i = 0; i < NRUNS; i++) {
		const struct size_run *run = &runs[i];

		snprintf(ratio, sizeof(ratio), "%s", "");
		if (bench_figure_ok(&run->eng[op]) && bench_figure_ok(&run->ker[op]))
			snprintf(ratio, sizeof(ratio), "%.3fx",
				 bench_figure_ns(&run->eng[op]) / bench_figure_ns(&run->ker[op]));
		printf("%-32s %8llu %12s %12s %10s\n", op_names[op], (unsigned long long)run->cells,
		       bench_figure_str(&run->eng[op], e, sizeof(e)),
		       bench_figure_str(&run->ker[op], k, sizeof(k)), ratio);
	}
}

static void
print_memory_rows(void)
{
	for (size_t i = 0; i < NRUNS; i++) {
		const struct size_run *run = &runs[i];

		if (run->mem_ok)
			printf("%-32s %8llu %12.3f %12s (RSS growth %.1f B/VMA)\n",
			       "heap bytes per VMA (mallinfo2)*", (unsigned long long)run->cells,
			       run->heap_per_vma, "", run->rss_per_vma);
		else
			printf("%-32s %8llu %12s\n", "heap bytes per VMA (mallinfo2)*",
			       (unsigned long long)run->cells, "FAILED");
	}
}

static void
print_failures(const char *side, const struct size_run *run, const struct bench_figure *figs)
{
	for (int op = 0; op < LAT_OPS; op++) {
		const struct bench_figure *fig = &figs[op];

		if (fig->measured && fig->err)
			printf("  FAILED %s %s at %s VMAs: %s: %s (%d)\n", side, op_names[op],
			       run->label, fig->what ? fig->what : "?", strerror(-fig->err),
			       fig->err);
	}
}

static const char *
max_map_count(void)
{
	static char buf[32] = "?";
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			snprintf(buf, sizeof(buf), "?");
		buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
	return buf;
}

static void
print_table(const struct bench_others *others)
{
	struct utsname u;

	uname(&u);
	printf("%s", BENCH_BUILD_NOTE);
	printf("vma-bench: engine (lib/) vs the kernel of this machine (%s %s), ns per operation\n",
	       u.sysname, u.release);
	printf("lattice: cells of a 2-page VMA + a 1-page hole; random cells and addresses; "
	       "the best of %d runs of up to %.2f s per figure\n",
	       FIGURE_REPS, (double)FIGURE_BUDGET_NS / FIGURE_REPS / BENCH_NS_PER_SEC);
	bench_others_print(others);
	printf("\n");
	printf("%-32s %8s %12s %12s %10s\n", "operation", "VMAs", "engine ns", "kernel ns",
	       "eng/kern");
	for (int op = 0; op < LAT_OPS; op++)
		print_op_rows(op);
	print_memory_rows();
	printf("kernel n/a: find_vma has no system call; 1M VMAs are over vm.max_map_count (%s)\n",
	       max_map_count());
	printf("*: what mapping the second half of the lattice added, per VMA (fixed costs "
	       "excluded)\n");
	for (size_t i = 0; i < NRUNS; i++) {
		print_failures("engine", &runs[i], runs[i].eng);
		print_failures("kernel", &runs[i], runs[i].ker);
	}
}

static void
print_target_ns(const char *name, const struct bench_figure *fig, double limit)
{
	char buf[32];

	if (!bench_figure_ok(fig)) {
		printf("  %-44s %-34s miss (failed)\n", name,
		       bench_figure_str(fig, buf, sizeof(buf)));
		return;
	}
	snprintf(buf, sizeof(buf), "%.1f ns", bench_figure_ns(fig));
	printf("  %-44s %-34s %s (%.2fx the limit)\n", name, buf,
	       bench_figure_ns(fig) <= limit ? "pass" : "miss", bench_figure_ns(fig) / limit);
}

static void
print_target_vs_kernel(const char *name, const struct bench_figure *eng,
		       const struct bench_figure *ker)
{
	char buf[64];

	if (!bench_figure_ok(eng) || !bench_figure_ok(ker)) {
		printf("  %-44s %-34s miss (failed)\n", name, "FAILED");
		return;
	}
	snprintf(buf, sizeof(buf), "%.1f ns = %.3fx of %.1f ns", bench_figure_ns(eng),
		 bench_figure_ns(eng) / bench_figure_ns(ker), bench_figure_ns(ker));
	printf("  %-44s %-34s %s (%.2fx the limit)\n", name, buf,
	       bench_figure_ns(eng) <= TARGET_KERNEL_FRAC * bench_figure_ns(ker) ? "pass" : "miss",
	       bench_figure_ns(eng) / (TARGET_KERNEL_FRAC * bench_figure_ns(ker)));
}

static void
print_targets(const struct size_run *r64k, const struct size_run *r1m)
{
	char buf[32];

	printf("\ntargets\n");
	print_target_ns("find_vma at 1M VMAs <= 100 ns", &r1m->eng[LAT_FIND], TARGET_FIND_NS);
	print_target_ns("  the same in a quiet space (flat index)", &r1m->eng[LAT_FIND_QUIET],
			TARGET_FIND_NS);
	print_target_vs_kernel("mmap+munmap at 64k VMAs <= 0.1x kernel", &r64k->eng[LAT_MMAP],
			       &r64k->ker[LAT_MMAP]);
	print_target_vs_kernel("mprotect pair at 64k VMAs <= 0.1x kernel", &r64k->eng[LAT_MPROTECT],
			       &r64k->ker[LAT_MPROTECT]);
	if (!r1m->mem_ok) {
		printf("  %-44s %-34s miss (failed)\n", "heap per VMA at 1M VMAs <= 128 bytes",
		       "FAILED");
		return;
	}
	snprintf(buf, sizeof(buf), "%.3f bytes", r1m->heap_per_vma);
	printf("  %-44s %-34s %s (%.2fx the limit)\n", "heap per VMA at 1M VMAs <= 128 bytes", buf,
	       r1m->heap_per_vma <= TARGET_BYTES ? "pass" : "miss",
	       r1m->heap_per_vma / TARGET_BYTES);
}

static void
print_summary(const struct size_run *r64k, const struct size_run *r1m)
{
	char a[16], q[16], b[16], c[16], d[16], e[16], mem[16];

	if (r1m->mem_ok)
		snprintf(mem, sizeof(mem), "%.0f", r1m->heap_per_vma);
	else
		snprintf(mem, sizeof(mem), "fail");
	printf("vma-bench: find_ns_1M=%s find_quiet_ns_1M=%s mmap_munmap_ns_64k=%s "
	       "kernel_mmap_munmap_ns_64k=%s mprotect_ns_64k=%s kernel_mprotect_ns_64k=%s "
	       "bytes_per_vma=%s\n",
	       bench_figure_int(&r1m->eng[LAT_FIND], a, sizeof(a)),
	       bench_figure_int(&r1m->eng[LAT_FIND_QUIET], q, sizeof(q)),
	       bench_figure_int(&r64k->eng[LAT_MMAP], b, sizeof(b)),
	       bench_figure_int(&r64k->ker[LAT_MMAP], c, sizeof(c)),
	       bench_figure_int(&r64k->eng[LAT_MPROTECT], d, sizeof(d)),
	       bench_figure_int(&r64k->ker[LAT_MPROTECT], e, sizeof(e)), mem);
}

int
main(void)
{
	struct bench_others others;

	bench_others_start(&others);
	for (size_t i = 0; i < NRUNS; i++) {
		run_kernel(&runs[i]);
		run_engine(&runs[i]);
	}
	print_table(&others);
	print_targets(&runs[1], &runs[2]);
	print_summary(&runs[1], &runs[2]);
	return 0;
}
