/* sb_time: RFC 3339 parsing/formatting, clocks and durations, in microseconds (UTC). */
#include "sb_time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define US_PER_SEC INT64_C(1000000)
#define US_PER_DAY (INT64_C(86400) * US_PER_SEC)

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil): pure arithmetic, no timegm(), no TZ or locale. */
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Reads exactly n ASCII digits. */
static int digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Grammar (RFC 3339 section 5.6, date-time):
 *   YYYY-MM-DD ("T"|"t") hh:mm:ss [ "." 1*9DIGIT ] ("Z"|"z"|("+"|"-") hh:mm)
 * Fractions beyond microseconds are truncated, not rounded.
 * Leap seconds: ss = 60 is accepted only where one can occur, at 23:59 UTC
 * (the same rule as ajv-formats' "date-time", so the JSON Schemas and the
 * C validators agree), and is folded into the next second, as POSIX time
 * does: 23:59:60Z is the same instant as 00:00:00Z of the next day. */
int sb_time_parse_rfc3339(const char *s, int64_t *us) {
    int year, mon, day, hour, min, sec, frac = 0, off_h = 0, off_m = 0, sign = 0;

    if (!s || strlen(s) < 20)
        return -1;
    if (digits(s, 4, &year) || s[4] != '-' || digits(s + 5, 2, &mon) || s[7] != '-' ||
        digits(s + 8, 2, &day) || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &hour) ||
        s[13] != ':' || digits(s + 14, 2, &min) || s[16] != ':' || digits(s + 17, 2, &sec))
        return -1;
    const char *p = s + 19;
    if (*p == '.') {
        int n = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, n++) {
            if (n >= 9)
                return -1;
            if (n < 6)
                frac = frac * 10 + (*p - '0');
        }
        if (n == 0)
            return -1;
        for (; n < 6; n++)
            frac *= 10;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        if (digits(p + 1, 2, &off_h) || p[3] != ':' || digits(p + 4, 2, &off_m))
            return -1;
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) || hour > 23 || min > 59 ||
        sec > 60 || off_h > 23 || off_m > 59)
        return -1;

    int64_t offset_s = (int64_t)sign * (off_h * 3600 + off_m * 60);
    int64_t local_s = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60;
    int64_t utc_s = local_s - offset_s; /* start of the minute, UTC */
    if (sec == 60) {
        int64_t tod = ((utc_s % 86400) + 86400) % 86400;
        if (tod != 23 * 3600 + 59 * 60)
            return -1;
    }
    *us = (utc_s + sec) * US_PER_SEC + frac;
    return 0;
}

/* Writes v as exactly n decimal digits (zero-padded). */
static void put_digits(char *p, int v, int n) {
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void sb_time_format_us(int64_t us, char *buf, size_t size) {
    int64_t days = us / US_PER_DAY, rem = us % US_PER_DAY;
    if (rem < 0) {
        rem += US_PER_DAY;
        days--;
    }
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int64_t secs = rem / US_PER_SEC;
    if (y < 0 || y > 9999 || size < 28) {
        /* outside what the fixed layout can hold: never produced by the
         * parser, which refuses such instants */
        snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02d.%06dZ", (long long)y, m, d,
                 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
                 (int)(rem % US_PER_SEC));
        return;
    }
    /* digits by hand: this runs once per alert, and printf was a tenth of
     * the validator's time */
    put_digits(buf, (int)y, 4);
    buf[4] = '-';
    put_digits(buf + 5, m, 2);
    buf[7] = '-';
    put_digits(buf + 8, d, 2);
    buf[10] = 'T';
    put_digits(buf + 11, (int)(secs / 3600), 2);
    buf[13] = ':';
    put_digits(buf + 14, (int)(secs / 60 % 60), 2);
    buf[16] = ':';
    put_digits(buf + 17, (int)(secs % 60), 2);
    buf[19] = '.';
    put_digits(buf + 20, (int)(rem % US_PER_SEC), 6);
    buf[26] = 'Z';
    buf[27] = '\0';
}

/* The normalised form has a four-digit year, so instants that an offset
 * moves outside 0000..9999 (e.g. "9999-12-31T23:59:59-01:00") are
 * rejected rather than written in a form that is not RFC 3339. */
int sb_time_normalize(const char *s, char *buf, size_t size) {
    int64_t us;
    static const int64_t min_us = INT64_C(-62167219200) * US_PER_SEC;     /* 0000-01-01 */
    static const int64_t max_us = INT64_C(253402300800) * US_PER_SEC - 1; /* 9999-12-31 */

    if (size < 28 || sb_time_parse_rfc3339(s, &us) == -1 || us < min_us || us > max_us)
        return -1;
    sb_time_format_us(us, buf, size);
    return 0;
}

static int64_t clock_us(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * US_PER_SEC + ts.tv_nsec / 1000;
}

int64_t sb_time_now_us(void) {
    return clock_us(CLOCK_REALTIME);
}

int64_t sb_time_monotonic_us(void) {
    return clock_us(CLOCK_MONOTONIC);
}

void sb_time_sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* "<digits>[ms|s|m|h|d]"; no sign, no spaces, no fractions; a bare number
 * is seconds. The number and the product must fit in int64 milliseconds. */
int sb_time_parse_duration_ms(const char *s, int64_t *ms) {
    static const struct {
        const char *suffix;
        int64_t ms;
    } units[] = {{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    int64_t n = 0;
    const char *p = s;

    if (!s || *s < '0' || *s > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (n > (INT64_MAX - (*p - '0')) / 10)
            return -1;
        n = n * 10 + (*p - '0');
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(p, units[i].suffix) == 0) {
            if (n > INT64_MAX / units[i].ms)
                return -1;
            *ms = n * units[i].ms;
            return 0;
        }
    }
    return -1;
}
