/* SPDX-License-Identifier: MIT */
/*
 * libvmaclient against a real vmad (or in local mode), the second file of the suite that
 * test_libvmaclient.c runs: the calls added since 0.1 (create_ext, mseal, mlockall, protection
 * keys, smaps, anonymous names, the change calls, brk and status, populate and fault, fork
 * and import, stats), the maps lines the library makes, and watching.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tlib.h"

static void
test_create_ext(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_conn();
	struct vmac_create_ext x = { .personality = VMAC_PER_READ_IMPLIES_EXEC };
	struct vmac_vma v;
	uint64_t a;

	assert_int_equal(vmac_create_ext(c, "px", NULL, &x), 0);
	assert_int_equal(vmac_mmap(c, "px", 0, PAGE, VMAC_PROT_READ, ANON, NULL, 0, &a), 0);
	assert_int_equal(vmac_find_vma(c, "px", a, &v), VMAC_FOUND_VMA);
	assert_true(v.flags & VMAC_VM_EXEC);
	x.personality = 0x0100000u; /* MMAP_PAGE_ZERO */
	assert_int_equal(vmac_create_ext(c, "py", NULL, &x), -EINVAL);
	x.personality = 0;
	x.reserved[3] = 1;
	assert_int_equal(vmac_create_ext(c, "py", NULL, &x), -EINVAL);
	assert_int_equal(vmac_create_ext(c, "py", NULL, NULL), 0);
	assert_int_equal(vmac_mmap(c, "py", 0, PAGE, VMAC_PROT_READ, ANON, NULL, 0, &a), 0);
	assert_int_equal(vmac_find_vma(c, "py", a, &v), VMAC_FOUND_VMA);
	assert_false(v.flags & VMAC_VM_EXEC);
	assert_int_equal(vmac_destroy(c, "py"), 0);
	/* ADDR_COMPAT_LAYOUT: bottom-up from TASK_UNMAPPED_BASE, as the kernel lays it out. */
	x.reserved[3] = 0;
	x.personality = VMAC_PER_ADDR_COMPAT_LAYOUT;
	assert_int_equal(vmac_create_ext(c, "pz", NULL, &x), 0);
	assert_int_equal(vmac_mmap(c, "pz", 0, PAGE, VMAC_PROT_READ, ANON, NULL, 0, &a), 0);
	assert_int_equal(a, 0x2aaaaaaab000ULL);
	assert_int_equal(vmac_destroy(c, "pz"), 0);
	tlib_done(c, "px");
}

/* mseal (0.2): sealed mappings refuse munmap and mprotect; the watcher hears of the seal. */
static void
test_mseal(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_space("ms", NULL), *w = tlib_conn();
	struct vmac_event ev;
	struct vmac_vma v;
	uint64_t a;

	assert_int_equal(vmac_watch(w, "ms"), 0);
	assert_int_equal(
		vmac_mmap(c, "ms", 0x10000000, 4 * PAGE, RW, ANON | VMAC_MAP_FIXED, NULL, 0, &a),
		0);
	assert_int_equal(vmac_mseal(c, "ms", a + PAGE, PAGE, 1), -EINVAL);
	assert_int_equal(vmac_mseal(c, "ms", a + PAGE, PAGE, 0), 0);
	assert_int_equal(vmac_munmap(c, "ms", a, 4 * PAGE), -EPERM);
	assert_int_equal(vmac_mprotect(c, "ms", a + PAGE, PAGE, VMAC_PROT_READ), -EPERM);
	assert_int_equal(vmac_find_vma(c, "ms", a + PAGE, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.start, a + PAGE);
	assert_int_equal(v.end, a + 2 * PAGE);
	assert_true(v.flags & (1ULL << 42));
	assert_int_equal(vmac_mseal(c, "ms", a + 8 * PAGE, PAGE, 0), -ENOMEM);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_MMAP);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_MSEAL);
	assert_string_equal(vmac_event_kind_name(ev.kind), "mseal");
	assert_int_equal(ev.start, a + PAGE);
	vmac_close(w);
	tlib_done(c, "ms");
}

/*
 * mlockall/munlockall (0.2): MCL_CURRENT locks what is mapped, MCL_FUTURE what is mapped
 * later; the watcher hears of both calls.
 */
static void
test_mlockall(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_space("mla", NULL), *w = tlib_conn();
	struct vmac_event ev;
	struct vmac_status st;
	struct vmac_vma v;
	uint64_t a, b;

	assert_int_equal(vmac_watch(w, "mla"), 0);
	assert_int_equal(
		vmac_mmap(c, "mla", 0x10000000, 4 * PAGE, RW, ANON | VMAC_MAP_FIXED, NULL, 0, &a),
		0);
	assert_int_equal(vmac_mlockall(c, "mla", VMAC_MCL_ONFAULT), -EINVAL);
	assert_int_equal(vmac_mlockall(c, "mla", 0), -EINVAL);
	assert_int_equal(vmac_mlockall(c, "mla", VMAC_MCL_CURRENT), 0);
	assert_int_equal(vmac_status(c, "mla", &st), 0);
	assert_int_equal(st.vm_lck, 16);
	assert_int_equal(st.rss_anon, 16);
	assert_int_equal(vmac_mlockall(c, "mla", VMAC_MCL_FUTURE | VMAC_MCL_ONFAULT), 0);
	assert_int_equal(vmac_mmap(c, "mla", 0, 2 * PAGE, RW, ANON, NULL, 0, &b), 0);
	assert_int_equal(vmac_find_vma(c, "mla", b, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.flags & (VMAC_VM_LOCKED | VMAC_VM_LOCKONFAULT),
			 VMAC_VM_LOCKED | VMAC_VM_LOCKONFAULT);
	assert_int_equal(vmac_munlockall(c, "mla"), 0);
	assert_int_equal(vmac_status(c, "mla", &st), 0);
	assert_int_equal(st.vm_lck, 0);
	assert_int_equal(vmac_munlockall(c, "nosuch"), -ENOENT);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_MMAP);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_MLOCKALL);
	assert_string_equal(vmac_event_kind_name(ev.kind), "mlockall");
	assert_int_equal(ev.flags, VMAC_MCL_CURRENT);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.flags, VMAC_MCL_FUTURE | VMAC_MCL_ONFAULT);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_MMAP);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_MUNLOCKALL);
	vmac_close(w);
	tlib_done(c, "mla");
}

/*
 * Protection keys (0.2): a default space answers as a CPU without PKU; a VMAC_FEATURE_PKU one
 * hands out keys, the VMA's flags carry its key, watchers hear of each call.
 */
static void
test_pkeys(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_space("pk", NULL), *w = tlib_conn();
	struct vmac_create_ext x = { .features = VMAC_FEATURE_PKU };
	struct vmac_event ev;
	struct vmac_vma v;
	int k = -5;
	uint64_t a;

	assert_int_equal(vmac_pkey_alloc(c, "pk", 0, 0, &k), -EINVAL);
	assert_int_equal(vmac_pkey_alloc(c, "pk", 0, 0, &k), -ENOSPC);
	assert_int_equal(vmac_pkey_free(c, "pk", 0), -EINVAL);
	assert_int_equal(vmac_mmap(c, "pk", 0, 2 * PAGE, RW, ANON, NULL, 0, &a), 0);
	assert_int_equal(vmac_pkey_mprotect(c, "pk", a, PAGE, VMAC_PROT_READ, 0), -EINVAL);
	assert_int_equal(vmac_pkey_mprotect(c, "pk", a, PAGE, VMAC_PROT_READ, -1), 0);
	assert_int_equal(vmac_destroy(c, "pk"), 0);

	assert_int_equal(vmac_create_ext(c, "pk", NULL, &x), 0);
	assert_int_equal(vmac_watch(w, "pk"), 0);
	assert_int_equal(vmac_pkey_alloc(c, "pk", 0, VMAC_PKEY_DISABLE_WRITE, &k), 0);
	assert_int_equal(k, 1);
	assert_int_equal(vmac_mmap(c, "pk", 0, 2 * PAGE, RW, ANON, NULL, 0, &a), 0);
	assert_int_equal(vmac_pkey_mprotect(c, "pk", a, PAGE, VMAC_PROT_READ, k), 0);
	assert_int_equal(vmac_find_vma(c, "pk", a, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.end, a + PAGE);
	assert_int_equal((v.flags & VMAC_VM_PKEY_MASK) >> VMAC_VM_PKEY_SHIFT, 1);
	assert_int_equal(vmac_pkey_free(c, "pk", k), 0);
	assert_int_equal(vmac_pkey_free(c, "pk", k), -EINVAL);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_PKEY_ALLOC);
	assert_string_equal(vmac_event_kind_name(ev.kind), "pkey_alloc");
	assert_int_equal(ev.flags, 1);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_MMAP);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_PKEY_MPROTECT);
	assert_int_equal(ev.start, a);
	assert_int_equal(ev.flags, 1);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_PKEY_FREE);
	vmac_close(w);
	tlib_done(c, "pk");
}

/* smaps (0.2): the caller's own copy of the text, the rollup's sums, NULL text on failure. */
static void
test_smaps(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_space("sm", NULL);
	char *text = NULL;
	size_t len = 0;
	uint64_t a;

	assert_int_equal(
		vmac_mmap(c, "sm", 0x10000000, 4 * PAGE, RW, ANON | VMAC_MAP_FIXED, NULL, 0, &a),
		0);
	assert_int_equal(vmac_populate(c, "sm", a, 3 * PAGE, true), 0);
	assert_int_equal(vmac_smaps(c, "sm", false, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	assert_non_null(strstr(text, "10000000-10004000 rw-p 00000000 00:00 0 \nSize:"));
	assert_non_null(strstr(text, "\nAnonymous:            12 kB\n"));
	free(text);
	assert_int_equal(vmac_smaps(c, "sm", true, &text, NULL), 0);
	assert_non_null(strstr(text, "[rollup]\nRss:                  12 kB\n"));
	free(text);
	assert_int_equal(vmac_smaps(c, "none", true, &text, NULL), -ENOENT);
	assert_null(text);
	assert_int_equal(vmac_smaps(c, NULL, true, &text, NULL), -EINVAL);
	tlib_done(c, "sm");
}

/*
 * Anonymous VMA names (0.2): refused without the feature, as on a kernel without
 * CONFIG_ANON_VMA_NAME; with it, shown in maps, merged when equal, kept by save/restore.
 */
static void
test_anon_name(void **state)
{
	(void)state;
	struct vmac_create_ext ext = { .features = VMAC_FEATURE_ANON_VMA_NAME };
	struct vmac_conn *c = tlib_space("an", NULL), *w = tlib_conn();
	struct vmac_event ev;
	struct vmac_vma v;
	void *data = NULL;
	size_t len = 0;
	uint64_t a;

	assert_int_equal(
		vmac_mmap(c, "an", 0x10000000, 4 * PAGE, RW, ANON | VMAC_MAP_FIXED, NULL, 0, &a),
		0);
	assert_int_equal(vmac_set_vma_anon_name(c, "an", a, PAGE, "x"), -EINVAL);
	tlib_done(c, "an");
	c = tlib_conn();
	assert_int_equal(vmac_create_ext(c, "an", NULL, &ext), 0);
	assert_int_equal(vmac_watch(w, "an"), 0);
	assert_int_equal(
		vmac_mmap(c, "an", 0x10000000, 4 * PAGE, RW, ANON | VMAC_MAP_FIXED, NULL, 0, &a),
		0);
	assert_int_equal(vmac_set_vma_anon_name(c, "an", a + PAGE, PAGE, "x"), 0);
	assert_int_equal(vmac_set_vma_anon_name(c, "an", a + 2 * PAGE, PAGE, "x"), 0);
	assert_int_equal(vmac_set_vma_anon_name(c, "an", a, PAGE, "bad]"), -EINVAL);
	assert_int_equal(vmac_set_vma_anon_name(c, "an", a, 8 * PAGE, NULL), -ENOMEM);
	assert_int_equal(tlib_count_vmas(c, "an", 0), 2); /* the VMA and [vsyscall] */
	assert_int_equal(vmac_set_vma_anon_name(c, "an", a + PAGE, 2 * PAGE, "x"), 0);
	assert_int_equal(vmac_find_vma(c, "an", a + PAGE, &v), VMAC_FOUND_VMA);
	assert_string_equal(v.path, "[anon:x]");
	assert_int_equal(v.end, a + 3 * PAGE);
	assert_int_equal(vmac_save(c, "an", &data, &len), 0);
	assert_int_equal(vmac_restore(c, "an2", data, len, 0600), 0);
	free(data);
	assert_int_equal(vmac_find_vma(c, "an2", a + PAGE, &v), VMAC_FOUND_VMA);
	assert_string_equal(v.path, "[anon:x]");
	assert_int_equal(vmac_destroy(c, "an2"), 0);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_MMAP);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_SET_VMA_ANON_NAME);
	assert_string_equal(vmac_event_kind_name(ev.kind), "set_vma_anon_name");
	assert_int_equal(ev.start, a + PAGE);
	vmac_close(w);
	tlib_done(c, "an");
}

#define FL_MAX 16

/*
 * The line show_vma_header_prefix() and show_map_vma() print for v's fields, made here with
 * printf as the test's own reference: the name column starts after byte 72, or one space
 * after a longer header.
 */
static void
fl_expected(const struct vmac_vma *v, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%08llx-%08llx %s %08llx %02x:%02x %llu ",
			 (unsigned long long)v->start, (unsigned long long)v->end, v->perms,
			 (unsigned long long)v->offset, v->dev_major, v->dev_minor,
			 (unsigned long long)v->ino);

	assert_true(n > 0 && (size_t)n < size);
	if (!v->path[0])
		return;
	snprintf(buf + n, size - (size_t)n, "%*s%s", n < 72 ? 73 - n : 1, "", v->path);
}

/* Every line maps lists but the gate's, each checked against fl_expected() and copied. */
static int
fl_maps_lines(struct vmac_conn *c, const char *name, char *lines[FL_MAX], uint64_t starts[FL_MAX])
{
	struct vmac_maps_iter *it;
	struct vmac_vma v;
	char want[512];
	int n = 0;

	assert_int_equal(vmac_maps_open(c, name, 0, 0, &it), 0);
	while (vmac_maps_next(it, &v) == 1 && v.start < 0xffffffffff600000ULL) {
		assert_true(n < FL_MAX);
		fl_expected(&v, want, sizeof(want));
		assert_string_equal(v.line, want);
		lines[n] = strdup(v.line);
		assert_non_null(lines[n]);
		starts[n++] = v.start;
	}
	vmac_maps_close(it);
	return n;
}

/*
 * The library makes the maps lines of finds and of maps pages of the reply's fields (the
 * daemon leaves them out).  They must be what the kernel prints, for every kind of name and
 * every width of number, and the same whether a find is answered alone or in a pipeline.
 */
static void
test_find_lines(void **state)
{
	(void)state;
	struct vmac_create_opts o = { .with_stack = true };
	struct vmac_create_ext ext = { .features = VMAC_FEATURE_ANON_VMA_NAME };
	struct vmac_file lib = { .path = "/usr/lib/libfl.so",
				 .mode = VMAC_FMODE_READ,
				 .dev_major = 0x103,
				 .dev_minor = 0x1f,
				 .ino = UINT64_MAX };
	struct vmac_file odd = {
		.path = "/tmp/a\nb  c", .dev_major = 8, .ino = 12, .deleted = true
	};
	struct vmac_conn *c = tlib_conn();
	char *lines[FL_MAX];
	uint64_t starts[FL_MAX], a, brk;
	struct vmac_vma v, p;
	int n, result;

	assert_int_equal(vmac_create_ext(c, "fln", &o, &ext), 0);
	assert_int_equal(vmac_mmap(c, "fln", 0, 2 * PAGE, VMAC_PROT_READ | VMAC_PROT_EXEC,
				   VMAC_MAP_PRIVATE, &lib, 1ULL << 44, NULL),
			 0);
	assert_int_equal(vmac_mmap(c, "fln", 0, PAGE, RW, VMAC_MAP_SHARED, &odd, 0, NULL), 0);
	assert_int_equal(
		vmac_mmap(c, "fln", 0, PAGE, RW, VMAC_MAP_SHARED | VMAC_MAP_ANONYMOUS, NULL, 0, &a),
		0);
	assert_int_equal(vmac_set_vma_anon_name(c, "fln", a, PAGE, "sh"), 0);
	assert_int_equal(vmac_mmap(c, "fln", 0, 3 * PAGE, RW, ANON, NULL, 0, &a), 0);
	assert_int_equal(vmac_set_vma_anon_name(c, "fln", a + PAGE, PAGE, "hot"), 0);
	assert_int_equal(
		vmac_mmap(c, "fln", 0x10000, PAGE, RW, ANON | VMAC_MAP_FIXED, NULL, 0, NULL), 0);
	assert_int_equal(vmac_brk(c, "fln", 0, &brk), 0);
	assert_int_equal(vmac_brk(c, "fln", brk + 3 * PAGE, &brk), 0);
	n = fl_maps_lines(c, "fln", lines, starts);
	assert_true(n >= 9);
	for (int i = 0; i < n; i++) {
		assert_int_equal(vmac_find_vma(c, "fln", starts[i], &v), VMAC_FOUND_VMA);
		assert_string_equal(v.line, lines[i]);
		result = vmac_find_vma_prev(c, "fln", starts[i], &v, &p);
		assert_int_equal(result, VMAC_FOUND_VMA | (i ? VMAC_FOUND_PREV : 0));
		assert_string_equal(v.line, lines[i]);
		if (i)
			assert_string_equal(p.line, lines[i - 1]);
		assert_int_equal(vmac_pipeline_begin(c), 0);
		assert_int_equal(vmac_find_vma_prev(c, "fln", starts[i], &v, &p), 0);
		assert_int_equal(vmac_pipeline_end(c), 1);
		assert_int_equal(vmac_pipeline_next(c, &result), 1);
		assert_int_equal(result, VMAC_FOUND_VMA | (i ? VMAC_FOUND_PREV : 0));
		assert_string_equal(v.line, lines[i]);
		if (i)
			assert_string_equal(p.line, lines[i - 1]);
	}
	for (int i = 0; i < n; i++)
		free(lines[i]);
	tlib_done(c, "fln");
}

static void
test_change_calls(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_space("cc", NULL);
	uint64_t a, n;
	assert_int_equal(vmac_mmap(c, "cc", 0, 8 * PAGE, RW, ANON, NULL, 0, &a), 0);
	assert_int_equal(vmac_mprotect(c, "cc", a, PAGE, VMAC_PROT_READ), 0);
	assert_int_equal(tlib_count_vmas(c, "cc", 0), 3); /* two VMAs and [vsyscall] */
	assert_int_equal(vmac_mprotect(c, "cc", a + 1, PAGE, VMAC_PROT_READ), -EINVAL);
	assert_int_equal(vmac_munmap(c, "cc", a, PAGE), 0);
	assert_int_equal(tlib_count_vmas(c, "cc", 0), 2);
	/* Something right above the mapping, so that it cannot grow in place. */
	assert_int_equal(vmac_mmap(c, "cc", a + 8 * PAGE, PAGE, VMAC_PROT_READ,
				   ANON | VMAC_MAP_FIXED, NULL, 0, NULL),
			 0);
	assert_int_equal(vmac_mremap(c, "cc", a + PAGE, 7 * PAGE, 10 * PAGE, 0, 0, &n), -ENOMEM);
	assert_int_equal(vmac_mremap(c, "cc", a + PAGE, 7 * PAGE, 6 * PAGE, 0, 0, &n), 0);
	assert_int_equal(n, a + PAGE);
	assert_int_equal(
		vmac_mremap(c, "cc", a + PAGE, 6 * PAGE, 64 * PAGE, VMAC_MREMAP_MAYMOVE, 0, &n), 0);
	assert_int_not_equal(n, a + PAGE);
	struct vmac_vma v;
	assert_int_equal(vmac_find_vma(c, "cc", n, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.start, n);
	assert_int_equal(v.end, n + 64 * PAGE);
	assert_int_equal(vmac_madvise(c, "cc", n, PAGE, VMAC_MADV_DONTFORK), 0);
	assert_int_equal(vmac_madvise(c, "cc", n, PAGE, 9999), -EINVAL);
	assert_int_equal(vmac_munmap(c, "cc", 0x1001, PAGE), -EINVAL);
	tlib_done(c, "cc");
}

static void
test_brk_status(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_space("bs", NULL);
	struct vmac_status st;
	assert_int_equal(vmac_status(c, "bs", &st), 0);
	assert_int_equal(st.map_count, 0);
	assert_int_equal(st.vm_size, 0);
	uint64_t start = st.start_brk, b = 0;
	assert_int_equal(vmac_brk(c, "bs", 0, &b), 0);
	assert_int_equal(b, start);
	assert_int_equal(vmac_brk(c, "bs", start + 0x21000, &b), 0);
	assert_int_equal(b, start + 0x21000);
	/* Below the start: refused by leaving the break where it is, as brk(2) does. */
	assert_int_equal(vmac_brk(c, "bs", start - PAGE, &b), 0);
	assert_int_equal(b, start + 0x21000);
	struct vmac_vma v;
	assert_int_equal(vmac_find_vma(c, "bs", start, &v), VMAC_FOUND_VMA);
	assert_string_equal(v.path, "[heap]");
	assert_int_equal(vmac_status(c, "bs", &st), 0);
	assert_int_equal(st.brk, start + 0x21000);
	assert_int_equal(st.map_count, 1);
	assert_int_equal(st.vm_size, 0x21000 / 1024);
	assert_int_equal(st.vm_data, 0x21000 / 1024);
	assert_non_null(strstr(st.text, "VmSize:"));
	assert_int_equal(vmac_status(c, "nope", &st), -ENOENT);
	tlib_done(c, "bs");
}

static void
test_populate_fault_mlock(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_space("pf", NULL);
	uint64_t a;
	struct vmac_status st;
	enum vmac_fault_result r;
	assert_int_equal(vmac_mmap(c, "pf", 0, 4 * PAGE, RW, ANON, NULL, 0, &a), 0);
	assert_int_equal(vmac_populate(c, "pf", a, 2 * PAGE, true), 0);
	assert_int_equal(vmac_status(c, "pf", &st), 0);
	assert_int_equal(st.vm_rss, 8);
	assert_int_equal(vmac_fault(c, "pf", a + 3 * PAGE, VMAC_ACCESS_WRITE, &r), 0);
	assert_int_equal(r, VMAC_FAULT_OK);
	assert_int_equal(vmac_fault(c, "pf", 0x1000, VMAC_ACCESS_READ, &r), 0);
	assert_int_equal(r, VMAC_FAULT_SEGV_MAPERR);
	assert_int_equal(vmac_fault(c, "pf", a, VMAC_ACCESS_EXEC, &r), 0);
	assert_int_equal(r, VMAC_FAULT_SEGV_ACCERR);
	assert_int_equal(vmac_fault(c, "pf", a, (enum vmac_access)9, &r), -EINVAL);
	assert_int_equal(vmac_status(c, "pf", &st), 0);
	assert_int_equal(st.vm_rss, 12);

	assert_int_equal(vmac_mlock(c, "pf", a, 4 * PAGE), 0);
	assert_int_equal(vmac_status(c, "pf", &st), 0);
	assert_int_equal(st.vm_lck, 16);
	assert_int_equal(vmac_munlock(c, "pf", a, 4 * PAGE), 0);
	assert_int_equal(vmac_mlock2(c, "pf", a, PAGE, VMAC_MLOCK_ONFAULT), 0);
	struct vmac_vma v;
	assert_int_equal(vmac_find_vma(c, "pf", a, &v), VMAC_FOUND_VMA);
	assert_true(v.flags & VMAC_VM_LOCKONFAULT);
	assert_int_equal(vmac_mlock2(c, "pf", a, PAGE, 0x80), -EINVAL);
	tlib_done(c, "pf");
}

static void
test_fork_import(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_space("fk", NULL);
	uint64_t a, b;
	assert_int_equal(vmac_mmap(c, "fk", 0, PAGE, RW, ANON, NULL, 0, &a), 0);
	assert_int_equal(vmac_mmap(c, "fk", 0, PAGE, VMAC_PROT_READ, ANON, NULL, 0, &b), 0);
	assert_int_equal(vmac_madvise(c, "fk", b, PAGE, VMAC_MADV_DONTFORK), 0);
	assert_int_equal(vmac_fork(c, "fk", "fk-child"), 0);
	assert_int_equal(vmac_fork(c, "fk", "fk-child"), -EEXIST);
	assert_int_equal(vmac_fork(c, "nope", "x"), -ENOENT);
	struct vmac_vma v;
	assert_int_equal(vmac_find_vma(c, "fk-child", 0, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.start, a); /* the DONTFORK VMA below it was not copied */
	assert_int_equal(tlib_count_vmas(c, "fk-child", 0), 2);

	const char *text = "00400000-00401000 r-xp 00000000 08:01 77 /bin/demo\n"
			   "7ffff7ff0000-7ffff7ff1000 rw-p 00000000 00:00 0 \n";
	struct vmac_create_opts o = { .set = VMAC_OPT_MODE, .mode = 0644 };
	assert_int_equal(vmac_import(c, "imp", text, &o), 0);
	assert_int_equal(vmac_find_vma(c, "imp", 0, &v), VMAC_FOUND_VMA);
	assert_int_equal(v.start, 0x400000);
	assert_string_equal(v.path, "/bin/demo");
	assert_string_equal(v.perms, "r-xp");
	assert_int_equal(vmac_import(c, "imp2", "garbage\n", NULL), -EINVAL);
	o.set |= VMAC_OPT_TASK_SIZE;
	assert_int_equal(vmac_import(c, "imp3", text, &o), -EINVAL);
	assert_int_equal(vmac_destroy(c, "imp"), 0);
	assert_int_equal(vmac_destroy(c, "fk-child"), 0);
	tlib_done(c, "fk");
}

static void
test_stats(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_space("st", NULL);
	struct vmac_stats s;
	assert_int_equal(vmac_stats(c, &s), 0);
	assert_true(s.clients >= 1);
	assert_true(s.spaces >= 1);
	assert_true(s.requests >= 1);
	tlib_done(c, "st");
}

static void
expect_event(struct vmac_conn *w, enum vmac_event_kind kind, uint64_t start, uint64_t len)
{
	struct vmac_event ev;
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, kind);
	assert_string_equal(ev.name, "wt");
	assert_int_equal(ev.start, start);
	assert_int_equal(ev.len, len);
}

static void
test_watch(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_space("wt", NULL);
	struct vmac_conn *w = tlib_conn();
	struct vmac_event ev;
	assert_int_equal(vmac_watch(w, "nope"), -ENOENT);
	assert_int_equal(vmac_watch(w, "wt"), 0);
	assert_int_equal(vmac_ping(w), -EBUSY);
	assert_int_equal(vmac_watch_next(w, &ev, 0), -EAGAIN);

	uint64_t a;
	assert_int_equal(vmac_mmap(c, "wt", 0, 2 * PAGE, RW, ANON, NULL, 0, &a), 0);
	struct pollfd p = { .fd = vmac_fd(w), .events = POLLIN };
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_int_equal(vmac_watch_next(w, &ev, 0), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_MMAP);
	assert_int_equal(ev.start, a);
	assert_int_equal(ev.len, 2 * PAGE);
	assert_int_equal(ev.new_prot, RW);
	assert_string_equal(vmac_event_kind_name(ev.kind), "mmap");
	uint64_t seq = ev.seq;

	assert_int_equal(vmac_mprotect(c, "wt", a, PAGE, VMAC_PROT_READ), 0);
	assert_int_equal(vmac_munmap(c, "wt", a, PAGE), 0);
	expect_event(w, VMAC_EVENT_MPROTECT, a, PAGE);
	expect_event(w, VMAC_EVENT_MUNMAP, a, PAGE);
	assert_int_equal(vmac_destroy(c, "wt"), 0);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_DESTROY);
	assert_true(ev.seq > seq);
	assert_string_equal(vmac_event_kind_name((enum vmac_event_kind)99), "unknown");
	vmac_close(w);
	vmac_close(c);
}

/*
 * The changes that are not memory system calls reach watchers too: an open file resized or
 * unlinked, the break set, the contents replaced by restore or exec.  Opening and closing a
 * file change nothing a space shows and send nothing.
 */
static void
test_watch_replacements(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_space("wt", NULL), *w = tlib_conn();
	const char *const argv[] = { "true", NULL };
	struct vmac_file_info f;
	struct vmac_event ev;
	char *program = realpath("/bin/true", NULL);
	uint64_t id;
	size_t len;
	void *saved;

	assert_non_null(program);
	assert_int_equal(vmac_save(c, "wt", &saved, &len), 0);
	assert_int_equal(vmac_watch(w, "wt"), 0);
	vmac_file_info_init(&f);
	f.path = "/data/f";
	assert_int_equal(vmac_file_open(c, "wt", &f, &id), 0);
	assert_int_equal(vmac_file_set_size(c, "wt", id, 3 * PAGE), 0);
	expect_event(w, VMAC_EVENT_FILE_SET_SIZE, id, 3 * PAGE);
	assert_string_equal(vmac_event_kind_name(VMAC_EVENT_FILE_SET_SIZE), "file-size");
	assert_int_equal(vmac_file_unlink(c, "wt", id), 0);
	expect_event(w, VMAC_EVENT_FILE_UNLINK, id, 0);
	assert_int_equal(vmac_file_close(c, "wt", id), 0);
	assert_int_equal(vmac_set_brk(c, "wt", 0x600000000000ULL, 0x600000002000ULL), 0);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_SET_BRK);
	assert_int_equal(ev.start, 0x600000000000ULL);
	assert_int_equal(ev.new_addr, 0x600000002000ULL);
	assert_int_equal(vmac_restore(c, "wt", saved, len, 0), 0);
	expect_event(w, VMAC_EVENT_RESTORE, 0, 0);
	assert_int_equal(vmac_exec(c, "wt", "/bin/true", argv, NULL, NULL), 0);
	assert_int_equal(vmac_watch_next(w, &ev, 5000), 0);
	assert_int_equal(ev.kind, VMAC_EVENT_EXEC);
	assert_string_equal(ev.path, program);
	assert_int_equal(vmac_watch_next(w, &ev, 0), -EAGAIN);
	free(program);
	free(saved);
	vmac_close(w);
	tlib_done(c, "wt");
}

/*
 * mprotect over a hole fails with ENOMEM after changing the VMAs before the hole, as the
 * kernel does: watchers get EVENT_CHANGED for them.  A failure that changed nothing sends
 * nothing.
 */
static void
test_watch_failed_change(void **state)
{
	(void)state;
	struct vmac_conn *c = tlib_space("wt", NULL), *w = tlib_conn();
	struct vmac_event ev;
	uint64_t a = 0x10000000;

	assert_int_equal(vmac_mmap(c, "wt", a, 2 * PAGE, RW, ANON | VMAC_MAP_FIXED, NULL, 0, NULL),
			 0);
	assert_int_equal(vmac_watch(w, "wt"), 0);
	assert_int_equal(vmac_munmap(c, "wt", a + 1, PAGE), -EINVAL);
	assert_int_equal(vmac_mprotect(c, "wt", a, 3 * PAGE, VMAC_PROT_READ), -ENOMEM);
	expect_event(w, VMAC_EVENT_CHANGED, a, 2 * PAGE);
	assert_string_equal(vmac_event_kind_name(VMAC_EVENT_CHANGED), "changed");
	assert_int_equal(vmac_watch_next(w, &ev, 0), -EAGAIN);
	vmac_close(w);
	tlib_done(c, "wt");
}

const struct CMUnitTest tlib_calls_tests[] = {
	cmocka_unit_test(test_create_ext),
	cmocka_unit_test(test_mseal),
	cmocka_unit_test(test_mlockall),
	cmocka_unit_test(test_pkeys),
	cmocka_unit_test(test_smaps),
	cmocka_unit_test(test_anon_name),
	cmocka_unit_test(test_find_lines),
	cmocka_unit_test(test_change_calls),
	cmocka_unit_test(test_brk_status),
	cmocka_unit_test(test_populate_fault_mlock),
	cmocka_unit_test(test_fork_import),
	cmocka_unit_test(test_stats),
	cmocka_unit_test(test_watch),
	cmocka_unit_test(test_watch_replacements),
	cmocka_unit_test(test_watch_failed_change),
};
const size_t tlib_calls_count = sizeof(tlib_calls_tests) / sizeof(tlib_calls_tests[0]);
