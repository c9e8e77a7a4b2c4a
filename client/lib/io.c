/* SPDX-License-Identifier: MIT */
/*
 * Socket I/O: length-prefixed frames (a 4-byte big-endian length, then a protobuf message)
 * over a Unix stream socket.  Every wait goes through poll() and every transfer uses
 * MSG_DONTWAIT, so the socket may be blocking or not, and sending never blocks while the
 * daemon waits for us to read its replies.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"
#include "wire_find.h"
#include "wire_in.h"

#define IO_READ_CHUNK 65536

int
io_open(const char *path, int *fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(path);

	if (n == 0)
		return -EINVAL;
	if (n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, n + 1);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;
		close(s);
		return err;
	}
	*fd = s;
	return 0;
}

int
io_fail(struct vmac_conn *c, int err)
{
	if (c->broken == 0)
		c->broken = err;
	return c->broken;
}

/* recv() that also takes the descriptors a reply carries (a view's segment). */
static ssize_t
io_recv_fds(struct vmac_conn *c, void *buf, size_t len)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return n;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			conn_take_fd(c, fd);
		}
	}
	return n;
}

/* Read what is available without waiting.  A reset counts as the end of the stream: replies
 * received before it are still delivered. */
static int
io_read_some(struct vmac_conn *c)
{
	int rc = cbuf_reserve(&c->in, IO_READ_CHUNK);
	if (rc < 0)
		return io_fail(c, rc);
	void *buf = c->in.data + c->in.len;
	size_t room = c->in.cap - c->in.len;
	ssize_t n = c->want_fds ? io_recv_fds(c, buf, room) : recv(c->fd, buf, room, MSG_DONTWAIT);
	if (n > 0) {
		c->in.len += (size_t)n;
		return 0;
	}
	if (n == 0 || errno == ECONNRESET) {
		c->eof = true;
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	return io_fail(c, -errno);
}

static int
io_send_some(struct vmac_conn *c)
{
	ssize_t n = send(c->fd, c->out.data + c->out.off, cbuf_avail(&c->out),
			 MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n >= 0) {
		cbuf_consume(&c->out, (size_t)n);
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	if (errno != EPIPE && errno != ECONNRESET)
		return io_fail(c, -errno);
	/*
	 * The daemon has closed.  What it sent before closing (replies to earlier requests, or
	 * the error that made it close, such as EMSGSIZE) is still to be read, so the stream
	 * breaks only once that is consumed; nothing more can be sent.
	 */
	c->send_err = -errno;
	cbuf_consume(&c->out, cbuf_avail(&c->out));
	return 0;
}

/* poll() once.  Returns revents, -EAGAIN on timeout, -EINTR, or another negative errno. */
static int
io_wait(struct vmac_conn *c, short events, int timeout_ms)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	int n = poll(&p, 1, timeout_ms);
	if (n > 0)
		return p.revents;
	if (n == 0)
		return -EAGAIN;
	return -errno;
}

/* Send everything queued, reading replies meanwhile so that neither side can stall. */
int
io_flush(struct vmac_conn *c)
{
	while (cbuf_avail(&c->out) > 0) {
		if (c->broken)
			return c->broken;
		short events = c->eof ? POLLOUT : POLLOUT | POLLIN;
		int rev = io_wait(c, events, c->timeout_ms);
		if (rev == -EINTR)
			continue;
		if (rev == -EAGAIN)
			return io_fail(c, -ETIMEDOUT);
		if (rev < 0)
			return io_fail(c, rev);
		if ((rev & (POLLIN | POLLHUP)) && !c->eof && io_read_some(c) < 0)
			return c->broken;
		if ((rev & (POLLOUT | POLLERR | POLLHUP)) && io_send_some(c) < 0)
			return c->broken;
	}
	return 0;
}

static uint32_t
io_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* What a borrowed reply may take in decoding; a larger one goes to the heap. */
#define IO_REPLY_BUDGET (1u << 20)

static void *
io_alloc(void *data, size_t size)
{
	(void)data;
	return malloc(size);
}

static void
io_free(void *data, void *p)
{
	(void)data;
	free(p);
}

/* malloc and free, as protobuf-c's own allocator: replies are freed with free_unpacked(r, NULL). */
static ProtobufCAllocator io_heap = { io_alloc, io_free, NULL };

/*
 * A reply in one pass (the daemon's decoder, wire_in.c); protobuf-c decides what that does
 * not take (repeated fields, bytes, unknown fields) and what is broken.
 */
static Response *
io_unpack(const uint8_t *data, size_t len)
{
	ProtobufCMessage *m = wire_in_message(&io_heap, &vmad__v1__response__descriptor, data, len);

	return m ? (Response *)m : vmad__v1__response__unpack(NULL, len, data);
}

/*
 * A reply that is only read, decoded into the connection's arena (a find's straight, by
 * wire_find_reply()).  The arena holds the last reply: that one is dropped first
 * (conn_collect() would drop it next anyway).  NULL: the
 * reply is not of the plain shape, or larger than the budget; it is then decoded on the heap.
 */
static Response *
io_unpack_borrowed(struct vmac_conn *c, const uint8_t *data, size_t len)
{
	Response *r;

	conn_set_last(c, NULL);
	if (!c->replies.budget)
		arena_init(&c->replies, IO_REPLY_BUDGET);
	arena_reset(&c->replies);
	r = wire_find_reply(&c->replies, data, len);
	if (r)
		return r;
	arena_reset(&c->replies);
	return (Response *)wire_in_message(arena_allocator(&c->replies),
					   &vmad__v1__response__descriptor, data, len);
}

/* Unpack one frame if a whole one is buffered: 1 done, 0 need more, <0 broken. */
int
io_take_frame(struct vmac_conn *c, Response **out)
{
	if (cbuf_avail(&c->in) < 4)
		return 0;
	uint32_t len = io_be32(c->in.data + c->in.off);
	if (len > CONN_MAX_FRAME)
		return io_fail(c, -EMSGSIZE);
	if (cbuf_avail(&c->in) - 4 < len)
		return 0;
	const uint8_t *data = c->in.data + c->in.off + 4;
	*out = c->borrow_reply ? io_unpack_borrowed(c, data, len) : NULL;
	c->reply_borrowed = *out != NULL;
	if (*out == NULL)
		*out = io_unpack(data, len);
	if (*out == NULL)
		return io_fail(c, -EBADMSG);
	cbuf_consume(&c->in, 4 + (size_t)len);
	return 1;
}

/*
 * Wait for the next whole reply.  For a call (watch false) a timeout breaks the connection
 * and EINTR restarts the wait; for a watch, they give -EAGAIN and -EINTR and nothing breaks.
 */
int
io_read_frame(struct vmac_conn *c, Response **out, int timeout_ms, bool watch)
{
	if (c->local)
		return local_read_frame(c, out, timeout_ms, watch);
	for (;;) {
		if (c->broken)
			return c->broken;
		int rc = io_take_frame(c, out);
		if (rc != 0)
			return rc < 0 ? rc : 0;
		if (c->eof)
			return io_fail(c, c->send_err ? c->send_err : -ECONNRESET);
		int rev = io_wait(c, POLLIN, timeout_ms);
		if (rev == -EINTR && !watch)
			continue;
		if (rev == -EAGAIN && !watch)
			return io_fail(c, -ETIMEDOUT);
		if (rev < 0)
			return rev == -EAGAIN || rev == -EINTR ? rev : io_fail(c, rev);
		if (io_read_some(c) < 0)
			return c->broken;
	}
}
