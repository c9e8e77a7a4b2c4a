/* SPDX-License-Identifier: MIT */
/*
 * Engine internals shared by the lib/ modules: the mm and VMA structures and the helpers the
 * system-call modules are built from.  Nothing here is part of the public API (mm.h).
 */
#ifndef VMAD_MM_INTERNAL_H
#define VMAD_MM_INTERNAL_H

#include <errno.h>
#include <stddef.h>

#include "mm.h"
#include "rbtree.h"

#define MM_PAGE_MASK     (~(MM_PAGE_SIZE - 1))
#define MM_PAGE_ALIGN(x) (((x) + MM_PAGE_SIZE - 1) & MM_PAGE_MASK)
#define MM_PMD_SIZE      (2ULL << 20)
#define MM_MAP_ABOVE4G   0x80 /* x86_64: keep a hint-less top-down search above 4 GiB */

#define VM_SPECIAL       (VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP)
#define VM_ACCESS_FLAGS  (VM_READ | VM_WRITE | VM_EXEC)
#define VM_LOCKED_MASK   (VM_LOCKED | VM_LOCKONFAULT)
#define VM_IGNORE_MERGE  (VM_SOFTDIRTY | VM_MAYBE_GUARD)
#define vma_is_sealed(v) (((v)->flags & VM_SEALED) != 0)
#define VM_DATA_DEFAULT  (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)
#define VM_STACK_FLAGS   (VM_GROWSDOWN | VM_DATA_DEFAULT | VM_ACCOUNT)
/* The flags of the special mappings map_vdso() installs, beside their prot bits. */
#define SPECIAL_VVAR_FLAGS (VM_MAYREAD | VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP)
#define SPECIAL_VDSO_FLAGS (VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_DONTEXPAND)

#define mm_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/*
 * What a page-table entry of a VMA holds: a resident page by kind, or a guard marker
 * (MADV_GUARD_INSTALL: a PTE marker, counted in no RSS figure).  The first PAGE_RSS_KINDS
 * kinds are the resident ones.
 */
enum page_kind { PAGE_ANON = 0, PAGE_FILE = 1, PAGE_SHMEM = 2, PAGE_GUARD = 3, PAGE_KINDS = 4 };
#define PAGE_RSS_KINDS 3
#define PAGE_RESIDENT  ((1u << PAGE_ANON) | (1u << PAGE_FILE) | (1u << PAGE_SHMEM))

/*
 * What a file-backed VMA maps: one object per open file (interned per mm by every field of
 * the caller's description, so equal descriptions mean one struct file), or one per shared
 * anonymous mmap (never interned: each such mmap is a new shmem file).  Reference counted by
 * the VMAs that use it; merging compares these pointers.
 */
struct mm_file {
	uint32_t refs;             /* one per VMA, plus one while registered and open */
	uint32_t slot;             /* index in mm->files; MM_FILE_NOSLOT for shmem */
	struct mm_file *fork_copy; /* the child's copy while mm_fork runs */
	uint64_t id;               /* mm_file_open()'s id; 0 = interned from a description */
	enum mm_file_kind kind;
	bool open; /* registered and not closed: the id names it */
	bool shmem, noexec, deleted;
	unsigned mode;
	uint32_t dev_major, dev_minor;
	uint64_t ino, instance;
	uint64_t size;           /* bytes; pages at or beyond EOF cannot be faulted in */
	struct vma_pages *pages; /* shmem: the pages the object holds (mapped or not) */
	char path[];
};
#define MM_FILE_NOSLOT UINT32_MAX

/*
 * An anonymous VMA's name (include/linux/mm_types.h: struct anon_vma_name), shared by the
 * VMAs of one mm that a split or a copy made from one named VMA; compared by its text.
 */
struct mm_anon_name {
	uint32_t refs;
	char name[];
};

/* Resident pages of a VMA: sorted, non-adjacent-same-kind runs indexed in pgoff space. */
struct page_run {
	uint64_t first;
	uint64_t count;
	uint32_t kind;
};

struct vma_pages {
	uint32_t nr, cap;
	uint64_t count[PAGE_KINDS];
	struct page_run run[];
};

/*
 * The fields a lookup reads (start, end and the two children) come first: 32 bytes, which
 * share one cache line in most slab slots (lib/slab.c); the rest of what a gap search and the
 * balancing read follows.
 */
struct vma {
	uint64_t start, end;
	struct rb_node rb;
	uint64_t gap_max; /* largest free gap below any VMA of this subtree */
	uint64_t gap;     /* the free gap between the previous VMA (or 0) and start */
	struct vma *prev, *next;
	uint64_t flags;
	uint64_t pgoff;
	struct mm_file *file;
	struct vma_pages *pages;        /* NULL when nothing is resident */
	uint64_t anon_vma;              /* 0 = none */
	bool fork_child;                /* anon_vma inherited through fork (chain not singular) */
	struct mm_anon_name *anon_name; /* prctl(PR_SET_VMA_ANON_NAME); NULL = none */
};

/* The per-mm VMA allocator (slab.c). */
struct vma_slab {
	void *free;            /* freed slots, linked through their first word */
	char *bump, *bump_end; /* the never-used tail of the newest chunk */
	void *chunks;          /* every chunk, linked through its first word */
	uint32_t chunk_slots;  /* slots in the next chunk (0: the first size) */
};

/*
 * The lookup cache keeps each VMA's range beside the pointer, so that a miss costs no read of
 * a VMA that is not otherwise needed.  Any change to the tree empties it.
 */
#define MM_LOOKUP_CACHE 4

struct mm_cache_entry {
	uint64_t start, end; /* vma's range; 0, 0 when empty */
	struct vma *vma;
};

/* The flat index (flat.c): ends[i] is vmas[i]->end, in address order, while valid. */
struct vma_flat {
	uint64_t *ends;
	struct vma **vmas;
	uint64_t n, cap;
	bool valid;
	uint64_t misses; /* lookups the tree answered since the last change */
	uint64_t after;  /* mm_set_flat_after(); 0: the default */
};

struct mm {
	struct rb_root tree;
	struct vma *first, *last;
	uint64_t map_count;
	/* mm_take_changed(): [1] is used only when [0] is; an empty one has lo >= hi */
	struct mm_range changed[MM_CHANGED_RANGES];
	struct mm_range op_changed; /* mm_take_op_changed(): the extent since its last call */
	struct mm_cache_entry cache[MM_LOOKUP_CACHE];
	struct vma_flat flat;
	struct vma_slab slab;

	/* layout */
	enum mm_layout layout;
	uint64_t task_size, mmap_base, mmap_legacy_base;
	bool topdown;
	uint64_t start_brk, brk, start_stack, start_code, end_code;
	uint64_t mmap_min_addr, dac_mmap_min_addr, stack_guard_gap;
	uint64_t max_map_count;
	bool map_full; /* a map_count check refused since mm_set_max_map_count() */
	uint64_t rlimit_as, rlimit_data, rlimit_stack, rlimit_memlock;
	uint64_t def_flags;
	uint64_t overcommit_ram_pages; /* 0: charges are not checked */
	bool gate_vma, cap_sys_rawio, cap_ipc_lock, thp, overcommit_never;
	uint64_t personality;      /* MM_PER_* */
	uint64_t features;         /* MM_FEAT_* */
	uint64_t pkey_map;         /* mm->context.pkey_allocation_map */
	int64_t execute_only_pkey; /* mm->context.execute_only_pkey; -1 = none yet */

	/* counters, in pages */
	uint64_t total_vm, data_vm, exec_vm, stack_vm, locked_vm;
	uint64_t locked_leak; /* locked_vm pages no VMA holds (mremap DONTUNMAP, as the kernel) */
	uint64_t hiwater_vm, hiwater_rss;
	uint64_t rss[PAGE_KINDS];

	uint64_t next_anon_vma, next_shmem_ino;
	uint64_t next_file_id; /* the last id mm_file_open() gave */
	struct vma_pages *pt;  /* 2 MiB regions that have a page-table page */
	struct mm_file **files;
	uint32_t nfiles, files_cap;
};

/* mm.c */
bool mm_config_valid(const struct mm_config *c);
bool mm_layout_topdown(enum mm_layout layout, uint64_t personality);
void mm_stat_account(struct mm *mm, uint64_t flags, int64_t npages);
bool mm_may_expand_vm(const struct mm *mm, uint64_t flags, uint64_t npages);
bool mm_vm_enough_memory(const struct mm *mm, uint64_t npages);
bool mm_mlock_future_ok(const struct mm *mm, uint64_t flags, uint64_t bytes);
bool mm_can_do_mlock(const struct mm *mm);
void mm_update_hiwater_vm(struct mm *mm);
void mm_debug_check(const struct mm *mm);
struct vma *mm_find(struct mm *mm, uint64_t addr);
void mm_cache_put(struct mm *mm, struct vma *v, uint64_t addr);
struct vma *mm_find_intersection(struct mm *mm, uint64_t start, uint64_t end);
uint64_t vma_start_gap(const struct mm *mm, const struct vma *v);

/* Every max_map_count check goes through here, so that the caller can tell it refused. */
static inline bool
mm_map_full(struct mm *mm, bool full)
{
	if (full)
		mm->map_full = true;
	return full;
}

static inline bool
mm_range_empty(const struct mm_range *r)
{
	return r->lo >= r->hi;
}

/* r grows to take in [lo, hi) (an empty r becomes it). */
static inline void
mm_range_cover(struct mm_range *r, uint64_t lo, uint64_t hi)
{
	if (mm_range_empty(r) || lo < r->lo)
		r->lo = lo;
	if (hi > r->hi)
		r->hi = hi;
}

/* mm.c: a change that is not simply the first range growing. */
void mm_changed_far(struct mm *mm, uint64_t lo, uint64_t hi);

/* [lo, hi) holds VMAs that change (mm_take_changed()): every change to a VMA passes here. */
static inline void
mm_changed(struct mm *mm, uint64_t lo, uint64_t hi)
{
	struct mm_range *c = &mm->changed[0];

	mm_range_cover(&mm->op_changed, lo, hi);
	if (!mm_range_empty(&mm->changed[1]) || (!mm_range_empty(c) && (hi < c->lo || lo > c->hi)))
		mm_changed_far(mm, lo, hi);
	else
		mm_range_cover(c, lo, hi);
}

static inline void
mm_changed_vma(struct mm *mm, const struct vma *v)
{
	mm_changed(mm, v->start, v->end);
}

/* Everything: the maps name of any VMA may have changed. */
static inline void
mm_changed_all(struct mm *mm)
{
	mm_changed(mm, 0, UINT64_MAX);
}

#ifdef MM_DEBUG_VALIDATE
#define MM_CHECK(mm) mm_debug_check(mm)
#else
#define MM_CHECK(mm) ((void)0)
#endif

/* tree.c: the VMA tree, the sorted list and the lookup cache kept in step */
void vma_tree_link(struct mm *mm, struct vma *v, struct vma *next);
void vma_tree_link_find(struct mm *mm, struct vma *v);
void vma_tree_unlink(struct mm *mm, struct vma *v);
void vma_tree_set_range(struct mm *mm, struct vma *v, uint64_t start, uint64_t end);
struct vma *vma_tree_find(const struct mm *mm, uint64_t addr);

/* flat.c: the first VMA with end > addr, from the flat index or the tree. */
struct vma *flat_find(struct mm *mm, uint64_t addr);
void flat_fini(struct vma_flat *f);
/* The tree changed: the flat index no longer holds, and lookups count from naught again. */
static inline void
flat_drop(struct vma_flat *f)
{
	f->valid = false;
	f->misses = 0;
}
uint64_t vma_own_gap(const struct vma *v);
bool vma_gap_compute(struct rb_node *n, void *ctx);

/* files.c */
int mm_file_intern(struct mm *mm, const struct mm_file_desc *d, struct mm_file **out);
int mm_file_resolve(const struct mm *mm, const struct mm_file_desc *d, struct mm_file_desc *out);
int mm_file_new_shmem(struct mm *mm, const struct mm_file_desc *d, uint64_t size,
		      struct mm_file **out);
void mm_file_get(struct mm_file *f);
void mm_file_put(struct mm *mm, struct mm_file *f);
void mm_files_release(struct mm *mm);
int mm_file_fork_copy(struct mm *child, struct mm_file *f, struct mm_file **out);

/* pages.c */
void pages_free(struct vma_pages *ps);
uint64_t pages_count(const struct vma_pages *ps, int kind);
int pages_kind_at(const struct vma_pages *ps, uint64_t idx);
uint64_t pages_run_end(const struct vma_pages *ps, uint64_t idx, int *kind);
bool pages_first_hole(const struct vma_pages *ps, uint64_t lo, uint64_t hi, uint64_t *a,
		      uint64_t *b);
int pages_extract(const struct vma_pages *ps, uint64_t lo, uint64_t hi, struct vma_pages **out);
int pages_union(const struct vma_pages *a, const struct vma_pages *b, struct vma_pages **out);
void pages_truncate(struct vma_pages **ps, uint64_t lo, uint64_t hi);
int pages_reserve(struct vma_pages **ps, uint32_t extra);
void pages_set(struct vma_pages *ps, uint64_t first, uint64_t count, int kind, int64_t delta[]);
void pages_clear(struct vma_pages **ps, uint64_t first, uint64_t count, int64_t delta[]);
int pages_drop(struct vma_pages **ps, uint64_t first, uint64_t count, uint32_t kinds,
	       int64_t delta[]);
bool pages_find_kind(const struct vma_pages *ps, uint64_t lo, uint64_t hi, int kind, uint64_t *idx);
void pages_shift(struct vma_pages *ps, int64_t delta);
int pages_check(const struct vma_pages *ps, char *msg, size_t len);

/* slab.c */
void *vma_slab_alloc(struct vma_slab *s);
void vma_slab_free(struct vma_slab *s, void *p);
void vma_slab_release(struct vma_slab *s);

/* vma.c: VMA objects and their primitive changes (counters of the mm kept in step) */
bool vma_is_accessible(const struct vma *v);
bool vma_is_anonymous(const struct vma *v);
uint64_t vma_pages_count(const struct vma *v);
uint64_t mm_rss(const struct mm *mm);
void mm_update_hiwater_rss(struct mm *mm);
struct vma *vma_new(struct mm *mm);
void vma_destroy(struct mm *mm, struct vma *v);
void vma_remove(struct mm *mm, struct vma *v);
int vma_split(struct mm *mm, struct vma *v, uint64_t addr, bool new_below, struct vma **newp);
int vma_split_limited(struct mm *mm, struct vma *v, uint64_t addr, bool new_below);
void vma_account_pages(struct mm *mm, const int64_t delta[]);
int vma_make_resident(struct mm *mm, struct vma *v, uint64_t start, uint64_t end, int kind);
int vma_zap_pages(struct mm *mm, struct vma *v, uint64_t start, uint64_t end);
int vma_drop_pages(struct mm *mm, struct vma *v, uint64_t start, uint64_t end, uint32_t kinds);
uint64_t vma_new_anon_vma(struct mm *mm);

/* merge.c */
struct merge_req {
	uint64_t start, end, flags, pgoff;
	struct mm_file *file;
	uint64_t anon_vma;
	bool src_fork_child; /* the source (modified or copied-from VMA) is a fork child */
	struct vma *prev, *next;
	bool just_expand;
	const struct vma_pages *pages; /* resident pages the range brings (mremap), or NULL */
	const struct mm_anon_name *anon_name; /* the range's name (mremap's source), or NULL */
};
bool vma_flags_mergeable(uint64_t a, uint64_t b);
struct vma *vma_merge_new_range(struct mm *mm, const struct merge_req *r, int *err);
struct vma *vma_modify_flags(struct mm *mm, struct vma *prev, struct vma *v, uint64_t start,
			     uint64_t end, uint64_t newflags, int *err);
int vma_anon_prepare(struct mm *mm, struct vma *v);
struct vma *vma_modify_name(struct mm *mm, struct vma *prev, struct vma *v, uint64_t start,
			    uint64_t end, struct mm_anon_name *name, int *err);

/* madvise.c: madvise(2)'s checks of a range ([start, *end); -EINVAL) and walk over its VMAs. */
int madvise_range(uint64_t start, uint64_t len_in, uint64_t *end);
/* One VMA's part [start, end) of the walk; *prev is left at the VMA handled (merged or split). */
typedef int (*madvise_visit_fn)(struct mm *mm, struct vma *v, struct vma **prev, uint64_t start,
				uint64_t end, void *arg);
/* madvise_walk_vmas(): holes are skipped but reported as -ENOMEM at the end. */
int madvise_walk(struct mm *mm, uint64_t start, uint64_t end, madvise_visit_fn visit, void *arg);

/* anon_name.c */
struct mm_anon_name *anon_name_new(const char *name, size_t len);
struct mm_anon_name *anon_name_get(struct mm_anon_name *n);
void anon_name_put(struct mm_anon_name *n);
bool anon_name_eq(const struct mm_anon_name *a, const struct mm_anon_name *b);
bool anon_name_valid(const char *name, size_t len);

/* unmapped.c */
enum area_kind { AREA_ANON, AREA_FILE, AREA_SHMEM, AREA_HUGETLB };
int mm_get_unmapped_area(struct mm *mm, enum area_kind kind, uint64_t addr, uint64_t len,
			 uint64_t pgoff, uint32_t flags, uint64_t *out);

/* munmap.c */
int mm_unmap_prepare(struct mm *mm, uint64_t start, uint64_t end, struct vma **firstp,
		     struct vma **afterp);
void mm_unmap_count(const struct vma *first, uint64_t end, uint64_t *pages, uint64_t *accounted);
void mm_unmap_commit(struct mm *mm, struct vma *first, uint64_t end);
int mm_do_munmap(struct mm *mm, uint64_t start, uint64_t end);
int mm_do_vmi_munmap(struct mm *mm, uint64_t addr, uint64_t len);

/* pgtable.c: the state of each 2 MiB region's PMD (-1 = empty) */
enum { PT_TABLE = 0, PT_HUGE_ZERO = 1, PT_HUGE = 2 };
int mm_pt_state(const struct mm *mm, uint64_t addr);
void mm_pt_set(struct mm *mm, uint64_t addr, int kind);
void mm_pt_mark(struct mm *mm, uint64_t start, uint64_t end);
void mm_pt_zap(struct mm *mm, uint64_t start, uint64_t end);
void mm_pt_free(struct mm *mm, uint64_t start, uint64_t end, const struct vma *prev,
		const struct vma *next);
void mm_pt_copy(struct mm *dst, const struct mm *src, uint64_t start, uint64_t end, int64_t shift);

/* pkeys.c */
void pkeys_init(struct mm *mm);
bool pkeys_valid(const struct mm *mm);
int vma_pkey(const struct vma *v);
uint64_t pkeys_vm_bits(int pkey);
int pkeys_mmap_key(struct mm *mm, uint32_t prot);
int pkeys_mprotect_key(struct mm *mm, const struct vma *v, uint32_t prot, int pkey);
bool pkeys_is_allocated(const struct mm *mm, int pkey);

/* fault.c */
int mm_fault_range(struct mm *mm, struct vma *v, uint64_t start, uint64_t end, bool write);
int mm_populate_range(struct mm *mm, uint64_t start, uint64_t len, bool ignore_errors);
int mm_expand_downwards(struct mm *mm, struct vma *v, uint64_t addr);

#endif
