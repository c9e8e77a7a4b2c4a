/* SPDX-License-Identifier: MIT */
/*
 * The VMAs vmad returns (find, maps) carry the maps line and the printed fields as the
 * engine renders them: the same mappings made through vmad and on an engine mm in this
 * process give the same /proc/PID/maps text, line by line and field by field; so do the
 * Vmas reply.c makes without their lines, but for the line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"
#include "mm.h"
#include "reply.h"
#include "vmaclient.h"

#define SPACE "r"
#define PAGE  4096ULL
#define RW    (VMAC_PROT_READ | VMAC_PROT_WRITE)

static struct vmad_proc vm;
static struct vmac_conn *c;
static struct mm *mm;

struct mapping {
	uint64_t addr, len;
	uint32_t prot, flags;
	uint64_t offset;
	struct vmac_file file;
	bool has_file;
};

/* Short and long addresses, files with odd names, devices and inodes, shmem, a heap. */
#define ANON_FIXED (VMAC_MAP_PRIVATE | VMAC_MAP_ANONYMOUS | VMAC_MAP_FIXED)

static const struct mapping mappings[] = {
	{ .addr = 0x10000, .len = PAGE, .prot = VMAC_PROT_READ, .flags = ANON_FIXED },
	{ .addr = 0x7f0000000000, .len = 4 * PAGE, .prot = RW, .flags = ANON_FIXED },
	{ .addr = 0x7f0000010000,
	  .len = 3 * PAGE,
	  .prot = VMAC_PROT_READ | VMAC_PROT_EXEC,
	  .flags = VMAC_MAP_PRIVATE | VMAC_MAP_FIXED,
	  .offset = 0x3000,
	  .file = { .path = "/usr/lib/libdemo.so",
		    .instance = 1,
		    .dev_major = 0xfe,
		    .dev_minor = 1,
		    .ino = 1234 },
	  .has_file = true },
	{ .addr = 0x7f0000020000,
	  .len = 2 * PAGE,
	  .prot = RW,
	  .flags = VMAC_MAP_SHARED | VMAC_MAP_FIXED,
	  .file = { .path = "/tmp/a\nname with spaces",
		    .instance = 2,
		    .dev_major = 0x103,
		    .dev_minor = 0x2a5,
		    .ino = 1ULL << 40 },
	  .has_file = true },
	{ .addr = 0x7f0000030000,
	  .len = PAGE,
	  .prot = VMAC_PROT_READ,
	  .flags = VMAC_MAP_PRIVATE | VMAC_MAP_FIXED,
	  .offset = 0x7fff000,
	  .file = { .path = "/opt/gone",
		    .instance = 3,
		    .dev_major = 8,
		    .ino = 99,
		    .deleted = true },
	  .has_file = true },
	{ .addr = 0x7f0000040000,
	  .len = 2 * PAGE,
	  .prot = RW,
	  .flags = VMAC_MAP_SHARED | VMAC_MAP_ANONYMOUS | VMAC_MAP_FIXED },
	{ .addr = 0x7f0000050000, .len = PAGE, .prot = VMAC_PROT_NONE, .flags = ANON_FIXED },
	{ .addr = 0x7f0000060000,
	  .len = 2 * PAGE,
	  .prot = VMAC_PROT_READ,
	  .flags = VMAC_MAP_SHARED | VMAC_MAP_FIXED,
	  .offset = PAGE,
	  .file = { .path = "/dev/shm/x", .instance = 4, .mode = VMAC_FMODE_READ, .ino = 7 },
	  .has_file = true },
};

static void
engine_file(const struct vmac_file *f, struct mm_file_desc *out)
{
	memset(out, 0, sizeof(*out));
	out->path = f->path;
	out->instance = f->instance;
	out->mode = f->mode ? f->mode : MM_FMODE_READ | MM_FMODE_WRITE;
	out->dev_major = f->dev_major;
	out->dev_minor = f->dev_minor;
	out->ino = f->ino;
	out->size = MM_FILE_SIZE_UNKNOWN;
	out->deleted = f->deleted;
}

static void
map_both(const struct mapping *m)
{
	struct mm_file_desc fd;
	uint64_t got = 0, want = 0;

	engine_file(&m->file, &fd);
	assert_int_equal(mm_mmap(mm, m->addr, m->len, m->prot, m->flags, m->has_file ? &fd : NULL,
				 m->offset, &want),
			 0);
	assert_int_equal(vmac_mmap(c, SPACE, m->addr, m->len, m->prot, m->flags,
				   m->has_file ? &m->file : NULL, m->offset, &got),
			 0);
	assert_int_equal(got, want);
}

static int
group_setup(void **state)
{
	struct vmac_create_opts o;
	struct mm_config cfg;
	uint64_t brk = 0;

	(void)state;
	harness_bound(60);
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	cfg.with_stack = true;
	vmac_create_opts_init(&o);
	o.with_stack = true;
	if (mm_create(&cfg, &mm) < 0 || harness_group_start(&vm, NULL, &c) < 0 ||
	    vmac_create(c, SPACE, &o) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(mappings) / sizeof(mappings[0]); i++)
		map_both(&mappings[i]);
	/* A [heap]: the break moved up by three pages on both sides. */
	if (vmac_brk(c, SPACE, 0, &brk) < 0 || vmac_brk(c, SPACE, brk + 3 * PAGE, NULL) < 0 ||
	    mm_brk(mm, mm_brk(mm, 0) + 3 * PAGE) != brk + 3 * PAGE)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	mm_destroy(mm);
	return harness_group_stop(&vm, c);
}

/* Every maps line through the paged iterator, each followed by a newline. */
static char *
daemon_maps(const char *name, uint32_t page)
{
	struct vmac_maps_iter *it;
	struct vmac_vma v;
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	int r;

	assert_non_null(out);
	assert_int_equal(vmac_maps_open(c, name, 0, page, &it), 0);
	while ((r = vmac_maps_next(it, &v)) == 1) {
		size_t l = strlen(v.line);

		assert_true(len + l + 2 < cap);
		memcpy(out + len, v.line, l);
		len += l;
		out[len++] = '\n';
	}
	assert_int_equal(r, 0);
	vmac_maps_close(it);
	out[len] = '\0';
	return out;
}

static void
test_maps_text(void **state)
{
	char *want, *got;
	size_t len;

	(void)state;
	assert_int_equal(mm_render_maps(mm, &want, &len), 0);
	/* Each kind of line is there: a check that the mappings did what they should. */
	assert_non_null(strstr(want, "00010000-00011000 r--p 00000000 00:00 0 \n"));
	assert_non_null(strstr(want, " 103:2a5 1099511627776 "));
	assert_non_null(strstr(want, "/tmp/a\\012name with spaces\n"));
	assert_non_null(strstr(want, "/opt/gone (deleted)\n"));
	assert_non_null(strstr(want, "/dev/zero (deleted)\n"));
	assert_non_null(strstr(want, "[heap]\n"));
	assert_non_null(strstr(want, "[stack]\n"));
	got = daemon_maps(SPACE, 0);
	assert_string_equal(got, want);
	free(got);
	got = daemon_maps(SPACE, 1);
	assert_string_equal(got, want);
	free(got);
	free(want);
}

/* The fields a maps line prints, read back from the engine's line. */
static void
check_fields(const struct vmac_vma *v, const char *line)
{
	unsigned long long start, end, offset, ino;
	unsigned major, minor;
	char perms[5];
	int n = 0;

	assert_int_equal(sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, perms,
				&offset, &major, &minor, &ino, &n),
			 7);
	assert_true(n > 0);
	assert_int_equal(v->start, start);
	assert_int_equal(v->end, end);
	assert_string_equal(v->perms, perms);
	assert_int_equal(v->offset, offset);
	assert_int_equal(v->dev_major, major);
	assert_int_equal(v->dev_minor, minor);
	assert_int_equal(v->ino, ino);
	assert_string_equal(v->path, line + n);
}

static void
test_find_fields(void **state)
{
	char line[MM_MAPS_LINE_MAX];
	struct mm_vma_info info;
	struct vmac_vma v;
	size_t n, count = 0;

	(void)state;
	for (const struct vma *e = mm_first_vma(mm); e; e = mm_next_vma(e), count++) {
		mm_vma_info(e, &info);
		n = mm_format_maps_line(mm, e, line, sizeof(line));
		assert_true(n > 1 && n < sizeof(line) && line[n - 1] == '\n');
		line[n - 1] = '\0';
		assert_int_equal(vmac_find_vma(c, SPACE, info.start, &v), VMAC_FOUND_VMA);
		assert_string_equal(v.line, line);
		check_fields(&v, line);
		assert_int_equal(v.flags, info.flags);
		assert_int_equal(v.pgoff, info.pgoff);
	}
	/* The mappings, the heap and the stack. */
	assert_int_equal(count, sizeof(mappings) / sizeof(mappings[0]) + 2);
}

/* Spaces made from maps text: shmem objects, memfd, a file without a device. */
static void
test_import(void **state)
{
	static const char text[] =
		"00400000-00401000 r-xp 00000000 00:00 0                          /srv/static\n"
		"7f0000040000-7f0000042000 rw-s 00000000 00:01 1                          "
		"/dev/zero (deleted)\n"
		"7f0000050000-7f0000052000 rw-s 00000000 00:00 0 \n"
		"7f0000060000-7f0000062000 rw-s 00000000 00:01 5                          "
		"/SYSV00000000 (deleted)\n"
		"7f0000070000-7f0000072000 rw-s 00000000 00:05 6                          "
		"/memfd:x (deleted)\n"
		"7f0000080000-7f0000081000 r--p 00001000 fd:02 123456789                  "
		"/usr/lib/x.so\n";
	struct mm_config cfg;
	struct mm *imp;
	unsigned errline = 0;
	char *want, *got;
	size_t len;

	(void)state;
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	assert_int_equal(mm_import_maps(&cfg, text, strlen(text), &imp, &errline), 0);
	assert_int_equal(mm_render_maps(imp, &want, &len), 0);
	assert_int_equal(vmac_import(c, "imp", text, NULL), 0);
	got = daemon_maps("imp", 0);
	assert_string_equal(got, want);
	free(got);
	free(want);
	mm_destroy(imp);
	assert_int_equal(vmac_destroy(c, "imp"), 0);
}

/* smaps and smaps_rollup through vmad are the engine's text for the same space. */
static void
test_smaps_text(void **state)
{
	char *want, *got = (char *)1;
	size_t len, glen;

	(void)state;
	assert_int_equal(vmac_populate(c, SPACE, 0x7f0000000000, 2 * PAGE, true), 0);
	assert_int_equal(mm_populate(mm, 0x7f0000000000, 2 * PAGE, true), 0);
	assert_int_equal(vmac_mlock(c, SPACE, 0x7f0000010000, PAGE), 0);
	assert_int_equal(mm_mlock(mm, 0x7f0000010000, PAGE, 0), 0);
	for (int rollup = 0; rollup < 2; rollup++) {
		assert_int_equal(mm_render_smaps(mm, rollup, &want, &len), 0);
		assert_int_equal(vmac_smaps(c, SPACE, rollup, &got, &glen), 0);
		assert_int_equal(glen, len);
		assert_string_equal(got, want);
		assert_non_null(
			strstr(got, rollup ? "[rollup]\nRss:" : "Locked:                4 kB"));
		free(got);
		free(want);
	}
	assert_int_equal(vmac_smaps(c, "no-such-space", false, &got, NULL), -ENOENT);
	assert_null(got);
}

/*
 * A Vma without its line (Find.without_line) carries the name the line would end in; the one
 * name a client cannot tell from none, an empty one, keeps the engine's line.
 */
static void
test_reply_without_line(void **state)
{
	static const char *const paths[] = { NULL, "/usr/lib/x.so", "" };
	struct mm_file_desc f = { .dev_major = 8, .ino = 5 };
	char line[MM_MAPS_LINE_MAX];
	struct mm_config cfg;
	struct mm *m = NULL;
	struct arena a;

	(void)state;
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	assert_int_equal(mm_create(&cfg, &m), 0);
	arena_init(&a, 1 << 20);
	for (unsigned i = 0; i < 3; i++) {
		uint64_t at = 0x10000 + 2 * i * PAGE;
		const struct vma *v;
		Vmad__V1__Vma *bare, *full;

		f.path = paths[i];
		assert_int_equal(mm_insert_vma(m, at, at + PAGE, VM_READ | VM_MAYREAD, 0,
					       paths[i] ? &f : NULL, false),
				 0);
		v = mm_vma_lookup(m, at);
		assert_int_not_equal(mm_format_maps_line(m, v, line, sizeof(line)), 0);
		line[strlen(line) - 1] = '\0';
		full = reply_vma(&a, m, v, true);
		bare = reply_vma(&a, m, v, false);
		assert_non_null(full);
		assert_non_null(bare);
		assert_string_equal(full->line, line);
		assert_string_equal(bare->path, full->path);
		assert_string_equal(bare->perms, full->perms);
		if (paths[i] && !paths[i][0])
			assert_string_equal(bare->line, line);
		else
			assert_null(bare->line);
	}
	arena_fini(&a);
	mm_destroy(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maps_text),
		cmocka_unit_test(test_find_fields),
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_smaps_text),
		cmocka_unit_test(test_reply_without_line),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
