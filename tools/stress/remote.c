/* SPDX-License-Identifier: MIT */
/*
 * The daemon through libvmaclient, one call at a time or in the library's pipeline.  Replies
 * are turned into the same st_result shape as the replay's, strings copied at once (the
 * library's strings live only until the next reply).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stress.h"

/* Where a call's out-parameters land until its reply is collected. */
struct remote_out {
	uint64_t addr;
	enum vmac_fault_result fr;
	struct vmac_vma vma, prev;
	struct vmac_status st;
};

static int
remote_issue(struct vmac_conn *c, const char *space, const struct st_op *op, struct remote_out *o)
{
	const struct vmac_file *f = op->file >= 0 ? &st_files[op->file] : NULL;

	switch (op->kind) {
	case ST_MMAP:
		return vmac_mmap(c, space, op->addr, op->len, op->prot, op->flags, f, op->offset,
				 &o->addr);
	case ST_MUNMAP:
		return vmac_munmap(c, space, op->addr, op->len);
	case ST_MPROTECT:
		return vmac_mprotect(c, space, op->addr, op->len, op->prot);
	case ST_MREMAP:
		return vmac_mremap(c, space, op->addr, op->len, op->new_len, op->flags,
				   op->new_addr, &o->addr);
	case ST_BRK:
		return vmac_brk(c, space, op->addr, &o->addr);
	case ST_MADVISE:
		return vmac_madvise(c, space, op->addr, op->len, op->arg);
	case ST_MLOCK:
		return vmac_mlock2(c, space, op->addr, op->len, (unsigned)op->arg);
	case ST_MUNLOCK:
		return vmac_munlock(c, space, op->addr, op->len);
	case ST_POPULATE:
		return vmac_populate(c, space, op->addr, op->len, op->arg != 0);
	case ST_FAULT:
		return vmac_fault(c, space, op->addr, (enum vmac_access)op->arg, &o->fr);
	case ST_FIND:
		if (op->arg == 1)
			return vmac_find_vma_prev(c, space, op->addr, &o->vma, &o->prev);
		if (op->arg == 2)
			return vmac_find_vma_intersection(c, space, op->addr, op->addr + op->len,
							  &o->vma);
		return vmac_find_vma(c, space, op->addr, &o->vma);
	case ST_STATUS:
		return vmac_status(c, space, &o->st);
	default:
		return -EINVAL; /* maps and fork are not single calls */
	}
}

static char *
remote_find_text(int mask, const struct remote_out *o)
{
	char *s = NULL;

	if (asprintf(&s, "%s%s%s%s", mask & VMAC_FOUND_VMA ? o->vma.line : "",
		     mask & VMAC_FOUND_VMA ? "\n" : "", mask & VMAC_FOUND_PREV ? o->prev.line : "",
		     mask & VMAC_FOUND_PREV ? "\n" : "") < 0)
		return NULL;
	return s;
}

static void
remote_convert(const struct st_op *op, int rc, const struct remote_out *o, struct st_result *res)
{
	*res = (struct st_result){ .err = rc < 0 ? rc : 0 };
	if (rc < 0 && op->kind != ST_BRK)
		return;
	switch (op->kind) {
	case ST_MMAP:
	case ST_MREMAP:
	case ST_BRK:
		res->value = o->addr;
		break;
	case ST_FAULT:
		res->value = (uint64_t)o->fr;
		break;
	case ST_FIND:
		res->value = (uint64_t)rc;
		res->text = remote_find_text(rc, o);
		break;
	case ST_STATUS:
		res->text = status_text(o->st.text, o->st.brk, o->st.start_brk, o->st.mmap_base);
		break;
	default:
		break;
	}
}

static int
remote_fork(struct vmac_conn *c, const char *space, struct st_result *res)
{
	char child[128];
	int rc;

	snprintf(child, sizeof(child), "%s-f", space);
	res->err = vmac_fork(c, space, child);
	if (res->err < 0)
		return vmac_conn_error(c);
	res->err = remote_maps(c, child, 0, UINT64_MAX, &res->text);
	rc = vmac_destroy(c, child);
	if (rc < 0 && res->err == 0)
		res->err = rc;
	return vmac_conn_error(c);
}

int
remote_call(struct vmac_conn *c, const char *space, const struct st_op *op, struct st_result *res)
{
	struct remote_out o = { 0 };

	*res = (struct st_result){ 0 };
	if (op->kind == ST_FORK)
		return remote_fork(c, space, res);
	if (op->kind == ST_MAPS) {
		res->err = remote_maps(c, space, 0, UINT64_MAX, &res->text);
		return vmac_conn_error(c);
	}
	remote_convert(op, remote_issue(c, space, op, &o), &o, res);
	return vmac_conn_error(c);
}

/*
 * A batch in the pipeline.  die_midway: the batch is sent, then the process kills itself
 * before reading a reply, as a client that dies mid-pipeline.
 */
int
remote_pipeline(struct vmac_conn *c, const char *space, const struct st_op *ops, size_t n,
		struct st_result *res, uint64_t *hist, bool die_midway)
{
	struct remote_out o[ST_BATCH_MAX];
	uint64_t t0 = now_ns();
	int rc, result;

	memset(o, 0, sizeof(o));
	rc = vmac_pipeline_begin(c);
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = remote_issue(c, space, &ops[i], &o[i]);
		if (rc < 0 && vmac_conn_error(c) == 0)
			return rc;
	}
	rc = vmac_pipeline_end(c);
	if (rc < 0)
		return rc;
	if (die_midway)
		raise(SIGKILL);
	for (size_t i = 0; i < n; i++) {
		rc = vmac_pipeline_next(c, &result);
		if (rc <= 0)
			return rc < 0 ? rc : -EPROTO;
		hist_add(hist, (now_ns() - t0) / 1000);
		remote_convert(&ops[i], result, &o[i], &res[i]);
	}
	return vmac_conn_error(c);
}

static int
remote_append(char **text, size_t *len, const char *line)
{
	size_t n = strlen(line);
	char *p = realloc(*text, *len + n + 2);

	if (!p)
		return -ENOMEM;
	memcpy(p + *len, line, n);
	p[*len + n] = '\n';
	p[*len + n + 1] = '\0';
	*len += n + 1;
	*text = p;
	return 0;
}

/* One VMA's line; with detail, also what the maps line does not show but later requests and
 * forks depend on (madvise and mlock flags on a whole VMA, its resident pages). */
static int
remote_line(char **text, size_t *len, const struct vmac_vma *v, bool detail)
{
	char *line = NULL;
	int rc;

	if (!detail)
		return remote_append(text, len, v->line);
	if (asprintf(&line, "%s flags=%llx rss_kb=%llu", v->line, (unsigned long long)v->flags,
		     (unsigned long long)v->rss_kb) < 0)
		return -ENOMEM;
	rc = remote_append(text, len, line);
	free(line);
	return rc;
}

static int
remote_lines(struct vmac_conn *c, const char *space, uint64_t lo, uint64_t hi, bool detail,
	     char **text)
{
	struct vmac_maps_iter *it;
	struct vmac_vma v;
	size_t len = 0;
	int rc;

	*text = strdup("");
	if (!*text)
		return -ENOMEM;
	rc = vmac_maps_open(c, space, lo, 0, &it);
	if (rc < 0)
		return rc;
	while ((rc = vmac_maps_next(it, &v)) > 0) {
		if (hi != UINT64_MAX && v.start >= hi)
			break;
		rc = remote_line(text, &len, &v, detail);
		if (rc < 0)
			break;
	}
	vmac_maps_close(it);
	return rc < 0 ? rc : 0;
}

int
remote_maps(struct vmac_conn *c, const char *space, uint64_t lo, uint64_t hi, char **text)
{
	return remote_lines(c, space, lo, hi, false, text);
}

int
remote_layout(struct vmac_conn *c, const char *space, uint64_t lo, uint64_t hi, char **text)
{
	return remote_lines(c, space, lo, hi, true, text);
}

int
remote_status(struct vmac_conn *c, const char *space, char **text)
{
	struct vmac_status st;
	int rc = vmac_status(c, space, &st);

	*text = NULL;
	if (rc < 0)
		return rc;
	*text = status_text(st.text, st.brk, st.start_brk, st.mmap_base);
	return *text ? 0 : -ENOMEM;
}
