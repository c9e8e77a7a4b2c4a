/* SPDX-License-Identifier: MIT */
/*
 * Maps iteration.  The daemon sends VMAs in pages (Maps.from/limit, MapsResult.next); the
 * iterator owns the current page and asks for the next one when it runs out.  It asks for
 * them without their lines and makes each VMA's line as it hands the VMA out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct vmac_maps_iter {
	struct vmac_conn *c;
	char *name;
	uint32_t page_size;
	Response *page;
	size_t idx;
	bool more;
	uint64_t next;
	char *line; /* the current VMA's line, made here (the daemon leaves it out) */
	size_t line_cap;
};

static void
maps_drop_page(struct vmac_maps_iter *it)
{
	if (it->page)
		vmad__v1__response__free_unpacked(it->page, NULL);
	it->page = NULL;
	it->idx = 0;
}

static int
maps_apply(struct vmac_conn *c, Response **rp, void *const out[2], int err)
{
	if (err)
		return err;
	if ((*rp)->result_case != VMAD__V1__RESPONSE__RESULT_MAPS)
		return conn_protocol_error(c);
	struct vmac_maps_iter *it = out[0];
	const uint64_t from = *(const uint64_t *)out[1];
	const Vmad__V1__MapsResult *m = (*rp)->maps;
	/* A next that does not advance would make the iteration endless. */
	if (m->has_next && m->next <= from)
		return conn_protocol_error(c);
	maps_drop_page(it);
	it->page = *rp;
	*rp = NULL;
	it->more = m->has_next;
	it->next = m->next;
	return 0;
}

static int
maps_fetch(struct vmac_maps_iter *it, uint64_t from)
{
	if (it->c->queueing)
		return -EBUSY;
	Vmad__V1__Maps m = VMAD__V1__MAPS__INIT;
	m.name = it->name;
	m.has_from = 1;
	m.from = from;
	m.has_limit = it->page_size != 0;
	m.limit = it->page_size;
	m.has_without_line = m.without_line = true;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_MAPS;
	req.maps = &m;
	return conn_submit(it->c, &req, maps_apply, it, &from);
}

/* One VMA of the page, its line made in the iterator's buffer when the daemon left it out. */
static int
maps_vma(struct vmac_maps_iter *it, const Vmad__V1__Vma *w, struct vmac_vma *vma)
{
	size_t need = wire_line_size(w);
	char *buf = wire_line_room(&it->line, &it->line_cap, need);

	if (need && !buf)
		return -ENOMEM;
	if (wire_vma_line(w, vma, buf) < 0)
		return conn_protocol_error(it->c);
	return 1;
}

VMAC_EXPORT void
vmac_maps_close(struct vmac_maps_iter *it)
{
	if (it == NULL)
		return;
	maps_drop_page(it);
	free(it->name);
	free(it->line);
	free(it);
}

VMAC_EXPORT int
vmac_maps_open(struct vmac_conn *c, const char *name, uint64_t from, uint32_t page_size,
	       struct vmac_maps_iter **out)
{
	if (c == NULL || name == NULL || out == NULL)
		return -EINVAL;
	struct vmac_maps_iter *it = calloc(1, sizeof(*it));
	if (it == NULL)
		return -ENOMEM;
	it->c = c;
	it->page_size = page_size;
	it->name = strdup(name);
	int rc = it->name ? maps_fetch(it, from) : -ENOMEM;
	if (rc < 0) {
		vmac_maps_close(it);
		return rc;
	}
	*out = it;
	return 0;
}

VMAC_EXPORT int
vmac_maps_next(struct vmac_maps_iter *it, struct vmac_vma *vma)
{
	if (it == NULL || vma == NULL)
		return -EINVAL;
	for (;;) {
		const Vmad__V1__MapsResult *m = it->page ? it->page->maps : NULL;
		if (m && it->idx < m->n_vmas) {
			int r = maps_vma(it, m->vmas[it->idx], vma);
			/* A step that fails for want of memory may be tried again. */
			it->idx += r > 0;
			return r;
		}
		if (!it->more)
			return 0;
		int rc = maps_fetch(it, it->next);
		if (rc < 0)
			return rc;
	}
}
