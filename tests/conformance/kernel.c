/* SPDX-License-Identifier: MIT */
/* Running a sequence on the real kernel: the runner, started without address randomisation. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver.h"

#define RUN_TIMEOUT_MS 20000

struct bytes {
	char *p;
	size_t len, cap, pos;
};

static int
bytes_read_fd(struct bytes *b, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (;;) {
		ssize_t r;

		if (b->cap - b->len < 65536) {
			size_t cap = b->cap ? b->cap * 2 : 1 << 20;
			char *p = realloc(b->p, cap);

			if (!p)
				return -ENOMEM;
			b->p = p;
			b->cap = cap;
		}
		if (poll(&pfd, 1, RUN_TIMEOUT_MS) <= 0)
			return -ETIMEDOUT;
		r = read(fd, b->p + b->len, b->cap - b->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return 0;
		b->len += (size_t)r;
	}
}

static bool
take(struct bytes *b, void *dst, size_t n)
{
	if (b->len - b->pos < n)
		return false;
	memcpy(dst, b->p + b->pos, n);
	b->pos += n;
	return true;
}

static char *
take_text(struct bytes *b, uint64_t n)
{
	char *s;

	if (b->len - b->pos < n)
		return NULL;
	s = malloc(n + 1);
	if (!s)
		return NULL;
	memcpy(s, b->p + b->pos, n);
	s[n] = '\0';
	b->pos += n;
	return s;
}

static bool
take_snapshot(struct bytes *b, struct conf_snapshot *snap)
{
	if (!take(b, &snap->st, sizeof(snap->st)) || snap->st.magic != CONF_MAGIC)
		return false;
	snap->maps = take_text(b, snap->st.maps_len);
	snap->smaps = take_text(b, snap->st.smaps_len);
	snap->status = take_text(b, snap->st.status_len);
	return snap->maps && snap->smaps && snap->status;
}

static int
parse_stream(struct bytes *b, struct conf_krun *out)
{
	struct conf_result r;

	if (!take_snapshot(b, &out->init))
		return -EPROTO;
	while (take(b, &r, sizeof(r))) {
		if (r.id == -1) {
			out->complete = take_snapshot(b, &out->fin);
			return out->complete ? 0 : -EPROTO;
		}
		if (out->nres == CONF_MAX_OPS)
			return -EPROTO;
		out->res[out->nres++] = r;
	}
	return -EPROTO;
}

static void
child_exec(const char *runner, unsigned pers, int in_fd, int out_fd)
{
	char *argv[] = { (char *)runner, NULL };
	char *envp[] = { NULL };

	if (personality(ADDR_NO_RANDOMIZE | (pers & ADDR_COMPAT_LAYOUT)) == -1 ||
	    dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0)
		_exit(126);
	execve(runner, argv, envp);
	_exit(127);
}

static int
write_program(int fd, const struct conf_seq *seq)
{
	struct conf_program prog = seq->prog;
	size_t n = seq->nops * sizeof(seq->ops[0]);

	prog.magic = CONF_MAGIC;
	prog.nops = (uint32_t)seq->nops;
	if (write(fd, &prog, sizeof(prog)) != (ssize_t)sizeof(prog) ||
	    write(fd, seq->ops, n) != (ssize_t)n)
		return -EIO;
	return 0;
}

int
conf_kernel_run(const char *runner, const struct conf_files *files, const struct conf_seq *seq,
		struct conf_krun *out)
{
	int in[2], outp[2], status, err;
	struct bytes b = { 0 };
	pid_t pid;

	memset(out, 0, sizeof(*out));
	if ((err = conf_files_settle(files)))
		return err;
	if (pipe2(in, O_CLOEXEC) || pipe2(outp, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		child_exec(runner, seq->prog.personality, in[0], outp[1]);
	close(in[0]);
	close(outp[1]);
	err = write_program(in[1], seq);
	close(in[1]);
	if (!err)
		err = bytes_read_fd(&b, outp[0]);
	close(outp[0]);
	if (err)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!err && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		err = -ECHILD;
	if (!err)
		err = parse_stream(&b, out);
	free(b.p);
	return err;
}

void
conf_krun_free(struct conf_krun *run)
{
	struct conf_snapshot *s[] = { &run->init, &run->fin };

	for (size_t i = 0; i < 2; i++) {
		free(s[i]->maps);
		free(s[i]->smaps);
		free(s[i]->status);
		s[i]->maps = s[i]->smaps = s[i]->status = NULL;
	}
}
