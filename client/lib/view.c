/* SPDX-License-Identifier: MIT */
/*
 * Views: a space's segment mapped read-only in the caller (vseg_read.c answers from it).
 * Against a daemon, the view has a connection of its own, which received the segment's
 * descriptor and which tells, by closing, that the daemon is gone; in local mode the segment
 * comes from the in-process engine the same way.  Lookups are lock-free: any number of
 * threads may use one view.  A segment that grows is mapped again (the old mappings stay
 * until vmac_view_close(), so a reader in the middle of a lookup is never left without one).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "mm.h"
#include "vseg.h"
#include "vseg_read.h"

/*
 * A lookup that meets the publisher at work spins a little, then yields until the change is
 * over, for at most VIEW_WAIT_NS: a count of attempts would not do, since a publisher that
 * loses the processor in the middle of a change (a busy machine) keeps the counter odd for
 * a whole time slice, longer than thousands of yields take.
 */
#define VIEW_SPINS   64
#define VIEW_WAIT_NS (1000 * 1000 * 1000ULL)
/* How often a lookup checks, at most, that the daemon is still there. */
#define VIEW_CHECK_NS (50 * 1000 * 1000ULL)

struct view_map {
	struct vseg_map seg;
	struct view_map *older;
};

struct vmac_view {
	int fd;                 /* the segment */
	struct vmac_conn *conn; /* the view's own connection (NULL in local mode) */
	struct view_map *map;   /* the newest mapping (atomic) */
	pthread_mutex_t lock;   /* mapping again */
	uint64_t next_check;    /* CLOCK_MONOTONIC_COARSE ns of the next liveness check */
	int gone;               /* -ENOTCONN once the daemon is gone */
};

static int
view_map_add(struct vmac_view *v, size_t len)
{
	struct view_map *m = malloc(sizeof(*m));
	struct stat st;
	void *p;

	if (!m)
		return -ENOMEM;
	/* The seals forbid shrinking: a file this long stays this long. */
	if (fstat(v->fd, &st) < 0 || (uint64_t)st.st_size < len) {
		free(m);
		return -EBADMSG;
	}
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, v->fd, 0);
	if (p == MAP_FAILED) {
		free(m);
		return -errno;
	}
	if (vseg_map_init(&m->seg, p, len) < 0) {
		munmap(p, len);
		free(m);
		return -EBADMSG;
	}
	m->older = v->map;
	__atomic_store_n(&v->map, m, __ATOMIC_RELEASE);
	return 0;
}

/* The segment grew beyond the mapping m: map it whole again. */
static int
view_remap(struct vmac_view *v, const struct view_map *m)
{
	const struct vseg_header *h = (const void *)m->seg.base;
	uint64_t size = __atomic_load_n(&h->size, __ATOMIC_ACQUIRE);
	int r = 0;

	pthread_mutex_lock(&v->lock);
	if (v->map == m && size > m->seg.len)
		r = size > SIZE_MAX ? -EBADMSG : view_map_add(v, (size_t)size);
	pthread_mutex_unlock(&v->lock);
	return r;
}

static uint64_t
view_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Whether the daemon still holds the view's connection open: 0 or -ENOTCONN. */
static int
view_alive(struct vmac_view *v, bool now)
{
	uint64_t t, next = __atomic_load_n(&v->next_check, __ATOMIC_RELAXED);
	struct pollfd p;
	char b;

	if (!v->conn || __atomic_load_n(&v->gone, __ATOMIC_RELAXED))
		return v->conn ? v->gone : 0;
	t = view_now();
	if ((!now && t < next) ||
	    !__atomic_compare_exchange_n(&v->next_check, &next, t + VIEW_CHECK_NS, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return 0;
	p = (struct pollfd){ .fd = v->conn->fd, .events = POLLIN };
	if (poll(&p, 1, 0) <= 0)
		return 0;
	ssize_t n = recv(v->conn->fd, &b, 1, MSG_DONTWAIT | MSG_PEEK);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		__atomic_store_n(&v->gone, -ENOTCONN, __ATOMIC_RELAXED);
		return -ENOTCONN;
	}
	return 0;
}

/* One view operation, run until it reads a consistent state. */
struct view_op {
	int (*fn)(const struct vseg_map *m, void *arg);
	void *arg;
};

static int
view_run(struct vmac_view *v, const struct view_op *op)
{
	int r = view_alive(v, false);
	uint64_t until = 0;

	if (r < 0)
		return r;
	for (int i = 0;; i++) {
		const struct view_map *m = __atomic_load_n(&v->map, __ATOMIC_ACQUIRE);

		r = op->fn(&m->seg, op->arg);
		if (r == VSEG_READ_REMAP)
			r = view_remap(v, m) < 0 ? -EBADMSG : -EAGAIN;
		if (r != -EAGAIN)
			return r;
		if (i < VIEW_SPINS)
			continue;
		if (i == VIEW_SPINS)
			until = view_now() + VIEW_WAIT_NS;
		else if (view_now() >= until)
			break;
		/* A daemon that dies in the middle of a change never ends it. */
		r = view_alive(v, false);
		if (r < 0)
			return r;
		sched_yield();
	}
	r = view_alive(v, true);
	return r < 0 ? r : -EAGAIN;
}

/* ---- opening ------------------------------------------------------------------------- */

static int
view_open_apply(struct vmac_conn *c, Response **rp, void *const out[2], int err)
{
	(void)out;
	if (err)
		return err;
	if ((*rp)->result_case != VMAD__V1__RESPONSE__RESULT_VIEW || !c->has_passed_fd)
		return conn_protocol_error(c);
	return 0;
}

static int
view_request(struct vmac_conn *c, const char *name, int *fd)
{
	Vmad__V1__ViewOpen m = VMAD__V1__VIEW_OPEN__INIT;
	Request req = VMAD__V1__REQUEST__INIT;
	int r;

	m.name = (char *)name;
	req.op_case = VMAD__V1__REQUEST__OP_VIEW_OPEN;
	req.view_open = &m;
	c->want_fds = true;
	r = conn_submit(c, &req, view_open_apply, NULL, NULL);
	c->want_fds = false;
	if (c->has_passed_fd) {
		*fd = c->passed_fd;
		c->has_passed_fd = false;
		if (r < 0)
			close(*fd);
	}
	return r;
}

/* Only a segment nobody but its publisher can change is worth reading. */
static int
view_check_fd(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals < 0)
		return -errno;
	return (seals & VSEG_SEALS) == VSEG_SEALS ? 0 : -EPERM;
}

static int
view_setup(struct vmac_view *v)
{
	struct stat st;
	int r = view_check_fd(v->fd);

	if (r < 0)
		return r;
	if (fstat(v->fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < sizeof(struct vseg_header))
		return -EBADMSG;
	return view_map_add(v, (size_t)st.st_size);
}

VMAC_EXPORT void
vmac_view_close(struct vmac_view *v)
{
	struct view_map *m, *older;

	if (v == NULL)
		return;
	for (m = v->map; m; m = older) {
		older = m->older;
		munmap((void *)m->seg.base, m->seg.len);
		free(m);
	}
	if (v->fd >= 0)
		close(v->fd);
	vmac_close(v->conn);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

VMAC_EXPORT int
vmac_view_open(struct vmac_conn *c, const char *name, struct vmac_view **out)
{
	struct vmac_view *v;
	int r = conn_usable(c);

	if (r < 0 || name == NULL || out == NULL)
		return r < 0 ? r : -EINVAL;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	v->fd = -1;
	pthread_mutex_init(&v->lock, NULL);
	/* Against a daemon the view asks on a connection of its own, which it keeps. */
	r = c->local ? 0 : vmac_connect(c->path, &v->conn);
	if (r == 0)
		r = view_request(c->local ? c : v->conn, name, &v->fd);
	/* A refusal's explanation is vmac_errmsg(c)'s, as for the other calls. */
	if (r < 0 && v->conn && v->conn->last && !v->conn->broken) {
		conn_set_last(c, v->conn->last);
		v->conn->last = NULL;
	}
	if (r == 0)
		r = view_setup(v);
	if (r < 0) {
		vmac_view_close(v);
		return r;
	}
	*out = v;
	return 0;
}

/* ---- lookups -------------------------------------------------------------------------- */

/* maps's permissions, indexed by VM_READ | VM_WRITE | VM_EXEC, and 8 for VM_MAYSHARE. */
static const char view_perms[16][5] = {
	"---p", "r--p", "-w-p", "rw-p", "--xp", "r-xp", "-wxp", "rwxp",
	"---s", "r--s", "-w-s", "rw-s", "--xs", "r-xs", "-wxs", "rwxs",
};
_Static_assert(VMAC_VM_READ == 1 && VMAC_VM_WRITE == 2 && VMAC_VM_EXEC == 4, "view_perms's index");

/* Field by field: a memset of the whole struct costs a lookup in the cache a third more. */
static void
view_vma(const struct vindex_rec *r, uint64_t version, struct vmac_view_vma *out)
{
	out->start = r->start;
	out->end = r->end;
	out->flags = r->flags;
	out->pgoff = r->pgoff;
	out->offset = (r->attr & VINDEX_ATTR_FILE) ? r->pgoff << 12 : 0;
	out->dev_major = r->dev_major;
	out->dev_minor = r->dev_minor;
	out->ino = r->ino;
	out->version = version;
	memcpy(out->perms, view_perms[(r->flags & 7) | (r->flags & VMAC_VM_MAYSHARE ? 8 : 0)], 5);
	memset(out->reserved, 0, sizeof(out->reserved));
}

struct view_find_arg {
	enum vseg_find_mode mode;
	uint64_t addr, end;
	struct vseg_result res;
};

static int
view_find_fn(const struct vseg_map *m, void *arg)
{
	struct view_find_arg *a = arg;

	return vseg_find(m, a->mode, a->addr, a->end, &a->res);
}

static int
view_find(struct vmac_view *v, enum vseg_find_mode mode, uint64_t addr, uint64_t end,
	  struct vmac_view_vma *vma, struct vmac_view_vma *prev)
{
	/* a.res is left unset (zeroing it is a third of a lookup): vseg_find sets what r says. */
	struct view_find_arg arg, *a = &arg;
	struct view_op op = { view_find_fn, a };
	int r;

	a->mode = mode;
	a->addr = addr;
	a->end = end;
	r = view_run(v, &op);

	if (r < 0)
		return r;
	if (r & VMAC_FOUND_VMA) {
		view_vma(&a->res.vma, a->res.version, vma);
	} else {
		/* "None" is an answer too: from the state of that version. */
		memset(vma, 0, sizeof(*vma));
		vma->version = a->res.version;
	}
	if ((r & VMAC_FOUND_PREV) && prev)
		view_vma(&a->res.prev, a->res.version, prev);
	return r;
}

VMAC_EXPORT int
vmac_view_find_vma(struct vmac_view *v, uint64_t addr, struct vmac_view_vma *vma)
{
	if (v == NULL || vma == NULL)
		return -EINVAL;
	return view_find(v, VSEG_FIND, addr, 0, vma, NULL);
}

VMAC_EXPORT int
vmac_view_find_vma_prev(struct vmac_view *v, uint64_t addr, struct vmac_view_vma *vma,
			struct vmac_view_vma *prev)
{
	if (v == NULL || vma == NULL || prev == NULL)
		return -EINVAL;
	return view_find(v, VSEG_FIND_PREV, addr, 0, vma, prev);
}

VMAC_EXPORT int
vmac_view_find_vma_intersection(struct vmac_view *v, uint64_t start, uint64_t end,
				struct vmac_view_vma *vma)
{
	if (v == NULL || vma == NULL)
		return -EINVAL;
	return view_find(v, VSEG_FIND_INTERSECTION, start, end, vma, NULL);
}

VMAC_EXPORT int
vmac_view_next(struct vmac_view *v, uint64_t *cursor, struct vmac_view_vma *vma)
{
	int r;

	if (cursor == NULL)
		return -EINVAL;
	r = vmac_view_find_vma(v, *cursor, vma);
	if (r > 0)
		*cursor = vma->end;
	return r;
}

struct view_check_arg {
	uint64_t addr, len, bad;
	uint32_t prot;
};

static int
view_check_fn(const struct vseg_map *m, void *arg)
{
	struct view_check_arg *a = arg;

	return vseg_check(m, a->addr, a->len, a->prot, &a->bad);
}

VMAC_EXPORT int
vmac_view_check(struct vmac_view *v, uint64_t addr, uint64_t len, uint32_t prot, uint64_t *bad_addr)
{
	struct view_check_arg a = { .addr = addr, .len = len, .prot = prot };
	struct view_op op = { view_check_fn, &a };
	int r;

	if (v == NULL || (prot & ~(uint32_t)(VMAC_PROT_READ | VMAC_PROT_WRITE | VMAC_PROT_EXEC)))
		return -EINVAL;
	r = view_run(v, &op);
	if (r == -EFAULT && bad_addr)
		*bad_addr = a.bad;
	return r;
}

struct view_name_arg {
	struct vindex_rec rec;
	char *buf;
	size_t size;
};

static int
view_name_fn(const struct vseg_map *m, void *arg)
{
	struct view_name_arg *a = arg;

	return vseg_name(m, &a->rec, a->buf, a->size);
}

VMAC_EXPORT int
vmac_view_name(struct vmac_view *v, const struct vmac_view_vma *vma, char *buf, size_t size)
{
	struct view_name_arg a = { .buf = buf, .size = size };
	struct view_op op = { view_name_fn, &a };

	if (v == NULL || vma == NULL || buf == NULL)
		return -EINVAL;
	a.rec.start = vma->start;
	a.rec.end = vma->end;
	return view_run(v, &op);
}

static int
view_version_fn(const struct vseg_map *m, void *arg)
{
	return vseg_version(m, arg);
}

VMAC_EXPORT int
vmac_view_version(struct vmac_view *v, uint64_t *version)
{
	struct view_op op = { view_version_fn, version };

	if (v == NULL || version == NULL)
		return -EINVAL;
	return view_run(v, &op);
}

VMAC_EXPORT int
vmac_view_line(struct vmac_view *v, const struct vmac_view_vma *vma, char *buf, size_t size)
{
	struct mm_maps_entry e = { 0 };
	char *name, *line;
	int r;

	if (v == NULL || vma == NULL || buf == NULL)
		return -EINVAL;
	name = malloc(MM_MAPS_NAME_MAX + MM_MAPS_LINE_MAX);
	if (name == NULL)
		return -ENOMEM;
	line = name + MM_MAPS_NAME_MAX;
	r = vmac_view_name(v, vma, name, MM_MAPS_NAME_MAX);
	if (r >= 0) {
		e.start = vma->start;
		e.end = vma->end;
		e.offset = vma->offset;
		e.dev_major = vma->dev_major;
		e.dev_minor = vma->dev_minor;
		e.ino = vma->ino;
		memcpy(e.perms, vma->perms, sizeof(e.perms));
		r = mm_maps_line(&e, r > 0 ? name : NULL, (size_t)r, line, MM_MAPS_LINE_MAX);
	}
	if (r >= 0 && e.len >= size)
		r = -ENOSPC;
	if (r >= 0) {
		memcpy(buf, line, e.len + 1);
		r = (int)e.len;
	}
	free(name);
	return r;
}
