/* SPDX-License-Identifier: MIT */
/*
 * Requests whose message is a space's name and scalar fields.  The message's descriptor says
 * where each field lies, so one function builds any of them from (field, value) pairs and
 * each public call is a row of pairs rather than a copy of the same dozen lines.
 */
#include <errno.h>

#include "internal.h"

/* Room for the largest message built here; fields_submit() refuses a larger one. */
union fields_msg {
	ProtobufCMessage base;
	uint64_t words[32];
};

/* Sets an optional scalar field by name; -EINVAL if the message has no such scalar. */
static int
fields_set(ProtobufCMessage *m, const char *name, uint64_t v)
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
	case PROTOBUF_C_TYPE_ENUM:
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

int
fields_submit(struct vmac_conn *c, Vmad__V1__Request__OpCase op, const char *name,
	      const struct field_val *fv, size_t n, conn_apply_fn apply, void *out)
{
	const ProtobufCFieldDescriptor *slot =
		protobuf_c_message_descriptor_get_field(&vmad__v1__request__descriptor, op);
	const ProtobufCMessageDescriptor *md = slot ? slot->descriptor : NULL;
	const ProtobufCFieldDescriptor *fname =
		md ? protobuf_c_message_descriptor_get_field_by_name(md, "name") : NULL;
	Request req = VMAD__V1__REQUEST__INIT;
	union fields_msg m;
	int r;

	if (name == NULL || !fname || md->sizeof_message > sizeof(m))
		return -EINVAL;
	protobuf_c_message_init(md, &m);
	*(const char **)((char *)&m + fname->offset) = name;
	for (size_t i = 0; i < n; i++)
		if ((r = fields_set(&m.base, fv[i].name, fv[i].v)) < 0)
			return r;
	req.op_case = op;
	*(void **)((char *)&req + slot->offset) = &m;
	return conn_submit(c, &req, apply, out, NULL);
}
