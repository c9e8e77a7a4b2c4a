/* SPDX-License-Identifier: MIT */
/*
 * Reading what exec needs from an ELF file: its class, type, entry, PT_LOAD headers,
 * PT_INTERP and PT_GNU_STACK, and the file's identity.  The file is hostile: every size and
 * offset is checked, and a refusal is the errno execve(2) would give (-ENOEXEC mostly).
 */
#ifndef VMAC_ELF_H
#define VMAC_ELF_H

#include <stdbool.h>
#include <stdint.h>

#define ELF_MAX_LOADS  64
#define ELF_PATH_BYTES 4096

struct elf_load {
	uint64_t vaddr, offset, filesz, memsz, align;
	uint32_t prot;
};

struct elf_image {
	bool is64, dyn;
	uint64_t entry;
	struct elf_load load[ELF_MAX_LOADS];
	uint32_t nload;
	char interp[ELF_PATH_BYTES]; /* "" without PT_INTERP */
	int stack;                   /* 0 no PT_GNU_STACK, 1 without PF_X, 2 with PF_X */
	/* identity: the canonical path (as /proc/PID/maps prints it) and stat(2) figures */
	char path[ELF_PATH_BYTES];
	uint32_t dev_major, dev_minor;
	uint64_t ino, size;
};

/* 0, or a negative errno: the open/stat/read failure, -ENOEXEC, -EACCES (noexec, no x bit). */
int elf_read(const char *path, struct elf_image *out);

#endif
