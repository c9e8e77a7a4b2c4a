/* SPDX-License-Identifier: MIT */
/*
 * vmad-stress: many client processes against one vmad, every reply and layout checked against
 * the same sequence replayed in the in-process engine.  Shared types and module interfaces.
 */
#ifndef STRESS_H
#define STRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmaclient.h"

#define ST_MAX_CLIENTS   512
#define ST_MAX_SHARED    16
#define ST_BATCH_MAX     32
#define ST_DETAIL_MAX    6144
#define ST_HIST_BUCKETS  1280
#define ST_CHECK_EVERY   256 /* operations between two full comparisons */
#define ST_REPLY_TIMEOUT 15000
#define ST_RING          1024 /* a slice's recent first VMAs, for the view readers */
/* Slots: clients, then one watcher and one view reader per shared space. */
#define ST_WATCHER_SLOT(j) (ST_MAX_CLIENTS + (j))
#define ST_READER_SLOT(j)  (ST_MAX_CLIENTS + ST_MAX_SHARED + (j))
#define ST_SLOTS           (ST_MAX_CLIENTS + 2 * ST_MAX_SHARED)

/* Every operation a sequence draws from. */
enum st_kind {
	ST_MMAP,
	ST_MUNMAP,
	ST_MPROTECT,
	ST_MREMAP,
	ST_BRK,
	ST_MADVISE,
	ST_MLOCK,
	ST_MUNLOCK,
	ST_POPULATE,
	ST_FAULT,
	ST_FORK,
	ST_FIND,
	ST_MAPS,
	ST_STATUS,
	ST_KIND_COUNT,
};

/* One request of a sequence.  arg: madvise advice, mlock2 flags, find mode, access. */
struct st_op {
	enum st_kind kind;
	uint64_t addr, len, new_len, new_addr, offset;
	uint32_t prot, flags;
	int arg;
	int file; /* index into st_files, -1 for anonymous memory */
};

/*
 * What a request answered, in one shape for the daemon and the replay.  value: the address
 * (mmap, mremap), the break (brk), the fault result, the find mask.  text (malloc()ed): the
 * find lines, the maps text, the status text.
 */
struct st_result {
	int err;
	uint64_t value;
	char *text;
};

/* The state of a reply that never came (raw clients count them). */
#define ST_ERR_LOST 1

/* How a client talks to the daemon. */
enum st_mode {
	ST_MODE_CALL, /* libvmaclient, one call at a time */
	ST_MODE_PIPE, /* libvmaclient's pipeline */
	ST_MODE_RAW,  /* its own frames (protobuf-c), counting every reply id */
};

/* Where a sequence works: a private space, or a slice of a shared one. */
struct st_target {
	char space[96];
	bool slice;
	uint64_t lo, hi; /* a slice's addresses; the whole space otherwise */
	bool with_stack;
	uint64_t rlimit_memlock;
};

/* Per-client figures in memory shared by all processes of a run. */
struct st_slot {
	uint64_t done;     /* operations whose replies were checked */
	uint64_t sent;     /* operations sent (done..sent may be in flight) */
	uint64_t requests; /* requests answered, checks included */
	uint64_t lost, duplicated, mismatches;
	uint32_t restarts;
	int finished; /* 1 ok, -1 failed */
	int ending;   /* checks done, its space being destroyed */
	uint64_t hist[ST_HIST_BUCKETS];
	uint64_t fail_ns;
	char detail[ST_DETAIL_MAX];
};

/*
 * The first VMA of a slice after operation idx (start == end == 0: none), as its owner's
 * replay had it.  Written field by field: idx last, and invalid while the fields change.
 */
struct st_first {
	uint64_t idx, start, end, flags;
};

struct st_shared {
	volatile int stop;
	volatile int watchers_ready;
	struct st_slot slots[ST_SLOTS];
	struct st_first firsts[ST_MAX_CLIENTS / 4][ST_RING]; /* by slice owner k / 4 */
};

struct st_opts {
	const char *socket;
	char prefix[64];
	unsigned clients;
	unsigned shared;
	double seconds;
	uint64_t ops; /* per client; 0 = until the time is up */
	uint64_t seed;
	int only;     /* -1, or the one client to run */
	long kill_ms; /* mean time between kills; 0 = none */
	bool verbose;
	int argc;
	char **argv;
};

/* The files mappings name: one table for the daemon and the replay. */
extern const struct vmac_file st_files[];
extern const size_t st_nfiles;

/* opts.c */
int opts_parse(int argc, char **argv, struct st_opts *o);

/* rng.c: a seeded generator (splitmix64). */
uint64_t rng_next(uint64_t *s);
uint64_t rng_below(uint64_t *s, uint64_t n);
uint64_t rng_seed(uint64_t seed, uint64_t stream);

/* hist.c: latencies in microseconds. */
void hist_add(uint64_t *hist, uint64_t us);
uint64_t hist_quantile(const uint64_t *hist, double q);
uint64_t now_ns(void);

/* describe.c: operations and results in words. */
const char *describe_kind(enum st_kind kind);
int describe_op(const struct st_op *op, char *buf, size_t size);
int describe_result(const struct st_result *r, char *buf, size_t size);
/* The first line where want and got differ, both shown. */
void describe_diff(const char *want, const char *got, char *buf, size_t size);
bool result_equal(const struct st_result *a, const struct st_result *b);
void result_clear(struct st_result *r);

/* replay.c: the engine in-process (local mode), the expected side of every comparison. */
struct replay;
int replay_open(const struct st_target *t, struct replay **out);
void replay_close(struct replay *r);
void replay_apply(struct replay *r, const struct st_op *op, struct st_result *res);
/* The maps lines of VMAs starting in [lo, hi) (with [vsyscall] for the whole space). */
int replay_maps(struct replay *r, uint64_t lo, uint64_t hi, char **text);
int replay_layout(struct replay *r, uint64_t lo, uint64_t hi, char **text);
int replay_status(struct replay *r, char **text);
/* The generator's view: the number of VMAs, and the range and flags of the i-th one. */
size_t replay_count(struct replay *r);
void replay_vma(struct replay *r, size_t i, uint64_t *start, uint64_t *end, uint64_t *flags);
uint64_t replay_brk(struct replay *r);
/* The first VMA in [lo, hi) (start == end == 0: none). */
void replay_first(struct replay *r, uint64_t lo, uint64_t hi, struct st_first *out);

/* gen.c: the next operation from the generator and the replay's state. */
struct gen {
	uint64_t rng;
	const struct st_target *t;
};
void gen_init(struct gen *g, uint64_t seed, const struct st_target *t);
void gen_next(struct gen *g, struct replay *r, struct st_op *op);

/* remote.c: the daemon through libvmaclient. */
int remote_call(struct vmac_conn *c, const char *space, const struct st_op *op,
		struct st_result *res);
int remote_pipeline(struct vmac_conn *c, const char *space, const struct st_op *ops, size_t n,
		    struct st_result *res, uint64_t *hist, bool die_midway);
int remote_maps(struct vmac_conn *c, const char *space, uint64_t lo, uint64_t hi, char **text);
/* The maps lines with each VMA's flags and resident size: what the layout checks compare. */
int remote_layout(struct vmac_conn *c, const char *space, uint64_t lo, uint64_t hi, char **text);
int remote_status(struct vmac_conn *c, const char *space, char **text);
/* describe.c: the status text both sides compare: the rendered lines, the break, mmap_base. */
char *status_text(const char *text, uint64_t brk, uint64_t start_brk, uint64_t mmap_base);

/* raw.c: the daemon through frames of its own, counting reply ids. */
struct raw;
int raw_open(const char *path, const char *label, struct raw **out);
void raw_close(struct raw *w);
int raw_run(struct raw *w, const char *space, const struct st_op *ops, size_t n,
	    struct st_result *res, uint64_t *hist, struct st_slot *slot, int die_at);
/* Waits briefly for replies nobody asked for (duplicates). */
void raw_drain(struct raw *w, struct st_slot *slot);

/* client.c and watcher.c: the processes of a run. */
int client_main(const struct st_opts *o, struct st_shared *sh, unsigned k, bool resume);
int watcher_main(const struct st_opts *o, struct st_shared *sh, unsigned j);
int reader_main(const struct st_opts *o, struct st_shared *sh, unsigned j);
bool client_runs(const struct st_opts *o, unsigned k);
void client_target(const struct st_opts *o, unsigned k, struct st_target *t);
enum st_mode client_mode(const struct st_opts *o, unsigned k);
void shared_target(const struct st_opts *o, unsigned j, struct st_target *t);
uint64_t marker_addr(void);
void target_create_opts(const struct st_target *t, struct vmac_create_opts *opts);

/* report.c: mismatches and the summary. */
void report_fail(struct st_slot *slot, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int report_summary(const struct st_opts *o, const struct st_shared *sh, double secs,
		   unsigned killed);

#endif
