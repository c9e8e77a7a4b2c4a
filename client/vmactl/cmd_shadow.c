/* SPDX-License-Identifier: MIT */
/* shadow NAME [--follow-forks] [--] PROGRAM [ARG...]: follow a live process in a space. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shadow.h"
#include "vmactl.h"

int
cmd_shadow_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	int i = 1;

	a->name = pos[0];
	a->raw = pos;
	a->nraw = npos;
	for (; i < npos && strncmp(pos[i], "--", 2) == 0 && strcmp(pos[i], "--") != 0; i++) {
		if (strcmp(pos[i], "--follow-forks") != 0)
			return perr_set(e, "unknown option '%s'", pos[i]);
		a->onfault = true; /* reused as the --follow-forks flag */
	}
	if (i < npos && strcmp(pos[i], "--") == 0)
		i++;
	if (i >= npos)
		return perr_set(e, "missing PROGRAM; usage: vmactl shadow NAME [--follow-forks] "
				   "[--] PROGRAM [ARG...]");
	a->prog_index = i;
	return 0;
}

/* execvp's search: a name without a slash is looked up in $PATH. */
static int
shadow_find(const char *prog, char *out, size_t size)
{
	const char *path = getenv("PATH");

	if (strchr(prog, '/')) {
		snprintf(out, size, "%s", prog);
		return 0;
	}
	for (const char *p = path ? path : "/usr/bin:/bin"; p;) {
		const char *colon = strchr(p, ':');
		int n = colon ? (int)(colon - p) : (int)strlen(p);
		snprintf(out, size, "%.*s%s%s", n, p, n ? "/" : "", prog);
		if (access(out, X_OK) == 0)
			return 0;
		p = colon ? colon + 1 : NULL;
	}
	return -ENOENT;
}

static void
shadow_summary(const struct shadow *s)
{
	fprintf(stderr,
		"vmactl shadow: %llu process(es), %llu thread(s), %llu memory system calls "
		"mirrored, %llu unmodelled, %llu checks, %llu divergence(s)\n",
		(unsigned long long)s->processes, (unsigned long long)s->threads,
		(unsigned long long)s->mirrored, (unsigned long long)s->unmodelled,
		(unsigned long long)s->checks, (unsigned long long)s->divergences);
}

static void
shadow_free(struct shadow *s)
{
	while (s->tasks) {
		struct sh_task *t = s->tasks;
		s->tasks = t->next;
		free(t);
	}
	while (s->mms) {
		struct sh_mm *m = s->mms;
		s->mms = m->next;
		free(m);
	}
}

int
cmd_shadow_run(struct ctx *ctx, const struct args *a)
{
	struct shadow s = { .conn = ctx->conn, .name = a->name, .follow_forks = a->onfault };
	char file[PATH_MAX];
	char **argv = a->raw + a->prog_index;
	int rc = shadow_find(argv[0], file, sizeof(file));

	if (rc < 0)
		return out_file_error(ctx, "shadow", argv[0], rc);
	/* argv ends where the arguments end: a->raw is NULL-terminated by main's argv. */
	rc = sh_run(&s, file, argv);
	shadow_summary(&s);
	shadow_free(&s);
	if (rc < 0)
		return out_refused(ctx, "shadow", rc);
	return s.divergences ? EXIT_REFUSED : EXIT_DONE;
}
