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

/* The same words as the text line, after "vmactl: ". */
static void
json_error(const struct ctx *ctx, int err, const char *cmd, const char *msg)
{
	char buf[PARSE_ERR_MAX + 128], line[32] = "";
	if (ctx->line)
		snprintf(line, sizeof(line), "line %u: ", ctx->line);
	snprintf(buf, sizeof(buf), "%s%s%s%s", line, cmd ? cmd : "", cmd ? ": " : "", msg);
	json_obj_begin(NULL);
	json_bool_field("ok", false);
	json_str_field("errno", out_errno_name(err));
	json_str_field("error", buf);
	json_obj_end();
}

/* A failed call: the daemon's refusal (exit 1) or a lost connection (exit 3). */
int
out_refused(struct ctx *ctx, const char *cmd, int err)
{
	const bool lost = vmac_conn_error(ctx->conn) != 0;
	const char *meaning = lost ? "" : vmac_errmsg(ctx->conn);
	char buf[PARSE_ERR_MAX];
	if (lost)
		snprintf(buf, sizeof(buf), "connection to vmad lost (%s)", strerror(-err));
	else
		snprintf(buf, sizeof(buf), "%s", *meaning ? meaning : strerror(-err));
	if (ctx->json) {
		json_obj_begin(NULL);
		json_bool_field("ok", false);
		json_str_field("errno", out_errno_name(err));
		json_str_field("error", buf);
		json_obj_end();
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

int
out_connect_error(struct ctx *ctx, const char *path, int err)
{
	char buf[PARSE_ERR_MAX + 128];
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
		json_begin_ok();
		json_obj_end();
	}
	return EXIT_DONE;
}

void
out_vma_json(const char *key, const struct vmac_vma *v)
{
	char dev[32];
	snprintf(dev, sizeof(dev), "%02x:%02x", v->dev_major, v->dev_minor);
	json_obj_begin(key);
	json_hex_field("start", v->start);
	json_hex_field("end", v->end);
	json_str_field("perms", v->perms);
	json_hex_field("offset", v->offset);
	json_str_field("dev", dev);
	json_u64_field("inode", v->ino);
	json_str_field("path", v->path);
	json_obj_end();
}
