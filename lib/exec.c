/* SPDX-License-Identifier: MIT */
/*
 * exec: a new mm laid out as execve(2) leaves it at the program's first instruction, with
 * address randomisation off.  The steps follow fs/binfmt_elf.c: load_elf_binary() in the
 * kernel's order: the argument pages and setup_arg_pages() (fs/exec.c), the program's
 * PT_LOAD segments through elf_load() (file pages, padzero(), vm_brk_flags() for the bss),
 * the break, the interpreter through load_elf_interp(), map_vdso()
 * (arch/x86/entry/vdso/vma.c), and the stack writes of create_elf_tables().
 */
#include <string.h>

#include "mm_internal.h"

#define X86_64_PLATFORM_LEN 7 /* "x86_64" and its NUL: ELF_PLATFORM */
#define I386_PLATFORM_LEN   5 /* "i686" */
#define AT_RANDOM_LEN       16
/* create_elf_tables() auxv words, AT_NULL included: 23 pairs, one more (AT_SYSINFO) on ia32. */
#define X86_64_AUXV_WORDS 46
#define I386_AUXV_WORDS   48
#define STACK_EXPAND      (128ULL << 10) /* setup_arg_pages(): "randomly 32*4k" */
#define ARG_MAX_BYTES     (32 * MM_PAGE_SIZE)
#define STK_LIM           (8ULL << 20)
/* map_vdso(): [vvar] 4 pages, [vvar_vclock] 2 pages, then the vDSO text. */
#define VVAR_PAGES        4
#define VVAR_VCLOCK_PAGES 2
#define X86_64_VDSO_PAGES 2
#define I386_VDSO_PAGES   2
/*
 * Where this kernel loads an i386 PIE without randomisation: 16 MiB above TASK_UNMAPPED_BASE
 * (measured: 0x56555000, and 0x41000000 under ADDR_LIMIT_3GB).
 */
#define I386_ET_DYN_OFFSET 0x1000000ULL

struct exec_ctx {
	struct mm *mm;
	const struct mm_exec_args *a;
	struct mm_exec_info *info;
	bool is64;
	uint64_t elf_brk;
};

static uint64_t
page_down(uint64_t x)
{
	return x & MM_PAGE_MASK;
}

static uint64_t
page_off(uint64_t x)
{
	return x & (MM_PAGE_SIZE - 1);
}

/* Headers exec would refuse, or figures whose sums would wrap. */
static int
exec_check_image(const struct mm_exec_image *im, uint64_t task_size)
{
	if (!im->nseg || im->nseg > MM_EXEC_MAX_SEGMENTS || !im->seg)
		return -EINVAL;
	for (uint32_t i = 0; i < im->nseg; i++) {
		const struct mm_exec_segment *s = &im->seg[i];
		if (s->filesz > s->memsz || s->memsz > task_size || s->vaddr > task_size ||
		    s->vaddr + s->memsz > task_size || page_off(s->vaddr) != page_off(s->offset) ||
		    s->offset + s->filesz < s->offset)
			return -EINVAL;
	}
	return 0;
}

/* total_mapping_size(): from the first segment's page to the end of the last one. */
static uint64_t
exec_total_size(const struct mm_exec_image *im)
{
	const struct mm_exec_segment *first = &im->seg[0], *last = &im->seg[im->nseg - 1];

	if (last->vaddr + last->memsz < page_down(first->vaddr))
		return 0;
	return MM_PAGE_ALIGN(last->vaddr + last->memsz - page_down(first->vaddr));
}

/* maximum_alignment(): the largest power-of-two p_align, at least a page. */
static uint64_t
exec_alignment(const struct mm_exec_image *im)
{
	uint64_t align = 0;

	for (uint32_t i = 0; i < im->nseg; i++) {
		uint64_t a = im->seg[i].align;
		if (a && !(a & (a - 1)) && a > align)
			align = a;
	}
	return MM_PAGE_ALIGN(align);
}

/*
 * elf_map(): the file pages of one segment.  With total_size (the first segment of an
 * ET_DYN image) the whole image is mapped first and the tail unmapped, which reserves room
 * for the later segments where a hint-less mmap would put them.
 */
static int
exec_map(struct exec_ctx *c, const struct mm_exec_image *im, const struct mm_exec_segment *s,
	 uint64_t addr, uint32_t flags, uint64_t total, uint64_t *out)
{
	uint64_t size = MM_PAGE_ALIGN(s->filesz + page_off(s->vaddr));
	uint64_t off = s->offset - page_off(s->vaddr);
	int err;

	addr = page_down(addr);
	if (!total)
		return mm_mmap(c->mm, addr, size, s->prot, flags, &im->file, off, out);
	err = mm_mmap(c->mm, addr, total, s->prot, flags, &im->file, off, out);
	if (err == 0 && total > size)
		err = mm_munmap(c->mm, *out + size, total - size);
	return err;
}

/*
 * elf_load(): the file pages, the zeroed tail of the last file page (padzero() writes it,
 * so a writable segment gets an anonymous copy of that page), and the bss beyond it as
 * vm_brk_flags() maps it: read-write whatever the segment's prot, executable if it is.
 */
static int
exec_load(struct exec_ctx *c, const struct mm_exec_image *im, const struct mm_exec_segment *s,
	  uint64_t addr, uint32_t flags, uint64_t total, uint64_t *out)
{
	uint64_t zero_start, zero_end, map = page_down(addr);
	enum mm_fault_result fr;
	int err;

	if (s->filesz) {
		if ((err = exec_map(c, im, s, addr, flags, total, &map)) < 0)
			return err;
		zero_start = map + page_off(s->vaddr) + s->filesz;
		zero_end = map + page_off(s->vaddr) + s->memsz;
		if (s->memsz > s->filesz && page_off(zero_start) && (s->prot & MM_PROT_WRITE) &&
		    (err = mm_fault(c->mm, zero_start, MM_ACCESS_WRITE, &fr)) < 0)
			return err;
	} else {
		zero_start = map;
		zero_end = map + page_off(s->vaddr) + s->memsz;
	}
	*out = map;
	zero_start = MM_PAGE_ALIGN(zero_start);
	zero_end = MM_PAGE_ALIGN(zero_end);
	if (s->memsz <= s->filesz || zero_end <= zero_start)
		return 0;
	return mm_mmap(c->mm, zero_start, zero_end - zero_start,
		       MM_PROT_READ | MM_PROT_WRITE | (s->prot & MM_PROT_EXEC),
		       MM_MAP_PRIVATE | MM_MAP_ANONYMOUS | MM_MAP_FIXED, NULL, 0, &zero_start);
}

/* ELF_ET_DYN_BASE: 2/3 of a 64-bit task, above TASK_UNMAPPED_BASE for an i386 one. */
static uint64_t
exec_dyn_base(const struct exec_ctx *c)
{
	uint64_t size = c->mm->task_size;

	return c->is64 ? size / 3 * 2 : MM_PAGE_ALIGN(size / 3) + I386_ET_DYN_OFFSET;
}

/* The program's load bias before its first segment is mapped (load_elf_binary()). */
static uint64_t
exec_bias(const struct exec_ctx *c)
{
	const struct mm_exec_image *im = &c->a->exe;
	uint64_t base, align;

	if (!im->dyn)
		return 0;
	if (!c->a->interp)
		return page_down(0 - im->seg[0].vaddr);
	base = exec_dyn_base(c);
	align = exec_alignment(im);
	return page_down((base & ~(align - 1)) - im->seg[0].vaddr);
}

/* start_code/end_code/start_data/end_data and the end of the bss, as the loop collects them. */
static void
exec_note_segment(struct exec_ctx *c, const struct mm_exec_segment *s)
{
	struct mm_exec_info *in = c->info;

	if ((s->prot & MM_PROT_EXEC) && s->vaddr < in->start_code)
		in->start_code = s->vaddr;
	if (s->vaddr > in->start_data)
		in->start_data = s->vaddr;
	if ((s->prot & MM_PROT_EXEC) && s->vaddr + s->filesz > in->end_code)
		in->end_code = s->vaddr + s->filesz;
	if (s->vaddr + s->filesz > in->end_data)
		in->end_data = s->vaddr + s->filesz;
	if (s->vaddr + s->memsz > c->elf_brk)
		c->elf_brk = s->vaddr + s->memsz;
}

static int
exec_load_program(struct exec_ctx *c)
{
	const struct mm_exec_image *im = &c->a->exe;
	uint64_t bias = exec_bias(c), map;
	struct mm_exec_info *in = c->info;
	int err;

	in->start_code = UINT64_MAX;
	for (uint32_t i = 0; i < im->nseg; i++) {
		const struct mm_exec_segment *s = &im->seg[i];
		uint32_t flags = MM_MAP_PRIVATE;
		uint64_t total = 0;
		if (i > 0)
			flags |= MM_MAP_FIXED;
		else if (!im->dyn || c->a->interp)
			flags |= MM_MAP_FIXED_NOREPLACE;
		if (i == 0 && im->dyn)
			total = exec_total_size(im);
		if (i == 0 && im->dyn && !total)
			return -EINVAL;
		if ((err = exec_load(c, im, s, bias + s->vaddr, flags, total, &map)) < 0)
			return err;
		if (i == 0 && im->dyn && !c->a->interp)
			bias = map - page_down(s->vaddr);
		exec_note_segment(c, s);
	}
	in->load_bias = bias;
	in->entry = bias + im->entry;
	in->start_code = in->start_code == UINT64_MAX ? bias : in->start_code + bias;
	in->end_code += bias;
	in->start_data += bias;
	in->end_data += bias;
	c->elf_brk += bias;
	return 0;
}

/* The break: after the bss, or at ELF_ET_DYN_BASE for an ET_DYN run without interpreter. */
static void
exec_set_brk(struct exec_ctx *c)
{
	uint64_t brk = MM_PAGE_ALIGN(c->elf_brk);

	if (c->a->exe.dyn && !c->a->interp)
		brk = MM_PAGE_ALIGN(exec_dyn_base(c));
	c->info->start_brk = c->info->brk = brk;
}

/* load_elf_interp(): the first segment placed like an mmap, the others fixed beside it. */
static int
exec_load_interp(struct exec_ctx *c)
{
	const struct mm_exec_image *im = c->a->interp;
	uint64_t total = exec_total_size(im), load = 0, map;
	bool no_base = c->info->load_bias != 0, set = false;
	int err;

	if (!total)
		return -EINVAL;
	for (uint32_t i = 0; i < im->nseg; i++) {
		const struct mm_exec_segment *s = &im->seg[i];
		uint32_t flags = MM_MAP_PRIVATE;
		if (!im->dyn || set)
			flags |= MM_MAP_FIXED;
		else if (no_base)
			load = -s->vaddr;
		if ((err = exec_load(c, im, s, load + s->vaddr, flags, i == 0 ? total : 0, &map)) <
		    0)
			return err;
		if (!set && im->dyn) {
			load = map - page_down(s->vaddr);
			set = true;
		}
	}
	c->info->interp_base = load;
	c->info->entry = load + im->entry;
	return 0;
}

static int
exec_special(struct mm *mm, uint64_t start, uint64_t pages, uint64_t flags, const char *name)
{
	struct mm_file_desc fd = { .path = name, .size = MM_FILE_SIZE_UNKNOWN };

	return mm_insert_vma(mm, start, start + pages * MM_PAGE_SIZE, flags, 0, &fd, false);
}

/* map_vdso(): one top-down search for the vvar pages and the vDSO text together. */
static int
exec_map_vdso(struct exec_ctx *c)
{
	uint64_t vdso_pages = c->is64 ? X86_64_VDSO_PAGES : I386_VDSO_PAGES;
	uint64_t len = (VVAR_PAGES + VVAR_VCLOCK_PAGES + vdso_pages) * MM_PAGE_SIZE, addr;
	int err;

	err = mm_get_unmapped_area(c->mm, AREA_ANON, 0, len, 0, 0, &addr);
	if (err < 0)
		return err;
	if ((err = exec_special(c->mm, addr, VVAR_PAGES, VM_READ | SPECIAL_VVAR_FLAGS, "[vvar]")) <
		    0 ||
	    (err = exec_special(c->mm, addr + VVAR_PAGES * MM_PAGE_SIZE, VVAR_VCLOCK_PAGES,
				VM_READ | SPECIAL_VVAR_FLAGS, "[vvar_vclock]")) < 0)
		return err;
	addr += (VVAR_PAGES + VVAR_VCLOCK_PAGES) * MM_PAGE_SIZE;
	c->info->vdso_base = addr;
	return exec_special(c->mm, addr, vdso_pages, VM_READ | VM_EXEC | SPECIAL_VDSO_FLAGS,
			    "[vdso]");
}

/*
 * The strings copy_strings() puts at the top of the stack (file name, environment, then
 * arguments, downwards) and where create_elf_tables() leaves the stack pointer below the
 * platform string, AT_RANDOM bytes, auxv and the argv/envp pointer arrays.
 */
static uint64_t
exec_layout_strings(const struct exec_ctx *c, uint64_t top)
{
	const struct mm_exec_args *a = c->a;
	struct mm_exec_info *in = c->info;
	uint64_t word = c->is64 ? 8 : 4, p;

	/* bprm_mm_init() leaves one kernel pointer (8 bytes) free at the very top. */
	p = top - 8 - a->filename_len;
	in->env_end = p;
	in->env_start = p - a->envp_len;
	in->arg_end = in->env_start;
	in->arg_start = in->arg_end - a->argv_len;
	p = in->arg_start & ~15ULL;
	p -= c->is64 ? X86_64_PLATFORM_LEN : I386_PLATFORM_LEN;
	p -= AT_RANDOM_LEN;
	p -= (c->is64 ? X86_64_AUXV_WORDS : I386_AUXV_WORDS) * word;
	p -= (a->argc + 1 + a->envc + 1 + 1) * word;
	return p & ~15ULL;
}

/* bprm_stack_limits(): the strings and pointers must fit a quarter of the stack rlimit. */
static int
exec_check_strings(const struct mm_config *cfg, const struct mm_exec_args *a)
{
	uint64_t limit = STK_LIM / 4 * 3, word = cfg->layout == MM_LAYOUT_I386 ? 4 : 8;
	uint64_t ptrs = ((a->argc ? a->argc : 1) + a->envc) * word;
	uint64_t bytes = a->filename_len + a->argv_len + a->envp_len;

	if (a->argc > cfg->task_size / 8 || a->envc > cfg->task_size / 8 ||
	    bytes < a->filename_len || bytes > cfg->task_size / 4 || !a->filename_len)
		return -E2BIG;
	if (cfg->rlimit_stack / 4 < limit)
		limit = cfg->rlimit_stack / 4;
	if (limit < ARG_MAX_BYTES)
		limit = ARG_MAX_BYTES;
	return limit <= ptrs || bytes > limit - ptrs ? -E2BIG : 0;
}

/*
 * setup_arg_pages(): the argument pages grown by 128 KiB (within the stack rlimit), plus
 * what create_elf_tables() needs below them; then its writes make every page from the stack
 * pointer up resident.
 */
static int
exec_stack(struct exec_ctx *c)
{
	uint64_t top = c->mm->task_size, sp = exec_layout_strings(c, top);
	uint64_t size = top - page_down(c->info->arg_start) + STACK_EXPAND;
	uint64_t rlim = c->mm->rlimit_stack & MM_PAGE_MASK, flags = VM_STACK_FLAGS;
	int err;

	if (size > rlim)
		size = rlim;
	if (top - size > page_down(sp))
		size = top - page_down(sp);
	if (c->a->stack == MM_EXEC_STACK_EXEC || (c->mm->personality & MM_PER_READ_IMPLIES_EXEC))
		flags |= VM_EXEC;
	if (c->a->stack == MM_EXEC_STACK_NOEXEC)
		flags &= ~VM_EXEC;
	err = mm_insert_vma(c->mm, top - size, top, flags, (top - size) >> MM_PAGE_SHIFT, NULL,
			    false);
	c->info->start_stack = sp;
	return err;
}

static int
exec_build(struct exec_ctx *c)
{
	int err;

	if ((err = exec_stack(c)) < 0 || (err = exec_load_program(c)) < 0)
		return err;
	exec_set_brk(c);
	if (c->a->interp && (err = exec_load_interp(c)) < 0)
		return err;
	if ((err = exec_map_vdso(c)) < 0)
		return err;
	err = mm_populate(c->mm, page_down(c->info->start_stack),
			  c->mm->task_size - page_down(c->info->start_stack), true);
	if (err < 0)
		return err;
	mm_set_layout(c->mm, c->info->start_brk, c->info->brk, c->info->start_stack);
	mm_set_code(c->mm, c->info->start_code, c->info->end_code);
	return 0;
}

int
mm_exec(const struct mm_config *cfg, const struct mm_exec_args *args, struct mm **out,
	struct mm_exec_info *info)
{
	struct mm_config conf = *cfg;
	struct exec_ctx c = { .a = args, .info = info, .is64 = cfg->layout != MM_LAYOUT_I386 };
	int err;

	*out = NULL;
	memset(info, 0, sizeof(*info));
	/*
	 * An i386 program runs as a compat task, whose TASK_SIZE the personality chooses, and
	 * PT_GNU_STACK absent means READ_IMPLIES_EXEC (elf_read_implies_exec()); a 64-bit one
	 * loses READ_IMPLIES_EXEC (set_personality_64bit()).
	 */
	if (cfg->layout == MM_LAYOUT_I386) {
		conf.task_size = cfg->personality & MM_PER_ADDR_LIMIT_3GB ? MM_IA32_TASK_SIZE_3GB
									  : MM_IA32_TASK_SIZE;
		conf.mmap_base = 0;
		conf.mmap_legacy_base = 0;
		if (args->stack == MM_EXEC_STACK_DEFAULT)
			conf.personality |= MM_PER_READ_IMPLIES_EXEC;
	} else {
		conf.personality &= ~MM_PER_READ_IMPLIES_EXEC;
	}
	conf.with_stack = false;
	conf.start_brk = 0;
	conf.start_stack = 0;
	if ((err = exec_check_image(&args->exe, conf.task_size)) < 0 ||
	    (args->interp && (err = exec_check_image(args->interp, conf.task_size)) < 0) ||
	    (err = exec_check_strings(&conf, args)) < 0)
		return err;
	if ((err = mm_create(&conf, &c.mm)) < 0)
		return err;
	if ((err = exec_build(&c)) < 0) {
		mm_destroy(c.mm);
		memset(info, 0, sizeof(*info));
		return err;
	}
	*out = c.mm;
	return 0;
}
