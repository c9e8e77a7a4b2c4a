/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the input is a state directory, recovered as vmad recovers it at start-up
 * (daemon/recover.c: recover_state(), which loads the snapshot with daemon/snapshot.c and
 * replays the journal segment with daemon/journal.c through the daemon's dispatcher).
 *
 * Input: a u32 (little-endian) that splits the rest, a flags byte, then the snapshot file's
 * bytes and the journal segment's bytes (an empty part is no file).  Both files are named
 * after the segment number the journal's header (else the snapshot's) gives, so that a real
 * directory's pair stays a pair.  Flag 1 recovers with --recover=truncate; flag 2 makes the
 * checksums right first (the snapshot's trailing CRC32C, each journal record's two), so that
 * mutations reach the parsers behind them.  The files are written into a fresh directory under
 * a temporary one made once per process.  Recovery must end in an error or in spaces that all
 * pass mm_validate(), never in a crash; it runs on a fresh server each time.  After a recovery
 * that succeeds, the snapshot vmad would take next is written and must load.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "crc32c.h"
#include "fuzz_check.h"
#include "journal.h"
#include "log.h"
#include "mm.h"
#include "recover.h"
#include "server.h"
#include "snapshot.h"
#include "space.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FLAG_TRUNCATE 1
#define FLAG_FIX_CRC  2
#define HEAD          5 /* the split and the flags */

static struct event_base *base;
static char top[256];

static void
fuzz_durable_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[600];

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) < 0)
			abort();
	}
	closedir(d);
}

static void
fuzz_durable_cleanup(void)
{
	char dir[300];

	snprintf(dir, sizeof(dir), "%s/state", top);
	fuzz_durable_empty(dir);
	rmdir(dir);
	rmdir(top);
}

/* TMPDIR, else a tmpfs if there is one: the snapshots written are synced, at no cost there. */
static const char *
fuzz_durable_tmp(void)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;

	if (tmp && *tmp)
		return tmp;
	return stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init(getenv("FUZZ_LOG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERR - 1);
	base = event_base_new();
	snprintf(top, sizeof(top), "%s/vmad-fuzz-durable.XXXXXX", fuzz_durable_tmp());
	if (!base || !mkdtemp(top))
		abort();
	atexit(fuzz_durable_cleanup);
	return 0;
}

static uint64_t
fuzz_durable_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void
fuzz_durable_put(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The checksums as snapshot_encode() and journal_add() compute them. */
static void
fuzz_durable_fix(uint8_t *snap, size_t snap_len, uint8_t *jr, size_t jr_len)
{
	size_t off = JOURNAL_HEADER;

	if (snap_len >= 4)
		fuzz_durable_put(snap + snap_len - 4, crc32c(0, snap, snap_len - 4));
	while (jr_len >= off && jr_len - off >= JOURNAL_RECORD_HEADER) {
		uint64_t n = fuzz_durable_le(jr + off, 4);

		fuzz_durable_put(jr + off + 4, crc32c(0, jr + off, 4));
		if (n > jr_len - off - JOURNAL_RECORD_HEADER)
			break;
		fuzz_durable_put(jr + off + 8, crc32c(0, jr + off + JOURNAL_RECORD_HEADER, n));
		off += JOURNAL_RECORD_HEADER + n;
	}
}

static void
fuzz_durable_write(int dirfd, const char *kind, uint64_t segno, const uint8_t *p, size_t len)
{
	char name[JOURNAL_NAME_MAX];
	int fd;

	if (!len)
		return;
	journal_name(name, sizeof(name), kind, segno);
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || journal_write_all(fd, p, len) < 0 || close(fd) < 0)
		abort();
}

/* The snapshot vmad would take next must load at the start after. */
static void
fuzz_durable_resnapshot(struct server *srv, int dirfd, uint64_t segno)
{
	struct mm_sbuf b = { 0 };
	struct space_table t;
	char msg[512];

	if (space_table_init(&t) < 0)
		abort();
	if (snapshot_encode(&srv->spaces, segno, &b) == 0 &&
	    snapshot_store(dirfd, segno, &b) == 0 &&
	    snapshot_load(dirfd, segno, &t, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "the snapshot of a recovered state does not load: %s\n", msg);
		abort();
	}
	space_table_fini(&t);
	mm_sbuf_free(&b);
}

static void
fuzz_durable_recover(int dirfd, bool truncate)
{
	struct server_config cfg;
	struct recover_result res;
	struct server srv;

	server_config_init(&cfg);
	cfg.max_spaces = 64;
	if (server_init(&srv, base, &cfg) < 0)
		abort();
	if (recover_state(&srv, dirfd, truncate, &res) == 0) {
		for (struct space *sp = space_next(&srv.spaces, NULL); sp;
		     sp = space_next(&srv.spaces, sp)) {
			fuzz_check_mm(sp->mm, "after recovery", sp->name);
		}
		fuzz_durable_resnapshot(&srv, dirfd, res.next_segno + 1);
	}
	server_fini(&srv);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t split, jr_len;
	uint8_t *buf, *snap, *jr;
	uint64_t segno = 1;
	char dir[300];
	int dirfd;

	if (size < HEAD)
		return 0;
	split = (size_t)(fuzz_durable_le(data, 4) % (size - HEAD + 1));
	buf = malloc(size - HEAD + 1);
	if (!buf)
		return 0;
	memcpy(buf, data + HEAD, size - HEAD);
	snap = buf;
	jr = buf + split;
	jr_len = size - HEAD - split;
	if (data[4] & FLAG_FIX_CRC)
		fuzz_durable_fix(snap, split, jr, jr_len);
	if (jr_len >= JOURNAL_HEADER)
		segno = fuzz_durable_le(jr + 16, 8);
	else if (split >= 24)
		segno = fuzz_durable_le(snap + 16, 8);
	segno = segno ? segno : 1;
	snprintf(dir, sizeof(dir), "%s/state", top);
	if (mkdir(dir, 0700) < 0 || (dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		abort();
	fuzz_durable_write(dirfd, "snapshot", segno, snap, split);
	fuzz_durable_write(dirfd, "journal", segno, jr, jr_len);
	fuzz_durable_recover(dirfd, data[4] & FLAG_TRUNCATE);
	close(dirfd);
	fuzz_durable_empty(dir);
	if (rmdir(dir) < 0)
		abort();
	free(buf);
	return 0;
}
