/* SPDX-License-Identifier: MIT */
/*
 * The daemon through frames of our own (the protobuf-c code generated from the protocol), so
 * that every reply id can be counted: each request carries the next id, and each reply must
 * carry the id expected next.  A reply that skips ids means replies were lost; one with an id
 * already answered is a duplicate.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "stress.h"
#include "vmad.pb-c.h"

typedef Vmad__V1__Request Request;
typedef Vmad__V1__Response Response;

#define RAW_MAPS_LIMIT 4096

struct raw {
	int fd;
	char label[160]; /* who, in failure reports */
	uint64_t first_id, next_id, expect;
	uint8_t *in;
	size_t in_len, in_cap;
};

int
raw_open(const char *path, const char *label, struct raw **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct raw *w;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	snprintf(w->label, sizeof(w->label), "%s", label);
	w->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (w->fd < 0 || connect(w->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		raw_close(w);
		return err;
	}
	/* Ids that do not start at 1, so that a daemon echoing a constant is caught too. */
	w->first_id = w->next_id = w->expect = 1000 + (uint64_t)getpid() * 7;
	*out = w;
	return 0;
}

void
raw_close(struct raw *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->in);
	free(w);
}

static void
raw_file(const struct vmac_file *f, Vmad__V1__File *w)
{
	vmad__v1__file__init(w);
	w->path = (char *)f->path;
	w->has_instance = w->has_dev_major = w->has_dev_minor = w->has_ino = true;
	w->instance = f->instance;
	w->dev_major = f->dev_major;
	w->dev_minor = f->dev_minor;
	w->ino = f->ino;
	w->has_mode = f->mode != 0;
	w->mode = f->mode;
	w->has_size = f->size_known;
	w->size = f->size;
	w->has_noexec = w->has_deleted = true;
	w->noexec = f->noexec;
	w->deleted = f->deleted;
}

/* Where a request field's value comes from. */
enum raw_src {
	RAW_ADDR,
	RAW_ADDR_SET, /* the address, absent when 0 (brk's query) */
	RAW_LEN,
	RAW_END, /* addr + len */
	RAW_PROT,
	RAW_FLAGS,
	RAW_NEW_LEN,
	RAW_NEW_ADDR,
	RAW_OFFSET,
	RAW_ARG,
	RAW_ARG_BOOL,
	RAW_LIMIT,
};

struct raw_field {
	const char *name;
	enum raw_src src;
};

/* Each operation's message: its descriptor, its field in Request, and its fields. */
struct raw_row {
	const ProtobufCMessageDescriptor *desc;
	const char *op;
	struct raw_field fields[5];
};

#define RAW_RANGE                                                                                  \
	{ "addr", RAW_ADDR },                                                                      \
	{                                                                                          \
		"len", RAW_LEN                                                                     \
	}

static const struct raw_row raw_rows[ST_KIND_COUNT] = {
	[ST_MMAP] = { &vmad__v1__mmap__descriptor,
		      "mmap",
		      { RAW_RANGE,
			{ "prot", RAW_PROT },
			{ "flags", RAW_FLAGS },
			{ "offset", RAW_OFFSET } } },
	[ST_MUNMAP] = { &vmad__v1__munmap__descriptor, "munmap", { RAW_RANGE } },
	[ST_MPROTECT] = { &vmad__v1__mprotect__descriptor,
			  "mprotect",
			  { RAW_RANGE, { "prot", RAW_PROT } } },
	[ST_MREMAP] = { &vmad__v1__mremap__descriptor,
			"mremap",
			{ { "old_addr", RAW_ADDR },
			  { "old_len", RAW_LEN },
			  { "new_len", RAW_NEW_LEN },
			  { "flags", RAW_FLAGS },
			  { "new_addr", RAW_NEW_ADDR } } },
	[ST_BRK] = { &vmad__v1__brk__descriptor, "brk", { { "addr", RAW_ADDR_SET } } },
	[ST_MADVISE] = { &vmad__v1__madvise__descriptor,
			 "madvise",
			 { RAW_RANGE, { "advice", RAW_ARG } } },
	[ST_MLOCK] = { &vmad__v1__mlock__descriptor, "mlock", { RAW_RANGE, { "flags", RAW_ARG } } },
	[ST_MUNLOCK] = { &vmad__v1__munlock__descriptor, "munlock", { RAW_RANGE } },
	[ST_POPULATE] = { &vmad__v1__populate__descriptor,
			  "populate",
			  { RAW_RANGE, { "write", RAW_ARG_BOOL } } },
	[ST_FAULT] = { &vmad__v1__fault__descriptor,
		       "fault",
		       { { "addr", RAW_ADDR }, { "access", RAW_ARG } } },
	[ST_FIND] = { &vmad__v1__find__descriptor,
		      "find",
		      { { "mode", RAW_ARG }, { "addr", RAW_ADDR }, { "end", RAW_END } } },
	[ST_MAPS] = { &vmad__v1__maps__descriptor, "maps", { { "limit", RAW_LIMIT } } },
	[ST_STATUS] = { &vmad__v1__status__descriptor, "status", { { 0 } } },
};

/* Room for the largest operation message. */
#define RAW_MSG_MAX 256

static uint64_t
raw_value(const struct st_op *op, enum raw_src src)
{
	switch (src) {
	case RAW_ADDR:
	case RAW_ADDR_SET:
		return op->addr;
	case RAW_LEN:
		return op->len;
	case RAW_END:
		return op->addr + op->len;
	case RAW_PROT:
		return op->prot;
	case RAW_FLAGS:
		return op->flags;
	case RAW_NEW_LEN:
		return op->new_len;
	case RAW_NEW_ADDR:
		return op->new_addr;
	case RAW_OFFSET:
		return op->offset;
	case RAW_ARG:
		return (uint64_t)(int64_t)op->arg;
	case RAW_ARG_BOOL:
		return op->arg != 0;
	default:
		return RAW_MAPS_LIMIT;
	}
}

/* Set one scalar or string field of a message through its descriptor. */
static void
raw_set(ProtobufCMessage *m, const char *name, uint64_t v, const void *ptr)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
	char *at = (char *)m + f->offset;

	switch (f->type) {
	case PROTOBUF_C_TYPE_UINT64:
		*(uint64_t *)at = v;
		break;
	case PROTOBUF_C_TYPE_UINT32:
		*(uint32_t *)at = (uint32_t)v;
		break;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_ENUM:
		*(int32_t *)at = (int32_t)v;
		break;
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)at = v != 0;
		break;
	default: /* strings and messages */
		*(const void **)at = ptr;
		break;
	}
	if (f->quantifier_offset)
		*(uint32_t *)((char *)m + f->quantifier_offset) =
			f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF ? f->id : 1;
}

/* The request of an operation, its message in msg (RAW_MSG_MAX bytes) and file. */
static void
raw_request(const char *space, const struct st_op *op, void *msg, Vmad__V1__File *file, Request *q)
{
	const struct raw_row *row = &raw_rows[op->kind];
	ProtobufCMessage *m = msg;

	protobuf_c_message_init(row->desc, msg);
	raw_set(m, "name", 0, space);
	for (size_t i = 0; i < 5 && row->fields[i].name; i++)
		if (row->fields[i].src != RAW_ADDR_SET || op->addr)
			raw_set(m, row->fields[i].name, raw_value(op, row->fields[i].src), NULL);
	if (op->kind == ST_MMAP && op->file >= 0) {
		raw_file(&st_files[op->file], file);
		raw_set(m, "file", 0, file);
	}
	raw_set(&q->base, row->op, 0, m);
}

/* Appends the framed request to buf; returns its length (0 when it does not fit). */
static size_t
raw_frame(struct raw *w, const char *space, const struct st_op *op, uint8_t *buf, size_t room)
{
	_Alignas(max_align_t) unsigned char msg[RAW_MSG_MAX];
	Request q = VMAD__V1__REQUEST__INIT;
	Vmad__V1__File file;
	size_t n;

	/* A fork is several requests: it never comes here. */
	if (!raw_rows[op->kind].desc || raw_rows[op->kind].desc->sizeof_message > sizeof(msg))
		return 0;
	raw_request(space, op, msg, &file, &q);
	q.has_id = true;
	q.id = w->next_id;
	n = vmad__v1__request__get_packed_size(&q);
	if (n + 4 > room)
		return 0;
	buf[0] = (uint8_t)(n >> 24);
	buf[1] = (uint8_t)(n >> 16);
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	vmad__v1__request__pack(&q, buf + 4);
	w->next_id++;
	return n + 4;
}

static int
raw_send(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static char *
raw_find_text(const Vmad__V1__FindResult *f, uint64_t *mask)
{
	const char *a = f->vma && f->vma->line ? f->vma->line : NULL;
	const char *b = f->prev && f->prev->line ? f->prev->line : NULL;
	char *s = NULL;

	*mask = (a ? VMAC_FOUND_VMA : 0) | (b ? VMAC_FOUND_PREV : 0);
	if (asprintf(&s, "%s%s%s%s", a ? a : "", a ? "\n" : "", b ? b : "", b ? "\n" : "") < 0)
		return NULL;
	return s;
}

static char *
raw_maps_text(const Vmad__V1__MapsResult *m)
{
	size_t len = 1;
	char *s, *p;

	for (size_t i = 0; i < m->n_vmas; i++)
		len += strlen(m->vmas[i]->line ? m->vmas[i]->line : "") + 1;
	if (m->has_next)
		len += sizeof("(more pages follow)\n");
	s = p = malloc(len);
	if (!s)
		return NULL;
	for (size_t i = 0; i < m->n_vmas; i++)
		p = stpcpy(stpcpy(p, m->vmas[i]->line ? m->vmas[i]->line : ""), "\n");
	strcpy(p, m->has_next ? "(more pages follow)\n" : "");
	return s;
}

/* The reply in the replay's shape; a result of the wrong kind reads as an empty one. */
static void
raw_result(const struct st_op *op, const Response *r, struct st_result *res)
{
	*res = (struct st_result){ .err = r->has_error ? r->error : 0 };
	if (op->kind == ST_BRK && r->result_case == VMAD__V1__RESPONSE__RESULT_BRK)
		res->value = r->brk->brk;
	if (res->err)
		return;
	switch (r->result_case) {
	case VMAD__V1__RESPONSE__RESULT_ADDR:
		res->value = r->addr->addr;
		break;
	case VMAD__V1__RESPONSE__RESULT_FAULT:
		res->value = (uint64_t)r->fault->result;
		break;
	case VMAD__V1__RESPONSE__RESULT_FIND:
		res->text = raw_find_text(r->find, &res->value);
		break;
	case VMAD__V1__RESPONSE__RESULT_MAPS:
		res->text = raw_maps_text(r->maps);
		break;
	case VMAD__V1__RESPONSE__RESULT_STATUS:
		res->text = status_text(r->status->text, r->status->brk, r->status->start_brk,
					r->status->mmap_base);
		break;
	default:
		break;
	}
}

/* Read what is there, waiting at most timeout_ms: 1 read, 0 timed out, <0 error or EOF. */
static int
raw_fill(struct raw *w, int timeout_ms)
{
	struct pollfd p = { .fd = w->fd, .events = POLLIN };
	ssize_t n;

	if (w->in_cap - w->in_len < 65536) {
		uint8_t *b = realloc(w->in, w->in_cap * 2 + 65536);

		if (!b)
			return -ENOMEM;
		w->in = b;
		w->in_cap = w->in_cap * 2 + 65536;
	}
	n = poll(&p, 1, timeout_ms);
	if (n <= 0)
		return n == 0 || errno == EINTR ? 0 : -errno;
	n = recv(w->fd, w->in + w->in_len, w->in_cap - w->in_len, 0);
	if (n <= 0)
		return n == 0 ? -ECONNRESET : -errno;
	w->in_len += (size_t)n;
	return 1;
}

/* The next whole frame, if one is buffered. */
static Response *
raw_take(struct raw *w, int *err)
{
	uint32_t len;
	Response *r;

	*err = 0;
	if (w->in_len < 4)
		return NULL;
	len = (uint32_t)w->in[0] << 24 | (uint32_t)w->in[1] << 16 | (uint32_t)w->in[2] << 8 |
	      w->in[3];
	if (w->in_len - 4 < len)
		return NULL;
	r = vmad__v1__response__unpack(NULL, len, w->in + 4);
	memmove(w->in, w->in + 4 + len, w->in_len - 4 - len);
	w->in_len -= 4 + len;
	if (!r)
		*err = -EBADMSG;
	return r;
}

/*
 * Account one reply.  Returns the index in the batch it answers, or -1 when it answers none
 * (a duplicate, or an id never sent).
 */
static long
raw_account(struct raw *w, const Response *r, uint64_t batch_first, struct st_slot *slot,
	    struct st_result *res)
{
	uint64_t id = r->has_id ? r->id : 0;

	if (id >= w->expect && id < w->next_id) {
		if (id > w->expect)
			report_fail(slot,
				    "%s: no reply to request id %llu (the next reply carried id "
				    "%llu)",
				    w->label, (unsigned long long)w->expect,
				    (unsigned long long)id);
		for (uint64_t i = w->expect; i < id; i++) {
			slot->lost++;
			if (i >= batch_first)
				res[i - batch_first].err = ST_ERR_LOST;
		}
		w->expect = id + 1;
		return id >= batch_first ? (long)(id - batch_first) : -1;
	}
	if (id >= w->first_id && id < w->expect) {
		slot->duplicated++;
		report_fail(slot, "%s: a second reply to request id %llu", w->label,
			    (unsigned long long)id);
		return -1;
	}
	slot->mismatches++;
	report_fail(slot, "%s: a reply with id %llu, which was never sent (ids %llu..%llu sent)",
		    w->label, (unsigned long long)id, (unsigned long long)w->first_id,
		    (unsigned long long)w->next_id - 1);
	return -1;
}

/* Collect replies until the last id sent has been answered (or skipped), or a timeout. */
static int
raw_collect(struct raw *w, const struct st_op *ops, struct st_result *res, uint64_t batch_first,
	    uint64_t *hist, struct st_slot *slot, uint64_t t0)
{
	int err = 0;

	while (w->expect < w->next_id) {
		Response *r = raw_take(w, &err);
		long i;

		if (err)
			return err;
		if (!r) {
			int rc = raw_fill(w, ST_REPLY_TIMEOUT);

			if (rc <= 0)
				break;
			continue;
		}
		i = raw_account(w, r, batch_first, slot, res);
		if (i >= 0) {
			raw_result(&ops[i], r, &res[i]);
			hist_add(hist, (now_ns() - t0) / 1000);
			slot->requests++;
		}
		vmad__v1__response__free_unpacked(r, NULL);
	}
	if (w->expect < w->next_id)
		report_fail(slot, "%s: no reply to request id %llu within %d ms", w->label,
			    (unsigned long long)w->expect, ST_REPLY_TIMEOUT);
	for (; w->expect < w->next_id; w->expect++) {
		slot->lost++;
		res[w->expect - batch_first].err = ST_ERR_LOST;
	}
	return 0;
}

/*
 * Send a batch and collect its replies.  die_at >= 0: send the frames before that index and
 * half of that one, then die, as a client killed in the middle of writing a request.
 */
int
raw_run(struct raw *w, const char *space, const struct st_op *ops, size_t n, struct st_result *res,
	uint64_t *hist, struct st_slot *slot, int die_at)
{
	uint8_t buf[ST_BATCH_MAX * 512];
	uint64_t batch_first = w->next_id, t0;
	size_t len = 0, cut = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		size_t k = raw_frame(w, space, &ops[i], buf + len, sizeof(buf) - len);

		if (k == 0)
			return -EMSGSIZE;
		if ((int)i == die_at)
			cut = len + k / 2;
		len += k;
		res[i] = (struct st_result){ .err = ST_ERR_LOST };
	}
	t0 = now_ns();
	if (die_at >= 0) {
		rc = raw_send(w->fd, buf, cut);
		raise(SIGKILL);
		return rc;
	}
	rc = raw_send(w->fd, buf, len);
	if (rc < 0)
		return rc;
	return raw_collect(w, ops, res, batch_first, hist, slot, t0);
}

void
raw_drain(struct raw *w, struct st_slot *slot)
{
	struct st_result none[1];
	int err;

	while (raw_fill(w, 200) > 0) {
		Response *r;

		while ((r = raw_take(w, &err))) {
			raw_account(w, r, w->next_id, slot, none);
			vmad__v1__response__free_unpacked(r, NULL);
		}
	}
}
