/* SPDX-License-Identifier: MIT */
/*
 * exec NAME [--env K=V]... [--personality P] [--] PROGRAM [ARG...]: a space laid out as
 * execve leaves it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmactl.h"

/* "--OPT V" or "--OPT=V" at raw[i] (opt without its dashes): the value, and *used. */
static const char *
exec_opt_value(char **raw, int n, int i, const char *opt, int *used)
{
	size_t len = strlen(opt);

	if (strncmp(raw[i], "--", 2) || strncmp(raw[i] + 2, opt, len))
		return NULL;
	if (raw[i][2 + len] == '=') {
		*used = 1;
		return raw[i] + 3 + len;
	}
	if (raw[i][2 + len] == '\0' && i + 1 < n) {
		*used = 2;
		return raw[i + 1];
	}
	return NULL;
}

/* One option before PROGRAM: --env K=V, or --personality P (into a->create_ext.personality). */
static int
exec_option(struct args *a, char **pos, int npos, int i, int *used, struct perr *e)
{
	const char *v = exec_opt_value(pos, npos, i, "personality", used);

	if (v)
		return val_personality(v, &a->create_ext.personality, e);
	v = exec_opt_value(pos, npos, i, "env", used);
	if (!v)
		return perr_set(e,
				"unknown option '%s' (only --env K=V and --personality P come "
				"before PROGRAM)",
				pos[i]);
	return strchr(v, '=') ? 0 : perr_set(e, "--env needs K=V, not '%s'", v);
}

int
cmd_exec_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	int i = 1, used;

	a->name = pos[0];
	a->raw = pos;
	a->nraw = npos;
	while (i < npos && strncmp(pos[i], "--", 2) == 0 && strcmp(pos[i], "--") != 0) {
		if (exec_option(a, pos, npos, i, &used, e) < 0)
			return -1;
		i += used;
	}
	if (i < npos && strcmp(pos[i], "--") == 0)
		i++;
	if (i >= npos)
		return perr_set(e, "missing PROGRAM; usage: vmactl exec NAME [--env K=V]... "
				   "[--personality P] [--] PROGRAM [ARG...]");
	a->prog_index = i;
	return 0;
}

/*
 * One NULL-terminated array (malloc()ed) holding the --env values, a NULL, then PROGRAM and
 * its arguments (argv) and a NULL; *argv points at the second part.
 */
static const char **
exec_vectors(const struct args *a, const char ***argv)
{
	const char **envp = calloc((size_t)a->nraw + 2, sizeof(*envp));
	int n = 0, used;

	if (!envp)
		return NULL;
	for (int i = 1; i < a->prog_index; i += used) {
		used = 1; /* the "--" before PROGRAM */
		if (exec_opt_value(a->raw, a->nraw, i, "personality", &used))
			continue;
		envp[n] = exec_opt_value(a->raw, a->nraw, i, "env", &used);
		n += envp[n] != NULL;
	}
	*argv = envp + n + 1;
	for (int i = a->prog_index; i < a->nraw; i++)
		(*argv)[i - a->prog_index] = a->raw[i];
	return envp;
}

static int
exec_json(const struct vmac_exec_info *in)
{
	struct json js = JSON_INIT(stdout), *j = &js;

	json_begin_ok(j);
	json_hex_field(j, "start_code", in->start_code);
	json_hex_field(j, "end_code", in->end_code);
	json_hex_field(j, "start_data", in->start_data);
	json_hex_field(j, "end_data", in->end_data);
	json_hex_field(j, "start_brk", in->start_brk);
	json_hex_field(j, "start_stack", in->start_stack);
	json_hex_field(j, "arg_start", in->arg_start);
	json_hex_field(j, "arg_end", in->arg_end);
	json_hex_field(j, "env_start", in->env_start);
	json_hex_field(j, "env_end", in->env_end);
	json_hex_field(j, "entry", in->entry);
	return out_json_end(j, EXIT_DONE);
}

int
cmd_exec_run(struct ctx *ctx, const struct args *a)
{
	struct vmac_exec_opts opts = { 0 };
	struct vmac_exec_info info;
	const char **argv = NULL, **envp = exec_vectors(a, &argv);
	int rc;

	if (!envp)
		return out_refused(ctx, "exec", -ENOMEM);
	opts.envp = envp;
	opts.personality = a->create_ext.personality;
	rc = vmac_exec(ctx->conn, a->name, a->raw[a->prog_index], argv, &opts, &info);
	free(envp);
	if (rc < 0 && !vmac_conn_error(ctx->conn) && !*vmac_errmsg(ctx->conn)) {
		/* Refused before the daemon saw it: PROGRAM or its interpreter cannot be run. */
		char msg[PARSE_ERR_MAX];
		snprintf(msg, sizeof(msg), "cannot exec %s: %s", a->raw[a->prog_index],
			 strerror(-rc));
		return out_local_error(ctx, "exec", rc, msg);
	}
	if (rc < 0)
		return out_refused(ctx, "exec", rc);
	if (ctx->json)
		return exec_json(&info);
	return EXIT_DONE;
}
