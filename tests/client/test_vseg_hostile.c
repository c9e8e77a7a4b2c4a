/* SPDX-License-Identifier: MIT */
/*
 * The view reader (client/lib/vseg_read.c) on damaged copies of a real segment: random bytes
 * overwritten in the header, the nodes and the names, and whole words of the tree's nodes
 * (counts, links, children, keys, padding, summaries) set to values that break its rules.  Every
 * lookup must end, with an answer or an error, without reading outside the copy (ASan checks that
 * in the sanitizer build).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tseg.h"
#include "vmaclient.h"
#include "vseg.h"
#include "vseg_read.h"

#define PAGE 4096ULL
#define BASE 0x10000000ULL

/* A segment of a few hundred VMAs with names, copied out of a local view. */
static unsigned char *
real_segment(size_t *len)
{
	static const struct vmac_file f = { .path = "/usr/lib/libx.so", .mode = 3, .ino = 5 };
	struct vmac_conn *c;
	struct vmac_view *v;
	struct stat st;

	assert_int_equal(vmac_open_local(&c), 0);
	assert_int_equal(vmac_create(c, "h", NULL), 0);
	for (int i = 0; i < 600; i++)
		assert_int_equal(vmac_mmap(c, "h", BASE + (uint64_t)i * 2 * PAGE, PAGE,
					   VMAC_PROT_READ | (i % 3 ? 0 : VMAC_PROT_WRITE),
					   VMAC_MAP_PRIVATE | VMAC_MAP_FIXED |
						   (i % 2 ? VMAC_MAP_ANONYMOUS : 0),
					   i % 2 ? NULL : &f, 0, NULL),
				 0);
	assert_int_equal(vmac_view_open(c, "h", &v), 0);
	int fd = tseg_fd();
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	unsigned char *copy = malloc((size_t)st.st_size);
	assert_non_null(copy);
	memcpy(copy, p, (size_t)st.st_size);
	munmap(p, (size_t)st.st_size);
	*len = (size_t)st.st_size;
	vmac_view_close(v);
	assert_int_equal(vmac_destroy(c, "h"), 0);
	vmac_close(c);
	return copy;
}

static void
probe(const unsigned char *seg, size_t len, unsigned *seed)
{
	struct vseg_result res;
	uint64_t bad, ver, addr = BASE + (uint64_t)(rand_r(seed) % 1400) * PAGE;
	struct vseg_map m;
	char name[64];
	int r;

	/* A header that is not this format's is refused before anything else is read. */
	if (vseg_map_init(&m, seg, len) < 0)
		return;
	r = vseg_find(&m, (enum vseg_find_mode)(rand_r(seed) % 3), addr, addr + PAGE, &res);
	assert_true(r >= -4095 || r == VSEG_READ_REMAP);
	if (r > 0 && (r & 1))
		(void)vseg_name(&m, &res.vma, name, sizeof(name));
	(void)vseg_check(&m, BASE, 1200 * PAGE, 0, &bad);
	(void)vseg_version(&m, &ver);
}

static void
test_intact(void **state)
{
	(void)state;
	size_t len;
	unsigned char *seg = real_segment(&len);
	struct vseg_result res;
	struct vseg_map m;
	char name[64];

	assert_int_equal(vseg_map_init(&m, seg, len), 0);
	assert_int_equal(vseg_find(&m, VSEG_FIND, 0, 0, &res), 1);
	assert_int_equal(res.vma.start, BASE);
	assert_int_equal(vseg_name(&m, &res.vma, name, sizeof(name)), 16);
	assert_string_equal(name, "/usr/lib/libx.so");
	/* Too short for its header, not of this format, or claiming more than is there. */
	assert_int_equal(vseg_map_init(&m, seg, 100), -EBADMSG);
	seg[8]++;
	assert_int_equal(vseg_map_init(&m, seg, len), -EBADMSG);
	seg[8]--;
	assert_int_equal(vseg_map_init(&m, seg, len - 1), 0);
	assert_int_equal(vseg_find(&m, VSEG_FIND, 0, 0, &res), VSEG_READ_REMAP);
	free(seg);
}

static void
test_damaged(void **state)
{
	(void)state;
	size_t len;
	unsigned char *seg = real_segment(&len), *copy = malloc(len);
	unsigned seed = 1;

	assert_non_null(copy);
	for (int round = 0; round < 3000; round++) {
		memcpy(copy, seg, len);
		int hits = 1 + rand_r(&seed) % 8;
		for (int k = 0; k < hits; k++) {
			/* Half the damage in the header and the first nodes, where the tree starts.
			 */
			size_t at = rand_r(&seed) % 2 ? (size_t)rand_r(&seed) % 8192
						      : (size_t)rand_r(&seed) % len;
			copy[at] = (unsigned char)rand_r(&seed);
			if (rand_r(&seed) % 4 == 0 && at + 4 <= len)
				memset(copy + at, 0xff, 4);
		}
		/* An even counter, so that the damage is read rather than retried. */
		copy[16] &= 0xfe;
		for (int p = 0; p < 20; p++)
			probe(copy, len, &seed);
	}
	free(copy);
	free(seg);
}

/* A word of a node: padding that is no longer padding, a summary or key out of order, a
 * child or count out of range. */
static void
damage_word(unsigned char *copy, uint32_t nodes, unsigned *seed)
{
	uint64_t vals[] = { 0,
			    1,
			    VINDEX_KEY_PAD,
			    BASE + 5 * PAGE,
			    (uint64_t)nodes << 32 | nodes,
			    ((uint64_t)rand_r(seed) << 33) ^ (uint64_t)rand_r(seed) };
	size_t node = (size_t)rand_r(seed) % nodes,
	       word = (size_t)rand_r(seed) % (VINDEX_NODE_SIZE / 8);
	uint64_t v = vals[(size_t)rand_r(seed) % (sizeof(vals) / sizeof(vals[0]))];

	memcpy(copy + VSEG_NODES_OFF + node * VINDEX_NODE_SIZE + word * 8, &v, sizeof(v));
}

static void
test_damaged_words(void **state)
{
	(void)state;
	size_t len;
	unsigned char *seg = real_segment(&len), *copy = malloc(len);
	const struct vseg_header *h = (const void *)seg;
	unsigned seed = 2;

	assert_non_null(copy);
	assert_true(VSEG_NODES_OFF + (size_t)h->nodes_cap * VINDEX_NODE_SIZE <= len);
	for (int round = 0; round < 3000; round++) {
		memcpy(copy, seg, len);
		for (int k = 1 + rand_r(&seed) % 4; k > 0; k--)
			damage_word(copy, h->nodes_cap, &seed);
		for (int p = 0; p < 20; p++)
			probe(copy, len, &seed);
	}
	free(copy);
	free(seg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intact),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_damaged_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
