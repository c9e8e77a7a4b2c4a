/* SPDX-License-Identifier: MIT */
/*
 * Writes the seed corpora of the input fuzzers (tests/fuzz/fuzz.mk) from real, valid inputs,
 * so that fuzzing starts deep inside each format:
 *   corpus-vseg    view segments published by the in-process daemon core (vmac_open_local),
 *                  cut to the nodes in use;
 *   corpus-saved   address spaces saved by the engine after histories of system calls;
 *   corpus-import  /proc/self/maps of system programs run here (with and without address
 *                  randomisation, through ld.so, in the legacy layout), after a layout byte;
 *   corpus-elf     the headers of system ELF files (the bytes elf_read() reads, no more).
 * Usage: fuzz_corpora DIR (the corpora go to DIR/corpus-<name>/).
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mm.h"
#include "tseg.h"
#include "vmaclient.h"
#include "vseg.h"

#define PAGE 4096ULL

static const char *top;

static void
corp_die(const char *what)
{
	fprintf(stderr, "fuzz_corpora: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
corp_write(const char *corpus, const char *name, const void *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/corpus-%s", top, corpus);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		corp_die(path);
	snprintf(path, sizeof(path), "%s/corpus-%s/%s", top, corpus, name);
	f = fopen(path, "wb");
	if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
		corp_die(path);
}

/* ---- view segments ------------------------------------------------------------------ */

/*
 * The segment's used nodes, with the capacity and size cut to them: still a segment the
 * publisher could have written (one that had not grown yet), a few KB instead of its reserve.
 */
static void
corp_vseg_save(const char *name, int fd)
{
	struct stat st;
	unsigned char *p, *copy;
	struct vseg_header h;
	uint32_t used = 0;

	if (fstat(fd, &st) < 0)
		corp_die("fstat");
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		corp_die("mmap");
	memcpy(&h, p, sizeof(h));
	for (uint32_t i = 0; i < h.nodes_cap; i++) {
		const struct vindex_head *nh =
			(const void *)(p + VSEG_NODES_OFF + (size_t)i * VINDEX_NODE_SIZE);

		if (nh->kind != VINDEX_FREE)
			used = i + 1;
	}
	h.nodes_cap = used;
	h.size = VSEG_NODES_OFF + (uint64_t)used * VINDEX_NODE_SIZE;
	copy = malloc(h.size);
	if (!copy)
		corp_die("malloc");
	memcpy(copy, p, h.size);
	memcpy(copy, &h, sizeof(h));
	corp_write("vseg", name, copy, h.size);
	free(copy);
	munmap(p, (size_t)st.st_size);
}

static void
corp_vseg(const char *name, int nvma, int named)
{
	static const struct vmac_file f = { .path = "/usr/lib/x86_64-linux-gnu/libc.so.6",
					    .mode = 3,
					    .ino = 5 };
	const uint64_t base = 0x7f0000000000ULL;
	struct vmac_conn *c;
	struct vmac_view *v;

	if (vmac_open_local(&c) < 0 || vmac_create(c, "s", NULL) < 0)
		corp_die("vmac_open_local");
	for (int i = 0; i < nvma; i++) {
		bool file = named && i % 2 == 0;
		uint32_t prot = VMAC_PROT_READ | (i % 3 ? 0 : VMAC_PROT_WRITE) |
				(i % 5 == 1 ? VMAC_PROT_EXEC : 0);

		if (vmac_mmap(c, "s", base + (uint64_t)i * 3 * PAGE, (1 + i % 2) * PAGE, prot,
			      VMAC_MAP_PRIVATE | VMAC_MAP_FIXED | (file ? 0 : VMAC_MAP_ANONYMOUS),
			      file ? &f : NULL, 0, NULL) < 0)
			corp_die("vmac_mmap");
	}
	if (vmac_view_open(c, "s", &v) < 0)
		corp_die("vmac_view_open");
	corp_vseg_save(name, tseg_fd());
	vmac_view_close(v);
	if (vmac_destroy(c, "s") < 0)
		corp_die("vmac_destroy");
	vmac_close(c);
}

/* ---- saved spaces ------------------------------------------------------------------- */

static uint64_t
corp_rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One system call of a random history; many fail, as in a real one. */
static void
corp_op(struct mm *mm, uint64_t *s)
{
	static const struct mm_file_desc files[] = {
		{ .path = "/usr/lib/libx.so", .mode = 3, .ino = 11, .size = 64 * PAGE },
		{ .path = "/data/y",
		  .instance = 1,
		  .mode = 1,
		  .ino = 12,
		  .size = 8 * PAGE,
		  .deleted = true },
	};
	uint64_t addr = 0x40000000ULL + corp_rnd(s) % 128 * PAGE,
		 len = (1 + corp_rnd(s) % 16) * PAGE;
	uint32_t prot = (uint32_t)(corp_rnd(s) % 8), k = (uint32_t)(corp_rnd(s) % 10);
	enum mm_fault_result res;
	uint64_t out;

	if (k < 3)
		(void)mm_mmap(mm, addr, len, prot,
			      (k == 2 ? MM_MAP_SHARED : MM_MAP_PRIVATE) | MM_MAP_FIXED |
				      (k == 1 ? 0 : MM_MAP_ANONYMOUS),
			      k == 1 ? &files[corp_rnd(s) % 2] : NULL, 0, &out);
	else if (k == 3)
		(void)mm_munmap(mm, addr, len);
	else if (k == 4)
		(void)mm_mprotect(mm, addr, len, prot);
	else if (k == 5)
		(void)mm_fault(mm, addr, (enum mm_access)(corp_rnd(s) % 3), &res);
	else if (k == 6)
		(void)mm_mlock(mm, addr, len, 0);
	else if (k == 7)
		(void)mm_madvise(mm, addr, len,
				 corp_rnd(s) % 2 ? MM_MADV_GUARD_INSTALL : MM_MADV_DONTFORK);
	else if (k == 8)
		(void)mm_set_vma_anon_name(mm, addr, len, corp_rnd(s) % 2 ? "buf" : NULL);
	else
		(void)mm_mremap(mm, addr, len, len * 2, 1, 0, &out);
}

static void
corp_saved(enum mm_layout layout, int nops, uint64_t seed)
{
	struct mm_config cfg;
	struct mm_sbuf b = { 0 };
	struct mm *mm;
	char name[64];

	snprintf(name, sizeof(name), "history-l%d-%d-%llu", (int)layout, nops,
		 (unsigned long long)seed);
	mm_config_init(&cfg, layout);
	if (mm_create(&cfg, &mm) < 0)
		corp_die("mm_create");
	for (int i = 0; i < nops; i++)
		corp_op(mm, &seed);
	if (mm_save(mm, &b) < 0)
		corp_die("mm_save");
	corp_write("saved", name, b.data, b.len);
	mm_sbuf_free(&b);
	mm_destroy(mm);
}

/* ---- maps text and ELF files -------------------------------------------------------- */

static size_t
corp_run(const char *cmd, char *buf, size_t size)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	if (!p)
		corp_die(cmd);
	n = fread(buf, 1, size, p);
	if (pclose(p) != 0)
		return 0;
	return n;
}

/* A layout byte, then the maps a program printed of itself (skipped where it cannot run). */
static void
corp_import(const char *name, unsigned char layout, const char *cmd)
{
	static char buf[65536];
	size_t n;

	buf[0] = (char)layout;
	n = corp_run(cmd, buf + 1, sizeof(buf) - 1);
	if (n > 0 && n < sizeof(buf) - 1)
		corp_write("import", name, buf, n + 1);
}

/* The bytes elf_read() reads: the ELF header, the program headers, the PT_INTERP path. */
static void
corp_elf(const char *name, const char *path)
{
	unsigned char buf[16384];
	FILE *f = fopen(path, "rb");
	size_t n, want;

	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n < sizeof(Elf64_Ehdr) || memcmp(buf, ELFMAG, SELFMAG) != 0)
		return;
	if (buf[EI_CLASS] == ELFCLASS64) {
		const Elf64_Ehdr *e = (const void *)buf;

		want = e->e_phoff + (size_t)e->e_phnum * e->e_phentsize;
		for (unsigned i = 0; want <= n && i < e->e_phnum; i++) {
			const Elf64_Phdr *p = (const void *)(buf + e->e_phoff + i * sizeof(*p));

			if (p->p_type == PT_INTERP && p->p_offset + p->p_filesz > want)
				want = p->p_offset + p->p_filesz;
		}
	} else {
		const Elf32_Ehdr *e = (const void *)buf;

		want = e->e_phoff + (size_t)e->e_phnum * e->e_phentsize;
		for (unsigned i = 0; want <= n && i < e->e_phnum; i++) {
			const Elf32_Phdr *p = (const void *)(buf + e->e_phoff + i * sizeof(*p));

			if (p->p_type == PT_INTERP && p->p_offset + p->p_filesz > want)
				want = p->p_offset + p->p_filesz;
		}
	}
	if (want <= n)
		corp_write("elf", name, buf, want);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_corpora DIR\n");
		return 2;
	}
	top = argv[1];
	corp_vseg("empty", 0, 0);
	corp_vseg("one", 1, 0);
	corp_vseg("few-named", 5, 1);
	corp_vseg("two-leaves", 24, 1);
	corp_vseg("inner", 80, 0);
	for (int i = 0; i < 6; i++)
		corp_saved((enum mm_layout)(i % 3), 4 + i * 12, 17 + (uint64_t)i);
	corp_import("cat", 0, "cat /proc/self/maps");
	corp_import("cat-norandom", 0, "setarch -R cat /proc/self/maps");
	corp_import("cat-legacy", 1, "setarch -L -R cat /proc/self/maps");
	corp_import("ldso-cat", 0, "/lib64/ld-linux-x86-64.so.2 /bin/cat /proc/self/maps");
	corp_elf("true", "/bin/true");
	corp_elf("ld.so", "/lib64/ld-linux-x86-64.so.2");
	corp_elf("ldconfig-static-pie", "/usr/sbin/ldconfig");
	corp_elf("ld.so-i386", "/usr/lib32/ld-linux.so.2");
	return 0;
}
