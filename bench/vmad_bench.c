/* SPDX-License-Identifier: MIT */
/*
 * vmad-bench: requests/s of vmad over libvmaclient, beside redis-server measured with
 * redis-benchmark on the same kind of socket (a Unix socket in a fresh temporary directory),
 * at 1 and 50 connections and pipeline depths 1 and 16.  Both servers run for the whole
 * benchmark and are measured shape by shape, one right after the other, so that a busy
 * machine disturbs both alike; each figure is the best of VB_ROUNDS rounds.
 * Usage: vmad-bench [PATH-TO-VMAD]  (default: the vmad beside this program).
 */
#include "vmad_bench.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lattice.h"
#include "proc.h"
#include "vmaclient.h"

#define SPACE            "bench"
#define SPACE_BASE       0x10000000000ULL
#define SETUP_CHUNK      1000
#define REPLY_TIMEOUT_MS 10000
#define START_TIMEOUT_NS (10 * BENCH_NS_PER_SEC)
/* Nothing here should take long; a hang is ended by SIGALRM (children get SIGTERM). */
#define ALARM_SEC 600

const struct vb_shape_desc vb_shapes[VB_SHAPES] = {
	[C1_P1] = { 1, 1 },
	[C1_P16] = { 1, 16 },
	[C50_P1] = { 50, 1 },
	[C50_P16] = { 50, 16 },
};

/*
 * One call and one reply needs a thread per connection; the pipelined form lets one thread
 * drive every connection, as redis-benchmark does.  At 50 connections and depth 1 both forms
 * are measured, and at depth 16 also two generator threads, to show when the generator is
 * the limit.
 */
static struct vb_case cases[] = {
	{ .op = LOAD_PING, .shape = C1_P1, .threads = 1, .pipelined = false },
	{ .op = LOAD_PING, .shape = C1_P16, .threads = 1, .pipelined = true },
	{ .op = LOAD_PING, .shape = C50_P1, .threads = 50, .pipelined = false },
	{ .op = LOAD_PING, .shape = C50_P1, .threads = 1, .pipelined = true },
	{ .op = LOAD_PING, .shape = C50_P16, .threads = 1, .pipelined = true },
	{ .op = LOAD_PING, .shape = C50_P16, .threads = 2, .pipelined = true },
	{ .op = LOAD_FIND, .shape = C1_P1, .threads = 1, .pipelined = false },
	{ .op = LOAD_FIND, .shape = C1_P16, .threads = 1, .pipelined = true },
	{ .op = LOAD_FIND, .shape = C50_P1, .threads = 50, .pipelined = false },
	{ .op = LOAD_FIND, .shape = C50_P1, .threads = 1, .pipelined = true },
	{ .op = LOAD_FIND, .shape = C50_P16, .threads = 1, .pipelined = true },
	{ .op = LOAD_FIND, .shape = C50_P16, .threads = 2, .pipelined = true },
	/* The codec's A/B: the same load on a daemon that packs and unpacks with protobuf-c. */
	{ .op = LOAD_PING, .shape = C50_P16, .threads = 1, .pipelined = true, .protobuf_c = true },
	{ .op = LOAD_PING, .shape = C50_P16, .threads = 2, .pipelined = true, .protobuf_c = true },
	{ .op = LOAD_FIND, .shape = C50_P16, .threads = 1, .pipelined = true, .protobuf_c = true },
	{ .op = LOAD_FIND, .shape = C50_P16, .threads = 2, .pipelined = true, .protobuf_c = true },
};

/* The servers; a pid of 0 is a server that is not running.  pbc: vmad on protobuf-c alone. */
struct servers {
	pid_t vmad, pbc, redis;
	char vmad_sock[64], vmad_log[64], pbc_sock[64], pbc_log[64], redis_sock[64], redis_log[64];
	struct lattice lat; /* the find_vma space's shape and random addresses */
};

/* The vmad beside this program, unless a path was given. */
static void
find_vmad(struct vb_run *run, int argc, char **argv)
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

/* Queues a chunk of the space's mmaps and checks every reply. */
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

	for (uint64_t i = 0; !err && i < VB_SPACE_CELLS; i += SETUP_CHUNK)
		err = map_chunk(c, i, SETUP_CHUNK);
	if (!err)
		err = vmac_status(c, SPACE, &st);
	if (!err && st.map_count != VB_SPACE_CELLS)
		err = -EBADMSG;
	return err;
}

/* The space find_vma runs on: VMAs of two pages, each followed by a one-page hole. */
static int
setup_space(const char *sock, char *note, size_t size)
{
	struct vmac_conn *c = NULL;
	int err = vmac_connect(sock, &c);

	if (!err) {
		vmac_set_timeout(c, REPLY_TIMEOUT_MS);
		err = fill_space(c);
	}
	vmac_close(c);
	if (err)
		snprintf(note, size, "setting up space \"%s\": %s", SPACE, strerror(-err));
	return err;
}

/* One vmad on sock with the space set up, or 0 and why in note.  wire: $VMAD_WIRE or NULL. */
static pid_t
start_vmad(const struct vb_run *run, const char *sock, const char *log, const char *wire,
	   char *note, size_t size)
{
	char *argv[] = { (char *)run->vmad, "-s", (char *)sock, NULL };
	pid_t pid;
	int err;

	if (access(run->vmad, X_OK)) {
		snprintf(note, size, "%.256s: %s (make builds it)", run->vmad, strerror(errno));
		return 0;
	}
	/* The child takes the environment as it is at the fork. */
	err = wire ? (setenv("VMAD_WIRE", wire, 1) < 0 ? -errno : 0) : 0;
	if (!err)
		err = proc_spawn(argv, log, &pid);
	if (wire && unsetenv("VMAD_WIRE") < 0 && !err)
		err = -errno;
	if (!err && (err = proc_wait_socket(pid, sock, START_TIMEOUT_NS)) != 0)
		proc_stop(pid);
	if (err) {
		snprintf(note, size, "starting %.256s: %s", run->vmad,
			 err == -ECHILD ? "it exited" : strerror(-err));
		proc_print_log_tail(log, 10);
		return 0;
	}
	if (setup_space(sock, note, size) == 0)
		return pid;
	proc_stop(pid);
	return 0;
}

static void
start_vmads(struct vb_run *run, struct servers *srv)
{
	int err = lat_init(&srv->lat, SPACE_BASE, VB_SPACE_CELLS, 42);

	if (err) {
		snprintf(run->note, sizeof(run->note), "addresses: %s", strerror(-err));
		return;
	}
	srv->vmad =
		start_vmad(run, srv->vmad_sock, srv->vmad_log, NULL, run->note, sizeof(run->note));
	srv->pbc = start_vmad(run, srv->pbc_sock, srv->pbc_log, "protobuf-c", run->pbc_note,
			      sizeof(run->pbc_note));
}

static void
start_redis(struct vb_run *run, struct servers *srv)
{
	int err;

	if (!redis_available()) {
		snprintf(run->redis_note, sizeof(run->redis_note),
			 "Redis side skipped: redis-server/redis-benchmark not installed "
			 "(apt-get install -y redis-server redis-tools)");
		return;
	}
	err = redis_start(run->dir, srv->redis_sock, srv->redis_log, &srv->redis);
	if (err) {
		srv->redis = 0;
		snprintf(run->redis_note, sizeof(run->redis_note), "Redis side failed: %s",
			 strerror(-err));
		proc_print_log_tail(srv->redis_log, 10);
		return;
	}
	run->redis_ran = true;
}

static void
stop_vmad(pid_t pid, const char *log)
{
	int status;

	if (!pid)
		return;
	status = proc_stop(pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "vmad-bench: vmad did not exit 0 on SIGTERM (%#x)\n", status);
		proc_print_log_tail(log, 10);
	}
}

static void
stop_servers(struct servers *srv)
{
	stop_vmad(srv->vmad, srv->vmad_log);
	stop_vmad(srv->pbc, srv->pbc_log);
	if (srv->redis)
		proc_stop(srv->redis);
	lat_fini(&srv->lat);
}

static bool
faster(const struct load_result *a, const struct load_result *b)
{
	return a->requests * b->ns > b->requests * a->ns;
}

/* Keeps the faster result; a failure in any round sticks (its figure cannot be trusted). */
static void
keep_best(struct vb_case *vc, const struct load_result *res)
{
	if (vc->ran && vc->best.err)
		return;
	if (!vc->ran || res->err || faster(res, &vc->best))
		vc->best = *res;
	vc->ran = true;
}

static void
measure_vmad(struct servers *srv, struct vb_case *vc)
{
	struct load_result res;
	struct load_spec spec = {
		.sock = vc->protobuf_c ? srv->pbc_sock : srv->vmad_sock,
		.server = vc->protobuf_c ? srv->pbc : srv->vmad,
		.op = vc->op,
		.space = SPACE,
		.addrs = srv->lat.find_addrs,
		.naddrs = LAT_PICKS,
		.conns = vb_shapes[vc->shape].conns,
		.depth = vb_shapes[vc->shape].depth,
		.threads = vc->threads,
		.pipelined = vc->pipelined,
		.warmup_ns = VB_WARMUP_NS,
		.measure_ns = VB_MEASURE_NS,
	};

	load_run(&spec, &res);
	keep_best(vc, &res);
}

static double
max_of(double a, double b)
{
	return a > b ? a : b;
}

static void
measure_redis(struct vb_run *run, struct servers *srv, enum vb_shape shape)
{
	struct redis_figures now, *best = &run->redis[shape];

	redis_measure(srv->redis, srv->redis_sock, vb_shapes[shape].conns, vb_shapes[shape].depth,
		      &now);
	if (now.error[0] && !best->error[0])
		snprintf(best->error, sizeof(best->error), "%s", now.error);
	best->ping_inline = max_of(best->ping_inline, now.ping_inline);
	best->ping_mbulk = max_of(best->ping_mbulk, now.ping_mbulk);
	best->get = max_of(best->get, now.get);
	/* The CPU cost goes with the fastest round's figures: keep the lowest. */
	if (best->cpu_ns_per_req == 0 || now.cpu_ns_per_req < best->cpu_ns_per_req)
		best->cpu_ns_per_req = now.cpu_ns_per_req;
}

static void
measure_all(struct vb_run *run, struct servers *srv)
{
	for (int round = 0; round < VB_ROUNDS; round++) {
		for (int shape = 0; shape < VB_SHAPES; shape++) {
			for (unsigned i = 0; i < run->ncases; i++) {
				if (cases[i].shape == (enum vb_shape)shape &&
				    (cases[i].protobuf_c ? srv->pbc : srv->vmad))
					measure_vmad(srv, &cases[i]);
			}
			if (srv->redis)
				measure_redis(run, srv, shape);
		}
	}
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

static void
name_files(const struct vb_run *run, struct servers *srv)
{
	snprintf(srv->vmad_sock, sizeof(srv->vmad_sock), "%s/vmad.sock", run->dir);
	snprintf(srv->vmad_log, sizeof(srv->vmad_log), "%s/vmad.log", run->dir);
	snprintf(srv->pbc_sock, sizeof(srv->pbc_sock), "%s/pbc.sock", run->dir);
	snprintf(srv->pbc_log, sizeof(srv->pbc_log), "%s/pbc.log", run->dir);
	snprintf(srv->redis_sock, sizeof(srv->redis_sock), "%s/redis.sock", run->dir);
	snprintf(srv->redis_log, sizeof(srv->redis_log), "%s/redis.log", run->dir);
}

int
main(int argc, char **argv)
{
	static struct vb_run run = { .cases = cases, .ncases = sizeof(cases) / sizeof(cases[0]) };
	struct servers srv = { 0 };

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
	name_files(&run, &srv);
	bench_others_start(&run.others);
	start_vmads(&run, &srv);
	start_redis(&run, &srv);
	measure_all(&run, &srv);
	stop_servers(&srv);
	remove_dir(run.dir);
	vb_report(&run);
	return 0;
}
