/* SPDX-License-Identifier: MIT */
/* Host facts for the engine's config, and the files sequences map. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "driver.h"

#define TMPFS_MAGIC_NUMBER 0x01021994
#define CAP_IPC_LOCK_BIT   14
#define CAP_SYS_RAWIO_BIT  17
/* CONFIG_LSM_MMAP_MIN_ADDR on x86_64 distributions; the effective floor is the larger one. */
#define LSM_MMAP_MIN_ADDR 65536

static long long
read_number(const char *path, long long dflt)
{
	long long v = dflt;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = dflt;
		fclose(f);
	}
	return v;
}

static uint64_t
cap_effective(void)
{
	unsigned long long caps = 0;
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	}
	fclose(f);
	return caps;
}

/* A /proc/meminfo value in pages (MemTotal is totalram_pages(), SwapTotal total_swap_pages). */
static uint64_t
meminfo_pages(const char *key)
{
	unsigned long long kb = 0;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, strlen(key)) == 0 &&
		    sscanf(line + strlen(key), "%llu", &kb) == 1)
			break;
	}
	fclose(f);
	return kb / 4;
}

static uint64_t
rlimit_bytes(int resource)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return MM_RLIM_INFINITY;
	return rl.rlim_cur;
}

int
conf_host_init(struct conf_host *host)
{
	struct mm_config *c = &host->cfg;
	uint64_t caps = cap_effective();
	uint64_t dac;

	mm_config_init(c, MM_LAYOUT_X86_64);
	dac = (uint64_t)read_number("/proc/sys/vm/mmap_min_addr", 4096);
	c->dac_mmap_min_addr = dac;
	c->mmap_min_addr = dac > LSM_MMAP_MIN_ADDR ? dac : LSM_MMAP_MIN_ADDR;
	c->max_map_count = (uint64_t)read_number("/proc/sys/vm/max_map_count", 65530);
	c->overcommit_never = read_number("/proc/sys/vm/overcommit_memory", 0) == 2;
	c->overcommit_ram_pages = meminfo_pages("MemTotal:") + meminfo_pages("SwapTotal:");
	c->rlimit_as = rlimit_bytes(RLIMIT_AS);
	c->rlimit_data = rlimit_bytes(RLIMIT_DATA);
	c->rlimit_stack = rlimit_bytes(RLIMIT_STACK);
	c->rlimit_memlock = rlimit_bytes(RLIMIT_MEMLOCK);
	c->cap_ipc_lock = caps >> CAP_IPC_LOCK_BIT & 1;
	c->cap_sys_rawio = caps >> CAP_SYS_RAWIO_BIT & 1;
	c->thp = access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0;
	c->gate_vma = true;
	c->with_stack = false;
	return 0;
}

/* Writes the file and returns it open read-write, or -errno. */
static int
make_file(const char *path, uint64_t size)
{
	char block[4096];
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	for (uint64_t off = 0; off < size; off += sizeof(block)) {
		memset(block, (int)(off / sizeof(block)) | 1, sizeof(block));
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block)) {
			close(fd);
			return -EIO;
		}
	}
	if (fsync(fd)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* A directory on a disk filesystem: in tmpfs the file pages would count as shmem. */
static int
make_dir(struct conf_files *files)
{
	const char *tmp = getenv("TMPDIR");
	struct statfs fs;

	snprintf(files->dir, sizeof(files->dir), "%s/vmad-conformance-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(files->dir))
		return -errno;
	if (statfs(files->dir, &fs) == 0 && fs.f_type == TMPFS_MAGIC_NUMBER) {
		rmdir(files->dir);
		snprintf(files->dir, sizeof(files->dir), "vmad-conformance-XXXXXX");
		if (!mkdtemp(files->dir))
			return -errno;
	}
	return 0;
}

/*
 * A read fault maps the neighbouring file pages too (fault-around), but only those that are in
 * the page cache, up to date, not locked and not flagged PG_readahead, which is the same bit as
 * PG_reclaim; the engine's page cache holds every page.  Reclaim breaks that between and during
 * sequences: it evicts clean pages that no process maps (a proactive reclaimer such as DAMON's
 * pageout scheme does so within seconds, on an idle machine), and flags the dirty ones
 * PG_reclaim until they are written back.  Mapped and locked, the pages are unevictable and
 * never flagged.  MADV_RANDOM first, so that a page evicted since the file was written is read
 * back alone, not by a readahead that would flag one of its pages PG_readahead.
 */
static int
pin_file(struct conf_files *files, int i)
{
	void *p = mmap(NULL, files->size[i], PROT_READ, MAP_SHARED, files->fd[i], 0);

	if (p == MAP_FAILED)
		return -errno;
	files->pin[i] = p;
	if (madvise(p, files->size[i], MADV_RANDOM))
		return -errno;
	/* A system call, not mlock(): sanitizer runtimes turn mlock() into a no-op. */
	if (!syscall(SYS_mlock, p, files->size[i]))
		return 0;
	if (!files->pin_err)
		files->pin_err = -errno;
	/* Mapped, the pages are at least out of reach of reclaimers that take only unmapped ones.
	 */
	return madvise(p, files->size[i], MADV_POPULATE_READ) ? -errno : 0;
}

static int
open_file(struct conf_files *files, int i, uint64_t size)
{
	struct stat st;
	int err;

	snprintf(files->path[i], CONF_PATH_MAX, "%s/file%c", files->dir, 'a' + i);
	if ((err = make_file(files->path[i], size)) < 0)
		return err;
	files->fd[i] = err;
	if (fstat(files->fd[i], &st))
		return -errno;
	files->size[i] = size;
	files->dev_major[i] = major(st.st_dev);
	files->dev_minor[i] = minor(st.st_dev);
	files->ino[i] = st.st_ino;
	return pin_file(files, i);
}

/* Where maps places /dev/zero: its filesystem's device and its inode. */
static int
zero_file(struct conf_files *files)
{
	struct stat st;

	if (stat(CONF_DEV_ZERO, &st))
		return -errno;
	files->zero_major = major(st.st_dev);
	files->zero_minor = minor(st.st_dev);
	files->zero_ino = st.st_ino;
	return 0;
}

int
conf_files_init(struct conf_files *files)
{
	static const uint64_t sizes[2] = { 1024 * CONF_PAGE, 16 * CONF_PAGE };
	struct statvfs vfs;
	char *abs;
	int err;

	memset(files, 0, sizeof(*files));
	files->fd[0] = files->fd[1] = -1;
	if ((err = make_dir(files)))
		return err;
	abs = realpath(files->dir, NULL);
	if (!abs)
		return -errno;
	snprintf(files->dir, sizeof(files->dir), "%s", abs);
	free(abs);
	for (int i = 0; i < 2; i++) {
		if ((err = open_file(files, i, sizes[i])))
			return err;
	}
	files->noexec = statvfs(files->dir, &vfs) == 0 && (vfs.f_flag & ST_NOEXEC);
	return zero_file(files);
}

/*
 * Writes back, and waits for, the pages a sequence dirtied through MAP_SHARED, so that every
 * run starts from the same clean page cache: writeback locks each dirty page while it starts
 * the write, and a fault-around passing by then skips it.
 */
int
conf_files_settle(const struct conf_files *files)
{
	const unsigned flags =
		SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;

	for (int i = 0; i < 2; i++) {
		if (files->fd[i] >= 0 && sync_file_range(files->fd[i], 0, 0, flags))
			return -errno;
	}
	return 0;
}

void
conf_files_cleanup(struct conf_files *files)
{
	for (int i = 0; i < 2; i++) {
		if (!files->path[i][0])
			continue;
		if (files->pin[i])
			munmap(files->pin[i], files->size[i]);
		if (files->fd[i] >= 0)
			close(files->fd[i]);
		unlink(files->path[i]);
	}
	if (files->dir[0])
		rmdir(files->dir);
}
