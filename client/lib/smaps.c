/* SPDX-License-Identifier: MIT */
/* A space's /proc/PID/smaps and smaps_rollup text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Hands the caller its own copy: the reply's storage is the connection's. */
static int
smaps_apply(struct vmac_conn *c, Response **rp, void *const out[2], int err)
{
	const Response *r = *rp;
	if (err)
		return err;
	if (r->result_case != VMAD__V1__RESPONSE__RESULT_SMAPS || r->smaps->text == NULL)
		return conn_protocol_error(c);
	size_t n = strlen(r->smaps->text);
	char *text = malloc(n + 1);
	if (text == NULL)
		return -ENOMEM;
	memcpy(text, r->smaps->text, n + 1);
	*(char **)out[0] = text;
	if (out[1])
		*(size_t *)out[1] = n;
	return 0;
}

VMAC_EXPORT int
vmac_smaps(struct vmac_conn *c, const char *name, bool rollup, char **text, size_t *len)
{
	if (name == NULL || text == NULL)
		return -EINVAL;
	*text = NULL;
	Vmad__V1__Smaps m = VMAD__V1__SMAPS__INIT;
	m.name = (char *)name;
	m.has_rollup = rollup;
	m.rollup = rollup;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_SMAPS;
	req.smaps = &m;
	return conn_submit(c, &req, smaps_apply, text, len);
}
