/* SPDX-License-Identifier: MIT */
/*
 * Which addresses a request may have changed, for the views (view.c).  The range given is
 * where the request acted; view_pub_touch() widens it to the whole VMAs that cross it, in the
 * engine and in the segment alike, which takes in the neighbours a merge or a split changed.
 */
#include "view.h"

#include "files_req.h"
#include "mm.h"
#include "space.h"

typedef Vmad__V1__Request Request;
typedef Vmad__V1__Response Response;

static uint64_t
view_req_end(uint64_t addr, uint64_t len)
{
	uint64_t end = len > UINT64_MAX - addr ? UINT64_MAX : addr + len;

	/* The last page the range touches, whole. */
	return end > UINT64_MAX - (MM_PAGE_SIZE - 1)
		       ? UINT64_MAX
		       : (end + MM_PAGE_SIZE - 1) & ~(MM_PAGE_SIZE - 1);
}

static void
view_req_range(struct space *sp, uint64_t addr, uint64_t len)
{
	view_pub_touch(sp, addr, view_req_end(addr, len));
}

static bool
view_req_addr(const Response *resp, uint64_t *addr)
{
	if (resp->result_case != VMAD__V1__RESPONSE__RESULT_ADDR || !resp->addr->has_addr)
		return false;
	*addr = resp->addr->addr;
	return true;
}

static void
view_req_mmap(struct space *sp, const Vmad__V1__Mmap *m, const Response *resp)
{
	uint64_t addr;

	if (view_req_addr(resp, &addr))
		view_req_range(sp, addr, m->len);
	/* A MAP_FIXED that failed may have unmapped what was there. */
	if (m->flags & (MM_MAP_FIXED | MM_MAP_FIXED_NOREPLACE))
		view_req_range(sp, m->addr, m->len);
}

static void
view_req_mremap(struct space *sp, const Vmad__V1__Mremap *m, const Response *resp)
{
	uint64_t addr;

	view_req_range(sp, m->old_addr, m->old_len);
	if (view_req_addr(resp, &addr))
		view_req_range(sp, addr, m->new_len);
	if (m->flags & MM_MREMAP_FIXED)
		view_req_range(sp, m->new_addr, m->new_len);
}

static void
view_req_brk(struct space *sp, const Response *resp)
{
	uint64_t old = view_pub_brk(sp), now;

	if (resp->result_case != VMAD__V1__RESPONSE__RESULT_BRK || !resp->brk->has_brk)
		return;
	now = resp->brk->brk;
	if (now == old)
		return;
	view_pub_touch(sp, (now < old ? now : old) & ~(MM_PAGE_SIZE - 1),
		       view_req_end(now > old ? now : old, 1));
	view_pub_set_brk(sp, now);
}

/*
 * The whole space may have changed: exec and restore replace the mm; unlinking a file
 * renames every mapping of it (" (deleted)"), and setting the break renames [heap].
 */
static void
view_req_whole(struct space *sp)
{
	struct mm_status st;

	mm_get_status(sp->mm, &st);
	view_pub_set_brk(sp, st.brk);
	view_pub_touch(sp, 0, UINT64_MAX);
}

/* The space a request names, if it has a view. */
static struct space *
view_req_space(struct space_table *t, const char *name)
{
	struct space *sp = name ? space_find(t, name) : NULL;

	return sp && sp->view ? sp : NULL;
}

static const char *
view_req_name(const Request *q)
{
	switch (q->op_case) {
	case VMAD__V1__REQUEST__OP_MMAP:
		return q->mmap->name;
	case VMAD__V1__REQUEST__OP_MUNMAP:
		return q->munmap->name;
	case VMAD__V1__REQUEST__OP_MPROTECT:
		return q->mprotect->name;
	case VMAD__V1__REQUEST__OP_MREMAP:
		return q->mremap->name;
	case VMAD__V1__REQUEST__OP_BRK:
		return q->brk->name;
	case VMAD__V1__REQUEST__OP_POPULATE:
		return q->populate->name;
	case VMAD__V1__REQUEST__OP_FAULT:
		return q->fault->name;
	case VMAD__V1__REQUEST__OP_MADVISE:
		return q->madvise->name;
	case VMAD__V1__REQUEST__OP_MLOCK:
		return q->mlock->name;
	case VMAD__V1__REQUEST__OP_EXEC:
		return q->exec->name;
	case VMAD__V1__REQUEST__OP_RESTORE:
		return q->restore->name;
	case VMAD__V1__REQUEST__OP_MUNLOCK:
		return q->munlock->name;
	case VMAD__V1__REQUEST__OP_PKEY_MPROTECT:
		return q->pkey_mprotect->name;
	default:
		return files_req_handles(q) ? files_req_name(q) : NULL;
	}
}

void
view_request_done(struct space_table *t, const Request *q, const Response *resp)
{
	struct space *sp = view_req_space(t, view_req_name(q));

	if (!sp)
		return;
	switch (q->op_case) {
	case VMAD__V1__REQUEST__OP_MMAP:
		view_req_mmap(sp, q->mmap, resp);
		break;
	case VMAD__V1__REQUEST__OP_MREMAP:
		view_req_mremap(sp, q->mremap, resp);
		break;
	case VMAD__V1__REQUEST__OP_BRK:
		view_req_brk(sp, resp);
		break;
	case VMAD__V1__REQUEST__OP_FAULT:
		view_req_range(sp, q->fault->addr, 1);
		break;
	case VMAD__V1__REQUEST__OP_MUNMAP:
		view_req_range(sp, q->munmap->addr, q->munmap->len);
		break;
	case VMAD__V1__REQUEST__OP_MPROTECT:
		view_req_range(sp, q->mprotect->addr, q->mprotect->len);
		break;
	case VMAD__V1__REQUEST__OP_POPULATE:
		view_req_range(sp, q->populate->addr, q->populate->len);
		break;
	case VMAD__V1__REQUEST__OP_MADVISE:
		view_req_range(sp, q->madvise->addr, q->madvise->len);
		break;
	case VMAD__V1__REQUEST__OP_MLOCK:
		view_req_range(sp, q->mlock->addr, q->mlock->len);
		break;
	case VMAD__V1__REQUEST__OP_MUNLOCK:
		view_req_range(sp, q->munlock->addr, q->munlock->len);
		break;
	case VMAD__V1__REQUEST__OP_PKEY_MPROTECT:
		view_req_range(sp, q->pkey_mprotect->addr, q->pkey_mprotect->len);
		break;
	case VMAD__V1__REQUEST__OP_EXEC:
	case VMAD__V1__REQUEST__OP_RESTORE:
	case VMAD__V1__REQUEST__OP_FILE_UNLINK:
	case VMAD__V1__REQUEST__OP_SET_BRK:
		view_req_whole(sp);
		break;
	default:
		break;
	}
	view_pub_done(sp);
}
