/* SPDX-License-Identifier: MIT */
/*
 * view-bench: lookups through a view (vmac_view_*) against the other ways of asking the same
 * question, and what views cost the daemon.  The last line is
 *
 *   view-bench: view_find_ns_64k=N view_find_ns_1M=N view_check_ns_64k=N local_find_ns_64k=N
 *               socket_find_ns_c1=N engine_find_ns_64k=N daemon_mmap_rps_views=N
 *               daemon_mmap_rps_noviews=N
 *
 * (one line).  Lookups are timed in the calling thread's CPU time (the socket's figure in
 * wall time: it waits for the daemon).  Spaces hold one-page VMAs two pages apart, alternately r--
 * and rw- so that none merge; lookups are at random addresses over the space.  The view figures are
 * measured here while vmad holds the space; daemon_mmap_rps_* are mmap+munmap pairs per second from
 * 50 connections (each on a space of its own, pipelines of 16 requests), with one view open on
 * every space and with none; above the line, the daemon's CPU time per pair in both cases,
 * which other work on a shared machine does not inflate as it does the rates.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "mm.h"
#include "proc.h"
#include "vmaclient.h"

#define BASE      0x10000000ULL
#define PAGE      4096ULL
#define N64K      65536u
#define N1M       (1u << 20)
#define LOOKUPS   (1u << 22)
#define CLIENTS   50
#define DEPTH     16
#define RPS_NS    (2 * BENCH_NS_PER_SEC)
#define ADDRS     (1u << 20)
#define FILL_STEP 4096u

static uint64_t addrs[ADDRS];

static void
make_addrs(uint64_t nvmas, uint64_t seed)
{
	struct bench_rng rng;

	bench_rng_seed(&rng, seed);
	for (unsigned i = 0; i < ADDRS; i++)
		addrs[i] = BASE + bench_rng_below(&rng, nvmas * 2 * PAGE - PAGE);
}

static uint32_t
vma_prot(uint64_t i)
{
	return i % 2 ? VMAC_PROT_READ : VMAC_PROT_READ | VMAC_PROT_WRITE;
}

/* n VMAs into a space, pipelined. */
static int
fill(struct vmac_conn *c, const char *name, uint64_t n)
{
	int r = 0, result;

	for (uint64_t first = 0; first < n && r >= 0; first += FILL_STEP) {
		r = vmac_pipeline_begin(c);
		for (uint64_t i = first; i < n && i < first + FILL_STEP && r >= 0; i++)
			r = vmac_mmap(c, name, BASE + i * 2 * PAGE, PAGE, vma_prot(i),
				      VMAC_MAP_PRIVATE | VMAC_MAP_ANONYMOUS | VMAC_MAP_FIXED, NULL,
				      0, NULL);
		if (r >= 0)
			r = vmac_pipeline_end(c);
		while (r >= 0 && (r = vmac_pipeline_next(c, &result)) > 0)
			r = result < 0 ? result : 1;
	}
	return r < 0 ? r : 0;
}

static int
space(struct vmac_conn *c, const char *name, uint64_t n)
{
	struct vmac_create_opts o = { .set = VMAC_OPT_MAX_MAP_COUNT, .max_map_count = 4 * N1M };
	int r = vmac_create(c, name, &o);

	return r < 0 ? r : fill(c, name, n);
}

/* ---- lookups ------------------------------------------------------------------------- */

/*
 * The machine is shared: lookups are timed in this thread's CPU time, which other processes
 * do not inflate (their pressure on the caches remains).
 */
static void
time_cpu(bench_op_fn fn, void *ctx, uint64_t iters, struct bench_figure *fig)
{
	struct timespec a, b;
	const char *what = NULL;
	int r;

	memset(fig, 0, sizeof(*fig));
	r = fn(ctx, 0, iters / 16, &what); /* warm the caches */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	if (r == 0)
		r = fn(ctx, 0, iters, &what);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	if (r < 0) {
		bench_figure_fail(fig, r, what);
		return;
	}
	fig->measured = true;
	fig->iters = iters;
	fig->ns = (uint64_t)(b.tv_sec - a.tv_sec) * BENCH_NS_PER_SEC + (uint64_t)b.tv_nsec -
		  (uint64_t)a.tv_nsec;
}

static int
view_find_op(void *ctx, uint64_t first, uint64_t count, const char **what)
{
	struct vmac_view_vma w;

	*what = "vmac_view_find_vma";
	for (uint64_t i = first; i < first + count; i++)
		if (vmac_view_find_vma(ctx, addrs[i % ADDRS], &w) != VMAC_FOUND_VMA)
			return -EIO;
	return 0;
}

static int
view_check_op(void *ctx, uint64_t first, uint64_t count, const char **what)
{
	uint64_t bad;

	*what = "vmac_view_check";
	for (uint64_t i = first; i < first + count; i++) {
		uint64_t a = addrs[i % ADDRS] & ~(PAGE - 1);
		int r = vmac_view_check(ctx, a, PAGE, VMAC_PROT_READ, &bad);
		/* Every other page is a hole: both answers are right, anything else is not. */
		if (r != 0 && r != -EFAULT)
			return r;
	}
	return 0;
}

struct conn_ctx {
	struct vmac_conn *c;
	const char *name;
};

static int
conn_find_op(void *ctx, uint64_t first, uint64_t count, const char **what)
{
	struct conn_ctx *cc = ctx;
	struct vmac_vma v;

	*what = "vmac_find_vma";
	for (uint64_t i = first; i < first + count; i++)
		if (vmac_find_vma(cc->c, cc->name, addrs[i % ADDRS], &v) != VMAC_FOUND_VMA)
			return -EIO;
	return 0;
}

static int
engine_find_op(void *ctx, uint64_t first, uint64_t count, const char **what)
{
	*what = "mm_find_vma";
	for (uint64_t i = first; i < first + count; i++)
		if (!mm_find_vma(ctx, addrs[i % ADDRS]))
			return -EIO;
	return 0;
}

static void
time_view(struct vmac_conn *c, const char *name, bench_op_fn fn, struct bench_figure *fig)
{
	struct vmac_view *v;
	int r = vmac_view_open(c, name, &v);

	if (r < 0) {
		bench_figure_fail(fig, r, "vmac_view_open");
		return;
	}
	time_cpu(fn, v, LOOKUPS, fig);
	vmac_view_close(v);
}

static void
time_engine(struct bench_figure *fig)
{
	struct mm_config cfg;
	struct mm *mm = NULL;
	uint64_t at;
	int r;

	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.max_map_count = 4 * N1M;
	r = mm_create(&cfg, &mm);
	for (uint64_t i = 0; i < N64K && r == 0; i++)
		r = mm_mmap(mm, BASE + i * 2 * PAGE, PAGE, vma_prot(i),
			    MM_MAP_PRIVATE | MM_MAP_ANONYMOUS | MM_MAP_FIXED, NULL, 0, &at);
	if (r == 0)
		time_cpu(engine_find_op, mm, LOOKUPS, fig);
	else
		bench_figure_fail(fig, r, "mm_mmap");
	mm_destroy(mm);
}

static void
time_local(struct bench_figure *fig)
{
	struct conn_ctx cc = { .name = "local" };
	int r = vmac_open_local(&cc.c);

	if (r == 0)
		r = space(cc.c, cc.name, N64K);
	if (r == 0)
		time_cpu(conn_find_op, &cc, LOOKUPS / 4, fig);
	else
		bench_figure_fail(fig, r, "local space");
	vmac_close(cc.c);
}

/* ---- the daemon's mmap throughput --------------------------------------------------------- */

struct client {
	pthread_t t;
	struct vmac_conn *c;
	char name[32];
	uint64_t pairs;
	int err;
	volatile int *stop;
};

/* Rounds of 8 mmap+munmap pairs (16 requests) until told to stop. */
static void *
client_main(void *arg)
{
	struct client *cl = arg;
	uint64_t a[DEPTH / 2];
	int r = 0, result;

	while (!*cl->stop && r >= 0) {
		r = vmac_pipeline_begin(cl->c);
		for (int i = 0; i < DEPTH / 2 && r >= 0; i++) {
			uint64_t at = BASE + (uint64_t)(2 * N64K + 2 * i) * PAGE;
			r = vmac_mmap(cl->c, cl->name, at, PAGE, VMAC_PROT_READ,
				      VMAC_MAP_PRIVATE | VMAC_MAP_ANONYMOUS | VMAC_MAP_FIXED, NULL,
				      0, &a[i]);
			if (r >= 0)
				r = vmac_munmap(cl->c, cl->name, at, PAGE);
		}
		if (r >= 0)
			r = vmac_pipeline_end(cl->c);
		while (r >= 0 && (r = vmac_pipeline_next(cl->c, &result)) > 0)
			r = result < 0 ? result : 1;
		if (r >= 0)
			cl->pairs += DEPTH / 2;
	}
	cl->err = r < 0 ? r : 0;
	return NULL;
}

static int
clients_open(const char *sock, struct client *cl, volatile int *stop)
{
	int r = 0;

	for (int i = 0; i < CLIENTS && r == 0; i++) {
		snprintf(cl[i].name, sizeof(cl[i].name), "rps%d", i);
		cl[i].stop = stop;
		r = vmac_connect(sock, &cl[i].c);
		if (r == 0)
			r = space(cl[i].c, cl[i].name, 1000);
	}
	return r;
}

/* The daemon's CPU time per pair of the last rps_run() (the machine may be shared). */
static pid_t vmad_pid;
static double rps_cpu_per_pair;

/* Pairs per second over RPS_NS, or 0 with *err. */
static double
rps_run(struct client *cl, int *err)
{
	volatile int *stop = cl[0].stop;
	uint64_t t0, pairs = 0, cpu0 = proc_cpu_ns(vmad_pid);

	*stop = 0;
	for (int i = 0; i < CLIENTS; i++) {
		cl[i].pairs = 0;
		pthread_create(&cl[i].t, NULL, client_main, &cl[i]);
	}
	t0 = bench_now_ns();
	usleep(RPS_NS / 1000);
	*stop = 1;
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(cl[i].t, NULL);
		pairs += cl[i].pairs;
		if (cl[i].err)
			*err = cl[i].err;
	}
	rps_cpu_per_pair = pairs ? (double)(proc_cpu_ns(vmad_pid) - cpu0) / (double)pairs : 0;
	return (double)pairs * 1e9 / (double)(bench_now_ns() - t0);
}

static void
time_rps(const char *sock, double *noviews, double *views, int *err)
{
	static struct client cl[CLIENTS];
	struct vmac_view *v[CLIENTS] = { 0 };
	volatile int stop = 0;
	double cpu = 0;

	cl[0].stop = &stop;
	*err = clients_open(sock, cl, &stop);
	if (*err == 0)
		*noviews = rps_run(cl, err);
	cpu = rps_cpu_per_pair;
	for (int i = 0; i < CLIENTS && *err == 0; i++)
		*err = vmac_view_open(cl[i].c, cl[i].name, &v[i]);
	if (*err == 0)
		*views = rps_run(cl, err);
	if (*err == 0)
		printf("vmad CPU time per mmap+munmap pair: %.0f ns without views, %.0f ns with\n",
		       cpu, rps_cpu_per_pair);
	for (int i = 0; i < CLIENTS; i++) {
		vmac_view_close(v[i]);
		vmac_close(cl[i].c);
	}
}

/* ---- the run --------------------------------------------------------------------------- */

struct figures {
	struct bench_figure view64k, view1m, check64k, local64k, socket, engine64k;
	double rps_views, rps_noviews;
	int rps_err;
};

static void
run_daemon(const char *sock, struct figures *f)
{
	struct conn_ctx cc = { .name = "v64k" };
	int r = vmac_connect(sock, &cc.c);

	if (r == 0)
		r = space(cc.c, "v64k", N64K);
	if (r < 0) {
		bench_figure_fail(&f->view64k, r, "setting up a space of 64k VMAs");
		return;
	}
	make_addrs(N64K, 1);
	time_view(cc.c, "v64k", view_find_op, &f->view64k);
	time_view(cc.c, "v64k", view_check_op, &f->check64k);
	bench_time_op(conn_find_op, &cc, 20000, BENCH_NS_PER_SEC, &f->socket);
	r = vmac_destroy(cc.c, "v64k");
	if (r == 0)
		r = space(cc.c, "v1m", N1M);
	make_addrs(N1M, 2);
	if (r == 0)
		time_view(cc.c, "v1m", view_find_op, &f->view1m);
	else
		bench_figure_fail(&f->view1m, r, "setting up a space of 1M VMAs");
	if (r == 0)
		r = vmac_destroy(cc.c, "v1m");
	vmac_close(cc.c);
	time_rps(sock, &f->rps_noviews, &f->rps_views, &f->rps_err);
}

static void
print_figures(const struct figures *f)
{
	char b[8][32];

	printf("%s", BENCH_BUILD_NOTE);
	printf("view-bench: view_find_ns_64k=%s view_find_ns_1M=%s view_check_ns_64k=%s "
	       "local_find_ns_64k=%s socket_find_ns_c1=%s engine_find_ns_64k=%s "
	       "daemon_mmap_rps_views=%.0f daemon_mmap_rps_noviews=%.0f\n",
	       bench_figure_int(&f->view64k, b[0], 32), bench_figure_int(&f->view1m, b[1], 32),
	       bench_figure_int(&f->check64k, b[2], 32), bench_figure_int(&f->local64k, b[3], 32),
	       bench_figure_int(&f->socket, b[4], 32), bench_figure_int(&f->engine64k, b[5], 32),
	       f->rps_views, f->rps_noviews);
}

int
main(int argc, char **argv)
{
	static struct figures f;
	char self[PATH_MAX - 16], vmad[PATH_MAX], dir[] = "/tmp/view-bench.XXXXXX", sock[128],
						  log[128];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	pid_t pid;
	int r;

	self[n > 0 ? n : 0] = '\0';
	if (strrchr(self, '/'))
		*strrchr(self, '/') = '\0';
	snprintf(vmad, sizeof(vmad), "%s", argc > 1 ? argv[1] : self);
	if (argc <= 1)
		strncat(vmad, "/vmad", sizeof(vmad) - strlen(vmad) - 1);
	if (!mkdtemp(dir))
		return 1;
	snprintf(sock, sizeof(sock), "%s/vmad.sock", dir);
	snprintf(log, sizeof(log), "%s/vmad.log", dir);
	char *av[] = { vmad, "-s", sock, NULL };
	r = proc_spawn(av, log, &pid);
	vmad_pid = pid;
	if (r == 0 && (r = proc_wait_socket(pid, sock, 10 * BENCH_NS_PER_SEC)) == 0)
		run_daemon(sock, &f);
	if (r == 0)
		proc_stop(pid);
	else
		fprintf(stderr, "view-bench: starting %s: %s\n", vmad, strerror(-r));
	make_addrs(N64K, 1);
	time_local(&f.local64k);
	time_engine(&f.engine64k);
	unlink(log);
	unlink(sock);
	rmdir(dir);
	if (f.rps_err)
		fprintf(stderr, "view-bench: mmap load: %s\n", strerror(-f.rps_err));
	print_figures(&f);
	return 0;
}
