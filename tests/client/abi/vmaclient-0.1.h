/* SPDX-License-Identifier: MIT */
/*
 * FROZEN: client/vmaclient.h as libvmaclient 0.1 released it, for the test of programs built
 * against that release (tests/client/test_abi_0_1.c).  Never edit: it is the old ABI.
 */
/*
 * libvmaclient: the C client of vmad, the daemon that models Linux (x86_64) address spaces.
 *
 * Every call mirrors a system call on a named address space held by the daemon.  Calls that
 * can fail return 0 (or a documented non-negative value) on success and a negative errno on
 * failure; addresses come back through out-parameters.  A failure is either the daemon's
 * answer (the errno the kernel would give, or EACCES, ENOENT, EEXIST for the space itself) or
 * a transport failure (the daemon went away, a timeout, a malformed reply), after which
 * vmac_conn_error() is non-zero and only vmac_reconnect() or vmac_close() help.
 *
 * Strings handed back (paths, maps lines, space names, messages) point into the connection's
 * last reply and stay valid until the next call on the same connection; copy them to keep them.
 *
 * Threads: the library has no global state.  A connection is not thread-safe: use one per
 * thread, or serialise the calls on a connection with a lock.  Distinct connections are
 * independent and may be used concurrently.  vmac_version(), vmac_event_kind_name() and the
 * vmac_*_init() helpers are thread-safe.
 *
 * Signals: the library never changes signal dispositions.  It sends with MSG_NOSIGNAL, so a
 * daemon that dies mid-call gives -EPIPE or -ECONNRESET, never SIGPIPE.  Its socket has
 * SOCK_CLOEXEC.  Blocking calls restart after EINTR, except vmac_watch_next(), which returns
 * -EINTR so that a signal can end a watch loop.  It never writes to stdout or stderr.
 */
#ifndef VMACLIENT_H
#define VMACLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(VMAC_BUILDING) && defined(__GNUC__)
#define VMAC_EXPORT __attribute__((visibility("default")))
#else
#define VMAC_EXPORT
#endif

/* The protocol version this library speaks (vmac_hello()). */
#define VMAC_PROTOCOL_VERSION 1

/* Default socket when neither a path nor $VMAD_SOCKET is given. */
#define VMAC_DEFAULT_SOCKET "/run/vmad/vmad.sock"

/*
 * Linux x86_64 ABI values, spelled here so that an emulator on another host (or one that
 * must not include <sys/mman.h>) has them.  The daemon takes exactly these numbers.
 */
#define VMAC_PROT_NONE      0x0
#define VMAC_PROT_READ      0x1
#define VMAC_PROT_WRITE     0x2
#define VMAC_PROT_EXEC      0x4
#define VMAC_PROT_SEM       0x8
#define VMAC_PROT_GROWSDOWN 0x01000000
#define VMAC_PROT_GROWSUP   0x02000000

#define VMAC_MAP_SHARED          0x01
#define VMAC_MAP_PRIVATE         0x02
#define VMAC_MAP_SHARED_VALIDATE 0x03
#define VMAC_MAP_DROPPABLE       0x08
#define VMAC_MAP_FIXED           0x10
#define VMAC_MAP_ANONYMOUS       0x20
#define VMAC_MAP_32BIT           0x40
#define VMAC_MAP_GROWSDOWN       0x0100
#define VMAC_MAP_DENYWRITE       0x0800
#define VMAC_MAP_EXECUTABLE      0x1000
#define VMAC_MAP_LOCKED          0x2000
#define VMAC_MAP_NORESERVE       0x4000
#define VMAC_MAP_POPULATE        0x8000
#define VMAC_MAP_NONBLOCK        0x10000
#define VMAC_MAP_STACK           0x20000
#define VMAC_MAP_HUGETLB         0x40000
#define VMAC_MAP_SYNC            0x80000
#define VMAC_MAP_FIXED_NOREPLACE 0x100000

#define VMAC_MREMAP_MAYMOVE   1
#define VMAC_MREMAP_FIXED     2
#define VMAC_MREMAP_DONTUNMAP 4

#define VMAC_MADV_NORMAL         0
#define VMAC_MADV_RANDOM         1
#define VMAC_MADV_SEQUENTIAL     2
#define VMAC_MADV_WILLNEED       3
#define VMAC_MADV_DONTNEED       4
#define VMAC_MADV_FREE           8
#define VMAC_MADV_REMOVE         9
#define VMAC_MADV_DONTFORK       10
#define VMAC_MADV_DOFORK         11
#define VMAC_MADV_MERGEABLE      12
#define VMAC_MADV_UNMERGEABLE    13
#define VMAC_MADV_HUGEPAGE       14
#define VMAC_MADV_NOHUGEPAGE     15
#define VMAC_MADV_DONTDUMP       16
#define VMAC_MADV_DODUMP         17
#define VMAC_MADV_WIPEONFORK     18
#define VMAC_MADV_KEEPONFORK     19
#define VMAC_MADV_COLD           20
#define VMAC_MADV_PAGEOUT        21
#define VMAC_MADV_POPULATE_READ  22
#define VMAC_MADV_POPULATE_WRITE 23

#define VMAC_MLOCK_ONFAULT 1

/* vm_flags bits of struct vmac_vma.flags, numbered as in the kernel's include/linux/mm.h. */
#define VMAC_VM_READ        0x00000001ULL
#define VMAC_VM_WRITE       0x00000002ULL
#define VMAC_VM_EXEC        0x00000004ULL
#define VMAC_VM_SHARED      0x00000008ULL
#define VMAC_VM_MAYREAD     0x00000010ULL
#define VMAC_VM_MAYWRITE    0x00000020ULL
#define VMAC_VM_MAYEXEC     0x00000040ULL
#define VMAC_VM_MAYSHARE    0x00000080ULL
#define VMAC_VM_GROWSDOWN   0x00000100ULL
#define VMAC_VM_LOCKED      0x00002000ULL
#define VMAC_VM_DONTCOPY    0x00020000ULL
#define VMAC_VM_LOCKONFAULT 0x00080000ULL
#define VMAC_VM_ACCOUNT     0x00100000ULL
#define VMAC_VM_NORESERVE   0x00200000ULL
#define VMAC_VM_WIPEONFORK  0x02000000ULL
#define VMAC_VM_DONTDUMP    0x04000000ULL

/* ---- connections ------------------------------------------------------------------------ */

struct vmac_conn;

/*
 * Connect to the daemon's Unix socket.  path NULL means $VMAD_SOCKET, else
 * VMAC_DEFAULT_SOCKET.  -ENAMETOOLONG if the path does not fit a sockaddr_un; otherwise the
 * errno of socket(2)/connect(2) (-ENOENT, -ECONNREFUSED, -EACCES, ...).
 */
VMAC_EXPORT int vmac_connect(const char *path, struct vmac_conn **out);
/* Close the connection and free it.  Accepts NULL. */
VMAC_EXPORT void vmac_close(struct vmac_conn *c);
/*
 * Drop the current socket (and everything outstanding on it, including a watch) and connect
 * again to the same path.  The library never reconnects by itself; note that the daemon
 * closes connections left idle (no request, no watch) for ten minutes.
 */
VMAC_EXPORT int vmac_reconnect(struct vmac_conn *c);
/*
 * 0 while the connection is usable; once a transport failure has broken it, the negative
 * errno of that failure (-EPIPE, -ECONNRESET, -ETIMEDOUT, -EPROTO, -EBADMSG, -EMSGSIZE).
 * Tells a refusal by the daemon (connection still fine) from a lost connection.
 */
VMAC_EXPORT int vmac_conn_error(const struct vmac_conn *c);
/* The daemon's explanation of the last refused call ("" if none). */
VMAC_EXPORT const char *vmac_errmsg(const struct vmac_conn *c);
/* The socket, for poll(2)/epoll(7) (see vmac_watch_next()).  Do not read or write it. */
VMAC_EXPORT int vmac_fd(const struct vmac_conn *c);
/*
 * Give up with -ETIMEDOUT (and break the connection) when the daemon makes no progress for
 * timeout_ms milliseconds while a reply is awaited; -1 (the default) waits for ever.
 */
VMAC_EXPORT void vmac_set_timeout(struct vmac_conn *c, int timeout_ms);
/* The library's version, e.g. "0.1.0". */
VMAC_EXPORT const char *vmac_version(void);

struct vmac_server_info {
	uint32_t version;   /* the daemon's protocol version */
	const char *server; /* free text, e.g. "vmad 0.1.0" */
};

/*
 * Introduce ourselves (client: free text for the daemon's log, may be NULL) and check the
 * protocol version: -EPROTONOSUPPORT when the daemon speaks another one (info, which may be
 * NULL, is filled whenever the daemon answered).  Optional: the other calls work without it.
 */
VMAC_EXPORT int vmac_hello(struct vmac_conn *c, const char *client, struct vmac_server_info *info);
VMAC_EXPORT int vmac_ping(struct vmac_conn *c);

/* ---- address spaces --------------------------------------------------------------------- */

enum vmac_layout {
	VMAC_LAYOUT_X86_64 = 0,        /* 47-bit, mmap top-down (the default) */
	VMAC_LAYOUT_X86_64_LEGACY = 1, /* 47-bit, mmap bottom-up from TASK_UNMAPPED_BASE */
	VMAC_LAYOUT_I386 = 2,          /* a 32-bit (i386) task, mmap top-down */
};

/* Bits of vmac_create_opts.set: which of the optional fields are given. */
#define VMAC_OPT_TASK_SIZE      (1u << 0)
#define VMAC_OPT_MMAP_BASE      (1u << 1)
#define VMAC_OPT_START_BRK      (1u << 2)
#define VMAC_OPT_MAX_MAP_COUNT  (1u << 3)
#define VMAC_OPT_RLIMIT_AS      (1u << 4)
#define VMAC_OPT_RLIMIT_DATA    (1u << 5)
#define VMAC_OPT_RLIMIT_STACK   (1u << 6)
#define VMAC_OPT_RLIMIT_MEMLOCK (1u << 7)
#define VMAC_OPT_MODE           (1u << 8)

#define VMAC_RLIM_INFINITY UINT64_MAX

/*
 * How to create a space.  A field is used only when its VMAC_OPT_* bit is in `set`; the
 * defaults are those of an x86_64 process started without address randomisation (TASK_SIZE
 * 0x7ffffffff000, mmap_base 0x7ffff7fff000 for the default 8 MiB stack rlimit, max_map_count
 * 65530, RLIMIT_AS and RLIMIT_DATA unlimited, RLIMIT_STACK and RLIMIT_MEMLOCK 8 MiB, mode
 * 0600).  Limits are in bytes.  A zeroed struct (or vmac_create_opts_init()) means all
 * defaults, layout VMAC_LAYOUT_X86_64 and no stack.
 */
struct vmac_create_opts {
	unsigned set;
	enum vmac_layout layout;
	bool with_stack; /* add the initial [stack] VMA that exec makes */
	uint64_t task_size;
	uint64_t mmap_base;
	uint64_t start_brk;
	uint64_t max_map_count;
	uint64_t rlimit_as, rlimit_data, rlimit_stack, rlimit_memlock;
	uint32_t mode; /* permission bits like a file's: r = read, w = change */
};

VMAC_EXPORT void vmac_create_opts_init(struct vmac_create_opts *opts);
/* A new, empty space (opts NULL = defaults).  -EEXIST if the name is taken. */
VMAC_EXPORT int vmac_create(struct vmac_conn *c, const char *name,
			    const struct vmac_create_opts *opts);
VMAC_EXPORT int vmac_destroy(struct vmac_conn *c, const char *name);
/* dst becomes src after fork(2): VM_DONTCOPY, VM_WIPEONFORK, mlock and anon_vma rules. */
VMAC_EXPORT int vmac_fork(struct vmac_conn *c, const char *src, const char *dst);

/*
 * Create a space from /proc/PID/maps text.  Of opts only layout and VMAC_OPT_MODE are used
 * (other bits: -EINVAL); NULL = defaults.
 */
VMAC_EXPORT int vmac_import(struct vmac_conn *c, const char *name, const char *maps_text,
			    const struct vmac_create_opts *opts);

struct vmac_space {
	const char *name;
	uint64_t map_count;
	uint64_t vm_size_kb;
	uint64_t vm_rss_kb;
	uint32_t uid, gid; /* owner */
	uint32_t mode;
};

/*
 * The spaces the caller may see.  *spaces is an array of *count entries owned by the
 * connection, valid until the next call on it.
 */
VMAC_EXPORT int vmac_list(struct vmac_conn *c, const struct vmac_space **spaces, size_t *count);

struct vmac_stats {
	uint64_t clients, spaces, vmas, requests, errors, uptime_sec, watchers;
};

VMAC_EXPORT int vmac_stats(struct vmac_conn *c, struct vmac_stats *out);

/* ---- system calls ----------------------------------------------------------------------- */

/* How a mapped file was opened. */
#define VMAC_FMODE_READ  1u
#define VMAC_FMODE_WRITE 2u

/*
 * The file behind a mapping.  Mappings of one file merge only when path and instance are
 * equal (two open(2) calls give two instances).  dev/ino are only printed by maps; size (when
 * size_known) bounds populate and faults as EOF does.
 */
struct vmac_file {
	const char *path;
	uint64_t instance;
	unsigned mode; /* VMAC_FMODE_* bits; 0 = read and write */
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	uint64_t size;
	bool size_known;
	bool noexec;  /* on a noexec mount: PROT_EXEC is refused */
	bool deleted; /* unlinked: maps appends " (deleted)" */
};

/* file NULL for anonymous memory.  *out_addr (may be NULL) gets the mapped address. */
VMAC_EXPORT int vmac_mmap(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len,
			  uint32_t prot, uint32_t flags, const struct vmac_file *file,
			  uint64_t offset, uint64_t *out_addr);
VMAC_EXPORT int vmac_munmap(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len);
VMAC_EXPORT int vmac_mprotect(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len,
			      uint32_t prot);
/* new_addr is used with VMAC_MREMAP_FIXED only. */
VMAC_EXPORT int vmac_mremap(struct vmac_conn *c, const char *name, uint64_t old_addr,
			    uint64_t old_len, uint64_t new_len, uint32_t flags, uint64_t new_addr,
			    uint64_t *out_addr);
/*
 * brk(2) as the raw system call: *out_brk (may be NULL) is the break after the call, the old
 * one when the request could not be met.  addr 0 queries.
 */
VMAC_EXPORT int vmac_brk(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t *out_brk);
VMAC_EXPORT int vmac_madvise(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len,
			     int advice);
VMAC_EXPORT int vmac_mlock(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len);
/* flags: 0 or VMAC_MLOCK_ONFAULT. */
VMAC_EXPORT int vmac_mlock2(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len,
			    unsigned flags);
VMAC_EXPORT int vmac_munlock(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len);

/* Make pages resident as mm_populate() would (write: as for a write access). */
VMAC_EXPORT int vmac_populate(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len,
			      bool write);

enum vmac_access { VMAC_ACCESS_READ = 0, VMAC_ACCESS_WRITE = 1, VMAC_ACCESS_EXEC = 2 };
enum vmac_fault_result {
	VMAC_FAULT_OK = 0,
	VMAC_FAULT_SEGV_MAPERR = 1,
	VMAC_FAULT_SEGV_ACCERR = 2,
	VMAC_FAULT_SIGBUS = 3, /* a file page at or beyond the end of the file */
};

/*
 * A page fault at addr: the page becomes resident and a GROWSDOWN stack grows as the kernel
 * would, or the signal the process would get.  Returns 0 with *result set.
 */
VMAC_EXPORT int vmac_fault(struct vmac_conn *c, const char *name, uint64_t addr,
			   enum vmac_access access, enum vmac_fault_result *result);

/* ---- lookups ---------------------------------------------------------------------------- */

/* One VMA.  path and line are valid until the next call on the connection (or iterator). */
struct vmac_vma {
	uint64_t start, end;
	uint64_t flags; /* VMAC_VM_* */
	uint64_t pgoff;
	char perms[5];   /* "rw-p" */
	uint64_t offset; /* as maps prints it (0 for anonymous memory) */
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	uint64_t rss_kb;
	const char *path; /* the maps name column: a path, "[heap]", "[stack]", ... or "" */
	const char *line; /* the exact /proc/PID/maps line, without the newline */
};

/* Bits of the non-negative value the find calls return. */
#define VMAC_FOUND_VMA  1
#define VMAC_FOUND_PREV 2

/* find_vma(): the first VMA with end > addr.  Returns VMAC_FOUND_VMA, or 0 if there is none. */
VMAC_EXPORT int vmac_find_vma(struct vmac_conn *c, const char *name, uint64_t addr,
			      struct vmac_vma *vma);
/*
 * find_vma_prev(): the same, plus the VMA before it (or the last VMA when none is found).
 * Returns a mask of VMAC_FOUND_VMA and VMAC_FOUND_PREV telling which were filled.
 */
VMAC_EXPORT int vmac_find_vma_prev(struct vmac_conn *c, const char *name, uint64_t addr,
				   struct vmac_vma *vma, struct vmac_vma *prev);
/* find_vma_intersection(): the first VMA overlapping [start, end).  VMAC_FOUND_VMA or 0. */
VMAC_EXPORT int vmac_find_vma_intersection(struct vmac_conn *c, const char *name, uint64_t start,
					   uint64_t end, struct vmac_vma *vma);

/*
 * /proc/PID/status figures in kB (map_count, brk, start_brk and mmap_base are plain numbers).
 * text is the daemon's rendering of the status lines, valid until the next call.
 */
struct vmac_status {
	uint64_t vm_peak, vm_size, vm_lck, vm_hwm, vm_rss;
	uint64_t rss_anon, rss_file, rss_shmem;
	uint64_t vm_data, vm_stk, vm_exe;
	uint64_t map_count;
	uint64_t brk, start_brk, mmap_base;
	const char *text;
};

VMAC_EXPORT int vmac_status(struct vmac_conn *c, const char *name, struct vmac_status *out);

/*
 * Iterate over the VMAs with end > from, in address order.  The daemon sends them in pages of
 * at most page_size (0 = its default); the iterator asks for the next page when one runs out,
 * so a space that changes meanwhile is seen as /proc/PID/maps readers see it.  The iterator
 * uses the connection for its requests (other calls may be made between steps) and must be
 * freed before the connection is closed.
 */
struct vmac_maps_iter;

VMAC_EXPORT int vmac_maps_open(struct vmac_conn *c, const char *name, uint64_t from,
			       uint32_t page_size, struct vmac_maps_iter **out);
/* 1 with *vma filled, 0 at the end, or a negative errno.  *vma's strings live until the
 * next step. */
VMAC_EXPORT int vmac_maps_next(struct vmac_maps_iter *it, struct vmac_vma *vma);
VMAC_EXPORT void vmac_maps_close(struct vmac_maps_iter *it); /* accepts NULL */

/* ---- watching --------------------------------------------------------------------------- */

enum vmac_event_kind {
	VMAC_EVENT_MMAP = 0,
	VMAC_EVENT_MUNMAP = 1,
	VMAC_EVENT_MPROTECT = 2,
	VMAC_EVENT_MREMAP = 3,
	VMAC_EVENT_BRK = 4,
	VMAC_EVENT_MADVISE = 5,
	VMAC_EVENT_MLOCK = 6,
	VMAC_EVENT_MUNLOCK = 7,
	VMAC_EVENT_POPULATE = 8,
	VMAC_EVENT_FAULT = 9,
	VMAC_EVENT_FORK = 10,
	VMAC_EVENT_DESTROY = 11,
	VMAC_EVENT_OVERFLOW = 12, /* `lost` events were dropped: the watcher read too slowly */
};

struct vmac_event {
	uint64_t seq;
	enum vmac_event_kind kind;
	const char *name; /* the space; strings are valid until the next vmac_watch_next() */
	uint64_t start, len;
	uint32_t old_prot, new_prot;
	uint64_t new_addr, new_len;
	uint64_t lost;
	uint32_t flags;          /* mmap, mremap, mlock flags as requested */
	int advice;              /* madvise */
	const char *target;      /* fork: the new space ("" otherwise) */
	const char *path;        /* mmap of a file: its path ("" otherwise) */
	enum vmac_access access; /* fault, populate */
};

/* "mmap", "munmap", ... ; "unknown" for a kind this library does not know. */
VMAC_EXPORT const char *vmac_event_kind_name(enum vmac_event_kind kind);

/*
 * Subscribe to the changes of a space.  From then on the connection only carries events:
 * other calls return -EBUSY (use a second connection for them) until vmac_reconnect().
 */
VMAC_EXPORT int vmac_watch(struct vmac_conn *c, const char *name);
/*
 * The next event: 0 with *ev filled, -EAGAIN if none arrived within timeout_ms (0 = do not
 * wait, -1 = wait for ever), -EINTR if a signal interrupted the wait, or another negative
 * errno (the watch ended: the daemon refused it, closed, or the connection broke).
 * For an event loop: poll vmac_fd() for input, then call vmac_watch_next(c, &ev, 0) until it
 * returns -EAGAIN (events may already be buffered; the fd alone does not show them).
 */
VMAC_EXPORT int vmac_watch_next(struct vmac_conn *c, struct vmac_event *ev, int timeout_ms);

/* ---- pipelining ------------------------------------------------------------------------- */

/*
 * For emulators that issue many requests: between vmac_pipeline_begin() and
 * vmac_pipeline_end() the request calls above (not maps iteration or watch) only queue
 * their request and return 0, or a negative errno if the request cannot be queued.  Their
 * out-parameters are remembered and written when the reply is collected, so they must stay
 * valid until then.  vmac_pipeline_end() sends what is queued (reading replies as they come,
 * so it never deadlocks) and returns the number of replies to collect; vmac_pipeline_next()
 * collects them in request order, setting *result to what the call would have returned.  The
 * daemon answers requests in order, so a pipelined sequence has the effect of the same calls
 * made one by one.  Until every reply is collected, other calls return -EBUSY.
 */
VMAC_EXPORT int vmac_pipeline_begin(struct vmac_conn *c);
VMAC_EXPORT int vmac_pipeline_end(struct vmac_conn *c);
/* 1 with *result set, 0 when no reply is outstanding, or a negative transport errno. */
VMAC_EXPORT int vmac_pipeline_next(struct vmac_conn *c, int *result);

#ifdef __cplusplus
}
#endif

#endif
