/* SPDX-License-Identifier: MIT */
/*
 * vmad's life cycle as a service: command line, socket activation through
 * systemd-socket-activate, sd_notify READY/STATUS/WATCHDOG/STOPPING on a datagram socket the
 * test binds, journal-style logging, SIGTERM/SIGINT, and the socket node it owns.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"

static int
bound(void **state)
{
	(void)state;
	harness_bound(60);
	return 0;
}

/* Runs vmad with args to completion; its stdout and stderr go to out. */
static int
run_vmad(const char *const *args, char *out, size_t size)
{
	const char *argv[16] = { harness_vmad_bin() };
	int pipefd[2], status;
	size_t n = 1, len = 0;
	ssize_t got;
	pid_t pid;

	for (; *args && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	if (pipe(pipefd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (len + 1 < size && (got = read(pipefd[0], out + len, size - 1 - len)) > 0)
		len += (size_t)got;
	out[len] = '\0';
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void
test_help_version_usage(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(run_vmad((const char *const[]){ "--help", NULL }, out, sizeof(out)), 0);
	assert_non_null(
		strstr(out, "usage: vmad [-s PATH] [--state-dir DIR] [--sync always|batch|none]"));
	assert_non_null(strstr(out, "in memory"));
	assert_int_equal(run_vmad((const char *const[]){ "-h", NULL }, out, sizeof(out)), 0);
	assert_int_equal(run_vmad((const char *const[]){ "--version", NULL }, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "vmad 0."));
	assert_int_equal(run_vmad((const char *const[]){ "--bogus", NULL }, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "vmad: unrecognized option '--bogus' (see vmad --help)"));
	assert_int_equal(
		run_vmad((const char *const[]){ "--max-frame", "10", NULL }, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "--max-frame"));
	assert_int_equal(
		run_vmad((const char *const[]){ "--max-clients", "x", NULL }, out, sizeof(out)), 2);
	assert_int_equal(
		run_vmad((const char *const[]){ "--log-level", "loud", NULL }, out, sizeof(out)),
		2);
	assert_int_equal(run_vmad((const char *const[]){ "extra", NULL }, out, sizeof(out)), 2);
}

/* A datagram socket standing in for systemd's notification socket. */
struct notify_sock {
	int fd;
	char path[100];
	char env[128];
	char text[65536];
	size_t len;
};

static void
notify_open(struct notify_sock *n, const char *dir)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(n, 0, sizeof(*n));
	snprintf(n->path, sizeof(n->path), "%s/notify", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", n->path);
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(n->fd >= 0);
	assert_int_equal(bind(n->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(n->env, sizeof(n->env), "NOTIFY_SOCKET=%s", n->path);
}

/* Collects datagrams until text appears (1) or timeout_ms passes (0). */
static int
notify_wait(struct notify_sock *n, const char *text, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;

	while (!strstr(n->text, text)) {
		struct pollfd pfd = { .fd = n->fd, .events = POLLIN };
		int64_t left = deadline - harness_now_ms();
		ssize_t got;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return 0;
		got = recv(n->fd, n->text + n->len, sizeof(n->text) - 1 - n->len, 0);
		if (got < 0)
			return 0;
		n->len += (size_t)got;
		n->text[n->len++] = '\n';
		n->text[n->len] = '\0';
	}
	return 1;
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void
test_notify_ready_status_stopping(void **state)
{
	struct notify_sock n;
	struct vmad_proc vm;
	char dir[] = "/tmp/vmad-notify.XXXXXX";
	const char *env[2];

	(void)state;
	assert_non_null(mkdtemp(dir));
	notify_open(&n, dir);
	env[0] = n.env;
	env[1] = NULL;
	assert_int_equal(vmad_start(&vm, NULL, env), 0);
	assert_true(notify_wait(&n, "READY=1", 5000));
	assert_true(notify_wait(&n, "STATUS=0 spaces, ", 5000));
	/* No watchdog was asked for. */
	assert_null(strstr(n.text, "WATCHDOG=1"));
	kill(vm.pid, SIGTERM);
	assert_true(notify_wait(&n, "STOPPING=1", 5000));
	assert_int_equal(vmad_wait(&vm, 5000), 0);
	vmad_stop(&vm);
	close(n.fd);
	unlink(n.path);
	rmdir(dir);
}

static void
test_watchdog(void **state)
{
	struct notify_sock n;
	struct vmad_proc vm;
	char dir[] = "/tmp/vmad-watchdog.XXXXXX";
	const char *env[3];
	int64_t t0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	notify_open(&n, dir);
	env[0] = n.env;
	env[1] = "WATCHDOG_USEC=200000";
	env[2] = NULL;
	assert_int_equal(vmad_start(&vm, NULL, env), 0);
	t0 = harness_now_ms();
	assert_true(notify_wait(&n, "READY=1", 5000));
	/* Pings every 100 ms: at least 5 within a second, and not a flood either. */
	while (harness_now_ms() - t0 < 1000)
		notify_wait(&n, "never-sent", 50);
	assert_true(count(n.text, "WATCHDOG=1") >= 5);
	assert_true(count(n.text, "WATCHDOG=1") <= 15);
	assert_int_equal(vmad_stop(&vm), 0);
	close(n.fd);
	unlink(n.path);
	rmdir(dir);
}

/* Pings with ids 1 to n, sent without waiting for their replies. */
static void
send_pings(int fd, int n)
{
	for (int i = 1; i <= n; i++) {
		Vmad__V1__Request req;
		Vmad__V1__Ping ping;

		raw_ping_req(&req, &ping, (uint64_t)i);
		assert_int_equal(raw_send(fd, &req), 0);
	}
}

/* The replies to send_pings(fd, n) in order, then the daemon's close within eof_ms. */
static void
expect_replies_then_eof(int fd, int n, int eof_ms)
{
	bool eof = false;

	for (int i = 1; i <= n; i++) {
		Vmad__V1__Response *resp = raw_recv(fd, 5000, NULL);

		assert_non_null(resp);
		assert_int_equal(resp->id, i);
		raw_free(resp);
	}
	assert_null(raw_recv(fd, eof_ms, &eof));
	assert_true(eof);
}

/* Replies to everything sent before SIGTERM arrive, then the close; the socket is removed. */
static void
test_sigterm_answers_in_flight(void **state)
{
	enum { N = 1000 };
	struct vmad_proc vm;
	struct stat st;
	char sock[128];
	int fd;

	(void)state;
	assert_int_equal(vmad_start(&vm, NULL, NULL), 0);
	fd = raw_connect(vm.sock);
	assert_true(fd >= 0);
	send_pings(fd, N);
	kill(vm.pid, SIGTERM);
	expect_replies_then_eof(fd, N, 5000);
	close(fd);
	assert_int_equal(vmad_wait(&vm, 5000), 0);
	snprintf(sock, sizeof(sock), "%s", vm.sock);
	assert_int_equal(stat(sock, &st), -1);
	assert_int_equal(errno, ENOENT);
	vmad_stop(&vm);
}

/*
 * Requests buffered when SIGTERM comes, as many as a whole number of passes serve
 * (VMAD_PASS_REQUESTS): the last pass ends on its budget with nothing left, and the
 * connection must close then, not at the shutdown deadline (set far off here).
 */
static void
test_sigterm_closes_after_whole_passes(void **state)
{
	static const char *const env[] = { "VMAD_PASS_REQUESTS=4", "VMAD_SHUTDOWN_TIMEOUT_MS=60000",
					   NULL };
	enum { N = 32 };
	Vmad__V1__Response *resp;
	Vmad__V1__Request req;
	Vmad__V1__Ping ping;
	struct vmad_proc vm;
	int fd;

	(void)state;
	assert_int_equal(vmad_start(&vm, NULL, env), 0);
	fd = raw_connect(vm.sock);
	assert_true(fd >= 0);
	/* A reply first: the connection is accepted, as a stopping vmad accepts none. */
	raw_ping_req(&req, &ping, N + 1);
	resp = raw_call(fd, &req);
	assert_non_null(resp);
	raw_free(resp);
	/* Stopped, vmad reads nothing: all N are in its input when it drains. */
	assert_int_equal(kill(vm.pid, SIGSTOP), 0);
	send_pings(fd, N);
	assert_int_equal(kill(vm.pid, SIGTERM), 0);
	assert_int_equal(kill(vm.pid, SIGCONT), 0);
	expect_replies_then_eof(fd, N, 20000);
	close(fd);
	assert_int_equal(vmad_wait(&vm, 5000), 0);
	vmad_stop(&vm);
}

static void
test_sigint(void **state)
{
	struct vmad_proc vm;

	(void)state;
	assert_int_equal(vmad_start(&vm, NULL, NULL), 0);
	kill(vm.pid, SIGINT);
	assert_int_equal(vmad_wait(&vm, 5000), 0);
	assert_int_equal(access(vm.sock, F_OK), -1);
	vmad_stop(&vm);
}

static void
test_live_socket_refused(void **state)
{
	struct vmad_proc vm;
	char out[4096];

	(void)state;
	assert_int_equal(vmad_start(&vm, NULL, NULL), 0);
	assert_int_equal(run_vmad((const char *const[]){ "-s", vm.sock, NULL }, out, sizeof(out)),
			 1);
	assert_non_null(strstr(out, "another daemon"));
	/* The first one keeps its socket and its clients. */
	assert_true(raw_ping_ok(vm.sock));
	assert_int_equal(vmad_stop(&vm), 0);
}

static void
test_stale_socket_replaced(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/vmad-stale.XXXXXX";
	char file[128], out[4096];
	struct vmad_proc vm;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* A socket node nobody listens on, as a crashed daemon leaves it. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/vmad.sock", dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(vmad_start(&vm, NULL, NULL), 0);
	vmad_stop(&vm);
	/* A regular file is never removed. */
	snprintf(file, sizeof(file), "%s/file", dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(run_vmad((const char *const[]){ "-s", file, NULL }, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "not a socket"));
	assert_int_equal(access(file, F_OK), 0);
	unlink(file);
	unlink(sa.sun_path);
	rmdir(dir);
}

static void
test_socket_path_too_long(void **state)
{
	char path[200], out[4096];

	(void)state;
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(run_vmad((const char *const[]){ "-s", path, NULL }, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "longer than"));
}

static void
test_state_dir(void **state)
{
	char dir[] = "/tmp/vmad-state.XXXXXX";
	char nested[128], file[192], out[4096];
	const char *args[] = { "--state-dir", nested, NULL };
	struct vmad_proc vm;
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(nested, sizeof(nested), "%s/a/b", dir);
	assert_int_equal(vmad_start(&vm, args, NULL), 0);
	assert_int_equal(stat(nested, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_true(vmad_log_has(&vm, "recovered 0 address spaces"));
	assert_int_equal(vmad_stop(&vm), 0);
	snprintf(file, sizeof(file), "%s/file", dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(
		run_vmad((const char *const[]){ "--state-dir", file, NULL }, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "not a directory"));
	unlink(file);
	/* The journal segment the daemon started, and its lock. */
	snprintf(file, sizeof(file), "%s/journal-0000000000000001", nested);
	assert_int_equal(unlink(file), 0);
	snprintf(file, sizeof(file), "%s/lock", nested);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(nested), 0);
	snprintf(nested, sizeof(nested), "%s/a", dir);
	rmdir(nested);
	rmdir(dir);
}

/* argv[0] runs with stderr on dir/log and the environment given; returns its pid. */
static pid_t
spawn(const char *const *argv, const char *const *env, const char *log)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		struct stat st;
		char js[64];

		if (fd < 0 || dup2(fd, 2) < 0 || fstat(2, &st) < 0)
			_exit(127);
		for (; env && *env; env++) {
			if (strcmp(*env, "JOURNAL_STREAM=stderr") == 0) {
				snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
					 (unsigned long long)st.st_ino);
				setenv("JOURNAL_STREAM", js, 1);
			} else {
				putenv((char *)*env);
			}
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static int
reap(pid_t pid, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	int status;

	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (harness_now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(5000);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
wait_for_node(const char *path)
{
	for (int i = 0; i < 500; i++) {
		if (access(path, F_OK) == 0)
			return 0;
		usleep(10000);
	}
	return -1;
}

/*
 * The socket at path accepts a connection (within 5 s): its node appears at bind(), a moment
 * before vmad listens, and a connection in between is refused.
 */
static int
wait_for_listener(const char *path)
{
	for (int i = 0; i < 500; i++) {
		int fd = raw_connect(path);

		if (fd >= 0) {
			close(fd);
			return 0;
		}
		usleep(10000);
	}
	return -1;
}

static bool
file_has(const char *path, const char *text)
{
	char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, text) != NULL;
}

static void
test_journal_prefix(void **state)
{
	char dir[] = "/tmp/vmad-journal.XXXXXX";
	char sock[128], log[128];
	const char *argv[] = { harness_vmad_bin(), "-s", sock, NULL };
	const char *env[] = { "JOURNAL_STREAM=stderr", NULL };
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/vmad.sock", dir);
	snprintf(log, sizeof(log), "%s/log", dir);
	pid = spawn(argv, env, log);
	assert_int_equal(wait_for_listener(sock), 0);
	assert_true(raw_ping_ok(sock));
	kill(pid, SIGTERM);
	assert_int_equal(reap(pid, 5000), 0);
	/* journald reads the priority from "<N>" and adds its own timestamps. */
	assert_true(file_has(log, "\n<6>vmad 0.") || file_has(log, "<6>vmad 0."));
	assert_false(file_has(log, "vmad info:"));
	unlink(log);
	rmdir(dir);
}

/*
 * systemd-socket-activate binds the socket and starts vmad on the first connection, with
 * LISTEN_FDS=1.  vmad serves it, notifies, and never removes a node it did not create.
 */
static void
test_socket_activation(void **state)
{
	char dir[] = "/tmp/vmad-activate.XXXXXX";
	char sock[128], log[128], notify_env[160];
	struct notify_sock n;
	const char *argv[] = { "systemd-socket-activate", "-l",          sock,    "-E", notify_env,
			       harness_vmad_bin(),        "--log-level", "debug", NULL };
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/vmad.sock", dir);
	snprintf(log, sizeof(log), "%s/log", dir);
	notify_open(&n, dir);
	snprintf(notify_env, sizeof(notify_env), "%s", n.env);
	pid = spawn(argv, NULL, log);
	assert_int_equal(wait_for_node(sock), 0);
	/* Not started until someone connects. */
	assert_false(notify_wait(&n, "READY=1", 200));
	assert_true(raw_ping_ok(sock));
	assert_true(notify_wait(&n, "READY=1", 5000));
	for (int i = 0; i < 20; i++)
		assert_true(raw_ping_ok(sock));
	assert_true(file_has(log, "serving the socket passed by systemd"));
	kill(pid, SIGTERM);
	assert_true(notify_wait(&n, "STOPPING=1", 5000));
	assert_int_equal(reap(pid, 5000), 0);
	/* The node belongs to the socket unit: still there. */
	assert_int_equal(access(sock, F_OK), 0);
	unlink(sock);
	unlink(log);
	close(n.fd);
	unlink(n.path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_help_version_usage, bound),
		cmocka_unit_test_setup(test_notify_ready_status_stopping, bound),
		cmocka_unit_test_setup(test_watchdog, bound),
		cmocka_unit_test_setup(test_sigterm_answers_in_flight, bound),
		cmocka_unit_test_setup(test_sigterm_closes_after_whole_passes, bound),
		cmocka_unit_test_setup(test_sigint, bound),
		cmocka_unit_test_setup(test_live_socket_refused, bound),
		cmocka_unit_test_setup(test_stale_socket_replaced, bound),
		cmocka_unit_test_setup(test_socket_path_too_long, bound),
		cmocka_unit_test_setup(test_state_dir, bound),
		cmocka_unit_test_setup(test_journal_prefix, bound),
		cmocka_unit_test_setup(test_socket_activation, bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
