/* SPDX-License-Identifier: MIT */
/*
 * elfload: lay out a process in a vmad address space the way execve(2) would, as an emulator
 * does before it runs a guest.  It maps every PT_LOAD segment of an ELF file at its address
 * with its protection and file offset, adds the bss, sets up the program break and the stack,
 * handles a few page faults, and prints the result as /proc/PID/maps would.
 *
 *   elfload [-s SOCKET] [-k] ELF-FILE [SPACE]
 *
 * -k keeps the space afterwards (look at it with `vmactl maps SPACE`).  A copy-and-adapt
 * starting point; build it with the Makefile beside it (pkg-config libvmaclient).
 */
#define _POSIX_C_SOURCE 200809L

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>

#include <vmaclient.h>

#define PAGE         4096ULL
#define PAGE_DOWN(x) ((x) & ~(PAGE - 1))
#define PAGE_UP(x)   PAGE_DOWN((x) + PAGE - 1)
#define ET_DYN_BASE  0x555555554000ULL /* where a PIE lands without randomisation */
#define MAX_PHDRS    64
#define HEAP_GROWTH  0x21000ULL /* what a first malloc() asks brk for */

struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_PHDRS];
	uint64_t bias; /* load address of a PIE */
	uint64_t brk;  /* end of the highest segment: where the heap starts */
	struct vmac_file file;
};

static int
fail(const char *what, int err)
{
	fprintf(stderr, "elfload: %s: %s\n", what, strerror(-err));
	return 1;
}

static int
read_image(const char *path, struct image *im)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int rc = fstat(fd, &st) < 0 ? -errno : 0;
	if (rc == 0 && pread(fd, &im->eh, sizeof(im->eh), 0) != (ssize_t)sizeof(im->eh))
		rc = -ENOEXEC;
	if (rc == 0 && (memcmp(im->eh.e_ident, ELFMAG, SELFMAG) != 0 ||
			im->eh.e_ident[EI_CLASS] != ELFCLASS64 || im->eh.e_machine != EM_X86_64 ||
			im->eh.e_phnum > MAX_PHDRS || im->eh.e_phentsize != sizeof(Elf64_Phdr)))
		rc = -ENOEXEC;
	size_t phsize = (size_t)im->eh.e_phnum * sizeof(Elf64_Phdr);
	if (rc == 0 && pread(fd, im->ph, phsize, (off_t)im->eh.e_phoff) != (ssize_t)phsize)
		rc = -ENOEXEC;
	close(fd);
	/* Describe the file as the kernel knows it, so that maps shows its device and inode. */
	im->file = (struct vmac_file){ .path = path,
				       .mode = VMAC_FMODE_READ,
				       .dev_major = major(st.st_dev),
				       .dev_minor = minor(st.st_dev),
				       .ino = st.st_ino,
				       .size = (uint64_t)st.st_size,
				       .size_known = true };
	im->bias = im->eh.e_type == ET_DYN ? ET_DYN_BASE : 0;
	for (int i = 0; rc == 0 && i < im->eh.e_phnum; i++) {
		const Elf64_Phdr *p = &im->ph[i];
		if (p->p_type == PT_LOAD && im->bias + p->p_vaddr + p->p_memsz > im->brk)
			im->brk = im->bias + p->p_vaddr + p->p_memsz;
	}
	return rc;
}

static uint32_t
seg_prot(const Elf64_Phdr *p)
{
	return (p->p_flags & PF_R ? VMAC_PROT_READ : 0) |
	       (p->p_flags & PF_W ? VMAC_PROT_WRITE : 0) | (p->p_flags & PF_X ? VMAC_PROT_EXEC : 0);
}

/*
 * Queue the mappings of one segment: the file-backed pages, then anonymous pages for the bss
 * beyond them.  The first segment must not replace anything; later ones are MAP_FIXED as in
 * the kernel's ELF loader, since neighbouring segments may share a page.
 */
static int
queue_segment(struct vmac_conn *c, const char *space, const struct image *im, const Elf64_Phdr *p,
	      bool first, uint64_t *out)
{
	uint64_t start = im->bias + p->p_vaddr;
	uint64_t map_start = PAGE_DOWN(start);
	uint64_t file_end = PAGE_UP(start + p->p_filesz);
	uint64_t mem_end = PAGE_UP(start + p->p_memsz);
	uint32_t flags = VMAC_MAP_PRIVATE | (first ? VMAC_MAP_FIXED_NOREPLACE : VMAC_MAP_FIXED);
	int rc = 0;

	if (file_end > map_start)
		rc = vmac_mmap(c, space, map_start, file_end - map_start, seg_prot(p), flags,
			       &im->file, PAGE_DOWN(p->p_offset), &out[0]);
	if (rc == 0 && mem_end > file_end)
		rc = vmac_mmap(c, space, file_end, mem_end - file_end, seg_prot(p),
			       VMAC_MAP_PRIVATE | VMAC_MAP_ANONYMOUS | VMAC_MAP_FIXED, NULL, 0,
			       &out[1]);
	return rc;
}

/* Map every segment with one round trip: queue them all, then collect the replies. */
static int
map_segments(struct vmac_conn *c, const char *space, const struct image *im)
{
	uint64_t addrs[MAX_PHDRS][2];
	bool first = true;
	int rc = vmac_pipeline_begin(c);
	for (int i = 0; rc == 0 && i < im->eh.e_phnum; i++) {
		if (im->ph[i].p_type != PT_LOAD)
			continue;
		rc = queue_segment(c, space, im, &im->ph[i], first, addrs[i]);
		first = false;
	}
	int n = vmac_pipeline_end(c);
	if (rc == 0 && n < 0)
		rc = n;
	int result;
	while (vmac_pipeline_next(c, &result) == 1)
		if (rc == 0 && result < 0)
			rc = result;
	return rc;
}

static const char *
fault_name(enum vmac_fault_result r)
{
	switch (r) {
	case VMAC_FAULT_OK:
		return "ok";
	case VMAC_FAULT_SEGV_MAPERR:
		return "SEGV_MAPERR";
	case VMAC_FAULT_SEGV_ACCERR:
		return "SEGV_ACCERR";
	default:
		return "SIGBUS";
	}
}

/* What an emulator does on a guest page fault: ask, then map the page or deliver SIGSEGV. */
static int
handle_fault(struct vmac_conn *c, const char *space, uint64_t addr, enum vmac_access access,
	     const char *what)
{
	enum vmac_fault_result r;
	int rc = vmac_fault(c, space, addr, access, &r);
	if (rc < 0)
		return rc;
	printf("fault %-5s at 0x%llx (%s): %s\n",
	       access == VMAC_ACCESS_EXEC    ? "exec"
	       : access == VMAC_ACCESS_WRITE ? "write"
					     : "read",
	       (unsigned long long)addr, what, fault_name(r));
	return 0;
}

static int
print_maps(struct vmac_conn *c, const char *space)
{
	struct vmac_maps_iter *it;
	struct vmac_vma v;
	int rc = vmac_maps_open(c, space, 0, 0, &it);
	if (rc < 0)
		return rc;
	while ((rc = vmac_maps_next(it, &v)) > 0)
		printf("%s\n", v.line);
	vmac_maps_close(it);
	return rc;
}

/* The life of the process: heap, faults, maps. */
static int
run_process(struct vmac_conn *c, const char *space, const struct image *im, uint64_t start_brk)
{
	uint64_t brk;
	int rc = vmac_brk(c, space, start_brk + HEAP_GROWTH, &brk);
	if (rc < 0)
		return rc;
	printf("brk: 0x%llx -> 0x%llx\n", (unsigned long long)start_brk, (unsigned long long)brk);
	uint64_t entry = im->bias + im->eh.e_entry;
	if ((rc = handle_fault(c, space, entry, VMAC_ACCESS_EXEC, "entry point")) < 0 ||
	    (rc = handle_fault(c, space, entry, VMAC_ACCESS_WRITE, "write to text")) < 0 ||
	    (rc = handle_fault(c, space, start_brk, VMAC_ACCESS_WRITE, "heap")) < 0 ||
	    (rc = handle_fault(c, space, PAGE, VMAC_ACCESS_READ, "NULL page")) < 0)
		return rc;
	return print_maps(c, space);
}

/* Connect, and create the space as exec leaves it: the heap right after the image, a stack. */
static int
open_space(const char *sock, const char *space, uint64_t start_brk, struct vmac_conn **c)
{
	int rc = vmac_connect(sock, c);
	if (rc < 0)
		return fail("connect", rc);
	struct vmac_create_opts opts;
	vmac_create_opts_init(&opts);
	opts.with_stack = true;
	opts.set = VMAC_OPT_START_BRK;
	opts.start_brk = start_brk;
	if ((rc = vmac_hello(*c, "elfload", NULL)) < 0 ||
	    (rc = vmac_create(*c, space, &opts)) < 0) {
		fail(*vmac_errmsg(*c) ? vmac_errmsg(*c) : "vmad", rc);
		vmac_close(*c);
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *sock = NULL;
	bool keep = false;
	int opt;
	while ((opt = getopt(argc, argv, "s:k")) != -1) {
		if (opt != 's' && opt != 'k')
			return 2;
		sock = opt == 's' ? optarg : sock;
		keep = keep || opt == 'k';
	}
	if (optind >= argc || argc - optind > 2) {
		fprintf(stderr, "usage: elfload [-s SOCKET] [-k] ELF-FILE [SPACE]\n");
		return 2;
	}
	const char *space = optind + 1 < argc ? argv[optind + 1] : "elfload";
	struct image im = { 0 };
	int rc = read_image(argv[optind], &im);
	if (rc < 0)
		return fail(argv[optind], rc);
	struct vmac_conn *c;
	uint64_t start_brk = PAGE_UP(im.brk);
	if (open_space(sock, space, start_brk, &c) != 0)
		return 1;
	rc = map_segments(c, space, &im);
	if (rc == 0)
		rc = run_process(c, space, &im, start_brk);
	if (rc < 0)
		fail(*vmac_errmsg(c) ? vmac_errmsg(c) : "vmad", rc);
	if (!keep)
		vmac_destroy(c, space);
	vmac_close(c);
	return rc < 0 ? 1 : 0;
}
