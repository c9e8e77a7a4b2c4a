/* SPDX-License-Identifier: MIT */
/*
 * vmactl [-s PATH] [-j|--json] COMMAND [ARG ...]: talk to vmad.
 *
 * The global options come before the command; the command's own options (--file, --prev,
 * ...) may appear anywhere after it.  -h, help and --version need no daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "vmactl.h"

static const char *
socket_path(const struct ctx *ctx)
{
	if (ctx->socket)
		return ctx->socket;
	const char *env = getenv("VMAD_SOCKET");
	return env && *env ? env : VMAC_DEFAULT_SOCKET;
}

int
ctx_connect(struct ctx *ctx)
{
	if (ctx->conn)
		return EXIT_DONE;
	const char *path = socket_path(ctx);
	int rc = vmac_connect(path, &ctx->conn);
	if (rc < 0)
		return out_connect_error(ctx, path, rc, false);
	struct vmac_server_info info;
	rc = vmac_hello(ctx->conn, "vmactl " VMAD_VERSION, &info);
	if (rc < 0) {
		/* A daemon that does not greet us properly is a protocol error, whatever it said.
		 */
		out_connect_error(ctx, path, rc, true);
		vmac_close(ctx->conn);
		ctx->conn = NULL;
		return EXIT_CONN;
	}
	return EXIT_DONE;
}

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "socket", required_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* The options before the command.  Returns -1 to go on, or an exit status. */
static int
parse_globals(int argc, char **argv, struct ctx *ctx)
{
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:jh", long_opts, NULL)) != -1) {
		switch (c) {
		case 's':
			ctx->socket = optarg;
			break;
		case 'j':
			ctx->json = true;
			break;
		case 'h':
			cmd_print_usage(stdout);
			return EXIT_DONE;
		case 'V':
			printf("vmactl %s (libvmaclient %s, protocol %d)\n", VMAD_VERSION,
			       vmac_version(), VMAC_PROTOCOL_VERSION);
			return EXIT_DONE;
		case ':':
			fprintf(stderr, "vmactl: option '%s' needs a value (see vmactl -h)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "vmactl: bad option '%s' (see vmactl -h)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		cmd_print_usage(stderr);
		return EXIT_USAGE;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	struct ctx ctx = { 0 };
	int status = parse_globals(argc, argv, &ctx);
	if (status >= 0)
		return out_close_stdout(status);
	struct invocation inv;
	struct perr e;
	int rc = cmd_parse(argc - optind, argv + optind, &inv, &e);
	ctx.json |= inv.json;
	if (rc < 0)
		return out_close_stdout(
			out_usage_error(&ctx, inv.cmd ? cmd_name(&inv) : NULL, e.msg));
	status = cmd_needs_daemon(&inv) ? ctx_connect(&ctx) : EXIT_DONE;
	if (status == EXIT_DONE)
		status = cmd_run(&ctx, &inv);
	vmac_close(ctx.conn);
	return out_close_stdout(status);
}
