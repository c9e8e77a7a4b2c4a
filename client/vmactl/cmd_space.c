/* SPDX-License-Identifier: MIT */
/* Commands on whole spaces and on the daemon: create, destroy, list, fork, import, stats, ping. */
#include <stdlib.h>
#include <string.h>

#include "vmactl.h"

static int
no_args(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)a, (void)pos, (void)npos, (void)e;
	return 0;
}

int
cmd_name_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	if (*pos[0] == '\0')
		return perr_set(e, "empty space name");
	a->name = pos[0];
	return 0;
}

int
cmd_create_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	return cmd_name_parse(a, pos, npos, e);
}

int
cmd_create_run(struct ctx *ctx, const struct args *a)
{
	int rc = vmac_create_ext(ctx->conn, a->name, &a->create, &a->create_ext);
	return rc < 0 ? out_refused(ctx, "create", rc) : out_done(ctx);
}

int
cmd_destroy_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	return cmd_name_parse(a, pos, npos, e);
}

int
cmd_destroy_run(struct ctx *ctx, const struct args *a)
{
	int rc = vmac_destroy(ctx->conn, a->name);
	return rc < 0 ? out_refused(ctx, "destroy", rc) : out_done(ctx);
}

int
cmd_fork_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	if (*pos[0] == '\0' || *pos[1] == '\0')
		return perr_set(e, "empty space name");
	a->name = pos[0];
	a->name2 = pos[1];
	return 0;
}

int
cmd_fork_run(struct ctx *ctx, const struct args *a)
{
	int rc = vmac_fork(ctx->conn, a->name, a->name2);
	return rc < 0 ? out_refused(ctx, "fork", rc) : out_done(ctx);
}

int
cmd_import_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	if (cmd_name_parse(a, pos, npos, e) < 0)
		return -1;
	a->path = npos > 1 ? pos[1] : NULL;
	return 0;
}

int
cmd_import_run(struct ctx *ctx, const struct args *a)
{
	char *text;
	size_t len;
	int rc = file_read_all(a->path, &text, &len);
	if (rc < 0)
		return out_file_error(ctx, "import", a->path, rc);
	if (strlen(text) != len) {
		free(text);
		return out_usage_error(ctx, "import", "the maps text contains a NUL byte");
	}
	rc = vmac_import(ctx->conn, a->name, text, &a->create);
	free(text);
	return rc < 0 ? out_refused(ctx, "import", rc) : out_done(ctx);
}

int
cmd_list_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	return no_args(a, pos, npos, e);
}

static int
list_json(const struct vmac_space *s, size_t n)
{
	struct json js = JSON_INIT(stdout), *j = &js;
	json_begin_ok(j);
	json_arr_begin(j, "spaces");
	for (size_t i = 0; i < n; i++) {
		char mode[8];
		snprintf(mode, sizeof(mode), "%04o", s[i].mode & 07777);
		json_obj_begin(j, NULL);
		json_str_field(j, "name", s[i].name);
		json_u64_field(j, "map_count", s[i].map_count);
		json_u64_field(j, "vm_size_kb", s[i].vm_size_kb);
		json_u64_field(j, "vm_rss_kb", s[i].vm_rss_kb);
		json_u64_field(j, "uid", s[i].uid);
		json_u64_field(j, "gid", s[i].gid);
		json_str_field(j, "mode", mode);
		json_obj_end(j);
	}
	json_arr_end(j);
	return out_json_end(j, EXIT_DONE);
}

int
cmd_list_run(struct ctx *ctx, const struct args *a)
{
	(void)a;
	const struct vmac_space *s;
	size_t n;
	int rc = vmac_list(ctx->conn, &s, &n);
	if (rc < 0)
		return out_refused(ctx, "list", rc);
	if (ctx->json)
		return list_json(s, n);
	for (size_t i = 0; i < n; i++)
		printf("%s %llu %llu %llu %u\n", s[i].name, (unsigned long long)s[i].map_count,
		       (unsigned long long)s[i].vm_size_kb, (unsigned long long)s[i].vm_rss_kb,
		       s[i].uid);
	return EXIT_DONE;
}

int
cmd_stats_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	return no_args(a, pos, npos, e);
}

int
cmd_stats_run(struct ctx *ctx, const struct args *a)
{
	(void)a;
	struct vmac_stats st;
	int rc = vmac_stats(ctx->conn, &st);
	if (rc < 0)
		return out_refused(ctx, "stats", rc);
	const struct {
		const char *name;
		uint64_t v;
	} rows[] = {
		{ "clients", st.clients },
		{ "spaces", st.spaces },
		{ "vmas", st.vmas },
		{ "requests", st.requests },
		{ "errors", st.errors },
		{ "watchers", st.watchers },
		{ "uptime_sec", st.uptime_sec },
	};
	const size_t n = sizeof(rows) / sizeof(rows[0]);
	if (ctx->json) {
		struct json js = JSON_INIT(stdout), *j = &js;
		json_begin_ok(j);
		json_obj_begin(j, "stats");
		for (size_t i = 0; i < n; i++)
			json_u64_field(j, rows[i].name, rows[i].v);
		json_obj_end(j);
		return out_json_end(j, EXIT_DONE);
	}
	for (size_t i = 0; i < n; i++)
		printf("%s: %llu\n", rows[i].name, (unsigned long long)rows[i].v);
	return EXIT_DONE;
}

int
cmd_ping_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	return no_args(a, pos, npos, e);
}

int
cmd_ping_run(struct ctx *ctx, const struct args *a)
{
	(void)a;
	int rc = vmac_ping(ctx->conn);
	if (rc < 0)
		return out_refused(ctx, "ping", rc);
	if (ctx->json) {
		struct json js = JSON_INIT(stdout), *j = &js;
		json_begin_ok(j);
		json_str_field(j, "reply", "pong");
		return out_json_end(j, EXIT_DONE);
	}
	puts("pong");
	return EXIT_DONE;
}
