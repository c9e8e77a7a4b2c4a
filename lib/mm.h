/* SPDX-License-Identifier: MIT */
/*
 * The vmad address-space engine: a model of Linux (x86_64, 6.18) VMA bookkeeping.
 *
 * Pure computation: no I/O, no globals, no threads.  Every operation mirrors a system call
 * and returns what the kernel returns for the same sequence: 0 or a negative errno, with
 * addresses through out-parameters.  The behaviour is the kernel's (mm/mmap.c, mm/vma.c,
 * mm/mprotect.c, mm/mremap.c, mm/mlock.c, mm/madvise.c, mm/memory.c, kernel/fork.c, and the
 * system calls' man pages); the real kernel is the judge (tests/conformance).
 *
 * Numeric arguments (prot, flags, advice) use the Linux x86_64 ABI values, spelled below so
 * that the engine does not depend on the host's headers; the wire protocol carries the same
 * numbers.
 */
#ifndef VMAD_MM_H
#define VMAD_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MM_PAGE_SHIFT    12
#define MM_PAGE_SIZE     4096ULL
#define MM_RLIM_INFINITY UINT64_MAX

/* mmap(2) / mprotect(2) prot */
#define MM_PROT_NONE      0x0
#define MM_PROT_READ      0x1
#define MM_PROT_WRITE     0x2
#define MM_PROT_EXEC      0x4
#define MM_PROT_SEM       0x8
#define MM_PROT_GROWSDOWN 0x01000000
#define MM_PROT_GROWSUP   0x02000000

/* mmap(2) flags */
#define MM_MAP_SHARED          0x01
#define MM_MAP_PRIVATE         0x02
#define MM_MAP_SHARED_VALIDATE 0x03
#define MM_MAP_DROPPABLE       0x08
#define MM_MAP_TYPE            0x0f
#define MM_MAP_FIXED           0x10
#define MM_MAP_ANONYMOUS       0x20
#define MM_MAP_32BIT           0x40
#define MM_MAP_GROWSDOWN       0x0100
#define MM_MAP_DENYWRITE       0x0800
#define MM_MAP_EXECUTABLE      0x1000
#define MM_MAP_LOCKED          0x2000
#define MM_MAP_NORESERVE       0x4000
#define MM_MAP_POPULATE        0x8000
#define MM_MAP_NONBLOCK        0x10000
#define MM_MAP_STACK           0x20000
#define MM_MAP_HUGETLB         0x40000
#define MM_MAP_SYNC            0x80000
#define MM_MAP_FIXED_NOREPLACE 0x100000

/* mremap(2) flags */
#define MM_MREMAP_MAYMOVE   1
#define MM_MREMAP_FIXED     2
#define MM_MREMAP_DONTUNMAP 4

/* madvise(2) advice */
#define MM_MADV_NORMAL         0
#define MM_MADV_RANDOM         1
#define MM_MADV_SEQUENTIAL     2
#define MM_MADV_WILLNEED       3
#define MM_MADV_DONTNEED       4
#define MM_MADV_FREE           8
#define MM_MADV_REMOVE         9
#define MM_MADV_DONTFORK       10
#define MM_MADV_DOFORK         11
#define MM_MADV_MERGEABLE      12
#define MM_MADV_UNMERGEABLE    13
#define MM_MADV_HUGEPAGE       14
#define MM_MADV_NOHUGEPAGE     15
#define MM_MADV_DONTDUMP       16
#define MM_MADV_DODUMP         17
#define MM_MADV_WIPEONFORK     18
#define MM_MADV_KEEPONFORK     19
#define MM_MADV_COLD           20
#define MM_MADV_PAGEOUT        21
#define MM_MADV_POPULATE_READ  22
#define MM_MADV_POPULATE_WRITE 23
#define MM_MADV_GUARD_INSTALL  102 /* guard markers: any access raises SIGSEGV (SEGV_MAPERR) */
#define MM_MADV_GUARD_REMOVE   103

/* mlock2(2) flags */
#define MM_MLOCK_ONFAULT 1

/* mlockall(2) flags */
#define MM_MCL_CURRENT 1
#define MM_MCL_FUTURE  2
#define MM_MCL_ONFAULT 4

/* How a mapped file was opened (FMODE_READ / FMODE_WRITE). */
#define MM_FMODE_READ  1u
#define MM_FMODE_WRITE 2u

/* vm_flags bits, numbered as in include/linux/mm.h. */
#define VM_NONE        0x00000000ULL
#define VM_READ        0x00000001ULL
#define VM_WRITE       0x00000002ULL
#define VM_EXEC        0x00000004ULL
#define VM_SHARED      0x00000008ULL
#define VM_MAYREAD     0x00000010ULL
#define VM_MAYWRITE    0x00000020ULL
#define VM_MAYEXEC     0x00000040ULL
#define VM_MAYSHARE    0x00000080ULL
#define VM_GROWSDOWN   0x00000100ULL
#define VM_PFNMAP      0x00000400ULL
#define VM_MAYBE_GUARD 0x00000800ULL
#define VM_LOCKED      0x00002000ULL
#define VM_IO          0x00004000ULL
#define VM_SEQ_READ    0x00008000ULL
#define VM_RAND_READ   0x00010000ULL
#define VM_DONTCOPY    0x00020000ULL
#define VM_DONTEXPAND  0x00040000ULL
#define VM_LOCKONFAULT 0x00080000ULL
#define VM_ACCOUNT     0x00100000ULL
#define VM_NORESERVE   0x00200000ULL
#define VM_HUGETLB     0x00400000ULL
#define VM_SYNC        0x00800000ULL
#define VM_WIPEONFORK  0x02000000ULL
#define VM_DONTDUMP    0x04000000ULL
#define VM_SOFTDIRTY   0x08000000ULL
#define VM_MIXEDMAP    0x10000000ULL
#define VM_HUGEPAGE    0x20000000ULL
#define VM_NOHUGEPAGE  0x40000000ULL
#define VM_MERGEABLE   0x80000000ULL
#define VM_PKEY_BIT0   0x100000000ULL /* VM_HIGH_ARCH_0..3 (bits 32-35): x86 protection key */
#define VM_PKEY_BIT1   0x200000000ULL
#define VM_PKEY_BIT2   0x400000000ULL
#define VM_PKEY_BIT3   0x800000000ULL
#define VM_PKEY_SHIFT  32
#define VM_PKEY_MASK   (VM_PKEY_BIT0 | VM_PKEY_BIT1 | VM_PKEY_BIT2 | VM_PKEY_BIT3)
#define VM_DROPPABLE   0x10000000000ULL /* VM_DROPPABLE_BIT 40 (64-bit) */
#define VM_SEALED      0x40000000000ULL /* VM_SEALED_BIT 42 (64-bit) */

/*
 * personality(2) bits (include/uapi/linux/personality.h) a space can be created with.  The
 * engine takes a space's personality as exec leaves it; which bits it models is MM_PER_MODELLED,
 * and mm_create() refuses others with -EINVAL rather than ignore them.  As on this kernel:
 * - ADDR_COMPAT_LAYOUT: the legacy bottom-up layout (arch/x86/mm/mmap.c: mmap_is_legacy()),
 *   from TASK_UNMAPPED_BASE = PAGE_ALIGN(task_size / 3), whatever the layout field says; the
 *   layout MM_LAYOUT_X86_64_LEGACY is the same choice made without the bit (vm.legacy_va_layout);
 * - READ_IMPLIES_EXEC: PROT_READ mappings and the data defaults gain PROT_EXEC; exec of a 64-bit
 *   program clears it (set_personality_64bit()), exec of an i386 one keeps it;
 * - ADDR_LIMIT_3GB: TASK_SIZE of an i386 task is 0xc0000000 instead of 0xffffe000
 *   (IA32_PAGE_OFFSET), which mm_exec() applies; an i386 space created with it may not have a
 *   larger task size; a 64-bit task's 64-bit system calls do not see it;
 * - ADDR_LIMIT_32BIT: nothing on x86 (checked on this kernel for 64-bit and i386 execs); kept.
 */
#define MM_PER_ADDR_COMPAT_LAYOUT 0x0200000u
#define MM_PER_READ_IMPLIES_EXEC  0x0400000u
#define MM_PER_ADDR_LIMIT_32BIT   0x0800000u
#define MM_PER_ADDR_LIMIT_3GB     0x8000000u
#define MM_PER_MODELLED                                                                            \
	(MM_PER_ADDR_COMPAT_LAYOUT | MM_PER_READ_IMPLIES_EXEC | MM_PER_ADDR_LIMIT_32BIT |          \
	 MM_PER_ADDR_LIMIT_3GB)
/* IA32_PAGE_OFFSET: the task size of an i386 task with and without ADDR_LIMIT_3GB. */
#define MM_IA32_TASK_SIZE_3GB 0xc0000000ULL
#define MM_IA32_TASK_SIZE     0xffffe000ULL

/*
 * Kernel build options and CPU features that change the answers, off unless set: the
 * defaults are those of the machines vmad is checked against.  mm_create() refuses bits
 * outside MM_FEAT_MODELLED with -EINVAL.
 */
#define MM_FEAT_PKU           0x1u /* CPU protection keys (X86_FEATURE_OSPKE) */
#define MM_FEAT_ANON_VMA_NAME 0x2u /* CONFIG_ANON_VMA_NAME */
#define MM_FEAT_MODELLED      (MM_FEAT_PKU | MM_FEAT_ANON_VMA_NAME)

enum mm_layout {
	MM_LAYOUT_X86_64 = 0,        /* 47-bit, top-down (MMF_TOPDOWN) */
	MM_LAYOUT_X86_64_LEGACY = 1, /* 47-bit, bottom-up from TASK_UNMAPPED_BASE */
	MM_LAYOUT_I386 = 2,          /* 3 GiB compat task, top-down */
};

/*
 * Creation parameters.  mm_config_init() fills in the values of a process of that layout
 * started without address randomisation; a zero mmap_base / mmap_legacy_base is derived
 * from task_size and rlimit_stack as arch_pick_mmap_layout() does, a zero start_brk as the
 * break of a small PIE loaded at ELF_ET_DYN_BASE (2/3 of task_size), a zero start_stack as
 * the top page of the task.
 */
struct mm_config {
	enum mm_layout layout;
	uint64_t task_size;
	uint64_t mmap_base;        /* top-down search limit; 0 = derive */
	uint64_t mmap_legacy_base; /* bottom-up start; 0 = derive (TASK_UNMAPPED_BASE) */
	uint64_t start_brk;        /* initial program break (page aligned); 0 = derive */
	uint64_t start_stack;      /* initial stack pointer area ([stack] naming); 0 = derive */
	uint64_t mmap_min_addr;    /* effective: max(dac value, LSM value) */
	uint64_t dac_mmap_min_addr;
	uint64_t stack_guard_gap;
	uint64_t max_map_count;
	uint64_t rlimit_as, rlimit_data, rlimit_stack, rlimit_memlock; /* bytes */
	bool with_stack;       /* add the initial [stack] VMA exec makes */
	bool gate_vma;         /* print the x86_64 [vsyscall] line in maps */
	bool cap_sys_rawio;    /* may map below dac_mmap_min_addr */
	bool cap_ipc_lock;     /* mlock limits do not apply */
	bool thp;              /* CONFIG_TRANSPARENT_HUGEPAGE built in (alignment, MAP_STACK) */
	bool overcommit_never; /* vm.overcommit_memory = 2 */
	/*
	 * totalram_pages() + total_swap_pages: vm.overcommit_memory = 0 refuses one charge
	 * larger than that (mm/util.c: __vm_enough_memory()).  0 = no such check.
	 */
	uint64_t overcommit_ram_pages;
	uint32_t personality; /* MM_PER_* */
	uint32_t features;    /* MM_FEAT_* */
};

/*
 * What a mapped file is.  A plain path is taken to be MM_FILE_DISK.
 * - MM_FILE_DISK: a regular file on a disk filesystem (ext4, xfs): a placement of 2 MiB or
 *   more is THP-aligned (thp_get_unmapped_area()), its pages count in RssFile;
 * - MM_FILE_TMPFS: a tmpfs/shmem file (memfd, /dev/shm, SysV shm): no alignment
 *   (shmem_get_unmapped_area() with shmem THP off, the default), its pages count in RssShmem
 *   and live in the file, so that every mapping of it sees them;
 * - MM_FILE_DEVZERO: /dev/zero (drivers/char/mem.c: mmap_zero()): MAP_SHARED through a
 *   writable open makes a new shmem object per mmap ("/dev/zero (deleted)", device 00:01,
 *   never merging); otherwise (MAP_PRIVATE, or MAP_SHARED of a read-only open, which has no
 *   VM_SHARED) it is anonymous memory that keeps the file's name and merges like a file
 *   mapping.  Placement follows the mmap flags: shmem's for MAP_SHARED, THP-aligned else.
 */
enum mm_file_kind {
	MM_FILE_DISK = 0,
	MM_FILE_TMPFS = 1,
	MM_FILE_DEVZERO = 2,
};

/*
 * A file mapping's identity, as the caller describes it, or (id != 0) an open file
 * registered with mm_file_open(), whose other fields are then ignored.  Described inline,
 * equal descriptions (size and deleted aside, which are the file's current state and update
 * the object) mean one open file description.
 */
struct mm_file_desc {
	const char *path;
	uint64_t instance; /* open-instance number: equal path and instance = one struct file */
	unsigned mode;     /* MM_FMODE_* */
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	uint64_t size; /* bytes, for EOF; MM_FILE_SIZE_UNKNOWN if unknown */
	bool noexec;   /* on a noexec mount */
	bool deleted;  /* unlinked: maps appends " (deleted)" */
	enum mm_file_kind kind;
	uint64_t id; /* a registered open file; 0 = described by the fields above */
};
#define MM_FILE_SIZE_UNKNOWN UINT64_MAX

struct mm;
struct vma;

/* A read-only view of one VMA; pointers stay valid until the next change to the mm. */
struct mm_vma_info {
	uint64_t start, end;
	uint64_t flags; /* VM_* */
	uint64_t pgoff;
	const char *path; /* file path; NULL for private anonymous memory */
	bool shmem;       /* shared anonymous memory (printed as "/dev/zero (deleted)") */
	bool deleted;
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	uint64_t anon_vma; /* 0 = none */
	bool fork_child;
	uint64_t rss_anon, rss_file, rss_shmem; /* resident pages by kind */
	int pkey;              /* protection key (VM_PKEY_BIT0..3); 0 without PKU */
	const char *anon_name; /* prctl(PR_SET_VMA_ANON_NAME)'s name, or NULL */
};

/* A VMA's resident memory in kB, as the Rss line of smaps adds it up. */
static inline uint64_t
mm_vma_info_rss_kb(const struct mm_vma_info *info)
{
	return (info->rss_anon + info->rss_file + info->rss_shmem) * (MM_PAGE_SIZE / 1024);
}

/* Counters behind /proc/PID/status, in pages unless named otherwise, plus the layout. */
struct mm_status {
	uint64_t total_vm, data_vm, exec_vm, stack_vm, locked_vm;
	uint64_t hiwater_vm, hiwater_rss;
	uint64_t rss_anon, rss_file, rss_shmem;
	uint64_t map_count;
	uint64_t task_size, mmap_base, mmap_legacy_base;
	uint64_t start_brk, brk, start_stack;
	uint64_t start_code, end_code;
	bool topdown;
	bool gate_vma;
	bool pkeys_enabled; /* arch_pkeys_enabled(): MM_FEAT_PKU (smaps prints ProtectionKey) */
};

enum mm_access { MM_ACCESS_READ = 0, MM_ACCESS_WRITE = 1, MM_ACCESS_EXEC = 2 };
/* MM_FAULT_SIGBUS: a file or shmem page at or beyond the end of the file. */
enum mm_fault_result {
	MM_FAULT_OK = 0,
	MM_FAULT_MAPERR = 1,
	MM_FAULT_ACCERR = 2,
	MM_FAULT_SIGBUS = 3,
};

/* Lifecycle. */
void mm_config_init(struct mm_config *cfg, enum mm_layout layout);
int mm_create(const struct mm_config *cfg, struct mm **out); /* -EINVAL on a bad config */
void mm_destroy(struct mm *mm);                              /* accepts NULL */
int mm_fork(struct mm *parent, struct mm **child);           /* dup_mmap() rules */

/* System calls.  All return 0 or a negative errno unless said otherwise. */
int mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
	    const struct mm_file_desc *file, uint64_t offset, uint64_t *out_addr);
int mm_munmap(struct mm *mm, uint64_t addr, uint64_t len);
int mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot);
int mm_mremap(struct mm *mm, uint64_t old_addr, uint64_t old_len, uint64_t new_len, uint32_t flags,
	      uint64_t new_addr, uint64_t *out_addr);
/* brk(2) as the raw system call: returns the break after the call (the old one on failure). */
uint64_t mm_brk(struct mm *mm, uint64_t brk);
int mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice);
int mm_mlock(struct mm *mm, uint64_t addr, uint64_t len, uint32_t flags); /* mlock2 */
int mm_munlock(struct mm *mm, uint64_t addr, uint64_t len);
/*
 * mlockall(2) and munlockall(2) (mm/mlock.c: apply_mlockall_flags()).  MCL_CURRENT locks every
 * VMA that can be locked (not VM_IO/VM_PFNMAP/VM_DONTEXPAND/VM_MIXEDMAP, hugetlb or droppable
 * memory) and populates the whole space, errors ignored; MCL_FUTURE makes later mmaps and
 * brk growth locked and populated (def_flags; a stack VMA that grows keeps its own flags),
 * MCL_ONFAULT with either adds VM_LOCKONFAULT and skips the population.  A call without MCL_FUTURE
 * clears def_flags' lock bits.  -EINVAL: no flag, MCL_ONFAULT alone or an unknown bit; -EPERM:
 * RLIMIT_MEMLOCK 0 without CAP_IPC_LOCK; -ENOMEM: MCL_CURRENT with total_vm above the limit.
 * munlockall unlocks every VMA and clears def_flags' lock bits.  mm_def_flags() returns
 * def_flags (VM_LOCKED, VM_LOCKONFAULT, VM_NOHUGEPAGE).
 */
int mm_mlockall(struct mm *mm, uint32_t flags);
int mm_munlockall(struct mm *mm);
uint64_t mm_def_flags(const struct mm *mm);
/*
 * mseal(2) (mm/mseal.c: do_mseal()): the VMAs of the range become VM_SEALED, after which
 * munmap, MAP_FIXED over them, mremap, mprotect, a brk shrink and discarding madvise
 * (anonymous memory the caller cannot write) give EPERM.  flags must be 0.
 */
int mm_mseal(struct mm *mm, uint64_t addr, uint64_t len, uint64_t flags);

/*
 * Memory protection keys (lib/pkeys.c; mm/mprotect.c, arch/x86/include/asm/pkeys.h,
 * arch/x86/mm/pkeys.c).  With MM_FEAT_PKU the space is a PKU machine: 16 keys, key 0
 * allocated at creation, a VMA's key in its vm_flags (VM_PKEY_BIT0..3, so that merging
 * compares it), an execute-only key that a PROT_EXEC-only mmap or mprotect allocates and
 * uses.  Without it the space is a CPU without PKU, as the kernel answers there: the first
 * pkey_alloc gives -EINVAL (and leaves key 0 marked in use), later ones -ENOSPC, and no key
 * but -1 is accepted.  The allocation map survives fork.
 * mm_pkey_alloc(): flags must be 0, init_val within PKEY_DISABLE_ACCESS | PKEY_DISABLE_WRITE
 * (the access rights go to the thread's PKRU register, not modelled).  mm_pkey_free() of a
 * key still used by VMAs is allowed, as in the kernel.  mm_pkey_mprotect() is mprotect with a
 * key (-1: keep each VMA's, as mprotect does).
 */
#define MM_PKEY_DISABLE_ACCESS 0x1
#define MM_PKEY_DISABLE_WRITE  0x2
#define MM_PKEYS_PKU           16
int mm_pkey_alloc(struct mm *mm, uint32_t flags, uint32_t init_val, int *pkey);
int mm_pkey_free(struct mm *mm, int pkey);
int mm_pkey_mprotect(struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot, int pkey);

/*
 * prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, addr, len, name) (lib/anon_name.c; kernel/sys.c:
 * prctl_set_vma(), mm/madvise.c: madvise_set_anon_name()).  Without MM_FEAT_ANON_VMA_NAME
 * (a kernel without CONFIG_ANON_VMA_NAME) it is -EINVAL, always.  name must be shorter than
 * MM_ANON_VMA_NAME_MAX with its NUL and printable ASCII without \ ` $ [ ], else -EINVAL;
 * name NULL clears.  The range walks like madvise: a hole gives -ENOMEM after
 * the mapped parts are named; a file mapping (not shared anonymous memory) gives -EBADF, the
 * VMAs before it named.  Names take part in merging; maps shows "[anon:NAME]" (after [heap]
 * and [stack]) or "[anon_shmem:NAME]"; fork copies them.
 */
#define MM_ANON_VMA_NAME_MAX 80 /* ANON_VMA_NAME_MAX_LEN, the NUL included */
int mm_set_vma_anon_name(struct mm *mm, uint64_t addr, uint64_t len, const char *name);

/*
 * Open files (lib/files.c), as the kernel's struct file and inode: mmaps refer to them by id,
 * merging compares the open file description, and the EOF checks of faults read the current
 * size.  mm_file_open() registers an open file description (the path, mode, device, inode,
 * size, mount flags and kind of d; d->id must be 0) and returns its id (never 0, never
 * reused in this mm).  mm_file_set_size() is truncate/ftruncate or a write past the end:
 * shrinking it drops every page beyond the new end from every mapping of the file (private
 * copies too, as truncate_pagecache() does), so later faults there raise SIGBUS.
 * mm_file_unlink() marks it deleted (maps prints " (deleted)").  mm_file_close() closes the
 * description: mappings keep the file, the id stops naming it.  Errors: -EBADF for an
 * unknown or closed id, -EINVAL for a bad description.  A fork's child gets its own copy of
 * every file, under the same ids (spaces do not share files).
 */
int mm_file_open(struct mm *mm, const struct mm_file_desc *d, uint64_t *id);
int mm_file_set_size(struct mm *mm, uint64_t id, uint64_t size);
int mm_file_unlink(struct mm *mm, uint64_t id);
int mm_file_close(struct mm *mm, uint64_t id);

/* Page-level events. */
int mm_populate(struct mm *mm, uint64_t addr, uint64_t len, bool write); /* mm_populate() */
int mm_fault(struct mm *mm, uint64_t addr, enum mm_access access, enum mm_fault_result *result);

/* Lookups (mm is not const: they refresh the lookup cache). */
const struct vma *mm_find_vma(struct mm *mm, uint64_t addr);
const struct vma *mm_vma_lookup(struct mm *mm, uint64_t addr);
const struct vma *mm_find_vma_prev(struct mm *mm, uint64_t addr, const struct vma **prev);
const struct vma *mm_find_vma_intersection(struct mm *mm, uint64_t start, uint64_t end);

/* Iteration in address order, and the view of one VMA. */
const struct vma *mm_first_vma(const struct mm *mm);
const struct vma *mm_next_vma(const struct vma *vma);
void mm_vma_info(const struct vma *vma, struct mm_vma_info *out);
void mm_get_status(const struct mm *mm, struct mm_status *out);

/* Addresses [lo, hi). */
struct mm_range {
	uint64_t lo, hi;
};

/* At most this many ranges of changes: an mremap move changes two places far apart. */
#define MM_CHANGED_RANGES 2

/*
 * What changed since the last call, for a copy of the VMAs kept elsewhere (the daemon's
 * views): the ranges (disjoint, at most MM_CHANGED_RANGES, their count returned) cover the
 * whole extent, before and after, of every VMA that was added, removed or given another range,
 * flags, offset, file or maps name; a VMA that crosses an edge of one did not change.  The
 * ranges are then forgotten.  A new or loaded mm starts with everything changed.  This is
 * bookkeeping for copies, not state of the modelled mm: mm_save() does not keep it.
 */
unsigned mm_take_changed(struct mm *mm, struct mm_range out[MM_CHANGED_RANGES]);
/*
 * The same changes, as one extent, since the last call of this function (kept apart from
 * mm_take_changed()'s, so that a caller can tell what one operation changed while the copies
 * are brought up to date later): false and nothing in *out when nothing changed.  A failed
 * system call can change VMAs before it stops (mprotect, madvise, mlock over a hole); the
 * daemon tells watchers so.
 */
bool mm_take_op_changed(struct mm *mm, struct mm_range *out);

/*
 * The max_map_count later operations are checked against (the kernel's checks, with their
 * own slack: mm/mmap.c do_mmap() and do_brk_flags() refuse only above it, splits at it,
 * mm/mremap.c keeps three spare), and whether one of those checks refused since it was last
 * set.  A caller that shares one budget among several mms (the daemon's per-uid quota) sets
 * it before an operation and restores it after.
 */
uint64_t mm_map_count(const struct mm *mm);
uint64_t mm_max_map_count(const struct mm *mm);
void mm_set_max_map_count(struct mm *mm, uint64_t max);
bool mm_map_count_refused(const struct mm *mm);

/*
 * Lookups (find_vma and every operation's own) go to the tree until, with no change in
 * between, twice as many as there are VMAs have; then a sorted array of the VMAs' ends is
 * built and searched instead, until the next change (flat.c).  Tests set lookups to 1 so that
 * the array is built at once and the invariant checker sees it after every operation; 0
 * restores the default; a fork's child keeps the setting.  Answers are the same either way.
 */
void mm_set_flat_after(struct mm *mm, uint64_t lookups);

/*
 * Insert one VMA exactly as described, without merging (for import from /proc/PID/maps).
 * The range must be page aligned, inside the task and free.  rss pages are not set.
 * With shmem, file (if given) supplies the name, device and inode shown for the shmem object.
 * A private anonymous VMA given pgoff 0 gets start >> 12 (maps shows 0 for those).  Its
 * 2 MiB regions are taken to have page tables, as an existing mapping has been touched.
 */
int mm_insert_vma(struct mm *mm, uint64_t start, uint64_t end, uint64_t flags, uint64_t pgoff,
		  const struct mm_file_desc *file, bool shmem);
/* Set the brk and stack layout fields directly (import). */
void mm_set_layout(struct mm *mm, uint64_t start_brk, uint64_t brk, uint64_t start_stack);
/* Set start_code/end_code (VmExe/VmLib split). */
void mm_set_code(struct mm *mm, uint64_t start_code, uint64_t end_code);
/* Attach an anon_vma to the VMA containing addr, as a first write would (import); -ENOENT. */
int mm_vma_set_anon(struct mm *mm, uint64_t addr);
/*
 * Mark the private file mapping containing addr VM_ACCOUNT, as one that was writable once
 * stays (import from smaps VmFlags; a maps line cannot say so).  -ENOENT; -EINVAL for a
 * shared, special or hugetlb mapping or anonymous memory.
 */
int mm_vma_set_account(struct mm *mm, uint64_t addr);

/*
 * Invariant checker: sorted, non-overlapping, tree and list agree, subtree gaps correct,
 * counters equal the sums over the VMAs.  Returns 0, or -EUCLEAN with a message in msg.
 */
int mm_validate(const struct mm *mm, char *msg, size_t msglen);

/*
 * Rendering (lib/render.c).  *out is malloc()ed text the caller frees.  With vma == NULL,
 * mm_format_maps_line() formats the [vsyscall] gate line (returning 0 if the mm has none).
 */
#define MM_MAPS_HEADER_MAX 128             /* the line up to and with the name column's padding */
#define MM_MAPS_NAME_MAX   (4 * 4096 + 16) /* a 4095-byte path, each byte escaped, " (deleted)" */
#define MM_MAPS_LINE_MAX   (MM_MAPS_HEADER_MAX + MM_MAPS_NAME_MAX)
size_t mm_format_maps_line(const struct mm *mm, const struct vma *vma, char *buf, size_t size);

/* One /proc/PID/maps line's fields, as fs/proc/task_mmu.c: show_map_vma() prints them. */
struct mm_maps_entry {
	uint64_t start, end;
	uint64_t offset; /* bytes; 0 for private anonymous memory */
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	char perms[5];   /* "rwxp" */
	size_t name_off; /* where the name starts in the line (== len when there is none) */
	size_t len;      /* the line's length, without a newline */
};
/*
 * The fields of vma's maps line (with vma NULL, of the [vsyscall] gate line) and the line
 * itself in buf, NUL-terminated, without its newline: the one formatter of maps lines.
 * -ENOENT: vma NULL and the mm has no gate; -ENAMETOOLONG: buf shorter than the line.
 */
int mm_maps_entry(const struct mm *mm, const struct vma *vma, struct mm_maps_entry *e, char *buf,
		  size_t size);
/* mm_maps_entry(), also giving vma's mm_vma_info (which the line is made from) when vma is set. */
int mm_maps_entry_info(const struct mm *mm, const struct vma *vma, struct mm_maps_entry *e,
		       struct mm_vma_info *info, char *buf, size_t size);
/*
 * What mm_maps_entry_info() makes vma's line of (vma not NULL), for a line made elsewhere by
 * mm_maps_line(): the fields, and in *name the name column (NULL for none), in namebuf or
 * constant.  Returns the name's length, or -ENAMETOOLONG.
 */
int mm_maps_entry_name(const struct mm *mm, const struct vma *vma, struct mm_maps_entry *e,
		       struct mm_vma_info *info, char namebuf[MM_MAPS_NAME_MAX], const char **name);
/*
 * The line of an entry whose fields (start to perms) are set, with the name (nlen bytes, or
 * NULL), into buf (at least MM_MAPS_HEADER_MAX bytes) as mm_maps_entry() writes it; sets
 * name_off and len.  -ENAMETOOLONG.
 */
int mm_maps_line(struct mm_maps_entry *e, const char *name, size_t nlen, char *buf, size_t size);
int mm_render_maps(const struct mm *mm, char **out, size_t *len);
/*
 * mm_render_status(): task_mem()'s VmPeak, VmSize, VmLck, VmHWM, VmRSS, RssAnon, RssFile,
 * RssShmem, VmData, VmStk, VmExe and VmLib lines ("Name:\t%8llu kB"), then one line the kernel
 * does not print: "MapCount:\t%8llu" (map_count; [vsyscall] is not counted).
 */
int mm_render_status(const struct mm *mm, char **out, size_t *len);
/*
 * mm_render_smaps() (lib/smaps.c): /proc/PID/smaps (rollup false: every VMA's maps line and
 * figures, then the [vsyscall] gate's) or /proc/PID/smaps_rollup (rollup true), as
 * fs/proc/task_mmu.c prints them.  The figures the engine does not model print what the
 * kernel prints without them (lib/smaps.c says which).  -EINVAL, -ENOMEM.
 */
int mm_render_smaps(const struct mm *mm, bool rollup, char **out, size_t *len);
/* The name maps prints for vma ("[heap]", "[stack]", a path, ...), or NULL. */
const char *mm_vma_name(const struct mm *mm, const struct vma *vma, char *buf, size_t size);

/* Parse /proc/PID/maps text into a new mm (lib/import.c).  On -EINVAL, *errline is set. */
int mm_import_maps(const struct mm_config *cfg, const char *text, size_t len, struct mm **out,
		   unsigned *errline);

/*
 * Exact serialisation of one mm (lib/serial.c): every VMA, file object, page set, counter and
 * identity, so that the loaded copy answers every later call as the original would.  The format
 * is little-endian and versioned (MM_SERIAL_VERSION); a buffer the engine did not write gets
 * -EINVAL (-EPROTONOSUPPORT for a newer version) with a message, never a half-built mm.
 */
#define MM_SERIAL_VERSION 3

struct mm_sbuf {
	uint8_t *data;
	size_t len, cap;
};
void mm_sbuf_free(struct mm_sbuf *b); /* accepts NULL */
int mm_sbuf_put(struct mm_sbuf *b, const void *p, size_t n);
int mm_sbuf_u32(struct mm_sbuf *b, uint32_t v);
int mm_sbuf_u64(struct mm_sbuf *b, uint64_t v);
/* Appends mm's serialised form to b: 0 or -ENOMEM. */
int mm_save(const struct mm *mm, struct mm_sbuf *b);
/* Loads one mm from the start of data; *used is how many bytes it took. */
int mm_load(const void *data, size_t len, size_t *used, struct mm **out, char *msg, size_t msglen);

/*
 * exec (lib/exec.c): the layout execve(2) leaves at a program's first instruction, without
 * address randomisation, as fs/binfmt_elf.c: load_elf_binary(), fs/exec.c: setup_arg_pages()
 * and arch/x86/entry/vdso/vma.c: map_vdso() build it.  The caller has read and checked the
 * ELF headers; the engine sees only these figures.
 */
#define MM_EXEC_MAX_SEGMENTS 64

/* One PT_LOAD program header. prot is MM_PROT_* from p_flags. */
struct mm_exec_segment {
	uint64_t vaddr, offset, filesz, memsz, align;
	uint32_t prot;
};

struct mm_exec_image {
	const struct mm_exec_segment *seg; /* in program-header order */
	uint32_t nseg;
	bool dyn;       /* ET_DYN (PIE, shared object) rather than ET_EXEC */
	uint64_t entry; /* e_entry */
	struct mm_file_desc file;
};

/* PT_GNU_STACK: absent, without PF_X, with PF_X (EXSTACK_DEFAULT / DISABLE_X / ENABLE_X). */
enum mm_exec_stack { MM_EXEC_STACK_DEFAULT = 0, MM_EXEC_STACK_NOEXEC = 1, MM_EXEC_STACK_EXEC = 2 };

struct mm_exec_args {
	struct mm_exec_image exe;
	const struct mm_exec_image *interp; /* PT_INTERP's program, or NULL */
	enum mm_exec_stack stack;
	/* Bytes of the strings exec copies, each counted with its NUL: the file name, argv, envp.
	 */
	uint64_t filename_len, argv_len, envp_len;
	uint64_t argc, envc;
};

/* The mm fields exec sets (the /proc/PID/stat figures) and where the program starts. */
struct mm_exec_info {
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t entry;       /* the first instruction: the interpreter's entry if there is one */
	uint64_t load_bias;   /* the program's load bias (0 for ET_EXEC) */
	uint64_t interp_base; /* AT_BASE: where the interpreter was loaded, 0 without one */
	uint64_t vdso_base;   /* AT_SYSINFO_EHDR */
};

/*
 * Build a new mm from cfg (its with_stack, start_brk and start_stack are ignored) as exec
 * would, cfg->personality being what personality(2) set before execve.  With MM_LAYOUT_I386
 * the task is a compat task (TASK_SIZE 0xffffe000, 0xc0000000 under ADDR_LIMIT_3GB, mmap_base
 * derived from it), READ_IMPLIES_EXEC is kept and an image without PT_GNU_STACK gains it; a
 * 64-bit program loses it (set_personality_64bit()).  ADDR_COMPAT_LAYOUT lays it out
 * bottom-up.  -EINVAL for figures
 * exec would refuse (no PT_LOAD, more than MM_EXEC_MAX_SEGMENTS, filesz > memsz, offset and vaddr
 * not congruent, ranges that overflow), -E2BIG for strings that do not fit the stack rlimit's
 * quarter, or the mmap errno a mapping got.
 */
int mm_exec(const struct mm_config *cfg, const struct mm_exec_args *args, struct mm **out,
	    struct mm_exec_info *info);

#endif
