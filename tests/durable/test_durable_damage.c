/* SPDX-License-Identifier: MIT */
/*
 * Damaged state directories: a journal cut short at the end (the torn last record is dropped
 * with a log line), a flipped byte in the middle (start-up stops naming the file and offset;
 * --recover=truncate starts with what precedes it), a missing snapshot, a journal and a
 * snapshot from a newer format version (start-up stops and says so).  And one that is not
 * damaged: the snapshot of a vmad that held no space, which must start.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "dursupport.h"
#include "harness.h"
#include "model.h"
#include "vmaclient.h"

static struct vmad_proc p;
static char dir[64];

static int
start(const char *extra)
{
	const char *args[] = { "--state-dir", dir, extra, NULL };

	return vmad_start(&p, args, NULL);
}

/* n random operations on space "s" and the model; then vmad is killed. */
static void
history(struct model *m, int n, uint64_t seed, bool snapshot)
{
	struct vmac_conn *c;
	struct dop op;
	bool lost;

	assert_int_equal(start(NULL), 0);
	assert_int_equal(vmac_connect(p.sock, &c), 0);
	assert_int_equal(model_init(m, c, "s"), 0);
	for (int i = 0; i < n; i++) {
		if (snapshot && i == n / 2) {
			kill(p.pid, SIGHUP);
			usleep(200000);
		}
		dop_random(&op, &seed);
		dop_remote(c, m, &op, &lost);
		assert_false(lost);
		dop_local(m, &op);
	}
	vmac_close(c);
	kill(p.pid, SIGKILL);
	vmad_wait(&p, 5000);
	vmad_stop(&p);
}

static void
expect_space(const struct model *m)
{
	struct vmac_conn *c;

	assert_int_equal(vmac_connect(p.sock, &c), 0);
	assert_true(model_matches(m, c));
	vmac_close(c);
}

static void
newest(const char *kind, char *path, size_t size)
{
	assert_int_equal(state_newest(dir, kind, path, size), 0);
}

static void
cut_file(const char *path, long by)
{
	assert_int_equal(truncate(path, state_file_size(path) - by), 0);
}

static void
poke(const char *path, long off, uint8_t xor)
{
	int fd = open(path, O_RDWR);
	uint8_t b;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, off), 1);
	b ^= xor;
	assert_int_equal(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

static void
test_torn_tail(void **state)
{
	struct model before, m;
	char path[128];
	struct vmac_conn *c;
	uint64_t addr;

	(void)state;
	assert_int_equal(state_dir_new(dir, sizeof(dir)), 0);
	history(&m, 30, 5, false);
	assert_int_equal(model_clone(&m, &before), 0);
	assert_int_equal(start(NULL), 0);
	assert_int_equal(vmac_connect(p.sock, &c), 0);
	assert_int_equal(vmac_mmap(c, "s", 0, 8192, 3, 0x22, NULL, 0, &addr), 0);
	vmac_close(c);
	kill(p.pid, SIGKILL);
	vmad_wait(&p, 5000);
	vmad_stop(&p);
	newest("journal", path, sizeof(path));
	cut_file(path, 3);
	assert_int_equal(start(NULL), 0);
	assert_true(vmad_log_has(&p, "dropping a torn last record"));
	expect_space(&before);
	assert_int_equal(vmad_stop(&p), 0);
	model_fini(&before);
	model_fini(&m);
}

/*
 * A start (or a snapshot) killed after creating a journal segment but before its header
 * reached the disk leaves a short segment with no record: vmad must start on it, and still
 * start after later segments follow it.
 */
static void
test_headerless_segment(void **state)
{
	char path[128], next[160];
	struct model m;
	unsigned long long segno;
	int fd;

	(void)state;
	assert_int_equal(state_dir_new(dir, sizeof(dir)), 0);
	history(&m, 20, 7, false);
	newest("journal", path, sizeof(path));
	assert_int_equal(sscanf(strrchr(path, '-') + 1, "%llx", &segno), 1);
	snprintf(next, sizeof(next), "%.*s%016llx", (int)(strrchr(path, '-') + 1 - path), path,
		 segno + 1);
	fd = open(next, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "VMADJ", 5), 5);
	close(fd);
	for (int round = 0; round < 2; round++) {
		assert_int_equal(start(NULL), 0);
		expect_space(&m);
		assert_int_equal(vmad_stop(&p), 0);
	}
	model_fini(&m);
}

static void
test_flipped_byte(void **state)
{
	char path[128], want[160];
	struct model m;
	long size;

	(void)state;
	assert_int_equal(state_dir_new(dir, sizeof(dir)), 0);
	history(&m, 60, 9, false);
	newest("journal", path, sizeof(path));
	size = state_file_size(path);
	poke(path, size / 2, 0x40);
	assert_int_equal(start(NULL), -1);
	snprintf(want, sizeof(want), "%s: damaged record at offset", strrchr(path, '/') + 1);
	assert_true(vmad_log_has(&p, want));
	vmad_stop(&p);
	assert_int_equal(start("--recover=truncate"), 0);
	assert_true(vmad_log_has(&p, "--recover=truncate"));
	assert_int_equal(vmad_stop(&p), 0);
	/* What was kept starts without the option from now on. */
	assert_int_equal(start(NULL), 0);
	assert_true(state_file_size(path) < size / 2 + 1);
	assert_int_equal(vmad_stop(&p), 0);
	model_fini(&m);
}

static void
test_missing_snapshot(void **state)
{
	char path[128];
	struct model m;

	(void)state;
	assert_int_equal(state_dir_new(dir, sizeof(dir)), 0);
	history(&m, 40, 13, true);
	assert_int_equal(start(NULL), 0);
	expect_space(&m);
	assert_int_equal(vmad_stop(&p), 0);
	newest("snapshot", path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(start(NULL), -1);
	assert_true(vmad_log_has(&p, "snapshot-"));
	assert_true(vmad_log_has(&p, "is missing"));
	vmad_stop(&p);
	model_fini(&m);
}

static void
test_newer_versions(void **state)
{
	char path[128];
	struct model m;

	(void)state;
	assert_int_equal(state_dir_new(dir, sizeof(dir)), 0);
	history(&m, 20, 17, true);
	newest("journal", path, sizeof(path));
	poke(path, 8, 0x02); /* version 1 -> 3 */
	assert_int_equal(start(NULL), -1);
	assert_true(vmad_log_has(&p, "journal format version 3"));
	vmad_stop(&p);
	poke(path, 8, 0x02);
	newest("snapshot", path, sizeof(path));
	poke(path, 8, 0x02);
	assert_int_equal(start(NULL), -1);
	assert_true(vmad_log_has(&p, "snapshot format version 3"));
	vmad_stop(&p);
	poke(path, 8, 0x02);
	assert_int_equal(start(NULL), 0);
	expect_space(&m);
	assert_int_equal(vmad_stop(&p), 0);
	model_fini(&m);
}

/* A snapshot taken when no space exists is its header and checksum alone: it loads. */
static void
test_empty_snapshot(void **state)
{
	struct vmac_conn *c;
	char path[128];

	(void)state;
	assert_int_equal(state_dir_new(dir, sizeof(dir)), 0);
	assert_int_equal(start(NULL), 0);
	assert_int_equal(vmac_connect(p.sock, &c), 0);
	assert_int_equal(vmac_create(c, "s", NULL), 0);
	assert_int_equal(vmac_destroy(c, "s"), 0);
	vmac_close(c);
	kill(p.pid, SIGHUP);
	for (int i = 0; i < 100 && state_newest(dir, "snapshot", path, sizeof(path)) < 0; i++)
		usleep(50000);
	newest("snapshot", path, sizeof(path));
	assert_int_equal(vmad_stop(&p), 0);
	assert_int_equal(state_file_size(path), 36);
	assert_int_equal(start(NULL), 0);
	assert_int_equal(vmac_connect(p.sock, &c), 0);
	assert_int_equal(vmac_create(c, "s", NULL), 0);
	vmac_close(c);
	assert_int_equal(vmad_stop(&p), 0);
}

static int
setup(void **state)
{
	(void)state;
	harness_bound(60);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	vmad_stop(&p);
	return state_dir_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_headerless_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_snapshot, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
