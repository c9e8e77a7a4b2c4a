/* SPDX-License-Identifier: MIT */
/* A seeded pseudo-random generator (splitmix64): the same seed gives the same sequence. */
#include "stress.h"

uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t
rng_below(uint64_t *s, uint64_t n)
{
	return n ? rng_next(s) % n : 0;
}

/* Independent streams of one seed: one per client, and others for kill decisions. */
uint64_t
rng_seed(uint64_t seed, uint64_t stream)
{
	uint64_t s = seed ^ (stream * 0xd1b54a32d192ed03ULL);

	return rng_next(&s);
}
