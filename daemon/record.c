/* SPDX-License-Identifier: MIT */
/*
 * Layout: u8 kind, u8 has_seq, u16 zero, s32 result, u32 uid, u32 gid, u32 group count, the
 * groups (u32 each), u64 seq, u32 request length, the request.  Little-endian.
 */
#include "record.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define RECORD_FIXED 32

/*
 * Every request op, classified: one row per case of Request's `op` oneof, so that a new op
 * is either listed here or refused by record_check() (at start-up and in the tests) instead
 * of silently missing from the journal.  `space` names the field of the op's message that
 * names the space whose watch sequence the op may advance.
 */
enum record_class {
	RECORD_UNCLASSIFIED = 0,
	RECORD_READ,            /* reads and session requests: nothing to journal */
	RECORD_CHANGES,         /* changes state: journalled */
	RECORD_CHANGES_IF_ADDR, /* brk: a query without an address, a change with one */
};

struct record_op {
	enum record_class cls;
	const char *space;
};

#define RECORD_OP(op, c, f) [VMAD__V1__REQUEST__OP_##op] = { RECORD_##c, f }

static const struct record_op record_ops[] = {
	RECORD_OP(HELLO, READ, NULL),
	RECORD_OP(PING, READ, NULL),
	RECORD_OP(CREATE, CHANGES, NULL),
	RECORD_OP(DESTROY, CHANGES, NULL),
	RECORD_OP(LIST, READ, NULL),
	RECORD_OP(FORK, CHANGES, "src"),
	RECORD_OP(MMAP, CHANGES, "name"),
	RECORD_OP(MUNMAP, CHANGES, "name"),
	RECORD_OP(MPROTECT, CHANGES, "name"),
	RECORD_OP(MREMAP, CHANGES, "name"),
	RECORD_OP(BRK, CHANGES_IF_ADDR, "name"),
	RECORD_OP(FIND, READ, NULL),
	RECORD_OP(POPULATE, CHANGES, "name"),
	RECORD_OP(FAULT, CHANGES, "name"),
	RECORD_OP(MADVISE, CHANGES, "name"),
	RECORD_OP(MLOCK, CHANGES, "name"),
	RECORD_OP(MUNLOCK, CHANGES, "name"),
	RECORD_OP(MAPS, READ, NULL),
	RECORD_OP(STATUS, READ, NULL),
	RECORD_OP(IMPORT, CHANGES, NULL),
	RECORD_OP(WATCH, READ, NULL),
	RECORD_OP(STATS, READ, NULL),
	RECORD_OP(SAVE, READ, NULL),
	RECORD_OP(RESTORE, CHANGES, NULL),
	RECORD_OP(FILE_OPEN, CHANGES, "name"),
	RECORD_OP(FILE_SET_SIZE, CHANGES, "name"),
	RECORD_OP(FILE_UNLINK, CHANGES, "name"),
	RECORD_OP(FILE_CLOSE, CHANGES, "name"),
	RECORD_OP(SET_BRK, CHANGES, "name"),
	RECORD_OP(MSEAL, CHANGES, "name"),
	RECORD_OP(PKEY_ALLOC, CHANGES, "name"),
	RECORD_OP(PKEY_FREE, CHANGES, "name"),
	RECORD_OP(PKEY_MPROTECT, CHANGES, "name"),
	RECORD_OP(MLOCK_ALL, CHANGES, "name"),
	RECORD_OP(MUNLOCK_ALL, CHANGES, "name"),
	RECORD_OP(SMAPS, READ, NULL),
	RECORD_OP(SET_VMA_ANON_NAME, CHANGES, "name"),
	/* A view is a session's handle on a space: it lives and dies with the connection. */
	RECORD_OP(VIEW_OPEN, READ, NULL),
	RECORD_OP(EXEC, CHANGES, "name"),
	RECORD_OP(USAGE, READ, NULL),
};

#define RECORD_NOPS (sizeof(record_ops) / sizeof(record_ops[0]))

static const struct record_op *
record_op_of(unsigned op)
{
	return op < RECORD_NOPS && record_ops[op].cls != RECORD_UNCLASSIFIED ? &record_ops[op]
									     : NULL;
}

/* The op's own message inside the request (protobuf-c stores a oneof member as a pointer). */
static const ProtobufCMessage *
record_op_msg(const Vmad__V1__Request *q, const ProtobufCFieldDescriptor **f)
{
	*f = protobuf_c_message_descriptor_get_field(&vmad__v1__request__descriptor, q->op_case);
	if (!*f || (*f)->type != PROTOBUF_C_TYPE_MESSAGE)
		return NULL;
	return *(const ProtobufCMessage *const *)((const char *)q + (*f)->offset);
}

static const char *
record_space_of(const ProtobufCMessage *m, const char *field)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field_by_name(m->descriptor, field);

	return f ? *(const char *const *)((const char *)m + f->offset) : NULL;
}

bool
record_mutates(const Vmad__V1__Request *q, const char **space)
{
	const struct record_op *op = record_op_of(q->op_case);
	const ProtobufCFieldDescriptor *f;
	const ProtobufCMessage *m;

	*space = NULL;
	if (!op || op->cls == RECORD_READ)
		return false;
	m = record_op_msg(q, &f);
	if (!m)
		return false;
	if (op->space)
		*space = record_space_of(m, op->space);
	return op->cls != RECORD_CHANGES_IF_ADDR || q->brk->has_addr;
}

static bool
record_op_ok(const ProtobufCFieldDescriptor *f)
{
	const struct record_op *op = record_op_of(f->id);
	const ProtobufCFieldDescriptor *sf;

	if (!op || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return false;
	if (!op->space)
		return true;
	sf = protobuf_c_message_descriptor_get_field_by_name(f->descriptor, op->space);
	return sf && sf->type == PROTOBUF_C_TYPE_STRING && sf->label != PROTOBUF_C_LABEL_REPEATED;
}

/* A row whose op the protocol no longer has would hide a renumbered one. */
static int
record_check_count(size_t nop, const char **bad)
{
	size_t rows = 0;

	for (size_t i = 0; i < RECORD_NOPS; i++)
		rows += record_ops[i].cls != RECORD_UNCLASSIFIED;
	if (rows == nop)
		return 0;
	*bad = "(a row for an op the protocol does not have)";
	return -EINVAL;
}

int
record_check(const char **bad)
{
	const ProtobufCMessageDescriptor *d = &vmad__v1__request__descriptor;
	size_t nop = 0;

	*bad = NULL;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
		    f->quantifier_offset != offsetof(Vmad__V1__Request, op_case))
			continue;
		if (!record_op_ok(f)) {
			*bad = f->name;
			return -ENOENT;
		}
		nop++;
	}
	return record_check_count(nop, bad);
}

size_t
record_size(size_t ngroups, size_t req_len)
{
	return RECORD_FIXED + 4 * ngroups + req_len;
}

int
record_encode(struct mm_sbuf *b, const struct record *rec)
{
	uint8_t head[4] = { RECORD_KIND_REQUEST, rec->has_seq ? 1 : 0, 0, 0 };
	int r = mm_sbuf_put(b, head, sizeof(head));

	r = r ? r : mm_sbuf_u32(b, (uint32_t)rec->result);
	r = r ? r : mm_sbuf_u32(b, (uint32_t)rec->cred.uid);
	r = r ? r : mm_sbuf_u32(b, (uint32_t)rec->cred.gid);
	r = r ? r : mm_sbuf_u32(b, (uint32_t)rec->cred.ngroups);
	for (size_t i = 0; i < rec->cred.ngroups && !r; i++)
		r = mm_sbuf_u32(b, (uint32_t)rec->cred.groups[i]);
	r = r ? r : mm_sbuf_u64(b, rec->seq);
	r = r ? r : mm_sbuf_u32(b, (uint32_t)rec->req_len);
	return r ? r : mm_sbuf_put(b, rec->req, rec->req_len);
}

static uint64_t
le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int
record_decode(const uint8_t *p, size_t len, struct record *rec)
{
	uint64_t ng, rl;

	memset(rec, 0, sizeof(*rec));
	if (len < RECORD_FIXED || p[0] != RECORD_KIND_REQUEST || p[1] > 1 || p[2] || p[3])
		return -EBADMSG;
	ng = le(p + 16, 4);
	if (ng > (len - RECORD_FIXED) / 4)
		return -EBADMSG;
	rl = le(p + 20 + 4 * ng + 8, 4);
	if (rl != len - RECORD_FIXED - 4 * ng)
		return -EBADMSG;
	rec->has_seq = p[1];
	rec->result = (int32_t)(uint32_t)le(p + 4, 4);
	rec->cred.uid = (uid_t)le(p + 8, 4);
	rec->cred.gid = (gid_t)le(p + 12, 4);
	rec->cred.groups = calloc(ng + 1, sizeof(gid_t));
	if (!rec->cred.groups)
		return -ENOMEM;
	rec->cred.ngroups = ng;
	for (size_t i = 0; i < ng; i++)
		rec->cred.groups[i] = (gid_t)le(p + 20 + 4 * i, 4);
	rec->seq = le(p + 20 + 4 * ng, 8);
	rec->req = p + RECORD_FIXED + 4 * ng;
	rec->req_len = rl;
	return 0;
}
