/* SPDX-License-Identifier: MIT */
/*
 * The address space object: configuration, creation and destruction, counters, lookups,
 * iteration and raw insertion for import.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm_internal.h"

#define SZ_128M           (128ULL << 20)
#define X86_64_TASK_SIZE  0x7ffffffff000ULL
#define I386_TASK_SIZE    0xc0000000ULL
#define X86_64_START_BRK  0x555555560000ULL
#define I386_START_BRK    0x56558000ULL
#define INITIAL_STACK_LEN (33 * MM_PAGE_SIZE)
/* Where `setarch -R cat`'s break lies above its load address. */
#define PIE_BRK_OFFSET 0xc000ULL

void
mm_config_init(struct mm_config *cfg, enum mm_layout layout)
{
	bool is64 = layout != MM_LAYOUT_I386;

	memset(cfg, 0, sizeof(*cfg));
	cfg->layout = layout;
	/* TASK_SIZE: 2^47 - 4096 with 4-level paging; a native i386 task has 3 GiB. */
	cfg->task_size = is64 ? X86_64_TASK_SIZE : I386_TASK_SIZE;
	/*
	 * 0 = derive as arch_pick_mmap_layout() does without randomisation: mmap_base =
	 * task_size - clamp(stack rlimit + guard gap, 128 MiB, 5/6 task_size), which is
	 * 0x7ffff7fff000 for x86_64 with an 8 MiB stack; the legacy base is TASK_UNMAPPED_BASE
	 * = PAGE_ALIGN(task_size / 3).
	 */
	cfg->mmap_base = 0;
	cfg->mmap_legacy_base = 0;
	/*
	 * The break of `setarch -R cat` (a PIE loaded at 0x555555554000); for i386 the
	 * corresponding spot above a 32-bit PIE loaded at 0x56555000.
	 */
	cfg->start_brk = is64 ? X86_64_START_BRK : I386_START_BRK;
	/* Inside the top page of the initial stack, where exec leaves the stack pointer. */
	cfg->start_stack = cfg->task_size - MM_PAGE_SIZE;
	/* vm.mmap_min_addr is 4096 on this kernel; CONFIG_LSM_MMAP_MIN_ADDR raises it to 64 KiB. */
	cfg->dac_mmap_min_addr = 4096;
	cfg->mmap_min_addr = 65536;
	/* stack_guard_gap: 256 pages unless set on the kernel command line. */
	cfg->stack_guard_gap = 256 * MM_PAGE_SIZE;
	/* vm.max_map_count default: USHRT_MAX - 5. */
	cfg->max_map_count = 65530;
	/* A login shell's limits: AS and DATA unlimited, 8 MiB stack, 8 MiB memlock. */
	cfg->rlimit_as = MM_RLIM_INFINITY;
	cfg->rlimit_data = MM_RLIM_INFINITY;
	cfg->rlimit_stack = 8ULL << 20;
	cfg->rlimit_memlock = 8ULL << 20;
	cfg->with_stack = false;
	/* The [vsyscall] page exists for 64-bit tasks only. */
	cfg->gate_vma = is64;
	/* An unprivileged process. */
	cfg->cap_sys_rawio = false;
	cfg->cap_ipc_lock = false;
	/* CONFIG_TRANSPARENT_HUGEPAGE=y (enabled=madvise): 2 MiB alignment, MAP_STACK flag. */
	cfg->thp = true;
	cfg->personality = 0;
	cfg->features = 0;
	/* vm.overcommit_memory = 0 (heuristic). */
	cfg->overcommit_never = false;
}

static uint64_t
derive_mmap_base(const struct mm_config *cfg)
{
	uint64_t gap = cfg->rlimit_stack, pad = cfg->stack_guard_gap;
	uint64_t gap_max = cfg->task_size / 6 * 5;

	if (gap + pad > gap)
		gap += pad;
	if (gap < SZ_128M)
		gap = SZ_128M;
	else if (gap > gap_max)
		gap = gap_max;
	return MM_PAGE_ALIGN(cfg->task_size - gap);
}

/* !mmap_is_legacy(): neither the personality bit nor the sysctl (the legacy layout). */
bool
mm_layout_topdown(enum mm_layout layout, uint64_t personality)
{
	return layout != MM_LAYOUT_X86_64_LEGACY && !(personality & MM_PER_ADDR_COMPAT_LAYOUT);
}

bool
mm_config_valid(const struct mm_config *c)
{
	if (c->layout > MM_LAYOUT_I386 || !c->task_size || c->task_size & ~MM_PAGE_MASK)
		return false;
	if (c->mmap_base > c->task_size || c->mmap_legacy_base > c->task_size)
		return false;
	if (c->start_brk & ~MM_PAGE_MASK || c->start_brk > c->task_size ||
	    (!c->start_brk && c->task_size / 3 * 2 + PIE_BRK_OFFSET > c->task_size))
		return false;
	if (c->mmap_min_addr > c->task_size || c->dac_mmap_min_addr > c->task_size)
		return false;
	if (c->personality & ~MM_PER_MODELLED || c->features & ~MM_FEAT_MODELLED)
		return false;
	if (c->layout == MM_LAYOUT_I386 && (c->personality & MM_PER_ADDR_LIMIT_3GB) &&
	    c->task_size > MM_IA32_TASK_SIZE_3GB)
		return false;
	if (c->stack_guard_gap & ~MM_PAGE_MASK || c->start_stack > c->task_size)
		return false;
	return !c->with_stack || c->task_size > INITIAL_STACK_LEN;
}

static int
add_initial_stack(struct mm *mm)
{
	struct vma *v = vma_new(mm);

	if (!v)
		return -ENOMEM;
	v->end = mm->task_size;
	v->start = v->end - INITIAL_STACK_LEN;
	v->flags = VM_STACK_FLAGS | mm->def_flags;
	/* insert_vm_struct() sets an anonymous VMA's pgoff to its page number. */
	v->pgoff = v->start >> MM_PAGE_SHIFT;
	/* exec wrote the arguments there, so it has an anon_vma. */
	v->anon_vma = vma_new_anon_vma(mm);
	vma_tree_link(mm, v, NULL);
	mm_stat_account(mm, v->flags, (int64_t)(INITIAL_STACK_LEN >> MM_PAGE_SHIFT));
	return 0;
}

int
mm_create(const struct mm_config *cfg, struct mm **out)
{
	struct mm *mm;

	*out = NULL;
	if (!mm_config_valid(cfg))
		return -EINVAL;
	mm = calloc(1, sizeof(*mm));
	if (!mm)
		return -ENOMEM;
	mm->layout = cfg->layout;
	mm->task_size = cfg->task_size;
	mm->mmap_base = cfg->mmap_base ? cfg->mmap_base : derive_mmap_base(cfg);
	mm->mmap_legacy_base =
		cfg->mmap_legacy_base ? cfg->mmap_legacy_base : MM_PAGE_ALIGN(cfg->task_size / 3);
	mm->topdown = mm_layout_topdown(cfg->layout, cfg->personality);
	/* ELF_ET_DYN_BASE is 2/3 of the window; the PIE's bss ends a few pages above. */
	mm->start_brk = cfg->start_brk ? cfg->start_brk
				       : (cfg->task_size / 3 * 2 & MM_PAGE_MASK) + PIE_BRK_OFFSET;
	mm->brk = mm->start_brk;
	mm_changed_all(mm);
	mm->start_stack = cfg->start_stack ? cfg->start_stack : cfg->task_size - MM_PAGE_SIZE;
	mm->mmap_min_addr = cfg->mmap_min_addr;
	mm->dac_mmap_min_addr = cfg->dac_mmap_min_addr;
	mm->stack_guard_gap = cfg->stack_guard_gap;
	mm->max_map_count = cfg->max_map_count;
	mm->rlimit_as = cfg->rlimit_as;
	mm->rlimit_data = cfg->rlimit_data;
	mm->rlimit_stack = cfg->rlimit_stack;
	mm->rlimit_memlock = cfg->rlimit_memlock;
	mm->gate_vma = cfg->gate_vma;
	mm->cap_sys_rawio = cfg->cap_sys_rawio;
	mm->cap_ipc_lock = cfg->cap_ipc_lock;
	mm->thp = cfg->thp;
	mm->personality = cfg->personality;
	mm->features = cfg->features;
	pkeys_init(mm);
	mm->overcommit_never = cfg->overcommit_never;
	mm->overcommit_ram_pages = cfg->overcommit_never ? 0 : cfg->overcommit_ram_pages;
	if (cfg->with_stack && add_initial_stack(mm) < 0) {
		vma_slab_release(&mm->slab);
		free(mm);
		return -ENOMEM;
	}
	mm->hiwater_vm = mm->total_vm;
	*out = mm;
	MM_CHECK(mm);
	return 0;
}

void
mm_destroy(struct mm *mm)
{
	struct vma *v, *next;

	if (!mm)
		return;
	for (v = mm->first; v; v = next) {
		next = v->next;
		vma_destroy(mm, v);
	}
	vma_slab_release(&mm->slab);
	flat_fini(&mm->flat);
	mm_files_release(mm);
	pages_free(mm->pt);
	free(mm);
}

static bool
is_exec_mapping(uint64_t f)
{
	return (f & (VM_EXEC | VM_WRITE | VM_GROWSDOWN)) == VM_EXEC;
}

static bool
is_data_mapping(uint64_t f)
{
	return (f & (VM_WRITE | VM_SHARED | VM_GROWSDOWN)) == VM_WRITE;
}

/* vm_stat_account(): total_vm and the one class (exec, stack, data) the flags belong to. */
void
mm_stat_account(struct mm *mm, uint64_t flags, int64_t npages)
{
	mm->total_vm += (uint64_t)npages;
	if (is_exec_mapping(flags))
		mm->exec_vm += (uint64_t)npages;
	else if (flags & VM_GROWSDOWN)
		mm->stack_vm += (uint64_t)npages;
	else if (is_data_mapping(flags))
		mm->data_vm += (uint64_t)npages;
}

/* may_expand_vm(): RLIMIT_AS for everything, RLIMIT_DATA for private writable mappings. */
bool
mm_may_expand_vm(const struct mm *mm, uint64_t flags, uint64_t npages)
{
	uint64_t as = mm->rlimit_as >> MM_PAGE_SHIFT, data = mm->rlimit_data >> MM_PAGE_SHIFT;

	if (mm->total_vm + npages > as || mm->total_vm + npages < npages)
		return false;
	if (is_data_mapping(flags) && mm->data_vm + npages > data)
		return false;
	return true;
}

/*
 * security_vm_enough_memory_mm() under the heuristic: a single charge may not exceed RAM plus
 * swap.  (The strict mode's commit limit depends on every process of the host: not modelled.)
 */
bool
mm_vm_enough_memory(const struct mm *mm, uint64_t npages)
{
	return !mm->overcommit_ram_pages || npages <= mm->overcommit_ram_pages;
}

bool
mm_mlock_future_ok(const struct mm *mm, uint64_t flags, uint64_t bytes)
{
	if (!(flags & VM_LOCKED) || mm->cap_ipc_lock)
		return true;
	return (bytes >> MM_PAGE_SHIFT) + mm->locked_vm <= mm->rlimit_memlock >> MM_PAGE_SHIFT;
}

bool
mm_can_do_mlock(const struct mm *mm)
{
	return mm->rlimit_memlock != 0 || mm->cap_ipc_lock;
}

void
mm_update_hiwater_vm(struct mm *mm)
{
	if (mm->total_vm > mm->hiwater_vm)
		mm->hiwater_vm = mm->total_vm;
}

static unsigned
cache_slot(uint64_t addr)
{
	return (unsigned)(addr >> 21) & (MM_LOOKUP_CACHE - 1);
}

/* Remember v as the VMA last used at addr (operations that just made or changed it). */
void
mm_cache_put(struct mm *mm, struct vma *v, uint64_t addr)
{
	mm->cache[cache_slot(addr)] = (struct mm_cache_entry){ v->start, v->end, v };
}

struct vma *
mm_find(struct mm *mm, uint64_t addr)
{
	const struct mm_cache_entry *c = &mm->cache[cache_slot(addr)];
	struct vma *v;

	if (c->start <= addr && addr < c->end)
		return c->vma;
	v = flat_find(mm, addr);
	if (v && v->start <= addr)
		mm_cache_put(mm, v, addr);
	return v;
}

struct vma *
mm_find_intersection(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vma *v;

	if (start >= end)
		return NULL;
	v = mm_find(mm, start);
	return v && v->start < end ? v : NULL;
}

const struct vma *
mm_find_vma(struct mm *mm, uint64_t addr)
{
	return mm_find(mm, addr);
}

const struct vma *
mm_vma_lookup(struct mm *mm, uint64_t addr)
{
	struct vma *v = mm_find(mm, addr);

	return v && v->start <= addr ? v : NULL;
}

const struct vma *
mm_find_vma_prev(struct mm *mm, uint64_t addr, const struct vma **prev)
{
	struct vma *v = mm_find(mm, addr);

	*prev = v ? v->prev : mm->last;
	return v;
}

const struct vma *
mm_find_vma_intersection(struct mm *mm, uint64_t start, uint64_t end)
{
	return mm_find_intersection(mm, start, end);
}

const struct vma *
mm_first_vma(const struct mm *mm)
{
	return mm->first;
}

const struct vma *
mm_next_vma(const struct vma *vma)
{
	return vma->next;
}

void
mm_vma_info(const struct vma *v, struct mm_vma_info *out)
{
	memset(out, 0, sizeof(*out));
	out->start = v->start;
	out->end = v->end;
	out->flags = v->flags;
	out->pgoff = v->pgoff;
	if (v->file) {
		out->path = v->file->path;
		out->shmem = v->file->shmem;
		out->deleted = v->file->deleted;
		out->dev_major = v->file->dev_major;
		out->dev_minor = v->file->dev_minor;
		out->ino = v->file->ino;
	}
	out->anon_vma = v->anon_vma;
	out->fork_child = v->fork_child;
	out->rss_anon = pages_count(v->pages, PAGE_ANON);
	out->rss_file = pages_count(v->pages, PAGE_FILE);
	out->rss_shmem = pages_count(v->pages, PAGE_SHMEM);
	out->anon_name = v->anon_name ? v->anon_name->name : NULL;
	out->pkey = vma_pkey(v);
}

/* The distance from [lo, hi) to r: what covering both would take in. */
static uint64_t
range_gap(const struct mm_range *r, uint64_t lo, uint64_t hi)
{
	return hi < r->lo ? r->lo - hi : lo > r->hi ? lo - r->hi : 0;
}

void
mm_changed_far(struct mm *mm, uint64_t lo, uint64_t hi)
{
	struct mm_range *a = &mm->changed[0], *b = &mm->changed[1];

	/* A second range for a change apart; with no room for a third, the nearer one grows. */
	if (mm_range_empty(a) || range_gap(a, lo, hi) == 0)
		mm_range_cover(a, lo, hi);
	else if (mm_range_empty(b) || range_gap(b, lo, hi) < range_gap(a, lo, hi))
		mm_range_cover(b, lo, hi);
	else
		mm_range_cover(a, lo, hi);
	if (!mm_range_empty(b) && range_gap(a, b->lo, b->hi) == 0) {
		mm_range_cover(a, b->lo, b->hi);
		*b = (struct mm_range){ UINT64_MAX, 0 };
	}
}

unsigned
mm_take_changed(struct mm *mm, struct mm_range out[MM_CHANGED_RANGES])
{
	unsigned n = 0;

	for (unsigned i = 0; i < MM_CHANGED_RANGES; i++) {
		if (!mm_range_empty(&mm->changed[i]))
			out[n++] = mm->changed[i];
		mm->changed[i] = (struct mm_range){ UINT64_MAX, 0 };
	}
	return n;
}

bool
mm_take_op_changed(struct mm *mm, struct mm_range *out)
{
	bool any = !mm_range_empty(&mm->op_changed);

	if (any)
		*out = mm->op_changed;
	mm->op_changed = (struct mm_range){ UINT64_MAX, 0 };
	return any;
}

void
mm_get_status(const struct mm *mm, struct mm_status *out)
{
	memset(out, 0, sizeof(*out));
	out->total_vm = mm->total_vm;
	out->data_vm = mm->data_vm;
	out->exec_vm = mm->exec_vm;
	out->stack_vm = mm->stack_vm;
	out->locked_vm = mm->locked_vm;
	out->hiwater_vm = mm->hiwater_vm;
	out->hiwater_rss = mm->hiwater_rss;
	out->rss_anon = mm->rss[PAGE_ANON];
	out->rss_file = mm->rss[PAGE_FILE];
	out->rss_shmem = mm->rss[PAGE_SHMEM];
	out->map_count = mm->map_count;
	out->pkeys_enabled = (mm->features & MM_FEAT_PKU) != 0;
	out->task_size = mm->task_size;
	out->mmap_base = mm->mmap_base;
	out->mmap_legacy_base = mm->mmap_legacy_base;
	out->start_brk = mm->start_brk;
	out->brk = mm->brk;
	out->start_stack = mm->start_stack;
	out->start_code = mm->start_code;
	out->end_code = mm->end_code;
	out->topdown = mm->topdown;
	out->gate_vma = mm->gate_vma;
}

/*
 * Raw insertion for import.  /proc/PID/maps shows 0 as the offset of private anonymous
 * memory, but the kernel keeps their pgoff at the page number of the start (do_mmap,
 * do_brk_flags, insert_vm_struct), so a zero pgoff is taken to mean exactly that.  A mapping
 * that already exists has been used, so its 2 MiB regions are taken to have page tables.
 */
int
mm_insert_vma(struct mm *mm, uint64_t start, uint64_t end, uint64_t flags, uint64_t pgoff,
	      const struct mm_file_desc *file, bool shmem)
{
	struct mm_file *f = NULL;
	struct vma *v;
	int err;

	if ((start | end) & ~MM_PAGE_MASK || start >= end || end > mm->task_size)
		return -EINVAL;
	if (mm_find_intersection(mm, start, end))
		return -EEXIST;
	v = vma_new(mm);
	if (!v)
		return -ENOMEM;
	if (shmem)
		err = mm_file_new_shmem(mm, file, end - start + (pgoff << MM_PAGE_SHIFT), &f);
	else
		err = file ? mm_file_intern(mm, file, &f) : 0;
	if (err < 0) {
		vma_destroy(mm, v);
		return err;
	}
	v->start = start;
	v->end = end;
	v->flags = flags;
	v->pgoff = (!f && !pgoff) ? start >> MM_PAGE_SHIFT : pgoff;
	v->file = f;
	vma_tree_link_find(mm, v);
	mm_pt_mark(mm, start, end);
	mm_stat_account(mm, flags, (int64_t)vma_pages_count(v));
	if (flags & VM_LOCKED)
		mm->locked_vm += vma_pages_count(v);
	MM_CHECK(mm);
	return 0;
}

void
mm_set_layout(struct mm *mm, uint64_t start_brk, uint64_t brk, uint64_t start_stack)
{
	/* [heap] and [stack] follow these. */
	mm_changed_all(mm);
	mm->start_brk = start_brk;
	mm->brk = brk;
	mm->start_stack = start_stack;
}

void
mm_set_code(struct mm *mm, uint64_t start_code, uint64_t end_code)
{
	mm->start_code = start_code;
	mm->end_code = end_code;
}

/* Give the VMA containing addr an anon_vma, as its first anonymous page would. */
int
mm_vma_set_anon(struct mm *mm, uint64_t addr)
{
	struct vma *v = mm_find(mm, addr);
	int err;

	if (!v || v->start > addr)
		return -ENOENT;
	err = vma_anon_prepare(mm, v);
	MM_CHECK(mm);
	return err;
}

/*
 * Mark the private file mapping containing addr VM_ACCOUNT, as a mapping that was writable
 * once stays (a RELRO page after mprotect); maps cannot say so, smaps' VmFlags can.
 */
int
mm_vma_set_account(struct mm *mm, uint64_t addr)
{
	struct vma *v = mm_find(mm, addr);

	if (!v || v->start > addr)
		return -ENOENT;
	if (!v->file || (v->flags & (VM_SHARED | VM_SPECIAL | VM_HUGETLB)))
		return -EINVAL;
	mm_changed_vma(mm, v);
	v->flags |= VM_ACCOUNT;
	MM_CHECK(mm);
	return 0;
}

void
mm_debug_check(const struct mm *mm)
{
	char msg[256];

	if (mm_validate(mm, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "mm_validate: %s\n", msg);
		abort();
	}
}

uint64_t
mm_map_count(const struct mm *mm)
{
	return mm->map_count;
}

uint64_t
mm_max_map_count(const struct mm *mm)
{
	return mm->max_map_count;
}

void
mm_set_max_map_count(struct mm *mm, uint64_t max)
{
	mm->max_map_count = max;
	mm->map_full = false;
}

bool
mm_map_count_refused(const struct mm *mm)
{
	return mm->map_full;
}
