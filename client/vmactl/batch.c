/* SPDX-License-Identifier: MIT */
/*
 * batch: one command per line over one connection, run as the lines are read (so a batch can
 * come from a pipe that is still being written).  Each command prints what it prints alone.
 * A refused command does not stop the batch, nor does a line that cannot be parsed: it is
 * reported with its number and skipped.  The status is 2 if a line could not be parsed (or a
 * command could not read its file), else 1 if a command was refused; a lost connection stops
 * the batch with status 3.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmactl.h"

#define BATCH_MAX_WORDS 32

struct batch_line {
	int argc;
	char *argv[BATCH_MAX_WORDS];
	struct invocation inv;
};

int
cmd_batch_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)e;
	a->path = npos ? pos[0] : NULL;
	return 0;
}

/* One word, in place: quotes group ('...' literally, "..." with \" and \\). */
static char *
next_word(char **cursor, struct perr *e, int *err)
{
	char *p = *cursor + strspn(*cursor, " \t\r");
	if (*p == '\0')
		return NULL;
	char *word = p, *w = p;
	char quote = 0;
	for (; *p && (quote || !strchr(" \t\r", *p)); p++) {
		if (!quote && (*p == '\'' || *p == '"'))
			quote = *p;
		else if (quote && *p == quote)
			quote = 0;
		else if (quote == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
			*w++ = *++p;
		else
			*w++ = *p;
	}
	if (quote)
		*err = perr_set(e, "unterminated %c quote", quote);
	*cursor = *p ? p + 1 : p;
	*w = '\0';
	return word;
}

static int
split_line(char *s, struct batch_line *l, struct perr *e)
{
	int err = 0;
	char *w;
	l->argc = 0;
	while ((w = next_word(&s, e, &err)) != NULL && err == 0) {
		if (l->argc == BATCH_MAX_WORDS)
			return perr_set(e, "too many words");
		l->argv[l->argc++] = w;
	}
	return err;
}

static int
parse_line(struct batch_line *l, const struct ctx *ctx, struct perr *e)
{
	if (cmd_parse(l->argc, l->argv, &l->inv, e) < 0)
		return -1;
	if (!cmd_allowed_in_batch(&l->inv))
		return perr_set(e, "cannot run in a batch");
	if (ctx->batch_stdin && cmd_reads_stdin(&l->inv))
		return perr_set(e, "cannot read standard input: the batch comes from it");
	return 0;
}

/* One line (NUL-terminated, without its newline): an exit status. */
static int
batch_line(struct ctx *ctx, char *s)
{
	const char *first = s + strspn(s, " \t\r");
	if (*first == '\0' || *first == '#')
		return EXIT_DONE;
	struct batch_line l;
	struct perr e;
	memset(&l, 0, sizeof(l));
	if (split_line(s, &l, &e) < 0 || parse_line(&l, ctx, &e) < 0)
		return out_usage_error(ctx, l.inv.cmd ? cmd_name(&l.inv) : NULL, e.msg);
	int st = cmd_needs_daemon(&l.inv) ? ctx_connect(ctx) : EXIT_DONE;
	if (st != EXIT_DONE)
		return st;
	const bool json = ctx->json;
	ctx->json |= l.inv.json;
	st = cmd_run(ctx, &l.inv);
	ctx->json = json;
	/* Whoever feeds the batch through a pipe sees each answer before sending more.  A failed
	 * flush sets the stream's error, which ends the batch. */
	if (fflush(stdout) != 0)
		return st > EXIT_USAGE ? st : EXIT_USAGE;
	return st;
}

static int
batch_stream(struct ctx *ctx, FILE *f, const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int status = EXIT_DONE;
	while ((n = getline(&line, &cap, f)) >= 0) {
		ctx->line++;
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		int st = batch_line(ctx, line);
		if (st == EXIT_CONN) {
			status = st;
			break;
		}
		if (st > status)
			status = st;
		/* Answers that cannot be written end the batch; main() reports it. */
		if (ferror(stdout))
			break;
	}
	int err = errno;
	free(line);
	ctx->line = 0;
	if (status != EXIT_CONN && ferror(f))
		status = out_file_error(ctx, "batch", path, err ? -err : -EIO);
	return status;
}

int
cmd_batch_run(struct ctx *ctx, const struct args *a)
{
	ctx->batch_stdin = a->path == NULL || strcmp(a->path, "-") == 0;
	FILE *f = ctx->batch_stdin ? stdin : fopen(a->path, "re");
	if (f == NULL)
		return out_file_error(ctx, "batch", a->path, -errno);
	int status = batch_stream(ctx, f, a->path);
	if (f != stdin && fclose(f) != 0 && status == EXIT_DONE)
		status = out_file_error(ctx, "batch", a->path, -errno);
	return status;
}
