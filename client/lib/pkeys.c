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
	const struct field_val fv[] = { { "flags", flags }, { "init_val", init_val } };

	return fields_submit(c, VMAD__V1__REQUEST__OP_PKEY_ALLOC, name, fv, 2, pkey_apply,
			     out_pkey);
}

VMAC_EXPORT int
vmac_pkey_free(struct vmac_conn *c, const char *name, int pkey)
{
	const struct field_val fv[] = { { "pkey", (uint64_t)(int64_t)pkey } };

	return fields_submit(c, VMAD__V1__REQUEST__OP_PKEY_FREE, name, fv, 1, NULL, NULL);
}

VMAC_EXPORT int
vmac_pkey_mprotect(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len,
		   uint32_t prot, int pkey)
{
	const struct field_val fv[] = { { "addr", addr },
					{ "len", len },
					{ "prot", prot },
					{ "pkey", (uint64_t)(int64_t)pkey } };

	return fields_submit(c, VMAD__V1__REQUEST__OP_PKEY_MPROTECT, name, fv, 4, NULL, NULL);
}
