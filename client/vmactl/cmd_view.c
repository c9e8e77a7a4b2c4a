/* SPDX-License-Identifier: MIT */
/* The commands answered from a view of the space: find --view and check. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmactl.h"

/* A line and its name: a path of 4095 bytes escaped, " (deleted)", the columns before. */
#define VIEW_LINE_MAX (4 * 4096 + 256)

struct view_vma {
	struct vmac_vma vma;
	char name[VIEW_LINE_MAX];
	char line[VIEW_LINE_MAX];
};

/* The view's VMA in the struct find prints. */
static int
view_vma_fill(struct vmac_view *v, const struct vmac_view_vma *w, struct view_vma *out)
{
	int r = vmac_view_name(v, w, out->name, sizeof(out->name));

	if (r >= 0)
		r = vmac_view_line(v, w, out->line, sizeof(out->line));
	if (r < 0)
		return r;
	memset(&out->vma, 0, sizeof(out->vma));
	out->vma.start = w->start;
	out->vma.end = w->end;
	out->vma.flags = w->flags;
	out->vma.pgoff = w->pgoff;
	memcpy(out->vma.perms, w->perms, sizeof(out->vma.perms));
	out->vma.offset = w->offset;
	out->vma.dev_major = w->dev_major;
	out->vma.dev_minor = w->dev_minor;
	out->vma.ino = w->ino;
	out->vma.path = out->name;
	out->vma.line = out->line;
	return 0;
}

static int
view_find(struct vmac_view *v, const struct args *a, struct vmac_view_vma *w,
	  struct vmac_view_vma *p)
{
	if (a->has_addr2)
		return vmac_view_find_vma_intersection(v, a->addr, a->addr2, w);
	if (a->prev)
		return vmac_view_find_vma_prev(v, a->addr, w, p);
	return vmac_view_find_vma(v, a->addr, w);
}

static int
view_find_run(struct ctx *ctx, struct vmac_view *v, const struct args *a)
{
	struct view_vma *out = malloc(2 * sizeof(*out));
	struct vmac_view_vma w, p;
	int rc = out ? view_find(v, a, &w, &p) : -ENOMEM;

	if (rc > 0 && (rc & VMAC_FOUND_VMA))
		rc = view_vma_fill(v, &w, &out[0]) < 0 ? -ESTALE : rc;
	if (rc > 0 && (rc & VMAC_FOUND_PREV))
		rc = view_vma_fill(v, &p, &out[1]) < 0 ? -ESTALE : rc;
	rc = rc < 0 ? out_refused(ctx, "find", rc)
		    : cmd_find_print(ctx, a, rc, &out[0].vma, &out[1].vma);
	free(out);
	return rc;
}

int
cmd_find_view(struct ctx *ctx, const struct args *a)
{
	struct vmac_view *v;
	int rc = vmac_view_open(ctx->conn, a->name, &v);

	if (rc < 0)
		return out_refused(ctx, "find", rc);
	rc = view_find_run(ctx, v, a);
	vmac_view_close(v);
	return rc;
}

int
cmd_check_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	if (*pos[0] == '\0')
		return perr_set(e, "empty space name");
	a->name = pos[0];
	if (val_number(pos[1], &a->addr, e) < 0 || val_number(pos[2], &a->len, e) < 0)
		return -1;
	return val_prot(pos[3], &a->prot, e);
}

int
cmd_check_run(struct ctx *ctx, const struct args *a)
{
	struct vmac_view *v;
	uint64_t bad = 0;
	int rc = vmac_view_open(ctx->conn, a->name, &v);

	if (rc == 0) {
		rc = vmac_view_check(v, a->addr, a->len, a->prot, &bad);
		vmac_view_close(v);
	}
	if (rc < 0 && rc != -EFAULT)
		return out_refused(ctx, "check", rc);
	if (ctx->json) {
		struct json js = JSON_INIT(stdout), *j = &js;
		json_begin_ok(j);
		json_str_field(j, "result", rc == 0 ? "ok" : "fault");
		if (rc < 0)
			json_hex_field(j, "addr", bad);
		return out_json_end(j, rc == 0 ? EXIT_DONE : EXIT_REFUSED);
	} else if (rc == 0) {
		puts("ok");
	} else {
		printf("0x%" PRIx64 "\n", bad);
	}
	return rc == 0 ? EXIT_DONE : EXIT_REFUSED;
}
