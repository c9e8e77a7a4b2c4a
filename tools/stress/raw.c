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

/* The messages of one request, on the caller's stack. */
struct raw_msgs {
	Vmad__V1__Mmap mmap;
	Vmad__V1__File file;
	Vmad__V1__Munmap munmap;
	Vmad__V1__Mprotect mprotect;
	Vmad__V1__Mremap mremap;
	Vmad__V1__Brk brk;
	Vmad__V1__Madvise madvise;
	Vmad__V1__Mlock mlock;
	Vmad__V1__Munlock munlock;
	Vmad__V1__Populate populate;
	Vmad__V1__Fault fault;
	Vmad__V1__Find find;
	Vmad__V1__Maps maps;
	Vmad__V1__Status status;
};

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

static void
raw_mmap(char *name, const struct st_op *op, struct raw_msgs *m, Request *q)
{
	vmad__v1__mmap__init(&m->mmap);
	m->mmap = (Vmad__V1__Mmap){ .base = m->mmap.base,
				    .name = name,
				    .has_addr = true,
				    .addr = op->addr,
				    .has_len = true,
				    .len = op->len,
				    .has_prot = true,
				    .prot = op->prot,
				    .has_flags = true,
				    .flags = op->flags,
				    .has_offset = true,
				    .offset = op->offset };
	if (op->file >= 0) {
		raw_file(&st_files[op->file], &m->file);
		m->mmap.file = &m->file;
	}
	q->op_case = VMAD__V1__REQUEST__OP_MMAP;
	q->mmap = &m->mmap;
}

static void
raw_range(char *name, const struct st_op *op, struct raw_msgs *m, Request *q)
{
	switch (op->kind) {
	case ST_MUNMAP:
		vmad__v1__munmap__init(&m->munmap);
		m->munmap = (Vmad__V1__Munmap){ .base = m->munmap.base,
						.name = name,
						.has_addr = true,
						.addr = op->addr,
						.has_len = true,
						.len = op->len };
		q->op_case = VMAD__V1__REQUEST__OP_MUNMAP;
		q->munmap = &m->munmap;
		return;
	case ST_MPROTECT:
		vmad__v1__mprotect__init(&m->mprotect);
		m->mprotect = (Vmad__V1__Mprotect){ .base = m->mprotect.base,
						    .name = name,
						    .has_addr = true,
						    .addr = op->addr,
						    .has_len = true,
						    .len = op->len,
						    .has_prot = true,
						    .prot = op->prot };
		q->op_case = VMAD__V1__REQUEST__OP_MPROTECT;
		q->mprotect = &m->mprotect;
		return;
	case ST_MADVISE:
		vmad__v1__madvise__init(&m->madvise);
		m->madvise = (Vmad__V1__Madvise){ .base = m->madvise.base,
						  .name = name,
						  .has_addr = true,
						  .addr = op->addr,
						  .has_len = true,
						  .len = op->len,
						  .has_advice = true,
						  .advice = op->arg };
		q->op_case = VMAD__V1__REQUEST__OP_MADVISE;
		q->madvise = &m->madvise;
		return;
	case ST_MLOCK:
		vmad__v1__mlock__init(&m->mlock);
		m->mlock = (Vmad__V1__Mlock){ .base = m->mlock.base,
					      .name = name,
					      .has_addr = true,
					      .addr = op->addr,
					      .has_len = true,
					      .len = op->len,
					      .has_flags = true,
					      .flags = (uint32_t)op->arg };
		q->op_case = VMAD__V1__REQUEST__OP_MLOCK;
		q->mlock = &m->mlock;
		return;
	case ST_MUNLOCK:
		vmad__v1__munlock__init(&m->munlock);
		m->munlock = (Vmad__V1__Munlock){ .base = m->munlock.base,
						  .name = name,
						  .has_addr = true,
						  .addr = op->addr,
						  .has_len = true,
						  .len = op->len };
		q->op_case = VMAD__V1__REQUEST__OP_MUNLOCK;
		q->munlock = &m->munlock;
		return;
	default:
		vmad__v1__populate__init(&m->populate);
		m->populate = (Vmad__V1__Populate){ .base = m->populate.base,
						    .name = name,
						    .has_addr = true,
						    .addr = op->addr,
						    .has_len = true,
						    .len = op->len,
						    .has_write = true,
						    .write = op->arg != 0 };
		q->op_case = VMAD__V1__REQUEST__OP_POPULATE;
		q->populate = &m->populate;
		return;
	}
}

static void
raw_query(char *name, const struct st_op *op, struct raw_msgs *m, Request *q)
{
	switch (op->kind) {
	case ST_FIND:
		vmad__v1__find__init(&m->find);
		m->find.name = name;
		m->find.has_mode = m->find.has_addr = m->find.has_end = true;
		m->find.mode = (Vmad__V1__FindMode)op->arg;
		m->find.addr = op->addr;
		m->find.end = op->addr + op->len;
		q->op_case = VMAD__V1__REQUEST__OP_FIND;
		q->find = &m->find;
		return;
	case ST_MAPS:
		vmad__v1__maps__init(&m->maps);
		m->maps.name = name;
		m->maps.has_limit = true;
		m->maps.limit = RAW_MAPS_LIMIT;
		q->op_case = VMAD__V1__REQUEST__OP_MAPS;
		q->maps = &m->maps;
		return;
	default:
		vmad__v1__status__init(&m->status);
		m->status.name = name;
		q->op_case = VMAD__V1__REQUEST__OP_STATUS;
		q->status = &m->status;
		return;
	}
}

static void
raw_request(char *name, const struct st_op *op, struct raw_msgs *m, Request *q)
{
	switch (op->kind) {
	case ST_MMAP:
		raw_mmap(name, op, m, q);
		return;
	case ST_MREMAP:
		vmad__v1__mremap__init(&m->mremap);
		m->mremap = (Vmad__V1__Mremap){ .base = m->mremap.base,
						.name = name,
						.has_old_addr = true,
						.old_addr = op->addr,
						.has_old_len = true,
						.old_len = op->len,
						.has_new_len = true,
						.new_len = op->new_len,
						.has_flags = true,
						.flags = op->flags,
						.has_new_addr = true,
						.new_addr = op->new_addr };
		q->op_case = VMAD__V1__REQUEST__OP_MREMAP;
		q->mremap = &m->mremap;
		return;
	case ST_BRK:
		vmad__v1__brk__init(&m->brk);
		m->brk.name = name;
		m->brk.has_addr = op->addr != 0;
		m->brk.addr = op->addr;
		q->op_case = VMAD__V1__REQUEST__OP_BRK;
		q->brk = &m->brk;
		return;
	case ST_FAULT:
		vmad__v1__fault__init(&m->fault);
		m->fault.name = name;
		m->fault.has_addr = m->fault.has_access = true;
		m->fault.addr = op->addr;
		m->fault.access = (Vmad__V1__Access)op->arg;
		q->op_case = VMAD__V1__REQUEST__OP_FAULT;
		q->fault = &m->fault;
		return;
	case ST_FIND:
	case ST_MAPS:
	case ST_STATUS:
		raw_query(name, op, m, q);
		return;
	default:
		raw_range(name, op, m, q);
	}
}

/* Appends the framed request to buf; returns its length (0 when it does not fit). */
static size_t
raw_frame(struct raw *w, const char *space, const struct st_op *op, uint8_t *buf, size_t room)
{
	Request q = VMAD__V1__REQUEST__INIT;
	struct raw_msgs m;
	size_t n;

	raw_request((char *)space, op, &m, &q);
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
