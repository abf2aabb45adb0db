/* hold: when sb-prompt may ask an employee: their working hours, in their time zone. */

/* Alerts at or below SECURITYBOT_OFF_HOURS_MAX_SEVERITY that would be
 * asked outside the employee's working hours are held: the claim (in
 * prompt.c) sets their ask_at to the start of the next working period and
 * claims only what may be asked now, so a held low alert never stands in
 * front of a high one. The zone arithmetic is libcommon's sb_hours (the C
 * library's zone database); this file only picks the employee's zone (the
 * directory's, else the chat profile's, asked once, else the default) and
 * hours, and turns the answer into the claim's parameters. */
#include "prompt.h"

#include <stdio.h>
#include <string.h>

#include "sb_log.h"
#include "sb_time.h"

/* $1 employee ids (bigint[]): one row each that exists. */
static const char *const HOURS_SQL =
    "SELECT id, timezone, working_hours, chat_user_id,"
    "  timezone IS NULL AND timezone_looked_up_at IS NULL AND chat_user_id IS NOT NULL"
    " FROM employees WHERE id = ANY($1::bigint[])";
enum { H_ID, H_ZONE, H_HOURS, H_CHAT_ID, H_ASK_CHAT };

/* $1 employee id, $2 the profile's zone ('' none), $3 actor. Asked once: a
 * zone the directory gave meanwhile wins. */
static const char *const LEARN_SQL =
    "WITH upd AS ("
    "  UPDATE employees SET timezone = nullif($2, ''),"
    "    timezone_source = CASE WHEN $2 <> '' THEN 'chat' END,"
    "    timezone_looked_up_at = now(), updated_at = now()"
    "  WHERE id = $1::bigint AND timezone IS NULL RETURNING id, timezone)"
    " INSERT INTO audit_log (actor, action, employee_id, detail)"
    " SELECT $3, 'timezone_learned', id, jsonb_build_object('timezone', timezone)"
    " FROM upd WHERE timezone IS NOT NULL";

/* The employee has no zone from the directory and the chat platform was
 * never asked: asks it (Slack's users.info) and stores the answer. A zone
 * the system's database does not know is not stored; a chat failure that
 * may pass is tried again at the next wake. 0 with zone filled ("": none),
 * or -1 on a database failure. */
static int learn_zone(sb_prompt_t *p, const char *employee, const char *chat_id,
                      char zone[SB_HOURS_ZONE_MAX + 1], char *errstr, size_t errstr_size) {
    sb_chat_error_t err = {0};
    char why[256];
    sb_log_kv_t kv[] = {{"employee", employee}};
    int rc = sb_chat_user_timezone(p->chat, chat_id, zone, SB_HOURS_ZONE_MAX + 1, &err);
    if (rc == 1)
        return 0; /* the platform does not tell: nothing to store, nothing to ask again */
    if (rc == -1) {
        zone[0] = '\0';
        sb_log_kv(SB_LOG_WARN, kv, 1, "time zone from the chat profile: %s%s", err.msg,
                  err.retryable ? " (asked again later)" : "");
        if (err.retryable)
            return 0;
    }
    if (zone[0] && sb_hours_check_zone(zone, why, sizeof(why)) == -1) {
        sb_log_kv(SB_LOG_WARN, kv, 1, "chat profile: %s; using the default", why);
        zone[0] = '\0';
    }
    const char *params[] = {employee, zone, p->worker};
    return sb_db_exec(p->db, LEARN_SQL, 3, params, errstr, errstr_size);
}

/* A stored value that no longer checks (a zone dropped from tzdata, an
 * edited row) falls back to the default, with a warning: asking is better
 * than holding forever. */
static void stored_or_default(sb_prompt_t *p, const char *employee, PGresult *res, int row,
                              const char **zone, sb_hours_t *h) {
    char why[256];
    *zone = p->hours->default_zone;
    *h = p->hours->hours;
    if (row < 0)
        return;
    if (!PQgetisnull(res, row, H_ZONE)) {
        if (sb_hours_check_zone(PQgetvalue(res, row, H_ZONE), why, sizeof(why)) == 0)
            *zone = PQgetvalue(res, row, H_ZONE);
        else
            sb_log_kv(SB_LOG_WARN, (sb_log_kv_t[]){{"employee", employee}}, 1,
                      "stored time zone: %s; using the default", why);
    }
    if (!PQgetisnull(res, row, H_HOURS) &&
        sb_hours_parse(PQgetvalue(res, row, H_HOURS), h, why, sizeof(why)) == -1) {
        *h = p->hours->hours;
        sb_log_kv(SB_LOG_WARN, (sb_log_kv_t[]){{"employee", employee}}, 1,
                  "stored %s; using the default", why);
    }
}

static void format_sec(int64_t sec, char buf[SB_PROMPT_TS_SIZE]) {
    sb_time_format_us(sec * 1000000, buf, SB_PROMPT_TS_SIZE);
}

/* Fills w for employee from row of res (-1: not in the directory), now
 * being the clock's time. 0, or -1 on a database failure. */
static int when_of(sb_prompt_t *p, const char *employee, PGresult *res, int row, int64_t now,
                   sb_prompt_when_t *w, char *errstr, size_t errstr_size) {
    const char *zone;
    int64_t at = now;
    char why[256], learned[SB_HOURS_ZONE_MAX + 1] = "";
    sb_hours_t h;

    snprintf(w->max_rank, sizeof(w->max_rank), "%d", p->hours->max_rank);
    format_sec(now, w->now);
    format_sec(now, w->ask_at);
    if (p->hours->max_rank < 0)
        return 0; /* the feature is off: nothing waits */
    if (row >= 0 && !strcmp(PQgetvalue(res, row, H_ASK_CHAT), "t") &&
        learn_zone(p, employee, PQgetvalue(res, row, H_CHAT_ID), learned, errstr, errstr_size) ==
            -1)
        return -1;
    stored_or_default(p, employee, res, row, &zone, &h);
    if (learned[0])
        zone = learned;
    if (sb_hours_ask_at(zone, &h, now, &at, why, sizeof(why)) == -1) {
        sb_log_kv(SB_LOG_WARN, (sb_log_kv_t[]){{"employee", employee}}, 1,
                  "working hours: %s; asking now", why);
        at = now;
    }
    format_sec(at, w->ask_at);
    return 0;
}

int sb_prompt_when_many(sb_prompt_t *p, const char *ids, const char *const *employees, size_t n,
                        sb_prompt_when_t *w, char *errstr, size_t errstr_size) {
    const char *params[] = {ids};
    int64_t now = sb_hours_now(p->hours);
    PGresult *res = NULL;
    int rc = 0;

    if (p->hours->max_rank >= 0 &&
        !(res = sb_db_query(p->db, HOURS_SQL, 1, params, errstr, errstr_size)))
        return -1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        int row = -1;
        /* a batch has at most a few hundred employees: a scan per one is
         * cheaper than a map */
        for (int r = 0; res && r < PQntuples(res) && row < 0; r++)
            if (!strcmp(PQgetvalue(res, r, H_ID), employees[i]))
                row = r;
        rc = when_of(p, employees[i], res, row, now, &w[i], errstr, errstr_size);
    }
    PQclear(res);
    return rc;
}

int sb_prompt_when(sb_prompt_t *p, const char *employee, sb_prompt_when_t *w, char *errstr,
                   size_t errstr_size) {
    char ids[48];
    snprintf(ids, sizeof(ids), "{%s}", employee);
    return sb_prompt_when_many(p, ids, &employee, 1, w, errstr, errstr_size);
}
