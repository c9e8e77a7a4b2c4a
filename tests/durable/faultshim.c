/* SPDX-License-Identifier: MIT */
/*
 * Preloaded into vmad by the fault-injection tests: VMAD_FAULT="CALL:N:ERRNO" makes the Nth
 * call of CALL on a state file fail with ERRNO (EIO, ENOSPC or EDQUOT), and every later one
 * too when N is followed by '+'.  CALL is write, fdatasync, fsync, fallocate, renameat,
 * openat (creating a file) or ftruncate.  Sockets, pipes and the standard streams are not
 * counted, so the count follows the daemon's own file I/O.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fault {
	char call[16];
	long at, seen;
	bool sticky;
	int err;
	bool parsed;
};

static struct fault fault;

static void
fault_parse(void)
{
	const char *s = getenv("VMAD_FAULT");
	char err[16] = "";
	char plus = 0;

	fault.parsed = true;
	if (!s || sscanf(s, "%15[a-z]:%ld%c", fault.call, &fault.at, &plus) < 2)
		return;
	fault.sticky = plus == '+';
	sscanf(strrchr(s, ':') + 1, "%15s", err);
	fault.err = strcmp(err, "ENOSPC") == 0 ? ENOSPC : strcmp(err, "EDQUOT") == 0 ? EDQUOT : EIO;
}

static bool
state_fd(int fd)
{
	struct stat st;

	return fd > 2 && fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
}

#define REAL(name, type) ((type)dlsym(RTLD_NEXT, name))

/* One line in the daemon's log, so that the test knows the fault was reached. */
static void
fault_report(const char *call)
{
	char line[96];
	int n = snprintf(line, sizeof(line), "faultshim: %s #%ld fails\n", call, fault.seen);

	if (n > 0)
		REAL("write", ssize_t(*)(int, const void *, size_t))(2, line, (size_t)n);
}

/* Whether this call (of a state file) is the one to fail; sets errno then. */
static bool
fault_hit(const char *call, bool counts)
{
	if (!fault.parsed)
		fault_parse();
	if (!counts || !fault.at || strcmp(call, fault.call) != 0)
		return false;
	fault.seen++;
	if (fault.seen == fault.at || (fault.sticky && fault.seen > fault.at)) {
		fault_report(call);
		errno = fault.err;
		return true;
	}
	return false;
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	if (fault_hit("write", state_fd(fd)))
		return -1;
	return REAL("write", ssize_t(*)(int, const void *, size_t))(fd, buf, n);
}

int
fdatasync(int fd)
{
	if (fault_hit("fdatasync", state_fd(fd)))
		return -1;
	return REAL("fdatasync", int (*)(int))(fd);
}

int
fsync(int fd)
{
	if (fault_hit("fsync", state_fd(fd)))
		return -1;
	return REAL("fsync", int (*)(int))(fd);
}

int
fallocate(int fd, int mode, off_t off, off_t len)
{
	if (fault_hit("fallocate", state_fd(fd)))
		return -1;
	return REAL("fallocate", int (*)(int, int, off_t, off_t))(fd, mode, off, len);
}

int
ftruncate(int fd, off_t len)
{
	if (fault_hit("ftruncate", state_fd(fd)))
		return -1;
	return REAL("ftruncate", int (*)(int, off_t))(fd, len);
}

int
renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	if (fault_hit("renameat", true))
		return -1;
	return REAL("renameat", int (*)(int, const char *, int, const char *))(olddirfd, oldpath,
									       newdirfd, newpath);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (fault_hit("openat", (flags & O_CREAT) != 0))
		return -1;
	return REAL("openat", int (*)(int, const char *, int, ...))(dirfd, path, flags, mode);
}
