/* SPDX-License-Identifier: MIT */
/*
 * The differential test against the real kernel: the operation sequences, and the records the
 * kernel-side runner sends back.  Shared by the driver (conformance) and the runner
 * (conformance-runner), which read and write these structs over pipes on the same machine.
 */
#ifndef VMAD_CONF_H
#define VMAD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_PAGE                 4096ULL
#define CONF_MAX_OPS              256
#define CONF_MAX_FILES            4
#define CONF_PATH_MAX             200
#define CONF_MAX_PROTECTED        128
#define CONF_DEV_ZERO             "/dev/zero"
#define CONF_SYS_MSEAL            462        /* x86_64; older C libraries lack SYS_mseal */
#define CONF_PR_SET_VMA           0x53564d41 /* include/uapi/linux/prctl.h */
#define CONF_PR_SET_VMA_ANON_NAME 0
/* The names an anon-name op gives (flags = index + 1; 0 = NULL, which clears): valid ones, a
 * character prctl() refuses, one byte too long. */
#define CONF_ANON_NAMES                                                                            \
	{                                                                                          \
		"buf", "", "a b.c-d", "x]", "$",                                                   \
			"0123456789012345678901234567890123456789"                                 \
			"0123456789012345678901234567890123456789"                                 \
	}
#define CONF_ANON_NAME_COUNT 6

/* Where fixed-address operations play: far from everything the runner has mapped. */
#define CONF_WINDOW       0x200000000000ULL
#define CONF_WINDOW_PAGES 160

enum conf_op_kind {
	CONF_OP_MMAP = 0,
	CONF_OP_MUNMAP,
	CONF_OP_MPROTECT,
	CONF_OP_MREMAP,
	CONF_OP_BRK,
	CONF_OP_TOUCH,
	CONF_OP_MADVISE,
	CONF_OP_MLOCK,
	CONF_OP_MUNLOCK,
	CONF_OP_FORK,
	CONF_OP_MSEAL,
	CONF_OP_MLOCKALL,
	CONF_OP_MUNLOCKALL,
	CONF_OP_PKEY_ALLOC,    /* flags, prot = init_val */
	CONF_OP_PKEY_FREE,     /* advice = the key */
	CONF_OP_PKEY_MPROTECT, /* addr, len, prot, advice = the key */
	CONF_OP_ANON_NAME,     /* prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, addr, len, name) */
	CONF_OP_KINDS
};

/* Bases of an address operand. */
#define CONF_BASE_ABS  (-1) /* delta is the address */
#define CONF_BASE_HEAP (-2) /* the break the runner started with, page aligned up */

/*
 * An address: base is an op id whose result (an address) is added to delta, or one of
 * CONF_BASE_*.  When the base op failed or is absent the operation is skipped.
 */
struct conf_addr {
	int32_t base;
	int32_t pad;
	int64_t delta;
};

struct conf_op {
	int32_t id; /* stable across minimisation; results are looked up by id */
	int32_t kind;
	struct conf_addr addr;
	struct conf_addr new_addr; /* mremap */
	uint64_t len, new_len;
	uint32_t prot;  /* mmap, mprotect */
	uint32_t flags; /* mmap, mremap, mlock2, mseal, mlockall flags; touch: 1 = write; anon-name:
			   name */
	int32_t file;   /* mmap: file slot or -1 */
	int32_t advice; /* madvise; pkey_free, pkey_mprotect: the key */
	uint64_t offset;
	uint32_t probe; /* an absurd length: the runner tries it in a throwaway child first */
	uint32_t pad;
};

/* A file the runner opens before the sequence; slot i is instance i. */
struct conf_file {
	char path[CONF_PATH_MAX];
	int32_t writable; /* O_RDWR, else O_RDONLY */
	int32_t pad;
};

/* What the driver sends: this header, then nops ops. */
/* Limits a sequence may run under (conf_program.limits). */
#define CONF_LIMIT_MEMLOCK  1u /* RLIMIT_MEMLOCK = memlock, and CAP_IPC_LOCK dropped */
#define CONF_LIMIT_DATA     2u /* RLIMIT_DATA = VmData at the start + data_headroom */
#define CONF_LIMIT_AS       4u /* RLIMIT_AS = VmSize at the start + as_headroom */
#define CONF_LIMIT_DATA_ABS 8u /* RLIMIT_DATA = data_headroom itself (below VmData: brk only) */

struct conf_program {
	uint32_t magic;
	uint32_t nops;
	uint32_t nfiles;
	uint32_t limits;
	uint64_t memlock, data_headroom, as_headroom;
	struct conf_file files[CONF_MAX_FILES];
	/*
	 * personality(2) bits beside ADDR_NO_RANDOMIZE: ADDR_COMPAT_LAYOUT set before the exec
	 * (the layout is chosen there), READ_IMPLIES_EXEC by the runner after it (a 64-bit exec
	 * clears it).
	 */
	uint32_t personality;
	uint32_t pad;
};
#define CONF_MAGIC 0x766d6164u

enum conf_fault { CONF_FAULT_OK = 0, CONF_FAULT_MAPERR = 1, CONF_FAULT_ACCERR = 2, CONF_FAULT_BUS };

/* One result; ret is the address, 0, the break, or -errno. */
struct conf_result {
	int32_t id;
	int32_t skipped;
	int64_t ret;
	uint64_t addr, new_addr; /* the resolved operands */
	int32_t fault;           /* touch: enum conf_fault */
	int32_t pad;
};

/*
 * The runner's stream: a state block, one conf_result per op (a fork's parent stops writing,
 * the child goes on), then a final state block.  A state block is a conf_state header followed
 * by the maps, smaps and status texts.
 */
struct conf_state {
	uint32_t magic;
	uint32_t pad;
	uint64_t maps_len, smaps_len, status_len;
	uint64_t start_brk, brk, start_stack, start_code, end_code, start_data, end_data;
	uint64_t forks;
	uint64_t rlimit_as, rlimit_data, rlimit_memlock; /* bytes; UINT64_MAX = unlimited */
	uint32_t cap_ipc_lock;
	uint32_t personality; /* personality(0xffffffff) */
};

#endif
