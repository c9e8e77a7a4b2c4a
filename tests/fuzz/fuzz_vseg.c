/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the input is a view segment's bytes (daemon/vseg.h), read with the
 * client's reader (client/lib/vseg_read.c over lib/vindex.c) as a process that mapped a
 * hostile segment would.  The bytes are copied into a buffer of exactly their length, so
 * that ASan reports any read outside [base, base + len).  The counter at offset 16 is made
 * even, so that damage is read rather than retried.  Every map is walked from address 0 with
 * each lookup mode, each name is read, and ranges are checked; answers must keep the reader's
 * promises (an error in range, a NUL-terminated name of the length returned, a failing
 * address inside the range asked about).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vseg.h"
#include "vseg_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Records a walk visits at most: a hostile tree may claim any count. */
#define WALK_MAX 96

static void
fuzz_vseg_fail(const char *what, int r)
{
	fprintf(stderr, "view reader broke a promise: %s (%d)\n", what, r);
	abort();
}

static void
fuzz_vseg_error(int r)
{
	if (r < 0 && r != VSEG_READ_REMAP && r != -EAGAIN && r != -ENOENT && r != -ENOTCONN &&
	    r != -EBADMSG && r != -EFAULT && r != -ESTALE && r != -ENOSPC)
		fuzz_vseg_fail("unexpected error", r);
}

static void
fuzz_vseg_name(const struct vseg_map *m, const struct vindex_rec *vma)
{
	char small[8], big[VINDEX_NAME_BYTES * 2];
	int r = vseg_name(m, vma, big, sizeof(big));

	fuzz_vseg_error(r);
	if (r >= 0 && (size_t)r != strnlen(big, sizeof(big)))
		fuzz_vseg_fail("name length", r);
	r = vseg_name(m, vma, small, sizeof(small));
	fuzz_vseg_error(r);
	if (r >= 0 && ((size_t)r >= sizeof(small) || (size_t)r != strnlen(small, sizeof(small))))
		fuzz_vseg_fail("short name length", r);
}

static void
fuzz_vseg_range(const struct vseg_map *m, uint64_t addr, uint64_t size, uint32_t prot)
{
	uint64_t bad = 0;
	int r = vseg_check(m, addr, size, prot, &bad);

	fuzz_vseg_error(r);
	if (r == -EFAULT && (bad < addr || bad - addr >= size))
		fuzz_vseg_fail("failing address outside the range", r);
}

/* One step of the walk: the VMA above addr in every mode; the next address (0: the end). */
static uint64_t
fuzz_vseg_step(const struct vseg_map *m, uint64_t addr, uint64_t *start)
{
	struct vseg_result res;
	int r;

	r = vseg_find(m, VSEG_FIND_PREV, addr, 0, &res);
	fuzz_vseg_error(r);
	if (r > 3)
		fuzz_vseg_fail("find prev mask", r);
	r = vseg_find(m, VSEG_FIND_INTERSECTION, addr, addr + 4096, &res);
	fuzz_vseg_error(r);
	if (r > 1)
		fuzz_vseg_fail("intersection answer", r);
	r = vseg_find(m, VSEG_FIND, addr, 0, &res);
	fuzz_vseg_error(r);
	if (r > 1)
		fuzz_vseg_fail("find answer", r);
	if (r != 1)
		return 0;
	*start = res.vma.start;
	fuzz_vseg_name(m, &res.vma);
	if (res.vma.end > res.vma.start)
		fuzz_vseg_range(m, res.vma.start, res.vma.end - res.vma.start,
				(uint32_t)(res.vma.flags & 7));
	/* A wrong answer is allowed from a damaged segment; a walk that does not advance ends. */
	return res.vma.end > addr ? res.vma.end : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *seg = malloc(size ? size : 1);
	struct vseg_map m;
	uint64_t addr = 0, first = 0, start = 0, ver;

	if (!seg)
		return 0;
	memcpy(seg, data, size);
	if (size > 16)
		seg[16] &= 0xfe;
	if (vseg_map_init(&m, seg, size) == 0) {
		fuzz_vseg_error(vseg_version(&m, &ver));
		for (int i = 0; i < WALK_MAX; i++) {
			uint64_t next = fuzz_vseg_step(&m, addr, &start);

			if (i == 0)
				first = start;
			if (!next)
				break;
			addr = next;
		}
		fuzz_vseg_range(&m, 0, UINT64_MAX, 0);
		if (addr > first)
			fuzz_vseg_range(&m, first, addr - first, 1);
		fuzz_vseg_step(&m, UINT64_MAX, &start);
	}
	free(seg);
	return 0;
}
