/* SPDX-License-Identifier: MIT */
/* save and restore: one space to a versioned file and back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmactl.h"

static int
name_and_file(struct args *a, char **pos, struct perr *e)
{
	if (*pos[0] == '\0')
		return perr_set(e, "empty space name");
	if (*pos[1] == '\0')
		return perr_set(e, "empty file name");
	a->name = pos[0];
	a->path = pos[1];
	return 0;
}

int
cmd_save_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	return name_and_file(a, pos, e);
}

int
cmd_restore_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	return name_and_file(a, pos, e);
}

/* Written whole to a temporary file, then renamed: FILE is never left half-written. */
static int
write_file(const char *path, const void *data, size_t len)
{
	size_t n = strlen(path) + 16;
	char *tmp = malloc(n);
	FILE *f;
	int rc = 0;

	if (tmp == NULL)
		return -ENOMEM;
	snprintf(tmp, n, "%s.%ld~", path, (long)getpid());
	f = fopen(tmp, "wxe");
	if (f == NULL) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	if (fwrite(data, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = errno ? -errno : -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int
cmd_save_run(struct ctx *ctx, const struct args *a)
{
	void *data = NULL;
	size_t len = 0;
	int rc = vmac_save(ctx->conn, a->name, &data, &len);

	if (rc < 0)
		return out_refused(ctx, "save", rc);
	rc = strcmp(a->path, "-") == 0 ? (fwrite(data, 1, len, stdout) == len ? 0 : -EIO)
				       : write_file(a->path, data, len);
	free(data);
	return rc < 0 ? out_file_error(ctx, "save", a->path, rc) : out_done(ctx);
}

int
cmd_restore_run(struct ctx *ctx, const struct args *a)
{
	char *data;
	size_t len;
	int rc = file_read_all(a->path, &data, &len);

	if (rc < 0)
		return out_file_error(ctx, "restore", a->path, rc);
	rc = vmac_restore(ctx->conn, a->name, data, len,
			  a->create.set & VMAC_OPT_MODE ? a->create.mode : 0);
	free(data);
	return rc < 0 ? out_refused(ctx, "restore", rc) : out_done(ctx);
}
