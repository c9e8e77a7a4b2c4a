/* SPDX-License-Identifier: MIT */
/* The driver side of the differential test: generator, kernel runs, engine replay, comparison. */
#ifndef VMAD_CONF_DRIVER_H
#define VMAD_CONF_DRIVER_H

#include <stdio.h>

#include "conf.h"
#include "mm.h"

/* A sequence: the program header (file slots) and its operations. */
struct conf_seq {
	struct conf_program prog;
	struct conf_op ops[CONF_MAX_OPS];
	size_t nops;
	/*
	 * Made so that no page has a mapper outside the process and no page-cache page is
	 * dirty: every smaps line is compared, page-cache VMAs and forks included.
	 */
	bool smaps_exact;
};

/* A state block as the runner sent it; the texts are NUL terminated. */
struct conf_snapshot {
	struct conf_state st;
	char *maps, *smaps, *status;
};

/* One execution of a sequence by the runner. */
struct conf_krun {
	struct conf_snapshot init, fin;
	struct conf_result res[CONF_MAX_OPS];
	size_t nres;
	bool complete; /* the end marker and final state arrived */
};

/*
 * The files sequences may map, made once per run.  Their page cache is kept whole, clean and
 * unlocked for the whole run (setup.c): pin maps and locks each file, fd writes back what a
 * sequence dirtied before the next one starts.
 */
struct conf_files {
	char dir[128];
	char path[2][CONF_PATH_MAX];
	uint64_t size[2];
	uint32_t dev_major[2], dev_minor[2];
	uint64_t ino[2];
	bool noexec;
	uint32_t zero_major, zero_minor; /* /dev/zero's filesystem (devtmpfs) and inode */
	uint64_t zero_ino;
	int fd[2];
	void *pin[2];
	int pin_err; /* 0, or why the page cache could not be locked (the run goes on) */
};

/* Host facts the engine's config is built from. */
struct conf_host {
	struct mm_config cfg;
};

/* One VMA as maps + smaps describe it (kernel) or as the engine holds it. */
struct conf_vma {
	uint64_t start, end, offset, ino;
	uint32_t major, minor;
	char perms[5];
	char name[CONF_PATH_MAX + 16];
	uint64_t flags;
	bool flags_known;
	uint64_t rss_anon, rss_other; /* pages; other = file or shmem by the VMA's kind */
	bool shmem;
	char line[512]; /* the maps line as printed, without the newline */
};

struct conf_vmas {
	struct conf_vma *v;
	size_t n;
};

/* /proc/PID/status memory fields, in kB; -1 if absent. */
struct conf_status {
	long long peak, size, lck, hwm, rss, anon, file, shmem, data, stk, exe, lib;
};

/* Outcome of one sequence. */
enum conf_verdict { CONF_AGREE = 0, CONF_DISAGREE, CONF_HARNESS_ERROR };

/* The families failures are counted under (TAP test points). */
enum conf_family {
	CONF_FAM_MMAP_ANON = 0,
	CONF_FAM_MMAP_FILE,
	CONF_FAM_MUNMAP,
	CONF_FAM_MPROTECT,
	CONF_FAM_MREMAP,
	CONF_FAM_BRK,
	CONF_FAM_TOUCH,
	CONF_FAM_MADVISE,
	CONF_FAM_MLOCK,
	CONF_FAM_FORK,
	CONF_FAM_MSEAL,
	CONF_FAM_MLOCKALL,
	CONF_FAM_PKEY,
	CONF_FAM_ANON_NAME,
	CONF_FAM_MAPS,
	CONF_FAM_VMFLAGS,
	CONF_FAM_RSS,
	CONF_FAM_STATUS,
	CONF_FAM_SMAPS,
	CONF_FAM_COUNT
};

struct conf_report {
	enum conf_verdict verdict;
	enum conf_family family;
	int op_index;                                 /* the first op that disagreed, or -1 */
	unsigned vmas, vmas_resident, flags_compared; /* what the final comparison covered */
	unsigned smaps_compared, smaps_exact;         /* smaps blocks compared, with every line */
	char why[2048];
};

/* gen.c */
void conf_gen_sequence(uint64_t seed, const struct conf_files *files, struct conf_seq *seq);
void conf_seq_files(const struct conf_files *files, uint64_t seed, struct conf_seq *seq);

/* kernel.c */
int conf_kernel_run(const char *runner, const struct conf_files *files, const struct conf_seq *seq,
		    struct conf_krun *out);
void conf_krun_free(struct conf_krun *run);

/* parse.c */
int conf_parse_maps(const char *maps, const char *smaps, struct conf_vmas *out);
void conf_vmas_free(struct conf_vmas *vmas);
void conf_parse_status(const char *text, struct conf_status *out);
int conf_vmflags_parse(const char *mnemonics, uint64_t *flags);

/* setup.c, check.c */
int conf_host_init(struct conf_host *host);
int conf_files_init(struct conf_files *files);
int conf_files_settle(const struct conf_files *files);
void conf_files_cleanup(struct conf_files *files);
void conf_check(const struct conf_host *host, const struct conf_files *files,
		const struct conf_seq *seq, const struct conf_krun *run, struct conf_report *rep);

/*
 * smaps.c: compare the smaps blocks of the VMA at start, every line but the header; with
 * exact false, the lines that depend on other mappers or page-cache dirtiness only by name.
 * 0 if they agree, -1 with why set otherwise.
 */
int conf_smaps_compare(const char *ksmaps, const char *esmaps, uint64_t start, bool exact,
		       char *why, size_t size);

/* print.c */
void conf_format_op(const struct conf_op *op, const struct conf_result *res, char *buf,
		    size_t size);
const char *conf_family_name(enum conf_family fam);
enum conf_family conf_op_family(const struct conf_op *op);

/* minimise.c */
void conf_minimise(const char *runner, const struct conf_host *host, const struct conf_files *files,
		   struct conf_seq *seq, struct conf_report *rep);

#endif
