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

/* The calls that send a name, a range and at most one more field: one row each. */
struct range_call {
	Vmad__V1__Request__OpCase op;
	const char *arg; /* the one more field's name, or NULL */
};

static const struct range_call range_munmap = { VMAD__V1__REQUEST__OP_MUNMAP, NULL };
static const struct range_call range_mprotect = { VMAD__V1__REQUEST__OP_MPROTECT, "prot" };
static const struct range_call range_madvise = { VMAD__V1__REQUEST__OP_MADVISE, "advice" };
static const struct range_call range_mlock = { VMAD__V1__REQUEST__OP_MLOCK, "flags" };
static const struct range_call range_munlock = { VMAD__V1__REQUEST__OP_MUNLOCK, NULL };
static const struct range_call range_mseal = { VMAD__V1__REQUEST__OP_MSEAL, "flags" };
static const struct range_call range_populate = { VMAD__V1__REQUEST__OP_POPULATE, "write" };

static int
range_submit(struct vmac_conn *c, const struct range_call *rc, const char *name, uint64_t addr,
	     uint64_t len, uint64_t arg)
{
	const struct field_val fv[] = { { "addr", addr }, { "len", len }, { rc->arg, arg } };

	return fields_submit(c, rc->op, name, fv, rc->arg ? 3 : 2, NULL, NULL);
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
	const struct field_val fv[] = { { "old_addr", old_addr },
					{ "old_len", old_len },
					{ "new_len", new_len },
					{ "flags", flags },
					{ "new_addr", new_addr } };

	return fields_submit(c, VMAD__V1__REQUEST__OP_MREMAP, name, fv, 5, syscall_addr_apply,
			     out_addr);
}

/* Without an address, brk is a query: the request carries none. */
VMAC_EXPORT int
vmac_brk(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t *out_brk)
{
	const struct field_val fv[] = { { "addr", addr } };

	return fields_submit(c, VMAD__V1__REQUEST__OP_BRK, name, fv, addr != 0, brk_apply, out_brk);
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
	const struct field_val fv[] = { { "addr", addr }, { "access", access } };

	if (result == NULL || (unsigned)access > VMAC_ACCESS_EXEC)
		return -EINVAL;
	return fields_submit(c, VMAD__V1__REQUEST__OP_FAULT, name, fv, 2, fault_apply, result);
}

VMAC_EXPORT int
vmac_mlockall(struct vmac_conn *c, const char *name, unsigned flags)
{
	const struct field_val fv[] = { { "flags", flags } };

	return fields_submit(c, VMAD__V1__REQUEST__OP_MLOCK_ALL, name, fv, 1, NULL, NULL);
}

VMAC_EXPORT int
vmac_munlockall(struct vmac_conn *c, const char *name)
{
	return fields_submit(c, VMAD__V1__REQUEST__OP_MUNLOCK_ALL, name, NULL, 0, NULL, NULL);
}
