/* SPDX-License-Identifier: MIT */
/* Lookups: find_vma and its variants, and the status figures. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "internal.h"

/*
 * The daemon leaves out the lines (find_submit() asks it to): they are made here, in the
 * connection's buffer, which the next find reuses.
 */
static int
find_apply(struct vmac_conn *c, Response **rp, void *const out[2], int err)
{
	const Response *r = *rp;
	if (err)
		return err;
	if (r->result_case != VMAD__V1__RESPONSE__RESULT_FIND)
		return conn_protocol_error(c);
	const Vmad__V1__Vma *w[2] = { r->find->vma, out[1] ? r->find->prev : NULL };
	size_t size[2] = { w[0] ? wire_line_size(w[0]) : 0, w[1] ? wire_line_size(w[1]) : 0 };
	char *buf = wire_line_room(&c->lines, &c->lines_cap, size[0] + size[1]);
	if (size[0] + size[1] && !buf)
		return -ENOMEM;
	int found = 0;
	for (int i = 0; i < 2; i++) {
		if (!w[i])
			continue;
		if (wire_vma_line(w[i], out[i], buf) < 0)
			return conn_protocol_error(c);
		buf += size[i];
		found |= i ? VMAC_FOUND_PREV : VMAC_FOUND_VMA;
	}
	return found;
}

/* Local mode, nothing queued: run at once, the reply applied as any reply is. */
static int
find_local(struct vmac_conn *c, const Request *req, struct vmac_vma *vma, struct vmac_vma *prev)
{
	void *const out[2] = { vma, prev };
	Response *r;
	int rc = conn_usable(c);

	if (rc == 0)
		rc = local_find(c, req->find, vma, prev);
	if (rc != -EAGAIN)
		return rc;
	rc = local_call(c, req, &r);
	return rc < 0 ? rc : conn_apply_reply(c, r, false, find_apply, out);
}

static int
find_submit(struct vmac_conn *c, const char *name, Vmad__V1__FindMode mode, uint64_t addr,
	    uint64_t end, struct vmac_vma *vma, struct vmac_vma *prev)
{
	if (name == NULL || vma == NULL)
		return -EINVAL;
	Vmad__V1__Find m = VMAD__V1__FIND__INIT;
	m.name = (char *)name;
	m.has_mode = m.has_addr = 1;
	m.mode = mode;
	m.addr = addr;
	m.has_end = mode == VMAD__V1__FIND_MODE__FIND_INTERSECTION;
	m.end = end;
	m.has_without_line = m.without_line = true;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_FIND;
	req.find = &m;
	if (c && c->local && !c->queueing && c->qhead == c->qlen)
		return find_local(c, &req, vma, prev);
	return conn_submit_read(c, &req, find_apply, vma, prev);
}

VMAC_EXPORT int
vmac_find_vma(struct vmac_conn *c, const char *name, uint64_t addr, struct vmac_vma *vma)
{
	return find_submit(c, name, VMAD__V1__FIND_MODE__FIND_VMA, addr, 0, vma, NULL);
}

VMAC_EXPORT int
vmac_find_vma_prev(struct vmac_conn *c, const char *name, uint64_t addr, struct vmac_vma *vma,
		   struct vmac_vma *prev)
{
	if (prev == NULL)
		return -EINVAL;
	return find_submit(c, name, VMAD__V1__FIND_MODE__FIND_VMA_PREV, addr, 0, vma, prev);
}

VMAC_EXPORT int
vmac_find_vma_intersection(struct vmac_conn *c, const char *name, uint64_t start, uint64_t end,
			   struct vmac_vma *vma)
{
	return find_submit(c, name, VMAD__V1__FIND_MODE__FIND_INTERSECTION, start, end, vma, NULL);
}

/*
 * struct vmac_status as libvmaclient 0.1 released it (before vm_lib): what a program linked
 * against vmac_status@vmac_0.1 allocates.  Frozen: never edit.
 */
struct vmac_status_0_1 {
	uint64_t vm_peak, vm_size, vm_lck, vm_hwm, vm_rss;
	uint64_t rss_anon, rss_file, rss_shmem;
	uint64_t vm_data, vm_stk, vm_exe;
	uint64_t map_count;
	uint64_t brk, start_brk, mmap_base;
	const char *text;
};

/* The current struct only appends to the 0.1 one, so the 0.1 result is its prefix. */
_Static_assert(offsetof(struct vmac_status, text) == offsetof(struct vmac_status_0_1, text),
	       "struct vmac_status keeps the 0.1 layout as its prefix");
_Static_assert(offsetof(struct vmac_status, vm_lib) == sizeof(struct vmac_status_0_1),
	       "vm_lib follows the 0.1 struct");

static int
status_fill(struct vmac_conn *c, const Response *r, int err, struct vmac_status *st)
{
	if (err)
		return err;
	if (r->result_case != VMAD__V1__RESPONSE__RESULT_STATUS)
		return conn_protocol_error(c);
	const Vmad__V1__StatusResult *w = r->status;
	*st = (struct vmac_status){
		.vm_peak = w->vm_peak,
		.vm_size = w->vm_size,
		.vm_lck = w->vm_lck,
		.vm_hwm = w->vm_hwm,
		.vm_rss = w->vm_rss,
		.rss_anon = w->rss_anon,
		.rss_file = w->rss_file,
		.rss_shmem = w->rss_shmem,
		.vm_data = w->vm_data,
		.vm_stk = w->vm_stk,
		.vm_exe = w->vm_exe,
		.vm_lib = w->vm_lib,
		.map_count = w->map_count,
		.brk = w->brk,
		.start_brk = w->start_brk,
		.mmap_base = w->mmap_base,
		.text = w->text ? w->text : "",
	};
	return 0;
}

static int
status_apply(struct vmac_conn *c, Response **rp, void *const out[2], int err)
{
	return status_fill(c, *rp, err, out[0]);
}

/* Writes only the 0.1 struct's bytes: the caller's struct ends there. */
static int
status_apply_0_1(struct vmac_conn *c, Response **rp, void *const out[2], int err)
{
	struct vmac_status st;
	int r = status_fill(c, *rp, err, &st);

	if (r == 0)
		memcpy(out[0], &st, sizeof(struct vmac_status_0_1));
	return r;
}

static int
status_submit(struct vmac_conn *c, const char *name, void *out, conn_apply_fn apply)
{
	if (name == NULL || out == NULL)
		return -EINVAL;
	Vmad__V1__Status m = VMAD__V1__STATUS__INIT;
	m.name = (char *)name;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_STATUS;
	req.status = &m;
	return conn_submit(c, &req, apply, out, NULL);
}

/*
 * vmac_status@@vmac_0.2 fills the current struct; vmac_status@vmac_0.1 stays for programs
 * linked against 0.1 and fills the struct they were built with.
 */
__asm__(".symver vmac_status_v0_2, vmac_status@@vmac_0.2");
__asm__(".symver vmac_status_v0_1, vmac_status@vmac_0.1");

VMAC_EXPORT int vmac_status_v0_2(struct vmac_conn *c, const char *name, struct vmac_status *out);
VMAC_EXPORT int vmac_status_v0_1(struct vmac_conn *c, const char *name,
				 struct vmac_status_0_1 *out);

VMAC_EXPORT int
vmac_status_v0_2(struct vmac_conn *c, const char *name, struct vmac_status *out)
{
	return status_submit(c, name, out, status_apply);
}

VMAC_EXPORT int
vmac_status_v0_1(struct vmac_conn *c, const char *name, struct vmac_status_0_1 *out)
{
	return status_submit(c, name, out, status_apply_0_1);
}
