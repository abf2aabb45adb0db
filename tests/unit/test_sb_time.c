/* test_sb_time: RFC 3339 parsing and normalisation, clocks, durations. */
#include <stdint.h>

#include "sb_test.h"
#include "sb_time.h"

static const struct {
    const char *in;
    const char *utc; /* NULL: rejected */
} rfc3339[] = {
    {"2026-11-29T12:00:00Z", "2026-11-29T12:00:00.000000Z"},
    {"2026-11-29t12:00:00z", "2026-11-29T12:00:00.000000Z"},
    {"2026-11-29T13:00:00+01:00", "2026-11-29T12:00:00.000000Z"},
    {"2026-11-29T06:30:00-05:30", "2026-11-29T12:00:00.000000Z"},
    {"2026-11-29T12:00:00.5Z", "2026-11-29T12:00:00.500000Z"},
    {"2026-11-29T12:00:00.123456Z", "2026-11-29T12:00:00.123456Z"},
    {"2026-11-29T12:00:00.123456789Z", "2026-11-29T12:00:00.123456Z"}, /* truncated */
    {"1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000Z"},
    {"1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z"},
    {"1900-03-01T00:00:00Z", "1900-03-01T00:00:00.000000Z"},
    {"2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000000Z"},
    {"2024-02-29T23:59:59Z", "2024-02-29T23:59:59.000000Z"},
    {"2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00.000000Z"},
    {"0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000000Z"},
    {"9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"},
    {"2016-12-31T23:59:60Z", "2017-01-01T00:00:00.000000Z"},        /* folded */
    {"2016-12-31T18:59:60.5-05:00", "2017-01-01T00:00:00.500000Z"}, /* folded */
    {"2017-01-01T00:29:60+00:30", "2017-01-01T00:00:00.000000Z"},
    {"2026-11-29T12:00:60Z", NULL}, /* a leap second only at 23:59 UTC */
    {"2026-11-29T23:59:60+01:00", NULL},
    {"1900-02-29T00:00:00Z", NULL},
    {"2026-02-29T00:00:00Z", NULL},
    {"2026-04-31T00:00:00Z", NULL},
    {"2026-13-01T00:00:00Z", NULL},
    {"2026-00-01T00:00:00Z", NULL},
    {"2026-01-00T00:00:00Z", NULL},
    {"2026-11-29T24:00:00Z", NULL},
    {"2026-11-29T12:60:00Z", NULL},
    {"2026-11-29T12:00:61Z", NULL},
    {"2026-11-29 12:00:00Z", NULL},
    {"2026-11-29T12:00:00", NULL},
    {"2026-11-29T12:00:00+0100", NULL},
    {"2026-11-29T12:00:00+01", NULL},
    {"2026-11-29T12:00:00+24:00", NULL},
    {"2026-11-29T12:00:00+01:60", NULL},
    {"2026-11-29T12:00:00.Z", NULL},
    {"2026-11-29T12:00:00.1234567890Z", NULL},
    {"2026-11-29T12:00:00ZZ", NULL},
    {"2026-11-29T12:00:00Z ", NULL},
    {"2026-11-29", NULL},
    {"26-11-29T12:00:00Z", NULL},
    {"+2026-11-29T12:00:00Z", NULL},
    {"2026-1-29T12:00:00Z", NULL},
    {"", NULL},
    {"9999-12-31T23:59:59-01:00", NULL}, /* UTC year 10000 */
    {"0000-01-01T00:00:00+01:00", NULL}, /* UTC year -1 */
};

static const struct {
    const char *in;
    int64_t ms; /* -1: rejected */
} durations[] = {
    {"0", 0},
    {"30", 30000},
    {"500ms", 500},
    {"30s", 30000},
    {"30m", 1800000},
    {"2h", 7200000},
    {"1d", 86400000},
    {"9223372036854775807ms", INT64_MAX},
    {"9223372036854775807", -1}, /* seconds: overflows as ms */
    {"9223372036854775808ms", -1},
    {"106751991167301d", -1},
    {"106751991167d", INT64_C(106751991167) * 86400000},
    {"", -1},
    {"-5s", -1},
    {"+5s", -1},
    {"5 s", -1},
    {" 5s", -1},
    {"5S", -1},
    {"1.5s", -1},
    {"5sec", -1},
    {"ms", -1},
    {"5w", -1},
};

int main(void) {
    char buf[32];

    for (size_t i = 0; i < sizeof(rfc3339) / sizeof(rfc3339[0]); i++) {
        int rc = sb_time_normalize(rfc3339[i].in, buf, sizeof(buf));
        if (rfc3339[i].utc) {
            SB_CHECK_MSG(rc == 0, "'%s' should parse", rfc3339[i].in);
            if (rc == 0)
                SB_CHECK_STR(buf, rfc3339[i].utc);
        } else {
            SB_CHECK_MSG(rc == -1, "'%s' should be rejected, got %s", rfc3339[i].in, buf);
        }
    }
    for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
        int64_t ms = -7;
        int rc = sb_time_parse_duration_ms(durations[i].in, &ms);
        if (durations[i].ms >= 0)
            SB_CHECK_MSG(rc == 0 && ms == durations[i].ms, "'%s' -> %lld", durations[i].in,
                         (long long)ms);
        else
            SB_CHECK_MSG(rc == -1, "'%s' should be rejected", durations[i].in);
    }
    SB_CHECK(sb_time_parse_duration_ms(NULL, &(int64_t){0}) == -1);

    /* Known instants, and format/parse round trips across negative epochs. */
    int64_t us = 0;
    SB_CHECK(sb_time_parse_rfc3339("2026-11-29T12:00:00Z", &us) == 0);
    SB_CHECK(us == INT64_C(1795953600) * 1000000);
    SB_CHECK(sb_time_parse_rfc3339("1969-12-31T23:59:59.5Z", &us) == 0 && us == -500000);
    sb_time_format_us(-1, buf, sizeof(buf));
    SB_CHECK_STR(buf, "1969-12-31T23:59:59.999999Z");
    for (int64_t t = INT64_C(-62167219200) * 1000000; t < INT64_C(253402300800) * 1000000;
         t += INT64_C(86400) * 1000000 * 367 + 1234567) {
        int64_t back = 0;
        sb_time_format_us(t, buf, sizeof(buf));
        SB_CHECK_MSG(sb_time_parse_rfc3339(buf, &back) == 0 && back == t, "round trip %s", buf);
    }
    SB_CHECK(sb_time_parse_rfc3339(NULL, &us) == -1);
    SB_CHECK(sb_time_normalize("2026-11-29T12:00:00Z", buf, 10) == -1);

    /* Clocks: the wall clock is after 2020, the monotonic clock never goes back. */
    SB_CHECK(sb_time_now_us() > INT64_C(1577836800) * 1000000);
    int64_t a = sb_time_monotonic_us(), b = sb_time_monotonic_us();
    SB_CHECK(b >= a);
    return SB_TEST_DONE();
}
