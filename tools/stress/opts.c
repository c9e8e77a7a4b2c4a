/* SPDX-License-Identifier: MIT */
/* The command line. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stress.h"

static const char usage_text[] =
	"Usage: vmad-stress [OPTION]...\n"
	"Run many client processes against a vmad and check that every reply and every\n"
	"layout equals the same sequence replayed in the engine in-process.\n"
	"\n"
	"  -s, --socket PATH   the daemon's socket (default $VMAD_SOCKET, else " VMAC_DEFAULT_SOCKET
	")\n"
	"  -c, --clients N     client processes, 1-512 (default 16)\n"
	"  -S, --shared N      shared spaces, 0-16 (default clients/32, at least 1)\n"
	"  -t, --time SECONDS  run time (default 10; 0 with -n: until the count is reached)\n"
	"  -n, --ops N         operations per client (default: until the time is up)\n"
	"      --seed N        the run's seed (default: from the clock; printed on failure)\n"
	"  -p, --prefix NAME   prefix of the spaces the run creates and destroys\n"
	"                      (default stress-PID)\n"
	"      --client K      run client K alone (to reproduce a failure)\n"
	"      --kill-ms MS    mean time between SIGKILLs of a client (default 1000; 0: none)\n"
	"  -h, --help          this text\n"
	"\n"
	"Output: one line \"vmad-stress: clients=N ops=N ops_per_s=N p50_us=N p99_us=N\n"
	"progress_min/median/max=N/N/N mismatches=N lost=N duplicated=N killed=N\", then the\n"
	"first failure in detail with the command that reproduces it.\n"
	"Exit status: 0 when every check held, 1 when one failed, 2 on a usage or setup error.\n";

static int
opts_number(const char *arg, const char *what, unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || *out > max || arg[0] == '-') {
		fprintf(stderr, "vmad-stress: %s '%s' is not a number up to %llu; see --help\n",
			what, arg, max);
		return -EINVAL;
	}
	return 0;
}

static void
opts_defaults(struct st_opts *o)
{
	const char *env = getenv("VMAD_SOCKET");

	*o = (struct st_opts){ .socket = env && *env ? env : VMAC_DEFAULT_SOCKET,
			       .clients = 16,
			       .shared = ~0u,
			       .seconds = 10,
			       .seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32),
			       .only = -1,
			       .kill_ms = 1000 };
	snprintf(o->prefix, sizeof(o->prefix), "stress-%d", (int)getpid());
}

static int
opts_one(int ch, const char *arg, struct st_opts *o)
{
	unsigned long long v = 0;
	int rc = 0;

	switch (ch) {
	case 's':
		o->socket = arg;
		return 0;
	case 'p':
		if (strlen(arg) == 0 || strlen(arg) >= 48 ||
		    strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(arg)) {
			fprintf(stderr,
				"vmad-stress: prefix '%s' is not 1-47 characters of "
				"A-Z a-z 0-9 . _ -; see --help\n",
				arg);
			return -EINVAL;
		}
		snprintf(o->prefix, sizeof(o->prefix), "%s", arg);
		return 0;
	case 'c':
		rc = opts_number(arg, "client count", ST_MAX_CLIENTS, &v);
		o->clients = (unsigned)v;
		if (rc == 0 && v == 0) {
			fprintf(stderr, "vmad-stress: the client count is 1-%d; see --help\n",
				ST_MAX_CLIENTS);
			return -EINVAL;
		}
		return rc;
	case 'S':
		rc = opts_number(arg, "shared space count", ST_MAX_SHARED, &v);
		o->shared = (unsigned)v;
		return rc;
	case 't':
		rc = opts_number(arg, "time", 86400, &v);
		o->seconds = (double)v;
		return rc;
	case 'n':
		rc = opts_number(arg, "operation count", UINT64_MAX, &v);
		o->ops = v;
		return rc;
	case 'e':
		rc = opts_number(arg, "seed", UINT64_MAX, &v);
		o->seed = v;
		return rc;
	case 'k':
		rc = opts_number(arg, "client", ST_MAX_CLIENTS - 1, &v);
		o->only = (int)v;
		return rc;
	case 'K':
		rc = opts_number(arg, "kill interval", 3600000, &v);
		o->kill_ms = (long)v;
		return rc;
	default:
		fprintf(stderr, "vmad-stress: unknown option; see --help\n");
		return -EINVAL;
	}
}

/* 0 to run, 1 after --help, -EINVAL on a usage error (already reported). */
int
opts_parse(int argc, char **argv, struct st_opts *o)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "clients", required_argument, NULL, 'c' },
		{ "shared", required_argument, NULL, 'S' },
		{ "time", required_argument, NULL, 't' },
		{ "ops", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 'e' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "client", required_argument, NULL, 'k' },
		{ "kill-ms", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, rc;

	opts_defaults(o);
	while ((ch = getopt_long(argc, argv, "s:c:S:t:n:p:h", longopts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(usage_text, stdout);
			return 1;
		}
		rc = opts_one(ch, optarg, o);
		if (rc < 0)
			return rc;
	}
	if (optind < argc) {
		fprintf(stderr, "vmad-stress: unexpected argument '%s'; see --help\n",
			argv[optind]);
		return -EINVAL;
	}
	if (o->seconds == 0 && o->ops == 0) {
		fprintf(stderr, "vmad-stress: -t 0 needs -n; see --help\n");
		return -EINVAL;
	}
	if (o->only >= (int)o->clients) {
		fprintf(stderr, "vmad-stress: --client %d is not below -c %u; see --help\n",
			o->only, o->clients);
		return -EINVAL;
	}
	if (o->shared == ~0u)
		o->shared = o->clients / 32 < 1 ? 1 : o->clients / 32 > 16 ? 16 : o->clients / 32;
	return 0;
}
