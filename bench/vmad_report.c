/* SPDX-License-Identifier: MIT */
/* vmad-bench's output: the table, what failed, and the summary line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmad_bench.h"

bool
vb_case_ok(const struct vb_case *vc)
{
	return vc->ran && vc->best.err == 0 && vc->best.requests > 0;
}

double
vb_case_rps(const struct vb_case *vc)
{
	return (double)vc->best.requests * (double)BENCH_NS_PER_SEC / (double)vc->best.ns;
}

static const char *
op_name(enum load_op op)
{
	return op == LOAD_FIND ? "find_vma" : "ping";
}

/* Redis's figure for the same op and shape: the better PING form, GET for find_vma; 0: none. */
static double
redis_rps(const struct vb_run *run, enum load_op op, enum vb_shape shape)
{
	const struct redis_figures *r = &run->redis[shape];

	if (!run->redis_ran || r->error[0])
		return 0;
	if (op == LOAD_FIND)
		return r->get;
	return r->ping_inline > r->ping_mbulk ? r->ping_inline : r->ping_mbulk;
}

static void
print_row(const struct vb_run *run, const struct vb_case *vc)
{
	double redis = redis_rps(run, vc->op, vc->shape);
	char vmad[16] = "FAILED", vcpu[16] = "", gen[16] = "", rcell[16] = "n/a", rcpu[16] = "";
	char ratio[16] = "", form[32];

	if (vb_case_ok(vc)) {
		snprintf(vmad, sizeof(vmad), "%.0f", vb_case_rps(vc));
		snprintf(vcpu, sizeof(vcpu), "%.2f",
			 (double)vc->best.server_cpu_ns / 1000.0 / (double)vc->best.requests);
		snprintf(gen, sizeof(gen), "%.0f%%",
			 100.0 * (double)vc->best.client_cpu_ns / (double)vc->best.ns);
	}
	if (redis > 0) {
		snprintf(rcell, sizeof(rcell), "%.0f", redis);
		snprintf(rcpu, sizeof(rcpu), "%.2f", run->redis[vc->shape].cpu_ns_per_req / 1000.0);
	}
	if (vb_case_ok(vc) && redis > 0)
		snprintf(ratio, sizeof(ratio), "%.2fx %s", vb_case_rps(vc) / redis,
			 vb_case_rps(vc) >= redis ? "pass" : "miss");
	snprintf(form, sizeof(form), "%s, %d thr", vc->pipelined ? "pipelined" : "call/reply",
		 vc->threads);
	printf("%-8s %3d %3d  %-19s %10s %6s %5s   %-4s %10s %6s  %s\n", op_name(vc->op),
	       vb_shapes[vc->shape].conns, vb_shapes[vc->shape].depth, form, vmad, vcpu, gen,
	       vc->op == LOAD_FIND ? "GET" : "PING", rcell, rcpu, ratio);
}

static void
print_failures(const struct vb_run *run)
{
	if (run->note[0])
		printf("  FAILED vmad: %s\n", run->note);
	for (unsigned i = 0; i < run->ncases; i++) {
		const struct vb_case *vc = &run->cases[i];

		if (vc->ran && !vb_case_ok(vc))
			printf("  FAILED vmad %s c%d p%d: %s: %s\n", op_name(vc->op),
			       vb_shapes[vc->shape].conns, vb_shapes[vc->shape].depth,
			       vc->best.what ? vc->best.what : "no request answered",
			       strerror(vc->best.err ? -vc->best.err : EIO));
	}
	for (int s = 0; run->redis_ran && s < VB_SHAPES; s++) {
		if (run->redis[s].error[0])
			printf("  FAILED redis c%d p%d: %s\n", vb_shapes[s].conns,
			       vb_shapes[s].depth, run->redis[s].error);
	}
	if (run->redis_note[0])
		printf("  %s\n", run->redis_note);
}

static void
print_table(const struct vb_run *run)
{
	printf("%s", BENCH_BUILD_NOTE);
	printf("vmad-bench: vmad vs redis-server on a Unix socket, requests/s (higher is "
	       "better), best of %d rounds\n",
	       VB_ROUNDS);
	printf("vmad: libvmaclient; find_vma at random addresses of a %d-VMA space; %.2f s "
	       "warm-up, %.1f s measured\n",
	       VB_SPACE_CELLS, (double)VB_WARMUP_NS / BENCH_NS_PER_SEC,
	       (double)VB_MEASURE_NS / BENCH_NS_PER_SEC);
	printf("redis: redis-benchmark -q --csv; PING = the better of PING_INLINE and PING_MBULK; "
	       "GET of a missing key\n");
	printf("cpu: the server's CPU time per request in us (Redis: averaged over its three "
	       "tests); gen: the load generator's CPU use (100%% = one CPU)\n");
	bench_others_print(&run->others);
	printf("\n");
	printf("%-8s %3s %3s  %-19s %10s %6s %5s   %-4s %10s %6s  %s\n", "op", "c", "P",
	       "vmad client", "vmad req/s", "cpu", "gen", "vs", "redis req/s", "cpu",
	       "vmad/redis (>=1: pass)");
	for (unsigned i = 0; i < run->ncases; i++) {
		if (!run->cases[i].protobuf_c)
			print_row(run, &run->cases[i]);
	}
	print_failures(run);
}

/* The codec's case with the same load as a protobuf-c one. */
static const struct vb_case *
codec_twin(const struct vb_run *run, const struct vb_case *pbc)
{
	for (unsigned i = 0; i < run->ncases; i++) {
		const struct vb_case *vc = &run->cases[i];

		if (!vc->protobuf_c && vc->op == pbc->op && vc->shape == pbc->shape &&
		    vc->threads == pbc->threads && vc->pipelined == pbc->pipelined)
			return vc;
	}
	return NULL;
}

static double
cpu_us(const struct vb_case *vc)
{
	return (double)vc->best.server_cpu_ns / 1000.0 / (double)vc->best.requests;
}

static void
print_codec_row(const struct vb_case *codec, const struct vb_case *pbc)
{
	char a[16] = "FAILED", acpu[16] = "", b[16] = "FAILED", bcpu[16] = "", ratio[32] = "";

	if (vb_case_ok(codec)) {
		snprintf(a, sizeof(a), "%.0f", vb_case_rps(codec));
		snprintf(acpu, sizeof(acpu), "%.2f", cpu_us(codec));
	}
	if (vb_case_ok(pbc)) {
		snprintf(b, sizeof(b), "%.0f", vb_case_rps(pbc));
		snprintf(bcpu, sizeof(bcpu), "%.2f", cpu_us(pbc));
	}
	if (vb_case_ok(codec) && vb_case_ok(pbc))
		snprintf(ratio, sizeof(ratio), "%.2fx  %.2fx",
			 vb_case_rps(codec) / vb_case_rps(pbc), cpu_us(pbc) / cpu_us(codec));
	printf("%-8s %3d %3d  %d thr  %10s %6s  %10s %6s  %s\n", op_name(codec->op),
	       vb_shapes[codec->shape].conns, vb_shapes[codec->shape].depth, codec->threads, a,
	       acpu, b, bcpu, ratio);
}

/* vmad's own codec against protobuf-c's pack and unpack, the same load one after the other. */
static void
print_codec(const struct vb_run *run)
{
	printf("\ncodec A/B: vmad's one-pass codec vs protobuf-c alone (VMAD_WIRE=protobuf-c), "
	       "req/s and the daemon's CPU us per request\n");
	printf("%-8s %3s %3s  %-5s  %10s %6s  %10s %6s  %s\n", "op", "c", "P", "gen", "codec",
	       "cpu", "protobuf-c", "cpu", "req/s and cpu gain");
	for (unsigned i = 0; i < run->ncases; i++) {
		const struct vb_case *pbc = &run->cases[i], *codec;

		if (pbc->protobuf_c && (codec = codec_twin(run, pbc)) != NULL)
			print_codec_row(codec, pbc);
	}
	if (run->pbc_note[0])
		printf("  FAILED protobuf-c vmad: %s\n", run->pbc_note);
}

/* vmad's figure for op and shape: the best client form; "fail" if any form failed. */
static const char *
vmad_str(const struct vb_run *run, enum load_op op, enum vb_shape shape, char *buf, size_t size)
{
	double best = 0;
	bool failed = false;

	for (unsigned i = 0; i < run->ncases; i++) {
		const struct vb_case *vc = &run->cases[i];

		if (vc->op != op || vc->shape != shape || vc->protobuf_c)
			continue;
		if (!vb_case_ok(vc))
			failed = true;
		else if (vb_case_rps(vc) > best)
			best = vb_case_rps(vc);
	}
	if (failed || best <= 0)
		snprintf(buf, size, "fail");
	else
		snprintf(buf, size, "%.0f", best);
	return buf;
}

static const char *
redis_str(const struct vb_run *run, enum load_op op, enum vb_shape shape, char *buf, size_t size)
{
	if (!run->redis_ran)
		snprintf(buf, size, "skipped");
	else if (redis_rps(run, op, shape) <= 0)
		snprintf(buf, size, "fail");
	else
		snprintf(buf, size, "%.0f", redis_rps(run, op, shape));
	return buf;
}

void
vb_report(const struct vb_run *run)
{
	char a[24], b[24], c[24], d[24], e[24], f[24];

	print_table(run);
	print_codec(run);
	printf("vmad-bench: vmad_ping_rps_c50_p16=%s redis_ping_rps_c50_p16=%s "
	       "vmad_find_rps_c50_p16=%s redis_get_rps_c50_p16=%s vmad_ping_rps_c1_p1=%s "
	       "redis_ping_rps_c1_p1=%s\n",
	       vmad_str(run, LOAD_PING, C50_P16, a, sizeof(a)),
	       redis_str(run, LOAD_PING, C50_P16, b, sizeof(b)),
	       vmad_str(run, LOAD_FIND, C50_P16, c, sizeof(c)),
	       redis_str(run, LOAD_FIND, C50_P16, d, sizeof(d)),
	       vmad_str(run, LOAD_PING, C1_P1, e, sizeof(e)),
	       redis_str(run, LOAD_PING, C1_P1, f, sizeof(f)));
}
