/* sb_report: the rollup of the alerts of a time window. */

/* The rollup of the alerts received in a time window (by rule,
 * by outcome, every alert that needs a look, and the "not me" answers per
 * rule and per source) as text, JSON or CSV, for
 * `sbctl report` and sb-escalation's scheduled digest. */
#ifndef SB_REPORT_H
#define SB_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "sb_db.h"

typedef enum {
    SB_REPORT_TEXT = 0, /* plain text for a terminal; a chat post escapes it itself */
    SB_REPORT_JSON,     /* one JSON object */
    SB_REPORT_CSV,      /* one table with a `section` column (RFC 4180) */
} sb_report_format_t;

/* An alert's outcome, or "open" while it has none. */
typedef struct {
    char *outcome; /* owned */
    long alerts;
} sb_report_count_t;

/* One group of alerts: the whole window, one rule, or one outcome.
 * Response rate = answered / prompted (an alert counts as answered when it
 * was prompted and has answered_at); the median is over answered_at -
 * prompted_at of the answered ones. */
typedef struct {
    char *name; /* rule or outcome, owned; NULL for the whole window */
    long alerts, prompted, answered;
    double median_answer_s;      /* < 0: none answered */
    sb_report_count_t *outcomes; /* rules only: alerts per outcome, most first; owned */
    size_t noutcomes;
} sb_report_group_t;

/* An alert that was denied, went unanswered or failed the second factor,
 * with the security team's work on its escalation (sb-console). Every
 * string owned; employee, comment, second_factor, answered_at may be NULL,
 * and the escalation's fields are NULL until someone acknowledged or
 * resolved it. */
typedef struct {
    char *id, *received_at, *rule, *severity, *title, *user, *employee, *outcome, *comment,
        *second_factor, *answered_at;
    char *acknowledged_by, *verdict, *resolved_by, *resolved_at, *resolution_note;
} sb_report_alert_t;

/* The report's data, independent of any format. */
typedef struct {
    int64_t since_us, until_us; /* [since, until) on alerts.received_at */
    sb_report_group_t total;
    sb_report_group_t *rules; /* most alerts first, then by name */
    size_t nrules;
    sb_report_group_t *outcomes; /* most alerts first, then by name */
    size_t noutcomes;
    sb_report_alert_t *flagged; /* in received order */
    size_t nflagged;
    /* The escalations of the window's alerts by state: "open" (nobody took
     * it), "acknowledged" (taken, not resolved), or the verdict of a
     * resolved one; most first, then by name. */
    sb_report_count_t *escalations;
    size_t nescalations;
    /* Alerts whose employee said "not me, wrong person" (outcome
     * wrong_employee), per rule and per source (the detector), most
     * first, then by name: the directory or a detector's identity mapping
     * to fix. The count's outcome field holds the rule or source name. */
    long wrong_employee;
    sb_report_count_t *wrong_rules;
    size_t nwrong_rules;
    sb_report_count_t *wrong_sources;
    size_t nwrong_sources;
    /* Borrowed, set by the caller after the fetch, or NULL: the console's
     * base URL (SECURITYBOT_CONSOLE_URL); each flagged alert then links to
     * its page there, <console_url>/#/alert/<id>. */
    const char *console_url;
} sb_report_t;

/* Reads the window's numbers into *r (zeroed first; free with
 * sb_report_clear, also after a failure). Runs in one read-only
 * repeatable-read transaction when the connection is idle, else inside the
 * caller's. 0 or -1 with errstr (sb_db_last_class tells whether to retry). */
int sb_report_fetch(sb_db_t *db, int64_t since_us, int64_t until_us, sb_report_t *r, char *errstr,
                    size_t errstr_size);

/* The report as text, JSON or CSV: an owned string, or NULL when out of memory. */
char *sb_report_render(const sb_report_t *r, sb_report_format_t fmt);

void sb_report_clear(sb_report_t *r); /* NULL is a no-op */

/* fetch + render: the owned report, or NULL with errstr. console_url as
 * sb_report_t's (NULL: no links). */
char *sb_report_build(sb_db_t *db, int64_t since_us, int64_t until_us, sb_report_format_t fmt,
                      const char *console_url, char *errstr, size_t errstr_size);

/* The console's page of an alert, "<base>/#/alert/<id>" (one '/' between
 * them whether base ends with one or not), into buf; 0, or -1 when it does
 * not fit or base is not an http:// or https:// URL. */
int sb_report_console_link(const char *base, const char *alert_id, char *buf, size_t size);

/* "text", "json" or "csv"; 0 or -1. */
int sb_report_format_parse(const char *s, sb_report_format_t *fmt);

/* A --since/--until value: a duration back from now_us ("24h", "7d", "90m",
 * see sb_time_parse_duration_ms), an RFC 3339 timestamp, or "now".
 * 0 and *us, or -1. */
int sb_report_parse_time(const char *s, int64_t now_us, int64_t *us);

/* A duration for people: "850ms", "4.2s", "42s", "3m12s", "2h05m", "3d04h";
 * "-" when seconds < 0 (no value). buf >= 16. */
void sb_report_format_duration(double seconds, char *buf, size_t size);

#endif
