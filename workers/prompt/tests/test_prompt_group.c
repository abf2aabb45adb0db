/* Unit tests for group.c's question text: one question for an alert storm. */
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "sb_test.h"

#define SEP SB_PROMPT_GROUP_SEP

typedef struct {
    long long window_ms;
    long n;
    const char *titles;
    const char *want;
} case_t;

static const case_t cases[] = {
    {600000, 12, "SSH login (BR)" SEP "SSH login (AR)",
     "12 alerts like this in the last 10 minutes: SSH login (BR); SSH login (AR) (first "
     "2026-12-06 10:00:00 UTC, last 2026-12-06 10:09:00 UTC). Was this all you?"},
    /* five titles shown, then a mark for the others */
    {600000, 50, "a" SEP "b" SEP "c" SEP "d" SEP "e" SEP "f",
     "50 alerts like this in the last 10 minutes: a; b; c; d; e; … (first 2026-12-06 10:00:00 "
     "UTC, last 2026-12-06 10:09:00 UTC). Was this all you?"},
    {60000, 2, "x",
     "2 alerts like this in the last 1 minute: x (first 2026-12-06 10:00:00 UTC, "
     "last 2026-12-06 10:09:00 UTC). Was this all you?"},
    {3600000, 3, "x",
     "3 alerts like this in the last 1 hour: x (first 2026-12-06 10:00:00 UTC, "
     "last 2026-12-06 10:09:00 UTC). Was this all you?"},
    {90000, 3, "x",
     "3 alerts like this in the last 90 seconds: x (first 2026-12-06 10:00:00 "
     "UTC, last 2026-12-06 10:09:00 UTC). Was this all you?"},
};

int main(void) {
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sb_prompt_t p = {.coalesce_window_ms = cases[i].window_ms};
        char *got = sb_prompt_group_intro(&p, cases[i].n, "2026-12-06 10:00:00",
                                          "2026-12-06 10:09:00", cases[i].titles);
        SB_CHECK(got != NULL);
        if (got)
            SB_CHECK_STR(got, cases[i].want);
        free(got);
    }
    return SB_TEST_DONE();
}
