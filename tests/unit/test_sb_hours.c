/* test_sb_hours: working hours across daylight-saving changes, weekends and midnight UTC. */
#include <stdint.h>
#include <stdlib.h>

#include "sb_hours.h"
#include "sb_test.h"
#include "sb_time.h"

static int64_t at(const char *rfc3339) {
    int64_t us = 0;
    if (sb_time_parse_rfc3339(rfc3339, &us) == -1)
        abort();
    return us / 1000000;
}

static sb_hours_t hours(const char *spec) {
    sb_hours_t h = {0};
    char err[256];
    if (sb_hours_parse(spec, &h, err, sizeof(err)) == -1)
        abort();
    return h;
}

static const struct { /* is t inside the working hours? */
    const char *zone, *spec, *t;
    int working;
} working_cases[] = {
    /* Tokyo's day is 00:00-09:00 UTC: it crosses no midnight locally, but starts at UTC's */
    {"Asia/Tokyo", "09:00-18:00 Mon-Fri", "2026-12-08T00:00:00Z", 1},
    {"Asia/Tokyo", "09:00-18:00 Mon-Fri", "2026-12-08T03:00:00Z", 1},
    {"Asia/Tokyo", "09:00-18:00 Mon-Fri", "2026-12-07T23:59:59Z", 0},
    {"Asia/Tokyo", "09:00-18:00 Mon-Fri", "2026-12-08T09:00:00Z", 0},
    {"Asia/Tokyo", "09:00-18:00 Mon-Fri", "2026-12-11T16:00:00Z", 0},          /* Sat 01:00 JST */
    {"America/Los_Angeles", "09:00-18:00 Mon-Fri", "2026-12-08T03:00:00Z", 0}, /* Mon 19:00 */
    {"America/Los_Angeles", "09:00-18:00 Mon-Fri", "2026-12-08T01:59:59Z", 1}, /* Mon 17:59 */
    {"America/Los_Angeles", "09:00-18:00 Mon-Fri", "2026-12-12T20:00:00Z", 0}, /* Saturday */
    /* a night shift in UTC: Friday's night runs into Saturday, Sunday's is not worked */
    {"UTC", "22:00-06:00 Mon-Fri", "2026-12-11T23:00:00Z", 1},
    {"UTC", "22:00-06:00 Mon-Fri", "2026-12-12T05:59:59Z", 1},
    {"UTC", "22:00-06:00 Mon-Fri", "2026-12-12T23:00:00Z", 0},
    {"UTC", "22:00-06:00 Mon-Fri", "2026-12-14T05:00:00Z", 0},
    {"UTC", "22:00-06:00 Mon-Fri", "2026-12-14T22:00:00Z", 1},
    {"UTC", "09:00-24:00 Sat,Sun", "2026-12-13T23:59:00Z", 1},
    /* Berlin on the days its clocks change: 09:00 is 08:00 UTC, then 07:00 UTC */
    {"Europe/Berlin", "09:00-18:00 daily", "2026-03-28T08:00:00Z", 1},
    {"Europe/Berlin", "09:00-18:00 daily", "2026-03-29T07:30:00Z", 1},
    {"Europe/Berlin", "09:00-18:00 daily", "2026-03-29T16:30:00Z", 0},
    {"Europe/Berlin", "09:00-18:00 daily", "2026-10-25T07:30:00Z", 0},
    {"Europe/Berlin", "09:00-18:00 daily", "2026-10-25T16:30:00Z", 1},
};

static const struct { /* when is an alert arriving at t asked? */
    const char *zone, *spec, *t, *ask;
} ask_cases[] = {
    {"Asia/Tokyo", "09:00-18:00 Mon-Fri", "2026-12-08T03:00:00Z", "2026-12-08T03:00:00Z"},
    {"America/Los_Angeles", "09:00-18:00 Mon-Fri", "2026-12-08T03:00:00Z", "2026-12-08T17:00:00Z"},
    /* Friday evening to Monday morning, over a weekend */
    {"Asia/Tokyo", "09:00-18:00 Mon-Fri", "2026-12-11T16:00:00Z", "2026-12-14T00:00:00Z"},
    /* over the weekend of the spring change: Friday in PST, Monday in PDT */
    {"America/Los_Angeles", "09:00-18:00 Mon-Fri", "2026-03-07T02:00:00Z", "2026-03-09T16:00:00Z"},
    /* over the weekend of the autumn change: Friday in PDT, Monday in PST */
    {"America/Los_Angeles", "09:00-18:00 Mon-Fri", "2026-10-31T01:30:00Z", "2026-11-02T17:00:00Z"},
    {"Europe/Berlin", "09:00-18:00 daily", "2026-03-28T20:00:00Z", "2026-03-29T07:00:00Z"},
    {"Europe/Berlin", "09:00-18:00 daily", "2026-10-24T20:00:00Z", "2026-10-25T08:00:00Z"},
    {"UTC", "22:00-06:00 Mon-Fri", "2026-12-12T23:00:00Z", "2026-12-14T22:00:00Z"},
};

static const struct { /* working seconds between a and b */
    const char *zone, *spec, *a, *b;
    int64_t secs;
} between_cases[] = {
    /* the night of the spring change has 5 hours, the autumn one 7 */
    {"America/Los_Angeles", "00:00-06:00 daily", "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z",
     5 * 3600},
    {"America/Los_Angeles", "00:00-06:00 daily", "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z",
     7 * 3600},
    /* Friday 17:00 PST to Monday 10:00 PDT: one hour each side of the weekend */
    {"America/Los_Angeles", "09:00-18:00 Mon-Fri", "2026-03-07T01:00:00Z", "2026-03-09T17:00:00Z",
     2 * 3600},
    {"Asia/Tokyo", "09:00-18:00 Mon-Fri", "2026-12-07T00:00:00Z", "2026-12-14T00:00:00Z",
     5 * 9 * 3600},
    {"UTC", "22:00-06:00 Mon-Fri", "2026-12-11T12:00:00Z", "2026-12-14T12:00:00Z", 8 * 3600},
    {"UTC", "09:00-18:00 Mon-Fri", "2026-12-08T12:00:00Z", "2026-12-08T11:00:00Z", 0},
};

static const struct { /* when have secs of working time passed since a? */
    const char *zone, *spec, *a;
    int64_t secs;
    const char *when;
} after_cases[] = {
    /* a reminder after 1 h of working time, the clock stopped over the weekend */
    {"America/Los_Angeles", "09:00-18:00 Mon-Fri", "2026-12-12T01:30:00Z", 3600,
     "2026-12-14T17:30:00Z"},
    {"America/Los_Angeles", "09:00-18:00 Mon-Fri", "2026-03-07T01:30:00Z", 3600,
     "2026-03-09T16:30:00Z"},
    {"Asia/Tokyo", "09:00-18:00 Mon-Fri", "2026-12-08T08:30:00Z", 3600, "2026-12-09T00:30:00Z"},
    {"UTC", "09:00-18:00 Mon-Fri", "2026-12-08T12:00:00Z", 0, "2026-12-08T12:00:00Z"},
};

static const char *const bad_specs[] = {
    "",
    "9-5",
    "09:00-09:00 Mon",
    "09:00-18:00 Funday",
    "25:00-18:00 Mon",
    "09:00-18:00",
    "09:00-18:60 Mon",
    "09:00-18:00 Mon-",
    "24:00-06:00 Mon",
    "09:00 18:00 Mon",
};

static const char *const bad_zones[] = {
    "",        "Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime",
    "America", "Europe/Berlin ",    "Europe/Berlin;x",
};

int main(void) {
    char err[256];
    sb_hours_t h;
    for (size_t i = 0; i < sizeof(working_cases) / sizeof(working_cases[0]); i++) {
        int w = -1;
        h = hours(working_cases[i].spec);
        SB_CHECK(sb_hours_working(working_cases[i].zone, &h, at(working_cases[i].t), &w, err,
                                  sizeof(err)) == 0);
        SB_CHECK_MSG(w == working_cases[i].working, "%s %s at %s: %d", working_cases[i].zone,
                     working_cases[i].spec, working_cases[i].t, w);
    }
    for (size_t i = 0; i < sizeof(ask_cases) / sizeof(ask_cases[0]); i++) {
        int64_t got = 0;
        h = hours(ask_cases[i].spec);
        SB_CHECK(sb_hours_ask_at(ask_cases[i].zone, &h, at(ask_cases[i].t), &got, err,
                                 sizeof(err)) == 0);
        SB_CHECK_MSG(got == at(ask_cases[i].ask), "%s from %s: %lld, expected %lld",
                     ask_cases[i].zone, ask_cases[i].t, (long long)got,
                     (long long)at(ask_cases[i].ask));
    }
    for (size_t i = 0; i < sizeof(between_cases) / sizeof(between_cases[0]); i++) {
        int64_t got = -1;
        h = hours(between_cases[i].spec);
        SB_CHECK(sb_hours_between(between_cases[i].zone, &h, at(between_cases[i].a),
                                  at(between_cases[i].b), &got, err, sizeof(err)) == 0);
        SB_CHECK_MSG(got == between_cases[i].secs, "%s %s..%s: %lld", between_cases[i].zone,
                     between_cases[i].a, between_cases[i].b, (long long)got);
    }
    for (size_t i = 0; i < sizeof(after_cases) / sizeof(after_cases[0]); i++) {
        int64_t got = 0;
        h = hours(after_cases[i].spec);
        SB_CHECK(sb_hours_after(after_cases[i].zone, &h, at(after_cases[i].a), after_cases[i].secs,
                                &got, err, sizeof(err)) == 0);
        SB_CHECK_MSG(got == at(after_cases[i].when), "%s from %s: %lld", after_cases[i].zone,
                     after_cases[i].a, (long long)got);
    }
    for (size_t i = 0; i < sizeof(bad_specs) / sizeof(bad_specs[0]); i++)
        SB_CHECK_MSG(sb_hours_parse(bad_specs[i], &h, err, sizeof(err)) == -1, "\"%s\"",
                     bad_specs[i]);
    for (size_t i = 0; i < sizeof(bad_zones) / sizeof(bad_zones[0]); i++)
        SB_CHECK_MSG(sb_hours_check_zone(bad_zones[i], err, sizeof(err)) == -1, "\"%s\"",
                     bad_zones[i]);
    SB_CHECK(sb_hours_check_zone("UTC", err, sizeof(err)) == 0);
    SB_CHECK(sb_hours_check_zone("America/Argentina/Buenos_Aires", err, sizeof(err)) == 0);
    /* an unknown zone is an error, never UTC in disguise */
    SB_CHECK(sb_hours_working("Mars/Base", &h, 0, &(int){0}, err, sizeof(err)) == -1);
    h = hours("09:00-17:00 Fri-Mon");
    SB_CHECK(h.days == 0x63 && h.start_min == 540 && h.end_min == 1020);
    h = hours("22:00-00:00 sat,sun");
    SB_CHECK(h.days == 0x41 && h.end_min == 1440);
    return SB_TEST_DONE();
}
