/* SPDX-License-Identifier: MIT */
/* Protection keys of a space (PkeyAlloc, PkeyFree, PkeyMprotect). */
#include <errno.h>

#include "internal.h"

static int
pkey_apply(struct vmac_conn *c, Response **rp, void *const out[2], int err)
{
	const Response *r = *rp;

	if (err)
		return err;
	if (r->result_case != VMAD__V1__RESPONSE__RESULT_PKEY || !r->pkey->has_pkey ||
	    r->pkey->pkey < 0)
		return conn_protocol_error(c);
	if (out[0])
		*(int *)out[0] = r->pkey->pkey;
	return 0;
}

VMAC_EXPORT int
vmac_pkey_alloc(struct vmac_conn *c, const char *name, unsigned flags, unsigned init_val,
		int *out_pkey)
{
	if (name == NULL)
		return -EINVAL;
	Vmad__V1__PkeyAlloc m = VMAD__V1__PKEY_ALLOC__INIT;
	m.name = (char *)name;
	m.has_flags = m.has_init_val = 1;
	m.flags = flags;
	m.init_val = init_val;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_PKEY_ALLOC;
	req.pkey_alloc = &m;
	return conn_submit(c, &req, pkey_apply, out_pkey, NULL);
}

VMAC_EXPORT int
vmac_pkey_free(struct vmac_conn *c, const char *name, int pkey)
{
	if (name == NULL)
		return -EINVAL;
	Vmad__V1__PkeyFree m = VMAD__V1__PKEY_FREE__INIT;
	m.name = (char *)name;
	m.has_pkey = 1;
	m.pkey = pkey;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_PKEY_FREE;
	req.pkey_free = &m;
	return conn_submit(c, &req, NULL, NULL, NULL);
}

VMAC_EXPORT int
vmac_pkey_mprotect(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len,
		   uint32_t prot, int pkey)
{
	if (name == NULL)
		return -EINVAL;
	Vmad__V1__PkeyMprotect m = VMAD__V1__PKEY_MPROTECT__INIT;
	m.name = (char *)name;
	m.has_addr = m.has_len = m.has_prot = m.has_pkey = 1;
	m.addr = addr;
	m.len = len;
	m.prot = prot;
	m.pkey = pkey;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_PKEY_MPROTECT;
	req.pkey_mprotect = &m;
	return conn_submit(c, &req, NULL, NULL, NULL);
}
