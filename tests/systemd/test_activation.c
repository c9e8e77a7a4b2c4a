/* SPDX-License-Identifier: MIT */
/*
 * vmad under socket activation, as systemd runs it but without systemd as PID 1:
 * systemd-socket-activate binds a socket in a fresh temporary directory and execs vmad on the
 * first connection; NOTIFY_SOCKET names this program's own datagram socket.  Checks that vmad
 * starts only when a client connects, reports READY=1 and STATUS=, serves vmactl requests,
 * pings the watchdog, and on SIGTERM says STOPPING=1 and exits 0.  Prints TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef VMAD_BIN
#error "VMAD_BIN must name the vmad binary under test"
#endif
#ifndef VMACTL_BIN
#error "VMACTL_BIN must name the vmactl binary under test"
#endif

enum {
	TEST_TIMEOUT_S = 60,
	CMD_TIMEOUT_MS = 10000,
	NOTIFY_WAIT_MS = 5000,
	/* vmad pings at half this: every 200 ms. */
	WATCHDOG_USEC = 400000,
};

struct notes {
	char text[16384];
	size_t len;
};

static int tap_count;
static int tap_failures;
static volatile pid_t daemon_pid = -1;

static void
tap(int pass, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!pass)
		tap_failures++;
	printf("%s %d - ", pass ? "ok" : "not ok", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void
diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The whole run is bounded; a hang anywhere still kills vmad and reports. */
static void
on_alarm(int sig)
{
	static const char msg[] = "not ok - test timed out\n";
	pid_t pid = daemon_pid;

	(void)sig;
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	(void)!write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

static int
unix_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

static int
notify_open(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (unix_addr(&sa, path) < 0)
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Finds a notification line equal to KEY (e.g. "READY=1"), or starting with KEY when KEY ends
 * in '=' (e.g. "STATUS="); copies the value after '=' into VAL when given. */
static int
notes_find(const struct notes *n, const char *key, char *val, size_t valsz)
{
	size_t klen = strlen(key);
	int prefix = klen > 0 && key[klen - 1] == '=';
	const char *line = n->text;

	while (line < n->text + n->len) {
		const char *end = memchr(line, '\n', (size_t)(n->text + n->len - line));
		size_t llen = end ? (size_t)(end - line) : strlen(line);

		if ((prefix && llen >= klen && !memcmp(line, key, klen)) ||
		    (!prefix && llen == klen && !memcmp(line, key, klen))) {
			if (val)
				snprintf(val, valsz, "%.*s", (int)(llen - klen), line + klen);
			return 1;
		}
		line += llen + 1;
	}
	return 0;
}

static void
notes_recv(int fd, struct notes *n)
{
	ssize_t r;

	while (n->len + 2 < sizeof(n->text)) {
		r = recv(fd, n->text + n->len, sizeof(n->text) - n->len - 2, 0);
		if (r <= 0)
			return;
		n->len += (size_t)r;
		n->text[n->len++] = '\n';
		n->text[n->len] = '\0';
	}
}

/* Collects notifications for up to WAIT_MS, returning early once KEY has arrived. */
static int
notes_wait(int fd, struct notes *n, const char *key, long wait_ms)
{
	long long deadline = now_ms() + wait_ms;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (;;) {
		long long left = deadline - now_ms();

		notes_recv(fd, n);
		if (key && notes_find(n, key, NULL, 0))
			return 1;
		if (left <= 0)
			return 0;
		poll(&pfd, 1, (int)left);
	}
}

static int
wait_exit(pid_t pid, long timeout_ms, int *status)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0)
			return -errno;
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		sleep_ms(10);
	}
}

static void
reap(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	wait_exit(pid, CMD_TIMEOUT_MS, &status);
}

static size_t
read_bounded(int fd, char *out, size_t outsz, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0;

	while (now_ms() < deadline) {
		ssize_t r;

		if (poll(&pfd, 1, (int)(deadline - now_ms())) <= 0)
			continue;
		r = read(fd, out + len, outsz - len - 1);
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len + 1 >= outsz)
			break;
	}
	out[len] = '\0';
	return len;
}

/* Runs vmactl -s SOCK ARGS..., capturing its standard output.  Returns the exit status, or -1
 * when it crashed or did not finish in time. */
static int
vmactl(const char *sock, char *out, size_t outsz, const char *const args[])
{
	const char *argv[16] = { VMACTL_BIN, "-s", sock };
	size_t argc = 3;
	int pipefd[2], status;
	pid_t pid;

	while (*args && argc < sizeof(argv) / sizeof(argv[0]) - 1)
		argv[argc++] = *args++;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		execv(VMACTL_BIN, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return -1;
	}
	read_bounded(pipefd[0], out, outsz, now_ms() + CMD_TIMEOUT_MS);
	close(pipefd[0]);
	if (wait_exit(pid, CMD_TIMEOUT_MS, &status) < 0) {
		reap(pid);
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
add_env(const char **argv, size_t *argc, char *buf, size_t bufsz, const char *name)
{
	const char *v = getenv(name);

	if (!v)
		return;
	snprintf(buf, bufsz, "%s=%s", name, v);
	argv[(*argc)++] = "-E";
	argv[(*argc)++] = buf;
}

/* systemd-socket-activate -l SOCK [-E VAR=…] vmad --state-dir DIR/state: it binds now and
 * execs vmad (same pid) with LISTEN_FDS=1 when the first client connects. */
static pid_t
spawn_activator(const char *dir, const char *sock, const char *notify)
{
	char notify_env[256], wd_env[64], state[256], asan[1024], ubsan[1024];
	const char *argv[24];
	size_t argc = 0;
	pid_t pid;

	snprintf(notify_env, sizeof(notify_env), "NOTIFY_SOCKET=%s", notify);
	snprintf(wd_env, sizeof(wd_env), "WATCHDOG_USEC=%d", WATCHDOG_USEC);
	snprintf(state, sizeof(state), "%s/state", dir);
	if (mkdir(state, 0700) < 0)
		return -1;
	argv[argc++] = "systemd-socket-activate";
	argv[argc++] = "-l";
	argv[argc++] = sock;
	argv[argc++] = "-E";
	argv[argc++] = notify_env;
	argv[argc++] = "-E";
	argv[argc++] = wd_env;
	add_env(argv, &argc, asan, sizeof(asan), "ASAN_OPTIONS");
	add_env(argv, &argc, ubsan, sizeof(ubsan), "UBSAN_OPTIONS");
	argv[argc++] = VMAD_BIN;
	argv[argc++] = "--state-dir";
	argv[argc++] = state;
	argv[argc] = NULL;
	pid = fork();
	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static int
wait_for_path(const char *path, long timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	struct stat st;

	while (stat(path, &st) < 0) {
		if (now_ms() >= deadline)
			return 0;
		sleep_ms(10);
	}
	return 1;
}

static int
exe_is(pid_t pid, const char *want)
{
	char link[64], target[4096];
	ssize_t n;
	const char *base;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	base = strrchr(target, '/');
	return strcmp(base ? base + 1 : target, want) == 0;
}

static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* Before any client: bound socket, but vmad not yet executed and silent. */
static void
check_not_started(pid_t pid, const char *sock, int nfd, struct notes *n)
{
	tap(wait_for_path(sock, NOTIFY_WAIT_MS), "systemd-socket-activate listens on the socket");
	notes_wait(nfd, n, NULL, 300);
	tap(!exe_is(pid, "vmad") && n->len == 0, "vmad is not started before the first connection");
}

static void
check_activation(pid_t pid, const char *sock, int nfd, struct notes *n)
{
	char out[4096], status[1024];
	const char *ping[] = { "ping", NULL };
	int rc;

	rc = vmactl(sock, out, sizeof(out), ping);
	tap(rc == 0 && strcmp(out, "pong\n") == 0, "first connection: vmactl ping answers pong");
	if (rc != 0)
		diag("vmactl ping exited %d, printed '%s'", rc, out);
	tap(exe_is(pid, "vmad"), "the first connection started vmad");
	tap(notes_wait(nfd, n, "READY=1", NOTIFY_WAIT_MS), "vmad sent READY=1");
	notes_wait(nfd, n, "STATUS=", NOTIFY_WAIT_MS);
	status[0] = '\0';
	tap(notes_find(n, "STATUS=", status, sizeof(status)) && status[0] != '\0',
	    "vmad sent a STATUS= line");
	diag("STATUS=%s", status);
}

static void
check_requests(const char *sock)
{
	const char *create[] = { "create", "act", NULL };
	const char *mmap[] = { "mmap", "act", "0", "64K", "rw-", "private,anonymous", NULL };
	const char *maps[] = { "maps", "act", NULL };
	char out[8192], want[64];
	unsigned long long addr;
	int rc;

	rc = vmactl(sock, out, sizeof(out), create);
	tap(rc == 0, "create over the activated socket");
	rc = vmactl(sock, out, sizeof(out), mmap);
	addr = strtoull(out, NULL, 16);
	out[strcspn(out, "\n")] = '\0';
	tap(rc == 0 && addr != 0, "mmap over the activated socket returns an address");
	diag("mmap printed %s", out);
	snprintf(want, sizeof(want), "%llx-%llx rw-p 00000000 00:00 0", addr, addr + 0x10000);
	rc = vmactl(sock, out, sizeof(out), maps);
	tap(rc == 0 && strstr(out, want) != NULL, "maps shows the new mapping (%s)", want);
	if (rc != 0 || !strstr(out, want))
		diag("maps exited %d, printed:\n%s", rc, out);
}

static void
check_stop(pid_t pid, int nfd, struct notes *n)
{
	int status = 0, r, running;

	tap(notes_wait(nfd, n, "WATCHDOG=1", NOTIFY_WAIT_MS),
	    "vmad pings the watchdog (WATCHDOG_USEC=%d)", WATCHDOG_USEC);
	running = exe_is(pid, "vmad");
	kill(pid, SIGTERM);
	r = wait_exit(pid, CMD_TIMEOUT_MS, &status);
	if (r < 0)
		reap(pid);
	daemon_pid = -1;
	notes_recv(nfd, n);
	tap(notes_find(n, "STOPPING=1", NULL, 0), "SIGTERM: vmad sent STOPPING=1");
	tap(running && r == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "SIGTERM: vmad exited 0");
	if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		diag("wait status 0x%x", status);
}

int
main(void)
{
	char dir[] = "/tmp/vmad-activation.XXXXXX", sock[256], notify[256];
	struct notes n = { .len = 0 };
	pid_t pid;
	int nfd;

	signal(SIGALRM, on_alarm);
	alarm(TEST_TIMEOUT_S);
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(sock, sizeof(sock), "%s/vmad.sock", dir);
	snprintf(notify, sizeof(notify), "%s/notify", dir);
	nfd = notify_open(notify);
	tap(nfd >= 0, "notification socket bound");
	pid = nfd >= 0 ? spawn_activator(dir, sock, notify) : -1;
	tap(pid > 0, "systemd-socket-activate started for %s", VMAD_BIN);
	if (pid > 0) {
		daemon_pid = pid;
		check_not_started(pid, sock, nfd, &n);
		check_activation(pid, sock, nfd, &n);
		check_requests(sock);
		check_stop(pid, nfd, &n);
	}
	if (nfd >= 0)
		close(nfd);
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	printf("1..%d\n", tap_count);
	return tap_failures ? 1 : 0;
}
