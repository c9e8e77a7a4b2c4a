/*
 * batch: one command per line over one connection.  The whole input is parsed before anything
 * runs, so a typo on line 90 cannot leave a half-applied batch behind: if any line cannot be
 * parsed, each bad line is reported and the status is 2.  Otherwise every command runs and
 * prints what it prints alone; a refused command does not stop the batch (status 1 at the end,
 * 2 if a command could not read its file), a lost connection does (status 3).
 */
#include <stdlib.h>
#include <string.h>

#include "vmactl.h"

#define BATCH_MAX_WORDS 32

struct batch_line {
	unsigned no;
	int argc;
	char *argv[BATCH_MAX_WORDS];
	struct invocation inv;
};

struct batch {
	char *text;
	struct batch_line *lines;
	size_t n, cap;
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

static struct batch_line *
batch_add(struct batch *b)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct batch_line *p = realloc(b->lines, cap * sizeof(*p));
		if (p == NULL)
			return NULL;
		b->lines = p;
		b->cap = cap;
	}
	memset(&b->lines[b->n], 0, sizeof(b->lines[b->n]));
	return &b->lines[b->n++];
}

/* Split and parse every line; report each bad one.  Returns the number of bad lines, or -1. */
static int
batch_parse(struct ctx *ctx, struct batch *b)
{
	int bad = 0;
	unsigned no = 0;
	for (char *s = b->text, *next; s && *s; s = next) {
		next = strchr(s, '\n');
		if (next)
			*next++ = '\0';
		no++;
		const char *first = s + strspn(s, " \t\r");
		if (*first == '\0' || *first == '#')
			continue;
		struct batch_line *l = batch_add(b);
		if (l == NULL)
			return -1;
		l->no = no;
		struct perr e;
		if (split_line(s, l, &e) < 0 || parse_line(l, ctx, &e) < 0) {
			ctx->line = no;
			out_usage_error(ctx, l->inv.cmd ? cmd_name(&l->inv) : NULL, e.msg);
			bad++;
		}
	}
	ctx->line = 0;
	return bad;
}

static int
batch_run(struct ctx *ctx, const struct batch *b)
{
	int status = EXIT_DONE;
	for (size_t i = 0; i < b->n; i++) {
		ctx->line = b->lines[i].no;
		int st = cmd_run(ctx, &b->lines[i].inv);
		if (st == EXIT_CONN)
			return st;
		if (st > status)
			status = st;
	}
	ctx->line = 0;
	return status;
}

int
cmd_batch_run(struct ctx *ctx, const struct args *a)
{
	struct batch b = { 0 };
	size_t len;
	int rc = file_read_all(a->path, &b.text, &len);
	if (rc < 0) {
		char msg[PARSE_ERR_MAX];
		snprintf(msg, sizeof(msg), "cannot read %s: %s",
			 a->path ? a->path : "standard input", strerror(-rc));
		return out_usage_error(ctx, "batch", msg);
	}
	ctx->batch_stdin = a->path == NULL || strcmp(a->path, "-") == 0;
	int bad = batch_parse(ctx, &b);
	int status;
	if (bad < 0)
		status = out_usage_error(ctx, "batch", "out of memory");
	else if (bad > 0)
		status = EXIT_USAGE;
	else
		status = ctx_connect(ctx);
	if (status == EXIT_DONE)
		status = batch_run(ctx, &b);
	free(b.lines);
	free(b.text);
	return status;
}
