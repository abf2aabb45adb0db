/* group: an answer to a group's question applied to every alert of the group. */

/* sb-prompt folds alerts of one employee and rule into one question
 * (SECURITYBOT_COALESCE_WINDOW): its leader is the alert the buttons
 * name, and its members wait in status 'grouped' with group_id = the
 * leader's id. One answer decides them all: when the leader's question
 * closes, in the same transaction as the leader's transition (the leader
 * row is locked, so no member joins meanwhile: sb-prompt's attach locks
 * it too), each member takes the leader's decision and keeps its own row,
 * audit line, escalation request and outcome (sb_answer_publish_outcome
 * reads group_id). One second factor covers the group. */
#include "group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_log.h"
#include "sb_message.h"
#include "sb_time.h"

/* $1 leader, $2 actor, $3 action, $4 event id, $5 escalation reason
 * (NULL: none): the members, decided as their leader. */
static const char *const CLOSE_SQL =
    "WITH l AS (SELECT * FROM alerts WHERE id = $1),"
    " mem AS ("
    "  UPDATE alerts m SET status = l.status, status_reason = l.status_reason,"
    "    answer = l.answer, answered_at = l.answered_at, comment = l.comment,"
    "    second_factor = l.second_factor, second_factor_method = l.second_factor_method,"
    "    outcome = l.outcome, decided_at = l.decided_at, outcome_due_at = l.outcome_due_at,"
    "    version = m.version + 1, updated_at = now()"
    "  FROM l WHERE m.group_id = l.id AND m.id <> l.id AND m.status = 'grouped'"
    "  RETURNING m.id, m.employee_id, m.severity, m.version, m.status),"
    " audit AS ("
    "  INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
    "  SELECT $2, $3, id, employee_id,"
    "    jsonb_build_object('event_id', $4::text, 'group_id', $1::text, 'from', 'grouped',"
    "                       'to', status, 'version', version)"
    "    || CASE WHEN $5::text IS NULL THEN '{}'::jsonb"
    "       ELSE jsonb_build_object('escalation_reason', $5::text) END FROM mem)"
    " SELECT id, severity FROM mem ORDER BY id";

/* $1 leader. */
static const char *const WORDS_SQL =
    "UPDATE alerts SET outcome_due_at = now() WHERE group_id = $1 AND id <> $1"
    "  AND outcome_due_at IS NOT NULL";

static int open_status(const char *status) {
    return !strcmp(status, "prompted") || !strcmp(status, "awaiting_code");
}

/* Member i's escalation request, as the leader's (answer.c's escalate). */
static int escalate(sb_turn_t *t, PGresult *res, int i, const char *leader, const char *reason,
                    const char *comment, char *errstr, size_t errstr_size) {
    const char *id = PQgetvalue(res, i, 0);
    char now[40];
    sb_time_format_us(sb_time_now_us(), now, sizeof(now));
    const char *severity = !strcmp(reason, "reported_fraud") ? "critical" : PQgetvalue(res, i, 1);
    char *msg = sb_message_escalation_request_group(id, t->employee, reason, severity, comment,
                                                    t->r->worker, now, leader);
    int rc;
    if (!msg) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    rc = sb_producer_send(t->r->producer, t->r->topic_escalation_requests, id, strlen(id), msg,
                          strlen(msg), errstr, errstr_size);
    free(msg);
    if (rc == 0)
        sb_metrics_count(t->r->metrics, SB_M_PRODUCED, t->r->topic_escalation_requests, 1);
    return rc;
}

int sb_group_close(sb_turn_t *t, const char *leader_id, const char *status, const char *action,
                   const char *escalate_reason, const char *comment, char *errstr,
                   size_t errstr_size) {
    const char *params[] = {leader_id, t->actor, action, t->event_id, escalate_reason};
    PGresult *res;
    int rc = 0;
    if (!status || open_status(status))
        return 0;
    if (!(res = sb_db_query(t->r->db, CLOSE_SQL, 5, params, errstr, errstr_size)))
        return -1;
    for (int i = 0; i < PQntuples(res) && rc == 0 && escalate_reason; i++)
        rc = escalate(t, res, i, leader_id, escalate_reason, comment, errstr, errstr_size);
    if (rc == 0 && PQntuples(res) > 0) {
        sb_log_kv_t kv[] = {{"alert_id", leader_id}, {"employee", t->employee}};
        sb_log_kv(SB_LOG_INFO, kv, 2, "%d grouped alert(s) decided with their question: %s",
                  PQntuples(res), status);
        if (escalate_reason)
            t->produced = 1;
    }
    PQclear(res);
    return rc;
}

int sb_group_words(sb_turn_t *t, const char *leader_id, char *errstr, size_t errstr_size) {
    const char *params[] = {leader_id};
    return sb_db_exec(t->r->db, WORDS_SQL, 1, params, errstr, errstr_size);
}
