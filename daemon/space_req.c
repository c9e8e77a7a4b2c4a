/* SPDX-License-Identifier: MIT */
/*
 * The requests on whole spaces (dispatch_int.h): create, destroy, list, fork, import, save,
 * restore and exec.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch_int.h"
#include "exec_req.h"
#include "log.h"
#include "mm.h"
#include "reply.h"
#include "server.h"
#include "watch.h"

/* The Create fields that are configuration fields of the same name and type. */
#define CREATE_COPIED(X)                                                                           \
	X(mmap_base)                                                                               \
	X(start_brk)                                                                               \
	X(with_stack)                                                                              \
	X(max_map_count)                                                                           \
	X(rlimit_as)                                                                               \
	X(rlimit_data)                                                                             \
	X(rlimit_stack)                                                                            \
	X(rlimit_memlock)                                                                          \
	X(personality)                                                                             \
	X(features)

/* mm_config_init() defaults, then what the request sets; derived values stay derived. */
static void
create_config(const Vmad__V1__Create *m, struct mm_config *cfg)
{
	mm_config_init(cfg, (enum mm_layout)(m->has_layout ? m->layout : 0));
	if (m->has_task_size) {
		cfg->task_size = m->task_size;
		/* exec leaves the stack pointer in the top page of the task. */
		cfg->start_stack = m->task_size - MM_PAGE_SIZE;
	}
#define CREATE_COPY(f)                                                                             \
	if (m->has_##f)                                                                            \
		cfg->f = m->f;
	CREATE_COPIED(CREATE_COPY)
#undef CREATE_COPY
}

static int
check_layout(struct dctx *d, bool has, Vmad__V1__Layout layout)
{
	if (has &&
	    (layout < VMAD__V1__LAYOUT__LAYOUT_X86_64 || layout > VMAD__V1__LAYOUT__LAYOUT_I386))
		return dctx_fail(d, -EINVAL, "unknown layout %d", (int)layout);
	return 0;
}

int
space_req_create(struct dctx *d, const Vmad__V1__Create *m)
{
	struct mm_config cfg;
	struct mm *mm;
	unsigned mode = SPACE_MODE_DEFAULT;
	int r;

	if ((r = dctx_check_new_space(d, m->name)) < 0 ||
	    (r = dctx_check_mode(d, m->has_mode, m->mode, &mode)) < 0 ||
	    (r = check_layout(d, m->has_layout, m->layout)) < 0)
		return r;
	create_config(m, &cfg);
	if (cfg.personality & ~MM_PER_MODELLED || cfg.features & ~MM_FEAT_MODELLED)
		return dctx_fail(d, -EINVAL, "personality 0x%x or features 0x%x: not modelled",
				 cfg.personality & ~MM_PER_MODELLED,
				 cfg.features & ~MM_FEAT_MODELLED);
	r = mm_create(&cfg, &mm);
	if (r < 0)
		return dctx_fail(d, r, "the configuration of '%s' is not valid", m->name);
	return dctx_add_space(d, m->name, mm, mode);
}

int
space_req_destroy(struct dctx *d, const Vmad__V1__Destroy *m)
{
	struct space *sp;
	int r = dctx_find_space(d, m->name, &sp);

	if (r < 0)
		return r;
	if (space_owner_check(sp, d->cred) < 0)
		return dctx_fail(d, -EACCES, "'%s' belongs to uid %u", m->name, (unsigned)sp->uid);
	watch_space_gone(d->srv, sp);
	space_remove(&d->srv->spaces, sp);
	d->sp = NULL;
	return 0;
}

int
space_req_list(struct dctx *d)
{
	Vmad__V1__ListResult *res = reply_list(d->arena, &d->srv->spaces, d->cred);

	if (!res)
		return -ENOMEM;
	d->resp->result_case = VMAD__V1__RESPONSE__RESULT_LIST;
	d->resp->list = res;
	return 0;
}

int
space_req_fork(struct dctx *d, const Vmad__V1__Fork *m)
{
	Event ev = VMAD__V1__EVENT__INIT;
	struct space *src;
	struct mm *child;
	int r;

	if ((r = dctx_lookup(d, m->src, SPACE_READ, &src)) < 0 ||
	    (r = dctx_check_new_space(d, m->dst)) < 0)
		return r;
	r = mm_fork(src->mm, &child);
	if (r < 0)
		return dctx_fail(d, r, "fork of '%s' failed", m->src);
	/* Like a copied file: the caller owns the copy, which keeps the source's mode. */
	r = dctx_add_space(d, m->dst, child, src->mode);
	if (r < 0 || !src->watchers)
		return r;
	ev.target = m->dst;
	dctx_emit(d, src, VMAD__V1__EVENT_KIND__EVENT_FORK, &ev);
	return 0;
}

int
space_req_import(struct dctx *d, const Vmad__V1__Import *m)
{
	struct mm_config cfg;
	unsigned errline = 0;
	struct mm *mm;
	unsigned mode = SPACE_MODE_DEFAULT;
	int r;

	if ((r = dctx_check_new_space(d, m->name)) < 0 ||
	    (r = dctx_check_mode(d, m->has_mode, m->mode, &mode)) < 0 ||
	    (r = check_layout(d, m->has_layout, m->layout)) < 0)
		return r;
	if (!m->text)
		return dctx_fail(d, -EINVAL, "no maps text given");
	mm_config_init(&cfg, (enum mm_layout)(m->has_layout ? m->layout : 0));
	r = mm_import_maps(&cfg, m->text, strlen(m->text), &mm, &errline);
	if (r == -EINVAL && errline)
		return dctx_fail(d, r, "maps text line %u is not valid", errline);
	if (r < 0)
		return dctx_fail(d, r, "cannot import the maps text");
	return dctx_add_space(d, m->name, mm, mode);
}

/* ---- saved spaces -------------------------------------------------------------------- */

int
space_req_save(struct dctx *d, const Vmad__V1__Save *m)
{
	Vmad__V1__SaveResult *res = arena_alloc(d->arena, sizeof(*res));
	struct mm_sbuf b = { 0 };
	struct space *sp;
	int r;

	if ((r = dctx_lookup(d, m->name, SPACE_READ, &sp)) < 0)
		return r;
	if (res)
		vmad__v1__save_result__init(res);
	if (!res || mm_save(sp->mm, &b) < 0 || !(res->data.data = arena_alloc(d->arena, b.len))) {
		mm_sbuf_free(&b);
		return -ENOMEM;
	}
	memcpy(res->data.data, b.data, b.len);
	res->has_data = true;
	res->data.len = b.len;
	mm_sbuf_free(&b);
	d->resp->result_case = VMAD__V1__RESPONSE__RESULT_SAVE;
	d->resp->save = res;
	return 0;
}

/* Over an existing space the contents change, its owner, mode and watchers stay. */
int
space_req_restore(struct dctx *d, const Vmad__V1__Restore *m)
{
	struct space *sp = m->name ? space_find(&d->srv->spaces, m->name) : NULL;
	unsigned mode = SPACE_MODE_DEFAULT;
	Event ev = VMAD__V1__EVENT__INIT;
	char msg[256];
	struct mm *mm;
	int r;

	if (sp && (r = dctx_lookup(d, m->name, SPACE_WRITE, &sp)) < 0)
		return r;
	if (!sp && ((r = dctx_check_new_space(d, m->name)) < 0 ||
		    (r = dctx_check_mode(d, m->has_mode, m->mode, &mode)) < 0))
		return r;
	r = mm_load(m->data.data, m->data.len, NULL, &mm, msg, sizeof(msg));
	if (r < 0)
		return dctx_fail(d, r, "saved address space not usable: %s", msg);
	if (!sp)
		return dctx_add_space(d, m->name, mm, mode);
	if ((r = dctx_replace_mm(d, sp, mm)) < 0 || !sp->watchers)
		return r;
	dctx_emit(d, sp, VMAD__V1__EVENT_KIND__EVENT_RESTORE, &ev);
	return 0;
}

/* The space is replaced as execve replaces a process's mm: same owner, mode and watchers. */
int
space_req_exec(struct dctx *d, const Vmad__V1__Exec *m)
{
	struct exec_req *req = calloc(1, sizeof(*req));
	struct space *sp = space_find(&d->srv->spaces, m->name ? m->name : "");
	struct mm_exec_info info;
	Event ev = VMAD__V1__EVENT__INIT;
	const char *why = "";
	unsigned mode = SPACE_MODE_DEFAULT;
	struct mm *mm;
	int r;

	if (!req)
		return -ENOMEM;
	if (sp)
		r = dctx_lookup(d, m->name, SPACE_WRITE, &sp);
	else if ((r = dctx_check_new_space(d, m->name)) == 0)
		r = dctx_check_mode(d, m->has_mode, m->mode, &mode);
	if (r == 0 && (r = exec_req_parse(m, req, &why)) < 0)
		r = dctx_fail(d, r, "%s", why);
	if (r == 0 && (r = mm_exec(&req->cfg, &req->args, &mm, &info)) < 0)
		r = dctx_fail(d, r, "exec of '%s' failed", req->exe.file.path);
	/* The program's path lies in the request message, not in req. */
	ev.path = (char *)req->exe.file.path;
	free(req);
	if (r < 0)
		return r;
	if ((r = sp ? dctx_replace_mm(d, sp, mm) : dctx_add_space(d, m->name, mm, mode)) < 0)
		return r;
	if (sp && sp->watchers)
		dctx_emit(d, sp, VMAD__V1__EVENT_KIND__EVENT_EXEC, &ev);
	d->resp->exec = exec_req_result(d->arena, &info);
	if (!d->resp->exec)
		return -ENOMEM;
	d->resp->result_case = VMAD__V1__RESPONSE__RESULT_EXEC;
	return 0;
}
