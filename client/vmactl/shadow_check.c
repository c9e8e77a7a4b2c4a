/* SPDX-License-Identifier: MIT */
/*
 * The shadow's check: the space's maps, byte for byte, and the status figures a tracer can
 * keep equal (sizes, locked, and anonymous pages of a single-threaded process) against the
 * process's /proc files.  RssFile,
 * VmRSS and VmHWM are not compared: which file pages are resident depends on the page cache
 * and on read faults the tracer does not see.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shadow.h"

#define CHECK_TEXT_MAX (8u << 20)

static const char *const check_keys[] = { "VmPeak", "VmSize", "VmLck", "RssAnon",
					  "VmData", "VmStk",  "VmExe", "VmLib" };

/*
 * The lines of full named in check_keys, in that order.  Without anon, RssAnon is left out:
 * the other threads of a process write pages while one is stopped.
 */
static void
check_pick(const char *full, char *out, size_t size, bool anon)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t k = 0; k < sizeof(check_keys) / sizeof(check_keys[0]); k++) {
		size_t kl = strlen(check_keys[k]);
		if (!anon && strcmp(check_keys[k], "RssAnon") == 0)
			continue;
		const char *p = full;
		while ((p = strstr(p, check_keys[k])) &&
		       !(p[kl] == ':' && (p == full || p[-1] == '\n')))
			p++;
		if (!p)
			continue;
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p + 1) : strlen(p);
		if (len + n < size) {
			memcpy(out + len, p, n);
			len += n;
			out[len] = '\0';
		}
	}
}

static int
check_model_maps(struct shadow *s, struct sh_mm *m, char **out)
{
	struct vmac_maps_iter *it;
	struct vmac_vma v;
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap), *nb;
	int rc;

	if (!buf)
		return -ENOMEM;
	buf[0] = '\0';
	rc = vmac_maps_open(s->conn, m->space, 0, 0, &it);
	while (rc == 0 && (rc = vmac_maps_next(it, &v)) > 0) {
		size_t n = strlen(v.line) + 1;
		if (len + n + 1 > cap && (cap *= 2) <= CHECK_TEXT_MAX && (nb = realloc(buf, cap)))
			buf = nb;
		if (len + n + 1 > cap) {
			rc = -ENOMEM;
			break;
		}
		memcpy(buf + len, v.line, n - 1);
		buf[len + n - 1] = '\n';
		len += n;
		buf[len] = '\0';
		rc = 0;
	}
	vmac_maps_close(it);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

/* Each line of a missing from b, prefixed. */
static void
check_print_missing(const char *a, const char *b, const char *prefix)
{
	for (const char *p = a; *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		bool found = false;
		for (const char *q = b; *q && !found;) {
			const char *f = strchr(q, '\n');
			size_t k = f ? (size_t)(f - q) : strlen(q);
			found = k == n && memcmp(p, q, n) == 0;
			q += k + (f != NULL);
		}
		if (!found)
			fprintf(stderr, "  %s %.*s\n", prefix, (int)n, p);
		p += n + (e != NULL);
	}
}

static void
check_report(struct shadow *s, struct sh_mm *m, const char *after, const char *kernel,
	     const char *model, const char *what)
{
	s->divergences++;
	m->diverged = true;
	if (s->divergences > 1)
		return;
	fprintf(stderr, "vmactl shadow: %s of pid %d (space %s) diverged after %s\n", what,
		(int)m->pid, m->space, after);
	check_print_missing(kernel, model, "kernel:");
	check_print_missing(model, kernel, "vmad:  ");
}

static int
check_status(struct shadow *s, struct sh_mm *m, const char *after)
{
	char *full = NULL, kernel[1024], model[1024];
	struct vmac_status st;
	int rc = sh_proc_read(m->pid, "status", &full);

	if (rc < 0)
		return rc;
	check_pick(full, kernel, sizeof(kernel), m->users <= 1);
	free(full);
	if ((rc = vmac_status(s->conn, m->space, &st)) < 0)
		return rc;
	check_pick(st.text, model, sizeof(model), m->users <= 1);
	if (strcmp(kernel, model) == 0)
		return 0;
	check_report(s, m, after, kernel, model, "status");
	return 1;
}

int
sh_check(struct shadow *s, struct sh_mm *m, const char *after)
{
	char *kernel = NULL, *model = NULL;
	int rc;

	if (m->lost || m->diverged)
		return 0;
	s->checks++;
	if ((rc = sh_proc_read(m->pid, "maps", &kernel)) < 0)
		return rc;
	if ((rc = check_model_maps(s, m, &model)) < 0) {
		free(kernel);
		return rc;
	}
	if (strcmp(kernel, model) != 0) {
		check_report(s, m, after, kernel, model, "maps");
		rc = 1;
	}
	free(kernel);
	free(model);
	return rc ? rc : check_status(s, m, after);
}
