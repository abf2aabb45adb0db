/* answer_factor: a "yes"'s second factor besides the code: a recent pass reused, a Duo passcode,
 * Duo's notes. */
#include <stdio.h>
#include <string.h>

#include "answer.h"
#include "answer_factor.h"
#include "duo.h"
#include "sb_log.h"
#include "sb_severity.h"

/* $1 employee, $2 window in ms: their latest second factor passed within
 * the window (a real pass: a reuse is never reused). */
static const char *const REUSE_SQL =
    "SELECT id FROM alerts WHERE employee_id = $1::bigint AND second_factor = 'passed'"
    "   AND decided_at > now() - $2::bigint * interval '1 millisecond'"
    " ORDER BY decided_at DESC LIMIT 1";

/* 1 when a recent pass of the employee may stand for this "yes" (its id in
 * t->reused_from), 0 when not, -1 on a failure. Never above the maximum
 * severity: a critical alert always asks. */
int sb_answer_reusable(sb_turn_t *t, const char *severity, char *errstr, size_t errstr_size) {
    char window[32];
    const char *params[] = {t->employee, window};
    PGresult *res;
    int found;
    if (t->r->reuse_window_ms <= 0 || !t->enrolled ||
        sb_severity_rank(severity) > t->r->reuse_max_rank)
        return 0;
    snprintf(window, sizeof(window), "%lld", (long long)t->r->reuse_window_ms);
    if (!(res = sb_db_query(t->r->db, REUSE_SQL, 2, params, errstr, errstr_size)))
        return -1;
    if ((found = PQntuples(res) == 1))
        snprintf(t->reused_from, sizeof(t->reused_from), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return found;
}

/* A code from an employee on Duo is a Duo passcode, checked by Duo in the
 * Duo threads (never here: Duo may take its time) for a push that waits. */
int sb_answer_duo_passcode(sb_turn_t *t, const char *code, char *errstr, size_t errstr_size) {
    int rc;
    cJSON *d;
    if (!t->r->has_key) {
        sb_log_error("SECURITYBOT_SECRET_KEY_FILE is not set: Duo passcodes cannot be kept");
        sb_turn_reply(t, "I can't check Duo passcodes right now. Please approve the Duo push.");
        return 0;
    }
    if ((rc = sb_duo_passcode_request(t->r->db, t->r->key, t->employee, code, errstr,
                                      errstr_size)) == -1)
        return -1;
    if (rc == 0) {
        sb_turn_reply(t, "Please approve the Duo push on your phone. If it times out, you can "
                         "reply with a Duo passcode.");
        return 0;
    }
    sb_turn_reply(t, "Checking your passcode with Duo…");
    d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "event_id", t->event_id);
    return sb_turn_audit(t, "passcode_submitted", NULL, d, errstr, errstr_size);
}

int sb_answer_duo_note(sb_turn_t *t, const char *alert_id, const char *why, char *errstr,
                       size_t errstr_size) {
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "event_id", t->event_id);
    cJSON_AddStringToObject(d, "duo", why);
    return sb_turn_audit(t, "duo_answer", alert_id, d, errstr, errstr_size);
}

/* $1 employee, $2 what, $3 alert, $4 change. */
static const char *const FAILURE_SQL =
    "INSERT INTO second_factor_failures (employee_id, what, alert_id, change_id)"
    " VALUES ($1::bigint, $2, $3, $4::bigint)";

int sb_answer_count_failure(sb_turn_t *t, const char *what, const char *alert_id,
                            const char *change_id, char *errstr, size_t errstr_size) {
    const char *params[] = {t->employee, what, alert_id, change_id};
    return sb_db_exec(t->r->db, FAILURE_SQL, 4, params, errstr, errstr_size);
}
