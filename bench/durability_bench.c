/* SPDX-License-Identifier: MIT */
/*
 * durability-bench: what --state-dir costs and how fast it recovers.  mmap+munmap pairs per
 * second with vmad in memory, with --sync batch and with --sync always, at 50 connections
 * with pipelines of 16 and at one connection with one request at a time; then the time vmad
 * takes to start again, SIGKILLed with 1M VMAs, from the journal alone and from a snapshot,
 * and the longest event-loop pause the snapshot cost.  The state directory is a fresh one
 * under $TMPDIR (default /tmp), on a disk, so that fdatasync costs what it costs.
 * Usage: durability-bench [PATH-TO-VMAD]  (default: the vmad beside this program).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "load.h"
#include "proc.h"
#include "vmaclient.h"

#define SPACE            "d"
#define PAIR_BASE        0x10000000000ULL
#define BIG_VMAS         1000000ULL
#define BIG_BASE         0x100000000ULL
#define CHUNK            2000
#define START_TIMEOUT_NS (120 * BENCH_NS_PER_SEC)
#define WAIT_TIMEOUT_NS  (300 * BENCH_NS_PER_SEC)
#define ALARM_SEC        900
/*
 * Each throughput figure covers at least this many rounds (50 x 16 requests at (50,16)): with
 * --sync always each request waits for its own fdatasync, so a round can outlast the 2 s
 * window.  The cap bounds a very slow disk.
 */
#define MIN_ROUNDS     5
#define MAX_MEASURE_NS (120 * BENCH_NS_PER_SEC)

struct run {
	char vmad[PATH_MAX];
	char dir[PATH_MAX - 64];
	char sock[PATH_MAX], log[PATH_MAX], state[PATH_MAX];
	pid_t pid;
};

enum mode { MEM, BATCH, ALWAYS };
static const char *const mode_sync[] = { NULL, "batch", "always" };

static void
find_vmad(struct run *r, int argc, char **argv)
{
	char self[PATH_MAX - 16];
	ssize_t n;

	if (argc > 1) {
		snprintf(r->vmad, sizeof(r->vmad), "%s", argv[1]);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	if (strrchr(self, '/'))
		*strrchr(self, '/') = '\0';
	snprintf(r->vmad, sizeof(r->vmad), "%s/vmad", n > 0 ? self : "build");
}

static int
start(struct run *r, enum mode m, const char *journal_max)
{
	char *argv[] = {
		r->vmad, "-s", r->sock, "--state-dir", r->state, "--sync", (char *)mode_sync[m],
		NULL
	};
	int err;

	if (m == MEM)
		argv[3] = NULL;
	if (journal_max)
		setenv("VMAD_JOURNAL_MAX", journal_max, 1);
	else
		unsetenv("VMAD_JOURNAL_MAX");
	err = proc_spawn(argv, r->log, &r->pid);
	if (!err && (err = proc_wait_socket(r->pid, r->sock, START_TIMEOUT_NS)) != 0) {
		proc_print_log_tail(r->log, 10);
		proc_stop(r->pid);
	}
	return err;
}

static int
fresh_state(struct run *r)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->state);
	if (system(cmd) != 0)
		return -EIO;
	return 0;
}

/* Pairs per second (two requests each) for one mode and shape. */
static double
pairs_per_sec(struct run *r, enum mode m, int conns, int depth)
{
	struct load_spec spec = { .sock = r->sock,
				  .op = LOAD_MAP_PAIR,
				  .space = SPACE,
				  .base = PAIR_BASE,
				  .conns = conns,
				  .depth = depth,
				  .threads = 1,
				  .pipelined = depth > 1,
				  .warmup_ns = BENCH_NS_PER_SEC / 2,
				  .measure_ns = 2 * BENCH_NS_PER_SEC,
				  .min_rounds = MIN_ROUNDS,
				  .max_ns = MAX_MEASURE_NS };
	struct load_result res;
	struct vmac_conn *c = NULL;
	int err;

	if (fresh_state(r) < 0 || start(r, m, NULL) < 0)
		return -1;
	spec.server = r->pid;
	err = vmac_connect(r->sock, &c);
	if (!err)
		err = vmac_create(c, SPACE, NULL);
	vmac_close(c);
	if (!err)
		err = load_run(&spec, &res);
	proc_stop(r->pid);
	if (err) {
		fprintf(stderr, "durability-bench: %s: %s\n", res.what ? res.what : "setup",
			strerror(-err));
		return -1;
	}
	return (double)res.requests / 2 / ((double)res.ns / BENCH_NS_PER_SEC);
}

static int
map_chunk(struct vmac_conn *c, uint64_t first, uint64_t count)
{
	int r = vmac_pipeline_begin(c), result;

	for (uint64_t i = first; r == 0 && i < first + count; i++)
		r = vmac_mmap(c, SPACE, BIG_BASE + i * 2 * 4096, 4096, VMAC_PROT_READ,
			      VMAC_MAP_PRIVATE | VMAC_MAP_ANONYMOUS | VMAC_MAP_FIXED, NULL, 0,
			      NULL);
	if (r == 0)
		r = vmac_pipeline_end(c);
	while (r >= 0 && (r = vmac_pipeline_next(c, &result)) == 1)
		if (result < 0)
			return result;
	return r;
}

static int
fill_big(struct run *r)
{
	struct vmac_create_opts o;
	struct vmac_conn *c = NULL;
	int err = vmac_connect(r->sock, &c);

	vmac_create_opts_init(&o);
	o.set = VMAC_OPT_MAX_MAP_COUNT;
	o.max_map_count = 2 * BIG_VMAS;
	if (!err) {
		vmac_set_timeout(c, 60000);
		err = vmac_create(c, SPACE, &o);
	}
	for (uint64_t i = 0; !err && i < BIG_VMAS; i += CHUNK)
		err = map_chunk(c, i, CHUNK);
	vmac_close(c);
	return err;
}

/* SIGKILL, then the seconds until the restarted vmad accepts, with every VMA back. */
static double
kill_and_restart(struct run *r)
{
	struct vmac_status st;
	struct vmac_conn *c = NULL;
	uint64_t t0;
	int status, err;

	kill(r->pid, SIGKILL);
	waitpid(r->pid, &status, 0);
	t0 = bench_now_ns();
	if (start(r, BATCH, "4G") < 0)
		return -1;
	t0 = bench_now_ns() - t0;
	err = vmac_connect(r->sock, &c);
	if (!err)
		err = vmac_status(c, SPACE, &st);
	vmac_close(c);
	if (err || st.map_count != BIG_VMAS)
		return -1;
	return (double)t0 / BENCH_NS_PER_SEC;
}

/* The log line "snapshot-...: written", and the pause "loop paused N us" before it. */
static double
snapshot_pause_ms(struct run *r)
{
	uint64_t end = bench_now_ns() + WAIT_TIMEOUT_NS;
	char line[512];
	double pause = -1;
	bool written = false;

	while (!written && bench_now_ns() < end) {
		FILE *f = fopen(r->log, "r");

		while (f && fgets(line, sizeof(line), f)) {
			const char *p = strstr(line, "loop paused ");

			if (p)
				pause = strtod(p + 12, NULL) / 1000;
			written = written || strstr(line, ": written");
		}
		if (f)
			fclose(f);
		if (!written)
			usleep(100000);
	}
	return written ? pause : -1;
}

static void
recovery(struct run *r, double *journal_s, double *snap_s, double *pause_ms)
{
	*journal_s = *snap_s = *pause_ms = -1;
	if (fresh_state(r) < 0 || start(r, BATCH, "4G") < 0)
		return;
	if (fill_big(r) < 0) {
		proc_stop(r->pid);
		return;
	}
	*journal_s = kill_and_restart(r);
	if (*journal_s < 0)
		return;
	kill(r->pid, SIGHUP);
	*pause_ms = snapshot_pause_ms(r);
	*snap_s = kill_and_restart(r);
	if (*snap_s >= 0)
		proc_stop(r->pid);
}

/* The disk's own cost: one small append and fdatasync, as the journal does, in ms. */
static double
fdatasync_ms(const struct run *r)
{
	char path[PATH_MAX + 16], rec[64] = { 0 };
	uint64_t t0;
	int fd, n = 200;

	snprintf(path, sizeof(path), "%s/fsync-probe", r->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	t0 = bench_now_ns();
	for (int i = 0; i < n; i++) {
		if (write(fd, rec, sizeof(rec)) != (ssize_t)sizeof(rec) || fdatasync(fd) < 0) {
			n = -1;
			break;
		}
	}
	t0 = bench_now_ns() - t0;
	close(fd);
	unlink(path);
	return n > 0 ? (double)t0 / n / 1e6 : -1;
}

static void
names(struct run *r)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(r->dir, sizeof(r->dir), "%s/durability-bench.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(r->dir)) {
		perror("durability-bench: mkdtemp");
		exit(1);
	}
	snprintf(r->sock, sizeof(r->sock), "%s/vmad.sock", r->dir);
	snprintf(r->log, sizeof(r->log), "%s/vmad.log", r->dir);
	snprintf(r->state, sizeof(r->state), "%s/state", r->dir);
}

int
main(int argc, char **argv)
{
	struct run r = { 0 };
	double mem50, batch50, always50, mem1, batch1, journal_s, snap_s, pause_ms, sync_ms;
	char cmd[PATH_MAX + 16];

	alarm(ALARM_SEC);
	find_vmad(&r, argc, argv);
	names(&r);
	printf("%s", BENCH_BUILD_NOTE);
	sync_ms = fdatasync_ms(&r);
	mem50 = pairs_per_sec(&r, MEM, 50, 16);
	batch50 = pairs_per_sec(&r, BATCH, 50, 16);
	always50 = pairs_per_sec(&r, ALWAYS, 50, 16);
	mem1 = pairs_per_sec(&r, MEM, 1, 1);
	batch1 = pairs_per_sec(&r, BATCH, 1, 1);
	recovery(&r, &journal_s, &snap_s, &pause_ms);
	printf("durability-bench: rps_mem_c50p16=%.0f rps_batch_c50p16=%.0f "
	       "rps_always_c50p16=%.0f rps_mem_c1=%.0f rps_batch_c1=%.0f recovery_s_1M=%.2f\n",
	       mem50, batch50, always50, mem1, batch1, snap_s);
	printf("durability-bench: batch/mem at (50,16) = %.2f (target 0.7); recovery of 1M VMAs "
	       "from a snapshot %.2f s (target 2), from the journal alone %.2f s; the snapshot "
	       "paused the event loop %.1f ms (fork); this disk's append+fdatasync %.2f ms\n",
	       mem50 > 0 ? batch50 / mem50 : 0, snap_s, journal_s, pause_ms, sync_ms);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r.dir);
	return system(cmd) == 0 && snap_s >= 0 && mem50 > 0 ? 0 : 1;
}
