/* SPDX-License-Identifier: MIT */
/* Reading a whole file (import's maps text, a batch) into a NUL-terminated buffer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmactl.h"

static int
read_stream(FILE *f, char **out, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		if (cap - n < 2) {
			char *p = cap < SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
			if (p == NULL) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		return -EIO;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int
file_read_all(const char *path, char **out, size_t *len)
{
	if (path == NULL || strcmp(path, "-") == 0)
		return read_stream(stdin, out, len);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	int rc = read_stream(f, out, len);
	fclose(f);
	return rc;
}
