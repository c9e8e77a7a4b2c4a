/* SPDX-License-Identifier: MIT */
/* Starting and stopping the vmad the client tests talk to. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tvmad.h"

static const char *
vmad_bin(void)
{
	const char *env = getenv("VMAD_BIN");
	return env && *env ? env : VMAD_TEST_BIN;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int
accepts(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return 0;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static void
reap(struct tvmad *t)
{
	if (t->pid > 0)
		waitpid(t->pid, NULL, 0);
	t->pid = 0;
}

int
tvmad_restart(struct tvmad *t)
{
	unlink(t->sock);
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (t->pid == 0) {
		char log[128];
		snprintf(log, sizeof(log), "%s/vmad.log", t->dir);
		if (freopen(log, "a", stderr) == NULL)
			_exit(126);
		execl(vmad_bin(), "vmad", "-s", t->sock, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		if (accepts(t->sock))
			return 0;
		if (waitpid(t->pid, NULL, WNOHANG) == t->pid) {
			t->pid = 0;
			return -1;
		}
		sleep_ms(10);
	}
	tvmad_signal(t, SIGKILL);
	return -1;
}

int
tvmad_start(struct tvmad *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/vmac-test.XXXXXX");
	if (mkdtemp(t->dir) == NULL)
		return -1;
	snprintf(t->sock, sizeof(t->sock), "%s/vmad.sock", t->dir);
	return tvmad_restart(t);
}

void
tvmad_signal(struct tvmad *t, int sig)
{
	if (t->pid <= 0)
		return;
	kill(t->pid, sig);
	if (sig == SIGKILL)
		reap(t);
}

void
tvmad_stop(struct tvmad *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGCONT);
		kill(t->pid, SIGTERM);
		for (int i = 0; i < 300 && waitpid(t->pid, NULL, WNOHANG) == 0; i++)
			sleep_ms(10);
		if (waitpid(t->pid, NULL, WNOHANG) == 0) {
			kill(t->pid, SIGKILL);
			reap(t);
		}
		t->pid = 0;
	}
	char log[160];
	snprintf(log, sizeof(log), "%s/vmad.log", t->dir);
	unlink(log);
	unlink(t->sock);
	rmdir(t->dir);
}
