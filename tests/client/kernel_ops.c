/* SPDX-License-Identifier: MIT */
/*
 * kernel_ops: run a sequence of memory system calls on the real kernel, for the vmactl tests to
 * replay through vmad.  Prints this process's /proc/self/maps before the calls, a line "====",
 * one result line per call ("mmap 0x7ffff7fef000", "munmap 0x0" or "mprotect ENOMEM"), "====",
 * and the maps after the calls.
 *
 *   kernel_ops mmap ADDR LEN PROT FLAGS | munmap ADDR LEN | mprotect ADDR LEN PROT
 *            | mremap ADDR OLDLEN NEWLEN FLAGS NEWADDR | madvise ADDR LEN ADVICE
 *            | mlock ADDR LEN | munlock ADDR LEN  ...
 *
 * Numbers are C literals.  Address randomisation is turned off (the process re-executes itself
 * under ADDR_NO_RANDOMIZE), as for the spaces vmad creates.  Nothing allocates memory between
 * the two readings of the maps: the buffers are mapped first and output is written at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <unistd.h>

#define MAPS_MAX   (256u << 10)
#define RESULT_MAX (64u << 10)

struct op {
	const char *name;
	int nargs;
};

static const struct op ops[] = {
	{ "mmap", 4 },    { "munmap", 2 }, { "mprotect", 3 }, { "mremap", 5 },
	{ "madvise", 3 }, { "mlock", 2 },  { "munlock", 2 },
};

static size_t
read_maps(char *buf)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t got;
	if (fd < 0)
		return 0;
	while (n < MAPS_MAX - 1 && (got = read(fd, buf + n, MAPS_MAX - 1 - n)) > 0)
		n += (size_t)got;
	close(fd);
	buf[n] = '\0';
	return n;
}

static const struct op *
op_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].name, name) == 0)
			return &ops[i];
	return NULL;
}

/* The call's value, or a negative errno. */
static long
call(const struct op *op, const unsigned long *a)
{
	long r;
	if (strcmp(op->name, "mmap") == 0) {
		void *p = mmap((void *)a[0], a[1], (int)a[2], (int)a[3], -1, 0);
		return p == MAP_FAILED ? -errno : (long)p;
	}
	if (strcmp(op->name, "mremap") == 0) {
		void *p = mremap((void *)a[0], a[1], a[2], (int)a[3], (void *)a[4]);
		return p == MAP_FAILED ? -errno : (long)p;
	}
	if (strcmp(op->name, "munmap") == 0)
		r = munmap((void *)a[0], a[1]);
	else if (strcmp(op->name, "mprotect") == 0)
		r = mprotect((void *)a[0], a[1], (int)a[2]);
	else if (strcmp(op->name, "madvise") == 0)
		r = madvise((void *)a[0], a[1], (int)a[2]);
	else if (strcmp(op->name, "mlock") == 0)
		r = mlock((void *)a[0], a[1]);
	else
		r = munlock((void *)a[0], a[1]);
	return r < 0 ? -errno : r;
}

static int
usage(void)
{
	fputs("usage: kernel_ops OP ARG... [OP ARG...]...\n", stderr);
	return 2;
}

int
main(int argc, char **argv)
{
	int pers = personality(0xffffffff);
	if (pers != -1 && !(pers & ADDR_NO_RANDOMIZE) &&
	    personality((unsigned long)pers | ADDR_NO_RANDOMIZE) != -1) {
		execv("/proc/self/exe", argv);
		perror("kernel_ops: execv");
		return 1;
	}
	char *before = mmap(NULL, 2 * MAPS_MAX + RESULT_MAX, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (before == MAP_FAILED)
		return 1;
	char *after = before + MAPS_MAX, *res = after + MAPS_MAX;
	size_t rn = 0, bn = read_maps(before);
	for (int i = 1; i < argc;) {
		const struct op *op = op_lookup(argv[i]);
		unsigned long a[5];
		if (op == NULL || i + op->nargs >= argc || rn > RESULT_MAX - 64)
			return usage();
		for (int k = 0; k < op->nargs; k++)
			a[k] = strtoul(argv[i + 1 + k], NULL, 0);
		long r = call(op, a);
		if (r < 0 && r > -4096)
			rn += (size_t)snprintf(res + rn, RESULT_MAX - rn, "%s %s\n", op->name,
					       strerrorname_np((int)-r));
		else
			rn += (size_t)snprintf(res + rn, RESULT_MAX - rn, "%s 0x%lx\n", op->name,
					       (unsigned long)r);
		i += 1 + op->nargs;
	}
	size_t an = read_maps(after);
	if (write(1, before, bn) < 0 || write(1, "====\n", 5) < 0 || write(1, res, rn) < 0 ||
	    write(1, "====\n", 5) < 0 || write(1, after, an) < 0)
		return 1;
	return 0;
}
