/* SPDX-License-Identifier: MIT */
/* The calls that change a space: mmap, munmap, mprotect, mremap, brk, madvise, mlock, ... */
#include <errno.h>

#include "internal.h"

int
syscall_addr_apply(struct vmac_conn *c, Response **rp, void *const out[2], int err)
{
	const Response *r = *rp;
	if (err)
		return err;
	if (r->result_case != VMAD__V1__RESPONSE__RESULT_ADDR || !r->addr->has_addr)
		return conn_protocol_error(c);
	if (out[0])
		*(uint64_t *)out[0] = r->addr->addr;
	return 0;
}

/* brk reports the break even when it refuses to move it. */
static int
brk_apply(struct vmac_conn *c, Response **rp, void *const out[2], int err)
{
	const Response *r = *rp;
	bool have = r->result_case == VMAD__V1__RESPONSE__RESULT_BRK && r->brk->has_brk;
	if (have && out[0])
		*(uint64_t *)out[0] = r->brk->brk;
	if (err)
		return err;
	return have ? 0 : conn_protocol_error(c);
}

static int
fault_apply(struct vmac_conn *c, Response **rp, void *const out[2], int err)
{
	const Response *r = *rp;
	if (err)
		return err;
	if (r->result_case != VMAD__V1__RESPONSE__RESULT_FAULT || !r->fault->has_result)
		return conn_protocol_error(c);
	switch (r->fault->result) {
	case VMAD__V1__FAULT_RESULT__FAULT_OK:
	case VMAD__V1__FAULT_RESULT__FAULT_SEGV_MAPERR:
	case VMAD__V1__FAULT_RESULT__FAULT_SEGV_ACCERR:
	case VMAD__V1__FAULT_RESULT__FAULT_SIGBUS:
		/* The wire enum and the public one have the same values. */
		*(enum vmac_fault_result *)out[0] = (enum vmac_fault_result)r->fault->result;
		return 0;
	default:
		return conn_protocol_error(c);
	}
}

static void
file_to_wire(const struct vmac_file *f, Vmad__V1__File *w)
{
	w->path = (char *)f->path;
	w->has_instance = 1;
	w->instance = f->instance;
	w->has_mode = f->mode != 0;
	w->mode = f->mode;
	w->has_dev_major = w->has_dev_minor = 1;
	w->dev_major = f->dev_major;
	w->dev_minor = f->dev_minor;
	w->has_ino = 1;
	w->ino = f->ino;
	w->has_size = f->size_known;
	w->size = f->size;
	w->has_noexec = w->has_deleted = 1;
	w->noexec = f->noexec;
	w->deleted = f->deleted;
}

/*
 * The calls that send a name, a range and at most one more field, one row each: the
 * message's descriptor says where its fields lie, so one function fills any of them.
 */
struct range_call {
	Vmad__V1__Request__OpCase op;
	const ProtobufCMessageDescriptor *msg;
	const char *arg; /* the one more field's name, or NULL */
};

static const struct range_call range_munmap = { VMAD__V1__REQUEST__OP_MUNMAP,
						&vmad__v1__munmap__descriptor, NULL };
static const struct range_call range_mprotect = { VMAD__V1__REQUEST__OP_MPROTECT,
						  &vmad__v1__mprotect__descriptor, "prot" };
static const struct range_call range_madvise = { VMAD__V1__REQUEST__OP_MADVISE,
						 &vmad__v1__madvise__descriptor, "advice" };
static const struct range_call range_mlock = { VMAD__V1__REQUEST__OP_MLOCK,
					       &vmad__v1__mlock__descriptor, "flags" };
static const struct range_call range_munlock = { VMAD__V1__REQUEST__OP_MUNLOCK,
						 &vmad__v1__munlock__descriptor, NULL };
static const struct range_call range_mseal = { VMAD__V1__REQUEST__OP_MSEAL,
					       &vmad__v1__mseal__descriptor, "flags" };
static const struct range_call range_populate = { VMAD__V1__REQUEST__OP_POPULATE,
						  &vmad__v1__populate__descriptor, "write" };

union range_msg {
	ProtobufCMessage base;
	Vmad__V1__Munmap munmap;
	Vmad__V1__Mprotect mprotect;
	Vmad__V1__Madvise madvise;
	Vmad__V1__Mlock mlock;
	Vmad__V1__Munlock munlock;
	Vmad__V1__Mseal mseal;
	Vmad__V1__Populate populate;
};

/* Sets an optional scalar field by name; -EINVAL if the message has no such scalar. */
static int
range_set(ProtobufCMessage *m, const char *name, uint64_t v)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
	char *p = f ? (char *)m + f->offset : NULL;

	if (!f || f->label != PROTOBUF_C_LABEL_OPTIONAL)
		return -EINVAL;
	switch (f->type) {
	case PROTOBUF_C_TYPE_UINT64:
		*(uint64_t *)p = v;
		break;
	case PROTOBUF_C_TYPE_UINT32:
		*(uint32_t *)p = (uint32_t)v;
		break;
	case PROTOBUF_C_TYPE_INT32:
		*(int32_t *)p = (int32_t)v;
		break;
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)p = v != 0;
		break;
	default:
		return -EINVAL;
	}
	*(protobuf_c_boolean *)((char *)m + f->quantifier_offset) = 1;
	return 0;
}

static int
range_submit(struct vmac_conn *c, const struct range_call *rc, const char *name, uint64_t addr,
	     uint64_t len, uint64_t arg)
{
	const ProtobufCFieldDescriptor *slot =
		protobuf_c_message_descriptor_get_field(&vmad__v1__request__descriptor, rc->op);
	const ProtobufCFieldDescriptor *fname =
		protobuf_c_message_descriptor_get_field_by_name(rc->msg, "name");
	Request req = VMAD__V1__REQUEST__INIT;
	union range_msg m;
	int r;

	if (name == NULL)
		return -EINVAL;
	if (!slot || !fname || rc->msg->sizeof_message > sizeof(m))
		return -EINVAL;
	protobuf_c_message_init(rc->msg, &m);
	*(const char **)((char *)&m + fname->offset) = name;
	if ((r = range_set(&m.base, "addr", addr)) < 0 ||
	    (r = range_set(&m.base, "len", len)) < 0 ||
	    (rc->arg && (r = range_set(&m.base, rc->arg, arg)) < 0))
		return r;
	req.op_case = rc->op;
	*(void **)((char *)&req + slot->offset) = &m;
	return conn_submit(c, &req, NULL, NULL, NULL);
}

/* An mmap request; fw NULL for anonymous memory.  Both forms of the file end here. */
int
syscall_mmap_submit(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len,
		    uint32_t prot, uint32_t flags, Vmad__V1__File *fw, uint64_t offset,
		    uint64_t *out_addr)
{
	Vmad__V1__Mmap m = VMAD__V1__MMAP__INIT;
	m.name = (char *)name;
	m.has_addr = m.has_len = m.has_prot = m.has_flags = m.has_offset = 1;
	m.addr = addr;
	m.len = len;
	m.prot = prot;
	m.flags = flags;
	m.offset = offset;
	m.file = fw;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_MMAP;
	req.mmap = &m;
	return conn_submit(c, &req, syscall_addr_apply, out_addr, NULL);
}

VMAC_EXPORT int
vmac_mmap(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len, uint32_t prot,
	  uint32_t flags, const struct vmac_file *file, uint64_t offset, uint64_t *out_addr)
{
	Vmad__V1__File fw = VMAD__V1__FILE__INIT;

	if (name == NULL || (file && file->path == NULL))
		return -EINVAL;
	if (file)
		file_to_wire(file, &fw);
	return syscall_mmap_submit(c, name, addr, len, prot, flags, file ? &fw : NULL, offset,
				   out_addr);
}

VMAC_EXPORT int
vmac_munmap(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len)
{
	return range_submit(c, &range_munmap, name, addr, len, 0);
}

VMAC_EXPORT int
vmac_mprotect(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len, uint32_t prot)
{
	return range_submit(c, &range_mprotect, name, addr, len, prot);
}

VMAC_EXPORT int
vmac_mremap(struct vmac_conn *c, const char *name, uint64_t old_addr, uint64_t old_len,
	    uint64_t new_len, uint32_t flags, uint64_t new_addr, uint64_t *out_addr)
{
	if (name == NULL)
		return -EINVAL;
	Vmad__V1__Mremap m = VMAD__V1__MREMAP__INIT;
	m.name = (char *)name;
	m.has_old_addr = m.has_old_len = m.has_new_len = m.has_flags = m.has_new_addr = 1;
	m.old_addr = old_addr;
	m.old_len = old_len;
	m.new_len = new_len;
	m.flags = flags;
	m.new_addr = new_addr;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_MREMAP;
	req.mremap = &m;
	return conn_submit(c, &req, syscall_addr_apply, out_addr, NULL);
}

VMAC_EXPORT int
vmac_brk(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t *out_brk)
{
	if (name == NULL)
		return -EINVAL;
	Vmad__V1__Brk m = VMAD__V1__BRK__INIT;
	m.name = (char *)name;
	m.has_addr = addr != 0;
	m.addr = addr;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_BRK;
	req.brk = &m;
	return conn_submit(c, &req, brk_apply, out_brk, NULL);
}

VMAC_EXPORT int
vmac_madvise(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len, int advice)
{
	return range_submit(c, &range_madvise, name, addr, len, (uint64_t)(int64_t)advice);
}

VMAC_EXPORT int
vmac_mlock2(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len, unsigned flags)
{
	return range_submit(c, &range_mlock, name, addr, len, flags);
}

VMAC_EXPORT int
vmac_mlock(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len)
{
	return vmac_mlock2(c, name, addr, len, 0);
}

VMAC_EXPORT int
vmac_munlock(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len)
{
	return range_submit(c, &range_munlock, name, addr, len, 0);
}

VMAC_EXPORT int
vmac_mseal(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len, unsigned flags)
{
	return range_submit(c, &range_mseal, name, addr, len, flags);
}

VMAC_EXPORT int
vmac_populate(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len, bool write)
{
	return range_submit(c, &range_populate, name, addr, len, write);
}

VMAC_EXPORT int
vmac_fault(struct vmac_conn *c, const char *name, uint64_t addr, enum vmac_access access,
	   enum vmac_fault_result *result)
{
	if (name == NULL || result == NULL || (unsigned)access > VMAC_ACCESS_EXEC)
		return -EINVAL;
	Vmad__V1__Fault m = VMAD__V1__FAULT__INIT;
	m.name = (char *)name;
	m.has_addr = m.has_access = 1;
	m.addr = addr;
	m.access = (Vmad__V1__Access)access;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_FAULT;
	req.fault = &m;
	return conn_submit(c, &req, fault_apply, result, NULL);
}

VMAC_EXPORT int
vmac_mlockall(struct vmac_conn *c, const char *name, unsigned flags)
{
	Vmad__V1__MlockAll m = VMAD__V1__MLOCK_ALL__INIT;
	Request req = VMAD__V1__REQUEST__INIT;

	if (name == NULL)
		return -EINVAL;
	m.name = (char *)name;
	m.has_flags = 1;
	m.flags = flags;
	req.op_case = VMAD__V1__REQUEST__OP_MLOCK_ALL;
	req.mlock_all = &m;
	return conn_submit(c, &req, NULL, NULL, NULL);
}

VMAC_EXPORT int
vmac_munlockall(struct vmac_conn *c, const char *name)
{
	Vmad__V1__MunlockAll m = VMAD__V1__MUNLOCK_ALL__INIT;
	Request req = VMAD__V1__REQUEST__INIT;

	if (name == NULL)
		return -EINVAL;
	m.name = (char *)name;
	req.op_case = VMAD__V1__REQUEST__OP_MUNLOCK_ALL;
	req.munlock_all = &m;
	return conn_submit(c, &req, NULL, NULL, NULL);
}
