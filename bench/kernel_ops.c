/* SPDX-License-Identifier: MIT */
#include "kernel_ops.h"

#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>

#define PRIV_ANON (MAP_PRIVATE | MAP_ANONYMOUS)

int
kbench_build(struct lattice *lat, uint64_t cells, const char **what)
{
	uint64_t size = cells * LAT_CELL_SIZE;
	void *p = mmap(NULL, size, PROT_READ, PRIV_ANON | MAP_NORESERVE, -1, 0);
	int err;

	if (p == MAP_FAILED) {
		*what = "mmap(reservation)";
		return -errno;
	}
	err = lat_init(lat, (uintptr_t)p, cells, cells);
	if (err) {
		*what = "allocating the random picks";
		munmap(p, size);
		lat->cells = 0;
		return err;
	}
	for (uint64_t i = 0; i < cells; i++) {
		if (munmap((void *)(uintptr_t)lat_hole_addr(lat, i), LAT_PAGE)) {
			err = -errno;
			*what = "munmap(hole) building the lattice";
			kbench_destroy(lat);
			return err;
		}
	}
	return 0;
}

static int
op_mmap(void *ctx, uint64_t first, uint64_t count, const char **what)
{
	const struct lattice *lat = ctx;

	for (uint64_t i = first; i < first + count; i++) {
		void *addr = (void *)(uintptr_t)lat_hole_addr(lat, lat_pick(lat, i));

		if (mmap(addr, LAT_PAGE, PROT_NONE, PRIV_ANON | MAP_FIXED, -1, 0) == MAP_FAILED) {
			*what = "mmap(MAP_FIXED, hole)";
			return -errno;
		}
		if (munmap(addr, LAT_PAGE)) {
			*what = "munmap(hole)";
			return -errno;
		}
	}
	return 0;
}

static int
op_mprotect(void *ctx, uint64_t first, uint64_t count, const char **what)
{
	const struct lattice *lat = ctx;

	for (uint64_t i = first; i < first + count; i++) {
		void *addr = (void *)(uintptr_t)lat_vma_addr(lat, lat_pick(lat, i));

		if (mprotect(addr, LAT_PAGE, PROT_NONE)) {
			*what = "mprotect(split)";
			return -errno;
		}
		if (mprotect(addr, LAT_PAGE, PROT_READ)) {
			*what = "mprotect(merge back)";
			return -errno;
		}
	}
	return 0;
}

static int
op_place(void *ctx, uint64_t first, uint64_t count, const char **what)
{
	(void)ctx;
	(void)first;
	for (uint64_t i = 0; i < count; i++) {
		void *p = mmap(NULL, 2 * LAT_PAGE, PROT_NONE, PRIV_ANON, -1, 0);

		if (p == MAP_FAILED) {
			*what = "mmap(no hint)";
			return -errno;
		}
		if (munmap(p, 2 * LAT_PAGE)) {
			*what = "munmap(placed)";
			return -errno;
		}
	}
	return 0;
}

bench_op_fn
kbench_op(enum lat_op op)
{
	static const bench_op_fn ops[LAT_OPS] = {
		[LAT_MMAP] = op_mmap,
		[LAT_MPROTECT] = op_mprotect,
		[LAT_PLACE] = op_place,
	};

	return ops[op];
}

void
kbench_destroy(struct lattice *lat)
{
	if (lat->cells)
		munmap((void *)(uintptr_t)lat->base, lat->cells * LAT_CELL_SIZE);
	lat_fini(lat);
	lat->cells = 0;
}
