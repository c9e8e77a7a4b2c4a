/* SPDX-License-Identifier: MIT */
/*
 * Every operation through libvmaclient against a real vmad: the request reaches the engine
 * and the reply comes back complete (addresses, VMAs with their exact maps lines, status
 * figures, lists), refusals carry the right errno and a message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"
#include "vmaclient.h"

#define KB        1024ULL
#define MMAP_BASE 0x7ffff7fff000ULL
#define ANON      (VMAC_MAP_PRIVATE | VMAC_MAP_ANONYMOUS)
#define RW        (VMAC_PROT_READ | VMAC_PROT_WRITE)
#define GATE_LINE                                                                                  \
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]"

static struct vmad_proc vm;
static struct vmac_conn *c;

static int
group_setup(void **state)
{
	(void)state;
	return harness_group_start(&vm, NULL, &c);
}

static int
group_teardown(void **state)
{
	(void)state;
	return harness_group_stop(&vm, c);
}

/* Each test starts with a fresh space "t". */
static int
setup(void **state)
{
	(void)state;
	harness_bound(60);
	vmac_destroy(c, "t");
	return vmac_create(c, "t", NULL);
}

static uint64_t
map_anon(const char *name, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags)
{
	uint64_t got = 0;

	assert_int_equal(vmac_mmap(c, name, addr, len, prot, flags, NULL, 0, &got), 0);
	return got;
}

/* All maps lines, joined with newlines, through the paged iterator. */
static char *
maps_text(const char *name, uint32_t page, size_t *count)
{
	struct vmac_maps_iter *it;
	struct vmac_vma v;
	size_t cap = 1 << 16, len = 0, n = 0;
	char *out = malloc(cap);
	int r;

	assert_non_null(out);
	out[0] = '\0';
	assert_int_equal(vmac_maps_open(c, name, 0, page, &it), 0);
	while ((r = vmac_maps_next(it, &v)) == 1) {
		size_t l = strlen(v.line);

		assert_true(len + l + 2 < cap);
		memcpy(out + len, v.line, l);
		len += l;
		out[len++] = '\n';
		out[len] = '\0';
		n++;
	}
	assert_int_equal(r, 0);
	vmac_maps_close(it);
	if (count)
		*count = n;
	return out;
}

static void
test_hello_ping(void **state)
{
	struct vmac_server_info info;

	(void)state;
	assert_int_equal(vmac_hello(c, "test_daemon_ops", &info), 0);
	assert_int_equal(info.version, 1);
	assert_non_null(strstr(info.server, "vmad"));
	assert_int_equal(vmac_ping(c), 0);
}

static void
test_create_names(void **state)
{
	char name[300];

	(void)state;
	assert_int_equal(vmac_create(c, "t", NULL), -EEXIST);
	assert_true(strstr(vmac_errmsg(c), "exists") != NULL);
	assert_int_equal(vmac_create(c, "", NULL), -EINVAL);
	assert_int_equal(vmac_create(c, "a/b", NULL), -EINVAL);
	assert_int_equal(vmac_create(c, "a b", NULL), -EINVAL);
	assert_int_equal(vmac_create(c, "\xc3\xa9t\xc3\xa9", NULL), -EINVAL);
	memset(name, 'n', 256);
	name[256] = '\0';
	assert_int_equal(vmac_create(c, name, NULL), -EINVAL);
	name[255] = '\0';
	assert_int_equal(vmac_create(c, name, NULL), 0);
	assert_int_equal(vmac_destroy(c, name), 0);
	assert_int_equal(vmac_create(c, "Aa0._-", NULL), 0);
	assert_int_equal(vmac_destroy(c, "Aa0._-"), 0);
	assert_int_equal(vmac_destroy(c, "Aa0._-"), -ENOENT);
	assert_true(strstr(vmac_errmsg(c), "Aa0._-") != NULL);
}

static void
test_create_options(void **state)
{
	struct vmac_create_opts o;
	struct vmac_status st;
	uint64_t a;

	(void)state;
	vmac_create_opts_init(&o);
	o.layout = VMAC_LAYOUT_I386;
	assert_int_equal(vmac_create(c, "i386", &o), 0);
	a = map_anon("i386", 0, 4096, RW, ANON);
	assert_true(a < (3ULL << 30));
	assert_int_equal(vmac_destroy(c, "i386"), 0);

	vmac_create_opts_init(&o);
	o.set = VMAC_OPT_MMAP_BASE | VMAC_OPT_START_BRK | VMAC_OPT_MAX_MAP_COUNT;
	o.mmap_base = 0x40000000;
	o.start_brk = 0x10000000;
	o.max_map_count = 3;
	o.with_stack = true;
	assert_int_equal(vmac_create(c, "opts", &o), 0);
	assert_int_equal(vmac_status(c, "opts", &st), 0);
	assert_int_equal(st.mmap_base, 0x40000000);
	assert_int_equal(st.start_brk, 0x10000000);
	assert_int_equal(st.brk, 0x10000000);
	/* The [stack] VMA exec makes. */
	assert_int_equal(st.map_count, 1);
	assert_int_equal(map_anon("opts", 0, 4096, RW, ANON), 0x40000000 - 4096);
	/*
	 * max_map_count 3: mmap checks map_count > max_map_count, so it can reach 4 ([stack]
	 * and three mappings); the next one is refused.
	 */
	map_anon("opts", 0x20000000, 4096, VMAC_PROT_READ, ANON | VMAC_MAP_FIXED);
	map_anon("opts", 0x30000000, 4096, VMAC_PROT_EXEC, ANON | VMAC_MAP_FIXED);
	assert_int_equal(vmac_mmap(c, "opts", 0x38000000, 4096, VMAC_PROT_READ,
				   ANON | VMAC_MAP_FIXED, NULL, 0, NULL),
			 -ENOMEM);
	assert_int_equal(vmac_destroy(c, "opts"), 0);

	/* A 4 GiB task: the default break (above 0x555555554000) must move below it too. */
	vmac_create_opts_init(&o);
	o.set = VMAC_OPT_TASK_SIZE;
	o.task_size = 0x100000000ULL;
	assert_int_equal(vmac_create(c, "small", &o), -EINVAL);
	o.set |= VMAC_OPT_START_BRK;
	o.start_brk = 0x8000000;
	assert_int_equal(vmac_create(c, "small", &o), 0);
	assert_true(map_anon("small", 0, 4096, RW, ANON) < 0x100000000ULL);
	assert_int_equal(vmac_destroy(c, "small"), 0);

	vmac_create_opts_init(&o);
	o.set = VMAC_OPT_TASK_SIZE;
	o.task_size = 12345;
	assert_int_equal(vmac_create(c, "bad", &o), -EINVAL);
	vmac_create_opts_init(&o);
	o.set = VMAC_OPT_MODE;
	o.mode = 01777;
	assert_int_equal(vmac_create(c, "bad", &o), -EINVAL);
}

static void
test_mmap_maps_find(void **state)
{
	struct vmac_vma v, prev;
	char *text;
	size_t n;
	uint64_t a;

	(void)state;
	a = map_anon("t", 0, 64 * KB, RW, ANON);
	/* Top-down from mmap_base, as the kernel places it. */
	assert_int_equal(a, MMAP_BASE - 64 * KB);
	text = maps_text("t", 0, &n);
	assert_string_equal(text,
			    "7ffff7fef000-7ffff7fff000 rw-p 00000000 00:00 0 \n" GATE_LINE "\n");
	free(text);

	assert_int_equal(vmac_find_vma(c, "t", 0, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.start, a);
	assert_int_equal(v.end, a + 64 * KB);
	assert_string_equal(v.perms, "rw-p");
	assert_string_equal(v.path, "");
	assert_int_equal(v.offset, 0);
	assert_true((v.flags & (VMAC_VM_READ | VMAC_VM_WRITE)) == (VMAC_VM_READ | VMAC_VM_WRITE));
	assert_string_equal(v.line, "7ffff7fef000-7ffff7fff000 rw-p 00000000 00:00 0 ");
	assert_int_equal(vmac_find_vma(c, "t", MMAP_BASE, &v), 0);
	assert_int_equal(vmac_find_vma_prev(c, "t", MMAP_BASE, &v, &prev), VMAC_FOUND_PREV);
	assert_int_equal(prev.start, a);
	assert_int_equal(vmac_find_vma_prev(c, "t", a + 4096, &v, &prev), VMAC_FOUND_VMA);
	assert_int_equal(vmac_find_vma_intersection(c, "t", a - 8192, a, &v), 0);
	assert_int_equal(vmac_find_vma_intersection(c, "t", a - 8192, a + 1, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.start, a);
}

static void
test_file_mapping(void **state)
{
	struct vmac_file f = { .path = "/usr/lib/libdemo.so",
			       .instance = 1,
			       .mode = VMAC_FMODE_READ,
			       .dev_major = 0xfe,
			       .ino = 1234,
			       .size = 1 << 20,
			       .size_known = true };
	struct vmac_vma v;
	uint64_t a = 0;

	(void)state;
	assert_int_equal(vmac_mmap(c, "t", 0, 8192, VMAC_PROT_READ, VMAC_MAP_PRIVATE, &f, 4096, &a),
			 0);
	assert_int_equal(vmac_find_vma(c, "t", a, &v), VMAC_FOUND_VMA);
	assert_string_equal(v.path, "/usr/lib/libdemo.so");
	assert_int_equal(v.offset, 4096);
	assert_int_equal(v.dev_major, 0xfe);
	assert_int_equal(v.ino, 1234);
	assert_int_equal(v.pgoff, 1);
	assert_non_null(strstr(v.line, " r--p 00001000 fe:00 1234 "));
	assert_non_null(strstr(v.line, "/usr/lib/libdemo.so"));
	/* A read-only open file cannot be mapped shared and writable. */
	assert_int_equal(vmac_mmap(c, "t", 0, 8192, RW, VMAC_MAP_SHARED, &f, 0, NULL), -EACCES);
	f.path = "";
	assert_int_equal(vmac_mmap(c, "t", 0, 8192, VMAC_PROT_READ, VMAC_MAP_PRIVATE, &f, 0, NULL),
			 -EINVAL);
}

static void
test_munmap_mprotect_mremap(void **state)
{
	struct vmac_status st;
	struct vmac_vma v;
	uint64_t a, b = 0;

	(void)state;
	a = map_anon("t", 0, 3 * 4096, RW, ANON);
	assert_int_equal(vmac_mprotect(c, "t", a + 4096, 4096, VMAC_PROT_READ), 0);
	assert_int_equal(vmac_status(c, "t", &st), 0);
	assert_int_equal(st.map_count, 3);
	assert_int_equal(vmac_find_vma(c, "t", a + 4096, &v), VMAC_FOUND_VMA);
	assert_string_equal(v.perms, "r--p");
	assert_int_equal(vmac_mprotect(c, "t", a + 1, 4096, VMAC_PROT_READ), -EINVAL);
	assert_int_equal(vmac_munmap(c, "t", a, 4096), 0);
	assert_int_equal(vmac_status(c, "t", &st), 0);
	assert_int_equal(st.map_count, 2);
	assert_int_equal(vmac_munmap(c, "t", a + 1, 4096), -EINVAL);
	/* The r-- page cannot grow in place (the rw- page follows) unless it may move. */
	assert_int_equal(vmac_mremap(c, "t", a + 4096, 4096, 64 * KB, 0, 0, NULL), -ENOMEM);
	assert_int_equal(vmac_mremap(c, "t", a + 4096, 4096, 64 * KB, VMAC_MREMAP_MAYMOVE, 0, &b),
			 0);
	assert_true(b != a + 4096);
	assert_int_equal(vmac_find_vma(c, "t", b, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.start, b);
	assert_int_equal(v.end, b + 64 * KB);
	assert_string_equal(v.perms, "r--p");
	/* Its old place is empty now. */
	assert_int_equal(vmac_find_vma(c, "t", a + 4096, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.start, a + 2 * 4096);
}

static void
test_brk(void **state)
{
	struct vmac_status st;
	struct vmac_vma v;
	uint64_t base = 0, now = 0;

	(void)state;
	assert_int_equal(vmac_brk(c, "t", 0, &base), 0);
	assert_int_equal(vmac_status(c, "t", &st), 0);
	assert_int_equal(base, st.start_brk);
	assert_int_equal(vmac_brk(c, "t", base + 3 * 4096, &now), 0);
	assert_int_equal(now, base + 3 * 4096);
	assert_int_equal(vmac_find_vma(c, "t", base, &v), VMAC_FOUND_VMA);
	assert_string_equal(v.path, "[heap]");
	/* Below start_brk: refused the brk way, the old break comes back and no errno. */
	assert_int_equal(vmac_brk(c, "t", base - 4096, &now), 0);
	assert_int_equal(now, base + 3 * 4096);
}

static void
test_populate_fault_madvise_mlock(void **state)
{
	enum vmac_fault_result fr;
	struct vmac_status st;
	uint64_t a;

	(void)state;
	a = map_anon("t", 0, 4 * 4096, RW, ANON);
	assert_int_equal(vmac_populate(c, "t", a, 2 * 4096, true), 0);
	assert_int_equal(vmac_status(c, "t", &st), 0);
	assert_int_equal(st.vm_rss, 8);
	assert_int_equal(st.rss_anon, 8);
	assert_non_null(strstr(st.text, "VmRSS:"));
	assert_int_equal(vmac_fault(c, "t", a + 3 * 4096, VMAC_ACCESS_WRITE, &fr), 0);
	assert_int_equal(fr, VMAC_FAULT_OK);
	assert_int_equal(vmac_fault(c, "t", 0x1000, VMAC_ACCESS_READ, &fr), 0);
	assert_int_equal(fr, VMAC_FAULT_SEGV_MAPERR);
	assert_int_equal(vmac_fault(c, "t", a, VMAC_ACCESS_EXEC, &fr), 0);
	assert_int_equal(fr, VMAC_FAULT_SEGV_ACCERR);
	assert_int_equal(vmac_status(c, "t", &st), 0);
	assert_int_equal(st.vm_rss, 12);
	assert_int_equal(vmac_madvise(c, "t", a, 4 * 4096, VMAC_MADV_DONTNEED), 0);
	assert_int_equal(vmac_status(c, "t", &st), 0);
	assert_int_equal(st.vm_rss, 0);
	assert_int_equal(st.vm_hwm, 12);
	assert_int_equal(vmac_madvise(c, "t", a, 4096, 999), -EINVAL);
	assert_int_equal(vmac_mlock(c, "t", a, 2 * 4096), 0);
	assert_int_equal(vmac_status(c, "t", &st), 0);
	assert_int_equal(st.vm_lck, 8);
	assert_int_equal(vmac_munlock(c, "t", a, 2 * 4096), 0);
	assert_int_equal(vmac_status(c, "t", &st), 0);
	assert_int_equal(st.vm_lck, 0);
	assert_int_equal(vmac_mlock2(c, "t", a, 4096, VMAC_MLOCK_ONFAULT), 0);
}

static void
test_status_figures(void **state)
{
	struct vmac_status st;
	char line[64];

	(void)state;
	map_anon("t", 0, 64 * KB, RW, ANON);
	assert_int_equal(vmac_status(c, "t", &st), 0);
	assert_int_equal(st.vm_size, 64);
	assert_int_equal(st.vm_peak, 64);
	assert_int_equal(st.vm_data, 64);
	assert_int_equal(st.map_count, 1);
	assert_int_equal(st.mmap_base, MMAP_BASE);
	/* The numbers and the rendered text agree. */
	snprintf(line, sizeof(line), "VmSize:\t%8llu kB", (unsigned long long)st.vm_size);
	assert_non_null(strstr(st.text, line));
	snprintf(line, sizeof(line), "VmData:\t%8llu kB", (unsigned long long)st.vm_data);
	assert_non_null(strstr(st.text, line));
}

static void
test_maps_paging(void **state)
{
	char *whole, *paged;
	size_t n_whole, n_paged;

	(void)state;
	/* 40 VMAs that cannot merge (alternating protections). */
	for (int i = 0; i < 40; i++)
		map_anon("t", 0x10000000 + (uint64_t)i * 4096, 4096, i % 2 ? VMAC_PROT_READ : RW,
			 ANON | VMAC_MAP_FIXED);
	whole = maps_text("t", 0, &n_whole);
	paged = maps_text("t", 3, &n_paged);
	assert_int_equal(n_whole, 41);
	assert_int_equal(n_paged, 41);
	assert_string_equal(whole, paged);
	/* The gate line comes last, once, even when a page ends right before it. */
	free(paged);
	paged = maps_text("t", 40, &n_paged);
	assert_int_equal(n_paged, 41);
	assert_string_equal(whole, paged);
	assert_non_null(strstr(whole, "\n" GATE_LINE "\n"));
	free(whole);
	free(paged);
}

static void
test_fork_list_stats(void **state)
{
	const struct vmac_space *spaces;
	struct vmac_stats stats;
	char *a, *b;
	size_t n;
	bool seen_t = false, seen_child = false;

	(void)state;
	map_anon("t", 0, 64 * KB, RW, ANON);
	assert_int_equal(vmac_fork(c, "t", "child"), 0);
	assert_int_equal(vmac_fork(c, "t", "child"), -EEXIST);
	assert_int_equal(vmac_fork(c, "nope", "child2"), -ENOENT);
	a = maps_text("t", 0, NULL);
	b = maps_text("child", 0, NULL);
	assert_string_equal(a, b);
	free(a);
	free(b);
	assert_int_equal(vmac_list(c, &spaces, &n), 0);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			assert_true(strcmp(spaces[i - 1].name, spaces[i].name) < 0);
		if (strcmp(spaces[i].name, "t") == 0) {
			seen_t = true;
			assert_int_equal(spaces[i].map_count, 1);
			assert_int_equal(spaces[i].vm_size_kb, 64);
			assert_int_equal(spaces[i].uid, getuid());
			assert_int_equal(spaces[i].mode, 0600);
		}
		seen_child |= strcmp(spaces[i].name, "child") == 0;
	}
	assert_true(seen_t && seen_child);
	assert_int_equal(vmac_stats(c, &stats), 0);
	assert_true(stats.clients >= 1);
	assert_int_equal(stats.spaces, n);
	assert_true(stats.vmas >= 2);
	assert_true(stats.requests > 10);
	assert_true(stats.errors >= 1);
	assert_int_equal(vmac_destroy(c, "child"), 0);
}

static void
test_import(void **state)
{
	static const char text[] =
		"555555554000-555555556000 r--p 00000000 fe:00 1234                       "
		"/usr/bin/cat\n"
		"555555556000-55555555b000 r-xp 00002000 fe:00 1234                       "
		"/usr/bin/cat\n"
		"55555555b000-55555555e000 r--p 00007000 fe:00 1234                       "
		"/usr/bin/cat\n"
		"555555560000-555555581000 rw-p 00000000 00:00 0                          [heap]\n"
		"7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          "
		"[stack]\n" GATE_LINE "\n";
	struct vmac_create_opts o;
	char *got;

	(void)state;
	assert_int_equal(vmac_import(c, "imp", text, NULL), 0);
	got = maps_text("imp", 0, NULL);
	assert_string_equal(got, text);
	free(got);
	assert_int_equal(vmac_import(c, "imp", text, NULL), -EEXIST);
	assert_int_equal(vmac_import(c, "imp2", "not maps\n", NULL), -EINVAL);
	assert_non_null(strstr(vmac_errmsg(c), "line 1"));
	vmac_create_opts_init(&o);
	o.set = VMAC_OPT_MODE;
	o.mode = 0644;
	assert_int_equal(vmac_import(c, "imp3", text, &o), 0);
	assert_int_equal(vmac_destroy(c, "imp3"), 0);
	assert_int_equal(vmac_destroy(c, "imp"), 0);
}

static void
test_missing_space(void **state)
{
	struct vmac_status st;
	struct vmac_vma v;

	(void)state;
	assert_int_equal(vmac_mmap(c, "none", 0, 4096, RW, ANON, NULL, 0, NULL), -ENOENT);
	assert_int_equal(vmac_munmap(c, "none", 0, 4096), -ENOENT);
	assert_int_equal(vmac_status(c, "none", &st), -ENOENT);
	assert_int_equal(vmac_find_vma(c, "none", 0, &v), -ENOENT);
	assert_int_equal(vmac_destroy(c, "none"), -ENOENT);
	assert_int_equal(vmac_mmap(c, "bad name", 0, 4096, RW, ANON, NULL, 0, NULL), -EINVAL);
	/* The engine's own errors come through unchanged. */
	assert_int_equal(vmac_mmap(c, "t", 0, 0, RW, ANON, NULL, 0, NULL), -EINVAL);
	assert_int_equal(vmac_mmap(c, "t", 0, 4096, RW, VMAC_MAP_PRIVATE, NULL, 0, NULL), -EBADF);
	assert_true(strlen(vmac_errmsg(c)) > 0);
	assert_int_equal(vmac_ping(c), 0);
}

static void
test_max_spaces(void **state)
{
	static const char *const args[] = { "--max-spaces", "2", NULL };
	struct vmad_proc small;
	struct vmac_conn *s;

	(void)state;
	assert_int_equal(vmad_start(&small, args, NULL), 0);
	assert_int_equal(vmac_connect(small.sock, &s), 0);
	assert_int_equal(vmac_create(s, "one", NULL), 0);
	assert_int_equal(vmac_create(s, "two", NULL), 0);
	assert_int_equal(vmac_create(s, "three", NULL), -ENOSPC);
	assert_int_equal(vmac_fork(s, "one", "three"), -ENOSPC);
	assert_int_equal(vmac_destroy(s, "two"), 0);
	assert_int_equal(vmac_create(s, "three", NULL), 0);
	vmac_close(s);
	assert_int_equal(vmad_stop(&small), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_hello_ping, setup),
		cmocka_unit_test_setup(test_create_names, setup),
		cmocka_unit_test_setup(test_create_options, setup),
		cmocka_unit_test_setup(test_mmap_maps_find, setup),
		cmocka_unit_test_setup(test_file_mapping, setup),
		cmocka_unit_test_setup(test_munmap_mprotect_mremap, setup),
		cmocka_unit_test_setup(test_brk, setup),
		cmocka_unit_test_setup(test_populate_fault_madvise_mlock, setup),
		cmocka_unit_test_setup(test_status_figures, setup),
		cmocka_unit_test_setup(test_maps_paging, setup),
		cmocka_unit_test_setup(test_fork_list_stats, setup),
		cmocka_unit_test_setup(test_import, setup),
		cmocka_unit_test_setup(test_missing_space, setup),
		cmocka_unit_test_setup(test_max_spaces, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
