/* SPDX-License-Identifier: MIT */
/* vmad: the address-space daemon.  Arguments, environment, setup, the event loop. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "durable.h"
#include "log.h"
#include "notify.h"
#include "server.h"

#define DEFAULT_SOCKET    "/run/vmad/vmad.sock"
#define MAX_FRAME_MIN     64
#define MAX_FRAME_LIMIT   (64ULL << 20)
#define DECODE_BUDGET_PER 8
#define MEMORY_MAX_MIN    (16ULL << 20)

struct options {
	const char *socket;
	const char *state_dir;
	int log_level;
	struct server_config cfg;
	struct durable_config dur;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: vmad [-s PATH] [--state-dir DIR] [--sync always|batch|none]\n"
		"            [--recover=truncate] [--max-clients N] [--max-spaces N]\n"
		"            [--max-spaces-per-uid N] [--max-vmas-per-uid N] [--memory-max BYTES]\n"
		"            [--max-frame BYTES] [--log-level LEVEL] [-h] [--version]\n"
		"\n"
		"Serves named Linux (x86_64) address-space models over a Unix socket.\n"
		"Runs in the foreground; under systemd socket activation it serves the passed "
		"socket.\n"
		"\n"
		"  -s, --socket PATH    socket to create (default " DEFAULT_SOCKET ")\n"
		"  --state-dir DIR      keep every address space across restarts and crashes in "
		"DIR\n"
		"                       (journal and snapshots; created if missing; default "
		"$STATE_DIRECTORY);\n"
		"                       without it, address spaces live in memory only\n"
		"  --sync MODE          when the journal reaches the disk before a reply: always\n"
		"                       (fdatasync per request), batch (one fdatasync per loop "
		"pass,\n"
		"                       the default) or none (written, not synced: survives a "
		"crash\n"
		"                       of vmad, not a power cut)\n"
		"  --recover=truncate   start even if the journal is damaged, keeping what "
		"precedes "
		"the\n"
		"                       damage and removing the rest (default: refuse to start)\n"
		"  --max-clients N      simultaneous connections (default 4096)\n"
		"  --max-spaces N       address spaces held at once (default 4096)\n"
		"  --max-spaces-per-uid N  address spaces one owner may hold (default 1024)\n"
		"  --max-vmas-per-uid N    VMAs one owner's spaces may hold together (default "
		"1048576)\n"
		"  --memory-max BYTES   memory budget for spaces and clients, K/M/G suffixes "
		"allowed\n"
		"                       (default 3/4 of the cgroup's memory.max, else half the "
		"RAM)\n"
		"  --max-frame BYTES    largest request frame, K/M suffixes allowed (default 1M)\n"
		"  --log-level LEVEL    err, warning, notice, info (default) or debug\n"
		"  -h, --help           this text\n"
		"  --version            the version\n");
}

/* Decimal, 0x hex, or a K/M/G binary suffix. */
static int
parse_size(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (*s == '-' || *s == '\0')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return -errno;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end != '\0' || (shift && v > (ULLONG_MAX >> shift)))
		return -EINVAL;
	v <<= shift;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int
option_size(const char *name, const char *arg, unsigned long long min, unsigned long long max,
	    size_t *out)
{
	unsigned long long v;

	if (parse_size(arg, max, &v) < 0 || v < min) {
		fprintf(stderr, "vmad: %s: expected a number from %llu to %llu, got '%s'\n", name,
			min, max, arg);
		return -EINVAL;
	}
	*out = (size_t)v;
	return 0;
}

static int
option_u64(const char *name, const char *arg, unsigned long long min, unsigned long long max,
	   uint64_t *out)
{
	size_t v;
	int r = option_size(name, arg, min, max, &v);

	if (r == 0)
		*out = v;
	return r;
}

enum {
	OPT_STATE_DIR = 256,
	OPT_SYNC,
	OPT_RECOVER,
	OPT_MAX_CLIENTS,
	OPT_MAX_SPACES,
	OPT_MAX_FRAME,
	OPT_MAX_SPACES_PER_UID,
	OPT_MAX_VMAS_PER_UID,
	OPT_MEMORY_MAX,
	OPT_LOG_LEVEL,
	OPT_VERSION
};

static const struct option long_options[] = {
	{ "socket", required_argument, NULL, 's' },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "sync", required_argument, NULL, OPT_SYNC },
	{ "recover", required_argument, NULL, OPT_RECOVER },
	{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
	{ "max-spaces", required_argument, NULL, OPT_MAX_SPACES },
	{ "max-frame", required_argument, NULL, OPT_MAX_FRAME },
	{ "max-spaces-per-uid", required_argument, NULL, OPT_MAX_SPACES_PER_UID },
	{ "max-vmas-per-uid", required_argument, NULL, OPT_MAX_VMAS_PER_UID },
	{ "memory-max", required_argument, NULL, OPT_MEMORY_MAX },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* One option; 0 to go on, 1 to exit successfully, -1 for a usage error. */
static int
parse_option(int opt, const char *arg, struct options *o)
{
	switch (opt) {
	case 's':
		o->socket = arg;
		return 0;
	case OPT_STATE_DIR:
		o->state_dir = arg;
		return 0;
	case OPT_SYNC:
		if (durable_parse_sync(arg, &o->dur.sync) == 0)
			return 0;
		fprintf(stderr, "vmad: --sync: expected always, batch or none, got '%s'\n", arg);
		return -1;
	case OPT_RECOVER:
		o->dur.recover_truncate = strcmp(arg, "truncate") == 0;
		if (o->dur.recover_truncate)
			return 0;
		fprintf(stderr, "vmad: --recover: the only mode is 'truncate', got '%s'\n", arg);
		return -1;
	case OPT_MAX_CLIENTS:
		return option_size("--max-clients", arg, 1, 1u << 20, &o->cfg.max_clients);
	case OPT_MAX_SPACES:
		return option_size("--max-spaces", arg, 1, 65536, &o->cfg.max_spaces);
	case OPT_MAX_FRAME:
		return option_size("--max-frame", arg, MAX_FRAME_MIN, MAX_FRAME_LIMIT,
				   &o->cfg.max_frame);
	case OPT_MAX_SPACES_PER_UID:
		return option_size("--max-spaces-per-uid", arg, 1, 65536,
				   &o->cfg.max_spaces_per_uid);
	case OPT_MAX_VMAS_PER_UID:
		return option_u64("--max-vmas-per-uid", arg, 1, 1ULL << 32,
				  &o->cfg.max_vmas_per_uid);
	case OPT_MEMORY_MAX:
		return option_u64("--memory-max", arg, MEMORY_MAX_MIN, 1ULL << 50,
				  &o->cfg.memory_max);
	case OPT_LOG_LEVEL:
		o->log_level = log_parse_level(arg);
		if (o->log_level >= 0)
			return 0;
		fprintf(stderr, "vmad: --log-level: unknown level '%s'\n", arg);
		return -1;
	case 'h':
		usage(stdout);
		return 1;
	case OPT_VERSION:
		printf("vmad %s\n", VMAD_VERSION);
		return 1;
	default:
		return -1;
	}
}

/* Internal limits a test or an operator may tune; documented in vmad(8). */
static void
env_uint(const char *name, unsigned *out)
{
	const char *s = getenv(name);
	unsigned long long v;

	if (s && parse_size(s, UINT_MAX, &v) == 0 && v > 0)
		*out = (unsigned)v;
}

static void
env_bytes(const char *name, uint64_t *out)
{
	const char *s = getenv(name);
	unsigned long long v;

	if (s && parse_size(s, ULLONG_MAX, &v) == 0 && v > 0)
		*out = v;
}

static bool
env_is(const char *name, const char *value)
{
	const char *s = getenv(name);

	return s && strcmp(s, value) == 0;
}

static int
parse_args(int argc, char **argv, struct options *o)
{
	int opt, r;

	o->socket = DEFAULT_SOCKET;
	o->state_dir = getenv("STATE_DIRECTORY");
	o->log_level = LOG_LEVEL_INFO;
	server_config_init(&o->cfg);
	durable_config_init(&o->dur);
	/* getopt's own messages name argv[0]; ours name the program and point at --help. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":s:h", long_options, NULL)) != -1) {
		if (opt == '?' || opt == ':') {
			fprintf(stderr, "vmad: %s '%s' (see vmad --help)\n",
				opt == ':' ? "missing value for option" : "unrecognized option",
				argv[optind - 1]);
			return -1;
		}
		r = parse_option(opt, optarg, o);
		if (r != 0)
			return r;
	}
	if (optind < argc) {
		fprintf(stderr, "vmad: unexpected argument '%s' (see vmad --help)\n", argv[optind]);
		return -1;
	}
	o->cfg.decode_budget = o->cfg.max_frame * DECODE_BUDGET_PER;
	env_uint("VMAD_IDLE_TIMEOUT_MS", &o->cfg.idle_ms);
	env_uint("VMAD_FRAME_TIMEOUT_MS", &o->cfg.frame_ms);
	env_uint("VMAD_WRITE_TIMEOUT_MS", &o->cfg.write_ms);
	env_uint("VMAD_SHUTDOWN_TIMEOUT_MS", &o->cfg.shutdown_ms);
	env_uint("VMAD_PASS_REQUESTS", &o->cfg.pass_frames);
	env_bytes("VMAD_JOURNAL_MAX", &o->dur.journal_max);
	o->cfg.wire_protobuf_c = env_is("VMAD_WIRE", "protobuf-c");
	return 0;
}

/* Each client holds a descriptor: take the hard limit, and keep --max-clients below it. */
static void
raise_nofile(struct server_config *cfg)
{
	struct rlimit rl;
	size_t spare = 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) < 0)
			return;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < cfg->max_clients + spare) {
		size_t fit = rl.rlim_cur > spare ? (size_t)rl.rlim_cur - spare : 1;

		log_warning("RLIMIT_NOFILE is %llu: serving at most %zu clients",
			    (unsigned long long)rl.rlim_cur, fit);
		cfg->max_clients = fit;
	}
}

/* mkdir -p, mode 0700 for what it creates. */
static int
make_dirs(char *dir)
{
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(dir, 0700) == 0)
		log_info("created state directory %s", dir);
	else if (errno != EEXIST)
		return -errno;
	return 0;
}

/* STATE_DIRECTORY may list several directories; vmad uses the first (dir, PATH_MAX bytes). */
static int
check_state_dir(const char *list, char *dir)
{
	const char *why = NULL;
	struct stat st;
	int r;

	snprintf(dir, PATH_MAX, "%.*s", (int)strcspn(list, ":"), list);
	r = make_dirs(dir);
	if (r < 0)
		why = strerror(-r);
	else if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		why = "not a directory";
	else if (access(dir, W_OK | X_OK) < 0)
		why = "not writable";
	if (why) {
		log_err("state directory %s: %s", dir, why);
		return -1;
	}
	return 0;
}

struct daemon {
	struct event_base *base;
	struct server srv;
	struct notify notify;
	struct event *sigterm, *sigint, *sighup;
};

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	if (d->srv.stopping)
		return;
	log_info("%s: finishing what is in flight, then exiting", strsignal((int)sig));
	notify_stopping(&d->notify);
	server_stop(&d->srv);
}

/* SIGHUP: compact the journal into a snapshot now. */
static void
on_sighup(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)sig;
	(void)what;
	durable_compact(&d->srv);
}

static struct event_base *
new_base(void)
{
	struct event_config *ec = event_config_new();
	struct event_base *base;

	if (!ec)
		return NULL;
	/* One thread: no locks. */
	event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	return base;
}

static int
setup(struct daemon *d, const struct options *o)
{
	int r;

	d->base = new_base();
	if (!d->base)
		return -ENOMEM;
	r = server_init(&d->srv, d->base, &o->cfg);
	if (r < 0)
		return r;
	if (o->dur.dir && (r = durable_open(&d->srv, &o->dur)) < 0)
		return r;
	/*
	 * The signals are ours before the socket takes clients: whoever sees it answer may stop
	 * (SIGTERM) or compact (SIGHUP) vmad at once, and must not kill it by the default action.
	 */
	d->sigterm = evsignal_new(d->base, SIGTERM, on_signal, d);
	d->sigint = evsignal_new(d->base, SIGINT, on_signal, d);
	d->sighup = evsignal_new(d->base, SIGHUP, on_sighup, d);
	if (!d->sigterm || !d->sigint || !d->sighup || evsignal_add(d->sigterm, NULL) < 0 ||
	    evsignal_add(d->sigint, NULL) < 0 || evsignal_add(d->sighup, NULL) < 0)
		return -ENOMEM;
	r = server_listen(&d->srv, o->socket);
	if (r < 0)
		return r;
	return notify_start(&d->notify, &d->srv);
}

static void
teardown(struct daemon *d)
{
	notify_fini(&d->notify);
	if (d->base) {
		durable_close(&d->srv);
		server_fini(&d->srv);
	}
	if (d->sigterm)
		event_free(d->sigterm);
	if (d->sigint)
		event_free(d->sigint);
	if (d->sighup)
		event_free(d->sighup);
	if (d->base)
		event_base_free(d->base);
	libevent_global_shutdown();
}

int
main(int argc, char **argv)
{
	struct daemon d = { 0 };
	char state_dir[PATH_MAX];
	struct options o;
	int r = parse_args(argc, argv, &o);

	if (r != 0)
		return r > 0 ? 0 : 2;
	log_init(o.log_level);
	/* A client that hangs up must cost an EPIPE, not the daemon. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		log_err("cannot ignore SIGPIPE: %s", strerror(errno));
		return 1;
	}
	raise_nofile(&o.cfg);
	if (o.state_dir && check_state_dir(o.state_dir, state_dir) < 0)
		return 1;
	o.dur.dir = o.state_dir ? state_dir : NULL;
	r = setup(&d, &o);
	if (r < 0) {
		log_err("cannot start: %s", strerror(-r));
		if (sd_notifyf(0, "ERRNO=%d", -r) < 0)
			log_debug("the service manager was not told the error");
		teardown(&d);
		return 1;
	}
	log_info("vmad %s ready (max %zu clients, %zu spaces, frames up to %zu bytes, "
		 "memory budget %llu bytes; per uid %zu spaces, %llu VMAs)",
		 VMAD_VERSION, o.cfg.max_clients, o.cfg.max_spaces, o.cfg.max_frame,
		 (unsigned long long)d.srv.cfg.memory_max, o.cfg.max_spaces_per_uid,
		 (unsigned long long)o.cfg.max_vmas_per_uid);
	r = event_base_dispatch(d.base);
	teardown(&d);
	if (r < 0) {
		log_err("event loop failed");
		return 1;
	}
	log_info("stopped");
	return 0;
}
