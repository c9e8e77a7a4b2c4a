/* SPDX-License-Identifier: MIT */
#include "lattice.h"

#include <errno.h>
#include <stdlib.h>

#include "bench_util.h"

int
lat_init(struct lattice *lat, uint64_t base, uint64_t cells, uint64_t seed)
{
	struct bench_rng rng;

	lat->base = base;
	lat->cells = cells;
	lat->find_addrs = malloc(LAT_PICKS * sizeof(*lat->find_addrs));
	lat->picks = malloc(LAT_PICKS * sizeof(*lat->picks));
	if (!lat->find_addrs || !lat->picks) {
		lat_fini(lat);
		return -ENOMEM;
	}
	bench_rng_seed(&rng, seed);
	for (unsigned i = 0; i < LAT_PICKS; i++) {
		/*
		 * Any byte of the lattice but the last hole, which has no VMA above it: inside
		 * a VMA two times in three, else in a hole (find_vma returns the next VMA).
		 */
		lat->find_addrs[i] = base + bench_rng_below(&rng, cells * LAT_CELL_SIZE - LAT_PAGE);
		lat->picks[i] = (uint32_t)bench_rng_below(&rng, cells);
	}
	return 0;
}

void
lat_fini(struct lattice *lat)
{
	free(lat->find_addrs);
	free(lat->picks);
	lat->find_addrs = NULL;
	lat->picks = NULL;
}
