/* SPDX-License-Identifier: MIT */
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
 * Threads: the library has no global state but the in-process engine of vmac_open_local().  A
 * connection is not thread-safe: use one per thread, or serialise the calls on a connection
 * with a lock.  Distinct connections are independent and may be used concurrently (local ones
 * too: their requests are serialised inside the library).  vmac_version(), vmac_event_kind_name()
 * and the vmac_*_init() helpers are thread-safe.
 *
 * Signals: the library never changes signal dispositions.  It sends with MSG_NOSIGNAL, so a
 * daemon that dies mid-call gives -EPIPE or -ECONNRESET, never SIGPIPE.  Its socket has
 * SOCK_CLOEXEC.  Blocking calls restart after EINTR, except vmac_watch_next(), which returns
 * -EINTR so that a signal can end a watch loop.  It never writes to stdout or stderr.
 *
 * ABI: the SONAME stays libvmaclient.so.0 and every exported function carries a symbol
 * version (vmac_0.1, vmac_0.2, ...: the release that introduced it).  The layout of a struct
 * that the caller allocates never changes once released.  Structs introduced from 0.2 on end
 * in reserved words that the caller zeroes (their *_init() helper or "= {0}" does); a later
 * release may give a reserved word a meaning whose zero value keeps the old behaviour.  A
 * released struct that needs a new field gets a new version of each function taking it, and
 * the old version keeps its old layout (vmac_status@vmac_0.1 fills the 0.1 struct, without
 * vm_lib).  `make check` compares the library's ABI with the recorded one (abidiff).
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
#define VMAC_MADV_GUARD_INSTALL  102 /* any access to the range raises SIGSEGV (SEGV_MAPERR) */
#define VMAC_MADV_GUARD_REMOVE   103

#define VMAC_MLOCK_ONFAULT 1

/* mlockall(2) flags (0.2) */
#define VMAC_MCL_CURRENT 1
#define VMAC_MCL_FUTURE  2
#define VMAC_MCL_ONFAULT 4

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
/*
 * The engine inside the calling process, without a daemon: a connection whose calls run the
 * same code as vmad's (requests are handed to vmad's request handling in-process, not
 * encoded), with the same results, errno values, maps lines and messages.  Every local
 * connection of a process reaches the same spaces, which live while a local connection is
 * open, and belong to the process's effective uid.  Unlike vmad's, the engine has no limit
 * on the number of spaces.  vmac_fd() is an eventfd, readable while watch events wait;
 * vmac_reconnect() ends what the connection had outstanding (a watch) and keeps the spaces.
 * Transport errors (timeouts, a lost daemon) cannot happen.
 */
VMAC_EXPORT int vmac_open_local(struct vmac_conn **out);
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

/* personality(2) bits (include/uapi/linux/personality.h). */
#define VMAC_PER_ADDR_COMPAT_LAYOUT 0x0200000u
#define VMAC_PER_READ_IMPLIES_EXEC  0x0400000u
#define VMAC_PER_ADDR_LIMIT_32BIT   0x0800000u
#define VMAC_PER_ADDR_LIMIT_3GB     0x8000000u

/* Kernel build options and CPU features a space can model (off: as on vmad's own machines). */
#define VMAC_FEATURE_PKU           0x1u /* protection keys (the CPU's PKU, enabled by the OS) */
#define VMAC_FEATURE_ANON_VMA_NAME 0x2u /* CONFIG_ANON_VMA_NAME: PR_SET_VMA_ANON_NAME */

/*
 * Since vmac_0.2: what a space models beyond struct vmac_create_opts, whose 0.1 layout is
 * frozen.  personality is the one exec left the process with; a bit or feature the daemon
 * does not model gives -EINVAL rather than being ignored.  Zero everything not used
 * (reserved included); an all-zero struct or NULL means vmac_create().
 */
struct vmac_create_ext {
	uint32_t personality; /* VMAC_PER_* */
	uint32_t features;    /* VMAC_FEATURE_* */
	uint64_t reserved[4];
};

VMAC_EXPORT int vmac_create_ext(struct vmac_conn *c, const char *name,
				const struct vmac_create_opts *opts,
				const struct vmac_create_ext *ext);
VMAC_EXPORT int vmac_destroy(struct vmac_conn *c, const char *name);
/* dst becomes src after fork(2): VM_DONTCOPY, VM_WIPEONFORK, mlock and anon_vma rules. */
VMAC_EXPORT int vmac_fork(struct vmac_conn *c, const char *src, const char *dst);

/*
 * Create a space from /proc/PID/maps text.  Of opts only layout and VMAC_OPT_MODE are used
 * (other bits: -EINVAL); NULL = defaults.
 */
VMAC_EXPORT int vmac_import(struct vmac_conn *c, const char *name, const char *maps_text,
			    const struct vmac_create_opts *opts);

/*
 * Saved spaces (since vmac_0.2).  vmac_save() hands back one space, exactly, in the engine's
 * versioned and portable form: *data is malloc()ed and the caller frees it.  vmac_restore()
 * creates name from such bytes (mode as in vmac_create_opts, 0 = the default 0600), or, if
 * name exists and the caller may change it, replaces its contents in one step (its owner, mode
 * and watchers stay): the way to reset a guest to a known layout.  Bytes that are not a saved
 * space, or from a newer format, give -EINVAL / -EPROTONOSUPPORT and change nothing.  The
 * daemon's --max-frame bounds the size of a restore request.
 */
VMAC_EXPORT int vmac_save(struct vmac_conn *c, const char *name, void **data, size_t *len);
VMAC_EXPORT int vmac_restore(struct vmac_conn *c, const char *name, const void *data, size_t len,
			     uint32_t mode);

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

/*
 * Since 0.2: what each owner holds against the daemon's per-uid quotas, and its memory
 * budget.  Root is told about every uid, anyone else only about their own (no line when
 * they hold nothing).  Quotas refuse with -EDQUOT, the budget with -ENOMEM.
 */
struct vmac_usage_uid {
	uint32_t uid;
	uint64_t spaces, vmas;
	uint64_t reserved[4]; /* zero */
};

/* The caller allocates it zeroed ("= {0}"); uids points into the connection, valid until the
 * next call on it. */
struct vmac_usage {
	uint64_t max_spaces_per_uid, max_vmas_per_uid;
	uint64_t memory_used, memory_max;  /* bytes the daemon holds; its --memory-max */
	const struct vmac_usage_uid *uids; /* in uid order */
	size_t n_uids;
	uint64_t reserved[4];
};

VMAC_EXPORT int vmac_usage(struct vmac_conn *c, struct vmac_usage *out);

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
	uint64_t vm_lib;
};

VMAC_EXPORT int vmac_status(struct vmac_conn *c, const char *name, struct vmac_status *out);

/*
 * /proc/PID/smaps text of a space (0.2), or with rollup /proc/PID/smaps_rollup, as the kernel
 * prints it for what vmad models (figures it does not model print what the kernel prints
 * without them; see README).  On success *text is a NUL-terminated string the caller frees
 * with free(), and *len (if len is not NULL) its length; on failure *text is NULL.  -E2BIG when
 * the text does not fit one reply (about 1 KiB per VMA; the limit is the daemon's reply budget).
 */
VMAC_EXPORT int vmac_smaps(struct vmac_conn *c, const char *name, bool rollup, char **text,
			   size_t *len);

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
	/* 0.2 */
	VMAC_EVENT_CHANGED = 13,       /* a failed request changed the VMAs in [start, start+len) */
	VMAC_EVENT_RESTORE = 51,       /* the contents were replaced by a saved space */
	VMAC_EVENT_EXEC = 60,          /* replaced by exec: path is the program */
	VMAC_EVENT_FILE_SET_SIZE = 71, /* start: the open file's id, len: its new size */
	VMAC_EVENT_FILE_UNLINK = 72,   /* start: the open file's id */
	VMAC_EVENT_SET_BRK = 74,       /* start: start_brk, new_addr: brk */
	VMAC_EVENT_MSEAL = 75,
	VMAC_EVENT_PKEY_ALLOC = 80,    /* flags: the new key */
	VMAC_EVENT_PKEY_FREE = 81,     /* flags: the key */
	VMAC_EVENT_PKEY_MPROTECT = 82, /* new_prot; flags: the key (UINT32_MAX for -1) */
	VMAC_EVENT_MLOCKALL = 76,      /* flags */
	VMAC_EVENT_MUNLOCKALL = 77,
	VMAC_EVENT_SET_VMA_ANON_NAME = 86, /* start, len */
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

/* ---- views ------------------------------------------------------------------------------ */

/*
 * A view: a space published by the daemon in shared memory and mapped read-only here, so
 * that lookups run in the caller's process with no system call (proto/README.md, "Views",
 * gives the layout and the consistency rule).  The daemon brings the view up to date after
 * every change and before the change's reply is sent: once a call that changed the space has
 * returned, every view of it shows the change.  Each answer comes from one state the daemon
 * published (version: the number of that state, increasing with every change).
 *
 * Any number of threads may use one view at the same time.  A view does not use the
 * connection it came from (it has one of its own, which tells it whether the daemon lives),
 * and it stays valid after that connection is closed.  Its calls return -ENOENT once the space
 * was destroyed, -ENOTCONN once the daemon is gone (checked at most every 50 ms), -EAGAIN if
 * one change of the view lasted longer than a second (a lookup waits that long for it to
 * end), and -EBADMSG for a segment that is not well formed.  With vmac_open_local() the
 * view is the in-process engine's, in the caller's own memory.
 */
struct vmac_view;

/* A VMA as a view has it.  Filled in by the calls below (reserved words are zeroed). */
struct vmac_view_vma {
	uint64_t start, end;
	uint64_t flags; /* VMAC_VM_* */
	uint64_t pgoff;
	uint64_t offset; /* as maps prints it (0 for anonymous memory) */
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	uint64_t version; /* the published state the answer was read from */
	char perms[5];    /* "rw-p" */
	uint64_t reserved[4];
};

/* Needs read access to the space, as find does.  -ENOENT, -EACCES, ... */
VMAC_EXPORT int vmac_view_open(struct vmac_conn *c, const char *name, struct vmac_view **out);
VMAC_EXPORT void vmac_view_close(struct vmac_view *v); /* accepts NULL */
/*
 * find_vma(): VMAC_FOUND_VMA with *vma, 0 when no VMA ends above addr (then *vma is zeroed
 * but for its version, the state that answer comes from), or a negative errno.
 */
VMAC_EXPORT int vmac_view_find_vma(struct vmac_view *v, uint64_t addr, struct vmac_view_vma *vma);
/* find_vma_prev(): a mask of VMAC_FOUND_VMA and VMAC_FOUND_PREV, as vmac_find_vma_prev(). */
VMAC_EXPORT int vmac_view_find_vma_prev(struct vmac_view *v, uint64_t addr,
					struct vmac_view_vma *vma, struct vmac_view_vma *prev);
/* find_vma_intersection(): the first VMA overlapping [start, end).  VMAC_FOUND_VMA or 0. */
VMAC_EXPORT int vmac_view_find_vma_intersection(struct vmac_view *v, uint64_t start, uint64_t end,
						struct vmac_view_vma *vma);
/*
 * Iteration: set *cursor to the first address of interest (0 for all), then each call gives
 * the next VMA with end > *cursor (VMAC_FOUND_VMA) and moves *cursor to its end; 0 at the end.
 * Each step reads the state current then, as a /proc/PID/maps reader does.
 */
VMAC_EXPORT int vmac_view_next(struct vmac_view *v, uint64_t *cursor, struct vmac_view_vma *vma);
/*
 * access_ok() / page_check_range(): 0 when every byte of [addr, addr + len) is mapped by
 * VMAs whose flags have every VMAC_PROT_* bit of prot (READ, WRITE, EXEC only; 0 = mapped at
 * all).  Otherwise -EFAULT, with *bad_addr (may be NULL) the first address that fails.
 * len 0 succeeds; a range that wraps around fails at addr.
 */
VMAC_EXPORT int vmac_view_check(struct vmac_view *v, uint64_t addr, uint64_t len, uint32_t prot,
				uint64_t *bad_addr);
/*
 * The name column of vma's maps line ("[heap]", a path, ...) into buf: its length (0: no
 * name), -ESTALE when the view no longer has that VMA (look it up again), -ENOSPC.
 */
VMAC_EXPORT int vmac_view_name(struct vmac_view *v, const struct vmac_view_vma *vma, char *buf,
			       size_t size);
/* vma's whole /proc/PID/maps line (no newline) into buf: its length, or as vmac_view_name(). */
VMAC_EXPORT int vmac_view_line(struct vmac_view *v, const struct vmac_view_vma *vma, char *buf,
			       size_t size);
/* The version of the state the view shows now. */
VMAC_EXPORT int vmac_view_version(struct vmac_view *v, uint64_t *version);

/* ---- exec (vmac_0.2) --------------------------------------------------------------------- */

/*
 * How to exec.  Zero it (or vmac_exec_opts_init()); reserved words must stay zero.
 * envp: the environment, NULL-terminated (NULL = empty).  mode: for a new space (0 = 0600).
 * rlimit_stack: bytes (0 = the default 8 MiB).
 */
struct vmac_exec_opts {
	const char *const *envp;
	uint32_t mode;
	uint64_t rlimit_stack;
	/*
	 * VMAC_PER_* the exec runs under, as personality(2) set them before execve: a 64-bit
	 * program drops VMAC_PER_READ_IMPLIES_EXEC, VMAC_PER_ADDR_COMPAT_LAYOUT gives the legacy
	 * bottom-up layout, VMAC_PER_ADDR_LIMIT_3GB a 3 GiB i386 task.
	 */
	uint32_t personality;
	uint64_t reserved[4];
};

/* The mm fields exec sets, as /proc/PID/stat prints them, and the process's entry figures. */
struct vmac_exec_info {
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t entry;       /* the first instruction (the interpreter's, if there is one) */
	uint64_t load_bias;   /* where a PIE was loaded (0 for ET_EXEC) */
	uint64_t interp_base; /* AT_BASE, 0 without an interpreter */
	uint64_t vdso_base;   /* AT_SYSINFO_EHDR */
	uint64_t reserved[4];
};

VMAC_EXPORT void vmac_exec_opts_init(struct vmac_exec_opts *opts);
/*
 * execve(2) into a space: name becomes the layout the kernel leaves at program's first
 * instruction with address randomisation off (created, or replaced keeping its owner and
 * mode).  program is the path as execve would be given it (argv[0] is not implied); argv is
 * NULL-terminated.  The library reads the ELF headers of program and of its PT_INTERP
 * interpreter itself and sends their figures and stat(2) identity: the daemon opens no file.
 * An x86_64 ELF gives an x86_64 space, an i386 ELF an i386 one.  -ENOEXEC for a file exec
 * would refuse, -EACCES for one it may not run, -E2BIG for arguments that do not fit, or the
 * daemon's answer.  info (may be NULL) is filled on success.
 */
VMAC_EXPORT int vmac_exec(struct vmac_conn *c, const char *name, const char *program,
			  const char *const argv[], const struct vmac_exec_opts *opts,
			  struct vmac_exec_info *info);

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

/* ---- open files (0.2) ------------------------------------------------------------------- */

/*
 * What a mapped file is.  A plain path (struct vmac_file, VMAC_FILE_DISK here) is taken to be
 * a regular file on a disk filesystem: placements of 2 MiB or more are THP-aligned and its
 * pages count in RssFile.  A tmpfs file (memfd, /dev/shm) is placed without alignment and its
 * pages count in RssShmem.  /dev/zero mapped MAP_SHARED through a writable open is shared
 * anonymous memory ("/dev/zero (deleted)", a new object per mmap, never merging); otherwise
 * it is anonymous memory that keeps the name.
 */
enum vmac_file_kind {
	VMAC_FILE_DISK = 0,
	VMAC_FILE_TMPFS = 1,
	VMAC_FILE_DEV_ZERO = 2,
};

/*
 * A file as the kernel knows an open file description: either described here (path,
 * instance, mode, device, inode, size, mount flag, kind, as struct vmac_file plus the kind),
 * or, with id != 0, a file registered with vmac_file_open(), the other fields then unused.
 * Zero the struct first (vmac_file_info_init() or "= {0}"), reserved words included.
 */
struct vmac_file_info {
	const char *path;
	uint64_t instance;
	unsigned mode; /* VMAC_FMODE_* bits; 0 = read and write */
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	uint64_t size;
	bool size_known;
	bool noexec;
	bool deleted;
	enum vmac_file_kind kind;
	uint64_t id;
	uint64_t reserved[4];
};

VMAC_EXPORT void vmac_file_info_init(struct vmac_file_info *f);

/*
 * Files as objects of a space, like the kernel's struct file and inode.  vmac_file_open()
 * registers an open file description (f->id must be 0) and gives its id (never 0, never
 * reused in the space).  Mappings made with vmac_mmap_file() and {.id = id} refer to it: they
 * merge only with mappings of the same open file; faults compare with its current size.
 * vmac_file_set_size() is truncate/ftruncate or a write past the end: shrinking it drops the
 * pages beyond the new end from every mapping (so later faults there raise SIGBUS).
 * vmac_file_unlink() marks it deleted (maps prints " (deleted)").  vmac_file_close() closes
 * the description: its mappings keep it, its id no longer names it.  -EBADF: no open file
 * with that id in the space.  A forked space gets a copy of every open file under the same
 * ids; spaces do not share files.
 */
VMAC_EXPORT int vmac_file_open(struct vmac_conn *c, const char *name,
			       const struct vmac_file_info *f, uint64_t *out_id);
VMAC_EXPORT int vmac_file_set_size(struct vmac_conn *c, const char *name, uint64_t id,
				   uint64_t size);
VMAC_EXPORT int vmac_file_unlink(struct vmac_conn *c, const char *name, uint64_t id);
VMAC_EXPORT int vmac_file_close(struct vmac_conn *c, const char *name, uint64_t id);
/* vmac_mmap() of a file given as struct vmac_file_info (NULL: anonymous memory). */
VMAC_EXPORT int vmac_mmap_file(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len,
			       uint32_t prot, uint32_t flags, const struct vmac_file_info *f,
			       uint64_t offset, uint64_t *out_addr);
/*
 * mseal(2) (0.2): the VMAs of [addr, addr + len) become sealed (flags must be 0); munmap,
 * MAP_FIXED over them, mremap, mprotect, a brk shrink and madvise that discards anonymous
 * memory the caller cannot write then give -EPERM.  -ENOMEM when the range has a hole.
 */
VMAC_EXPORT int vmac_mseal(struct vmac_conn *c, const char *name, uint64_t addr, uint64_t len,
			   unsigned flags);
/*
 * mlockall(2) (0.2).  flags: VMAC_MCL_CURRENT locks every mapping that can be locked and
 * populates the space; VMAC_MCL_FUTURE makes later mmaps and brk growth locked (and populated);
 * VMAC_MCL_ONFAULT with either locks without populating (VM_LOCKONFAULT).  A call without
 * VMAC_MCL_FUTURE ends the locking of later mappings.  -EINVAL: 0, VMAC_MCL_ONFAULT alone or an
 * unknown bit; -EPERM: RLIMIT_MEMLOCK 0 without CAP_IPC_LOCK; -ENOMEM: VMAC_MCL_CURRENT when
 * the space's whole size is above RLIMIT_MEMLOCK (without CAP_IPC_LOCK).
 */
VMAC_EXPORT int vmac_mlockall(struct vmac_conn *c, const char *name, unsigned flags);
/* munlockall(2) (0.2): every mapping is unlocked, and later ones are not locked. */
VMAC_EXPORT int vmac_munlockall(struct vmac_conn *c, const char *name);

/*
 * Protection keys (0.2): pkey_alloc(2), pkey_free(2), pkey_mprotect(2).  A space created with
 * VMAC_FEATURE_PKU is a machine with PKU (16 keys, key 0 in use, an execute-only key for
 * PROT_EXEC-only mappings; a VMA's key is part of its flags, VMAC_VM_PKEY_*); other spaces
 * answer as the kernel does on a CPU without it: the first vmac_pkey_alloc() gives -EINVAL,
 * later ones -ENOSPC, and vmac_pkey_mprotect() accepts no key but -1 (-EINVAL).
 * init_val: VMAC_PKEY_DISABLE_ACCESS | VMAC_PKEY_DISABLE_WRITE (the rights live in the thread's
 * PKRU register, which is not modelled).  pkey -1 in vmac_pkey_mprotect() keeps each VMA's key.
 */
#define VMAC_PKEY_DISABLE_ACCESS 0x1
#define VMAC_PKEY_DISABLE_WRITE  0x2
#define VMAC_VM_PKEY_SHIFT       32 /* a VMA's key: (flags >> 32) & 15 */
#define VMAC_VM_PKEY_MASK        0xf00000000ULL
VMAC_EXPORT int vmac_pkey_alloc(struct vmac_conn *c, const char *name, unsigned flags,
				unsigned init_val, int *out_pkey);
VMAC_EXPORT int vmac_pkey_free(struct vmac_conn *c, const char *name, int pkey);
VMAC_EXPORT int vmac_pkey_mprotect(struct vmac_conn *c, const char *name, uint64_t addr,
				   uint64_t len, uint32_t prot, int pkey);

/*
 * prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, addr, len, anon_name) (0.2): names the anonymous
 * VMAs of [addr, addr + len) (anon_name NULL clears); maps shows "[anon:NAME]" (shared
 * anonymous memory "[anon_shmem:NAME]") and names take part in merging.  -EINVAL unless the
 * space was created with VMAC_FEATURE_ANON_VMA_NAME (as on a kernel without
 * CONFIG_ANON_VMA_NAME), or for a name of VMAC_ANON_VMA_NAME_MAX bytes or more or with a
 * character outside printable ASCII or one of \ ` $ [ ]; -EBADF at a file mapping and -ENOMEM
 * at a hole (the VMAs before it named).
 */
#define VMAC_ANON_VMA_NAME_MAX 80 /* with the NUL */
VMAC_EXPORT int vmac_set_vma_anon_name(struct vmac_conn *c, const char *name, uint64_t addr,
				       uint64_t len, const char *anon_name);

/*
 * Set the program break of a space: start_brk (page aligned) and brk (start_brk <= brk <= the
 * task size), e.g. after vmac_import() when the caller knows where the kernel put it.
 */
VMAC_EXPORT int vmac_set_brk(struct vmac_conn *c, const char *name, uint64_t start_brk,
			     uint64_t brk);

#ifdef __cplusplus
}
#endif

#endif
