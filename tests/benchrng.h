/*
 * The load generators' random numbers (tests/bench_e2e.c,
 * tests/live/loadgen.c): xorshift64 (Marsaglia, 2003), repeatable from a
 * seed and too cheap to show in what is measured.  The caller keeps the
 * state, which must not be 0.
 */
#ifndef TELETRACK_BENCHRNG_H
#define TELETRACK_BENCHRNG_H

#include <stdint.h>

/* The next number of the stream in *state (bits 11 to 42 of the state). */
static inline uint32_t
xorshift(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (uint32_t)(*state >> 11);
}

#endif
