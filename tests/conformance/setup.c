/* Host facts for the engine's config, and the files sequences map. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
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

static int
make_file(const char *path, uint64_t size)
{
	char block[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	for (uint64_t off = 0; off < size; off += sizeof(block)) {
		memset(block, (int)(off / sizeof(block)) | 1, sizeof(block));
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block)) {
			close(fd);
			return -EIO;
		}
	}
	/* Every page stays in the page cache, so fault-around is predictable. */
	fsync(fd);
	close(fd);
	return 0;
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

int
conf_files_init(struct conf_files *files)
{
	static const uint64_t sizes[2] = { 1024 * CONF_PAGE, 16 * CONF_PAGE };
	struct statvfs vfs;
	struct stat st;
	char *abs;
	int err;

	memset(files, 0, sizeof(*files));
	if ((err = make_dir(files)))
		return err;
	abs = realpath(files->dir, NULL);
	if (!abs)
		return -errno;
	snprintf(files->dir, sizeof(files->dir), "%s", abs);
	free(abs);
	for (int i = 0; i < 2; i++) {
		snprintf(files->path[i], CONF_PATH_MAX, "%s/file%c", files->dir, 'a' + i);
		if ((err = make_file(files->path[i], sizes[i])) || stat(files->path[i], &st))
			return err ? err : -errno;
		files->size[i] = sizes[i];
		files->dev_major[i] = major(st.st_dev);
		files->dev_minor[i] = minor(st.st_dev);
		files->ino[i] = st.st_ino;
	}
	files->noexec = statvfs(files->dir, &vfs) == 0 && (vfs.f_flag & ST_NOEXEC);
	return 0;
}

void
conf_files_cleanup(struct conf_files *files)
{
	for (int i = 0; i < 2; i++) {
		if (files->path[i][0])
			unlink(files->path[i]);
	}
	if (files->dir[0])
		rmdir(files->dir);
}
