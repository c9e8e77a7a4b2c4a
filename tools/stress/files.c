/* SPDX-License-Identifier: MIT */
/*
 * The files that sequences map.  Paths are under /vmad-stress, which nothing reads: the daemon
 * and the engine only keep a file's identity.  The table covers the kinds of file the engine
 * treats apart: sizes that end inside a mapping (SIGBUS, populate up to EOF), read-only
 * opens, noexec mounts, unlinked files, two open instances of one path.
 */
#include "stress.h"

const struct vmac_file st_files[] = {
	{ .path = "/vmad-stress/lib.so",
	  .instance = 1,
	  .dev_major = 8,
	  .dev_minor = 1,
	  .ino = 1001,
	  .size = 1 << 20,
	  .size_known = true },
	{ .path = "/vmad-stress/lib.so",
	  .instance = 2,
	  .dev_major = 8,
	  .dev_minor = 1,
	  .ino = 1001,
	  .size = 1 << 20,
	  .size_known = true },
	{ .path = "/vmad-stress/data",
	  .instance = 3,
	  .dev_major = 8,
	  .dev_minor = 2,
	  .ino = 2002,
	  .size = 40960 + 100,
	  .size_known = true },
	{ .path = "/vmad-stress/ro",
	  .instance = 4,
	  .mode = VMAC_FMODE_READ,
	  .dev_major = 8,
	  .dev_minor = 1,
	  .ino = 3003,
	  .size = 8 << 20,
	  .size_known = true },
	{ .path = "/vmad-stress/noexec",
	  .instance = 5,
	  .dev_major = 0,
	  .dev_minor = 44,
	  .ino = 4004,
	  .noexec = true },
	{ .path = "/vmad-stress/big", .instance = 6, .dev_major = 8, .dev_minor = 3, .ino = 6006 },
	{ .path = "/vmad-stress/gone",
	  .instance = 7,
	  .dev_major = 8,
	  .dev_minor = 1,
	  .ino = 5005,
	  .size = 4 << 20,
	  .size_known = true,
	  .deleted = true },
};

const size_t st_nfiles = sizeof(st_files) / sizeof(st_files[0]);
