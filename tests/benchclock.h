/*
 * The benchmarks' stopwatch (tests/bench.c, tests/bench_e2e.c):
 * CLOCK_MONOTONIC in seconds, to the nanosecond.
 */
#ifndef TELETRACK_BENCHCLOCK_H
#define TELETRACK_BENCHCLOCK_H

#include <time.h>

static inline double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
