/* SPDX-License-Identifier: MIT */
#include "engine_ops.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mm.h"

#define PRIV_ANON (MM_MAP_PRIVATE | MM_MAP_ANONYMOUS)

int
ebench_create(struct ebench *eb, uint64_t cells, const char **what)
{
	struct mm_config cfg;
	struct mm_status st;
	int err;

	memset(eb, 0, sizeof(*eb));
	mm_config_init(&cfg, MM_LAYOUT_X86_64);
	/* Room for the lattice plus the VMAs an operation adds for a moment. */
	cfg.max_map_count = cells + 16;
	err = mm_create(&cfg, &eb->mm);
	if (err) {
		*what = "mm_create";
		return err;
	}
	/* Right below mmap_base, so that a hint-less mmap has to search past the lattice. */
	mm_get_status(eb->mm, &st);
	err = lat_init(&eb->lat, (st.mmap_base & ~(LAT_PAGE - 1)) - cells * LAT_CELL_SIZE, cells,
		       cells);
	if (err)
		*what = "allocating the random picks";
	return err;
}

int
ebench_build(struct ebench *eb, uint64_t end, uint64_t budget_ns, uint64_t *built,
	     const char **what)
{
	uint64_t start = bench_now_ns();
	uint64_t got;
	int err;

	for (; *built < end; ++*built) {
		err = mm_mmap(eb->mm, lat_vma_addr(&eb->lat, *built), LAT_VMA_SIZE, MM_PROT_READ,
			      PRIV_ANON | MM_MAP_FIXED, NULL, 0, &got);
		if (err) {
			*what = "mm_mmap(MAP_FIXED) building the lattice";
			return err;
		}
		if ((*built & 1023) == 1023 && bench_now_ns() - start > budget_ns) {
			*what = "building the lattice (over the time budget)";
			++*built;
			return -ETIMEDOUT;
		}
	}
	return 0;
}

static int
check_vma(struct ebench *eb, uint64_t addr, uint64_t cell, char *msg, size_t msglen)
{
	const struct vma *vma = mm_find_vma(eb->mm, addr);
	uint64_t want = lat_vma_addr(&eb->lat, cell);
	struct mm_vma_info info;

	if (!vma) {
		snprintf(msg, msglen, "find_vma(%#llx) found nothing", (unsigned long long)addr);
		return -EBADMSG;
	}
	mm_vma_info(vma, &info);
	if (info.start != want || info.end != want + LAT_VMA_SIZE) {
		snprintf(msg, msglen, "find_vma(%#llx) = [%#llx, %#llx), expected [%#llx, %#llx)",
			 (unsigned long long)addr, (unsigned long long)info.start,
			 (unsigned long long)info.end, (unsigned long long)want,
			 (unsigned long long)(want + LAT_VMA_SIZE));
		return -EBADMSG;
	}
	return 0;
}

int
ebench_check(struct ebench *eb, char *msg, size_t msglen)
{
	struct mm_status st;
	int err;

	mm_get_status(eb->mm, &st);
	if (st.map_count != eb->lat.cells) {
		snprintf(msg, msglen, "map_count %llu, expected %llu",
			 (unsigned long long)st.map_count, (unsigned long long)eb->lat.cells);
		return -EBADMSG;
	}
	for (uint64_t i = 0; i < 256; i++) {
		uint64_t cell = lat_pick(&eb->lat, i);

		err = check_vma(eb, lat_vma_addr(&eb->lat, cell) + LAT_PAGE, cell, msg, msglen);
		if (!err && cell + 1 < eb->lat.cells)
			err = check_vma(eb, lat_hole_addr(&eb->lat, cell), cell + 1, msg, msglen);
		if (err)
			return err;
	}
	err = mm_validate(eb->mm, msg, msglen);
	return err ? -EBADMSG : 0;
}

/*
 * Lookups with the flat index built only after `after` lookups: never (the tree answers, as it
 * does while a space changes), or at the first (as once a space has stopped changing).  The
 * table measures LAT_FIND first, on the lattice just built, where no index stands yet.
 */
static int
find_loop(struct ebench *eb, uint64_t after, uint64_t first, uint64_t count, const char **what)
{
	uint64_t sink = 0;
	int err = 0;

	mm_set_flat_after(eb->mm, after);
	for (uint64_t i = first; i < first + count; i++) {
		const struct vma *vma = mm_find_vma(eb->mm, eb->lat.find_addrs[i % LAT_PICKS]);

		if (!vma) {
			*what = "mm_find_vma found nothing inside the lattice";
			err = -EBADMSG;
			break;
		}
		sink += (uintptr_t)vma;
	}
	mm_set_flat_after(eb->mm, 0);
	eb->sink += sink;
	return err;
}

static int
op_find(void *ctx, uint64_t first, uint64_t count, const char **what)
{
	return find_loop(ctx, UINT64_MAX, first, count, what);
}

static int
op_find_quiet(void *ctx, uint64_t first, uint64_t count, const char **what)
{
	return find_loop(ctx, 1, first, count, what);
}

static int
op_mmap(void *ctx, uint64_t first, uint64_t count, const char **what)
{
	struct ebench *eb = ctx;
	uint64_t got;
	int err;

	for (uint64_t i = first; i < first + count; i++) {
		uint64_t addr = lat_hole_addr(&eb->lat, lat_pick(&eb->lat, i));

		err = mm_mmap(eb->mm, addr, LAT_PAGE, MM_PROT_NONE, PRIV_ANON | MM_MAP_FIXED, NULL,
			      0, &got);
		if (err || got != addr) {
			*what = err ? "mm_mmap(MAP_FIXED, hole)" : "mm_mmap(MAP_FIXED) moved";
			return err ? err : -EBADMSG;
		}
		err = mm_munmap(eb->mm, addr, LAT_PAGE);
		if (err) {
			*what = "mm_munmap(hole)";
			return err;
		}
	}
	return 0;
}

static int
op_mprotect(void *ctx, uint64_t first, uint64_t count, const char **what)
{
	struct ebench *eb = ctx;
	int err;

	for (uint64_t i = first; i < first + count; i++) {
		uint64_t addr = lat_vma_addr(&eb->lat, lat_pick(&eb->lat, i));

		err = mm_mprotect(eb->mm, addr, LAT_PAGE, MM_PROT_NONE);
		if (err) {
			*what = "mm_mprotect(split)";
			return err;
		}
		err = mm_mprotect(eb->mm, addr, LAT_PAGE, MM_PROT_READ);
		if (err) {
			*what = "mm_mprotect(merge back)";
			return err;
		}
	}
	return 0;
}

static int
op_place(void *ctx, uint64_t first, uint64_t count, const char **what)
{
	struct ebench *eb = ctx;
	uint64_t got;
	int err;

	for (uint64_t i = first; i < first + count; i++) {
		err = mm_mmap(eb->mm, 0, 2 * LAT_PAGE, MM_PROT_NONE, PRIV_ANON, NULL, 0, &got);
		if (err) {
			*what = "mm_mmap(no hint)";
			return err;
		}
		/* No hole of the lattice fits two pages. */
		if (got + 2 * LAT_PAGE > eb->lat.base && got < lat_end(&eb->lat)) {
			*what = "mm_mmap(no hint) placed two pages inside the lattice";
			return -EBADMSG;
		}
		err = mm_munmap(eb->mm, got, 2 * LAT_PAGE);
		if (err) {
			*what = "mm_munmap(placed)";
			return err;
		}
	}
	return 0;
}

bench_op_fn
ebench_op(enum lat_op op)
{
	static const bench_op_fn ops[LAT_OPS] = {
		[LAT_FIND] = op_find,   [LAT_FIND_QUIET] = op_find_quiet,
		[LAT_MMAP] = op_mmap,   [LAT_MPROTECT] = op_mprotect,
		[LAT_PLACE] = op_place,
	};

	return ops[op];
}

void
ebench_destroy(struct ebench *eb)
{
	mm_destroy(eb->mm);
	lat_fini(&eb->lat);
	eb->mm = NULL;
}
