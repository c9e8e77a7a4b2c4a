/*
 * libFuzzer target: the input is what one client sends on its connection.  It is written
 * into a socketpair whose other end is a real vmad connection (conn.c framing and
 * backpressure, dispatch.c, the engine), and the event loop runs until the daemon has
 * answered and closed.  After every request the engine's invariants are checked on every
 * address space.  The first input byte picks the client's identity (root or one of two
 * users), so access control is exercised too.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "conn.h"
#include "log.h"
#include "mm.h"
#include "server.h"
#include "space.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LOOP_LIMIT 100000

static struct event_base *base;
static struct server srv;

static void
check_invariants(struct server *s, void *arg)
{
	char msg[512];

	(void)arg;
	for (struct space *sp = space_next(&s->spaces, NULL); sp; sp = space_next(&s->spaces, sp)) {
		if (mm_validate(sp->mm, msg, sizeof(msg)) < 0) {
			fprintf(stderr, "invariant broken in '%s': %s\n", sp->name, msg);
			abort();
		}
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct server_config cfg;

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	log_init(getenv("FUZZ_LOG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERR - 1);
	base = event_base_new();
	server_config_init(&cfg);
	cfg.max_spaces = 16;
	cfg.max_frame = 64 * 1024;
	cfg.decode_budget = 8 * cfg.max_frame;
	if (!base || server_init(&srv, base, &cfg) < 0)
		abort();
	srv.after_request = check_invariants;
	return 0;
}

static void
fuzz_cred(uint8_t sel, struct peer_cred *cred)
{
	static const uid_t uids[] = { 0, 1000, 1001 };

	memset(cred, 0, sizeof(*cred));
	cred->pid = 1;
	cred->uid = uids[sel % 3];
	cred->gid = (sel & 0x10) ? 100 : cred->uid;
}

/* Feeds the bytes, reading and discarding the replies, until the daemon hangs up. */
static void
fuzz_feed(int peer, const uint8_t *data, size_t size)
{
	char sink[65536];
	size_t off = 0;
	bool shut = false;

	for (int i = 0; i < LOOP_LIMIT && srv.nclients > 0; i++) {
		if (off < size) {
			ssize_t n = send(peer, data + off, size - off, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (n > 0)
				off += (size_t)n;
		}
		if (off == size && !shut) {
			shutdown(peer, SHUT_WR);
			shut = true;
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
		while (recv(peer, sink, sizeof(sink), MSG_DONTWAIT) > 0)
			;
	}
}

static void
fuzz_reset(void)
{
	while (srv.conns)
		conn_free(srv.conns);
	space_table_fini(&srv.spaces);
	if (space_table_init(&srv.spaces) < 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct peer_cred cred;
	int sv[2];

	if (size < 1)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	fuzz_cred(data[0], &cred);
	if (!conn_new(&srv, sv[0], &cred))
		abort();
	fuzz_feed(sv[1], data + 1, size - 1);
	close(sv[1]);
	fuzz_reset();
	return 0;
}
