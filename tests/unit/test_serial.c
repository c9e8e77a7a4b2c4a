/* SPDX-License-Identifier: MIT */
/*
 * Serialisation: a loaded copy is the original.  After random histories, the copy and the
 * original are given the same random operations; every result, the maps and status text, the
 * validator and the serialised bytes themselves must agree.  Hostile buffers are refused.
 */
#include "test_helpers.h"

#include "mm_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 0x40000000ULL
#define SPAN   (256 * P)

static const struct mm_file_desc files[] = {
	{ .path = "/lib/a.so", .instance = 0, .mode = 3, .ino = 11, .size = 64 * P },
	{ .path = "/lib/a.so", .instance = 1, .mode = 1, .ino = 11, .size = 64 * P },
	{ .path = "/data/b", .instance = 0, .mode = 3, .ino = 12, .size = 8 * P, .deleted = true },
};

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t
rnd_addr(uint64_t *s)
{
	return WINDOW + (rnd(s) % 256) * P;
}

static uint64_t
rnd_len(uint64_t *s)
{
	return (1 + rnd(s) % 24) * P;
}

static uint32_t
rnd_prot(uint64_t *s)
{
	return (uint32_t)(rnd(s) % 8);
}

static int64_t
op_mmap(struct mm *mm, uint64_t *s)
{
	uint32_t kind = (uint32_t)(rnd(s) % 4), flags = MM_MAP_PRIVATE;
	const struct mm_file_desc *f = NULL;
	uint64_t out = 0, addr = rnd(s) % 2 ? rnd_addr(s) : 0;
	int r;

	if (kind == 0 || kind == 3)
		flags |= MM_MAP_ANONYMOUS;
	if (kind == 3)
		flags = MM_MAP_SHARED | MM_MAP_ANONYMOUS;
	if (kind == 1 || kind == 2)
		f = &files[rnd(s) % 3];
	if (rnd(s) % 2)
		flags |= MM_MAP_FIXED;
	if (rnd(s) % 8 == 0)
		flags |= MM_MAP_POPULATE;
	r = mm_mmap(mm, addr, rnd_len(s), rnd_prot(s), flags, f, (rnd(s) % 4) * P, &out);
	return r < 0 ? r : (int64_t)out;
}

static int64_t
op_mremap(struct mm *mm, uint64_t *s)
{
	uint64_t out = 0;
	uint32_t flags = (uint32_t)(rnd(s) % 8);
	int r = mm_mremap(mm, rnd_addr(s), rnd_len(s), rnd_len(s), flags, rnd_addr(s), &out);

	return r < 0 ? r : (int64_t)out;
}

static int64_t
op_fault(struct mm *mm, uint64_t *s)
{
	enum mm_fault_result res = MM_FAULT_OK;
	int r = mm_fault(mm, rnd_addr(s) + rnd(s) % P, (enum mm_access)(rnd(s) % 3), &res);

	return r < 0 ? r : (int64_t)res;
}

static int64_t
op_madvise(struct mm *mm, uint64_t *s)
{
	static const int advice[] = { MM_MADV_DONTNEED,   MM_MADV_DONTFORK,      MM_MADV_DOFORK,
				      MM_MADV_WIPEONFORK, MM_MADV_KEEPONFORK,    MM_MADV_HUGEPAGE,
				      MM_MADV_RANDOM,     MM_MADV_POPULATE_WRITE };

	return mm_madvise(mm, rnd_addr(s), rnd_len(s), advice[rnd(s) % 8]);
}

/* One random operation; the same seed gives the same call on any mm. */
static int64_t
random_op(struct mm *mm, uint64_t *s)
{
	switch (rnd(s) % 10) {
	case 0:
	case 1:
		return op_mmap(mm, s);
	case 2:
		return mm_munmap(mm, rnd_addr(s), rnd_len(s));
	case 3:
		return mm_mprotect(mm, rnd_addr(s), rnd_len(s), rnd_prot(s));
	case 4:
		return op_mremap(mm, s);
	case 5:
		return (int64_t)mm_brk(mm, rnd(s) % 2 ? 0 : 0x555555560000ULL + rnd(s) % 64 * P);
	case 6:
		return op_fault(mm, s);
	case 7:
		return op_madvise(mm, s);
	case 8:
		return rnd(s) % 2 ? mm_mlock(mm, rnd_addr(s), rnd_len(s), (uint32_t)(rnd(s) % 2))
				  : mm_munlock(mm, rnd_addr(s), rnd_len(s));
	default:
		return mm_populate(mm, rnd_addr(s), rnd_len(s), rnd(s) % 2);
	}
}

static struct mm *
copy_of(const struct mm *mm)
{
	struct mm_sbuf b = { 0 };
	struct mm *copy = NULL;
	size_t used = 0;
	char msg[256];

	assert_int_equal(mm_save(mm, &b), 0);
	if (mm_load(b.data, b.len, &used, &copy, msg, sizeof(msg)) != 0)
		fail_msg("mm_load: %s", msg);
	assert_int_equal(used, b.len);
	mm_sbuf_free(&b);
	return copy;
}

static void
expect_same_text(int (*render)(const struct mm *, char **, size_t *), const struct mm *a,
		 const struct mm *b)
{
	char *ta = NULL, *tb = NULL;
	size_t la = 0, lb = 0;

	assert_int_equal(render(a, &ta, &la), 0);
	assert_int_equal(render(b, &tb, &lb), 0);
	assert_int_equal(la, lb);
	assert_memory_equal(ta, tb, la);
	free(ta);
	free(tb);
}

static void
expect_same(const struct mm *a, const struct mm *b)
{
	struct mm_sbuf ba = { 0 }, bb = { 0 };

	check_valid(a);
	check_valid(b);
	expect_same_text(mm_render_maps, a, b);
	expect_same_text(mm_render_status, a, b);
	assert_int_equal(mm_save(a, &ba), 0);
	assert_int_equal(mm_save(b, &bb), 0);
	assert_int_equal(ba.len, bb.len);
	assert_memory_equal(ba.data, bb.data, ba.len);
	mm_sbuf_free(&ba);
	mm_sbuf_free(&bb);
}

/* A history of n random operations (with a fork now and then), from seed. */
static struct mm *
random_history(uint64_t seed, int n)
{
	struct mm *mm = new_mm((enum mm_layout)(seed % 3), seed % 2);
	uint64_t s = seed * 0x9e3779b97f4a7c15ULL + 1;

	for (int i = 0; i < n; i++) {
		random_op(mm, &s);
		if (rnd(&s) % 40 == 0) {
			struct mm *child = NULL;

			assert_int_equal(mm_fork(mm, &child), 0);
			mm_destroy(mm);
			mm = child;
		}
	}
	return mm;
}

static void
test_copy_behaves_alike(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 150; seed++) {
		struct mm *orig = random_history(seed, (int)(seed % 7) * 40);
		struct mm *copy = copy_of(orig);
		uint64_t sa = seed ^ 0xabcdef, sb = sa;

		expect_same(orig, copy);
		for (int i = 0; i < 120; i++) {
			int64_t ra = random_op(orig, &sa), rb = random_op(copy, &sb);

			if (ra != rb)
				fail_msg("seed %llu op %d: original %lld, copy %lld",
					 (unsigned long long)seed, i, (long long)ra, (long long)rb);
		}
		expect_same(orig, copy);
		mm_destroy(orig);
		mm_destroy(copy);
	}
}

/*
 * Open files (registered, mapped or not), tmpfs and /dev/zero mappings and sealed VMAs come
 * back alike, and go on behaving alike.
 */
static void
test_files_and_seals(void **state)
{
	struct mm *orig = new_mm(MM_LAYOUT_X86_64, false), *copy, *mms[2];
	struct mm_file_desc d = files[0], t = files[0], z = files[0];
	uint64_t mapped, idle, out, sealed;

	(void)state;
	t.path = "/memfd:x";
	t.kind = MM_FILE_TMPFS;
	z.path = "/dev/zero";
	z.kind = MM_FILE_DEVZERO;
	z.size = MM_FILE_SIZE_UNKNOWN;
	assert_int_equal(mm_file_open(orig, &d, &mapped), 0);
	assert_int_equal(mm_file_open(orig, &d, &idle), 0);
	d = (struct mm_file_desc){ .id = mapped };
	assert_int_equal(
		mm_mmap(orig, WINDOW, 8 * P, RW, MM_MAP_SHARED | MM_MAP_FIXED, &d, 0, &out), 0);
	assert_int_equal(mm_mmap(orig, 0, 4 * P, RW, MM_MAP_SHARED, &t, 0, &out), 0);
	assert_int_equal(mm_populate(orig, out, 4 * P, true), 0);
	assert_int_equal(mm_mmap(orig, 0, 4 * P, RW, MM_MAP_SHARED, &z, 0, &out), 0);
	assert_int_equal(mm_mmap(orig, 0, 4 * P, RW, MM_MAP_PRIVATE, &z, 0, &out), 0);
	sealed = out;
	assert_int_equal(mm_mseal(orig, sealed, 2 * P, 0), 0);
	assert_int_equal(mm_file_unlink(orig, mapped), 0);
	copy = copy_of(orig);
	expect_same(orig, copy);
	mms[0] = orig;
	mms[1] = copy;
	for (int i = 0; i < 2; i++) {
		struct mm_file_desc r = { .id = idle };
		enum mm_fault_result fr;

		assert_int_equal(mm_file_set_size(mms[i], mapped, 2 * P), 0);
		assert_int_equal(mm_fault(mms[i], WINDOW + 4 * P, MM_ACCESS_READ, &fr), 0);
		assert_int_equal(fr, MM_FAULT_SIGBUS);
		assert_int_equal(mm_mmap(mms[i], WINDOW + 8 * P, P, MM_PROT_READ,
					 MM_MAP_PRIVATE | MM_MAP_FIXED, &r, 0, &out),
				 0);
		assert_int_equal(mm_munmap(mms[i], sealed, 4 * P), -EPERM);
		assert_int_equal(mm_file_close(mms[i], idle), 0);
	}
	expect_same(orig, copy);
	mm_destroy(orig);
	mm_destroy(copy);
}

/* Every proper prefix and every single flipped byte: refused cleanly, or a valid mm. */
static void
test_hostile_buffers(void **state)
{
	struct mm *mm = random_history(7, 200), *out;
	struct mm_sbuf b = { 0 };
	char msg[256];

	(void)state;
	assert_int_equal(mm_save(mm, &b), 0);
	for (size_t n = 0; n < b.len; n += 1 + n / 64) {
		out = (struct mm *)1;
		assert_int_equal(mm_load(b.data, n, NULL, &out, msg, sizeof(msg)), -EINVAL);
		assert_null(out);
		assert_true(msg[0] != '\0');
	}
	for (size_t i = 0; i < b.len; i++) {
		uint8_t saved = b.data[i];

		b.data[i] ^= (uint8_t)(1u << (i % 8));
		if (mm_load(b.data, b.len, NULL, &out, msg, sizeof(msg)) == 0) {
			check_valid(out);
			mm_destroy(out);
		} else {
			assert_null(out);
		}
		b.data[i] = saved;
	}
	mm_sbuf_free(&b);
	mm_destroy(mm);
}

/* A file's kind, mode or device number is saved as a u64: bits above its field are refused,
 * not cut off. */
static void
test_value_wider_than_its_field(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, true), *out = NULL;
	struct mm_sbuf b = { 0 };
	uint64_t addr = 0;
	char msg[256];
	uint8_t *path;

	(void)state;
	assert_int_equal(mm_mmap(mm, WINDOW, P, MM_PROT_READ, MM_MAP_PRIVATE | MM_MAP_FIXED,
				 &files[2], 0, &addr),
			 0);
	assert_int_equal(mm_save(mm, &b), 0);
	path = memmem(b.data, b.len, files[2].path, strlen(files[2].path));
	assert_non_null(path);
	/* The path's length (u32) and the flag bits (u64) follow kind, the last u64 field. */
	path[-4 - 8 - 1] = 0xbf;
	assert_int_equal(mm_load(b.data, b.len, NULL, &out, msg, sizeof(msg)), -EINVAL);
	assert_null(out);
	assert_non_null(strstr(msg, "kind"));
	mm_sbuf_free(&b);
	mm_destroy(mm);
}

/* Where the VMA [start, end) is saved: its start and end are its first two u64s. */
static uint8_t *
saved_vma(struct mm_sbuf *b, uint64_t start, uint64_t end)
{
	uint8_t key[16];

	for (int i = 0; i < 8; i++) {
		key[i] = (uint8_t)(start >> (8 * i));
		key[8 + i] = (uint8_t)(end >> (8 * i));
	}
	return memmem(b->data, b->len, key, sizeof(key));
}

/*
 * Shared memory has its object: a shared VMA without one, or a shared anonymous object no VMA
 * uses, is not a buffer the engine wrote.
 */
static void
test_shared_without_object(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, true), *out = NULL;
	struct mm_sbuf b = { 0 };
	uint64_t addr = 0;
	uint8_t *v;
	char msg[256];

	(void)state;
	assert_int_equal(mm_mmap(mm, WINDOW, P, MM_PROT_READ, MM_MAP_SHARED | MM_MAP_FIXED,
				 &files[0], 0, &addr),
			 0);
	assert_int_equal(mm_mmap(mm, WINDOW + 4 * P, P, MM_PROT_READ | MM_PROT_WRITE,
				 MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_FIXED, NULL, 0, &addr),
			 0);
	assert_int_equal(mm_save(mm, &b), 0);
	v = saved_vma(&b, WINDOW + 4 * P, WINDOW + 5 * P);
	assert_non_null(v);
	/* The file number follows the five u64s and the flag bits: 2, the shmem object. */
	assert_int_equal(v[48], 2);
	v[48] = 0;
	assert_int_equal(mm_load(b.data, b.len, NULL, &out, msg, sizeof(msg)), -EINVAL);
	assert_null(out);
	assert_non_null(strstr(msg, "no file object"));
	v[48] = 1;
	assert_int_equal(mm_load(b.data, b.len, NULL, &out, msg, sizeof(msg)), -EINVAL);
	assert_null(out);
	assert_non_null(strstr(msg, "used by no VMA"));
	mm_sbuf_free(&b);
	mm_destroy(mm);
}

/* Shared anonymous objects are numbered in the order the VMAs first use them: no other. */
static void
test_shmem_order(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, true), *out = NULL;
	struct mm_sbuf b = { 0 };
	uint64_t addr = 0;
	uint8_t *v1, *v2;
	char msg[256];

	(void)state;
	for (int i = 0; i < 2; i++)
		assert_int_equal(mm_mmap(mm, WINDOW + (uint64_t)i * 4 * P, P, MM_PROT_READ,
					 MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_FIXED, NULL, 0,
					 &addr),
				 0);
	assert_int_equal(mm_save(mm, &b), 0);
	v1 = saved_vma(&b, WINDOW, WINDOW + P);
	v2 = saved_vma(&b, WINDOW + 4 * P, WINDOW + 5 * P);
	assert_non_null(v1);
	assert_non_null(v2);
	assert_int_equal(v1[48], 1);
	assert_int_equal(v2[48], 2);
	v1[48] = 2;
	v2[48] = 1;
	assert_int_equal(mm_load(b.data, b.len, NULL, &out, msg, sizeof(msg)), -EINVAL);
	assert_null(out);
	assert_non_null(strstr(msg, "used before"));
	mm_sbuf_free(&b);
	mm_destroy(mm);
}

static void
test_newer_version(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, true), *out;
	struct mm_sbuf b = { 0 };
	char msg[256];

	(void)state;
	assert_int_equal(mm_save(mm, &b), 0);
	b.data[8] = MM_SERIAL_VERSION + 1;
	assert_int_equal(mm_load(b.data, b.len, NULL, &out, msg, sizeof(msg)), -EPROTONOSUPPORT);
	assert_non_null(strstr(msg, "version"));
	mm_sbuf_free(&b);
	mm_destroy(mm);
}

/*
 * An id counter near 2^64 would hand out 0, the id that means none (a fork's child then had
 * an anon_vma of 0): the loader refuses it.
 */
static void
test_id_counter_past_range(void **state)
{
	struct mm *mm = new_mm(MM_LAYOUT_X86_64, true), *out = NULL;
	struct mm_sbuf b = { 0 };
	char msg[256];

	(void)state;
	for (int k = 0; k < 3; k++) {
		uint64_t *c = k == 0 ? &mm->next_anon_vma
				     : (k == 1 ? &mm->next_shmem_ino : &mm->next_file_id);
		uint64_t was = *c;

		*c = UINT64_MAX;
		assert_int_equal(mm_save(mm, &b), 0);
		assert_int_equal(mm_load(b.data, b.len, NULL, &out, msg, sizeof(msg)), -EINVAL);
		assert_null(out);
		assert_non_null(strstr(msg, "id counter"));
		mm_sbuf_free(&b);
		*c = was;
	}
	assert_int_equal(mm_save(mm, &b), 0);
	assert_int_equal(mm_load(b.data, b.len, NULL, &out, msg, sizeof(msg)), 0);
	mm_destroy(out);
	mm_sbuf_free(&b);
	mm_destroy(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_behaves_alike),
		cmocka_unit_test(test_files_and_seals),
		cmocka_unit_test(test_hostile_buffers),
		cmocka_unit_test(test_value_wider_than_its_field),
		cmocka_unit_test(test_shared_without_object),
		cmocka_unit_test(test_shmem_order),
		cmocka_unit_test(test_newer_version),
		cmocka_unit_test(test_id_counter_past_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
