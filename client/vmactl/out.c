/* SPDX-License-Identifier: MIT */
/*
 * Reporting outcomes: results go to stdout (text, or one JSON object per command), errors go
 * to stderr as one line "vmactl: COMMAND: ENAME: meaning" (in JSON mode they are the object).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmactl.h"

const char *
out_errno_name(int err)
{
	static char buf[24];
	const char *n = strerrorname_np(err < 0 ? -err : err);
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%d", err < 0 ? -err : err);
	return buf;
}

static void
err_prefix(const struct ctx *ctx, const char *cmd)
{
	fputs("vmactl: ", stderr);
	if (ctx->line)
		fprintf(stderr, "line %u: ", ctx->line);
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
}

/* {"ok":false,...}: what failed goes to standard output like any result. */
static void
json_refusal(int err, const char *msg)
{
	struct json js = JSON_INIT(stdout), *j = &js;
	json_obj_begin(j, NULL);
	json_bool_field(j, "ok", false);
	json_str_field(j, "errno", out_errno_name(err));
	json_str_field(j, "error", msg);
	/* The caller's status already says that something failed. */
	(void)out_json_end(j, EXIT_REFUSED);
}

/* The same words as the text line, after "vmactl: ". */
static void
json_error(const struct ctx *ctx, int err, const char *cmd, const char *msg)
{
	char buf[PARSE_ERR_MAX + 128], line[32] = "";
	if (ctx->line)
		snprintf(line, sizeof(line), "line %u: ", ctx->line);
	snprintf(buf, sizeof(buf), "%s%s%s%s", line, cmd ? cmd : "", cmd ? ": " : "", msg);
	json_refusal(err, buf);
}

struct meaning {
	const char *cmd; /* NULL: any command */
	int err;
	const char *text;
};

/*
 * What an errno means for a system call, as its manual page explains it.  Used when the
 * daemon gave no more precise explanation than strerror()'s.
 */
static const struct meaning meanings[] = {
	{ "mmap", EEXIST, "range already mapped" },
	{ "mmap", ENOMEM, "no room for the mapping, or a map count or memory limit reached" },
	{ "mmap", EINVAL, "invalid address, length, offset or flags" },
	{ "mmap", EACCES, "the file's open mode (--file-mode) does not allow this mapping" },
	{ "mmap", EPERM, "not permitted (an address below mmap_min_addr, or exec on noexec)" },
	{ "mmap", EAGAIN, "locked memory would exceed RLIMIT_MEMLOCK" },
	{ "mmap", EBADF, "neither anonymous nor a file (--file)" },
	{ "mmap", EOVERFLOW, "offset plus length overflows" },
	{ "mmap", ENODEV, "the file cannot be mapped" },
	{ "munmap", EINVAL, "invalid address or length" },
	{ "munmap", ENOMEM, "splitting a mapping would exceed max_map_count" },
	{ "mprotect", ENOMEM, "range not fully mapped" },
	{ "mprotect", EACCES, "the file's open mode does not allow this protection" },
	{ "mprotect", EINVAL, "invalid address, length or protection" },
	{ "mremap", EFAULT, "the old range is not within one mapping" },
	{ "mremap", ENOMEM, "no room to grow in place (maymove not given) or to move" },
	{ "mremap", EINVAL, "invalid addresses, lengths or flags" },
	{ "mremap", EAGAIN, "locked memory would exceed RLIMIT_MEMLOCK" },
	{ "madvise", EINVAL, "invalid address, length or advice for this mapping" },
	{ "madvise", ENOMEM, "range not fully mapped" },
	{ "mlock", ENOMEM, "range not fully mapped, or RLIMIT_MEMLOCK exceeded" },
	{ "mlock", EINVAL, "invalid address, length or flags" },
	{ "mlock", EPERM, "RLIMIT_MEMLOCK is 0" },
	{ "munlock", ENOMEM, "range not fully mapped" },
	{ "munlock", EINVAL, "invalid address or length" },
	{ "populate", ENOMEM, "range not fully mapped" },
	{ NULL, ENOENT, "no such address space" },
	{ NULL, EEXIST, "the address space exists" },
	{ NULL, EACCES, "permission denied by the address space's mode" },
};

/* The explanation of a refusal: the daemon's own words, unless they only repeat strerror(). */
static const char *
refusal_text(const struct ctx *ctx, const char *cmd, int err)
{
	const char *said = vmac_errmsg(ctx->conn);
	if (*said && strcmp(said, strerror(err)) != 0)
		return said;
	for (size_t i = 0; i < sizeof(meanings) / sizeof(meanings[0]); i++) {
		const struct meaning *m = &meanings[i];
		if (m->err == err && (m->cmd == NULL || (cmd && strcmp(m->cmd, cmd) == 0)))
			return m->text;
	}
	return strerror(err);
}

/* A failed call: the daemon's refusal (exit 1) or a lost connection (exit 3). */
int
out_refused(struct ctx *ctx, const char *cmd, int err)
{
	const bool lost = vmac_conn_error(ctx->conn) != 0;
	char buf[PARSE_ERR_MAX];
	if (lost && err == -EMSGSIZE)
		snprintf(buf, sizeof(buf), "the request is larger than vmad accepts (--max-frame)");
	else if (lost)
		snprintf(buf, sizeof(buf), "connection to vmad lost (%s)", strerror(-err));
	else
		snprintf(buf, sizeof(buf), "%s", refusal_text(ctx, cmd, -err));
	if (ctx->json) {
		json_refusal(err, buf);
	} else {
		err_prefix(ctx, cmd);
		fprintf(stderr, "%s: %s\n", out_errno_name(err), buf);
	}
	return lost ? EXIT_CONN : EXIT_REFUSED;
}

int
out_usage_error(struct ctx *ctx, const char *cmd, const char *msg)
{
	if (ctx->json) {
		json_error(ctx, EINVAL, cmd, msg);
	} else {
		err_prefix(ctx, cmd);
		fprintf(stderr, "%s\n", msg);
	}
	return EXIT_USAGE;
}

/* A file that cannot be read is a usage error (exit 2); JSON names its errno. */
/* A failure of the command's own input found here, before the daemon: msg and its errno. */
int
out_local_error(struct ctx *ctx, const char *cmd, int err, const char *msg)
{
	if (ctx->json) {
		json_error(ctx, err, cmd, msg);
	} else {
		err_prefix(ctx, cmd);
		fprintf(stderr, "%s\n", msg);
	}
	return EXIT_USAGE;
}

int
out_file_error(struct ctx *ctx, const char *cmd, const char *path, int err)
{
	char msg[PARSE_ERR_MAX];
	const bool is_stdin = path == NULL || strcmp(path, "-") == 0;
	snprintf(msg, sizeof(msg), "cannot read %s: %s", is_stdin ? "standard input" : path,
		 strerror(-err));
	if (ctx->json) {
		json_error(ctx, err, cmd, msg);
	} else {
		err_prefix(ctx, cmd);
		fprintf(stderr, "%s\n", msg);
	}
	return EXIT_USAGE;
}

/*
 * Standard output that could not be written (a full disk, a closed pipe) fails the command,
 * as coreutils' close_stdout() does: what was printed may be incomplete.  Returns status, or
 * EXIT_USAGE when the output failed and status was milder.
 */
int
out_close_stdout(int status)
{
	bool failed = ferror(stdout) != 0;
	int err = fclose(stdout) == 0 ? 0 : errno;

	if (!failed && err == 0)
		return status;
	if (err)
		fprintf(stderr, "vmactl: write error: %s\n", strerror(err));
	else
		fprintf(stderr, "vmactl: write error\n");
	return status < EXIT_USAGE ? EXIT_USAGE : status;
}

int
out_connect_error(struct ctx *ctx, const char *path, int err, bool greeting)
{
	char buf[PARSE_ERR_MAX + 128];
	if (err == -EUSERS)
		snprintf(buf, sizeof(buf),
			 "cannot connect to %s: vmad serves its maximum of "
			 "clients (--max-clients)",
			 path);
	else if (greeting && err == -EPROTONOSUPPORT)
		snprintf(buf, sizeof(buf), "vmad at %s speaks another protocol than version %d",
			 path, VMAC_PROTOCOL_VERSION);
	else if (greeting && !vmac_conn_error(ctx->conn))
		snprintf(buf, sizeof(buf), "vmad at %s refused the session: %s", path,
			 strerror(-err));
	else if (greeting)
		snprintf(buf, sizeof(buf), "%s does not answer as vmad does (%s)", path,
			 strerror(-err));
	else
		snprintf(buf, sizeof(buf), "cannot connect to %s: %s", path, strerror(-err));
	if (ctx->json) {
		json_error(ctx, err, NULL, buf);
	} else {
		err_prefix(ctx, NULL);
		fprintf(stderr, "%s\n", buf);
	}
	return EXIT_CONN;
}

/* Success without a result: nothing in text mode, {"ok":true} in JSON. */
int
out_done(struct ctx *ctx)
{
	if (ctx->json) {
		struct json js = JSON_INIT(stdout), *j = &js;
		json_begin_ok(j);
		return out_json_end(j, EXIT_DONE);
	}
	return EXIT_DONE;
}

int
out_json_end(struct json *j, int status)
{
	int r = json_obj_end(j);

	/* A stream that failed is reported once, at exit (out_close_stdout()). */
	if (r == -E2BIG)
		fprintf(stderr, "vmactl: JSON nested deeper than %d levels: output cut\n",
			JSON_MAX_DEPTH);
	if (r == -E2BIG && status < EXIT_USAGE)
		return EXIT_USAGE;
	return status;
}

void
out_vma_json(struct json *j, const char *key, const struct vmac_vma *v)
{
	char dev[32];
	snprintf(dev, sizeof(dev), "%02x:%02x", v->dev_major, v->dev_minor);
	json_obj_begin(j, key);
	json_hex_field(j, "start", v->start);
	json_hex_field(j, "end", v->end);
	json_str_field(j, "perms", v->perms);
	json_hex_field(j, "offset", v->offset);
	json_str_field(j, "dev", dev);
	json_u64_field(j, "inode", v->ino);
	json_str_field(j, "path", v->path);
	json_obj_end(j);
}
