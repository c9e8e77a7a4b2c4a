/* SPDX-License-Identifier: MIT */
/*
 * A short soak: worker processes connect, create and destroy spaces, map, unmap and protect,
 * open and close watches, leave pipelines unanswered and are killed in the middle of them,
 * over and over, while the daemon's resident memory is sampled.  Once the working set is
 * built (the first third of the run) the resident memory must stay flat, and the daemon must
 * exit cleanly (under SANITIZE=1 that includes LeakSanitizer finding no leak).
 * VMAD_SOAK_SECONDS sets the length (default 10); a long run by hand:
 *   VMAD_SOAK_SECONDS=600 build/tests/integration/test_daemon_soak
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"
#include "vmaclient.h"

#define WORKERS     6
#define SPACES      3 /* per worker, reused round after round */
#define OPS         200
#define PAGE        4096ULL
#define BASE        0x300000000ULL
#define ANON        (VMAC_MAP_PRIVATE | VMAC_MAP_ANONYMOUS | VMAC_MAP_FIXED)
#define SAMPLE_MS   200
#define MAX_SAMPLES 4096
/* RSS growth allowed after the warm-up: the allocator's slack, not a leak's steady climb. */
#define DRIFT_SLACK (2ULL << 20)

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static unsigned
soak_seconds(void)
{
	const char *s = getenv("VMAD_SOAK_SECONDS");
	int n = s ? atoi(s) : 0;

	return n > 0 ? (unsigned)n : 10;
}

/* A round of mixed changes, pipelined; some rounds are abandoned by exiting mid-way. */
static void
worker_ops(struct vmac_conn *c, const char *name, unsigned seed)
{
	int result;

	if (vmac_pipeline_begin(c) < 0)
		return;
	for (int i = 0; i < OPS; i++) {
		uint64_t a = BASE + (uint64_t)((seed + (unsigned)i * 7u) % 512u) * 4 * PAGE;

		switch ((seed + (unsigned)i) % 4) {
		case 0:
		case 1:
			vmac_mmap(c, name, a, 3 * PAGE, VMAC_PROT_READ, ANON, NULL, 0, NULL);
			break;
		case 2:
			vmac_mprotect(c, name, a + PAGE, PAGE, VMAC_PROT_READ | VMAC_PROT_WRITE);
			break;
		default:
			vmac_munmap(c, name, a, 2 * PAGE);
		}
	}
	if (vmac_pipeline_end(c) < 0)
		return;
	if (seed % 13 == 0)
		_exit(0); /* a client that dies with its replies unread */
	while (vmac_pipeline_next(c, &result) == 1)
		;
}

static void
worker_round(const char *sock, int w, unsigned round)
{
	struct vmac_conn *c, *watcher = NULL;
	struct vmac_event ev;
	char name[32];

	snprintf(name, sizeof(name), "soak%d-%u", w, round % SPACES);
	if (vmac_connect(sock, &c) < 0)
		return;
	vmac_set_timeout(c, 10000);
	vmac_destroy(c, name);
	if (vmac_create(c, name, NULL) == 0) {
		if (round % 2 == 0 && vmac_connect(sock, &watcher) == 0 &&
		    vmac_watch(watcher, name) < 0) {
			vmac_close(watcher);
			watcher = NULL;
		}
		worker_ops(c, name, round * 31u + (unsigned)w);
		while (watcher && round % 4 == 0 && vmac_watch_next(watcher, &ev, 0) == 0)
			;
		if (round % 3 == 0)
			vmac_destroy(c, name);
	}
	vmac_close(watcher);
	vmac_close(c);
}

static void
worker(const char *sock, int w, time_t until)
{
	for (unsigned round = 0; time(NULL) < until; round++)
		worker_round(sock, w, round);
	_exit(0);
}

static pid_t
worker_start(const char *sock, int w, time_t until)
{
	pid_t pid = fork();

	if (pid == 0)
		worker(sock, w, until);
	assert_true(pid > 0);
	return pid;
}

/* Workers that ended (by themselves or killed) are started again until the end. */
static void
soak_run(struct vmad_proc *vm, pid_t *pids, time_t until, uint64_t *rss, size_t *n)
{
	unsigned tick = 0;
	int status;

	for (int w = 0; w < WORKERS; w++)
		pids[w] = worker_start(vm->sock, w, until);
	while (time(NULL) < until && *n < MAX_SAMPLES) {
		usleep(SAMPLE_MS * 1000);
		rss[*n] = vmad_rss_bytes(vm);
		assert_true(rss[(*n)++] > 0);
		/* Every second, one worker is killed wherever it is. */
		if (++tick % (1000 / SAMPLE_MS) == 0)
			kill(pids[tick % WORKERS], SIGKILL);
		for (int w = 0; w < WORKERS; w++)
			if (waitpid(pids[w], &status, WNOHANG) == pids[w])
				pids[w] = worker_start(vm->sock, w, until);
	}
	for (int w = 0; w < WORKERS; w++)
		waitpid(pids[w], &status, 0);
}

static uint64_t
max_of(const uint64_t *v, size_t from, size_t to)
{
	uint64_t m = 0;

	for (size_t i = from; i < to; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

static void
test_soak(void **state)
{
	static uint64_t rss[MAX_SAMPLES];
	unsigned secs = soak_seconds();
	pid_t pids[WORKERS];
	struct vmad_proc vm;
	uint64_t mid, last;
	size_t n = 0;

	(void)state;
	harness_bound(secs + 60);
	assert_int_equal(vmad_start(&vm, NULL, NULL), 0);
	soak_run(&vm, pids, time(NULL) + secs, rss, &n);
	assert_true(n >= 6);
	mid = max_of(rss, n / 3, 2 * n / 3);
	last = max_of(rss, 2 * n / 3, n);
	print_message("# soak %u s, %d workers, %zu samples: RSS %llu KiB after warm-up, largest "
		      "%llu KiB in the middle third, %llu KiB in the last (drift %lld KiB)\n",
		      secs, WORKERS, n, (unsigned long long)rss[n / 3] / 1024,
		      (unsigned long long)mid / 1024, (unsigned long long)last / 1024,
		      ((long long)last - (long long)mid) / 1024);
	assert_true(raw_ping_ok(vm.sock));
#ifndef UNDER_ASAN
	assert_true(last <= mid + DRIFT_SLACK + mid / 20);
#else
	print_message("# RSS flatness not checked: AddressSanitizer's quarantine grows\n");
#endif
	/* A clean exit; under the sanitizers, LeakSanitizer's verdict too. */
	assert_int_equal(vmad_stop(&vm), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_soak),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
