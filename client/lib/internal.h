/* SPDX-License-Identifier: MIT */
/*
 * libvmaclient internals: the connection, its byte buffers, and the queue of requests whose
 * replies are awaited.  Nothing here is exported (-fvisibility=hidden and the version script).
 */
#ifndef VMAC_INTERNAL_H
#define VMAC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "vmad.pb-c.h"
#include "vmaclient.h"

typedef Vmad__V1__Request Request;
typedef Vmad__V1__Response Response;

/* Replies bigger than this are refused (-EMSGSIZE): no legitimate reply comes near it. */
#define CONN_MAX_FRAME (64u << 20)

struct cbuf {
	uint8_t *data;
	size_t off; /* first byte not yet consumed */
	size_t len; /* end of the valid bytes */
	size_t cap;
};

/*
 * Turns a reply into the call's result and writes the call's out-parameters.  err is the
 * reply's error (0 or a negative errno).  An apply may take ownership of *rp (setting it to
 * NULL); otherwise the reply becomes the connection's last one, which keeps the strings
 * handed out alive until the next call.
 */
typedef int (*conn_apply_fn)(struct vmac_conn *c, Response **rp, void *const out[2], int err);

struct conn_pending {
	uint64_t id;
	conn_apply_fn apply;
	void *out[2];
	Response *reply;  /* local mode: the reply, produced when the request was submitted */
	bool reply_owned; /* ... on the heap (else in the connection's arena) */
	bool borrow;      /* apply only reads the reply: it may be decoded into `replies` */
};

struct local_conn;

struct vmac_conn {
	int fd;
	char *path;
	int broken;   /* 0, or the negative errno that broke the stream */
	bool eof;     /* the daemon closed its side; buffered replies may remain */
	int send_err; /* sending failed (the daemon closed): nothing more can be sent */
	int timeout_ms;
	uint64_t next_id;
	struct cbuf out; /* framed requests not yet sent */
	struct cbuf in;  /* received bytes not yet unpacked */
	struct conn_pending *q;
	size_t qhead, qlen, qcap; /* awaited replies are q[qhead..qlen) */
	bool queueing;            /* inside vmac_pipeline_begin()/end() */
	bool watching;
	uint64_t watch_id;
	Response *last;            /* the last reply delivered */
	Response *early_event;     /* an event that arrived with the watch's acknowledgement */
	struct vmac_space *spaces; /* vmac_list()'s array, freed with `last` */
	struct vmac_usage_uid *usage_uids; /* vmac_usage()'s array, freed with `last` */
	bool last_borrowed;                /* `last` lives in the local connection's arena */
	bool want_fds;                     /* take descriptors passed with the replies (a view's) */
	bool has_passed_fd;
	int passed_fd;            /* the descriptor that came with the last reply */
	struct local_conn *local; /* vmac_open_local(): the in-process engine; else NULL */
	/*
	 * A reply that is only read (a find's) is decoded into this arena, without an allocation
	 * of its own: it holds one reply, `last`, and is reset for the next.
	 */
	struct arena replies;
	bool borrow_reply;   /* the reply awaited may be decoded into `replies` */
	bool reply_borrowed; /* the reply io_take_frame() gave last was */
	char *lines;         /* the maps lines of the last find, made here (lookup.c) */
	size_t lines_cap;
};

/* Byte buffers (buf.c). */
int cbuf_reserve(struct cbuf *b, size_t more);
void cbuf_consume(struct cbuf *b, size_t n);
void cbuf_free(struct cbuf *b);
static inline size_t
cbuf_avail(const struct cbuf *b)
{
	return b->len - b->off;
}

/* Socket I/O (io.c).  All return 0 or a negative errno and break the connection on failure. */
int io_open(const char *path, int *fd);
int io_flush(struct vmac_conn *c);
int io_read_frame(struct vmac_conn *c, Response **out, int timeout_ms, bool intr);
int io_take_frame(struct vmac_conn *c, Response **out);
int io_fail(struct vmac_conn *c, int err);

/* Request queue and delivery (call.c). */
int conn_submit(struct vmac_conn *c, Request *req, conn_apply_fn apply, void *out0, void *out1);
/* conn_submit() for an apply that only reads the reply (never takes it): no copy of it is made. */
int conn_submit_read(struct vmac_conn *c, Request *req, conn_apply_fn apply, void *out0,
		     void *out1);
/* syscalls.c: the apply of a reply carrying an address (mmap, mremap). */
/* One scalar field of a request message, by its name in vmad.proto. */
struct field_val {
	const char *name;
	uint64_t v;
};
/*
 * Submits op with a message of name and the n fields fv (lib/fields.c): -EINVAL for a field
 * the message lacks or a name that is NULL.
 */
int fields_submit(struct vmac_conn *c, Vmad__V1__Request__OpCase op, const char *name,
		  const struct field_val *fv, size_t n, conn_apply_fn apply, void *out);
int syscall_addr_apply(struct vmac_conn *c, Response **rp, void *const out[2], int err);
int syscall_mmap_submit(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len,
			uint32_t prot, uint32_t flags, Vmad__V1__File *fw, uint64_t offset,
			uint64_t *out_addr);
int conn_encode(struct vmac_conn *c, Request *req, uint64_t *id);
int conn_usable(const struct vmac_conn *c);
void conn_set_last(struct vmac_conn *c, Response *r);
int conn_protocol_error(struct vmac_conn *c);
int conn_stray_reply(struct vmac_conn *c, Response *r);
int conn_reply_errno(struct vmac_conn *c, const Response *r);
/* Applies a reply to the call that awaited it and keeps it as the last (owned: to be freed). */
int conn_apply_reply(struct vmac_conn *c, Response *r, bool owned, conn_apply_fn apply,
		     void *const out[2]);
void conn_reset(struct vmac_conn *c);

/*
 * The in-process engine (local.c).  fd of a local connection is an eventfd that is readable
 * while watch events wait.  local_submit() runs the request at once and leaves its reply in
 * p; local_read_frame() is io_read_frame() for events.
 */
int local_open(struct vmac_conn *c);
void local_close(struct vmac_conn *c);
void local_reset(struct vmac_conn *c);
int local_submit(struct vmac_conn *c, Request *req, struct conn_pending *p);
/*
 * A request with none queued, whose reply leaves no connection state behind (no descriptor,
 * not kept by an iterator, never closing): run at once, its reply returned without a queue.
 */
int local_call(struct vmac_conn *c, const Request *req, Response **out);
int local_read_frame(struct vmac_conn *c, Response **out, int timeout_ms, bool watch);

/* Keeps a descriptor a reply carried (the first one; others are closed). */
void conn_take_fd(struct vmac_conn *c, int fd);

/*
 * Local mode, nothing queued: find_vma and its variants answered from the engine under the
 * lock, without a request; the lines live in the connection's arena until its next call.
 * A mask of VMAC_FOUND_*, or -EAGAIN for what is an error (send the request: its reply says
 * why).
 */
int local_find(struct vmac_conn *c, const Vmad__V1__Find *m, struct vmac_vma *vma,
	       struct vmac_vma *prev);

/* Conversions to the public structs (wire.c). */
void wire_vma(const Vmad__V1__Vma *w, struct vmac_vma *out);
/* The room wire_vma_line() needs for w's line: 0 when w carries it. */
size_t wire_line_size(const Vmad__V1__Vma *w);
/* *buf (*cap bytes) grown to hold need: the buffer, or NULL when memory is short. */
char *wire_line_room(char **buf, size_t *cap, size_t need);
/*
 * wire_vma(), and when w leaves out its line (its request asked without_line) the line made of
 * its fields into buf, wire_line_size() bytes.  -EPROTO: fields no line can be made of.
 */
int wire_vma_line(const Vmad__V1__Vma *w, struct vmac_vma *out, char *buf);
struct mm_maps_entry;
struct mm_vma_info;
void wire_vma_entry(const struct mm_maps_entry *e, const struct mm_vma_info *info, const char *line,
		    struct vmac_vma *out);

#endif
