/* SPDX-License-Identifier: MIT */
/* The shadow's reads of a tracee: whole /proc files, strings and string arrays in its memory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shadow.h"

#define PROC_STRING_MAX  (128u << 10) /* MAX_ARG_STRLEN */
#define PROC_STRINGS_MAX (1u << 20)

int
sh_proc_read(pid_t pid, const char *what, char **out)
{
	char path[64], *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 16384;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n > 0)
			len += (size_t)n;
	} while (n > 0);
	close(fd);
	if (n < 0) {
		free(buf);
		return -errno;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

static int
proc_mem(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* The NUL-terminated string at addr, read through /proc/PID/mem (malloc()ed), or NULL. */
char *
sh_proc_string(pid_t pid, uint64_t addr)
{
	int fd = proc_mem(pid);
	char *s = NULL;
	size_t len = 0;
	char c;

	if (fd < 0)
		return NULL;
	s = malloc(PROC_STRING_MAX + 1);
	while (s && len < PROC_STRING_MAX && pread(fd, &c, 1, (off_t)(addr + len)) == 1 && c)
		s[len++] = c;
	close(fd);
	if (s && len == PROC_STRING_MAX) {
		free(s);
		return NULL;
	}
	if (s)
		s[len] = '\0';
	return s;
}

/* A NULL-terminated array of string pointers at addr (argv, envp), copied. */
char **
sh_proc_strings(pid_t pid, uint64_t addr)
{
	int fd = proc_mem(pid);
	char **v = NULL, **nv;
	size_t n = 0;
	uint64_t p;

	if (fd < 0)
		return NULL;
	for (;;) {
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv || n > PROC_STRINGS_MAX ||
		    (addr && pread(fd, &p, sizeof(p), (off_t)(addr + n * 8)) != sizeof(p))) {
			v = nv ? nv : v;
			if (v)
				v[n] = NULL;
			sh_strings_free(v);
			close(fd);
			return NULL;
		}
		v = nv;
		if (!addr || !p)
			break;
		v[n] = sh_proc_string(pid, p);
		if (!v[n++]) {
			sh_strings_free(v);
			close(fd);
			return NULL;
		}
	}
	v[n] = NULL;
	close(fd);
	return v;
}

void
sh_strings_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}
