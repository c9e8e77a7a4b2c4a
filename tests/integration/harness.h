/* SPDX-License-Identifier: MIT */
/*
 * Shared pieces of the daemon's integration tests: start a real vmad on a socket in a fresh
 * temporary directory (and always stop and reap it), and speak raw frames to it.
 */
#ifndef VMAD_TEST_HARNESS_H
#define VMAD_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmad.pb-c.h"

struct vmad_proc {
	pid_t pid;
	char dir[64];   /* mktemp -d */
	char sock[128]; /* dir/vmad.sock */
	char log[128];  /* dir/vmad.log: the daemon's stderr */
};

/* The vmad under test: $VMAD_BIN, else the binary of the same build. */
const char *harness_vmad_bin(void);

/*
 * Starts vmad -s DIR/vmad.sock with extra arguments (NULL-terminated, may be NULL) and
 * environment assignments (NULL-terminated "NAME=value", may be NULL); returns once it
 * accepts connections.  0 or -1.
 */
int vmad_start(struct vmad_proc *p, const char *const *args, const char *const *env);
/* The same with RLIMIT_NOFILE (soft and hard) set to nofile. */
int vmad_start_nofile(struct vmad_proc *p, const char *const *args, const char *const *env,
		      unsigned nofile);
/* CPU time (user + system) the daemon has used, in clock ticks. */
long vmad_cpu_ticks(const struct vmad_proc *p);
/* The daemon's resident memory (VmRSS) in bytes; 0 if it cannot be read. */
uint64_t vmad_rss_bytes(const struct vmad_proc *p);
/* SIGTERM, then reap (SIGKILL after a few seconds).  Returns the exit status, or -1 if it
 * had to be killed or died of a signal.  Removes the directory. */
int vmad_stop(struct vmad_proc *p);
/* Reap without signalling (for a daemon expected to exit by itself); -1 on timeout. */
int vmad_wait(struct vmad_proc *p, int timeout_ms);
/* Whether the daemon's log contains text. */
bool vmad_log_has(const struct vmad_proc *p, const char *text);

int raw_connect(const char *path);
/* All of buf, or -1. */
int raw_write(int fd, const void *buf, size_t len);
int raw_send(int fd, const Vmad__V1__Request *req);
/*
 * The next frame as a Response (free with raw_free), or NULL on EOF, error, a bad frame or
 * timeout.  *eof (may be NULL) tells an orderly close from the rest.
 */
Vmad__V1__Response *raw_recv(int fd, int timeout_ms, bool *eof);
Vmad__V1__Response *raw_call(int fd, const Vmad__V1__Request *req);
/* The next frame as sent, header and all, into buf: its length, or -1 (EOF, error, timeout,
 * a frame longer than cap). */
ssize_t raw_recv_frame(int fd, int timeout_ms, uint8_t *buf, size_t cap);
void raw_free(Vmad__V1__Response *resp);
/* 1 when the peer has closed (EOF or reset) within timeout_ms, after discarding any data. */
int raw_wait_closed(int fd, int timeout_ms);

/* A Ping request with that id; a well-behaved client's round trip on a new connection. */
void raw_ping_req(Vmad__V1__Request *req, Vmad__V1__Ping *ping, uint64_t id);
bool raw_ping_ok(const char *path);

int64_t harness_now_ms(void);
/*
 * Bounds the test's running time: after `seconds`, every vmad this process started is
 * killed and the test exits with status 1.
 */
void harness_bound(unsigned seconds);
/*
 * A test group's daemon, started with env (may be NULL), and where conn is not NULL a client
 * connected to it: 0 or -1.  harness_group_stop closes the client (may be NULL) and stops the
 * daemon: 0 if it exited cleanly, else -1.
 */
struct vmac_conn;
int harness_group_start(struct vmad_proc *p, const char *const *env, struct vmac_conn **conn);
int harness_group_stop(struct vmad_proc *p, struct vmac_conn *conn);
/* A cmocka per-test setup that bounds each test to two minutes (harness_bound). */
int harness_bound_setup(void **state);

/* Raise RLIMIT_NOFILE to its hard limit (for tests holding many connections). */
void harness_more_fds(void);

#endif
