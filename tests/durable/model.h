/* SPDX-License-Identifier: MIT */
/*
 * What a durability test's client believes: its space (and a fork of it that comes and goes)
 * as engine copies, updated with every operation the daemon acknowledged.  Random operations
 * are applied to the daemon and to the model alike; after a restart the daemon's space must
 * equal the model, or the model plus the one operation that was in flight.
 */
#ifndef VMAD_TEST_MODEL_H
#define VMAD_TEST_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm.h"
#include "vmaclient.h"

/* A program every machine has, for exec. */
#define EXEC_PROGRAM "/bin/true"

enum dop_kind {
	DOP_MMAP,
	DOP_MUNMAP,
	DOP_MPROTECT,
	DOP_MREMAP,
	DOP_BRK,
	DOP_FAULT,
	DOP_POPULATE,
	DOP_MADVISE,
	DOP_MLOCK,
	DOP_MUNLOCK,
	DOP_FORK,    /* NAME -> NAME.f */
	DOP_DESTROY, /* NAME.f */
	DOP_MSEAL,   /* at the top of the window only, so that most of it stays changeable */
	DOP_SET_BRK,
	DOP_FILE_OPEN,
	DOP_FILE_SET_SIZE,
	DOP_FILE_UNLINK,
	DOP_FILE_CLOSE,
	DOP_MMAP_FID,      /* an mmap of an open file, by its id */
	DOP_EXEC,          /* NAME becomes a fresh exec of EXEC_PROGRAM (rarely: it resets NAME) */
	DOP_PKEY_MPROTECT, /* key -1: a plain mprotect through the pkey request */
	DOP_MLOCKALL,      /* mlockall with flags 1-3, or (prot 0) munlockall */
	DOP_KINDS
};

struct dop {
	enum dop_kind kind;
	uint64_t addr, len, len2, addr2;
	uint32_t prot, flags;
	int file; /* -1 anonymous, else an index into the test's files */
	int advice;
	uint64_t fid; /* an open file's id (perhaps one never given, or closed) */
};

struct model {
	char name[64], fork_name[72];
	struct mm *mm;   /* NAME */
	struct mm *fork; /* NAME.f, or NULL while absent */
};

void dop_random(struct dop *op, uint64_t *seed);
/* The operation on the daemon; *lost is set when the connection failed (outcome unknown). */
int64_t dop_remote(struct vmac_conn *c, const struct model *m, const struct dop *op, bool *lost);
/* The same operation on the model. */
int64_t dop_local(struct model *m, const struct dop *op);

/* Creates NAME on the daemon and the model from the daemon's saved form. */
int model_init(struct model *m, struct vmac_conn *c, const char *name);
void model_fini(struct model *m);
int model_clone(const struct model *m, struct model *out);
/* Whether the daemon holds exactly the model's spaces (NAME.f absent when the model's is). */
bool model_matches(const struct model *m, struct vmac_conn *c);

#endif
