/*
 * vmad-bench: requests/s of vmad over libvmaclient, beside redis-server measured with
 * redis-benchmark on the same kind of socket (a Unix socket in a fresh temporary directory),
 * at 1 and 50 connections and pipeline depths 1 and 16.  Starts and stops both servers
 * itself.  Usage: vmad-bench [PATH-TO-VMAD]  (default: the vmad beside this program).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "lattice.h"
#include "load.h"
#include "proc.h"
#include "redis_side.h"
#include "vmaclient.h"

#define SPACE            "bench"
#define SPACE_CELLS      10000
#define SPACE_BASE       0x10000000000ULL
#define SETUP_CHUNK      1000
#define START_TIMEOUT_NS (10 * BENCH_NS_PER_SEC)
#define WARMUP_NS        (BENCH_NS_PER_SEC / 4)
#define MEASURE_NS       (BENCH_NS_PER_SEC * 3 / 2)
/* Nothing here should take long; a hang is ended by SIGALRM (children get SIGTERM). */
#define ALARM_SEC 600

/* The connection counts and pipeline depths both servers are measured at. */
enum shape { C1_P1, C1_P16, C50_P1, C50_P16, SHAPES };
static const struct {
	int conns, depth;
} shapes[SHAPES] = {
	[C1_P1] = { 1, 1 },
	[C1_P16] = { 1, 16 },
	[C50_P1] = { 50, 1 },
	[C50_P16] = { 50, 16 },
};

struct vmad_case {
	enum load_op op;
	enum shape shape;
	int threads;
	bool pipelined;
	struct load_result res;
	bool ran;
};

/*
 * One call and one reply needs a thread per connection; the pipelined form lets one thread
 * drive every connection, as redis-benchmark does.  At 50 connections and depth 1 both forms
 * are measured.
 */
static struct vmad_case cases[] = {
	{ .op = LOAD_PING, .shape = C1_P1, .threads = 1, .pipelined = false },
	{ .op = LOAD_PING, .shape = C1_P16, .threads = 1, .pipelined = true },
	{ .op = LOAD_PING, .shape = C50_P1, .threads = 50, .pipelined = false },
	{ .op = LOAD_PING, .shape = C50_P1, .threads = 1, .pipelined = true },
	{ .op = LOAD_PING, .shape = C50_P16, .threads = 1, .pipelined = true },
	{ .op = LOAD_FIND, .shape = C1_P1, .threads = 1, .pipelined = false },
	{ .op = LOAD_FIND, .shape = C1_P16, .threads = 1, .pipelined = true },
	{ .op = LOAD_FIND, .shape = C50_P1, .threads = 50, .pipelined = false },
	{ .op = LOAD_FIND, .shape = C50_P1, .threads = 1, .pipelined = true },
	{ .op = LOAD_FIND, .shape = C50_P16, .threads = 1, .pipelined = true },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

struct run {
	char dir[32];
	char vmad[PATH_MAX];
	char note[512]; /* why the vmad half failed as a whole */
	bool redis_ran;
	char redis_note[256];
	struct redis_figures redis[SHAPES];
	struct lattice lat;
};

static void
path_in(const struct run *run, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", run->dir, name);
}

/* The vmad beside this program, unless a path was given. */
static void
find_vmad(struct run *run, int argc, char **argv)
{
	char self[PATH_MAX - 16];
	ssize_t n;

	if (argc > 1) {
		snprintf(run->vmad, sizeof(run->vmad), "%s", argv[1]);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	if (strrchr(self, '/'))
		*strrchr(self, '/') = '\0';
	snprintf(run->vmad, sizeof(run->vmad), "%s/vmad", n > 0 ? self : "build");
}

/* Queues a chunk of the lattice's mmaps and checks every reply. */
static int
map_chunk(struct vmac_conn *c, uint64_t first, uint64_t count)
{
	int r = vmac_pipeline_begin(c), result;

	for (uint64_t i = first; r == 0 && i < first + count; i++)
		r = vmac_mmap(
			c, SPACE, SPACE_BASE + i * LAT_CELL_SIZE, LAT_VMA_SIZE, VMAC_PROT_READ,
			VMAC_MAP_PRIVATE | VMAC_MAP_ANONYMOUS | VMAC_MAP_FIXED, NULL, 0, NULL);
	if (r < 0)
		return r;
	r = vmac_pipeline_end(c);
	if (r < 0)
		return r;
	while ((r = vmac_pipeline_next(c, &result)) == 1) {
		if (result < 0)
			return result;
	}
	return r;
}

static int
fill_space(struct vmac_conn *c)
{
	struct vmac_status st;
	int err = vmac_create(c, SPACE, NULL);

	for (uint64_t i = 0; !err && i < SPACE_CELLS; i += SETUP_CHUNK)
		err = map_chunk(c, i, SETUP_CHUNK);
	if (!err)
		err = vmac_status(c, SPACE, &st);
	if (!err && st.map_count != SPACE_CELLS)
		err = -EBADMSG;
	return err;
}

/* The space find_vma runs on: SPACE_CELLS VMAs of two pages, each followed by a hole. */
static int
setup_space(struct run *run, const char *sock)
{
	struct vmac_conn *c = NULL;
	int err = vmac_connect(sock, &c);

	if (!err) {
		vmac_set_timeout(c, 10000);
		err = fill_space(c);
	}
	vmac_close(c);
	if (!err)
		err = lat_init(&run->lat, SPACE_BASE, SPACE_CELLS, 42);
	if (err)
		snprintf(run->note, sizeof(run->note), "setting up space \"%s\": %s", SPACE,
			 strerror(-err));
	return err;
}

static void
run_case(struct run *run, struct vmad_case *vc, pid_t pid, const char *sock)
{
	struct load_spec spec = {
		.sock = sock,
		.server = pid,
		.op = vc->op,
		.space = SPACE,
		.addrs = run->lat.find_addrs,
		.naddrs = LAT_PICKS,
		.conns = shapes[vc->shape].conns,
		.depth = shapes[vc->shape].depth,
		.threads = vc->threads,
		.pipelined = vc->pipelined,
		.warmup_ns = WARMUP_NS,
		.measure_ns = MEASURE_NS,
	};

	load_run(&spec, &vc->res);
	vc->ran = true;
}

static void
run_vmad(struct run *run)
{
	char sock[64], log[64];
	char *argv[] = { run->vmad, "-s", sock, NULL };
	pid_t pid;
	int err, status;

	path_in(run, "vmad.sock", sock, sizeof(sock));
	path_in(run, "vmad.log", log, sizeof(log));
	if (access(run->vmad, X_OK)) {
		snprintf(run->note, sizeof(run->note), "%.256s: %s (make builds it)", run->vmad,
			 strerror(errno));
		return;
	}
	err = proc_spawn(argv, log, &pid);
	if (!err && (err = proc_wait_socket(pid, sock, START_TIMEOUT_NS)) != 0)
		proc_stop(pid);
	if (err) {
		snprintf(run->note, sizeof(run->note), "starting %.256s: %s", run->vmad,
			 err == -ECHILD ? "it exited" : strerror(-err));
		proc_print_log_tail(log, 10);
		return;
	}
	if (setup_space(run, sock) == 0) {
		for (size_t i = 0; i < NCASES; i++)
			run_case(run, &cases[i], pid, sock);
	}
	status = proc_stop(pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "vmad-bench: vmad did not exit 0 on SIGTERM (wait status %#x)\n",
			status);
		proc_print_log_tail(log, 10);
	}
}

static void
run_redis(struct run *run)
{
	char sock[64], log[64];
	pid_t pid;
	int err;

	if (!redis_available()) {
		snprintf(run->redis_note, sizeof(run->redis_note),
			 "Redis side skipped: redis-server/redis-benchmark not installed "
			 "(apt-get install -y redis-server redis-tools)");
		return;
	}
	path_in(run, "redis.sock", sock, sizeof(sock));
	path_in(run, "redis.log", log, sizeof(log));
	err = redis_start(run->dir, sock, log, &pid);
	if (err) {
		snprintf(run->redis_note, sizeof(run->redis_note), "Redis side failed: %s",
			 strerror(-err));
		proc_print_log_tail(log, 10);
		return;
	}
	for (int s = 0; s < SHAPES; s++)
		redis_measure(pid, sock, shapes[s].conns, shapes[s].depth, &run->redis[s]);
	proc_stop(pid);
	run->redis_ran = true;
}

/* Removes the temporary directory and whatever the servers left in it. */
static void
remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[320];

	while (d && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof(path), "%.31s/%.255s", dir, e->d_name);
			unlink(path);
		}
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static bool
case_ok(const struct vmad_case *vc)
{
	return vc->ran && vc->res.err == 0 && vc->res.requests > 0;
}

static double
case_rps(const struct vmad_case *vc)
{
	return (double)vc->res.requests * (double)BENCH_NS_PER_SEC / (double)vc->res.ns;
}

static const struct vmad_case *
find_case(enum load_op op, enum shape shape, bool pipelined)
{
	for (size_t i = 0; i < NCASES; i++) {
		if (cases[i].op == op && cases[i].shape == shape && cases[i].pipelined == pipelined)
			return &cases[i];
	}
	return NULL;
}

/* Redis's figure for the same op and shape: the better PING form, GET for find_vma; 0: none. */
static double
redis_rps(const struct run *run, enum load_op op, enum shape shape)
{
	const struct redis_figures *r = &run->redis[shape];

	if (!run->redis_ran || r->error[0])
		return 0;
	if (op == LOAD_FIND)
		return r->get;
	return r->ping_inline > r->ping_mbulk ? r->ping_inline : r->ping_mbulk;
}

static const char *
op_name(enum load_op op)
{
	return op == LOAD_FIND ? "find_vma" : "ping";
}

static void
print_row(const struct run *run, const struct vmad_case *vc)
{
	double redis = redis_rps(run, vc->op, vc->shape);
	char vmad[16] = "FAILED", vcpu[16] = "", gen[16] = "", rcell[16] = "n/a", rcpu[16] = "";
	char ratio[16] = "", form[32];

	if (case_ok(vc)) {
		snprintf(vmad, sizeof(vmad), "%.0f", case_rps(vc));
		snprintf(vcpu, sizeof(vcpu), "%.2f",
			 (double)vc->res.server_cpu_ns / 1000.0 / (double)vc->res.requests);
		snprintf(gen, sizeof(gen), "%.0f%%",
			 100.0 * (double)vc->res.client_cpu_ns / (double)vc->res.ns);
	}
	if (redis > 0) {
		snprintf(rcell, sizeof(rcell), "%.0f", redis);
		snprintf(rcpu, sizeof(rcpu), "%.2f", run->redis[vc->shape].cpu_ns_per_req / 1000.0);
	}
	if (case_ok(vc) && redis > 0)
		snprintf(ratio, sizeof(ratio), "%.2fx %s", case_rps(vc) / redis,
			 case_rps(vc) >= redis ? "pass" : "miss");
	snprintf(form, sizeof(form), "%s, %d thr", vc->pipelined ? "pipelined" : "call/reply",
		 vc->threads);
	printf("%-8s %3d %3d  %-19s %10s %6s %5s   %-4s %10s %6s  %s\n", op_name(vc->op),
	       shapes[vc->shape].conns, shapes[vc->shape].depth, form, vmad, vcpu, gen,
	       vc->op == LOAD_FIND ? "GET" : "PING", rcell, rcpu, ratio);
}

static void
print_failures(const struct run *run)
{
	if (run->note[0])
		printf("  FAILED vmad: %s\n", run->note);
	for (size_t i = 0; i < NCASES; i++) {
		const struct vmad_case *vc = &cases[i];

		if (vc->ran && !case_ok(vc))
			printf("  FAILED vmad %s c%d p%d: %s: %s\n", op_name(vc->op),
			       shapes[vc->shape].conns, shapes[vc->shape].depth,
			       vc->res.what ? vc->res.what : "no request answered",
			       strerror(vc->res.err ? -vc->res.err : EIO));
	}
	for (int s = 0; run->redis_ran && s < SHAPES; s++) {
		if (run->redis[s].error[0])
			printf("  FAILED redis c%d p%d: %s\n", shapes[s].conns, shapes[s].depth,
			       run->redis[s].error);
	}
	if (run->redis_note[0])
		printf("  %s\n", run->redis_note);
}

static void
print_table(const struct run *run)
{
	printf("vmad-bench: vmad vs redis-server on a Unix socket, requests/s (higher is "
	       "better)\n");
	printf("vmad: libvmaclient; find_vma at random addresses of a %d-VMA space; %.2f s "
	       "warm-up, %.1f s measured\n",
	       SPACE_CELLS, (double)WARMUP_NS / BENCH_NS_PER_SEC,
	       (double)MEASURE_NS / BENCH_NS_PER_SEC);
	printf("redis: redis-benchmark -q --csv; PING = the better of PING_INLINE and PING_MBULK; "
	       "GET of a missing key\n");
	printf("cpu: the server's CPU time per request in us (Redis: averaged over its three "
	       "tests); gen: the load generator's CPU use (100%% = one CPU)\n\n");
	printf("%-8s %3s %3s  %-19s %10s %6s %5s   %-4s %10s %6s  %s\n", "op", "c", "P",
	       "vmad client", "vmad req/s", "cpu", "gen", "vs", "redis req/s", "cpu",
	       "vmad/redis (>=1: pass)");
	for (size_t i = 0; i < NCASES; i++)
		print_row(run, &cases[i]);
	print_failures(run);
}

static const char *
rps_str(const struct vmad_case *vc, char *buf, size_t size)
{
	if (vc && case_ok(vc))
		snprintf(buf, size, "%.0f", case_rps(vc));
	else
		snprintf(buf, size, "fail");
	return buf;
}

static const char *
redis_str(const struct run *run, enum load_op op, enum shape shape, char *buf, size_t size)
{
	if (!run->redis_ran)
		snprintf(buf, size, "skipped");
	else if (redis_rps(run, op, shape) <= 0)
		snprintf(buf, size, "fail");
	else
		snprintf(buf, size, "%.0f", redis_rps(run, op, shape));
	return buf;
}

static void
print_summary(const struct run *run)
{
	char a[24], b[24], c[24], d[24], e[24], f[24];

	printf("vmad-bench: vmad_ping_rps_c50_p16=%s redis_ping_rps_c50_p16=%s "
	       "vmad_find_rps_c50_p16=%s redis_get_rps_c50_p16=%s vmad_ping_rps_c1_p1=%s "
	       "redis_ping_rps_c1_p1=%s\n",
	       rps_str(find_case(LOAD_PING, C50_P16, true), a, sizeof(a)),
	       redis_str(run, LOAD_PING, C50_P16, b, sizeof(b)),
	       rps_str(find_case(LOAD_FIND, C50_P16, true), c, sizeof(c)),
	       redis_str(run, LOAD_FIND, C50_P16, d, sizeof(d)),
	       rps_str(find_case(LOAD_PING, C1_P1, false), e, sizeof(e)),
	       redis_str(run, LOAD_PING, C1_P1, f, sizeof(f)));
}

int
main(int argc, char **argv)
{
	static struct run run;

	alarm(ALARM_SEC);
	/* The daemon must serve its own socket, not one a service manager handed us. */
	unsetenv("NOTIFY_SOCKET");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("WATCHDOG_USEC");
	find_vmad(&run, argc, argv);
	snprintf(run.dir, sizeof(run.dir), "/tmp/vmad-bench.XXXXXX");
	if (!mkdtemp(run.dir)) {
		perror("vmad-bench: mkdtemp");
		return 1;
	}
	run_vmad(&run);
	run_redis(&run);
	print_table(&run);
	print_summary(&run);
	remove_dir(run.dir);
	lat_fini(&run.lat);
	return 0;
}
