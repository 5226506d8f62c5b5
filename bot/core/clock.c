#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"

int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
backoff_ms(int attempts, int min_s, int max_s)
{
	double	 d = min_s;
	int	 i;

	for (i = 0; i < attempts && d < max_s; i++)
		d *= 2;
	if (d > max_s)
		d = max_s;
	d *= 0.5 + (double)random() / RAND_MAX;
	return (int64_t)(d * 1000);
}
