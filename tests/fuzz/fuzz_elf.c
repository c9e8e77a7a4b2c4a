/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the input is an ELF file, read by the client's reader (client/lib/elf.c:
 * elf_read()) as vmac_exec() reads a program and its interpreter.  elf_read() takes a path, so
 * the input is written to an executable file in a temporary directory made once per process.
 * An image it accepts must keep its promises (1 to ELF_MAX_LOADS PT_LOAD segments, none with
 * filesz above memsz, a NUL-terminated interpreter path, a PT_GNU_STACK answer of 0, 1 or 2)
 * and is then given to the engine's exec (lib/exec.c: mm_exec()) as the daemon would give it,
 * as program and as its own interpreter: a refusal is an error, a success an mm that passes
 * mm_validate().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf.h"
#include "fuzz_check.h"
#include "mm.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

_Static_assert(ELF_MAX_LOADS <= MM_EXEC_MAX_SEGMENTS, "every image the reader takes fits exec");

static char dir[256], path[300];

static void
fuzz_elf_cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/vmad-fuzz-elf.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/prog", dir);
	atexit(fuzz_elf_cleanup);
	return 0;
}

static void
fuzz_elf_fail(const char *what)
{
	fprintf(stderr, "ELF reader broke a promise: %s\n", what);
	abort();
}

static void
fuzz_elf_promises(const struct elf_image *im)
{
	if (im->nload < 1 || im->nload > ELF_MAX_LOADS)
		fuzz_elf_fail("PT_LOAD count");
	for (uint32_t i = 0; i < im->nload; i++)
		if (im->load[i].filesz > im->load[i].memsz || im->load[i].prot > 7)
			fuzz_elf_fail("a PT_LOAD segment");
	if (!memchr(im->interp, 0, sizeof(im->interp)) || !memchr(im->path, 0, sizeof(im->path)))
		fuzz_elf_fail("an unterminated path");
	if (im->stack < 0 || im->stack > 2)
		fuzz_elf_fail("the PT_GNU_STACK answer");
}

/* The image as exec_req.c hands it to the engine. */
static void
fuzz_elf_image(const struct elf_image *im, struct mm_exec_segment *seg, struct mm_exec_image *out)
{
	for (uint32_t i = 0; i < im->nload; i++)
		seg[i] = (struct mm_exec_segment){ .vaddr = im->load[i].vaddr,
						   .offset = im->load[i].offset,
						   .filesz = im->load[i].filesz,
						   .memsz = im->load[i].memsz,
						   .align = im->load[i].align,
						   .prot = im->load[i].prot };
	*out = (struct mm_exec_image){
		.seg = seg, .nseg = im->nload, .dyn = im->dyn, .entry = im->entry
	};
	out->file = (struct mm_file_desc){ .path = im->path,
					   .mode = MM_FMODE_READ,
					   .dev_major = im->dev_major,
					   .dev_minor = im->dev_minor,
					   .ino = im->ino,
					   .size = im->size };
}

static void
fuzz_elf_exec(const struct elf_image *im, bool with_interp)
{
	static struct mm_exec_segment seg[ELF_MAX_LOADS];
	struct mm_exec_args args = { .stack = (enum mm_exec_stack)im->stack,
				     .filename_len = 5,
				     .argv_len = 5,
				     .envp_len = 0,
				     .argc = 1,
				     .envc = 0 };
	struct mm_exec_image interp;
	struct mm_exec_info info;
	struct mm_config cfg;
	struct mm *mm = NULL;

	fuzz_elf_image(im, seg, &args.exe);
	interp = args.exe;
	args.interp = with_interp ? &interp : NULL;
	mm_config_init(&cfg, im->is64 ? MM_LAYOUT_X86_64 : MM_LAYOUT_I386);
	if (mm_exec(&cfg, &args, &mm, &info) < 0) {
		if (mm)
			fuzz_elf_fail("a refused exec left an mm behind");
		return;
	}
	fuzz_check_mm(mm, "after exec", NULL);
	mm_destroy(mm);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_image *im = malloc(sizeof(*im));
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);

	if (!im || fd < 0)
		abort();
	if ((size && write(fd, data, size) != (ssize_t)size) || close(fd) < 0)
		abort();
	if (elf_read(path, im) == 0) {
		fuzz_elf_promises(im);
		fuzz_elf_exec(im, false);
		fuzz_elf_exec(im, true);
	}
	free(im);
	return 0;
}
