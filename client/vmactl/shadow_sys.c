/* SPDX-License-Identifier: MIT */
/*
 * The shadow's system calls (x86_64 numbers): which ones it follows, how each is mirrored
 * into the space, and the descriptor bookkeeping that gives mapped files their identity (two
 * open(2) calls are two files that never merge; dup(2) shares one).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "shadow.h"

#define DELETED_SUFFIX   " (deleted)"
#define F_DUPFD_CLOEXEC_ 1030

/* The model's result for a call: an address, a break, 0, or a negative errno. */
typedef int64_t (*sh_mirror_fn)(struct shadow *s, struct sh_mm *m, const struct sh_call *c);

struct sh_sys {
	long nr;
	const char *name;
	enum sh_kind kind;
	sh_mirror_fn mirror;
};

static int64_t
addr_or_err(int rc, uint64_t addr)
{
	return rc < 0 ? rc : (int64_t)addr;
}

static uint64_t
fd_instance(struct shadow *s, struct sh_mm *m, int64_t fd)
{
	if (fd < 0 || fd >= SH_FDS_MAX)
		return ++s->next_inst;
	if (!m->fd_inst[fd])
		m->fd_inst[fd] = ++s->next_inst;
	return m->fd_inst[fd];
}

/* The file behind a descriptor of the tracee, as its /proc/PID/fd link and fdinfo show it. */
static int
describe_fd(struct shadow *s, struct sh_mm *m, int64_t fd, struct vmac_file *f, char *path,
	    size_t size)
{
	char link[64], *info = NULL, *flags;
	struct stat st;
	struct statvfs vfs;
	ssize_t n;
	size_t sl = strlen(DELETED_SUFFIX);

	snprintf(link, sizeof(link), "/proc/%d/fd/%" PRId64, (int)m->pid, fd);
	n = readlink(link, path, size - 1);
	if (n < 0 || stat(link, &st) < 0)
		return -EBADF;
	path[n] = '\0';
	memset(f, 0, sizeof(*f));
	f->deleted = (size_t)n > sl && strcmp(path + n - sl, DELETED_SUFFIX) == 0;
	if (f->deleted)
		path[n - (ssize_t)sl] = '\0';
	f->path = path;
	f->instance = fd_instance(s, m, fd);
	f->dev_major = major(st.st_dev);
	f->dev_minor = minor(st.st_dev);
	f->ino = st.st_ino;
	f->size_known = S_ISREG(st.st_mode);
	f->size = f->size_known ? (uint64_t)st.st_size : 0;
	f->noexec = statvfs(link, &vfs) == 0 && (vfs.f_flag & ST_NOEXEC);
	snprintf(link, sizeof(link), "fdinfo/%" PRId64, fd);
	f->mode = VMAC_FMODE_READ | VMAC_FMODE_WRITE;
	if (sh_proc_read(m->pid, link, &info) == 0 && (flags = strstr(info, "flags:")) != NULL) {
		unsigned long fl = strtoul(flags + 6, NULL, 8) & O_ACCMODE;
		f->mode = fl == O_RDONLY   ? VMAC_FMODE_READ
			  : fl == O_WRONLY ? VMAC_FMODE_WRITE
					   : VMAC_FMODE_READ | VMAC_FMODE_WRITE;
	}
	free(info);
	return 0;
}

static int64_t
mirror_mmap(struct shadow *s, struct sh_mm *m, const struct sh_call *c)
{
	struct vmac_file f, *fp = NULL;
	char path[4096];
	uint64_t addr = 0;
	int rc;

	if (!(c->arg[3] & VMAC_MAP_ANONYMOUS)) {
		if (describe_fd(s, m, (int64_t)c->arg[4], &f, path, sizeof(path)) < 0)
			return c->ret < 0 ? c->ret : -EBADF;
		fp = &f;
	}
	rc = vmac_mmap(s->conn, m->space, c->arg[0], c->arg[1], (uint32_t)c->arg[2],
		       (uint32_t)c->arg[3], fp, c->arg[5], &addr);
	return addr_or_err(rc, addr);
}

static int64_t
mirror_munmap(struct shadow *s, struct sh_mm *m, const struct sh_call *c)
{
	return vmac_munmap(s->conn, m->space, c->arg[0], c->arg[1]);
}

static int64_t
mirror_mprotect(struct shadow *s, struct sh_mm *m, const struct sh_call *c)
{
	return vmac_mprotect(s->conn, m->space, c->arg[0], c->arg[1], (uint32_t)c->arg[2]);
}

static int64_t
mirror_mremap(struct shadow *s, struct sh_mm *m, const struct sh_call *c)
{
	uint64_t addr = 0;
	int rc = vmac_mremap(s->conn, m->space, c->arg[0], c->arg[1], c->arg[2],
			     (uint32_t)c->arg[3], c->arg[4], &addr);

	return addr_or_err(rc, addr);
}

static int64_t
mirror_brk(struct shadow *s, struct sh_mm *m, const struct sh_call *c)
{
	uint64_t brk = 0;
	int rc = vmac_brk(s->conn, m->space, c->arg[0], &brk);

	return addr_or_err(rc, brk);
}

static int64_t
mirror_madvise(struct shadow *s, struct sh_mm *m, const struct sh_call *c)
{
	return vmac_madvise(s->conn, m->space, c->arg[0], c->arg[1], (int)c->arg[2]);
}

static int64_t
mirror_mlock(struct shadow *s, struct sh_mm *m, const struct sh_call *c)
{
	return vmac_mlock(s->conn, m->space, c->arg[0], c->arg[1]);
}

static int64_t
mirror_mlock2(struct shadow *s, struct sh_mm *m, const struct sh_call *c)
{
	return vmac_mlock2(s->conn, m->space, c->arg[0], c->arg[1], (unsigned)c->arg[2]);
}

static int64_t
mirror_munlock(struct shadow *s, struct sh_mm *m, const struct sh_call *c)
{
	return vmac_munlock(s->conn, m->space, c->arg[0], c->arg[1]);
}

static int64_t
mirror_mseal(struct shadow *s, struct sh_mm *m, const struct sh_call *c)
{
	return vmac_mseal(s->conn, m->space, c->arg[0], c->arg[1], (unsigned)c->arg[2]);
}

static int64_t
mirror_mlockall(struct shadow *s, struct sh_mm *m, const struct sh_call *c)
{
	return vmac_mlockall(s->conn, m->space, (unsigned)c->arg[0]);
}

static int64_t
mirror_munlockall(struct shadow *s, struct sh_mm *m, const struct sh_call *c)
{
	(void)c;
	return vmac_munlockall(s->conn, m->space);
}

static int64_t
mirror_pkey_mprotect(struct shadow *s, struct sh_mm *m, const struct sh_call *c)
{
	return vmac_pkey_mprotect(s->conn, m->space, c->arg[0], c->arg[1], (uint32_t)c->arg[2],
				  (int)c->arg[3]);
}

static int64_t
mirror_pkey_alloc(struct shadow *s, struct sh_mm *m, const struct sh_call *c)
{
	int key = -1;
	int rc = vmac_pkey_alloc(s->conn, m->space, (unsigned)c->arg[0], (unsigned)c->arg[1], &key);

	return rc < 0 ? rc : key;
}

static int64_t
mirror_pkey_free(struct shadow *s, struct sh_mm *m, const struct sh_call *c)
{
	return vmac_pkey_free(s->conn, m->space, (int)c->arg[0]);
}

static const struct sh_sys sh_table[] = {
	{ 9, "mmap", SH_MEM, mirror_mmap },
	{ 10, "mprotect", SH_MEM, mirror_mprotect },
	{ 11, "munmap", SH_MEM, mirror_munmap },
	{ 12, "brk", SH_MEM, mirror_brk },
	{ 25, "mremap", SH_MEM, mirror_mremap },
	{ 28, "madvise", SH_MEM, mirror_madvise },
	{ 149, "mlock", SH_MEM, mirror_mlock },
	{ 150, "munlock", SH_MEM, mirror_munlock },
	{ 151, "mlockall", SH_MEM, mirror_mlockall },
	{ 152, "munlockall", SH_MEM, mirror_munlockall },
	{ 325, "mlock2", SH_MEM, mirror_mlock2 },
	{ 329, "pkey_mprotect", SH_MEM, mirror_pkey_mprotect },
	{ 330, "pkey_alloc", SH_MEM, mirror_pkey_alloc },
	{ 331, "pkey_free", SH_MEM, mirror_pkey_free },
	{ 462, "mseal", SH_MEM, mirror_mseal },
	{ 2, "open", SH_FD, NULL },
	{ 3, "close", SH_FD, NULL },
	{ 32, "dup", SH_FD, NULL },
	{ 33, "dup2", SH_FD, NULL },
	{ 72, "fcntl", SH_FD, NULL },
	{ 85, "creat", SH_FD, NULL },
	{ 257, "openat", SH_FD, NULL },
	{ 292, "dup3", SH_FD, NULL },
	{ 319, "memfd_create", SH_FD, NULL },
	{ 436, "close_range", SH_FD, NULL },
	{ 437, "openat2", SH_FD, NULL },
	{ 59, "execve", SH_EXEC, NULL },
	{ 322, "execveat", SH_EXEC, NULL },
	{ 56, "clone", SH_FORK, NULL },
	{ 57, "fork", SH_FORK, NULL },
	{ 58, "vfork", SH_FORK, NULL },
	{ 435, "clone3", SH_FORK, NULL },
	{ 30, "shmat", SH_UNMODELLED, NULL },
	{ 67, "shmdt", SH_UNMODELLED, NULL },
	{ 206, "io_setup", SH_UNMODELLED, NULL },
	{ 207, "io_destroy", SH_UNMODELLED, NULL },
	{ 216, "remap_file_pages", SH_UNMODELLED, NULL },
	{ 425, "io_uring_setup", SH_UNMODELLED, NULL },
	{ 440, "process_madvise", SH_UNMODELLED, NULL },
};

static const struct sh_sys *
sh_lookup(long nr)
{
	for (size_t i = 0; i < sizeof(sh_table) / sizeof(sh_table[0]); i++)
		if (sh_table[i].nr == nr)
			return &sh_table[i];
	return NULL;
}

enum sh_kind
sh_sys_kind(long nr)
{
	const struct sh_sys *d = sh_lookup(nr);

	return d ? d->kind : SH_OTHER;
}

const char *
sh_sys_name(long nr)
{
	const struct sh_sys *d = sh_lookup(nr);

	return d ? d->name : "?";
}

void
sh_sys_format(const struct sh_call *c, char *buf, size_t size)
{
	snprintf(buf, size,
		 "%s(0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ", %" PRId64
		 ", 0x%" PRIx64 ") = %s0x%" PRIx64,
		 sh_sys_name(c->nr), c->arg[0], c->arg[1], c->arg[2], c->arg[3], (int64_t)c->arg[4],
		 c->arg[5], c->ret < 0 ? "-" : "",
		 c->ret < 0 ? (uint64_t)-c->ret : (uint64_t)c->ret);
}

int
sh_sys_mirror(struct shadow *s, struct sh_mm *m, const struct sh_call *c, char *why, size_t size)
{
	const struct sh_sys *d = sh_lookup(c->nr);
	int64_t got;

	if (!d || !d->mirror)
		return 0;
	got = d->mirror(s, m, c);
	if (vmac_conn_error(s->conn))
		return (int)vmac_conn_error(s->conn);
	if (got == c->ret)
		return 0;
	snprintf(why, size, "the kernel returned %s0x%" PRIx64 ", vmad %s0x%" PRIx64 "%s%s",
		 c->ret < 0 ? "-" : "", c->ret < 0 ? (uint64_t)-c->ret : (uint64_t)c->ret,
		 got < 0 ? "-" : "", got < 0 ? (uint64_t)-got : (uint64_t)got, got < 0 ? " " : "",
		 got < 0 ? strerror((int)-got) : "");
	return 1;
}

static void
fd_set_inst(struct sh_mm *m, int64_t fd, uint64_t inst)
{
	if (fd >= 0 && fd < SH_FDS_MAX)
		m->fd_inst[fd] = inst;
}

static void
fd_close_range(struct sh_mm *m, uint64_t first, uint64_t last)
{
	for (uint64_t fd = first; fd <= last && fd < SH_FDS_MAX; fd++)
		m->fd_inst[fd] = 0;
}

void
sh_sys_fd(struct shadow *s, struct sh_mm *m, const struct sh_call *c)
{
	int64_t newfd = c->ret;

	if (c->ret < 0)
		return;
	switch (c->nr) {
	case 3:
		fd_set_inst(m, (int64_t)c->arg[0], 0);
		break;
	case 436:
		fd_close_range(m, c->arg[0], c->arg[1]);
		break;
	case 32:
	case 33:
	case 292:
		fd_set_inst(m, newfd, fd_instance(s, m, (int64_t)c->arg[0]));
		break;
	case 72:
		if (c->arg[1] == F_DUPFD || c->arg[1] == F_DUPFD_CLOEXEC_)
			fd_set_inst(m, newfd, fd_instance(s, m, (int64_t)c->arg[0]));
		break;
	default: /* a new open file */
		fd_set_inst(m, newfd, ++s->next_inst);
	}
}
