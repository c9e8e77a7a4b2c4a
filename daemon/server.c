/* SPDX-License-Identifier: MIT */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <systemd/sd-daemon.h>

#include "conn.h"
#include "quota.h"
#include "log.h"
#include "mm.h"

#define MIB (1024 * 1024)

void
server_config_init(struct server_config *cfg)
{
	cfg->max_clients = 4096;
	cfg->max_spaces = 4096;
	cfg->max_frame = MIB;
	cfg->decode_budget = 8 * MIB;
	cfg->idle_ms = 600 * 1000;
	cfg->frame_ms = 10 * 1000;
	cfg->write_ms = 30 * 1000;
	cfg->shutdown_ms = 5 * 1000;
	cfg->out_high = 4 * MIB;
	cfg->out_low = MIB;
	cfg->watch_queue = 1024;
	cfg->watches_per_conn = 64;
	cfg->socket_mode = 0666;
	cfg->max_spaces_per_uid = 1024;
	cfg->max_vmas_per_uid = 1u << 20;
	cfg->memory_max = 0;
	cfg->pass_frames = 16;
	cfg->wire_protobuf_c = false;
}

static void
server_accept_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	if (srv->listener && !srv->stopping)
		evconnlistener_enable(srv->listener);
}

/* loopexit schedules the exit (it allocates); loopbreak, which does not, is the fallback. */
static void
server_loop_exit(struct server *srv)
{
	if (event_base_loopexit(srv->base, NULL) < 0 && event_base_loopbreak(srv->base) < 0)
		log_err("cannot stop the event loop");
}

static void
server_stop_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	log_warning("%zu clients still had replies pending at the shutdown deadline",
		    srv->nclients);
	server_loop_exit(srv);
}

int
server_init(struct server *srv, struct event_base *base, const struct server_config *cfg)
{
	int r;

	memset(srv, 0, sizeof(*srv));
	srv->cfg = *cfg;
	if (!srv->cfg.memory_max)
		srv->cfg.memory_max = quota_default_memory_max();
	srv->base = base;
	srv->wire.protobuf_c = cfg->wire_protobuf_c;
	/* A codec out of step with vmad.proto must stop the daemon, not garble its replies. */
	r = wire_init(&srv->wire);
	if (r < 0)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &srv->started);
	arena_init(&srv->req_arena, cfg->decode_budget);
	arena_init(&srv->reply_arena, SIZE_MAX);
	r = space_table_init(&srv->spaces);
	if (r < 0)
		return r;
	srv->accept_timer = evtimer_new(base, server_accept_timer_cb, srv);
	srv->stop_timer = evtimer_new(base, server_stop_timer_cb, srv);
	return srv->accept_timer && srv->stop_timer ? 0 : -ENOMEM;
}

void
server_fini(struct server *srv)
{
	while (srv->conns)
		conn_free(srv->conns);
	if (srv->listener)
		evconnlistener_free(srv->listener);
	srv->listener = NULL;
	if (srv->own_path && unlink(srv->own_path) < 0 && errno != ENOENT)
		log_warning("cannot remove %s: %s", srv->own_path, strerror(errno));
	free(srv->own_path);
	srv->own_path = NULL;
	if (srv->accept_timer)
		event_free(srv->accept_timer);
	if (srv->stop_timer)
		event_free(srv->stop_timer);
	srv->accept_timer = srv->stop_timer = NULL;
	space_table_fini(&srv->spaces);
	arena_fini(&srv->req_arena);
	arena_fini(&srv->reply_arena);
	wire_buf_fini(&srv->wire);
}

/* ---- accepting ----------------------------------------------------------------------- */

static int
server_peer_groups(int fd, struct peer_cred *cred)
{
	socklen_t len = 32 * sizeof(gid_t);

	for (;;) {
		gid_t *g = realloc(cred->groups, len ? len : sizeof(gid_t));

		if (!g)
			return -ENOMEM;
		cred->groups = g;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == 0)
			break;
		if (errno != ERANGE)
			return -errno;
	}
	cred->ngroups = len / sizeof(gid_t);
	return 0;
}

/* SO_PEERCRED / SO_PEERGROUPS: who the client was when it connected. */
static int
server_peer_cred(int fd, struct peer_cred *cred)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	memset(cred, 0, sizeof(*cred));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return -errno;
	cred->pid = uc.pid;
	cred->uid = uc.uid;
	cred->gid = uc.gid;
	if (server_peer_groups(fd, cred) < 0) {
		free(cred->groups);
		cred->groups = NULL;
		cred->ngroups = 0;
	}
	return 0;
}

/* Over --max-clients: one error frame (it fits an empty socket buffer), then close. */
static void
server_refuse(struct server *srv, int fd)
{
	Vmad__V1__Response resp = VMAD__V1__RESPONSE__INIT;
	unsigned char frame[128];
	size_t len;

	resp.has_error = true;
	resp.error = -EUSERS;
	resp.message = "too many clients";
	len = vmad__v1__response__pack(&resp, frame + CONN_HEADER);
	frame[0] = frame[1] = frame[2] = 0;
	frame[3] = (unsigned char)len;
	if (send(fd, frame, CONN_HEADER + len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("refusing a client: %s", strerror(errno));
	srv->errors++;
	close(fd);
	/* A flood of refusals must not flood the log: one line a second at most. */
	srv->refused++;
	if (server_uptime_sec(srv) != srv->refused_logged_at || srv->refused == 1) {
		log_warning("refused %llu clients so far: --max-clients %zu reached",
			    (unsigned long long)srv->refused, srv->cfg.max_clients);
		srv->refused_logged_at = server_uptime_sec(srv);
	}
}

static void
server_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
		 void *arg)
{
	struct server *srv = arg;
	struct peer_cred cred;
	int r;

	(void)l;
	(void)sa;
	(void)salen;
	if (srv->nclients >= srv->cfg.max_clients) {
		server_refuse(srv, fd);
		return;
	}
	r = server_peer_cred(fd, &cred);
	if (r < 0) {
		log_warning("refused a client: SO_PEERCRED: %s", strerror(-r));
		close(fd);
		return;
	}
	if (!conn_new(srv, fd, &cred))
		log_warning("refused a client: out of memory");
}

/* Out of descriptors or memory: pause accepting for a second rather than spin on it. */
static void
server_accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct server *srv = arg;
	struct timeval one = { 1, 0 };
	int err = EVUTIL_SOCKET_ERROR();

	log_warning("accept: %s; pausing for 1 s", strerror(err));
	evconnlistener_disable(l);
	evtimer_add(srv->accept_timer, &one);
}

static int
server_adopt(struct server *srv, int fd)
{
	srv->listener = evconnlistener_new(srv->base, server_accept_cb, srv,
					   LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (!srv->listener)
		return -ENOMEM;
	evconnlistener_set_error_cb(srv->listener, server_accept_error_cb);
	return 0;
}

int
server_listen_fd(struct server *srv, int fd)
{
	int r = sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0);

	if (r < 0)
		return r;
	if (r == 0) {
		log_err("the socket passed in (fd %d) is not a listening Unix stream socket", fd);
		return -ENOTSOCK;
	}
	/* libevent's accept loop blocks on a blocking socket, and systemd passes blocking ones. */
	if (evutil_make_socket_nonblocking(fd) < 0 || evutil_make_socket_closeonexec(fd) < 0)
		return -errno;
	return server_adopt(srv, fd);
}

/*
 * A node at path is removed only if it is a socket nobody answers on; a live daemon's
 * socket, or any other file, is left alone and vmad does not start.
 */
static int
server_clear_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_err("%s exists and is not a socket", sa->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ? errno : 0;
	close(fd);
	if (r == ECONNREFUSED) {
		log_info("removing stale socket %s", sa->sun_path);
		return unlink(sa->sun_path) < 0 && errno != ENOENT ? -errno : 0;
	}
	if (r == 0 || r == EAGAIN) {
		log_err("another daemon is serving %s", sa->sun_path);
		return -EADDRINUSE;
	}
	log_err("cannot probe %s: %s", sa->sun_path, strerror(r));
	return -r;
}

/* The default /run/vmad may not exist yet: create the last directory level only. */
static void
server_make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) == 0)
		log_info("created directory %s", dir);
}

static int
server_bind(struct server *srv, int fd, const struct sockaddr_un *sa)
{
	mode_t old;
	int r;

	/* Nobody may connect before the node has its final mode. */
	old = umask(0177);
	r = bind(fd, (const struct sockaddr *)sa, sizeof(*sa));
	umask(old);
	if (r < 0)
		return -errno;
	srv->own_path = strdup(sa->sun_path);
	if (!srv->own_path)
		return -ENOMEM;
	if (chmod(sa->sun_path, srv->cfg.socket_mode) < 0 || listen(fd, SOMAXCONN) < 0)
		return -errno;
	return 0;
}

int
server_listen_path(struct server *srv, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("socket path is longer than %zu bytes: %s", sizeof(sa.sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	server_make_parent(path);
	r = server_clear_stale(&sa);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = server_bind(srv, fd, &sa);
	if (r == 0)
		r = server_adopt(srv, fd);
	if (r < 0) {
		log_err("cannot listen on %s: %s", path, strerror(-r));
		if (!srv->listener)
			close(fd);
	}
	return r;
}

int
server_listen(struct server *srv, const char *path)
{
	int n = sd_listen_fds(1);

	if (n < 0) {
		log_err("LISTEN_FDS: %s", strerror(-n));
		return n;
	}
	if (n > 1) {
		log_err("systemd passed %d sockets; vmad serves exactly one", n);
		return -E2BIG;
	}
	if (n == 1) {
		log_info("serving the socket passed by systemd");
		return server_listen_fd(srv, SD_LISTEN_FDS_START);
	}
	return server_listen_path(srv, path);
}

/* ---- shutdown and figures ------------------------------------------------------------ */

void
server_stop(struct server *srv)
{
	struct timeval tv = { .tv_sec = srv->cfg.shutdown_ms / 1000,
			      .tv_usec = (srv->cfg.shutdown_ms % 1000) * 1000 };
	struct conn *c, *next;

	if (srv->stopping)
		return;
	srv->stopping = true;
	if (srv->listener)
		evconnlistener_disable(srv->listener);
	for (c = srv->conns; c; c = next) {
		next = conn_next(c);
		conn_drain_and_close(c);
	}
	if (srv->nclients == 0)
		server_loop_exit(srv);
	else if (evtimer_add(srv->stop_timer, &tv) < 0)
		server_loop_exit(srv); /* no deadline can be armed: stop without waiting */
}

void
server_conn_gone(struct server *srv)
{
	srv->nclients--;
	if (srv->stopping && srv->nclients == 0)
		server_loop_exit(srv);
}

uint64_t
server_uptime_sec(const struct server *srv)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - srv->started.tv_sec);
}

uint64_t
server_vma_count(const struct server *srv)
{
	struct mm_status st;
	uint64_t n = 0;

	for (const struct space *sp = space_next(&srv->spaces, NULL); sp;
	     sp = space_next(&srv->spaces, sp)) {
		mm_get_status(sp->mm, &st);
		n += st.map_count;
	}
	return n;
}
