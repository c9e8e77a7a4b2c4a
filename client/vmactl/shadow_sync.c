/* SPDX-License-Identifier: MIT */
/*
 * What a tracer sees no system call for, brought into the space before each memory system
 * call (which may merge or split VMAs depending on it): a stack grown by a fault below it,
 * and the anonymous pages the program has written.  A VMA gets its anon_vma from its first
 * written page, and two VMAs merge only with compatible anon_vmas, so those pages decide
 * later merges.  /proc/PID/pagemap shows them: present, not a file page, mapped by this
 * process alone (which leaves out the shared zero page of a read fault).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shadow.h"

#define PAGE           4096ULL
#define PM_PRESENT     (1ULL << 63)
#define PM_FILE        (1ULL << 61)
#define PM_EXCLUSIVE   (1ULL << 56)
#define SYNC_CHUNK     512
#define SYNC_MAX_PAGES (1ULL << 24) /* 64 GiB: beyond it a VMA is not scanned */

/* One private writable VMA of the kernel's maps. */
struct sync_vma {
	uint64_t start, end;
	bool stack;
};

static bool
page_written(uint64_t e)
{
	return (e & PM_PRESENT) && !(e & PM_FILE) && (e & PM_EXCLUSIVE);
}

/* Queue a populate for each run of written pages of [start, end). */
static int
sync_range(struct shadow *s, struct sh_mm *m, int pm, uint64_t start, uint64_t end)
{
	uint64_t e[SYNC_CHUNK], run = 0;
	int rc = 0;

	for (uint64_t a = start; a < end && rc == 0;) {
		size_t n = (size_t)((end - a) / PAGE < SYNC_CHUNK ? (end - a) / PAGE : SYNC_CHUNK);
		ssize_t got = pread(pm, e, n * sizeof(e[0]), (off_t)(a / PAGE * sizeof(e[0])));
		if (got != (ssize_t)(n * sizeof(e[0])))
			return got < 0 ? -errno : -EIO;
		for (size_t i = 0; i < n && rc == 0; i++, a += PAGE) {
			if (page_written(e[i]) && !run)
				run = a;
			if (!page_written(e[i]) && run) {
				rc = vmac_populate(s->conn, m->space, run, a - run, true);
				run = 0;
			}
		}
	}
	if (rc == 0 && run)
		rc = vmac_populate(s->conn, m->space, run, end - run, true);
	return rc;
}

/* The model's stack is grown by a fault where the kernel's now starts. */
static int
sync_stack(struct shadow *s, struct sh_mm *m, const struct sync_vma *v)
{
	struct vmac_vma vma;
	enum vmac_fault_result r;
	int rc = vmac_find_vma(s->conn, m->space, v->end - 1, &vma);

	if (rc <= 0 || vma.start <= v->start)
		return rc < 0 ? rc : 0;
	return vmac_fault(s->conn, m->space, v->start, VMAC_ACCESS_WRITE, &r);
}

/* The private writable VMAs of maps text ("rw-p"/"rwxp"), where written pages can be. */
static size_t
sync_parse(const char *maps, struct sync_vma **out)
{
	size_t n = 0, cap = 0;
	struct sync_vma *v = NULL, *nv;
	char perms[5];
	uint64_t a, b;

	for (const char *p = maps; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (sscanf(p, "%" SCNx64 "-%" SCNx64 " %4s", &a, &b, perms) != 3 ||
		    perms[1] != 'w' || perms[3] != 'p')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		const char *nl = strchr(p, '\n');
		const char *st = strstr(p, "[stack]");
		v[n++] = (struct sync_vma){ a, b, st && (!nl || st < nl) };
	}
	*out = v;
	return n;
}

int
sh_sync_pages(struct shadow *s, struct sh_mm *m)
{
	char *maps = NULL, path[64];
	struct sync_vma *v = NULL;
	size_t n;
	int pm, rc = sh_proc_read(m->pid, "maps", &maps);

	if (rc < 0)
		return rc;
	n = sync_parse(maps, &v);
	free(maps);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)m->pid);
	pm = open(path, O_RDONLY | O_CLOEXEC);
	if (pm < 0) {
		free(v);
		return -errno;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (v[i].stack)
			rc = sync_stack(s, m, &v[i]);
		if (rc == 0 && (v[i].end - v[i].start) / PAGE <= SYNC_MAX_PAGES)
			rc = sync_range(s, m, pm, v[i].start, v[i].end);
	}
	close(pm);
	free(v);
	return rc;
}
