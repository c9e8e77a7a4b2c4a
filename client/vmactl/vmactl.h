/* SPDX-License-Identifier: MIT */
/* vmactl: the command-line client of vmad.  Shared types of its modules. */
#ifndef VMACTL_H
#define VMACTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmaclient.h"

/* Exit statuses (vmactl(1), EXIT STATUS). */
enum {
	EXIT_DONE = 0,
	EXIT_REFUSED = 1, /* the daemon refused a request; also find: none, fault: SEGV */
	EXIT_USAGE = 2,
	EXIT_CONN = 3, /* cannot connect, or a protocol error */
};

struct ctx {
	struct vmac_conn *conn;
	const char *socket; /* -s, else NULL for $VMAD_SOCKET or the default */
	bool json;
	bool batch_stdin; /* the batch being run comes from standard input */
	unsigned line;    /* batch line being run (0 outside a batch), for messages */
};

/* A command's arguments after parsing (which fields are used depends on the command). */
struct args {
	const char *name, *name2; /* space; fork's DST */
	const char *path;         /* mmap --file, import FILE, batch FILE */
	const char *topic;        /* help COMMAND */
	uint64_t addr, len, addr2, len2;
	bool has_addr2;
	uint64_t offset, file_id;
	uint32_t prot, flags;
	unsigned file_mode;
	int advice;
	int pkey;          /* pkey-free, pkey-mprotect */
	uint32_t init_val; /* pkey-alloc */
	enum vmac_access access;
	bool prev, write, onfault;
	bool view;             /* find --view */
	bool rollup;           /* smaps --rollup */
	const char *anon_name; /* anon-name's ANON_NAME; NULL clears */
	struct vmac_create_opts create;
	struct vmac_create_ext create_ext; /* create --pku, --personality and --anon-vma-name; exec
					      --personality */
	/* open files: mmap --open, file-* commands, set-brk */
	uint64_t open_id, size;
	bool has_size, deleted;
	enum vmac_file_kind kind;
	char **raw; /* exec: every argument after the command name */
	int nraw, prog_index;
};

#define PARSE_ERR_MAX 256

/* A parse error: the message, without "vmactl:" and the command name. */
struct perr {
	char msg[PARSE_ERR_MAX];
};

int perr_set(struct perr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct command;

/* One command line, parsed (args point into the argument strings). */
struct invocation {
	const struct command *cmd;
	struct args args;
	bool json; /* -j or --json after the command */
};

/* Connect and greet the daemon unless already connected (main.c): an exit status. */
int ctx_connect(struct ctx *ctx);

/* The command table (commands.c). */
const struct command *cmd_lookup(const char *name);
int cmd_parse(int argc, char **argv, struct invocation *inv, struct perr *e);
int cmd_run(struct ctx *ctx, const struct invocation *inv);
bool cmd_needs_daemon(const struct invocation *inv);
bool cmd_allowed_in_batch(const struct invocation *inv);
bool cmd_reads_stdin(const struct invocation *inv);
const char *cmd_name(const struct invocation *inv);
void cmd_print_usage(FILE *f);
int cmd_help(const char *topic);

/* Values (values.c): 0, or -1 with the reason in e. */
int val_number(const char *s, uint64_t *out, struct perr *e);
int val_prot(const char *s, uint32_t *out, struct perr *e);
int val_map_flags(const char *s, uint32_t *out, struct perr *e);
int val_mremap_flags(const char *s, uint32_t *out, struct perr *e);
int val_advice(const char *s, int *out, struct perr *e);
int val_mcl_flags(const char *s, uint32_t *out, struct perr *e);
int val_personality(const char *s, uint32_t *out, struct perr *e);
int val_access(const char *s, enum vmac_access *out, struct perr *e);
int val_layout(const char *s, enum vmac_layout *out, struct perr *e);
int val_mode(const char *s, uint32_t *out, struct perr *e);
int val_file_mode(const char *s, unsigned *out, struct perr *e);
int val_rlimit(const char *s, uint64_t *out, struct perr *e);
int val_file_kind(const char *s, enum vmac_file_kind *out, struct perr *e);

/* A file that exists here, described as the kernel would know it (cmd_mem.c). */
void mem_file_from_stat(struct vmac_file_info *f);
void val_prot_str(uint32_t prot, char buf[4]);
void val_map_flags_str(uint32_t flags, char *buf, size_t size);
void val_mcl_flags_str(uint32_t flags, char *buf, size_t size);
const char *val_advice_name(int advice);
const char *val_access_name(enum vmac_access access);

/* Whole files (file.c): path NULL or "-" is standard input.  0 or a negative errno. */
int file_read_all(const char *path, char **out, size_t *len);

/* Output (out.c). */
struct json;
int out_refused(struct ctx *ctx, const char *cmd, int err);
int out_usage_error(struct ctx *ctx, const char *cmd, const char *msg);
int out_file_error(struct ctx *ctx, const char *cmd, const char *path, int err);
int out_local_error(struct ctx *ctx, const char *cmd, int err, const char *msg);
/* greeting: connected, but the daemon's greeting failed. */
int out_connect_error(struct ctx *ctx, const char *path, int err, bool greeting);
int out_done(struct ctx *ctx);
int out_close_stdout(int status);
const char *out_errno_name(int err);
void out_vma_json(struct json *j, const char *key, const struct vmac_vma *v);
/* Ends a JSON document: status, or EXIT_USAGE with a message when it could not be written. */
int out_json_end(struct json *j, int status);

/*
 * JSON writer (json.c): one writer per document, on any stream, so that nothing is shared
 * between documents.  key is NULL for array elements; closing the top level ends the line and
 * flushes.  Nesting deeper than JSON_MAX_DEPTH is an error: the writer writes nothing more of
 * that document and json_obj_end()/json_arr_end() at the top level return -E2BIG (they also
 * return -EIO when the stream fails, and 0 otherwise; at inner levels always 0).
 */
#define JSON_MAX_DEPTH 8
struct json {
	FILE *f;
	int depth;
	int err;
	bool need_comma[JSON_MAX_DEPTH];
};
#define JSON_INIT(stream)                                                                          \
	{                                                                                          \
		.f = (stream)                                                                      \
	}
int json_obj_begin(struct json *j, const char *key);
int json_obj_end(struct json *j);
int json_arr_begin(struct json *j, const char *key);
int json_arr_end(struct json *j);
void json_begin_ok(struct json *j); /* {"ok":true */
void json_string(struct json *j, const char *s);
void json_key(struct json *j, const char *key);
void json_str_field(struct json *j, const char *key, const char *s);
void json_hex_field(struct json *j, const char *key, uint64_t v); /* "0x..." */
void json_u64_field(struct json *j, const char *key, uint64_t v);
void json_bool_field(struct json *j, const char *key, bool v);
void json_null_field(struct json *j, const char *key);

/* Commands (cmd_*.c): parse the positional arguments, run against the daemon. */
/* The parse of a command whose one positional argument is the space's name (cmd_space.c). */
int cmd_name_parse(struct args *a, char **pos, int npos, struct perr *e);

#define CMD_DECL(n)                                                                                \
	int cmd_##n##_parse(struct args *a, char **pos, int npos, struct perr *e);                 \
	int cmd_##n##_run(struct ctx *ctx, const struct args *a)
CMD_DECL(create);
CMD_DECL(destroy);
CMD_DECL(list);
CMD_DECL(fork);
CMD_DECL(import);
CMD_DECL(save);
CMD_DECL(restore);
CMD_DECL(stats);
CMD_DECL(usage);
CMD_DECL(ping);
CMD_DECL(mmap);
CMD_DECL(munmap);
CMD_DECL(mprotect);
CMD_DECL(mremap);
CMD_DECL(brk);
CMD_DECL(file_open);
CMD_DECL(file_size);
CMD_DECL(file_unlink);
CMD_DECL(file_close);
CMD_DECL(set_brk);
CMD_DECL(mseal);
CMD_DECL(pkey_alloc);
CMD_DECL(pkey_free);
CMD_DECL(pkey_mprotect);
CMD_DECL(mlockall);
CMD_DECL(munlockall);
CMD_DECL(smaps);
CMD_DECL(anon_name);
CMD_DECL(populate);
CMD_DECL(fault);
CMD_DECL(madvise);
CMD_DECL(mlock);
CMD_DECL(munlock);
CMD_DECL(find);
CMD_DECL(maps);
CMD_DECL(status);
CMD_DECL(watch);
CMD_DECL(batch);
CMD_DECL(check);
/* find --view (cmd_view.c), and what find prints (cmd_query.c). */
int cmd_find_view(struct ctx *ctx, const struct args *a);
int cmd_find_print(struct ctx *ctx, const struct args *a, int rc, const struct vmac_vma *vma,
		   const struct vmac_vma *prev);
CMD_DECL(exec);
CMD_DECL(shadow);
CMD_DECL(help);

#endif
