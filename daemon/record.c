/* SPDX-License-Identifier: MIT */
/*
 * Layout: u8 kind, u8 has_seq, u16 zero, s32 result, u32 uid, u32 gid, u32 group count, the
 * groups (u32 each), u64 seq, u32 request length, the request.  Little-endian.
 */
#include "record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RECORD_FIXED 32

/* Requests that change state, and the field naming the space whose events they emit. */
bool
record_mutates(const Vmad__V1__Request *q, const char **space)
{
	*space = NULL;
	switch (q->op_case) {
	case VMAD__V1__REQUEST__OP_CREATE:
	case VMAD__V1__REQUEST__OP_IMPORT:
	case VMAD__V1__REQUEST__OP_DESTROY:
		return true;
	case VMAD__V1__REQUEST__OP_FORK:
		*space = q->fork->src;
		return true;
	case VMAD__V1__REQUEST__OP_MMAP:
		*space = q->mmap->name;
		return true;
	case VMAD__V1__REQUEST__OP_MUNMAP:
		*space = q->munmap->name;
		return true;
	case VMAD__V1__REQUEST__OP_MPROTECT:
		*space = q->mprotect->name;
		return true;
	case VMAD__V1__REQUEST__OP_MREMAP:
		*space = q->mremap->name;
		return true;
	case VMAD__V1__REQUEST__OP_BRK:
		*space = q->brk->name;
		return q->brk->has_addr;
	case VMAD__V1__REQUEST__OP_POPULATE:
		*space = q->populate->name;
		return true;
	case VMAD__V1__REQUEST__OP_FAULT:
		*space = q->fault->name;
		return true;
	case VMAD__V1__REQUEST__OP_MADVISE:
		*space = q->madvise->name;
		return true;
	case VMAD__V1__REQUEST__OP_MLOCK:
		*space = q->mlock->name;
		return true;
	case VMAD__V1__REQUEST__OP_MUNLOCK:
		*space = q->munlock->name;
		return true;
	case VMAD__V1__REQUEST__OP_RESTORE:
		return true;
	case VMAD__V1__REQUEST__OP_EXEC:
		*space = q->exec->name;
		return true;
	case VMAD__V1__REQUEST__OP_FILE_OPEN:
		*space = q->file_open->name;
		return true;
	case VMAD__V1__REQUEST__OP_FILE_SET_SIZE:
		*space = q->file_set_size->name;
		return true;
	case VMAD__V1__REQUEST__OP_FILE_UNLINK:
		*space = q->file_unlink->name;
		return true;
	case VMAD__V1__REQUEST__OP_FILE_CLOSE:
		*space = q->file_close->name;
		return true;
	case VMAD__V1__REQUEST__OP_SET_BRK:
		*space = q->set_brk->name;
		return true;
	case VMAD__V1__REQUEST__OP_MSEAL:
		*space = q->mseal->name;
		return true;
	default:
		return false;
	}
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
