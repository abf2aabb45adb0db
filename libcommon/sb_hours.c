/* sb_hours: working hours in an employee's IANA time zone, computed with the C library's zone
 * database. */

/* The zone arithmetic is the C library's: each working period is the
 * mktime() of a local date and time with tm_isdst = -1, in the employee's
 * zone, so daylight saving, a zone's history and a working day that
 * crosses midnight UTC come from the system's zone database, never from
 * an offset of ours. glibc has no per-call zone (no localtime_rz), only
 * the process-wide TZ: every switch of TZ, and every conversion made
 * under it, happens inside zone_lock, and TZ is put back before the lock
 * is released. No other code in securitybot uses local time (logs, ids
 * and SQL are in UTC), so nothing outside the lock can see the switch. */
#include "sb_hours.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sb_severity.h"
#include "sb_time.h"

#define WINDOW_DAYS  14  /* the days one zone switch computes periods for */
#define HORIZON_DAYS 400 /* how far between() and after() look */
#define DAY_SEC      86400

typedef struct {
    int64_t start, end;
} period_t;

/* Guards the process-wide TZ (see above): the one lock of this module. */
static pthread_mutex_t zone_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static int parse_day(const char *s, size_t len) {
    for (int d = 0; d < 7; d++)
        if (len == 3 && !strncasecmp(s, day_names[d], 3))
            return d;
    return -1;
}

static int parse_clock(const char *s, int *min) {
    if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
        !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return -1;
    *min = h * 60 + m;
    return 0;
}

/* "Mon-Fri", "Sat,Sun", "Fri-Mon", "daily": the day bits, or 0. */
static unsigned parse_days(const char *s) {
    unsigned days = 0;
    if (!strcasecmp(s, "daily"))
        return 0x7f;
    while (*s) {
        const char *comma = strchr(s, ','), *end = comma ? comma : s + strlen(s);
        const char *dash = memchr(s, '-', (size_t)(end - s));
        int a = parse_day(s, (size_t)((dash ? dash : end) - s));
        int b = dash ? parse_day(dash + 1, (size_t)(end - dash - 1)) : a;
        if (a < 0 || b < 0)
            return 0;
        for (int d = a;; d = (d + 1) % 7) {
            days |= 1u << d;
            if (d == b)
                break;
        }
        if (!comma)
            break;
        s = comma + 1;
    }
    return days;
}

int sb_hours_parse(const char *spec, sb_hours_t *h, char *errstr, size_t errstr_size) {
    char days[SB_HOURS_SPEC_MAX];
    if (!spec || strlen(spec) >= SB_HOURS_SPEC_MAX || strlen(spec) < 13 || spec[5] != '-' ||
        spec[11] != ' ' || parse_clock(spec, &h->start_min) == -1 ||
        parse_clock(spec + 6, &h->end_min) == -1 || h->start_min == 1440)
        goto bad;
    snprintf(days, sizeof(days), "%s", spec + 12);
    if (!(h->days = parse_days(days)) || h->start_min == h->end_min)
        goto bad;
    if (h->end_min == 0)
        h->end_min = 1440; /* "22:00-00:00" ends at midnight */
    return 0;
bad:
    snprintf(errstr, errstr_size,
             "working hours \"%.*s\" must look like \"09:00-18:00 Mon-Fri\" (HH:MM-HH:MM, then "
             "days such as Mon-Fri, Sun,Tue or daily; the end may be past midnight)",
             SB_HOURS_SPEC_MAX, spec ? spec : "");
    return -1;
}

int sb_hours_check_zone(const char *zone, char *errstr, size_t errstr_size) {
    const char *dir = getenv("TZDIR");
    char path[512], magic[4];
    size_t len = zone ? strlen(zone) : 0;
    FILE *f;
    int ok = len > 0 && len <= SB_HOURS_ZONE_MAX && zone[0] != '/' && !strstr(zone, "..");
    for (size_t i = 0; ok && i < len; i++)
        ok = isalnum((unsigned char)zone[i]) || strchr("/_+-", zone[i]);
    if (!ok) {
        snprintf(errstr, errstr_size,
                 "\"%.*s\" is not a time zone name (an IANA name such as "
                 "Europe/Berlin)",
                 SB_HOURS_ZONE_MAX, zone ? zone : "");
        return -1;
    }
    snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
    /* a zone is a TZif file: a directory ("America") or anything else is not */
    ok = (f = fopen(path, "rb")) && fread(magic, 1, 4, f) == 4 && !memcmp(magic, "TZif", 4);
    if (f)
        fclose(f);
    if (!ok)
        snprintf(errstr, errstr_size,
                 "unknown time zone \"%s\" (not in the system's zone database)", zone);
    return ok ? 0 : -1;
}

int sb_hours_settle(sb_hours_config_t *cfg, char *errstr, size_t errstr_size) {
    char why[256];
    const char *test_now = getenv("SECURITYBOT_TEST_NOW");
    if (sb_hours_check_zone(cfg->default_zone, why, sizeof(why)) == -1) {
        snprintf(errstr, errstr_size, "SECURITYBOT_DEFAULT_TIMEZONE: %s", why);
        return -1;
    }
    if (sb_hours_parse(cfg->working_hours, &cfg->hours, why, sizeof(why)) == -1) {
        snprintf(errstr, errstr_size, "SECURITYBOT_WORKING_HOURS: %s", why);
        return -1;
    }
    cfg->max_rank = !strcmp(cfg->max_severity, "none") ? -1 : sb_severity_rank(cfg->max_severity);
    if (cfg->max_rank == -1 && strcmp(cfg->max_severity, "none")) {
        snprintf(errstr, errstr_size,
                 "SECURITYBOT_OFF_HOURS_MAX_SEVERITY must be none, low, medium, high or critical");
        return -1;
    }
    cfg->test_offset_sec = 0;
    if (!test_now || !*test_now)
        return 0;
#ifdef SB_TEST_CLOCK
    int64_t us;
    if (sb_time_parse_rfc3339(test_now, &us) == -1) {
        snprintf(errstr, errstr_size, "SECURITYBOT_TEST_NOW must be an RFC 3339 time");
        return -1;
    }
    cfg->test_offset_sec = us / 1000000 - sb_time_now_us() / 1000000;
    return 0;
#else
    snprintf(errstr, errstr_size,
             "SECURITYBOT_TEST_NOW is accepted only by test builds (cmake -DSB_TEST_CLOCK=ON)");
    return -1;
#endif
}

int64_t sb_hours_now(const sb_hours_config_t *cfg) {
    return sb_time_now_us() / 1000000 + cfg->test_offset_sec;
}

/* A local date and time of the current zone (tm_isdst left to mktime). */
static int64_t local(const struct tm *date, int day, int minute) {
    struct tm x = {.tm_year = date->tm_year,
                   .tm_mon = date->tm_mon,
                   .tm_mday = date->tm_mday + day,
                   .tm_hour = minute / 60,
                   .tm_min = minute % 60,
                   .tm_isdst = -1};
    return (int64_t)mktime(&x);
}

/* The working periods that start on the local dates from the day before
 * t's to WINDOW_DAYS after it, in order; the zone is set. Their count. */
static int periods_locked(const sb_hours_t *h, int64_t t, period_t *out) {
    time_t tt = (time_t)t;
    struct tm now;
    int n = 0;
    if (!localtime_r(&tt, &now))
        return -1;
    for (int d = -1; d <= WINDOW_DAYS + 1; d++) {
        /* the weekday of the date: mktime of its noon fills tm_wday */
        struct tm noon = {.tm_year = now.tm_year,
                          .tm_mon = now.tm_mon,
                          .tm_mday = now.tm_mday + d,
                          .tm_hour = 12,
                          .tm_isdst = -1};
        if (mktime(&noon) == (time_t)-1 || !(h->days & (1u << noon.tm_wday)))
            continue;
        out[n].start = local(&now, d, h->start_min);
        out[n].end = local(&now, d + (h->end_min <= h->start_min), h->end_min);
        n++;
    }
    return n;
}

/* Fills out with the periods around t in zone (see periods_locked). */
static int periods(const char *zone, const sb_hours_t *h, int64_t t, period_t *out, char *errstr,
                   size_t errstr_size) {
    char tz[SB_HOURS_ZONE_MAX + 2], *old = NULL;
    int n;
    if (sb_hours_check_zone(zone, errstr, errstr_size) == -1)
        return -1;
    /* ':' makes glibc read the zone file, never parse the name as a POSIX rule */
    snprintf(tz, sizeof(tz), ":%s", zone);
    pthread_mutex_lock(&zone_lock);
    const char *was = getenv("TZ");
    if (was && !(old = strdup(was))) {
        pthread_mutex_unlock(&zone_lock);
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    setenv("TZ", tz, 1);
    tzset();
    n = periods_locked(h, t, out);
    if (old)
        setenv("TZ", old, 1);
    else
        unsetenv("TZ");
    tzset();
    pthread_mutex_unlock(&zone_lock);
    free(old);
    if (n == -1)
        snprintf(errstr, errstr_size, "cannot convert %lld to local time in %s", (long long)t,
                 zone);
    return n;
}

int sb_hours_working(const char *zone, const sb_hours_t *h, int64_t t, int *working, char *errstr,
                     size_t errstr_size) {
    period_t p[WINDOW_DAYS + 3];
    int n = periods(zone, h, t, p, errstr, errstr_size);
    if (n == -1)
        return -1;
    *working = 0;
    for (int i = 0; i < n; i++)
        if (p[i].start <= t && t < p[i].end)
            *working = 1;
    return 0;
}

int sb_hours_ask_at(const char *zone, const sb_hours_t *h, int64_t t, int64_t *at, char *errstr,
                    size_t errstr_size) {
    period_t p[WINDOW_DAYS + 3];
    int n = periods(zone, h, t, p, errstr, errstr_size);
    if (n == -1)
        return -1;
    for (int i = 0; i < n; i++) {
        if (p[i].start <= t && t < p[i].end) {
            *at = t;
            return 0;
        }
        if (p[i].start > t) { /* in order: the first to come */
            *at = p[i].start;
            return 0;
        }
    }
    snprintf(errstr, errstr_size, "no working period within %d days", WINDOW_DAYS);
    return -1;
}

/* Walks the working time from a on, window by window: *secs gets the
 * working time up to b (when b > 0), or *at the instant want seconds of it
 * have passed (when want > 0). */
static int walk(const char *zone, const sb_hours_t *h, int64_t a, int64_t b, int64_t want,
                int64_t *secs, int64_t *at, char *errstr, size_t errstr_size) {
    period_t p[WINDOW_DAYS + 3];
    int64_t sum = 0;
    for (int64_t lo = a; lo < a + (int64_t)HORIZON_DAYS * DAY_SEC; lo += WINDOW_DAYS * DAY_SEC) {
        int64_t hi = lo + WINDOW_DAYS * DAY_SEC;
        int n = periods(zone, h, lo, p, errstr, errstr_size);
        if (n == -1)
            return -1;
        if (b > 0 && hi > b)
            hi = b;
        for (int i = 0; i < n; i++) {
            int64_t s = p[i].start > lo ? p[i].start : lo, e = p[i].end < hi ? p[i].end : hi;
            if (e <= s)
                continue;
            if (want > 0 && sum + (e - s) >= want) {
                *at = s + (want - sum);
                return 0;
            }
            sum += e - s;
        }
        if (b > 0 && hi >= b) {
            *secs = sum;
            return 0;
        }
    }
    if (b > 0) {
        *secs = sum;
        return 0;
    }
    snprintf(errstr, errstr_size, "not that much working time within %d days", HORIZON_DAYS);
    return -1;
}

int sb_hours_between(const char *zone, const sb_hours_t *h, int64_t a, int64_t b, int64_t *secs,
                     char *errstr, size_t errstr_size) {
    *secs = 0;
    return b <= a ? 0 : walk(zone, h, a, b, 0, secs, NULL, errstr, errstr_size);
}

int sb_hours_after(const char *zone, const sb_hours_t *h, int64_t a, int64_t secs, int64_t *at,
                   char *errstr, size_t errstr_size) {
    *at = a;
    return secs <= 0 ? 0 : walk(zone, h, a, 0, secs, NULL, at, errstr, errstr_size);
}
