/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the input is what one client sends on its connection.  It is written
 * into a socketpair whose other end is a real vmad connection (conn.c framing and
 * backpressure, dispatch.c, the engine), and the event loop runs until the daemon has
 * answered and closed.  After every request the engine's invariants are checked on every
 * address space.  The first input byte picks the client's identity (root or one of two
 * users), so access control is exercised too.  The daemon's own protobuf code is checked
 * against protobuf-c: every request frame decodes alike (and the find fast path alike to the
 * one-pass decoder), and every reply is exactly what protobuf-c packs for its contents.  The
 * client's decoders get the same checks, on the replies and on each input frame read as one.
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

#include "arena.h"
#include "conn.h"
#include "fuzz_check.h"
#include "log.h"
#include "mm.h"
#include "server.h"
#include "space.h"
#include "wire.h"
#include "wire_in.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LOOP_LIMIT 100000
#define HEADER     4

static struct event_base *base;
static struct server srv;

static void
check_invariants(struct server *s, void *arg)
{
	(void)arg;
	for (struct space *sp = space_next(&s->spaces, NULL); sp; sp = space_next(&s->spaces, sp))
		fuzz_check_mm(sp->mm, "after a request", sp->name);
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

static size_t
frame_len(const uint8_t *p)
{
	return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
}

static void
same_or_abort(const ProtobufCMessage *a, const ProtobufCMessage *b, const char *what)
{
	size_t n = protobuf_c_message_get_packed_size(a);
	uint8_t *x = malloc(n + 1), *y = malloc(n + 1);

	if (!x || !y || protobuf_c_message_get_packed_size(b) != n)
		abort();
	protobuf_c_message_pack(a, x);
	protobuf_c_message_pack(b, y);
	if (memcmp(x, y, n) != 0) {
		fprintf(stderr, "%s differs from protobuf-c\n", what);
		abort();
	}
	free(x);
	free(y);
}

/*
 * The find read in place (quickfind.c) is the find decoded into the arena, whenever its name
 * fits the buffer; a name that does not is left to the general path.
 */
static void
check_find_read(const uint8_t *body, size_t len, const Vmad__V1__Request *fast)
{
	char name[SPACE_NAME_MAX + 1];
	struct wire_find_req q;
	bool read = wire_find_read(body, len, &q, name, sizeof(name));
	bool fits = fast && (!fast->find->name || strlen(fast->find->name) < sizeof(name));

	if (read != fits)
		abort();
	if (!read)
		return;
	if (q.has_id != fast->has_id || q.id != fast->id)
		abort();
	same_or_abort(&q.find.base, &fast->find->base, "a find read in place");
}

/*
 * What the one-pass decoder makes of a frame is what protobuf-c makes of it; what the find
 * fast path takes, the one-pass decoder takes alike.
 */
static void
check_request(const uint8_t *body, size_t len)
{
	struct arena a, b, c;
	Vmad__V1__Request *plain, *pbc, *fast;

	arena_init(&a, srv.cfg.decode_budget);
	arena_init(&b, srv.cfg.decode_budget);
	arena_init(&c, srv.cfg.decode_budget);
	plain = wire_request_plain(&a, body, len);
	pbc = vmad__v1__request__unpack(arena_allocator(&b), len, body);
	fast = wire_request_find(&c, body, len);
	if ((plain && !pbc) || (fast && !plain))
		abort();
	if (plain)
		same_or_abort(&plain->base, &pbc->base, "a decoded request");
	if (fast)
		same_or_abort(&fast->base, &plain->base, "a find decoded by the fast path");
	check_find_read(body, len, fast);
	arena_fini(&a);
	arena_fini(&b);
	arena_fini(&c);
}

/*
 * The same for a client reading a frame as a reply: the one-pass decoder against protobuf-c,
 * the find reply fast path against the one-pass decoder.
 */
static void
check_reply_decoders(const uint8_t *body, size_t len)
{
	const ProtobufCMessageDescriptor *d = &vmad__v1__response__descriptor;
	struct arena a, b, c;
	ProtobufCMessage *plain, *pbc;
	Vmad__V1__Response *fast;

	arena_init(&a, srv.cfg.decode_budget);
	arena_init(&b, srv.cfg.decode_budget);
	arena_init(&c, srv.cfg.decode_budget);
	plain = wire_in_message(arena_allocator(&a), d, body, len);
	pbc = protobuf_c_message_unpack(d, arena_allocator(&b), len, body);
	fast = wire_find_reply(&c, body, len);
	if ((plain && !pbc) || (fast && !plain))
		abort();
	if (plain)
		same_or_abort(plain, pbc, "a decoded reply");
	if (fast)
		same_or_abort(&fast->base, plain, "a find reply decoded by the fast path");
	arena_fini(&a);
	arena_fini(&b);
	arena_fini(&c);
}

static void
check_requests(const uint8_t *data, size_t size)
{
	for (size_t off = 0; size - off >= HEADER;) {
		size_t len = frame_len(data + off);

		if (len > srv.cfg.max_frame || len > size - off - HEADER)
			break;
		check_request(data + off + HEADER, len);
		check_reply_decoders(data + off + HEADER, len);
		off += HEADER + len;
	}
}

/* Each reply decodes, and packs back to the very bytes the daemon sent. */
static void
check_reply(const uint8_t *body, size_t len)
{
	Vmad__V1__Response *resp = vmad__v1__response__unpack(NULL, len, body);
	uint8_t *again;

	if (!resp || vmad__v1__response__get_packed_size(resp) != len)
		abort();
	again = malloc(len + 1);
	if (!again)
		abort();
	vmad__v1__response__pack(resp, again);
	if (memcmp(again, body, len) != 0) {
		fprintf(stderr, "a reply differs from what protobuf-c packs\n");
		abort();
	}
	free(again);
	vmad__v1__response__free_unpacked(resp, NULL);
	check_reply_decoders(body, len);
}

/* The reply stream so far: checks the complete frames, keeps the rest. */
struct replies {
	uint8_t *buf;
	size_t len, cap;
};

static void
replies_take(struct replies *r, const uint8_t *data, size_t n)
{
	size_t off = 0;

	if (r->len + n > r->cap) {
		r->cap = 2 * (r->len + n);
		r->buf = realloc(r->buf, r->cap);
		if (!r->buf)
			abort();
	}
	memcpy(r->buf + r->len, data, n);
	r->len += n;
	while (r->len - off >= HEADER && r->len - off - HEADER >= frame_len(r->buf + off)) {
		check_reply(r->buf + off + HEADER, frame_len(r->buf + off));
		off += HEADER + frame_len(r->buf + off);
	}
	memmove(r->buf, r->buf + off, r->len - off);
	r->len -= off;
}

/* Feeds the bytes and checks the replies, until the daemon hangs up. */
static void
fuzz_feed(int peer, const uint8_t *data, size_t size)
{
	static uint8_t sink[65536];
	struct replies replies = { 0 };
	size_t off = 0;
	bool shut = false;
	ssize_t got;

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
		while ((got = recv(peer, sink, sizeof(sink), MSG_DONTWAIT)) > 0)
			replies_take(&replies, sink, (size_t)got);
	}
	free(replies.buf);
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
	check_requests(data + 1, size - 1);
	if (!conn_new(&srv, sv[0], &cred))
		abort();
	fuzz_feed(sv[1], data + 1, size - 1);
	close(sv[1]);
	fuzz_reset();
	return 0;
}
