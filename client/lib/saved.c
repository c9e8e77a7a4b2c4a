/* SPDX-License-Identifier: MIT */
/* Saved spaces: one space's exact, versioned form, to a buffer and back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int
save_apply(struct vmac_conn *c, Response **rp, void *const out[2], int err)
{
	const Response *r = *rp;
	void *copy;

	if (err)
		return err;
	if (r->result_case != VMAD__V1__RESPONSE__RESULT_SAVE || !r->save->has_data)
		return conn_protocol_error(c);
	copy = malloc(r->save->data.len ? r->save->data.len : 1);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, r->save->data.data, r->save->data.len);
	*(void **)out[0] = copy;
	*(size_t *)out[1] = r->save->data.len;
	return 0;
}

VMAC_EXPORT int
vmac_save(struct vmac_conn *c, const char *name, void **data, size_t *len)
{
	if (name == NULL || data == NULL || len == NULL)
		return -EINVAL;
	Vmad__V1__Save m = VMAD__V1__SAVE__INIT;
	m.name = (char *)name;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_SAVE;
	req.save = &m;
	return conn_submit(c, &req, save_apply, data, len);
}

VMAC_EXPORT int
vmac_restore(struct vmac_conn *c, const char *name, const void *data, size_t len, uint32_t mode)
{
	if (name == NULL || (data == NULL && len) || (mode & ~0777u))
		return -EINVAL;
	Vmad__V1__Restore m = VMAD__V1__RESTORE__INIT;
	m.name = (char *)name;
	m.has_data = 1;
	m.data.data = (uint8_t *)data;
	m.data.len = len;
	m.has_mode = mode != 0;
	m.mode = mode;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_RESTORE;
	req.restore = &m;
	return conn_submit(c, &req, NULL, NULL, NULL);
}
