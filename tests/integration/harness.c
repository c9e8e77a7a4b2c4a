/* SPDX-License-Identifier: MIT */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmaclient.h"

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS  10000
#define MAX_DAEMONS      8

/* The daemons alive, for the alarm handler: a timed-out test must not leave one behind. */
static volatile pid_t daemons[MAX_DAEMONS];

static void
harness_track(pid_t pid, pid_t replace)
{
	for (int i = 0; i < MAX_DAEMONS; i++)
		if (daemons[i] == replace) {
			daemons[i] = pid;
			return;
		}
}

static void
harness_alarm(int sig)
{
	static const char msg[] = "not ok - the test ran out of time\n";

	(void)sig;
	for (int i = 0; i < MAX_DAEMONS; i++)
		if (daemons[i] > 0)
			kill(daemons[i], SIGKILL);
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

void
harness_bound(unsigned seconds)
{
	signal(SIGALRM, harness_alarm);
	alarm(seconds);
}

int
harness_bound_setup(void **state)
{
	(void)state;
	harness_bound(120);
	return 0;
}

int
harness_group_start(struct vmad_proc *p, const char *const *env, struct vmac_conn **conn)
{
	if (vmad_start(p, NULL, env) < 0)
		return -1;
	return conn && vmac_connect(p->sock, conn) < 0 ? -1 : 0;
}

int
harness_group_stop(struct vmad_proc *p, struct vmac_conn *conn)
{
	vmac_close(conn);
	return vmad_stop(p) == 0 ? 0 : -1;
}

void
harness_more_fds(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int64_t
harness_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
harness_vmad_bin(void)
{
	const char *env = getenv("VMAD_BIN");

	return env && *env ? env : VMAD_TEST_BIN;
}

static void
vmad_exec(const struct vmad_proc *p, const char *const *args, const char *const *env,
	  unsigned nofile)
{
	const char *argv[32] = { harness_vmad_bin(), "-s", p->sock, "--log-level", "info" };
	size_t n = 5;
	int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	for (; args && *args && n < 31; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	for (; env && *env; env++)
		putenv((char *)*env);
	if (fd >= 0)
		dup2(fd, 2);
	/* Only stdin, stdout and stderr: descriptor numbers are predictable in the daemon. */
	close_range(3, ~0U, 0);
	if (nofile) {
		struct rlimit rl = { nofile, nofile };

		setrlimit(RLIMIT_NOFILE, &rl);
	}
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

int
vmad_start(struct vmad_proc *p, const char *const *args, const char *const *env)
{
	return vmad_start_nofile(p, args, env, 0);
}

int
vmad_start_nofile(struct vmad_proc *p, const char *const *args, const char *const *env,
		  unsigned nofile)
{
	int64_t deadline = harness_now_ms() + START_TIMEOUT_MS;

	memset(p, 0, sizeof(*p));
	strcpy(p->dir, "/tmp/vmad-test.XXXXXX");
	/* Searchable, so that clients running under other uids reach the socket. */
	if (!mkdtemp(p->dir) || chmod(p->dir, 0755) < 0)
		return -1;
	snprintf(p->sock, sizeof(p->sock), "%s/vmad.sock", p->dir);
	snprintf(p->log, sizeof(p->log), "%s/vmad.log", p->dir);
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0)
		vmad_exec(p, args, env, nofile);
	harness_track(p->pid, 0);
	while (harness_now_ms() < deadline) {
		int fd = raw_connect(p->sock);

		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
			harness_track(0, p->pid);
			p->pid = 0;
			return -1;
		}
		usleep(10000);
	}
	vmad_stop(p);
	return -1;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
vmad_wait(struct vmad_proc *p, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	int status;

	while (p->pid > 0) {
		pid_t r = waitpid(p->pid, &status, WNOHANG);

		if (r == p->pid) {
			harness_track(0, p->pid);
			p->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		}
		if (r < 0 || harness_now_ms() >= deadline)
			return -1;
		usleep(5000);
	}
	return -1;
}

int
vmad_stop(struct vmad_proc *p)
{
	int rc = -1;

	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		rc = vmad_wait(p, STOP_TIMEOUT_MS);
		if (p->pid > 0) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, NULL, 0);
			harness_track(0, p->pid);
			p->pid = 0;
			rc = -1;
		}
	}
	if (getenv("VMAD_TEST_KEEP_LOG")) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "cat %s >&2", p->log);
		if (system(cmd) != 0)
			fprintf(stderr, "# cannot show %s\n", p->log);
	}
	if (p->dir[0])
		nftw(p->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	p->dir[0] = '\0';
	return rc;
}

long
vmad_cpu_ticks(const struct vmad_proc *p)
{
	unsigned long utime = 0, stime = 0;
	char path[64], buf[1024], *rp;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)p->pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	buf[0] = '\0';
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	/* Fields 14 and 15, counted after the parenthesised command name. */
	rp = strrchr(buf, ')');
	if (!rp || sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
			  &stime) != 2)
		return -1;
	return (long)(utime + stime);
}

uint64_t
vmad_rss_bytes(const struct vmad_proc *p)
{
	char path[64], line[256];
	unsigned long long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)p->pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

bool
vmad_log_has(const struct vmad_proc *p, const char *text)
{
	FILE *f = fopen(p->log, "r");
	char line[2048];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, text) != NULL;
	fclose(f);
	return found;
}

int
raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
raw_write(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
raw_send(int fd, const Vmad__V1__Request *req)
{
	size_t len = vmad__v1__request__get_packed_size(req);
	unsigned char *buf = malloc(4 + len);
	int r;

	if (!buf)
		return -1;
	buf[0] = (unsigned char)(len >> 24);
	buf[1] = (unsigned char)(len >> 16);
	buf[2] = (unsigned char)(len >> 8);
	buf[3] = (unsigned char)len;
	vmad__v1__request__pack(req, buf + 4);
	r = raw_write(fd, buf, 4 + len);
	free(buf);
	return r;
}

/* Exactly len bytes within the deadline: 1, 0 on EOF, -1 on error or timeout. */
static int
raw_read_full(int fd, void *buf, size_t len, int64_t deadline)
{
	char *p = buf;

	while (len > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - harness_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -1;
		n = recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return 0;
		if (n < 0)
			return errno == ECONNRESET ? 0 : -1;
		p += n;
		len -= (size_t)n;
	}
	return 1;
}

ssize_t
raw_recv_frame(int fd, int timeout_ms, uint8_t *buf, size_t cap)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	size_t len;

	if (cap < 4 || raw_read_full(fd, buf, 4, deadline) <= 0)
		return -1;
	len = (size_t)buf[0] << 24 | (size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3];
	if (len > cap - 4 || raw_read_full(fd, buf + 4, len, deadline) <= 0)
		return -1;
	return (ssize_t)(len + 4);
}

Vmad__V1__Response *
raw_recv(int fd, int timeout_ms, bool *eof)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	unsigned char hdr[4], *body;
	Vmad__V1__Response *resp;
	size_t len;
	int r;

	if (eof)
		*eof = false;
	r = raw_read_full(fd, hdr, 4, deadline);
	if (r <= 0) {
		if (eof)
			*eof = r == 0;
		return NULL;
	}
	len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	if (len > (64u << 20))
		return NULL;
	body = malloc(len ? len : 1);
	if (!body || raw_read_full(fd, body, len, deadline) <= 0) {
		free(body);
		return NULL;
	}
	resp = vmad__v1__response__unpack(NULL, len, body);
	free(body);
	return resp;
}

Vmad__V1__Response *
raw_call(int fd, const Vmad__V1__Request *req)
{
	if (raw_send(fd, req) < 0)
		return NULL;
	return raw_recv(fd, 10000, NULL);
}

void
raw_free(Vmad__V1__Response *resp)
{
	if (resp)
		vmad__v1__response__free_unpacked(resp, NULL);
}

int
raw_wait_closed(int fd, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	char buf[65536];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - harness_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return 0;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 1;
		if (n < 0 && errno != EINTR)
			return 0;
	}
}

void
raw_ping_req(Vmad__V1__Request *req, Vmad__V1__Ping *ping, uint64_t id)
{
	vmad__v1__request__init(req);
	vmad__v1__ping__init(ping);
	req->has_id = true;
	req->id = id;
	req->op_case = VMAD__V1__REQUEST__OP_PING;
	req->ping = ping;
}

bool
raw_ping_ok(const char *path)
{
	Vmad__V1__Request req;
	Vmad__V1__Ping ping;
	Vmad__V1__Response *resp;
	int fd = raw_connect(path);
	bool ok;

	if (fd < 0)
		return false;
	raw_ping_req(&req, &ping, 42);
	resp = raw_call(fd, &req);
	ok = resp && resp->id == 42 && resp->error == 0;
	raw_free(resp);
	close(fd);
	return ok;
}
