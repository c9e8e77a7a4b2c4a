/* SPDX-License-Identifier: MIT */
/*
 * /proc/PID/smaps and /proc/PID/smaps_rollup text for an mm, as fs/proc/task_mmu.c prints
 * them (show_smap(), __show_smap(), show_smaps_rollup(), show_smap_vma_flags()), with the
 * figures smaps_account() and smaps_page_accumulate() gather, from what the engine models:
 * - every resident page was just faulted in, so it is young (Referenced = Rss);
 * - an anonymous page is dirty (a write made it); a page-cache page (file or shmem) is taken
 *   to be clean: whether it was written through a shared mapping is not modelled;
 * - a page's mapcount is the number of VMAs of this mm that map it (the same file page
 *   mapped twice, a shmem object mapped by two VMAs): Pss divides by it.  Other processes
 *   (a fork's other side, other mappers of a file) are not known to a space;
 * - AnonHugePages: the 2 MiB regions of an anonymous VMA that hold a huge page;
 * - THPeligible: __thp_vma_allowable_orders() for TVA_SMAPS with the global THP setting
 *   "madvise" and only the PMD order enabled (the defaults of the machines vmad is checked
 *   on): a private anonymous VMA (a private /dev/zero mapping is one) with VM_HUGEPAGE and
 *   without VM_NOHUGEPAGE that holds an aligned 2 MiB block; never a file (no
 *   CONFIG_READ_ONLY_THP_FOR_FS, no ->huge_fault) or a shmem mapping (shmem_enabled never);
 * - ProtectionKey only in a space with MM_FEAT_PKU, as only a CPU with PKU prints it;
 * - KSM, LazyFree, ShmemPmdMapped, FilePmdMapped, the Hugetlb lines, Swap and SwapPss are
 *   not modelled and print 0, as the kernel does without KSM, MADV_FREE'd pages, huge shmem
 *   or file pages, hugetlb and swap (the engine keeps MADV_FREE'd pages dirty and young).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm_internal.h"

/* struct mem_size_stats keeps Pss in fixed point, shifted by this much. */
#define PSS_SHIFT 12

/* The figures of one VMA or of the whole mm, in bytes (pss_* shifted by PSS_SHIFT). */
struct smaps_stats {
	uint64_t resident, shared_clean, shared_dirty, private_clean, private_dirty;
	uint64_t referenced, anonymous, anonymous_thp;
	uint64_t pss, pss_dirty, pss_anon, pss_file, pss_shmem, pss_locked;
};

/* The VMAs that map page-cache pages, sorted by what they map, to count a page's mappers. */
struct smaps_index {
	const struct vma **v;
	size_t n;
};

/*
 * show_smap_vma_flags(): the two-letter names, in bit order, of the bits the engine models;
 * bits without a name are not printed.
 */
static const struct {
	uint64_t bit;
	char name[3];
} vmflag_names[] = {
	{ VM_READ, "rd" },       { VM_WRITE, "wr" },       { VM_EXEC, "ex" },
	{ VM_SHARED, "sh" },     { VM_MAYREAD, "mr" },     { VM_MAYWRITE, "mw" },
	{ VM_MAYEXEC, "me" },    { VM_MAYSHARE, "ms" },    { VM_GROWSDOWN, "gd" },
	{ VM_PFNMAP, "pf" },     { VM_MAYBE_GUARD, "gu" }, { VM_LOCKED, "lo" },
	{ VM_IO, "io" },         { VM_SEQ_READ, "sr" },    { VM_RAND_READ, "rr" },
	{ VM_DONTCOPY, "dc" },   { VM_DONTEXPAND, "de" },  { VM_LOCKONFAULT, "lf" },
	{ VM_ACCOUNT, "ac" },    { VM_NORESERVE, "nr" },   { VM_HUGETLB, "ht" },
	{ VM_SYNC, "sf" },       { VM_WIPEONFORK, "wf" },  { VM_DONTDUMP, "dd" },
	{ VM_SOFTDIRTY, "sd" },  { VM_MIXEDMAP, "mm" },    { VM_HUGEPAGE, "hg" },
	{ VM_NOHUGEPAGE, "nh" }, { VM_MERGEABLE, "mg" },   { VM_DROPPABLE, "dp" },
	{ VM_SEALED, "sl" },
};

/* A disk file's page cache belongs to its inode; any other object is its own. */
static int
object_cmp(const struct mm_file *a, const struct mm_file *b)
{
	bool da = a->kind == MM_FILE_DISK && !a->shmem, db = b->kind == MM_FILE_DISK && !b->shmem;

	if (da != db)
		return da ? -1 : 1;
	if (!da)
		return (uintptr_t)a < (uintptr_t)b ? -1 : (uintptr_t)a > (uintptr_t)b;
	if (a->dev_major != b->dev_major)
		return a->dev_major < b->dev_major ? -1 : 1;
	if (a->dev_minor != b->dev_minor)
		return a->dev_minor < b->dev_minor ? -1 : 1;
	if (a->ino != b->ino)
		return a->ino < b->ino ? -1 : 1;
	return strcmp(a->path, b->path);
}

static int
index_cmp(const void *pa, const void *pb)
{
	const struct vma *a = *(const struct vma *const *)pa, *b = *(const struct vma *const *)pb;

	return object_cmp(a->file, b->file);
}

static bool
maps_cache(const struct vma *v)
{
	return v->file && (pages_count(v->pages, PAGE_FILE) || pages_count(v->pages, PAGE_SHMEM));
}

static int
index_build(const struct mm *mm, struct smaps_index *ix)
{
	size_t n = 0;

	ix->n = 0;
	ix->v = NULL;
	for (const struct vma *v = mm->first; v; v = v->next)
		n += maps_cache(v);
	if (!n)
		return 0;
	ix->v = malloc(n * sizeof(*ix->v));
	if (!ix->v)
		return -ENOMEM;
	for (const struct vma *v = mm->first; v; v = v->next)
		if (maps_cache(v))
			ix->v[ix->n++] = v;
	qsort(ix->v, ix->n, sizeof(*ix->v), index_cmp);
	return 0;
}

/* The first index entry that maps v's object. */
static size_t
index_first(const struct smaps_index *ix, const struct vma *v)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (object_cmp(ix->v[mid]->file, v->file) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * How many VMAs of the object map page idx resident as kind (w is one of them), and in *end
 * (at most lim) where that number may next change.
 */
static unsigned
mappers(const struct smaps_index *ix, size_t first, const struct vma *w, uint64_t idx, int kind,
	uint64_t *end)
{
	unsigned count = 0;
	int k;

	*end = min_u64(*end, pages_run_end(w->pages, idx, &k));
	for (size_t i = first; i < ix->n && !object_cmp(ix->v[i]->file, w->file); i++) {
		const struct vma *o = ix->v[i];
		uint64_t o_end = o->pgoff + vma_pages_count(o);

		if (idx < o->pgoff) {
			*end = min_u64(*end, o->pgoff);
			continue;
		}
		if (idx >= o_end)
			continue;
		*end = min_u64(*end, min_u64(o_end, pages_run_end(o->pages, idx, &k)));
		count += k == kind;
	}
	return count ? count : 1;
}

/* smaps_page_accumulate() for npages pages of one kind mapped mapcount times. */
static void
accumulate(struct smaps_stats *s, int kind, uint64_t npages, unsigned mapcount, bool locked)
{
	uint64_t size = npages * MM_PAGE_SIZE;
	uint64_t pss = npages * ((MM_PAGE_SIZE << PSS_SHIFT) / mapcount);
	bool dirty = kind == PAGE_ANON;

	s->resident += size;
	s->referenced += size;
	s->pss += pss;
	if (kind == PAGE_ANON) {
		s->anonymous += size;
		s->pss_anon += pss;
	} else if (kind == PAGE_SHMEM) {
		s->pss_shmem += pss;
	} else {
		s->pss_file += pss;
	}
	if (locked)
		s->pss_locked += pss;
	if (dirty)
		s->pss_dirty += pss;
	if (mapcount < 2)
		*(dirty ? &s->private_dirty : &s->private_clean) += size;
	else
		*(dirty ? &s->shared_dirty : &s->shared_clean) += size;
}

/* The page-cache pages of v, stretch by stretch of equal kind and mapcount. */
static void
gather_cache(const struct smaps_index *ix, const struct vma *v, struct smaps_stats *s)
{
	uint64_t idx = v->pgoff, vend = v->pgoff + vma_pages_count(v), next, b;
	size_t first = index_first(ix, v);
	bool locked = v->flags & VM_LOCKED;
	int kind;

	for (; idx < vend; idx = next) {
		next = min_u64(pages_run_end(v->pages, idx, &kind), vend);
		if (kind != PAGE_FILE && kind != PAGE_SHMEM)
			continue;
		for (uint64_t a = idx; a < next; a = b) {
			unsigned mc;

			b = next;
			mc = mappers(ix, first, v, a, kind, &b);
			accumulate(s, kind, b - a, mc, locked);
		}
	}
}

/* The 2 MiB regions of v that hold a transparent huge page. */
static uint64_t
anon_thp_bytes(const struct mm *mm, const struct vma *v)
{
	uint64_t r = (v->start + MM_PMD_SIZE - 1) / MM_PMD_SIZE, last = v->end / MM_PMD_SIZE;
	uint64_t bytes = 0, e;
	int kind;

	if (!vma_is_anonymous(v))
		return 0;
	for (; r < last; r = e) {
		e = min_u64(pages_run_end(mm->pt, r, &kind), last);
		if (kind == PT_HUGE)
			bytes += (e - r) * MM_PMD_SIZE;
	}
	return bytes;
}

/* smap_gather_stats() for one VMA, added to s. */
static void
gather(const struct mm *mm, const struct smaps_index *ix, const struct vma *v,
       struct smaps_stats *s)
{
	uint64_t anon = pages_count(v->pages, PAGE_ANON);

	if (anon)
		accumulate(s, PAGE_ANON, anon, 1, v->flags & VM_LOCKED);
	if (maps_cache(v))
		gather_cache(ix, v, s);
	s->anonymous_thp += anon_thp_bytes(mm, v);
}

/* thp_vma_allowable_orders(vma, vm_flags, TVA_SMAPS, THP_ORDERS_ALL) != 0, as above. */
static bool
thp_eligible(const struct mm *mm, const struct vma *v)
{
	if (!mm->thp || !vma_is_anonymous(v) || !(v->flags & VM_HUGEPAGE) ||
	    (v->flags & VM_NOHUGEPAGE) || v->end - v->start < MM_PMD_SIZE)
		return false;
	/* thp_vma_suitable_order() at vm_end - HPAGE_PMD_SIZE. */
	return ((v->end - MM_PMD_SIZE) & ~(MM_PMD_SIZE - 1)) >= v->start;
}

/* SEQ_PUT_DEC(): the name padded to 16 columns, the figure in kB right-aligned in 8. */
static void
put_kb(FILE *f, const char *name, uint64_t bytes)
{
	fprintf(f, "%-16s%8llu kB\n", name, (unsigned long long)(bytes >> 10));
}

/* __show_smap(). */
static void
put_stats(FILE *f, const struct smaps_stats *s, bool rollup)
{
	put_kb(f, "Rss:", s->resident);
	put_kb(f, "Pss:", s->pss >> PSS_SHIFT);
	put_kb(f, "Pss_Dirty:", s->pss_dirty >> PSS_SHIFT);
	if (rollup) {
		put_kb(f, "Pss_Anon:", s->pss_anon >> PSS_SHIFT);
		put_kb(f, "Pss_File:", s->pss_file >> PSS_SHIFT);
		put_kb(f, "Pss_Shmem:", s->pss_shmem >> PSS_SHIFT);
	}
	put_kb(f, "Shared_Clean:", s->shared_clean);
	put_kb(f, "Shared_Dirty:", s->shared_dirty);
	put_kb(f, "Private_Clean:", s->private_clean);
	put_kb(f, "Private_Dirty:", s->private_dirty);
	put_kb(f, "Referenced:", s->referenced);
	put_kb(f, "Anonymous:", s->anonymous);
	put_kb(f, "KSM:", 0);
	put_kb(f, "LazyFree:", 0);
	put_kb(f, "AnonHugePages:", s->anonymous_thp);
	put_kb(f, "ShmemPmdMapped:", 0);
	put_kb(f, "FilePmdMapped:", 0);
	put_kb(f, "Shared_Hugetlb:", 0);
	/* The one figure printed 7 wide: its name takes the 17th column. */
	fprintf(f, "Private_Hugetlb: %7llu kB\n", 0ULL);
	put_kb(f, "Swap:", 0);
	put_kb(f, "SwapPss:", 0);
	put_kb(f, "Locked:", s->pss_locked >> PSS_SHIFT);
}

static void
put_vmflags(FILE *f, uint64_t flags)
{
	fputs("VmFlags: ", f);
	for (size_t i = 0; i < sizeof(vmflag_names) / sizeof(vmflag_names[0]); i++)
		if (flags & vmflag_names[i].bit)
			fprintf(f, "%s ", vmflag_names[i].name);
	fputc('\n', f);
}

/* show_smap() for v, or for the [vsyscall] gate (v NULL: no pages, VM_EXEC only). */
static int
put_vma(FILE *f, const struct mm *mm, const struct smaps_index *ix, const struct vma *v)
{
	char line[MM_MAPS_LINE_MAX];
	struct smaps_stats s = { 0 };
	struct mm_maps_entry e;
	int r = mm_maps_entry(mm, v, &e, line, sizeof(line));

	if (r < 0)
		return r;
	if (v)
		gather(mm, ix, v, &s);
	fprintf(f, "%s\n", line);
	put_kb(f, "Size:", e.end - e.start);
	put_kb(f, "KernelPageSize:", MM_PAGE_SIZE);
	put_kb(f, "MMUPageSize:", MM_PAGE_SIZE);
	put_stats(f, &s, false);
	fprintf(f, "THPeligible:    %8u\n", v && thp_eligible(mm, v) ? 1u : 0u);
	/* arch_pkeys_enabled(): a CPU with protection keys prints every VMA's. */
	if (mm->features & MM_FEAT_PKU)
		fprintf(f, "ProtectionKey:  %8d\n", v ? vma_pkey(v) : 0);
	put_vmflags(f, v ? v->flags : VM_EXEC);
	return 0;
}

static int
put_smaps(FILE *f, const struct mm *mm, const struct smaps_index *ix)
{
	int r = 0;

	for (const struct vma *v = mm->first; v && !r; v = v->next)
		r = put_vma(f, mm, ix, v);
	if (!r && mm->gate_vma)
		r = put_vma(f, mm, ix, NULL);
	return r;
}

/* show_smaps_rollup(): the span from the first VMA's start to the last one's end, the sums. */
static int
put_rollup(FILE *f, const struct mm *mm, const struct smaps_index *ix)
{
	static const char name[] = "[rollup]";
	char line[MM_MAPS_HEADER_MAX + sizeof(name)];
	struct mm_maps_entry e = { .perms = "---p" };
	struct smaps_stats s = { 0 };
	int r;

	for (const struct vma *v = mm->first; v; v = v->next)
		gather(mm, ix, v, &s);
	e.start = mm->first ? mm->first->start : 0;
	e.end = mm->last ? mm->last->end : 0;
	r = mm_maps_line(&e, name, sizeof(name) - 1, line, sizeof(line));
	if (r < 0)
		return r;
	fprintf(f, "%s\n", line);
	put_stats(f, &s, true);
	return 0;
}

int
mm_render_smaps(const struct mm *mm, bool rollup, char **out, size_t *len)
{
	struct smaps_index ix;
	char *text = NULL;
	size_t n = 0;
	FILE *f;
	int r;

	if (!mm || !out)
		return -EINVAL;
	r = index_build(mm, &ix);
	if (r < 0)
		return r;
	f = open_memstream(&text, &n);
	if (!f) {
		free(ix.v);
		return -ENOMEM;
	}
	r = rollup ? put_rollup(f, mm, &ix) : put_smaps(f, mm, &ix);
	if (ferror(f) && !r)
		r = -ENOMEM;
	if (fclose(f) && !r)
		r = -ENOMEM;
	free(ix.v);
	if (r < 0) {
		free(text);
		return r;
	}
	*out = text;
	if (len)
		*len = n;
	return 0;
}
