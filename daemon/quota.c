/* SPDX-License-Identifier: MIT */
#include "quota.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memacct.h"
#include "mm.h"
#include "server.h"
#include "space.h"

/* What a request does, as far as the limits are concerned. */
enum quota_kind {
	LIM_READ = 0, /* looks only, or frees (destroy): never refused */
	LIM_CHANGE,   /* changes a space in place */
	LIM_ADD,      /* ... and may add a VMA past the kernel's slack-free check (mmap, brk) */
	LIM_FREE,     /* munmap: a change that frees, not refused by the budget */
	LIM_NEW,      /* makes a new mm: quota_admit() or quota_admit_replace() checks it */
	LIM_GROW,     /* takes memory for the connection (a watch, a view) */
};

static const unsigned char quota_kinds[] = {
	[VMAD__V1__REQUEST__OP_CREATE] = LIM_NEW,
	[VMAD__V1__REQUEST__OP_FORK] = LIM_NEW,
	[VMAD__V1__REQUEST__OP_IMPORT] = LIM_NEW,
	[VMAD__V1__REQUEST__OP_MMAP] = LIM_ADD,
	[VMAD__V1__REQUEST__OP_BRK] = LIM_ADD,
	[VMAD__V1__REQUEST__OP_MUNMAP] = LIM_FREE,
	[VMAD__V1__REQUEST__OP_MPROTECT] = LIM_CHANGE,
	[VMAD__V1__REQUEST__OP_MREMAP] = LIM_CHANGE,
	[VMAD__V1__REQUEST__OP_POPULATE] = LIM_CHANGE,
	[VMAD__V1__REQUEST__OP_FAULT] = LIM_CHANGE,
	[VMAD__V1__REQUEST__OP_MADVISE] = LIM_CHANGE,
	[VMAD__V1__REQUEST__OP_MLOCK] = LIM_CHANGE,
	[VMAD__V1__REQUEST__OP_MUNLOCK] = LIM_CHANGE,
	[VMAD__V1__REQUEST__OP_WATCH] = LIM_GROW,
	[VMAD__V1__REQUEST__OP_RESTORE] = LIM_NEW,
	[VMAD__V1__REQUEST__OP_EXEC] = LIM_NEW,
	[VMAD__V1__REQUEST__OP_VIEW_OPEN] = LIM_GROW,
	[VMAD__V1__REQUEST__OP_MSEAL] = LIM_CHANGE,
	[VMAD__V1__REQUEST__OP_SET_VMA_ANON_NAME] = LIM_CHANGE,
	[VMAD__V1__REQUEST__OP_SET_BRK] = LIM_CHANGE,
	[VMAD__V1__REQUEST__OP_MLOCK_ALL] = LIM_CHANGE,
	[VMAD__V1__REQUEST__OP_MUNLOCK_ALL] = LIM_CHANGE,
	[VMAD__V1__REQUEST__OP_FILE_OPEN] = LIM_CHANGE,
	[VMAD__V1__REQUEST__OP_FILE_SET_SIZE] = LIM_CHANGE,
	[VMAD__V1__REQUEST__OP_FILE_UNLINK] = LIM_FREE,
	[VMAD__V1__REQUEST__OP_FILE_CLOSE] = LIM_FREE,
	[VMAD__V1__REQUEST__OP_PKEY_ALLOC] = LIM_CHANGE,
	[VMAD__V1__REQUEST__OP_PKEY_FREE] = LIM_CHANGE,
	[VMAD__V1__REQUEST__OP_PKEY_MPROTECT] = LIM_CHANGE,
};

static enum quota_kind
quota_kind(const Vmad__V1__Request *req)
{
	size_t op = (size_t)req->op_case;

	/* A brk without an address asks where the break is. */
	if (req->op_case == VMAD__V1__REQUEST__OP_BRK && !req->brk->has_addr)
		return LIM_READ;
	return op < sizeof(quota_kinds) ? (enum quota_kind)quota_kinds[op] : LIM_READ;
}

/* The `name` of the request's op, from the message descriptors (every in-place op has one). */
static const char *
quota_space_name(const Vmad__V1__Request *req)
{
	const ProtobufCFieldDescriptor *f, *nf;
	const ProtobufCMessage *m;

	f = protobuf_c_message_descriptor_get_field(&vmad__v1__request__descriptor,
						    (unsigned)req->op_case);
	if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return NULL;
	m = *(const ProtobufCMessage *const *)((const char *)req + f->offset);
	nf = protobuf_c_message_descriptor_get_field_by_name(f->descriptor, "name");
	if (!m || !nf || nf->type != PROTOBUF_C_TYPE_STRING)
		return NULL;
	return *(const char *const *)((const char *)m + nf->offset);
}

bool
quota_budget_spent(const struct server *srv)
{
	uint64_t max = srv->cfg.memory_max;

	return max < QUOTA_RESERVE || memacct_in_use() > max - QUOTA_RESERVE;
}

static int
quota_budget_fail(const struct server *srv, struct quota_op *op)
{
	snprintf(op->msg, sizeof(op->msg),
		 "the daemon's memory budget is spent (%" PRIu64 " of --memory-max %" PRIu64
		 " bytes in use); destroy spaces to free memory",
		 memacct_in_use(), srv->cfg.memory_max);
	return -ENOMEM;
}

static uint64_t
quota_vmas_left(const struct server *srv, uid_t uid)
{
	const struct usage *u = usage_find(&srv->spaces.usage, uid);
	uint64_t used = u ? u->vmas : 0;

	return used < srv->cfg.max_vmas_per_uid ? srv->cfg.max_vmas_per_uid - used : 0;
}

static int
quota_vmas_fail(const struct server *srv, uid_t uid, struct quota_op *op)
{
	snprintf(op->msg, sizeof(op->msg),
		 "uid %u would pass its quota of %" PRIu64 " VMAs (--max-vmas-per-uid)",
		 (unsigned)uid, srv->cfg.max_vmas_per_uid);
	return -EDQUOT;
}

/*
 * The owner's remaining VMAs become the space's max_map_count for this request, so that the
 * engine refuses exactly where the kernel's own checks would at that vm.max_map_count.
 * Those checks let do_mmap() and do_brk_flags() add one VMA above the limit: one less is
 * given to them.
 */
static int
quota_hold(struct server *srv, enum quota_kind kind, struct space *sp, struct quota_op *op)
{
	uint64_t left = quota_vmas_left(srv, sp->uid);
	uint64_t room;

	op->sp = sp;
	op->own_max = mm_max_map_count(sp->mm);
	/* A quota beyond the space's own limit cannot bind (and must not overflow the sum). */
	if (left > op->own_max)
		return 0;
	room = mm_map_count(sp->mm) + left;
	if (kind == LIM_ADD) {
		if (room == 0) {
			op->sp = NULL;
			return quota_vmas_fail(srv, sp->uid, op);
		}
		room--;
	}
	if (room < op->own_max) {
		mm_set_max_map_count(sp->mm, room);
		op->lowered = true;
	}
	return 0;
}

int
quota_before(struct server *srv, const Vmad__V1__Request *req, struct quota_op *op)
{
	enum quota_kind kind = quota_kind(req);
	const char *name;
	struct space *sp;

	op->sp = NULL;
	op->lowered = false;
	op->msg[0] = '\0';
	if (kind == LIM_READ)
		return 0;
	if (kind != LIM_FREE && quota_budget_spent(srv))
		return quota_budget_fail(srv, op);
	if (kind == LIM_NEW || kind == LIM_GROW)
		return 0;
	/* A space that is not there is the dispatcher's error to report. */
	name = quota_space_name(req);
	sp = name ? space_find(&srv->spaces, name) : NULL;
	return sp ? quota_hold(srv, kind, sp, op) : 0;
}

bool
quota_after(struct server *srv, struct quota_op *op, int *r)
{
	bool quota = false;

	if (!op->sp)
		return false;
	if (op->lowered) {
		quota = *r == -ENOMEM && mm_map_count_refused(op->sp->mm);
		mm_set_max_map_count(op->sp->mm, op->own_max);
	}
	space_recount(&srv->spaces, op->sp);
	if (quota)
		*r = quota_vmas_fail(srv, op->sp->uid, op);
	return quota;
}

void
quota_replayed(struct server *srv, const Vmad__V1__Request *req)
{
	const char *name = quota_space_name(req);
	struct space *sp = name ? space_find(&srv->spaces, name) : NULL;

	if (sp)
		space_recount(&srv->spaces, sp);
}

int
quota_admit(struct server *srv, const struct peer_cred *cred, const struct mm *mm,
	    struct quota_op *op)
{
	const struct usage *u = usage_find(&srv->spaces.usage, cred->uid);

	op->msg[0] = '\0';
	if (u && u->spaces >= srv->cfg.max_spaces_per_uid) {
		snprintf(op->msg, sizeof(op->msg),
			 "uid %u holds its quota of %zu address spaces (--max-spaces-per-uid)",
			 (unsigned)cred->uid, srv->cfg.max_spaces_per_uid);
		return -EDQUOT;
	}
	if (mm_map_count(mm) > quota_vmas_left(srv, cred->uid))
		return quota_vmas_fail(srv, cred->uid, op);
	return quota_budget_spent(srv) ? quota_budget_fail(srv, op) : 0;
}

int
quota_admit_replace(struct server *srv, const struct space *sp, const struct mm *mm,
		    struct quota_op *op)
{
	op->msg[0] = '\0';
	uint64_t now = mm_map_count(mm);

	if (now > sp->vmas && now - sp->vmas > quota_vmas_left(srv, sp->uid))
		return quota_vmas_fail(srv, sp->uid, op);
	return quota_budget_spent(srv) ? quota_budget_fail(srv, op) : 0;
}

/* ---- the default budget ------------------------------------------------------------- */

/* A cgroup v2 memory.max: bytes, or 0 for "max" or anything unreadable. */
static uint64_t
quota_read_memory_max(const char *dir)
{
	char path[4200], text[32];
	unsigned long long v;
	char *end;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.max", dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || (*end != '\n' && *end != '\0'))
		return 0;
	return v;
}

/* The smallest memory.max from vmad's own cgroup up to the root: the one that applies. */
static uint64_t
quota_cgroup_memory_max(void)
{
	char line[4096], *dir, *slash;
	uint64_t best = 0, v;
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (!f)
		return 0;
	/* cgroup v2 has exactly one line, "0::/path". */
	dir = fgets(line, sizeof(line), f) && strncmp(line, "0::/", 4) == 0 ? line + 3 : NULL;
	fclose(f);
	if (!dir)
		return 0;
	dir[strcspn(dir, "\n")] = '\0';
	while (dir[0]) {
		v = quota_read_memory_max(dir);
		if (v && (!best || v < best))
			best = v;
		slash = strrchr(dir, '/');
		*slash = '\0';
	}
	return best;
}

uint64_t
quota_default_memory_max(void)
{
	uint64_t cg = quota_cgroup_memory_max();
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);

	/* The rest of a cgroup's limit is for the code, stacks and the allocator's own slack. */
	if (cg)
		return cg / 4 * 3;
	if (pages > 0 && page > 0)
		return (uint64_t)pages * (uint64_t)page / 2;
	return 1ULL << 30;
}
