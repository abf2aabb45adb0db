/* bucket: refill by elapsed time, take or say how long to wait. */
#include "bucket.h"

#include <math.h>

void sb_bucket_init(sb_bucket_t *b, double rate, double burst, int64_t now_us) {
    b->rate = rate;
    b->burst = burst;
    b->level = burst;
    b->last_us = now_us;
}

int64_t sb_bucket_take(sb_bucket_t *b, double n, int64_t now_us) {
    double need = n < b->burst ? n : b->burst, wait_s;

    if (now_us > b->last_us) { /* a clock that went back refills nothing */
        b->level += (double)(now_us - b->last_us) / 1e6 * b->rate;
        if (b->level > b->burst)
            b->level = b->burst;
        b->last_us = now_us;
    }
    if (b->level >= need) {
        b->level -= n;
        return 0;
    }
    wait_s = ceil((need - b->level) / b->rate);
    return wait_s < 1 ? 1 : (int64_t)wait_s;
}
