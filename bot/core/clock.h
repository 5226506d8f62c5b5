/*
 * Time for the daemon: wall-clock milliseconds (what events are stamped
 * with), monotonic milliseconds (deadlines) and the retry backoff the
 * connection and the rooms share.
 */
#ifndef TELETRACK_CLOCK_H
#define TELETRACK_CLOCK_H

#include <stdint.h>

/* Milliseconds since the epoch, UTC (CLOCK_REALTIME). */
int64_t	now_ms(void);

/* Milliseconds on CLOCK_MONOTONIC: for deadlines and durations. */
int64_t	mono_ms(void);

/*
 * The wait before retry number attempts (0 first): min_s doubled per
 * attempt up to max_s, then +-50% jitter so that many rooms or daemons
 * do not retry in step.
 */
int64_t	backoff_ms(int attempts, int min_s, int max_s);

#endif
