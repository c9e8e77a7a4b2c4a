/* SPDX-License-Identifier: MIT */
/* lib/import.c: /proc/PID/maps text into an mm. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mm.h"

#define MAY (VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)

/* A no-ASLR static program on the reference kernel, as /proc/self/maps printed it. */
static const char static_maps[] =
	"00400000-00401000 r--p 00000000 fe:00 10952978                           /tmp/st\n"
	"00401000-00479000 r-xp 00001000 fe:00 10952978                           /tmp/st\n"
	"004a4000-004a7000 rw-p 000a4000 fe:00 10952978                           /tmp/st\n"
	"004a7000-005ac000 rw-p 00000000 00:00 0 \n"
	"005ac000-005ce000 rw-p 00000000 00:00 0                                  [heap]\n"
	"7ffff7fb8000-7ffff7fbf000 r--s 00000000 fe:00 332280                     "
	"/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache\n"
	"7ffff7fc0000-7ffff7fc2000 rw-s 00000000 00:01 27                         "
	"/dev/zero (deleted)\n"
	"7ffff7fc2000-7ffff7fc3000 r--p 00002000 fe:00 99                         "
	"/tmp/old (deleted)\n"
	"7ffff7ff7000-7ffff7ffb000 r--p 00000000 00:00 0                          [vvar]\n"
	"7ffff7ffb000-7ffff7ffd000 r--p 00000000 00:00 0                          [vvar_vclock]\n"
	"7ffff7ffd000-7ffff7fff000 r-xp 00000000 00:00 0                          [vdso]\n"
	"7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

/* A no-ASLR dynamically linked PIE with a 2 MiB .bss that never called brk: no [heap] line. */
static const char pie_maps[] =
	"555555554000-555555555000 r--p 00000000 fe:00 10960979                   /usr/bin/prog\n"
	"555555555000-555555556000 r-xp 00001000 fe:00 10960979                   /usr/bin/prog\n"
	"555555556000-555555557000 r--p 00002000 fe:00 10960979                   /usr/bin/prog\n"
	"555555557000-555555558000 r--p 00002000 fe:00 10960979                   /usr/bin/prog\n"
	"555555558000-555555559000 rw-p 00003000 fe:00 10960979                   /usr/bin/prog\n"
	"555555559000-555555759000 rw-p 00000000 00:00 0 \n"
	"7ffff7dd0000-7ffff7dd3000 rw-p 00000000 00:00 0 \n"
	"7ffff7dd3000-7ffff7df9000 r--p 00000000 fe:00 332835                     "
	"/usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7ffff7df9000-7ffff7f4f000 r-xp 00026000 fe:00 332835                     "
	"/usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7ffff7f4f000-7ffff7fa2000 r--p 0017c000 fe:00 332835                     "
	"/usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7ffff7fa2000-7ffff7fa6000 r--p 001cf000 fe:00 332835                     "
	"/usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7ffff7fa6000-7ffff7fa8000 rw-p 001d3000 fe:00 332835                     "
	"/usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7ffff7fa8000-7ffff7fb5000 rw-p 00000000 00:00 0 \n"
	"7ffff7fc0000-7ffff7fc2000 rw-p 00000000 00:00 0 \n"
	"7ffff7fc2000-7ffff7fc6000 r--p 00000000 00:00 0                          [vvar]\n"
	"7ffff7fc6000-7ffff7fc8000 r--p 00000000 00:00 0                          [vvar_vclock]\n"
	"7ffff7fc8000-7ffff7fca000 r-xp 00000000 00:00 0                          [vdso]\n"
	"7ffff7fca000-7ffff7fcb000 r--p 00000000 fe:00 332383                     "
	"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n"
	"7ffff7fcb000-7ffff7ff1000 r-xp 00001000 fe:00 332383                     "
	"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n"
	"7ffff7ff1000-7ffff7ffb000 r--p 00027000 fe:00 332383                     "
	"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n"
	"7ffff7ffb000-7ffff7ffd000 r--p 00031000 fe:00 332383                     "
	"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n"
	"7ffff7ffd000-7ffff7fff000 rw-p 00033000 fe:00 332383                     "
	"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n"
	"7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

static struct mm *
import_text(const char *text, int expect, unsigned expect_line)
{
	struct mm_config cfg;
	struct mm *mm = NULL;
	unsigned line = 0;

	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	assert_int_equal(mm_import_maps(&cfg, text, strlen(text), &mm, &line), expect);
	if (expect) {
		assert_null(mm);
		assert_int_equal(line, expect_line);
	}
	return mm;
}

static void
info_at(struct mm *mm, uint64_t addr, struct mm_vma_info *info)
{
	const struct vma *v = mm_vma_lookup(mm, addr);

	assert_non_null(v);
	mm_vma_info(v, info);
}

static void
round_trip_is_byte_exact(void **state)
{
	struct mm *mm = import_text(static_maps, 0, 0);
	struct mm_status st;
	char *text = NULL;
	size_t len;

	(void)state;
	assert_int_equal(mm_render_maps(mm, &text, &len), 0);
	assert_string_equal(text, static_maps);
	assert_int_equal(len, strlen(static_maps));
	free(text);
	mm_get_status(mm, &st);
	assert_int_equal(st.map_count, 12);
	assert_true(st.gate_vma);
	mm_destroy(mm);
}

static void
sysv_shared_memory_keeps_its_name(void **state)
{
	static const char sysv[] = "7ffff7fc0000-7ffff7fc4000 rw-s 00000000 00:01 32770"
				   "                      /SYSV0000abcd (deleted)\n";
	struct mm *mm = import_text(sysv, 0, 0);
	struct mm_vma_info i;
	char *text = NULL;

	(void)state;
	info_at(mm, 0x7ffff7fc0000, &i);
	assert_true(i.shmem);
	assert_int_equal(i.ino, 32770);
	assert_int_equal(mm_render_maps(mm, &text, NULL), 0);
	assert_string_equal(text, sysv);
	free(text);
	mm_destroy(mm);
}

static void
flags_are_those_mmap_would_set(void **state)
{
	struct mm *mm = import_text(static_maps, 0, 0);
	struct mm_vma_info i;

	(void)state;
	info_at(mm, 0x401000, &i);
	assert_int_equal(i.flags, VM_READ | VM_EXEC | MAY);
	assert_int_equal(i.pgoff, 1);
	assert_string_equal(i.path, "/tmp/st");
	assert_int_equal(i.dev_major, 0xfe);
	assert_int_equal(i.ino, 10952978);
	info_at(mm, 0x4a4000, &i);
	assert_int_equal(i.flags, VM_READ | VM_WRITE | MAY | VM_ACCOUNT);
	info_at(mm, 0x4a7000, &i);
	assert_int_equal(i.flags, VM_READ | VM_WRITE | MAY | VM_ACCOUNT);
	assert_null(i.path);
	assert_int_equal(i.pgoff, 0x4a7);
	info_at(mm, 0x7ffff7fb8000, &i);
	assert_int_equal(i.flags, VM_READ | VM_MAYREAD | VM_MAYEXEC | VM_MAYSHARE);
	info_at(mm, 0x7ffff7fc0000, &i);
	assert_true(i.shmem);
	assert_int_equal(i.flags, VM_READ | VM_WRITE | VM_SHARED | MAY | VM_MAYSHARE);
	info_at(mm, 0x7ffff7fc2000, &i);
	assert_true(i.deleted);
	assert_string_equal(i.path, "/tmp/old");
	info_at(mm, 0x7ffffffde000, &i);
	assert_int_equal(i.flags, VM_READ | VM_WRITE | MAY | VM_ACCOUNT | VM_GROWSDOWN);
	mm_destroy(mm);
}

static void
special_mappings_never_merge_or_grow(void **state)
{
	struct mm *mm = import_text(static_maps, 0, 0);
	struct mm_vma_info i;

	(void)state;
	info_at(mm, 0x7ffff7ff7000, &i);
	assert_int_equal(i.flags,
			 VM_READ | VM_MAYREAD | VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	info_at(mm, 0x7ffff7ffb000, &i);
	assert_true(i.flags & VM_PFNMAP);
	info_at(mm, 0x7ffff7ffd000, &i);
	assert_int_equal(i.flags, VM_READ | VM_EXEC | MAY | VM_DONTEXPAND);
	mm_destroy(mm);
}

static void
heap_and_stack_set_the_layout(void **state)
{
	struct mm *mm = import_text(static_maps, 0, 0);
	struct mm_status st;

	(void)state;
	mm_get_status(mm, &st);
	assert_int_equal(st.start_brk, 0x5ac000);
	assert_int_equal(st.brk, 0x5ce000);
	assert_true(st.start_stack >= 0x7ffffffde000 && st.start_stack <= 0x7ffffffff000);
	/* 0x5ce + 0x105 + 3 pages of data, 33 of stack, 2 of vdso text. */
	assert_int_equal(st.data_vm, 3 + 0x105 + 0x22);
	assert_int_equal(st.stack_vm, 33);
	assert_int_equal(st.exec_vm, 0x78 + 2);
	assert_int_equal(st.start_code, 0x401000);
	assert_int_equal(st.end_code, 0x479000);
	mm_destroy(mm);
}

/*
 * That program's /proc/PID/stat had start_code 0x555555555000, end_code 0x555555555165 and
 * start_brk 0x555555759000, the end of .bss; status had VmExe 4 kB and VmLib 1528 kB.
 */
static void
program_image_gives_code_and_break(void **state)
{
	struct mm *mm = import_text(pie_maps, 0, 0);
	struct mm_status st;
	char *text = NULL;

	(void)state;
	mm_get_status(mm, &st);
	assert_int_equal(st.start_brk, 0x555555759000);
	assert_int_equal(st.brk, 0x555555759000);
	assert_int_equal(st.start_code, 0x555555555000);
	assert_int_equal(st.end_code, 0x555555556000);
	assert_int_equal(mm_render_maps(mm, &text, NULL), 0);
	assert_string_equal(text, pie_maps);
	free(text);
	assert_int_equal(mm_render_status(mm, &text, NULL), 0);
	assert_non_null(strstr(text, "VmExe:\t       4 kB\n"));
	assert_non_null(strstr(text, "VmLib:\t    1528 kB\n"));
	free(text);
	mm_destroy(mm);
}

/*
 * A static-pie run without ASLR on the reference kernel, before its first brk: the image is
 * mapped near the top like a library and /proc/PID/stat gave start_brk 0x555555555000
 * (ELF_ET_DYN_BASE, page aligned); its first brk(0) returned that too.
 */
static const char static_pie_maps[] =
	"7ffff7f3e000-7ffff7f42000 r--p 00000000 00:00 0                          [vvar]\n"
	"7ffff7f42000-7ffff7f44000 r--p 00000000 00:00 0                          [vvar_vclock]\n"
	"7ffff7f44000-7ffff7f46000 r-xp 00000000 00:00 0                          [vdso]\n"
	"7ffff7f46000-7ffff7f4f000 r--p 00000000 fe:00 10953395                   /tmp/bsp\n"
	"7ffff7f4f000-7ffff7fc9000 r-xp 00009000 fe:00 10953395                   /tmp/bsp\n"
	"7ffff7fc9000-7ffff7ff3000 r--p 00083000 fe:00 10953395                   /tmp/bsp\n"
	"7ffff7ff3000-7ffff7ff7000 r--p 000ac000 fe:00 10953395                   /tmp/bsp\n"
	"7ffff7ff7000-7ffff7ffa000 rw-p 000b0000 fe:00 10953395                   /tmp/bsp\n"
	"7ffff7ffa000-7ffff7fff000 rw-p 00000000 00:00 0 \n"
	"7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n";

static void
static_pie_break_is_elf_et_dyn_base(void **state)
{
	struct mm *mm = import_text(static_pie_maps, 0, 0);
	struct mm_status st;

	(void)state;
	mm_get_status(mm, &st);
	assert_int_equal(st.start_brk, 0x555555555000);
	assert_int_equal(mm_brk(mm, 0), 0x555555555000);
	assert_int_equal(mm_brk(mm, 0x555555577000), 0x555555577000);
	assert_int_equal(mm_validate(mm, NULL, 0), 0);
	mm_destroy(mm);
}

/* Without a program image (no file at all) the configured break stays. */
static void
no_program_keeps_the_configured_break(void **state)
{
	struct mm *mm = import_text("00400000-00401000 rw-p 00000000 00:00 0 \n", 0, 0);
	struct mm_config cfg;
	struct mm_status st;

	(void)state;
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	mm_get_status(mm, &st);
	assert_int_equal(st.start_brk, cfg.start_brk);
	assert_int_equal(st.start_code, 0);
	assert_int_equal(st.end_code, 0);
	mm_destroy(mm);
}

static void
gate_follows_the_text(void **state)
{
	struct mm *mm = import_text("00400000-00401000 rw-p 00000000 00:00 0 ", 0, 0);
	struct mm_status st;
	char *text = NULL;

	(void)state;
	mm_get_status(mm, &st);
	assert_false(st.gate_vma);
	assert_int_equal(st.map_count, 1);
	assert_int_equal(mm_render_maps(mm, &text, NULL), 0);
	assert_string_equal(text, "00400000-00401000 rw-p 00000000 00:00 0 \n");
	free(text);
	mm_destroy(mm);
	mm = import_text("", 0, 0);
	mm_get_status(mm, &st);
	assert_int_equal(st.map_count, 0);
	mm_destroy(mm);
}

static void
malformed_text_names_the_line(void **state)
{
	static const struct {
		const char *text;
		unsigned line;
	} bad[] = {
		{ "00400000-00401000 rw-p 00000000 00:00 0\nzz\n", 2 },
		{ "00400000 rw-p 00000000 00:00 0\n", 1 },
		{ "00400000-00401000 rwqp 00000000 00:00 0\n", 1 },
		{ "00401000-00400000 rw-p 00000000 00:00 0\n", 1 },
		{ "00400800-00401000 rw-p 00000000 00:00 0\n", 1 },
		{ "00400000-00401000 r--p 00000800 fe:00 1 /x\n", 1 },
		{ "00400000-00401000 rw-p 00000000 0000 0\n", 1 },
		{ "00400000-00401000 rw-p 00000000 00:00 x\n", 1 },
		{ "00400000-00401000 rw-p 00000000 00:00 0\n\n", 2 },
		{ "00600000-00601000 rw-p 00000000 00:00 0 [heap]\n"
		  "00500000-00501000 rw-p 00000000 00:00 0 [heap]\n",
		  2 },
		{ "00500000-00501000 r-xp 00000000 fe:00 7 /bin/x\n"
		  "00400000-00401000 r-xp 00000000 fe:00 7 /bin/x\n",
		  2 },
		{ "00400000-00401000 rw-s 00000000 00:00 0 [anon:buf]\n", 1 },
		{ "00400000-00401000 rw-s 00000000 00:00 0 [heap]\n", 1 },
		{ "7ffffffde000-7ffffffff000 rw-s 00000000 00:00 0 [stack]\n", 1 },
		{ "00400000-00402000 rw-p 00000000 00:00 0\n"
		  "00401000-00403000 rw-p 00000000 00:00 0\n",
		  2 },
		{ "00400000-00401000 rw-p 00000000 00:00 0\n"
		  "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]\n"
		  "800000000000-800000001000 rw-p 00000000 00:00 0\n",
		  3 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		import_text(bad[i].text, -EINVAL, bad[i].line);
}

/* A NUL in a name is refused, not taken as the name's end (the text's length is given). */
static void
nul_in_a_name_is_refused(void **state)
{
	static const char text[] = "00400000-00401000 r--p 00000000 fe:00 7 /usr/lib/\0x\n"
				   "00401000-00402000 rw-p 00000000 00:00 0\n";
	struct mm_config cfg;
	struct mm *mm = NULL;
	unsigned line = 0;

	(void)state;
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	assert_int_equal(mm_import_maps(&cfg, text, sizeof(text) - 1, &mm, &line), -EINVAL);
	assert_null(mm);
	assert_int_equal(line, 1);
}

/* Several [heap] lines (mprotect splits the heap): the break spans them; it saves and loads. */
static void
several_heap_lines(void **state)
{
	struct mm *mm = import_text("00500000-00501000 rw-p 00000000 00:00 0 [heap]\n"
				    "00501000-00502000 r--p 00000000 00:00 0 [heap]\n",
				    0, 0),
		  *copy = NULL;
	struct mm_sbuf b = { 0 };
	char msg[256], *text = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(mm_save(mm, &b), 0);
	if (mm_load(b.data, b.len, NULL, &copy, msg, sizeof(msg)) != 0)
		fail_msg("mm_load: %s", msg);
	assert_int_equal(mm_render_maps(copy, &text, &len), 0);
	assert_non_null(strstr(text, "[heap]\n00501000-00502000"));
	assert_non_null(strstr(text + len - 30, "[heap]\n"));
	free(text);
	mm_sbuf_free(&b);
	mm_destroy(copy);
	mm_destroy(mm);
}

static void
this_process_round_trips(void **state)
{
	struct mm_config cfg;
	struct mm *mm = NULL;
	char *mine = malloc(1 << 20), *text = NULL;
	size_t len = 0;
	unsigned line = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	(void)state;
	assert_non_null(mine);
	assert_non_null(f);
	len = fread(mine, 1, (1 << 20) - 1, f);
	fclose(f);
	mine[len] = '\0';
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	assert_int_equal(mm_import_maps(&cfg, mine, len, &mm, &line), 0);
	assert_int_equal(mm_render_maps(mm, &text, &len), 0);
	assert_string_equal(text, mine);
	free(text);
	free(mine);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_is_byte_exact),
		cmocka_unit_test(sysv_shared_memory_keeps_its_name),
		cmocka_unit_test(flags_are_those_mmap_would_set),
		cmocka_unit_test(special_mappings_never_merge_or_grow),
		cmocka_unit_test(heap_and_stack_set_the_layout),
		cmocka_unit_test(program_image_gives_code_and_break),
		cmocka_unit_test(no_program_keeps_the_configured_break),
		cmocka_unit_test(static_pie_break_is_elf_et_dyn_base),
		cmocka_unit_test(gate_follows_the_text),
		cmocka_unit_test(malformed_text_names_the_line),
		cmocka_unit_test(nul_in_a_name_is_refused),
		cmocka_unit_test(several_heap_lines),
		cmocka_unit_test(this_process_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
