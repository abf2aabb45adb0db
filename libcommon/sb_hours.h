/* sb_hours: working hours in an employee's IANA time zone, computed with the C library's zone
 * database. */
#ifndef SB_HOURS_H
#define SB_HOURS_H

#include <stddef.h>
#include <stdint.h>

#include "sb_config.h"

#define SB_HOURS_ZONE_MAX 64 /* the longest zone name accepted, bytes */
#define SB_HOURS_SPEC_MAX 64 /* the longest working-hours spec accepted, bytes */

/* "09:00-18:00 Mon-Fri": a period starting at start_min on each day of
 * days, ending at end_min the same day, or the next day when end_min <=
 * start_min ("22:00-06:00": the night belongs to the day it starts). */
typedef struct {
    int start_min, end_min; /* minutes after local midnight; end 1440 = 24:00 */
    unsigned days;          /* bit d: weekday d, 0 = Sunday (struct tm's tm_wday) */
} sb_hours_t;

/* The settings the workers and sbctl share: SB_HOURS_CONFIG_ENTRIES reads
 * them, sb_hours_settle checks them. */
typedef struct {
    char *default_zone;      /* SECURITYBOT_DEFAULT_TIMEZONE */
    char *working_hours;     /* SECURITYBOT_WORKING_HOURS */
    char *max_severity;      /* SECURITYBOT_OFF_HOURS_MAX_SEVERITY */
    sb_hours_t hours;        /* working_hours, parsed */
    int max_rank;            /* alerts of this rank or below wait for working hours; -1: off */
    int64_t test_offset_sec; /* the test clock (SECURITYBOT_TEST_NOW) minus the real one; 0 */
} sb_hours_config_t;

#define SB_HOURS_CONFIG_ENTRIES(cfg)                                                               \
    SB_CFG_STR("SECURITYBOT_DEFAULT_TIMEZONE", &(cfg)->default_zone, "UTC",                        \
               "time zone (IANA name) of employees whose directory row and chat profile give "     \
               "none"),                                                                            \
        SB_CFG_STR("SECURITYBOT_WORKING_HOURS", &(cfg)->working_hours, "09:00-18:00 Mon-Fri",      \
                   "employees' working hours in their own time zone, unless the directory's "      \
                   "working_hours column says otherwise"),                                         \
        SB_CFG_STR("SECURITYBOT_OFF_HOURS_MAX_SEVERITY", &(cfg)->max_severity, "low",              \
                   "alerts of this severity or below that arrive outside the employee's working "  \
                   "hours wait for their next working period (none: never)")

/* Parses a spec: "HH:MM-HH:MM DAYS", DAYS a comma-separated list of days
 * or ranges (Mon, Tue... Sun; "Fri-Mon" wraps) or "daily". 0, or -1 with
 * errstr. */
int sb_hours_parse(const char *spec, sb_hours_t *h, char *errstr, size_t errstr_size);

/* 0 when zone names a zone of the system's database (a TZif file under
 * TZDIR or /usr/share/zoneinfo), else -1 with errstr saying why. */
int sb_hours_check_zone(const char *zone, char *errstr, size_t errstr_size);

/* Checks and completes cfg after the configuration table was read: the
 * default zone, the spec, the severity; reads the test clock (test builds
 * only; a release build refuses SECURITYBOT_TEST_NOW). 0 or -1. */
int sb_hours_settle(sb_hours_config_t *cfg, char *errstr, size_t errstr_size);

/* The clock these decisions use: the wall clock, moved by the test clock. */
int64_t sb_hours_now(const sb_hours_config_t *cfg);

/* The rest take Unix seconds. Each returns 0, or -1 with errstr. */

/* *working = 1 when t is inside working hours in zone. */
int sb_hours_working(const char *zone, const sb_hours_t *h, int64_t t, int *working, char *errstr,
                     size_t errstr_size);

/* *at = t when t is inside working hours, else the start of the next
 * working period: when an alert arriving at t may be asked. */
int sb_hours_ask_at(const char *zone, const sb_hours_t *h, int64_t t, int64_t *at, char *errstr,
                    size_t errstr_size);

/* *secs = the working time between a and b (0 when b <= a). Counts at most
 * 400 days. */
int sb_hours_between(const char *zone, const sb_hours_t *h, int64_t a, int64_t b, int64_t *secs,
                     char *errstr, size_t errstr_size);

/* *at = the instant at which secs of working time have passed since a
 * (secs 0: a itself, even outside working hours). Looks 400 days ahead. */
int sb_hours_after(const char *zone, const sb_hours_t *h, int64_t a, int64_t secs, int64_t *at,
                   char *errstr, size_t errstr_size);

#endif
