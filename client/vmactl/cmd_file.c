/* SPDX-License-Identifier: MIT */
/* The open-file commands (file-open, file-size, file-unlink, file-close) and set-brk. */
#include "vmactl.h"

/* NAME ID, the head of the file-* commands. */
static int
name_id(struct args *a, char **pos, struct perr *e)
{
	if (*pos[0] == '\0')
		return perr_set(e, "empty space name");
	a->name = pos[0];
	return val_number(pos[1], &a->open_id, e);
}

int
cmd_file_open_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	if (*pos[0] == '\0')
		return perr_set(e, "empty space name");
	if (*pos[1] == '\0')
		return perr_set(e, "empty file path");
	a->name = pos[0];
	a->path = pos[1];
	return 0;
}

int
cmd_file_open_run(struct ctx *ctx, const struct args *a)
{
	struct vmac_file_info f;
	uint64_t id = 0;

	vmac_file_info_init(&f);
	f.path = a->path;
	f.instance = a->file_id;
	f.mode = a->file_mode;
	f.kind = a->kind;
	f.deleted = a->deleted;
	mem_file_from_stat(&f);
	if (a->has_size) {
		f.size = a->size;
		f.size_known = true;
	}
	int rc = vmac_file_open(ctx->conn, a->name, &f, &id);
	if (rc < 0)
		return out_refused(ctx, "file-open", rc);
	if (ctx->json) {
		struct json js = JSON_INIT(stdout), *j = &js;
		json_begin_ok(j);
		json_u64_field(j, "id", id);
		return out_json_end(j, EXIT_DONE);
	}
	printf("%llu\n", (unsigned long long)id);
	return EXIT_DONE;
}

int
cmd_file_size_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	if (name_id(a, pos, e) < 0)
		return -1;
	return val_number(pos[2], &a->size, e);
}

int
cmd_file_size_run(struct ctx *ctx, const struct args *a)
{
	int rc = vmac_file_set_size(ctx->conn, a->name, a->open_id, a->size);
	return rc < 0 ? out_refused(ctx, "file-size", rc) : out_done(ctx);
}

int
cmd_file_unlink_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	return name_id(a, pos, e);
}

int
cmd_file_unlink_run(struct ctx *ctx, const struct args *a)
{
	int rc = vmac_file_unlink(ctx->conn, a->name, a->open_id);
	return rc < 0 ? out_refused(ctx, "file-unlink", rc) : out_done(ctx);
}

int
cmd_file_close_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	return name_id(a, pos, e);
}

int
cmd_file_close_run(struct ctx *ctx, const struct args *a)
{
	int rc = vmac_file_close(ctx->conn, a->name, a->open_id);
	return rc < 0 ? out_refused(ctx, "file-close", rc) : out_done(ctx);
}

int
cmd_set_brk_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	if (*pos[0] == '\0')
		return perr_set(e, "empty space name");
	a->name = pos[0];
	if (val_number(pos[1], &a->addr, e) < 0)
		return -1;
	a->addr2 = a->addr;
	return npos > 2 ? val_number(pos[2], &a->addr2, e) : 0;
}

int
cmd_set_brk_run(struct ctx *ctx, const struct args *a)
{
	int rc = vmac_set_brk(ctx->conn, a->name, a->addr, a->addr2);
	return rc < 0 ? out_refused(ctx, "set-brk", rc) : out_done(ctx);
}
