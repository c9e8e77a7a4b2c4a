/* SPDX-License-Identifier: MIT */
/*
 * Import of /proc/PID/maps text into a new mm.
 *
 * maps shows only part of a VMA's state, so the rest is filled in as the kernel would have set
 * it for the usual way such a mapping is made:
 * - MAYREAD|MAYEXEC always; MAYWRITE for private mappings, for writable shared ones and for
 *   shared anonymous memory (a read-only shared file mapping is taken to come from an fd
 *   opened read-only, which clears MAYWRITE);
 * - VM_ACCOUNT on private writable mappings (accountable_mapping()), VM_SHARED on writable
 *   shared ones;
 * - private anonymous pgoff = start >> 12, as mmap sets it;
 * - [heap] gives start_brk/brk, [stack] gives start_stack and VM_GROWSDOWN;
 * - the first file in maps is the program: its executable mappings give start_code/end_code
 *   (VmExe, VmLib).  Without [heap], the break is where fs/binfmt_elf.c: load_elf_binary()
 *   put it: an ET_DYN program without an interpreter (a static-pie, or ld.so run as a
 *   command) is mapped like a library, near the top of the mmap area, and its break moves to
 *   ELF_ET_DYN_BASE (PAGE_ALIGN(2/3 of the task), 0x555555555000 on x86_64); such an image
 *   is recognised by lying in the upper half between ELF_ET_DYN_BASE and the task's end
 *   (with or without randomisation, PIEs load below that midpoint and the mmap area lies
 *   above it).  Any other program's break starts where its image ends, after the anonymous
 *   mapping (.bss) that follows it directly;
 * - "/dev/zero (deleted)" and "/SYSV..." shared mappings are shmem;
 * - [vvar], [vvar_vclock], [vdso] and other bracketed special mappings get the special flags
 *   they have in the kernel (VM_DONTEXPAND, and VM_IO|VM_PFNMAP for the vvar pages), so they
 *   never merge, grow or move; they are kept as named mappings so that maps prints them;
 * - [anon:NAME] is plain anonymous memory (the engine keeps no anonymous VMA names);
 * - a shared line named [heap], [stack] or [anon:NAME] is refused: fs/proc/task_mmu.c:
 *   get_vma_name() prints those for private memory only (shared anonymous memory is shmem);
 * - a shared mapping with no name (not printed by Linux) is taken as shmem;
 * - the [vsyscall] gate is not a VMA: its line sets gate_vma, its absence clears it.
 * Lines out of address order are refused (maps prints none).
 * Which VMAs have an anon_vma, and which pages are resident, cannot be read from maps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mm_internal.h"

#define DELETED_SUFFIX " (deleted)"

/* One parsed line. name points into the text and is name_len bytes long (0: no name). */
struct maps_line {
	uint64_t start, end, offset, ino;
	uint32_t major, minor;
	bool r, w, x, s;
	const char *name;
	size_t name_len;
};

/* Where the layout fields come from while the lines are read. */
struct import_state {
	uint64_t heap_start, heap_end;
	uint64_t stack_start, stack_end;
	bool have_heap, have_stack, gate;
	/* The program: the first run of lines naming the first file. */
	const char *exe;
	size_t exe_len;
	bool exe_done;
	uint64_t image_start, image_end, code_start, code_end;
};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads 1..16 hex digits at *p, leaving *p after them. */
static int
parse_hex(const char **p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0;

	while (*p < end && hexval(**p) >= 0) {
		if (++n > 16)
			return -EINVAL;
		v = v << 4 | (uint64_t)hexval(**p);
		(*p)++;
	}
	*out = v;
	return n ? 0 : -EINVAL;
}

static int
parse_dec(const char **p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0;

	while (*p < end && **p >= '0' && **p <= '9') {
		unsigned d = (unsigned)(**p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
		(*p)++;
		n++;
	}
	*out = v;
	return n ? 0 : -EINVAL;
}

static int
expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return -EINVAL;
	(*p)++;
	return 0;
}

static int
parse_flag(const char **p, const char *end, char yes, char no, bool *out)
{
	if (*p >= end || (**p != yes && **p != no))
		return -EINVAL;
	*out = **p == yes;
	(*p)++;
	return 0;
}

static int
parse_perms(const char **p, const char *end, struct maps_line *l)
{
	if (parse_flag(p, end, 'r', '-', &l->r) || parse_flag(p, end, 'w', '-', &l->w) ||
	    parse_flag(p, end, 'x', '-', &l->x) || parse_flag(p, end, 's', 'p', &l->s))
		return -EINVAL;
	return 0;
}

static int
parse_dev(const char **p, const char *end, struct maps_line *l)
{
	uint64_t major, minor;

	if (parse_hex(p, end, &major) || expect(p, end, ':') || parse_hex(p, end, &minor))
		return -EINVAL;
	if (major > UINT32_MAX || minor > UINT32_MAX)
		return -EINVAL;
	l->major = (uint32_t)major;
	l->minor = (uint32_t)minor;
	return 0;
}

/* Parses one line [p, end) (without its newline). */
static int
parse_line(const char *p, const char *end, struct maps_line *l)
{
	memset(l, 0, sizeof(*l));
	if (parse_hex(&p, end, &l->start) || expect(&p, end, '-') || parse_hex(&p, end, &l->end) ||
	    expect(&p, end, ' ') || parse_perms(&p, end, l) || expect(&p, end, ' ') ||
	    parse_hex(&p, end, &l->offset) || expect(&p, end, ' ') || parse_dev(&p, end, l) ||
	    expect(&p, end, ' ') || parse_dec(&p, end, &l->ino))
		return -EINVAL;
	if (p < end && *p != ' ')
		return -EINVAL;
	while (p < end && *p == ' ')
		p++;
	l->name = p;
	l->name_len = (size_t)(end - p);
	/* A path holds no NUL, so maps prints none; the name would be cut at it. */
	if (l->start >= l->end || (l->start | l->end | l->offset) & (MM_PAGE_SIZE - 1) ||
	    memchr(l->name, '\0', l->name_len))
		return -EINVAL;
	return 0;
}

static bool
name_is(const struct maps_line *l, const char *s)
{
	return l->name_len == strlen(s) && !memcmp(l->name, s, l->name_len);
}

static bool
name_starts(const struct maps_line *l, const char *s)
{
	return l->name_len >= strlen(s) && !memcmp(l->name, s, strlen(s));
}

static bool
name_is_special(const struct maps_line *l)
{
	return l->name_len >= 2 && l->name[0] == '[' && l->name[l->name_len - 1] == ']';
}

static uint64_t
prot_flags(const struct maps_line *l)
{
	return (l->r ? VM_READ : 0) | (l->w ? VM_WRITE : 0) | (l->x ? VM_EXEC : 0);
}

/* The flags mmap would have given a mapping that maps prints this way. */
static uint64_t
mapping_flags(const struct maps_line *l, bool shmem)
{
	uint64_t flags = prot_flags(l) | VM_MAYREAD | VM_MAYEXEC;

	if (!l->s) {
		flags |= VM_MAYWRITE;
		if (l->w)
			flags |= VM_ACCOUNT;
		return flags;
	}
	flags |= VM_MAYSHARE;
	if (l->w || shmem)
		flags |= VM_MAYWRITE;
	if (l->w)
		flags |= VM_SHARED;
	return flags;
}

static int
insert_special(struct mm *mm, const struct maps_line *l, char *name)
{
	struct mm_file_desc fd = { .path = name, .size = MM_FILE_SIZE_UNKNOWN };
	uint64_t flags = prot_flags(l);

	if (!strncmp(name, "[vvar", 5))
		flags |= SPECIAL_VVAR_FLAGS;
	else
		flags |= SPECIAL_VDSO_FLAGS;
	return mm_insert_vma(mm, l->start, l->end, flags, 0, &fd, false);
}

static int
insert_anon(struct mm *mm, const struct maps_line *l, struct import_state *st)
{
	uint64_t flags = mapping_flags(l, false);

	if (name_is(l, "[heap]")) {
		if (!st->have_heap)
			st->heap_start = l->start;
		st->heap_end = l->end;
		st->have_heap = true;
	} else if (name_is(l, "[stack]")) {
		flags |= VM_GROWSDOWN;
		st->stack_start = l->start;
		st->stack_end = l->end;
		st->have_stack = true;
	}
	return mm_insert_vma(mm, l->start, l->end, flags, l->start >> MM_PAGE_SHIFT, NULL, false);
}

static int
insert_file(struct mm *mm, const struct maps_line *l, char *path)
{
	struct mm_file_desc fd = {
		.path = path,
		.mode = MM_FMODE_READ | (l->s && l->w ? MM_FMODE_WRITE : 0),
		.dev_major = l->major,
		.dev_minor = l->minor,
		.ino = l->ino,
		.size = MM_FILE_SIZE_UNKNOWN,
	};
	size_t n = strlen(path), sl = strlen(DELETED_SUFFIX);
	bool shmem =
		l->s && (!strcmp(path, "/dev/zero" DELETED_SUFFIX) || !strncmp(path, "/SYSV", 5));

	if (n > sl && !strcmp(path + n - sl, DELETED_SUFFIX)) {
		path[n - sl] = '\0';
		fd.deleted = true;
	}
	if (shmem)
		fd.mode = MM_FMODE_READ | MM_FMODE_WRITE;
	return mm_insert_vma(mm, l->start, l->end, mapping_flags(l, shmem),
			     l->offset >> MM_PAGE_SHIFT, &fd, shmem);
}

static int
import_line(struct mm *mm, const struct maps_line *l, struct import_state *st)
{
	char *name;
	int err;

	if (name_is(l, "[vsyscall]"))
		return 0;
	if (l->s && (name_is(l, "[heap]") || name_is(l, "[stack]") || name_starts(l, "[anon:")))
		return -EINVAL;
	if (!l->name_len && l->s)
		return mm_insert_vma(mm, l->start, l->end, mapping_flags(l, true),
				     l->offset >> MM_PAGE_SHIFT, NULL, true);
	if (!l->name_len || name_is(l, "[heap]") || name_is(l, "[stack]") ||
	    name_starts(l, "[anon:"))
		return insert_anon(mm, l, st);
	name = strndup(l->name, l->name_len);
	if (!name)
		return -ENOMEM;
	if (name_is_special(l) && !name_starts(l, "[anon_shmem:"))
		err = insert_special(mm, l, name);
	else
		err = insert_file(mm, l, name);
	free(name);
	return err;
}

/*
 * Notes the program's image: its lines come first among the files and together, and its .bss
 * is the unnamed private anonymous mapping that starts where they end.
 */
static void
note_image(struct import_state *st, const struct maps_line *l)
{
	bool file = l->name_len && l->name[0] == '/';

	if (st->exe_done)
		return;
	if (file && !l->s && !st->exe) {
		st->exe = l->name;
		st->exe_len = l->name_len;
		st->image_start = l->start;
	}
	if (!st->exe)
		return;
	if (file && l->name_len == st->exe_len && !memcmp(l->name, st->exe, st->exe_len)) {
		st->image_end = l->end;
		if (l->x && !l->s) {
			if (!st->code_end)
				st->code_start = l->start;
			st->code_end = l->end;
		}
		return;
	}
	if (!l->name_len && !l->s && l->start == st->image_end)
		st->image_end = l->end;
	st->exe_done = true;
}

/*
 * Walks the lines; with mm NULL it only checks them and notes the gate line.  A failed
 * insertion of a well-formed line means the text is not a possible address space: -EINVAL.
 */
static int
import_all(struct mm *mm, const char *text, size_t len, struct import_state *st, unsigned *line)
{
	const char *p = text, *end = text + len;
	struct maps_line l;
	uint64_t last_end = 0;
	int err;

	*line = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		++*line;
		/* fs/proc/task_mmu.c prints the VMAs in address order; the image and the break
		 * are read from the lines in that order. */
		if (parse_line(p, eol, &l) || l.start < last_end)
			return -EINVAL;
		last_end = l.end;
		if (!mm)
			st->gate |= name_is(&l, "[vsyscall]");
		else if ((err = import_line(mm, &l, st)))
			return err == -ENOMEM ? err : -EINVAL;
		else
			note_image(st, &l);
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* Where load_elf_binary() starts the break of a program whose image ends at image_end. */
static uint64_t
image_brk(const struct mm_config *cfg, const struct import_state *st)
{
	uint64_t et_dyn_base = cfg->task_size / 3 * 2;

	if (st->image_start >= et_dyn_base + (cfg->task_size - et_dyn_base) / 2)
		return (et_dyn_base + MM_PAGE_SIZE - 1) & ~(MM_PAGE_SIZE - 1);
	return st->image_end;
}

static void
apply_layout(struct mm *mm, const struct mm_config *cfg, const struct import_state *st)
{
	uint64_t start_brk = cfg->start_brk, brk = cfg->start_brk;
	uint64_t start_stack = cfg->start_stack;

	if (st->have_heap) {
		start_brk = st->heap_start;
		brk = st->heap_end;
	} else if (st->image_end) {
		start_brk = brk = image_brk(cfg, st);
	}
	if (st->have_stack && (start_stack < st->stack_start || start_stack > st->stack_end))
		start_stack = st->stack_end - 1;
	mm_set_layout(mm, start_brk, brk, start_stack);
	mm_set_code(mm, st->code_start, st->code_end);
}

int
mm_import_maps(const struct mm_config *cfg, const char *text, size_t len, struct mm **out,
	       unsigned *errline)
{
	struct import_state st = { 0 };
	struct mm_config c;
	struct mm *mm;
	unsigned line = 0;
	int err;

	if (!cfg || (!text && len) || !out)
		return -EINVAL;
	err = import_all(NULL, text, len, &st, &line);
	if (err) {
		if (errline)
			*errline = line;
		return err;
	}
	c = *cfg;
	c.with_stack = false;
	c.gate_vma = st.gate;
	err = mm_create(&c, &mm);
	if (err)
		return err;
	err = import_all(mm, text, len, &st, &line);
	if (err) {
		if (errline)
			*errline = line;
		mm_destroy(mm);
		return err;
	}
	apply_layout(mm, cfg, &st);
	*out = mm;
	return 0;
}
