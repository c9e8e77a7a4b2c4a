/* SPDX-License-Identifier: MIT */
#include "elf.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* fs/binfmt_elf.c: load_elf_phdrs() refuses program header tables above 64 KiB. */
#define ELF_MAX_PHDR_BYTES 65536u

static int
elf_pread(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	if (off > (uint64_t)INT64_MAX - len)
		return -ENOEXEC;
	n = pread(fd, buf, len, (off_t)off);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -ENOEXEC;
}

static uint32_t
elf_prot(uint32_t pf)
{
	return (pf & PF_R ? 1u : 0) | (pf & PF_W ? 2u : 0) | (pf & PF_X ? 4u : 0);
}

/* The header fields exec uses, from either class, after the checks elf_check_arch() makes. */
struct elf_head {
	uint16_t type, phentsize, phnum;
	uint64_t entry, phoff;
};

static int
elf_read_head(int fd, struct elf_image *im, struct elf_head *h)
{
	unsigned char buf[sizeof(Elf64_Ehdr)];
	const Elf64_Ehdr *e64 = (const void *)buf;
	const Elf32_Ehdr *e32 = (const void *)buf;
	int r = elf_pread(fd, buf, sizeof(Elf32_Ehdr), 0);

	if (r < 0 || memcmp(buf, ELFMAG, SELFMAG) != 0)
		return r < 0 ? r : -ENOEXEC;
	im->is64 = buf[EI_CLASS] == ELFCLASS64;
	if (buf[EI_DATA] != ELFDATA2LSB || (!im->is64 && buf[EI_CLASS] != ELFCLASS32))
		return -ENOEXEC;
	if (im->is64 && (r = elf_pread(fd, buf, sizeof(Elf64_Ehdr), 0)) < 0)
		return r;
	if (im->is64)
		*h = (struct elf_head){ e64->e_type, e64->e_phentsize, e64->e_phnum, e64->e_entry,
					e64->e_phoff };
	else
		*h = (struct elf_head){ e32->e_type, e32->e_phentsize, e32->e_phnum, e32->e_entry,
					e32->e_phoff };
	if ((im->is64 ? e64->e_machine != EM_X86_64 : e32->e_machine != EM_386) ||
	    (h->type != ET_EXEC && h->type != ET_DYN))
		return -ENOEXEC;
	if (h->phentsize != (im->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || !h->phnum ||
	    (uint32_t)h->phnum * h->phentsize > ELF_MAX_PHDR_BYTES)
		return -ENOEXEC;
	im->dyn = h->type == ET_DYN;
	im->entry = h->entry;
	return 0;
}

static void
elf_phdr_at(const struct elf_image *im, const unsigned char *tab, unsigned i, Elf64_Phdr *p)
{
	const Elf32_Phdr *q;

	if (im->is64) {
		memcpy(p, tab + (size_t)i * sizeof(Elf64_Phdr), sizeof(*p));
		return;
	}
	q = (const Elf32_Phdr *)(const void *)(tab + (size_t)i * sizeof(Elf32_Phdr));
	*p = (Elf64_Phdr){ .p_type = q->p_type,
			   .p_flags = q->p_flags,
			   .p_offset = q->p_offset,
			   .p_vaddr = q->p_vaddr,
			   .p_filesz = q->p_filesz,
			   .p_memsz = q->p_memsz,
			   .p_align = q->p_align };
}

/* PT_INTERP: a NUL-terminated path of 2 to PATH_MAX bytes (load_elf_binary()). */
static int
elf_read_interp(int fd, const Elf64_Phdr *p, struct elf_image *im)
{
	int r;

	if (p->p_filesz > PATH_MAX || p->p_filesz < 2 || im->interp[0])
		return -ENOEXEC;
	if ((r = elf_pread(fd, im->interp, p->p_filesz, p->p_offset)) < 0)
		return r;
	if (im->interp[p->p_filesz - 1] != '\0' || strlen(im->interp) != p->p_filesz - 1)
		return -ENOEXEC;
	return 0;
}

static int
elf_take(int fd, const Elf64_Phdr *p, struct elf_image *im)
{
	if (p->p_type == PT_GNU_STACK)
		im->stack = p->p_flags & PF_X ? 2 : 1;
	if (p->p_type == PT_INTERP)
		return elf_read_interp(fd, p, im);
	if (p->p_type != PT_LOAD)
		return 0;
	if (im->nload == ELF_MAX_LOADS || p->p_filesz > p->p_memsz)
		return -ENOEXEC;
	im->load[im->nload++] = (struct elf_load){ .vaddr = p->p_vaddr,
						   .offset = p->p_offset,
						   .filesz = p->p_filesz,
						   .memsz = p->p_memsz,
						   .align = p->p_align,
						   .prot = elf_prot(p->p_flags) };
	return 0;
}

static int
elf_read_phdrs(int fd, const struct elf_head *h, struct elf_image *im)
{
	size_t len = (size_t)h->phnum * h->phentsize;
	unsigned char *tab = malloc(len);
	Elf64_Phdr p;
	int r;

	if (!tab)
		return -ENOMEM;
	r = elf_pread(fd, tab, len, h->phoff);
	for (unsigned i = 0; r == 0 && i < h->phnum; i++) {
		elf_phdr_at(im, tab, i, &p);
		r = elf_take(fd, &p, im);
	}
	free(tab);
	return r == 0 && !im->nload ? -ENOEXEC : r;
}

/* The identity maps shows: the resolved path, device and inode; exec needs x permission. */
static int
elf_identity(int fd, const char *path, struct elf_image *im)
{
	struct stat st;
	struct statvfs vfs;
	char *real;

	if (fstat(fd, &st) < 0 || fstatvfs(fd, &vfs) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (vfs.f_flag & ST_NOEXEC) || access(path, X_OK) < 0)
		return -EACCES;
	real = realpath(path, NULL);
	if (!real)
		return -errno;
	if (strlen(real) >= sizeof(im->path)) {
		free(real);
		return -ENAMETOOLONG;
	}
	strcpy(im->path, real);
	free(real);
	im->dev_major = major(st.st_dev);
	im->dev_minor = minor(st.st_dev);
	im->ino = st.st_ino;
	im->size = (uint64_t)st.st_size;
	return 0;
}

int
elf_read(const char *path, struct elf_image *out)
{
	struct elf_head h;
	int fd, r;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if ((r = elf_identity(fd, path, out)) == 0 && (r = elf_read_head(fd, out, &h)) == 0)
		r = elf_read_phdrs(fd, &h, out);
	close(fd);
	return r;
}
