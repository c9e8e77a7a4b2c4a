/* SPDX-License-Identifier: MIT */
/*
 * vmac_exec() with hostile ELF files: each is refused with the errno execve(2) gives, before
 * anything reaches the daemon, and the space it named is left as it was.  Then a valid exec
 * replaces a space's contents and keeps its mode.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tvmad.h"
#include "vmaclient.h"

struct fake {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[3];
	char interp[16];
};

static struct tvmad daemon_;
static struct vmac_conn *conn;
static char path[160];

static struct fake
good_elf(void)
{
	struct fake f = { 0 };

	memcpy(f.eh.e_ident, ELFMAG, SELFMAG);
	f.eh.e_ident[EI_CLASS] = ELFCLASS64;
	f.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	f.eh.e_ident[EI_VERSION] = EV_CURRENT;
	f.eh.e_type = ET_EXEC;
	f.eh.e_machine = EM_X86_64;
	f.eh.e_phoff = offsetof(struct fake, ph);
	f.eh.e_phentsize = sizeof(Elf64_Phdr);
	f.eh.e_phnum = 1;
	f.eh.e_entry = 0x401000;
	f.ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD,
				.p_flags = PF_R | PF_X,
				.p_vaddr = 0x400000,
				.p_filesz = sizeof(f),
				.p_memsz = 0x2000,
				.p_align = 0x1000 };
	return f;
}

static void
write_file(const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* The exec is refused with err, and the space "keep" still has its single mapping. */
static void
expect_refused(const void *data, size_t len, int err)
{
	const char *argv[] = { path, NULL };
	struct vmac_status st;

	write_file(data, len);
	assert_int_equal(vmac_exec(conn, "keep", path, argv, NULL, NULL), err);
	assert_int_equal(vmac_status(conn, "keep", &st), 0);
	assert_int_equal(st.map_count, 1);
}

static void
hostile_headers(void **state)
{
	struct fake f = good_elf();

	(void)state;
	expect_refused("", 0, -ENOEXEC);
	expect_refused("\177ELF", 4, -ENOEXEC);
	f.eh.e_ident[EI_MAG1] = 'X';
	expect_refused(&f, sizeof(f), -ENOEXEC);
	f = good_elf();
	f.eh.e_machine = EM_AARCH64;
	expect_refused(&f, sizeof(f), -ENOEXEC);
	f = good_elf();
	f.eh.e_type = ET_REL;
	expect_refused(&f, sizeof(f), -ENOEXEC);
	f = good_elf();
	f.eh.e_phentsize = 40;
	expect_refused(&f, sizeof(f), -ENOEXEC);
	f = good_elf();
	f.eh.e_phnum = 0;
	expect_refused(&f, sizeof(f), -ENOEXEC);
	f = good_elf();
	f.eh.e_phnum = 2000;
	expect_refused(&f, sizeof(f), -ENOEXEC);
	f = good_elf();
	f.eh.e_phoff = UINT64_MAX - 8;
	expect_refused(&f, sizeof(f), -ENOEXEC);
}

static void
hostile_segments(void **state)
{
	struct fake f = good_elf();

	(void)state;
	f.ph[0].p_type = PT_NOTE;
	expect_refused(&f, sizeof(f), -ENOEXEC);
	f = good_elf();
	f.ph[0].p_filesz = f.ph[0].p_memsz + 1;
	expect_refused(&f, sizeof(f), -ENOEXEC);
	f = good_elf();
	f.eh.e_phnum = 2;
	f.ph[1] = (Elf64_Phdr){ .p_type = PT_INTERP,
				.p_offset = offsetof(struct fake, interp),
				.p_filesz = 4 };
	memcpy(f.interp, "/abc", 4);
	expect_refused(&f, sizeof(f), -ENOEXEC);
	f.ph[1].p_filesz = 1u << 20;
	expect_refused(&f, sizeof(f), -ENOEXEC);
	memcpy(f.interp, "/nonexistent", 13);
	f.ph[1].p_filesz = 13;
	expect_refused(&f, sizeof(f), -ENOENT);
	/* Figures only the engine can judge are refused by the daemon, also without harm. */
	f = good_elf();
	f.ph[0].p_offset = 8;
	expect_refused(&f, sizeof(f), -EINVAL);
}

static void
replace_keeps_mode(void **state)
{
	struct fake f = good_elf();
	const char *argv[] = { path, "x", NULL };
	const struct vmac_space *sp;
	struct vmac_exec_opts o;
	struct vmac_exec_info in;
	size_t n;

	(void)state;
	write_file(&f, sizeof(f));
	vmac_exec_opts_init(&o);
	o.mode = 0640;
	assert_int_equal(vmac_exec(conn, "fresh", path, argv, &o, &in), 0);
	assert_int_equal(in.start_code, 0x400000);
	assert_int_equal(vmac_exec(conn, "keep", path, argv, NULL, &in), 0);
	assert_int_equal(vmac_list(conn, &sp, &n), 0);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(sp[i].name, "keep") == 0)
			assert_int_equal(sp[i].mode, 0604);
		if (strcmp(sp[i].name, "fresh") == 0)
			assert_int_equal(sp[i].mode, 0640);
	}
	assert_int_equal(vmac_exec(conn, "keep", path, NULL, NULL, NULL), -EINVAL);
	o.reserved[0] = 1;
	assert_int_equal(vmac_exec(conn, "keep", path, argv, &o, NULL), -EINVAL);
}

static int
setup(void **state)
{
	struct vmac_create_opts co;

	(void)state;
	if (tvmad_start(&daemon_) < 0 || vmac_connect(daemon_.sock, &conn) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/prog", daemon_.dir);
	vmac_create_opts_init(&co);
	co.set = VMAC_OPT_MODE;
	co.mode = 0604;
	if (vmac_create(conn, "keep", &co) < 0)
		return -1;
	return vmac_mmap(conn, "keep", 0, 4096, VMAC_PROT_READ,
			 VMAC_MAP_PRIVATE | VMAC_MAP_ANONYMOUS, NULL, 0, NULL);
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	vmac_close(conn);
	tvmad_stop(&daemon_);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hostile_headers),
		cmocka_unit_test(hostile_segments),
		cmocka_unit_test(replace_keeps_mode),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
