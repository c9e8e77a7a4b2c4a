/* SPDX-License-Identifier: MIT */
/*
 * Replaying a kernel run on the engine and comparing everything: each result, then the final
 * maps, VmFlags, RSS per VMA and status.
 *
 * The engine starts from the runner's own starting maps (mm_import_maps).  What it cannot know
 * about that starting state is taken out of the comparison, and only that:
 * - which starting VMAs had an anon_vma (those with anonymous pages; mm_vma_set_anon);
 * - resident pages of the starting VMAs (the runner's image, heap, stack, vdso): a VMA that is
 *   still exactly a starting VMA is left out of the RSS comparison, and a VMA that grew out of
 *   one (the heap after brk) is compared after subtracting each side's starting pages;
 * - VmFlags of the runner's own file mappings (import cannot know VM_ACCOUNT of a relro page);
 * - the peak and high-water marks reached before the sequence started;
 * - inode numbers of shared anonymous memory (only their consistency is checked).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"

#define PAGE CONF_PAGE

/* A starting VMA and its resident pages on both sides. */
struct base {
	uint64_t start, end;
	bool file;
	uint64_t k_anon, k_other, e_anon, e_other;
};

struct ctx {
	const struct conf_host *host;
	const struct conf_files *files;
	const struct conf_seq *seq;
	const struct conf_krun *run;
	struct conf_report *rep;
	struct mm *mm;
	struct base *base;
	size_t nbase;
	bool forked;
	bool aged; /* MADV_FREE, COLD or PAGEOUT ran: page states the engine does not model */
	uint64_t e_init_rss; /* pages, engine, after setup */
};

static void __attribute__((format(printf, 4, 5)))
verdict(struct ctx *c, enum conf_verdict v, enum conf_family fam, const char *fmt, ...)
{
	va_list ap;

	if (c->rep->verdict != CONF_AGREE)
		return;
	c->rep->verdict = v;
	c->rep->family = fam;
	va_start(ap, fmt);
	vsnprintf(c->rep->why, sizeof(c->rep->why), fmt, ap);
	va_end(ap);
}

static bool
is_gate(const struct conf_vma *v)
{
	return !strcmp(v->name, "[vsyscall]");
}

/* mmap_base is the top of the highest VMA below the stack: ld.so or the vdso, mapped first. */
static uint64_t
derive_mmap_base(const struct conf_vmas *init)
{
	uint64_t top = 0;

	for (size_t i = 0; i < init->n; i++) {
		const struct conf_vma *v = &init->v[i];

		if (!is_gate(v) && strcmp(v->name, "[stack]") && v->end > top)
			top = v->end;
	}
	return top;
}

/*
 * What maps cannot say of a starting VMA and smaps can: that it had an anon_vma (it has
 * anonymous pages), that a private file mapping is VM_ACCOUNT (RELRO: the flag keeps it from
 * merging with its neighbour when mlockall changes both), and that writable anonymous memory
 * is wholly resident (the runner populates it before its first report, so that
 * mlockall(MCL_CURRENT) adds no page the engine cannot place).
 */
static const char *
describe_start_vma(struct ctx *c, const struct conf_vma *v)
{
	bool file = v->name[0] && v->name[0] != '[';

	if (v->rss_anon && mm_vma_set_anon(c->mm, v->start))
		return "mm_vma_set_anon";
	if (file && v->flags_known && (v->flags & (VM_ACCOUNT | VM_SHARED)) == VM_ACCOUNT &&
	    mm_vma_set_account(c->mm, v->start))
		return "mm_vma_set_account";
	if (!file && v->perms[1] == 'w' && v->rss_anon == (v->end - v->start) / PAGE &&
	    mm_populate(c->mm, v->start, v->end - v->start, true))
		return "mm_populate";
	return NULL;
}

static int
attach_anon_vmas(struct ctx *c, const struct conf_vmas *init)
{
	for (size_t i = 0; i < init->n; i++) {
		const struct conf_vma *v = &init->v[i];
		const char *failed = is_gate(v) ? NULL : describe_start_vma(c, v);

		if (failed) {
			verdict(c, CONF_HARNESS_ERROR, CONF_FAM_RSS, "engine: %s(0x%llx) failed",
				failed, (unsigned long long)v->start);
			return -EINVAL;
		}
	}
	return 0;
}

static void
record_bases(struct ctx *c, const struct conf_vmas *init)
{
	c->base = calloc(init->n, sizeof(*c->base));
	if (!c->base)
		return;
	for (size_t i = 0; i < init->n; i++) {
		const struct conf_vma *v = &init->v[i];
		const struct vma *e = mm_vma_lookup(c->mm, v->start);
		struct mm_vma_info info = { 0 };
		struct base *b = &c->base[c->nbase];

		if (is_gate(v))
			continue;
		if (e)
			mm_vma_info(e, &info);
		b->start = v->start;
		b->end = v->end;
		b->file = v->name[0] && v->name[0] != '[';
		b->k_anon = v->rss_anon;
		b->k_other = v->rss_other;
		b->e_anon = info.rss_anon;
		b->e_other = info.rss_file + info.rss_shmem;
		c->e_init_rss += b->e_anon + b->e_other;
		c->nbase++;
	}
}

static int
setup_engine(struct ctx *c)
{
	const struct conf_snapshot *s = &c->run->init;
	struct mm_config cfg = c->host->cfg;
	struct conf_vmas init;
	unsigned line = 0;
	int err;

	if (conf_parse_maps(s->maps, s->smaps, &init)) {
		verdict(c, CONF_HARNESS_ERROR, CONF_FAM_MAPS, "cannot parse the runner's maps");
		return -EINVAL;
	}
	cfg.start_brk = s->st.start_brk;
	cfg.start_stack = s->st.start_stack;
	cfg.mmap_base = derive_mmap_base(&init);
	/* The limits and capability the runner ran the sequence with. */
	cfg.rlimit_as = s->st.rlimit_as;
	cfg.rlimit_data = s->st.rlimit_data;
	cfg.rlimit_memlock = s->st.rlimit_memlock;
	cfg.cap_ipc_lock = s->st.cap_ipc_lock;
	/* The personality it ran under (ADDR_NO_RANDOMIZE is how every run starts). */
	cfg.personality = s->st.personality & MM_PER_MODELLED;
	err = mm_import_maps(&cfg, s->maps, strlen(s->maps), &c->mm, &line);
	if (err) {
		verdict(c, CONF_HARNESS_ERROR, CONF_FAM_MAPS,
			"mm_import_maps of the runner's maps failed: %s at line %u",
			strerrorname_np(-err), line);
		conf_vmas_free(&init);
		return err;
	}
	mm_set_layout(c->mm, s->st.start_brk, s->st.brk, s->st.start_stack);
	mm_set_code(c->mm, s->st.start_code, s->st.end_code);
	/* Every lookup after a change then rebuilds the flat index, which the checker checks. */
	mm_set_flat_after(c->mm, 1);
	err = attach_anon_vmas(c, &init);
	if (!err)
		record_bases(c, &init);
	conf_vmas_free(&init);
	return err;
}

static struct mm_file_desc
file_desc(const struct ctx *c, int slot)
{
	const struct conf_file *f = &c->seq->prog.files[slot];
	int which = strcmp(f->path, c->files->path[0]) ? 1 : 0;

	if (strcmp(f->path, CONF_DEV_ZERO) == 0)
		return (struct mm_file_desc){
			.path = f->path,
			.instance = (uint64_t)slot,
			.mode = MM_FMODE_READ | (f->writable ? MM_FMODE_WRITE : 0),
			.dev_major = c->files->zero_major,
			.dev_minor = c->files->zero_minor,
			.ino = c->files->zero_ino,
			.size = MM_FILE_SIZE_UNKNOWN,
			.kind = MM_FILE_DEVZERO,
		};
	return (struct mm_file_desc){
		.path = f->path,
		.instance = (uint64_t)slot,
		.mode = MM_FMODE_READ | (f->writable ? MM_FMODE_WRITE : 0),
		.dev_major = c->files->dev_major[which],
		.dev_minor = c->files->dev_minor[which],
		.ino = c->files->ino[which],
		.size = c->files->size[which],
		.noexec = c->files->noexec,
	};
}

static int64_t
addr_or_err(int err, uint64_t addr)
{
	return err ? err : (int64_t)addr;
}

/* Runs op on the engine; *ret is comparable with the kernel's ret (touch: the fault kind). */
static int
engine_op(struct ctx *c, const struct conf_op *op, const struct conf_result *k, int64_t *ret)
{
	struct mm_file_desc fd;
	enum mm_fault_result fr;
	uint64_t out = 0;
	struct mm *child;
	int err, pkey;

	switch (op->kind) {
	case CONF_OP_MMAP:
		if (op->file >= 0)
			fd = file_desc(c, op->file);
		err = mm_mmap(c->mm, k->addr, op->len, op->prot, op->flags,
			      op->file >= 0 ? &fd : NULL, op->offset, &out);
		*ret = addr_or_err(err, out);
		return 0;
	case CONF_OP_MUNMAP:
		*ret = mm_munmap(c->mm, k->addr, op->len);
		return 0;
	case CONF_OP_MPROTECT:
		*ret = mm_mprotect(c->mm, k->addr, op->len, op->prot);
		return 0;
	case CONF_OP_MREMAP:
		err = mm_mremap(c->mm, k->addr, op->len, op->new_len, op->flags, k->new_addr, &out);
		*ret = addr_or_err(err, out);
		return 0;
	case CONF_OP_BRK:
		*ret = (int64_t)mm_brk(c->mm, k->addr);
		return 0;
	case CONF_OP_TOUCH:
		err = mm_fault(c->mm, k->addr, op->flags & 1 ? MM_ACCESS_WRITE : MM_ACCESS_READ,
			       &fr);
		*ret = err ? err : (int64_t)fr;
		return 0;
	case CONF_OP_MADVISE:
		*ret = mm_madvise(c->mm, k->addr, op->len, op->advice);
		return 0;
	case CONF_OP_MLOCK:
		*ret = mm_mlock(c->mm, k->addr, op->len, op->flags);
		return 0;
	case CONF_OP_MUNLOCK:
		*ret = mm_munlock(c->mm, k->addr, op->len);
		return 0;
	case CONF_OP_MSEAL:
		*ret = mm_mseal(c->mm, k->addr, op->len, op->flags);
		return 0;
	case CONF_OP_MLOCKALL:
		*ret = mm_mlockall(c->mm, op->flags);
		return 0;
	case CONF_OP_MUNLOCKALL:
		*ret = mm_munlockall(c->mm);
		return 0;
	case CONF_OP_PKEY_ALLOC:
		err = mm_pkey_alloc(c->mm, op->flags, op->prot, &pkey);
		*ret = err ? err : pkey;
		return 0;
	case CONF_OP_PKEY_FREE:
		*ret = mm_pkey_free(c->mm, op->advice);
		return 0;
	case CONF_OP_PKEY_MPROTECT:
		*ret = mm_pkey_mprotect(c->mm, k->addr, op->len, op->prot, op->advice);
		return 0;
	case CONF_OP_ANON_NAME: {
		static const char *const names[CONF_ANON_NAME_COUNT] = CONF_ANON_NAMES;

		*ret = mm_set_vma_anon_name(c->mm, k->addr, op->len,
					    op->flags ? names[op->flags - 1] : NULL);
		return 0;
	}
	default:
		err = mm_fork(c->mm, &child);
		if (err)
			return err;
		mm_destroy(c->mm);
		c->mm = child;
		c->forked = true;
		*ret = 0;
		return 0;
	}
}

static void
describe_ret(const struct conf_op *op, int64_t ret, char *buf, size_t size)
{
	struct conf_result r = { .ret = ret, .fault = (int32_t)ret };

	if (op->kind == CONF_OP_TOUCH && ret < 0)
		snprintf(buf, size, "error -%s", strerrorname_np((int)-ret));
	else if (op->kind == CONF_OP_TOUCH)
		conf_format_op(op, &r, buf, size);
	else if (ret < 0)
		snprintf(buf, size, "-%s", strerrorname_np((int)-ret));
	else
		snprintf(buf, size, "0x%llx", (unsigned long long)ret);
}

static int
replay(struct ctx *c)
{
	const struct conf_krun *run = c->run;
	char kdesc[512], edesc[512];

	if (run->nres != c->seq->nops) {
		verdict(c, CONF_HARNESS_ERROR, CONF_FAM_MAPS, "runner reported %zu of %zu results",
			run->nres, c->seq->nops);
		return -EPROTO;
	}
	for (size_t i = 0; i < c->seq->nops; i++) {
		const struct conf_op *op = &c->seq->ops[i];
		const struct conf_result *k = &run->res[i];
		int64_t kret, eret;

		if (k->skipped)
			continue;
		c->aged |= op->kind == CONF_OP_MADVISE &&
			   (op->advice == MM_MADV_FREE || op->advice == MM_MADV_COLD ||
			    op->advice == MM_MADV_PAGEOUT);
		if (engine_op(c, op, k, &eret)) {
			c->rep->op_index = (int)i;
			verdict(c, CONF_DISAGREE, CONF_FAM_FORK, "op %zu: mm_fork failed", i);
			return -EINVAL;
		}
		kret = op->kind == CONF_OP_TOUCH ? k->fault : k->ret;
		if (kret == eret)
			continue;
		c->rep->op_index = (int)i;
		conf_format_op(op, k, kdesc, sizeof(kdesc));
		describe_ret(op, eret, edesc, sizeof(edesc));
		verdict(c, CONF_DISAGREE, conf_op_family(op), "op %zu: kernel %s; engine %s", i,
			kdesc, edesc);
		return -EINVAL;
	}
	return 0;
}

/* Engine VMAs as maps prints them, plus flags and resident pages from mm_vma_info. */
static int
engine_vmas(struct ctx *c, struct conf_vmas *out)
{
	const struct vma *v;
	char *text = NULL;
	size_t len, i = 0;
	int err = mm_render_maps(c->mm, &text, &len);

	if (!err)
		err = conf_parse_maps(text, NULL, out);
	free(text);
	if (err)
		return err;
	for (v = mm_first_vma(c->mm); v && i < out->n; v = mm_next_vma(v), i++) {
		struct mm_vma_info info;

		mm_vma_info(v, &info);
		out->v[i].flags = info.flags;
		out->v[i].flags_known = true;
		out->v[i].rss_anon = info.rss_anon;
		out->v[i].rss_other = info.rss_file + info.rss_shmem;
	}
	return 0;
}

static bool
shmem_ino_consistent(uint64_t *kmap, uint64_t *emap, size_t *n, uint64_t k, uint64_t e)
{
	for (size_t i = 0; i < *n; i++) {
		if (kmap[i] == k || emap[i] == e)
			return kmap[i] == k && emap[i] == e;
	}
	kmap[*n] = k;
	emap[(*n)++] = e;
	return true;
}

static bool
same_fields(const struct conf_vma *k, const struct conf_vma *e)
{
	return k->start == e->start && k->end == e->end && !strcmp(k->perms, e->perms) &&
	       k->offset == e->offset && k->major == e->major && k->minor == e->minor &&
	       !strcmp(k->name, e->name);
}

static int
compare_maps(struct ctx *c, const struct conf_vmas *k, const struct conf_vmas *e)
{
	uint64_t *kino = calloc(k->n + 1, sizeof(*kino)), *eino = calloc(k->n + 1, sizeof(*eino));
	size_t nino = 0, i;
	int bad = -1;

	for (i = 0; kino && eino && i < k->n && i < e->n && bad < 0; i++) {
		const struct conf_vma *kv = &k->v[i], *ev = &e->v[i];

		if (kv->shmem ? !same_fields(kv, ev) ||
					!shmem_ino_consistent(kino, eino, &nino, kv->ino, ev->ino)
			      : strcmp(kv->line, ev->line))
			bad = (int)i;
	}
	free(kino);
	free(eino);
	if (bad < 0 && k->n == e->n)
		return 0;
	if (bad < 0)
		bad = (int)(k->n < e->n ? k->n : e->n);
	verdict(c, CONF_DISAGREE, CONF_FAM_MAPS,
		"final maps differ from line %d (of %zu kernel, %zu engine):\n  kernel: %s\n  "
		"engine: %s",
		bad + 1, k->n, e->n, (size_t)bad < k->n ? k->v[bad].line : "(none)",
		(size_t)bad < e->n ? e->v[bad].line : "(none)");
	return -EINVAL;
}

static bool
overlaps(uint64_t s1, uint64_t e1, uint64_t s2, uint64_t e2)
{
	return s1 < e2 && s2 < e1;
}

/* How a final VMA relates to the starting ones: 0 none, 1 is exactly one, 2 grew from some. */
static int
relation(const struct ctx *c, const struct conf_vma *v, bool *file, bool *partial)
{
	int rel = 0;

	*file = *partial = false;
	for (size_t i = 0; i < c->nbase; i++) {
		const struct base *b = &c->base[i];

		if (!overlaps(v->start, v->end, b->start, b->end))
			continue;
		*file |= b->file;
		if (b->start == v->start && b->end == v->end)
			return 1;
		*partial |= b->start < v->start || b->end > v->end;
		rel = 2;
	}
	return rel;
}

static void
base_pages(const struct ctx *c, const struct conf_vma *v, uint64_t pages[4])
{
	for (size_t i = 0; i < c->nbase; i++) {
		const struct base *b = &c->base[i];

		if (b->start >= v->start && b->end <= v->end) {
			pages[0] += b->k_anon;
			pages[1] += b->k_other;
			pages[2] += b->e_anon;
			pages[3] += b->e_other;
		}
	}
}

static void
compare_flags(struct ctx *c, const struct conf_vma *k, const struct conf_vma *e, size_t i)
{
	bool file, partial;

	if (relation(c, k, &file, &partial) && file)
		return;
	c->rep->flags_compared++;
	if (!k->flags_known || k->flags != e->flags)
		verdict(c, CONF_DISAGREE, CONF_FAM_VMFLAGS,
			"VMA %zu (%s): kernel VmFlags 0x%llx, engine 0x%llx (differ: 0x%llx)",
			i + 1, k->line, (unsigned long long)k->flags, (unsigned long long)e->flags,
			(unsigned long long)(k->flags ^ e->flags));
}

/* Per-VMA RSS; adds to excl[] what the status totals must leave out (k anon/other, e ...). */
static void
compare_rss(struct ctx *c, const struct conf_vma *k, const struct conf_vma *e, size_t i,
	    uint64_t excl[4])
{
	uint64_t b[4] = { 0 };
	bool file, partial;
	int rel = relation(c, k, &file, &partial);

	if (rel == 1) {
		excl[0] += k->rss_anon;
		excl[1] += k->rss_other;
		excl[2] += e->rss_anon;
		excl[3] += e->rss_other;
		return;
	}
	if (rel == 2 && (file || partial)) {
		verdict(c, CONF_HARNESS_ERROR, CONF_FAM_RSS,
			"VMA %zu (%s) cuts into the runner's own mappings", i + 1, k->line);
		return;
	}
	c->rep->vmas++;
	c->rep->vmas_resident += k->rss_anon + k->rss_other > 0;
	base_pages(c, k, b);
	for (int j = 0; j < 4; j++)
		excl[j] += b[j];
	if (k->rss_anon - b[0] != e->rss_anon - b[2] || k->rss_other - b[1] != e->rss_other - b[3])
		verdict(c, CONF_DISAGREE, CONF_FAM_RSS,
			"VMA %zu (%s): kernel Rss %llu anon + %llu file/shmem pages, engine %llu + "
			"%llu",
			i + 1, k->line, (unsigned long long)(k->rss_anon - b[0]),
			(unsigned long long)(k->rss_other - b[1]),
			(unsigned long long)(e->rss_anon - b[2]),
			(unsigned long long)(e->rss_other - b[3]));
}

static void
shmem_split(const struct conf_vmas *v, size_t i, uint64_t other, uint64_t *file, uint64_t *shm)
{
	if (v->v[i].shmem)
		*shm += other;
	else
		*file += other;
}

static void
compare_status_rss(struct ctx *c, const struct conf_status *ks, const struct conf_status *es,
		   const uint64_t kx[3], const uint64_t ex[3])
{
	long long k[3] = { ks->anon / 4 - (long long)kx[0], ks->file / 4 - (long long)kx[1],
			   ks->shmem / 4 - (long long)kx[2] };
	long long e[3] = { es->anon / 4 - (long long)ex[0], es->file / 4 - (long long)ex[1],
			   es->shmem / 4 - (long long)ex[2] };
	static const char *const names[3] = { "RssAnon", "RssFile", "RssShmem" };

	for (int j = 0; j < 3; j++) {
		if (k[j] != e[j])
			verdict(c, CONF_DISAGREE, CONF_FAM_STATUS,
				"%s of the sequence's mappings: kernel %lld pages, engine %lld",
				names[j], k[j], e[j]);
	}
	if (ks->rss - ks->anon - ks->file - ks->shmem || es->rss - es->anon - es->file - es->shmem)
		verdict(c, CONF_DISAGREE, CONF_FAM_STATUS, "VmRSS is not the sum of its parts");
}

static void
compare_status(struct ctx *c, const uint64_t kx[3], const uint64_t ex[3])
{
	struct conf_status ks, es, k0;
	char *text = NULL;

	conf_parse_status(c->run->fin.status, &ks);
	conf_parse_status(c->run->init.status, &k0);
	if (mm_render_status(c->mm, &text, NULL)) {
		verdict(c, CONF_HARNESS_ERROR, CONF_FAM_STATUS, "mm_render_status failed");
		return;
	}
	conf_parse_status(text, &es);
	free(text);
#define SAME(field, name)                                                                          \
	if (ks.field != es.field)                                                                  \
		verdict(c, CONF_DISAGREE, CONF_FAM_STATUS, "%s: kernel %lld kB, engine %lld kB",   \
			name, ks.field, es.field);
	SAME(size, "VmSize");
	SAME(lck, "VmLck");
	SAME(data, "VmData");
	SAME(stk, "VmStk");
	SAME(exe, "VmExe");
	SAME(lib, "VmLib");
#undef SAME
	if (c->forked ? ks.peak != es.peak : ks.peak != (k0.peak > es.peak ? k0.peak : es.peak))
		verdict(c, CONF_DISAGREE, CONF_FAM_STATUS,
			"VmPeak: kernel %lld kB (%lld at the start), engine %lld kB", ks.peak,
			k0.peak, es.peak);
	compare_status_rss(c, &ks, &es, kx, ex);
}

/* The smaps block of a VMA the sequence made (none of the runner's own pages in it). */
static void
compare_smaps(struct ctx *c, const struct conf_vma *k, const char *esmaps, size_t i)
{
	bool file, partial,
		exact = c->seq->smaps_exact || (!c->forked && !c->aged && !k->rss_other);
	char why[512];

	if (relation(c, k, &file, &partial))
		return;
	c->rep->smaps_compared++;
	c->rep->smaps_exact += exact;
	if (conf_smaps_compare(c->run->fin.smaps, esmaps, k->start, exact, why, sizeof(why)))
		verdict(c, CONF_DISAGREE, CONF_FAM_SMAPS, "VMA %zu (%s): %s", i + 1, k->line, why);
}

static void
compare_final(struct ctx *c)
{
	struct conf_vmas k, e;
	uint64_t excl[4] = { 0 }, kx[3] = { 0 }, ex[3] = { 0 };
	char msg[256], *esmaps = NULL;

	if (mm_validate(c->mm, msg, sizeof(msg))) {
		verdict(c, CONF_DISAGREE, CONF_FAM_MAPS, "engine invariants broken: %s", msg);
		return;
	}

	if (conf_parse_maps(c->run->fin.maps, c->run->fin.smaps, &k)) {
		verdict(c, CONF_HARNESS_ERROR, CONF_FAM_MAPS, "cannot parse the final kernel maps");
		return;
	}
	if (engine_vmas(c, &e)) {
		verdict(c, CONF_HARNESS_ERROR, CONF_FAM_MAPS, "cannot render the engine's maps");
		conf_vmas_free(&k);
		return;
	}
	if (mm_render_smaps(c->mm, false, &esmaps, NULL)) {
		verdict(c, CONF_HARNESS_ERROR, CONF_FAM_SMAPS, "cannot render the engine's smaps");
		esmaps = NULL;
	}
	if (esmaps && !compare_maps(c, &k, &e)) {
		for (size_t i = 0; i < k.n; i++) {
			uint64_t before[4];

			if (is_gate(&k.v[i]))
				continue;
			memcpy(before, excl, sizeof(before));
			compare_flags(c, &k.v[i], &e.v[i], i);
			compare_rss(c, &k.v[i], &e.v[i], i, excl);
			compare_smaps(c, &k.v[i], esmaps, i);
			kx[0] += excl[0] - before[0];
			ex[0] += excl[2] - before[2];
			shmem_split(&k, i, excl[1] - before[1], &kx[1], &kx[2]);
			shmem_split(&e, i, excl[3] - before[3], &ex[1], &ex[2]);
		}
		compare_status(c, kx, ex);
	}
	free(esmaps);
	conf_vmas_free(&k);
	conf_vmas_free(&e);
}

void
conf_check(const struct conf_host *host, const struct conf_files *files, const struct conf_seq *seq,
	   const struct conf_krun *run, struct conf_report *rep)
{
	struct ctx c = { .host = host, .files = files, .seq = seq, .run = run, .rep = rep };

	memset(rep, 0, sizeof(*rep));
	rep->op_index = -1;
	if (!setup_engine(&c) && !replay(&c))
		compare_final(&c);
	mm_destroy(c.mm);
	free(c.base);
}
