/* SPDX-License-Identifier: MIT */
/* The daemon's per-uid quotas and memory budget, and what each owner holds against them. */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

static void
usage_uid_from_wire(const Vmad__V1__UsageUid *w, struct vmac_usage_uid *u)
{
	u->uid = w->uid;
	u->spaces = w->spaces;
	u->vmas = w->vmas;
}

static int
usage_apply(struct vmac_conn *c, Response **rp, void *const out[2], int err)
{
	const Vmad__V1__UsageResult *w;
	struct vmac_usage *u = out[0];
	struct vmac_usage_uid *a;

	if (err)
		return err;
	if ((*rp)->result_case != VMAD__V1__RESPONSE__RESULT_USAGE)
		return conn_protocol_error(c);
	w = (*rp)->usage;
	a = calloc(w->n_uids ? w->n_uids : 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < w->n_uids; i++)
		usage_uid_from_wire(w->uids[i], &a[i]);
	/* conn_set_last() frees the array with the reply. */
	c->usage_uids = a;
	u->max_spaces_per_uid = w->max_spaces_per_uid;
	u->max_vmas_per_uid = w->max_vmas_per_uid;
	u->memory_used = w->memory_used;
	u->memory_max = w->memory_max;
	u->uids = a;
	u->n_uids = w->n_uids;
	return 0;
}

VMAC_EXPORT int
vmac_usage(struct vmac_conn *c, struct vmac_usage *out)
{
	Vmad__V1__UsageRequest m = VMAD__V1__USAGE_REQUEST__INIT;
	Request req = VMAD__V1__REQUEST__INIT;

	if (out == NULL)
		return -EINVAL;
	req.op_case = VMAD__V1__REQUEST__OP_USAGE;
	req.usage = &m;
	return conn_submit(c, &req, usage_apply, out, NULL);
}
