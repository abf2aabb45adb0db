/* hold: when sb-prompt may ask an employee: their working hours, in their time zone. */

/* Alerts at or below SECURITYBOT_OFF_HOURS_MAX_SEVERITY that would be
 * asked outside the employee's working hours are held: the claim (in
 * prompt.c) sets their ask_at to the start of the next working period and
 * claims only what may be asked now, so a held low alert never stands in
 * front of a high one. The zone arithmetic is libcommon's sb_hours (the C
 * library's zone database); this file only picks the employee's zone and
 * hours and turns the answer into the claim's parameters. */
#include "prompt.h"

#include <stdio.h>
#include <string.h>

#include "sb_log.h"
#include "sb_time.h"

/* $1 employee id. */
static const char *const HOURS_SQL =
    "SELECT timezone, working_hours FROM employees WHERE id = $1::bigint";

/* A stored value that no longer checks (a zone dropped from tzdata, an
 * edited row) falls back to the default, with a warning: asking is better
 * than holding forever. */
static void stored_or_default(sb_prompt_t *p, const char *employee, PGresult *res,
                              const char **zone, sb_hours_t *h) {
    char why[256];
    *zone = p->hours->default_zone;
    *h = p->hours->hours;
    if (PQntuples(res) != 1)
        return;
    if (!PQgetisnull(res, 0, 0)) {
        if (sb_hours_check_zone(PQgetvalue(res, 0, 0), why, sizeof(why)) == 0)
            *zone = PQgetvalue(res, 0, 0);
        else
            sb_log_kv(SB_LOG_WARN, (sb_log_kv_t[]){{"employee", employee}}, 1,
                      "stored time zone: %s; using the default", why);
    }
    if (!PQgetisnull(res, 0, 1) &&
        sb_hours_parse(PQgetvalue(res, 0, 1), h, why, sizeof(why)) == -1) {
        *h = p->hours->hours;
        sb_log_kv(SB_LOG_WARN, (sb_log_kv_t[]){{"employee", employee}}, 1,
                  "stored %s; using the default", why);
    }
}

static void format_sec(int64_t sec, char buf[SB_PROMPT_TS_SIZE]) {
    sb_time_format_us(sec * 1000000, buf, SB_PROMPT_TS_SIZE);
}

int sb_prompt_when(sb_prompt_t *p, const char *employee, sb_prompt_when_t *w, char *errstr,
                   size_t errstr_size) {
    const char *params[] = {employee}, *zone;
    int64_t now = sb_hours_now(p->hours), at = now;
    char why[256];
    sb_hours_t h;
    PGresult *res;

    snprintf(w->max_rank, sizeof(w->max_rank), "%d", p->hours->max_rank);
    format_sec(now, w->now);
    format_sec(now, w->ask_at);
    if (p->hours->max_rank < 0)
        return 0; /* the feature is off: nothing waits */
    if (!(res = sb_db_query(p->db, HOURS_SQL, 1, params, errstr, errstr_size)))
        return -1;
    stored_or_default(p, employee, res, &zone, &h);
    if (sb_hours_ask_at(zone, &h, now, &at, why, sizeof(why)) == -1) {
        sb_log_kv(SB_LOG_WARN, (sb_log_kv_t[]){{"employee", employee}}, 1,
                  "working hours: %s; asking now", why);
        at = now;
    }
    format_sec(at, w->ask_at);
    PQclear(res);
    return 0;
}
