/* SPDX-License-Identifier: MIT */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#define STOP_GRACE_NS (5 * BENCH_NS_PER_SEC)
#define POLL_NS       (10 * 1000 * 1000)

static void
nap(void)
{
	struct timespec ts = { 0, POLL_NS };

	nanosleep(&ts, NULL);
}

/* In the child: never returns. */
static void
exec_child(char *const argv[], int out_fd)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (out_fd >= 0) {
		dup2(out_fd, STDOUT_FILENO);
		dup2(out_fd, STDERR_FILENO);
	}
	execvp(argv[0], argv);
	_exit(127);
}

int
proc_spawn(char *const argv[], const char *log_path, pid_t *pid)
{
	int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	int err;

	if (fd < 0)
		return -errno;
	*pid = fork();
	if (*pid == 0)
		exec_child(argv, fd);
	err = *pid < 0 ? -errno : 0;
	close(fd);
	return err;
}

static bool
socket_accepts(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

int
proc_wait_socket(pid_t pid, const char *path, uint64_t timeout_ns)
{
	uint64_t start = bench_now_ns();

	while (!socket_accepts(path)) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -ECHILD;
		if (bench_now_ns() - start > timeout_ns)
			return -ETIMEDOUT;
		nap();
	}
	return 0;
}

/* Reaps pid within timeout_ns: true with *status set, or false. */
static bool
reap_within(pid_t pid, uint64_t timeout_ns, int *status)
{
	uint64_t start = bench_now_ns();

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			return true;
		if (bench_now_ns() - start > timeout_ns)
			return false;
		nap();
	}
}

int
proc_stop(pid_t pid)
{
	int status = 0;

	kill(pid, SIGTERM);
	if (!reap_within(pid, STOP_GRACE_NS, &status)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	return status;
}

/* Reads the child's output until EOF or the deadline; false if the deadline passed. */
static bool
read_until(int fd, char *out, size_t size, uint64_t deadline)
{
	size_t len = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = bench_now_ns();
		char scratch[4096];
		bool room = len + 1 < size;
		ssize_t n;

		if (now >= deadline)
			return false;
		if (poll(&pfd, 1, (int)((deadline - now) / 1000000 + 1)) <= 0)
			continue;
		n = read(fd, room ? out + len : scratch, room ? size - 1 - len : sizeof(scratch));
		if (n == 0 || (n < 0 && errno != EINTR))
			break;
		if (n > 0 && room)
			len += (size_t)n;
	}
	out[len] = '\0';
	return true;
}

int
proc_run(char *const argv[], char *out, size_t size, uint64_t timeout_ns)
{
	int fds[2], status = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		exec_child(argv, -1);
	}
	status = pid < 0 ? -errno : 0;
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return status;
	}
	if (!read_until(fds[0], out, size, bench_now_ns() + timeout_ns)) {
		close(fds[0]);
		proc_stop(pid);
		return -ETIMEDOUT;
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
	return status;
}

bool
proc_in_path(const char *name)
{
	const char *path = getenv("PATH");
	char buf[4096];

	while (path && *path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, name);
		if (access(buf, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

uint64_t
proc_cpu_ns(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long utime, stime;
	FILE *f;
	char *p;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces; the fields after it start past the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
			 &stime) != 2)
		return 0;
	return (utime + stime) * (BENCH_NS_PER_SEC / (uint64_t)sysconf(_SC_CLK_TCK));
}

/* Where the last `lines` lines of text[0, n) start. */
static char *
last_lines(char *text, size_t n, unsigned lines)
{
	char *p = text + n;
	unsigned seen = 0;

	if (p > text && p[-1] == '\n')
		p--;
	while (p > text) {
		if (p[-1] == '\n' && ++seen == lines)
			break;
		p--;
	}
	return p;
}

void
proc_print_log_tail(const char *path, unsigned lines)
{
	char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		/* Only the end matters: read at most the last sizeof(buf) - 1 bytes. */
		if (fseek(f, -(long)sizeof(buf) + 1, SEEK_END))
			rewind(f);
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	fprintf(stderr, "--- %s, last lines:\n", path);
	for (char *line = strtok(last_lines(buf, n, lines), "\n"); line; line = strtok(NULL, "\n"))
		fprintf(stderr, "    %s\n", line);
}
