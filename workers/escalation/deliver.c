/* deliver: what an escalation owes after its COMMIT: the channel report, the page. */

/* A short report in the security team's channel and, for severe alerts, a
 * PagerDuty page (Events API v2, dedup_key = alert id, so a repeated page
 * is one incident). Each part is marked when done; failures wait 5 s,
 * 10 s, 20 s... up to 10 min and the sweep tries again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escalation.h"
#include "sb_buf.h"
#include "sb_log.h"
#include "sb_report.h"
#include "sb_utf8.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* $1 alert id: what is still owed, locked (another replica skips it). */
static const char *const OWED_SQL =
    "SELECT s.reason, s.comment, s.severity, s.reported_at IS NULL, s.paged_at IS NULL,"
    "  a.title, a.rule, a.source, a.url, " TS(
        "a.occurred_at") ", e.username, e.email,"
                         "  a.second_factor, a.username, s.priority"
                         " FROM escalations s JOIN alerts a ON a.id = s.alert_id"
                         " LEFT JOIN employees e ON e.id = s.employee_id"
                         " WHERE s.alert_id = $1 AND s.delivered_at IS NULL FOR UPDATE OF s SKIP "
                         "LOCKED";
enum {
    O_REASON,
    O_COMMENT,
    O_SEVERITY,
    O_REPORT_OWED,
    O_PAGE_OWED,
    O_TITLE,
    O_RULE,
    O_SOURCE,
    O_URL,
    O_OCCURRED,
    O_USERNAME,
    O_EMAIL,
    O_SECOND_FACTOR,
    O_ALERT_USER,
    O_PRIORITY
};

/* $1 alert, $2 reported now, $3 paged now, $4 all done, $5 error. */
static const char *const MARK_SQL =
    "UPDATE escalations SET"
    "  reported_at = CASE WHEN $2::boolean THEN now() ELSE reported_at END,"
    "  paged_at = CASE WHEN $3::boolean THEN now() ELSE paged_at END,"
    "  delivered_at = CASE WHEN $4::boolean THEN now() END,"
    "  deliver_attempts = deliver_attempts + CASE WHEN $4::boolean THEN 0 ELSE 1 END,"
    "  deliver_retry_at = CASE WHEN $4::boolean THEN NULL"
    "    ELSE now() + least(5 * power(2, deliver_attempts), 600) * interval '1 second' END,"
    "  last_error = $5"
    " WHERE alert_id = $1";

static const char *const DUE_SQL =
    "SELECT alert_id FROM escalations WHERE delivered_at IS NULL"
    "  AND coalesce(deliver_retry_at, raised_at + interval '2 seconds') <= now()"
    " ORDER BY raised_at LIMIT $1::int";

static const char *value(PGresult *res, int col) {
    return PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col);
}

/* "Not me, wrong person": the directory or the detector's identity mapping
 * needs fixing, not an incident response. */
static int wrong_employee(PGresult *r) {
    return !strcmp(PQgetvalue(r, 0, O_REASON), "wrong_employee");
}

/* The report: who, what, why, the employee's words, a link. */
static char *report_text(const sb_esc_t *e, const char *alert_id, PGresult *r) {
    sb_buf_t b = {0};
    char link[1100];
    const char *who = value(r, O_USERNAME) ? value(r, O_USERNAME) : value(r, O_ALERT_USER);
    sb_buf_add_str(&b, ":rotating_light: *Escalation* (");
    sb_buf_add_str(&b, PQgetvalue(r, 0, O_REASON));
    sb_buf_add_str(&b, ", ");
    sb_buf_add_str(&b, PQgetvalue(r, 0, O_SEVERITY));
    sb_buf_add_str(&b, ")\n*Who:* ");
    sb_buf_add_text(&b, who, 320, SB_BUF_ENTITIES | SB_BUF_ONE_LINE);
    if (value(r, O_EMAIL)) {
        sb_buf_add_str(&b, " <");
        sb_buf_add_text(&b, value(r, O_EMAIL), 320, SB_BUF_ENTITIES | SB_BUF_ONE_LINE);
        sb_buf_add_str(&b, ">");
    }
    if (!value(r, O_USERNAME))
        sb_buf_add_str(&b, " (not in the directory)");
    sb_buf_add_str(&b, "\n*What:* ");
    sb_buf_add_text(&b, PQgetvalue(r, 0, O_TITLE), 200, SB_BUF_ENTITIES | SB_BUF_ONE_LINE);
    sb_buf_add_str(&b, " (rule ");
    sb_buf_add_text(&b, PQgetvalue(r, 0, O_RULE), 256, SB_BUF_ENTITIES | SB_BUF_ONE_LINE);
    sb_buf_add_str(&b, " from ");
    sb_buf_add_text(&b, PQgetvalue(r, 0, O_SOURCE), 128, SB_BUF_ENTITIES | SB_BUF_ONE_LINE);
    sb_buf_add_str(&b, ", at ");
    sb_buf_add_str(&b, PQgetvalue(r, 0, O_OCCURRED));
    sb_buf_add_str(&b, ")\n*Why:* ");
    sb_buf_add_str(&b, PQgetvalue(r, 0, O_REASON));
    if (wrong_employee(r))
        sb_buf_add_str(&b, " (low priority: the employee says this alert is about someone else; "
                           "check the directory and the detector's mapping of its user)");
    if (value(r, O_SECOND_FACTOR)) {
        sb_buf_add_str(&b, "; second factor ");
        sb_buf_add_str(&b, value(r, O_SECOND_FACTOR));
    }
    sb_buf_add_str(&b, "\n*Their words:* ");
    if (value(r, O_COMMENT)) {
        sb_buf_add_str(&b, "\"");
        sb_buf_add_text(&b, value(r, O_COMMENT), 1000, SB_BUF_ENTITIES);
        sb_buf_add_str(&b, "\"");
    } else {
        sb_buf_add_str(&b, "none");
    }
    sb_buf_add_str(&b, "\n*Alert:* ");
    if (e->alert_url_fmt && strstr(e->alert_url_fmt, "%s")) {
        const char *at = strstr(e->alert_url_fmt, "%s");
        snprintf(link, sizeof(link), "%.*s%s%s", (int)(at - e->alert_url_fmt), e->alert_url_fmt,
                 alert_id, at + 2);
        sb_buf_add_text(&b, link, sizeof(link), SB_BUF_ENTITIES | SB_BUF_ONE_LINE);
    } else if (value(r, O_URL)) {
        sb_buf_add_text(&b, value(r, O_URL), 2048, SB_BUF_ENTITIES | SB_BUF_ONE_LINE);
    }
    sb_buf_add_str(&b, value(r, O_URL) || e->alert_url_fmt ? " (" : "");
    sb_buf_add_str(&b, "`sbctl alerts show ");
    sb_buf_add_str(&b, alert_id);
    sb_buf_add_str(&b, value(r, O_URL) || e->alert_url_fmt ? "`)" : "`");
    /* checked at start: a URL without characters that break a chat link */
    if (e->console_url &&
        sb_report_console_link(e->console_url, alert_id, link, sizeof(link)) == 0) {
        sb_buf_add_str(&b, "\n*Console:* ");
        sb_buf_add_text(&b, link, sizeof(link), SB_BUF_ENTITIES | SB_BUF_ONE_LINE);
    }
    return sb_buf_take(&b); /* NULL when out of memory */
}

/* PagerDuty's severities, by our rank. */
static const char *pd_severity(const char *severity) {
    switch (sb_severity_rank(severity)) {
    case SB_SEVERITY_CRITICAL: return "critical";
    case SB_SEVERITY_HIGH: return "error";
    case SB_SEVERITY_MEDIUM: return "warning";
    default: return "info";
    }
}

/* Pages; 0 accepted (202), -1 with why. 400 (our event is malformed) and
 * other 4xx are permanent: recorded as the error, retried only slowly. */
static int page(sb_esc_t *e, const char *alert_id, PGresult *r, char *why, size_t why_size) {
    cJSON *o = cJSON_CreateObject(), *payload, *details;
    sb_curl_resp_t resp = {0};
    char summary[1100], err[256];
    char *body = NULL;
    int rc = -1;
    snprintf(
        summary, sizeof(summary), "securitybot: %s (%s): %.*s -- %.*s", PQgetvalue(r, 0, O_REASON),
        PQgetvalue(r, 0, O_SEVERITY), SB_UTF8_CUT(PQgetvalue(r, 0, O_TITLE), 200),
        SB_UTF8_CUT(value(r, O_USERNAME) ? value(r, O_USERNAME) : PQgetvalue(r, 0, O_ALERT_USER),
                    320));
    cJSON_AddStringToObject(o, "routing_key", e->pagerduty_key);
    cJSON_AddStringToObject(o, "event_action", "trigger");
    cJSON_AddStringToObject(o, "dedup_key", alert_id);
    payload = cJSON_AddObjectToObject(o, "payload");
    cJSON_AddStringToObject(payload, "summary", summary);
    cJSON_AddStringToObject(payload, "source", PQgetvalue(r, 0, O_SOURCE));
    /* low priority: info, which PagerDuty's severity-based urgency makes a
     * low-urgency incident (no one woken up for a directory fix) */
    cJSON_AddStringToObject(payload, "severity",
                            wrong_employee(r) ? "info" : pd_severity(PQgetvalue(r, 0, O_SEVERITY)));
    cJSON_AddStringToObject(payload, "timestamp", PQgetvalue(r, 0, O_OCCURRED));
    cJSON_AddStringToObject(payload, "component", PQgetvalue(r, 0, O_RULE));
    cJSON_AddStringToObject(payload, "class", PQgetvalue(r, 0, O_REASON));
    details = cJSON_AddObjectToObject(payload, "custom_details");
    cJSON_AddStringToObject(details, "alert_id", alert_id);
    if (value(r, O_COMMENT))
        cJSON_AddStringToObject(details, "employee_comment", value(r, O_COMMENT));
    if (!(body = cJSON_PrintUnformatted(o))) {
        snprintf(why, why_size, "out of memory");
        goto out;
    }
    sb_curl_req_t req = {.method = "POST",
                         .url = e->pagerduty_url,
                         .content_type = "application/json",
                         .body = body,
                         .body_len = strlen(body),
                         .max_attempts = 3};
    if (sb_curl_request(e->curl, &req, &resp, err, sizeof(err)) == -1) {
        snprintf(why, why_size, "pagerduty: %s", err);
        goto out;
    }
    if (resp.status != 202) {
        snprintf(why, why_size, "pagerduty: HTTP %ld", resp.status);
        goto out;
    }
    rc = 0;
out:
    sb_curl_resp_clear(&resp);
    free(body);
    cJSON_Delete(o);
    return rc;
}

int sb_esc_deliver(sb_esc_t *e, const char *alert_id, char *errstr, size_t errstr_size) {
    const char *params[] = {alert_id};
    char why[600] = "";
    PGresult *r = NULL;
    int rc = -1, reported = 0, paged = 0;

    if (sb_db_begin(e->db, errstr, errstr_size) == -1)
        return -1;
    if (!(r = sb_db_query(e->db, OWED_SQL, 1, params, errstr, errstr_size)))
        goto out;
    if (PQntuples(r) == 0) { /* delivered, or another replica is on it */
        rc = sb_db_commit(e->db, errstr, errstr_size);
        goto out;
    }
    int report_owed = e->security_channel && !strcmp(PQgetvalue(r, 0, O_REPORT_OWED), "t");
    int page_owed = e->pagerduty_key && !strcmp(PQgetvalue(r, 0, O_PAGE_OWED), "t") &&
                    sb_severity_rank(PQgetvalue(r, 0, O_SEVERITY)) >= e->page_rank;
    sb_log_kv_t kv[] = {{"alert_id", alert_id}, {"reason", PQgetvalue(r, 0, O_REASON)}};
    if (report_owed) {
        sb_chat_error_t err = {0};
        char *text = report_text(e, alert_id, r);
        if (text && sb_chat_post_channel(e->chat, e->security_channel, text, &err) == 0) {
            reported = 1;
            sb_log_kv(SB_LOG_INFO, kv, 2, "reported in %s", e->security_channel);
        } else {
            snprintf(why, sizeof(why), "security channel: %s", text ? err.msg : "out of memory");
            sb_metrics_count(e->metrics, SB_M_CHAT_ERRORS, text ? err.code : "out_of_memory", 1);
        }
        free(text);
    }
    if (page_owed) {
        char pwhy[300];
        if (page(e, alert_id, r, pwhy, sizeof(pwhy)) == 0) {
            paged = 1;
            sb_log_kv(SB_LOG_INFO, kv, 2, "paged");
        } else {
            size_t used = strlen(why);
            sb_metrics_count(e->metrics, SB_M_FAILED, "pagerduty", 1);
            snprintf(why + used, sizeof(why) - used, "%s%s", used ? "; " : "", pwhy);
        }
    }
    if (why[0])
        sb_log_kv(SB_LOG_WARN, kv, 2, "%s (retried later)", why);
    {
        int done = (!report_owed || reported) && (!page_owed || paged);
        const char *mark[] = {alert_id, reported ? "t" : "f", paged ? "t" : "f", done ? "t" : "f",
                              why[0] ? why : NULL};
        if (sb_db_exec(e->db, MARK_SQL, 5, mark, errstr, errstr_size) == -1)
            goto out;
    }
    rc = sb_db_commit(e->db, errstr, errstr_size);
out:
    if (rc == -1)
        sb_db_rollback(e->db);
    PQclear(r);
    return rc;
}

int sb_esc_sweep(sb_esc_t *e, char *errstr, size_t errstr_size) {
    char limit[16];
    const char *params[] = {limit};
    PGresult *res;
    int rc = 0;
    snprintf(limit, sizeof(limit), "%d", e->batch);
    if (!(res = sb_db_query(e->db, DUE_SQL, 1, params, errstr, errstr_size)))
        return -1;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++)
        rc = sb_esc_deliver(e, PQgetvalue(res, i, 0), errstr, errstr_size);
    PQclear(res);
    return rc;
}
