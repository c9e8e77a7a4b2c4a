/* SPDX-License-Identifier: MIT */
/*
 * vmad-stress: sets up the shared spaces and their watchers, forks the clients, kills and
 * restarts them while they run, ends the run, checks the watchers, removes every space it
 * made, and prints the summary.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stress.h"

#define MAIN_TICK_MS     10
#define MAIN_GRACE_NS    (120ULL * 1000000000ULL) /* for clients to finish after the stop */
#define MAIN_WATCHERS_NS (60ULL * 1000000000ULL)

struct run {
	const struct st_opts *o;
	struct st_shared *sh;
	struct vmac_conn *admin;
	pid_t pids[ST_SLOTS];
	unsigned killed;
	uint64_t dice;
};

static void
main_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static pid_t
main_spawn(struct run *r, unsigned i, bool resume)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (i < ST_MAX_CLIENTS)
			_exit(client_main(r->o, r->sh, i, resume));
		if (i < ST_READER_SLOT(0))
			_exit(watcher_main(r->o, r->sh, i - ST_WATCHER_SLOT(0)));
		_exit(reader_main(r->o, r->sh, i - ST_READER_SLOT(0)));
	}
	if (pid < 0)
		report_fail(&r->sh->slots[i], "cannot fork process %u: %s", i, strerror(errno));
	r->pids[i] = pid > 0 ? pid : 0;
	return pid;
}

/* A client that died of SIGKILL starts again; any other end is final. */
static void
main_reap(struct run *r)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (unsigned i = 0; i < ST_SLOTS; i++) {
			if (r->pids[i] != pid)
				continue;
			r->pids[i] = 0;
			if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
			    i < ST_MAX_CLIENTS) {
				r->killed++;
				main_spawn(r, i, true);
			} else if (WIFSIGNALED(status)) {
				report_fail(&r->sh->slots[i], "process %u died of signal %d", i,
					    WTERMSIG(status));
				r->sh->slots[i].finished = -1;
			}
		}
	}
}

static void
main_kill_one(struct run *r)
{
	unsigned live[ST_MAX_CLIENTS], n = 0;

	for (unsigned k = 0; k < r->o->clients; k++)
		if (r->pids[k] > 0 && !r->sh->slots[k].finished)
			live[n++] = k;
	if (n)
		kill(r->pids[live[rng_below(&r->dice, n)]], SIGKILL);
}

static bool
main_clients_left(const struct run *r)
{
	for (unsigned k = 0; k < r->o->clients; k++)
		if (r->pids[k] > 0)
			return true;
	return false;
}

/* The client phase; returns its length in seconds. */
static double
main_clients(struct run *r)
{
	uint64_t t0 = now_ns(), now = t0, next_kill = t0;
	uint64_t end = r->o->seconds > 0 ? t0 + (uint64_t)(r->o->seconds * 1e9) : UINT64_MAX;

	for (unsigned k = 0; k < r->o->clients; k++)
		if (client_runs(r->o, k))
			main_spawn(r, k, false);
	next_kill += (uint64_t)r->o->kill_ms * 1000000;
	while (main_clients_left(r)) {
		main_sleep_ms(MAIN_TICK_MS);
		main_reap(r);
		now = now_ns();
		if (!r->sh->stop && r->o->kill_ms > 0 && now >= next_kill) {
			main_kill_one(r);
			next_kill = now + (uint64_t)r->o->kill_ms * 500000 +
				    rng_below(&r->dice, (uint64_t)r->o->kill_ms * 1000000);
		}
		if (now >= end)
			r->sh->stop = 1;
		if (end != UINT64_MAX && now >= end + MAIN_GRACE_NS)
			break;
	}
	for (unsigned k = 0; k < r->o->clients; k++) {
		if (r->pids[k] <= 0)
			continue;
		report_fail(&r->sh->slots[k], "client %u did not finish within %llu s of the end",
			    k, (unsigned long long)(MAIN_GRACE_NS / 1000000000ULL));
		r->sh->slots[k].finished = -1;
		kill(r->pids[k], SIGKILL);
		waitpid(r->pids[k], NULL, 0);
		r->pids[k] = 0;
	}
	return (double)(now_ns() - t0) / 1e9;
}

static int
main_setup_shared(struct run *r)
{
	struct vmac_create_opts opts;
	struct st_target t;
	int rc;

	for (unsigned j = 0; j < r->o->shared; j++) {
		shared_target(r->o, j, &t);
		target_create_opts(&t, &opts);
		rc = vmac_destroy(r->admin, t.space);
		if (rc < 0 && rc != -ENOENT)
			return rc;
		rc = vmac_create(r->admin, t.space, &opts);
		if (rc < 0)
			return rc;
		if (main_spawn(r, ST_WATCHER_SLOT(j), false) < 0)
			return -errno;
	}
	for (int i = 0; i < 1000 && (unsigned)r->sh->watchers_ready < r->o->shared; i++)
		main_sleep_ms(MAIN_TICK_MS);
	if ((unsigned)r->sh->watchers_ready < r->o->shared)
		return -ETIMEDOUT;
	for (unsigned j = 0; j < r->o->shared; j++)
		if (main_spawn(r, ST_READER_SLOT(j), false) < 0)
			return -errno;
	return 0;
}

/* The marker that ends each watch stream, then the watchers' own checks. */
static void
main_finish_watchers(struct run *r)
{
	uint64_t deadline = now_ns() + MAIN_WATCHERS_NS;
	struct st_target t;
	bool left = true;

	for (unsigned j = 0; j < r->o->shared; j++) {
		shared_target(r->o, j, &t);
		int rc = vmac_mmap(r->admin, t.space, marker_addr(), 4096, VMAC_PROT_READ,
				   VMAC_MAP_PRIVATE | VMAC_MAP_ANONYMOUS | VMAC_MAP_FIXED, NULL, 0,
				   NULL);
		if (rc < 0)
			report_fail(&r->sh->slots[ST_WATCHER_SLOT(j)],
				    "cannot map the end marker into %s: %s", t.space,
				    strerror(-rc));
	}
	while (left && now_ns() < deadline) {
		main_sleep_ms(MAIN_TICK_MS);
		main_reap(r);
		left = false;
		for (unsigned i = ST_MAX_CLIENTS; i < ST_SLOTS; i++)
			left |= r->pids[i] > 0;
	}
	for (unsigned i = ST_MAX_CLIENTS; i < ST_SLOTS; i++) {
		if (r->pids[i] <= 0)
			continue;
		report_fail(&r->sh->slots[i], "%s %u did not finish",
			    i < ST_READER_SLOT(0) ? "watcher" : "view reader",
			    (i - ST_MAX_CLIENTS) % ST_MAX_SHARED);
		kill(r->pids[i], SIGKILL);
		waitpid(r->pids[i], NULL, 0);
	}
}

/* Every space whose name starts with the run's prefix goes. */
static void
main_cleanup(struct run *r)
{
	const struct vmac_space *spaces;
	size_t n, plen = strlen(r->o->prefix);
	char(*names)[256];
	size_t m = 0;

	if (!r->admin || vmac_list(r->admin, &spaces, &n) < 0)
		return;
	names = calloc(n + 1, sizeof(*names));
	if (!names)
		return;
	for (size_t i = 0; i < n; i++)
		if (strncmp(spaces[i].name, r->o->prefix, plen) == 0 && spaces[i].name[plen] == '-')
			snprintf(names[m++], sizeof(names[0]), "%s", spaces[i].name);
	for (size_t i = 0; i < m; i++)
		if (vmac_destroy(r->admin, names[i]) < 0)
			fprintf(stderr, "vmad-stress: cannot destroy %s: %s\n", names[i],
				vmac_errmsg(r->admin));
	free(names);
}

int
main(int argc, char **argv)
{
	struct st_opts o;
	struct run r = { .o = &o };
	double secs = 0;
	int rc = opts_parse(argc, argv, &o);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	signal(SIGPIPE, SIG_IGN);
	r.dice = rng_seed(o.seed, 0xdeadULL << 40);
	r.sh = mmap(NULL, sizeof(*r.sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r.sh == MAP_FAILED) {
		perror("vmad-stress: mmap");
		return 2;
	}
	rc = vmac_connect(o.socket, &r.admin);
	if (rc == 0) {
		vmac_set_timeout(r.admin, ST_REPLY_TIMEOUT);
		rc = main_setup_shared(&r);
	}
	if (rc < 0) {
		fprintf(stderr, "vmad-stress: cannot set up the run on %s: %s\n", o.socket,
			strerror(-rc));
		o.clients = 0;
	} else {
		secs = main_clients(&r);
		main_finish_watchers(&r);
	}
	main_cleanup(&r);
	vmac_close(r.admin);
	if (rc < 0) {
		for (unsigned i = ST_MAX_CLIENTS; i < ST_SLOTS; i++)
			if (r.pids[i] > 0)
				kill(r.pids[i], SIGKILL);
		while (wait(NULL) > 0)
			;
		return 2;
	}
	return report_summary(&o, r.sh, secs, r.killed);
}
