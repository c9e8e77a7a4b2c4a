/* SPDX-License-Identifier: MIT */
/* Anonymous VMA names: prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME) on a space. */
#include <errno.h>

#include "internal.h"

VMAC_EXPORT int
vmac_set_vma_anon_name(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len,
		       const char *anon_name)
{
	if (name == NULL)
		return -EINVAL;
	Vmad__V1__SetVmaAnonName m = VMAD__V1__SET_VMA_ANON_NAME__INIT;
	m.name = (char *)name;
	m.has_addr = m.has_len = 1;
	m.addr = addr;
	m.len = len;
	m.anon_name = (char *)anon_name;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_SET_VMA_ANON_NAME;
	req.set_vma_anon_name = &m;
	return conn_submit(c, &req, NULL, NULL, NULL);
}
