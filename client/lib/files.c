/* SPDX-License-Identifier: MIT */
/* Open files of a space (FileOpen, FileSetSize, FileUnlink, FileClose), mmap of them, SetBrk. */
#include <errno.h>
#include <string.h>

#include "internal.h"

_Static_assert((int)VMAC_FILE_DISK == (int)VMAD__V1__FILE_KIND__FILE_DISK &&
		       (int)VMAC_FILE_TMPFS == (int)VMAD__V1__FILE_KIND__FILE_TMPFS &&
		       (int)VMAC_FILE_DEV_ZERO == (int)VMAD__V1__FILE_KIND__FILE_DEV_ZERO,
	       "public file kinds are the wire's");

VMAC_EXPORT void
vmac_file_info_init(struct vmac_file_info *f)
{
	if (f)
		memset(f, 0, sizeof(*f));
}

static void
info_to_wire(const struct vmac_file_info *f, Vmad__V1__File *w)
{
	if (f->id) {
		w->has_id = 1;
		w->id = f->id;
		return;
	}
	w->path = (char *)f->path;
	w->has_instance = w->has_dev_major = w->has_dev_minor = w->has_ino = 1;
	w->instance = f->instance;
	w->has_mode = f->mode != 0;
	w->mode = f->mode;
	w->dev_major = f->dev_major;
	w->dev_minor = f->dev_minor;
	w->ino = f->ino;
	w->has_size = f->size_known;
	w->size = f->size;
	w->has_noexec = w->has_deleted = w->has_kind = 1;
	w->noexec = f->noexec;
	w->deleted = f->deleted;
	w->kind = (Vmad__V1__FileKind)f->kind;
}

static int
id_apply(struct vmac_conn *c, Response **rp, void *const out[2], int err)
{
	const Response *r = *rp;
	if (err)
		return err;
	if (r->result_case != VMAD__V1__RESPONSE__RESULT_FILE || !r->file->has_id || !r->file->id)
		return conn_protocol_error(c);
	if (out[0])
		*(uint64_t *)out[0] = r->file->id;
	return 0;
}

VMAC_EXPORT int
vmac_file_open(struct vmac_conn *c, const char *name, const struct vmac_file_info *f,
	       uint64_t *out_id)
{
	if (name == NULL || f == NULL || f->path == NULL || f->id)
		return -EINVAL;
	Vmad__V1__File fw = VMAD__V1__FILE__INIT;
	Vmad__V1__FileOpen m = VMAD__V1__FILE_OPEN__INIT;
	info_to_wire(f, &fw);
	m.name = (char *)name;
	m.file = &fw;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_FILE_OPEN;
	req.file_open = &m;
	return conn_submit(c, &req, id_apply, out_id, NULL);
}

VMAC_EXPORT int
vmac_file_set_size(struct vmac_conn *c, const char *name, uint64_t id, uint64_t size)
{
	const struct field_val fv[] = { { "id", id }, { "size", size } };

	return fields_submit(c, VMAD__V1__REQUEST__OP_FILE_SET_SIZE, name, fv, 2, NULL, NULL);
}

VMAC_EXPORT int
vmac_file_unlink(struct vmac_conn *c, const char *name, uint64_t id)
{
	const struct field_val fv[] = { { "id", id } };

	return fields_submit(c, VMAD__V1__REQUEST__OP_FILE_UNLINK, name, fv, 1, NULL, NULL);
}

VMAC_EXPORT int
vmac_file_close(struct vmac_conn *c, const char *name, uint64_t id)
{
	const struct field_val fv[] = { { "id", id } };

	return fields_submit(c, VMAD__V1__REQUEST__OP_FILE_CLOSE, name, fv, 1, NULL, NULL);
}

VMAC_EXPORT int
vmac_mmap_file(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len, uint32_t prot,
	       uint32_t flags, const struct vmac_file_info *f, uint64_t offset, uint64_t *out_addr)
{
	Vmad__V1__File fw = VMAD__V1__FILE__INIT;

	if (name == NULL || (f && !f->id && f->path == NULL))
		return -EINVAL;
	if (f)
		info_to_wire(f, &fw);
	return syscall_mmap_submit(c, name, addr, len, prot, flags, f ? &fw : NULL, offset,
				   out_addr);
}

VMAC_EXPORT int
vmac_set_brk(struct vmac_conn *c, const char *name, uint64_t start_brk, uint64_t brk)
{
	const struct field_val fv[] = { { "start_brk", start_brk }, { "brk", brk } };

	return fields_submit(c, VMAD__V1__REQUEST__OP_SET_BRK, name, fv, 2, NULL, NULL);
}
