/* SPDX-License-Identifier: MIT */
/* Address spaces as a whole: create, destroy, fork, import, list, and the daemon's stats. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define OPTS_IMPORT_BITS VMAC_OPT_MODE

VMAC_EXPORT void
vmac_create_opts_init(struct vmac_create_opts *opts)
{
	if (opts)
		memset(opts, 0, sizeof(*opts));
}

static bool
layout_valid(enum vmac_layout layout)
{
	return layout == VMAC_LAYOUT_X86_64 || layout == VMAC_LAYOUT_X86_64_LEGACY ||
	       layout == VMAC_LAYOUT_I386;
}

/* Copy one optional field: present on the wire only when its bit is set. */
#define OPT(o, m, bit, field)                                                                      \
	do {                                                                                       \
		(m)->has_##field = ((o)->set & (bit)) != 0;                                        \
		(m)->field = (o)->field;                                                           \
	} while (0)

static void
create_to_wire(const struct vmac_create_opts *o, Vmad__V1__Create *m)
{
	m->has_layout = 1;
	m->layout = (Vmad__V1__Layout)o->layout;
	m->has_with_stack = 1;
	m->with_stack = o->with_stack;
	OPT(o, m, VMAC_OPT_TASK_SIZE, task_size);
	OPT(o, m, VMAC_OPT_MMAP_BASE, mmap_base);
	OPT(o, m, VMAC_OPT_START_BRK, start_brk);
	OPT(o, m, VMAC_OPT_MAX_MAP_COUNT, max_map_count);
	OPT(o, m, VMAC_OPT_RLIMIT_AS, rlimit_as);
	OPT(o, m, VMAC_OPT_RLIMIT_DATA, rlimit_data);
	OPT(o, m, VMAC_OPT_RLIMIT_STACK, rlimit_stack);
	OPT(o, m, VMAC_OPT_RLIMIT_MEMLOCK, rlimit_memlock);
	OPT(o, m, VMAC_OPT_MODE, mode);
}

static bool
ext_zero_reserved(const struct vmac_create_ext *x)
{
	for (size_t i = 0; i < sizeof(x->reserved) / sizeof(x->reserved[0]); i++)
		if (x->reserved[i])
			return false;
	return true;
}

VMAC_EXPORT int
vmac_create_ext(struct vmac_conn *c, const char *name, const struct vmac_create_opts *opts,
		const struct vmac_create_ext *ext)
{
	struct vmac_create_opts defaults = { 0 };
	if (opts == NULL)
		opts = &defaults;
	if (name == NULL || !layout_valid(opts->layout) || (ext && !ext_zero_reserved(ext)))
		return -EINVAL;
	Vmad__V1__Create m = VMAD__V1__CREATE__INIT;
	m.name = (char *)name;
	create_to_wire(opts, &m);
	if (ext && ext->personality) {
		m.has_personality = 1;
		m.personality = ext->personality;
	}
	if (ext && ext->features) {
		m.has_features = 1;
		m.features = ext->features;
	}
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_CREATE;
	req.create = &m;
	return conn_submit(c, &req, NULL, NULL, NULL);
}

VMAC_EXPORT int
vmac_create(struct vmac_conn *c, const char *name, const struct vmac_create_opts *opts)
{
	return vmac_create_ext(c, name, opts, NULL);
}

VMAC_EXPORT int
vmac_destroy(struct vmac_conn *c, const char *name)
{
	if (name == NULL)
		return -EINVAL;
	Vmad__V1__Destroy m = VMAD__V1__DESTROY__INIT;
	m.name = (char *)name;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_DESTROY;
	req.destroy = &m;
	return conn_submit(c, &req, NULL, NULL, NULL);
}

VMAC_EXPORT int
vmac_fork(struct vmac_conn *c, const char *src, const char *dst)
{
	if (src == NULL || dst == NULL)
		return -EINVAL;
	Vmad__V1__Fork m = VMAD__V1__FORK__INIT;
	m.src = (char *)src;
	m.dst = (char *)dst;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_FORK;
	req.fork = &m;
	return conn_submit(c, &req, NULL, NULL, NULL);
}

VMAC_EXPORT int
vmac_import(struct vmac_conn *c, const char *name, const char *maps_text,
	    const struct vmac_create_opts *opts)
{
	struct vmac_create_opts defaults = { 0 };
	if (opts == NULL)
		opts = &defaults;
	if (name == NULL || maps_text == NULL || !layout_valid(opts->layout) ||
	    (opts->set & ~OPTS_IMPORT_BITS) || opts->with_stack)
		return -EINVAL;
	Vmad__V1__Import m = VMAD__V1__IMPORT__INIT;
	m.name = (char *)name;
	m.text = (char *)maps_text;
	m.has_layout = 1;
	m.layout = (Vmad__V1__Layout)opts->layout;
	OPT(opts, &m, VMAC_OPT_MODE, mode);
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_IMPORT;
	req.import = &m;
	return conn_submit(c, &req, NULL, NULL, NULL);
}

static void
space_from_wire(const Vmad__V1__SpaceInfo *w, struct vmac_space *s)
{
	s->name = w->name ? w->name : "";
	s->map_count = w->map_count;
	s->vm_size_kb = w->vm_size_kb;
	s->vm_rss_kb = w->vm_rss_kb;
	s->uid = w->uid;
	s->gid = w->gid;
	s->mode = w->mode;
}

static int
list_apply(struct vmac_conn *c, Response **rp, void *const out[2], int err)
{
	const Response *r = *rp;
	if (err)
		return err;
	if (r->result_case != VMAD__V1__RESPONSE__RESULT_LIST)
		return conn_protocol_error(c);
	size_t n = r->list->n_spaces;
	struct vmac_space *a = calloc(n ? n : 1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		space_from_wire(r->list->spaces[i], &a[i]);
	/* conn_set_last() frees the array together with the reply its strings point into. */
	c->spaces = a;
	*(const struct vmac_space **)out[0] = a;
	*(size_t *)out[1] = n;
	return 0;
}

VMAC_EXPORT int
vmac_list(struct vmac_conn *c, const struct vmac_space **spaces, size_t *count)
{
	if (spaces == NULL || count == NULL)
		return -EINVAL;
	Vmad__V1__List m = VMAD__V1__LIST__INIT;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_LIST;
	req.list = &m;
	return conn_submit(c, &req, list_apply, (void *)spaces, count);
}

static int
stats_apply(struct vmac_conn *c, Response **rp, void *const out[2], int err)
{
	const Response *r = *rp;
	if (err)
		return err;
	if (r->result_case != VMAD__V1__RESPONSE__RESULT_STATS)
		return conn_protocol_error(c);
	const Vmad__V1__StatsResult *w = r->stats;
	struct vmac_stats *s = out[0];
	s->clients = w->clients;
	s->spaces = w->spaces;
	s->vmas = w->vmas;
	s->requests = w->requests;
	s->errors = w->errors;
	s->uptime_sec = w->uptime_sec;
	s->watchers = w->watchers;
	return 0;
}

VMAC_EXPORT int
vmac_stats(struct vmac_conn *c, struct vmac_stats *out)
{
	if (out == NULL)
		return -EINVAL;
	Vmad__V1__Stats m = VMAD__V1__STATS__INIT;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_STATS;
	req.stats = &m;
	return conn_submit(c, &req, stats_apply, out, NULL);
}
