/* bucket: a token bucket (the intake's per-token rate limit), on a clock the caller passes in. */
#ifndef SB_GATEWAY_BUCKET_H
#define SB_GATEWAY_BUCKET_H

#include <stdint.h>

/* rate units a second, holding at most burst. Not thread-safe: the caller
 * holds a lock. Time is the caller's (monotonic microseconds), so tests
 * drive it. */
typedef struct {
    double rate, burst;
    double level; /* units available; negative after a take larger than the burst */
    int64_t last_us;
} sb_bucket_t;

/* A full bucket at now_us. */
void sb_bucket_init(sb_bucket_t *b, double rate, double burst, int64_t now_us);

/* Takes n units at now_us. Returns 0 when taken, else the whole seconds
 * (at least 1) after which n would be available: the Retry-After. A take
 * larger than the burst would never fit, so it is allowed from a full
 * bucket and leaves it in debt for the time it costs. */
int64_t sb_bucket_take(sb_bucket_t *b, double n, int64_t now_us);

#endif
