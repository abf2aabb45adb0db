/* escalate: an escalation request becomes one escalation. */

/* Recorded, published with the alert and the employee's answer, the alert
 * moved to escalated, and (when nobody decided it yet) its outcome. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escalation.h"
#include "sb_log.h"
#include "sb_message.h"
#include "sb_publish.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* A group's member was asked with its leader: the leader's words and time
 * when it has none of its own. */
#define MEMBER_COMMENT                                                                             \
    "coalesce(a.comment, (SELECT g.comment FROM alerts g WHERE g.id = a.group_id))"
#define MEMBER_PROMPTED                                                                            \
    "coalesce(a.prompted_at, (SELECT g.prompted_at FROM alerts g WHERE g.id = a.group_id))"

/* $1 alert id: the alert and its employee, locked. */
static const char *const ALERT_SQL =
    "SELECT a.raw::text, a.employee_id, e.username, e.email, a.status, a.severity, a.rule,"
    "  " MEMBER_COMMENT ", a.second_factor, a.outcome, " TS(MEMBER_PROMPTED) ", " TS(
        "a.answered_at") ","
                         "  a.answer, a.status_reason, a.second_factor_method, a.group_id"
                         " FROM alerts a LEFT JOIN employees e ON e.id = a.employee_id WHERE a.id "
                         "= $1"
                         " FOR UPDATE OF a";
enum {
    A_RAW,
    A_EMPLOYEE,
    A_USERNAME,
    A_EMAIL,
    A_STATUS,
    A_SEVERITY,
    A_RULE,
    A_COMMENT,
    A_SECOND_FACTOR,
    A_OUTCOME,
    A_PROMPTED,
    A_ANSWERED,
    A_ANSWER,
    A_STATUS_REASON,
    A_SF_METHOD,
    A_GROUP
};

/* $1 alert, $2 reason, $3 priority, $4 comment, $5 employee, $6 severity.
 * The primary key makes a second request for the alert insert nothing. */
static const char *const RECORD_SQL =
    "INSERT INTO escalations (alert_id, reason, priority, comment, employee_id, severity)"
    " VALUES ($1, $2, $3, $4, $5::bigint, $6) ON CONFLICT (alert_id) DO NOTHING"
    " RETURNING " TS("raised_at");

/* $1 alert, $2 reason, $3 outcome to set when none is (or NULL), $4 actor. */
static const char *const ESCALATED_SQL =
    "WITH upd AS ("
    "  UPDATE alerts SET status = 'escalated', status_reason = coalesce(status_reason, $2),"
    "    outcome = coalesce(outcome, $3), decided_at = coalesce(decided_at, now()),"
    "    version = version + 1, updated_at = now()"
    "  WHERE id = $1 RETURNING id, employee_id, version, " TS(
        "decided_at") ")"
                      " , audit AS ("
                      "  INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
                      "  SELECT $4, 'escalated', id, employee_id,"
                      "    jsonb_build_object('reason', $2::text, 'version', version) FROM upd)"
                      " SELECT " TS("now()") " FROM upd";

int sb_esc_init(sb_esc_t *e, const char *prefix, char *errstr, size_t errstr_size) {
    if (sb_kafka_topic(e->topic_escalations, SB_TOPIC_MAX, prefix, SB_TOPIC_ESCALATIONS) ||
        sb_kafka_topic(e->topic_escalation_requests, SB_TOPIC_MAX, prefix,
                       SB_TOPIC_ESCALATION_REQUESTS) ||
        sb_kafka_topic(e->topic_outcomes, SB_TOPIC_MAX, prefix, SB_TOPIC_OUTCOMES)) {
        snprintf(errstr, errstr_size, "SECURITYBOT_TOPIC_PREFIX is too long");
        return -1;
    }
    return 0;
}

/* The outcome an escalation decides when nobody decided one before it. */
static const char *outcome_for(const char *reason) {
    static const char *const own[] = {"unknown_employee", "opted_out", "no_response"};
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
        if (!strcmp(reason, own[i]))
            return own[i];
    return NULL;
}

static const char *value(PGresult *res, int col) {
    return PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col);
}

/* The escalation's severity: the alert's, but a Duo push reported as
 * fraud is someone holding the employee's credentials: critical. */
static const char *severity_of(PGresult *row, const char *reason) {
    return !strcmp(reason, "reported_fraud") ? "critical" : PQgetvalue(row, 0, A_SEVERITY);
}

/* escalation.v1 for the locked row. Owned string or NULL. */
static char *escalation_json(const char *alert_id, PGresult *row, const char *reason,
                             const char *priority, const char *comment, const char *raised_at) {
    cJSON *o = cJSON_CreateObject(), *alert = cJSON_Parse(PQgetvalue(row, 0, A_RAW));
    char *out = NULL;
    if (!o || !alert || sb_message_start(o, "escalation", alert_id, NULL) == -1)
        goto out;
    cJSON_AddItemToObject(o, "alert", alert);
    alert = NULL;
    if (value(row, A_EMPLOYEE)) {
        cJSON *emp = cJSON_AddObjectToObject(o, "employee");
        cJSON_AddStringToObject(emp, "id", value(row, A_EMPLOYEE));
        cJSON_AddStringToObject(emp, "username", value(row, A_USERNAME));
        if (value(row, A_EMAIL))
            cJSON_AddStringToObject(emp, "email", value(row, A_EMAIL));
        else
            cJSON_AddNullToObject(emp, "email");
    } else {
        cJSON_AddNullToObject(o, "employee");
    }
    cJSON_AddStringToObject(o, "reason", reason);
    cJSON_AddStringToObject(o, "priority", priority);
    if (comment)
        cJSON_AddStringToObject(o, "comment", comment);
    else
        cJSON_AddNullToObject(o, "comment");
    cJSON_AddStringToObject(o, "second_factor",
                            value(row, A_SECOND_FACTOR) ? value(row, A_SECOND_FACTOR)
                                                        : "not_attempted");
    cJSON_AddStringToObject(
        o, "second_factor_method",
        sb_message_factor_method(value(row, A_SECOND_FACTOR), value(row, A_SF_METHOD)));
    cJSON_AddStringToObject(o, "severity", severity_of(row, reason));
    cJSON_AddStringToObject(o, "raised_at", raised_at);
    if (value(row, A_GROUP)) /* asked within a group (issue 16) */
        cJSON_AddStringToObject(o, "group_id", value(row, A_GROUP));
    const char *times[][2] = {{"prompted_at", value(row, A_PROMPTED)},
                              {"answered_at", value(row, A_ANSWERED)}};
    for (size_t i = 0; i < 2; i++) {
        if (times[i][1])
            cJSON_AddStringToObject(o, times[i][0], times[i][1]);
        else
            cJSON_AddNullToObject(o, times[i][0]);
    }
    out = cJSON_PrintUnformatted(o);
out:
    cJSON_Delete(alert);
    cJSON_Delete(o);
    return out;
}

static int produce(sb_esc_t *e, const char *topic, const char *key, char *msg, char *errstr,
                   size_t errstr_size) {
    int rc;
    if (!msg) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    rc = sb_producer_send(e->producer, topic, key, strlen(key), msg, strlen(msg), errstr,
                          errstr_size);
    free(msg);
    if (rc == 0)
        sb_metrics_count(e->metrics, SB_M_PRODUCED, topic, 1);
    return rc;
}

/* Inside the transaction, the row locked and the escalation recorded:
 * the alert moved on, the escalation and (maybe) the outcome published. */
static int publish(sb_esc_t *e, const char *alert_id, PGresult *row, const char *reason,
                   const char *priority, const char *comment, const char *raised_at, char *errstr,
                   size_t errstr_size) {
    const char *decides = value(row, A_OUTCOME) ? NULL : outcome_for(reason);
    const char *params[] = {alert_id, reason, decides, e->worker};
    PGresult *upd = sb_db_query(e->db, ESCALATED_SQL, 4, params, errstr, errstr_size);
    int rc = -1;
    if (!upd)
        return -1;
    if (produce(e, e->topic_escalations, alert_id,
                escalation_json(alert_id, row, reason, priority, comment, raised_at), errstr,
                errstr_size) == -1)
        goto out;
    if (decides) {
        sb_message_outcome_t o = {
            .alert_id = alert_id,
            .outcome = decides,
            .employee_id = value(row, A_EMPLOYEE),
            .answer = value(row, A_ANSWER),
            .comment = comment,
            .second_factor = value(row, A_SECOND_FACTOR),
            .second_factor_method = value(row, A_SF_METHOD),
            .rule = PQgetvalue(row, 0, A_RULE),
            .severity = PQgetvalue(row, 0, A_SEVERITY),
            .decided_at = PQntuples(upd) ? PQgetvalue(upd, 0, 0) : raised_at,
            .prompted_at = value(row, A_PROMPTED),
            .answered_at = value(row, A_ANSWERED),
            .group_id = value(row, A_GROUP),
        };
        if (produce(e, e->topic_outcomes, alert_id, sb_message_outcome(&o), errstr, errstr_size))
            goto out;
    }
    rc = 0;
out:
    PQclear(upd);
    return rc;
}

/* Whether the alert's committed state asks for this escalation. Every stage
 * publishes its request under the alert's row lock before its COMMIT, and
 * ALERT_SQL waited for that lock: a state that does not match is a request
 * whose decision rolled back (a crash or a lost connection between the
 * flush and the COMMIT). The stage decides again and publishes again;
 * acting on this one would escalate an alert the employee answered, or
 * under a reason that never became true, and publish no outcome. A
 * `manual` request is an operator's, backed by no state. */
static int backed(PGresult *row, const char *reason) {
    const char *status = PQgetvalue(row, 0, A_STATUS), *why = value(row, A_STATUS_REASON);
    if (!strcmp(status, "escalated") || !strcmp(reason, "manual"))
        return 1; /* a repeat (the primary key stops it), or an operator's call */
    if (!strcmp(reason, "denied"))
        return !strcmp(status, "denied");
    if (!strcmp(reason, "unverified_confirmation"))
        return !strcmp(status, "confirmed_unverified");
    return !strcmp(status, "escalation_requested") && why && !strcmp(why, reason);
}

static const char *str(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int sb_esc_handle(sb_esc_t *e, const cJSON *req, char *errstr, size_t errstr_size) {
    const char *alert_id = str(req, "alert_id"), *reason = str(req, "reason");
    const char *params[] = {alert_id};
    PGresult *row = NULL, *rec = NULL;
    int rc = -1, recorded = 0;

    if (sb_db_ensure(e->db, errstr, errstr_size) == -1 ||
        sb_db_begin(e->db, errstr, errstr_size) == -1)
        return -1;
    if (!(row = sb_db_query(e->db, ALERT_SQL, 1, params, errstr, errstr_size)))
        goto out;
    if (PQntuples(row) != 1) {
        sb_log_kv_t kv[] = {{"alert_id", alert_id}, {"reason", reason}};
        sb_log_kv(SB_LOG_ERROR, kv, 2, "escalation request for an alert that does not exist");
        rc = sb_db_commit(e->db, errstr, errstr_size);
        goto out;
    }
    if (!backed(row, reason)) {
        sb_log_kv_t kv[] = {{"alert_id", alert_id}, {"reason", reason}};
        sb_log_kv(SB_LOG_WARN, kv, 2,
                  "escalation request not backed by the alert (%s): its decision was never "
                  "committed; ignored",
                  PQgetvalue(row, 0, A_STATUS));
        rc = sb_db_commit(e->db, errstr, errstr_size);
        goto out;
    }
    /* the employee's own words (a follow-up after a "no") win over the
     * request's, which were known when it was sent */
    const char *comment = value(row, A_COMMENT) ? value(row, A_COMMENT) : str(req, "comment");
    const char *priority = str(req, "priority");
    {
        const char *p[] = {
            alert_id, reason, priority, comment, value(row, A_EMPLOYEE), severity_of(row, reason)};
        if (!(rec = sb_db_query(e->db, RECORD_SQL, 6, p, errstr, errstr_size)))
            goto out;
    }
    if (PQntuples(rec) == 1) {
        if (publish(e, alert_id, row, reason, priority, comment, PQgetvalue(rec, 0, 0), errstr,
                    errstr_size) == -1)
            goto out;
        recorded = 1;
    }
    if ((rc = sb_publish_commit(e->producer, recorded, e->db, errstr, errstr_size)) == -1)
        goto out;
    sb_log_kv_t kv[] = {
        {"alert_id", alert_id}, {"employee", value(row, A_EMPLOYEE)}, {"reason", reason}};
    sb_log_kv(SB_LOG_INFO, kv, 3, recorded ? "escalated" : "already escalated; nothing to do");
    if (recorded && sb_esc_deliver(e, alert_id, errstr, errstr_size) == -1)
        sb_log_kv(SB_LOG_WARN, kv, 3, "delivery: %s (the sweep retries)", errstr);
    rc = 0;
out:
    if (rc == -1)
        sb_db_rollback(e->db);
    PQclear(rec);
    PQclear(row);
    return rc;
}
