/* SPDX-License-Identifier: MIT */
/* usage: each owner's spaces and VMAs against the per-uid quotas, and the memory budget. */
#include <stdio.h>

#include "vmactl.h"

int
cmd_usage_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)a;
	(void)pos;
	(void)npos;
	(void)e;
	return 0;
}

static int
usage_json(const struct vmac_usage *u)
{
	struct json js = JSON_INIT(stdout), *j = &js;

	json_begin_ok(j);
	json_obj_begin(j, "usage");
	json_u64_field(j, "max_spaces_per_uid", u->max_spaces_per_uid);
	json_u64_field(j, "max_vmas_per_uid", u->max_vmas_per_uid);
	json_u64_field(j, "memory_used", u->memory_used);
	json_u64_field(j, "memory_max", u->memory_max);
	json_arr_begin(j, "uids");
	for (size_t i = 0; i < u->n_uids; i++) {
		json_obj_begin(j, NULL);
		json_u64_field(j, "uid", u->uids[i].uid);
		json_u64_field(j, "spaces", u->uids[i].spaces);
		json_u64_field(j, "vmas", u->uids[i].vmas);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
	return out_json_end(j, EXIT_DONE);
}

static void
usage_text(const struct vmac_usage *u)
{
	printf("memory: %llu of %llu bytes\n", (unsigned long long)u->memory_used,
	       (unsigned long long)u->memory_max);
	printf("%-10s %8s %8s %10s %10s\n", "uid", "spaces", "of", "vmas", "of");
	for (size_t i = 0; i < u->n_uids; i++)
		printf("%-10u %8llu %8llu %10llu %10llu\n", u->uids[i].uid,
		       (unsigned long long)u->uids[i].spaces,
		       (unsigned long long)u->max_spaces_per_uid,
		       (unsigned long long)u->uids[i].vmas,
		       (unsigned long long)u->max_vmas_per_uid);
}

int
cmd_usage_run(struct ctx *ctx, const struct args *a)
{
	struct vmac_usage u = { 0 };
	int rc = vmac_usage(ctx->conn, &u);

	(void)a;
	if (rc < 0)
		return out_refused(ctx, "usage", rc);
	if (ctx->json)
		return usage_json(&u);
	usage_text(&u);
	return EXIT_DONE;
}
