/* SPDX-License-Identifier: MIT */
/* The reading commands: find, maps, status. */
#include <stdlib.h>
#include <string.h>

#include "vmactl.h"

/* Pages this big keep the number of round trips low for large spaces. */
#define MAPS_PAGE 1024

int
cmd_find_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	if (*pos[0] == '\0')
		return perr_set(e, "empty space name");
	a->name = pos[0];
	if (val_number(pos[1], &a->addr, e) < 0)
		return -1;
	if (npos > 2) {
		if (val_number(pos[2], &a->addr2, e) < 0)
			return -1;
		a->has_addr2 = true;
		if (a->prev)
			return perr_set(e, "--prev does not go with END");
	}
	return 0;
}

static int
find_call(struct ctx *ctx, const struct args *a, struct vmac_vma *vma, struct vmac_vma *prev)
{
	if (a->has_addr2)
		return vmac_find_vma_intersection(ctx->conn, a->name, a->addr, a->addr2, vma);
	if (a->prev)
		return vmac_find_vma_prev(ctx->conn, a->name, a->addr, vma, prev);
	return vmac_find_vma(ctx->conn, a->name, a->addr, vma);
}

/* The output of find, from the daemon or from a view. */
int
cmd_find_print(struct ctx *ctx, const struct args *a, int rc, const struct vmac_vma *vma,
	       const struct vmac_vma *prev)
{
	if (ctx->json) {
		struct json js = JSON_INIT(stdout), *j = &js;
		json_begin_ok(j);
		if (rc & VMAC_FOUND_VMA)
			out_vma_json(j, "vma", vma);
		else
			json_null_field(j, "vma");
		if (a->prev && (rc & VMAC_FOUND_PREV))
			out_vma_json(j, "prev", prev);
		else if (a->prev)
			json_null_field(j, "prev");
		return out_json_end(j, rc & VMAC_FOUND_VMA ? EXIT_DONE : EXIT_REFUSED);
	} else if (rc & VMAC_FOUND_VMA) {
		puts(vma->line);
		if (rc & VMAC_FOUND_PREV)
			puts(prev->line);
	}
	return (rc & VMAC_FOUND_VMA) ? EXIT_DONE : EXIT_REFUSED;
}

int
cmd_find_run(struct ctx *ctx, const struct args *a)
{
	struct vmac_vma vma, prev;
	if (a->view)
		return cmd_find_view(ctx, a);
	int rc = find_call(ctx, a, &vma, &prev);
	if (rc < 0)
		return out_refused(ctx, "find", rc);
	return cmd_find_print(ctx, a, rc, &vma, &prev);
}

int
cmd_maps_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	return cmd_name_parse(a, pos, npos, e);
}

/* Write every VMA to f; nothing reaches stdout unless the whole iteration succeeds. */
static int
maps_collect(struct ctx *ctx, const char *name, FILE *f)
{
	struct vmac_maps_iter *it;
	int rc = vmac_maps_open(ctx->conn, name, 0, MAPS_PAGE, &it);
	if (rc < 0)
		return rc;
	struct vmac_vma v;
	struct json js = JSON_INIT(f), *j = &js;
	if (ctx->json) {
		json_begin_ok(j);
		json_arr_begin(j, "vmas");
	}
	while ((rc = vmac_maps_next(it, &v)) > 0) {
		if (ctx->json)
			out_vma_json(j, NULL, &v);
		else
			fprintf(f, "%s\n", v.line);
	}
	if (ctx->json) {
		json_arr_end(j);
		if (rc == 0)
			rc = json_obj_end(j);
	}
	vmac_maps_close(it);
	return rc;
}

int
cmd_maps_run(struct ctx *ctx, const struct args *a)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return out_usage_error(ctx, "maps", "out of memory");
	int rc = maps_collect(ctx, a->name, f);
	/* The memory stream's last flush can fail for want of memory. */
	if (fclose(f) != 0 && rc == 0) {
		free(buf);
		return out_usage_error(ctx, "maps", "out of memory");
	}
	if (rc == 0)
		fwrite(buf, 1, len, stdout);
	free(buf);
	return rc < 0 ? out_refused(ctx, "maps", rc) : EXIT_DONE;
}

int
cmd_status_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	return cmd_maps_parse(a, pos, npos, e);
}

struct status_row {
	const char *name;
	uint64_t kb;
};

static size_t
status_rows(const struct vmac_status *st, struct status_row *r)
{
	const struct status_row rows[] = {
		{ "VmPeak", st->vm_peak },   { "VmSize", st->vm_size },
		{ "VmLck", st->vm_lck },     { "VmHWM", st->vm_hwm },
		{ "VmRSS", st->vm_rss },     { "RssAnon", st->rss_anon },
		{ "RssFile", st->rss_file }, { "RssShmem", st->rss_shmem },
		{ "VmData", st->vm_data },   { "VmStk", st->vm_stk },
		{ "VmExe", st->vm_exe },     { "VmLib", st->vm_lib },
	};
	memcpy(r, rows, sizeof(rows));
	return sizeof(rows) / sizeof(rows[0]);
}

/* The daemon renders the lines as the kernel prints them; they are shown as they come. */
static void
status_text(const struct vmac_status *st)
{
	size_t n = strlen(st->text);
	fputs(st->text, stdout);
	if (n > 0 && st->text[n - 1] != '\n')
		putchar('\n');
}

int
cmd_status_run(struct ctx *ctx, const struct args *a)
{
	struct vmac_status st;
	int rc = vmac_status(ctx->conn, a->name, &st);
	if (rc < 0)
		return out_refused(ctx, "status", rc);
	if (!ctx->json) {
		status_text(&st);
		return EXIT_DONE;
	}
	struct status_row rows[16];
	size_t n = status_rows(&st, rows);
	struct json js = JSON_INIT(stdout), *j = &js;
	json_begin_ok(j);
	json_obj_begin(j, "status");
	for (size_t i = 0; i < n; i++)
		json_u64_field(j, rows[i].name, rows[i].kb);
	json_u64_field(j, "MapCount", st.map_count);
	json_obj_end(j);
	return out_json_end(j, EXIT_DONE);
}

int
cmd_smaps_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	return cmd_maps_parse(a, pos, npos, e);
}

int
cmd_smaps_run(struct ctx *ctx, const struct args *a)
{
	char *text = NULL;
	int rc = vmac_smaps(ctx->conn, a->name, a->rollup, &text, NULL);
	if (rc < 0)
		return out_refused(ctx, "smaps", rc);
	if (!ctx->json) {
		fputs(text, stdout);
		free(text);
		return EXIT_DONE;
	}
	struct json js = JSON_INIT(stdout), *j = &js;
	json_begin_ok(j);
	json_str_field(j, "smaps", text);
	free(text);
	return out_json_end(j, EXIT_DONE);
}
