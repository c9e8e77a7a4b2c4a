/* SPDX-License-Identifier: MIT */
/*
 * The address-space shape both sides of vma-bench are measured on: a run of cells, each a
 * two-page VMA followed by a one-page hole, so that no two VMAs can merge.  The engine and the
 * kernel get the same shape and the same random picks, so their figures compare like for like.
 */
#ifndef VMAD_BENCH_LATTICE_H
#define VMAD_BENCH_LATTICE_H

#include <stdint.h>

#define LAT_PAGE       4096ULL
#define LAT_CELL_PAGES 3ULL
#define LAT_CELL_SIZE  (LAT_CELL_PAGES * LAT_PAGE)
#define LAT_VMA_SIZE   (2 * LAT_PAGE)
/* Random picks are precomputed; the tables repeat after this many iterations. */
#define LAT_PICKS 65536u

/* The operations measured, in table order. */
enum lat_op {
	LAT_FIND,       /* find_vma at a random address, as just after a change: the tree */
	LAT_FIND_QUIET, /* the same once lookups outnumber changes: the flat index (lib/flat.c) */
	LAT_MMAP,       /* mmap MAP_FIXED of one page into a hole, then munmap it */
	LAT_MPROTECT,   /* mprotect the first page of a VMA (split), then back (merge) */
	LAT_PLACE,      /* mmap of two pages without a hint (no hole fits), then munmap */
	LAT_OPS
};

struct lattice {
	uint64_t base;  /* address of the first cell */
	uint64_t cells; /* = number of VMAs */
	uint64_t *find_addrs;
	uint32_t *picks; /* random cell numbers */
};

/* Fills the random tables; returns 0 or -ENOMEM. */
int lat_init(struct lattice *lat, uint64_t base, uint64_t cells, uint64_t seed);
void lat_fini(struct lattice *lat);

static inline uint64_t
lat_end(const struct lattice *lat)
{
	return lat->base + lat->cells * LAT_CELL_SIZE;
}

static inline uint64_t
lat_vma_addr(const struct lattice *lat, uint64_t cell)
{
	return lat->base + cell * LAT_CELL_SIZE;
}

static inline uint64_t
lat_hole_addr(const struct lattice *lat, uint64_t cell)
{
	return lat_vma_addr(lat, cell) + LAT_VMA_SIZE;
}

/* The cell picked for iteration i. */
static inline uint64_t
lat_pick(const struct lattice *lat, uint64_t i)
{
	return lat->picks[i % LAT_PICKS];
}

#endif
