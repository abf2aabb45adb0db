/* group: one question for an alert storm: alerts joining an open question, its message shown. */

/* Alerts of one employee and one rule that arrive while a question about
 * that rule is open, or that were queued within SECURITYBOT_COALESCE_WINDOW
 * before it was asked, become members of that question: status 'grouped'
 * and group_id = the leader's id (the leader's own group_id too). The
 * leader alone is in alerts_one_conversation; sb-response gives every
 * member the leader's final decision in the leader's transaction. An alert
 * of a higher severity than the leader's, or critical, never joins: it
 * waits to be asked on its own. The attach locks the leader row first, as
 * the answer does, so an answer and a join are ordered: a member either
 * joined before the answer (and gets its decision) or finds the question
 * closed (and stays queued for a question of its own). */
#include "group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sb_buf.h"
#include "sb_log.h"
#include "sb_message.h"
#include "sb_time.h"

/* The severity ranks of the leader (l) and of a member (m). */
#define RANK_L                                                                                     \
    "CASE l.severity WHEN 'critical' THEN 3 WHEN 'high' THEN 2 WHEN 'medium' THEN 1 ELSE 0 END"
#define RANK_M                                                                                     \
    "CASE m.severity WHEN 'critical' THEN 3 WHEN 'high' THEN 2 WHEN 'medium' THEN 1 ELSE 0 END"

/* $1 employee ids (bigint[]), $2 actor, $3 the window (ms), $4 the alert
 * ids this transaction claimed (text[]), $5 the age (ms) from which an
 * unsent claim is the sweep's. The leaders are locked in id order (two
 * replicas attaching for the same employees never wait on each other in a
 * circle). A claim another transaction made and is about to send is not
 * a leader here: its send locks it FOR UPDATE SKIP LOCKED, so a lock
 * taken here for the length of this claim (a replica's sweep can claim
 * for the same employees at the same moment) made that send skip it, and
 * the prompt waited for the sweep's resend, 3 s (issue 17's 3 s
 * outliers). Its own claim transaction attached its members already. */
static const char *const ATTACH_SQL =
    "WITH lead AS ("
    "  SELECT l.id, l.employee_id, l.rule, l.occurred_at, " RANK_L " AS rank FROM alerts l"
    "  WHERE l.employee_id = ANY($1::bigint[]) AND l.status = 'prompted'"
    "    AND (l.chat_ts IS NOT NULL OR l.id = ANY($4::text[])"
    "         OR l.prompted_at < now() - $5::bigint * interval '1 millisecond')"
    "  ORDER BY l.id FOR UPDATE OF l),"
    " mem AS ("
    "  UPDATE alerts m SET status = 'grouped', group_id = lead.id, version = m.version + 1,"
    "    updated_at = now()"
    "  FROM lead WHERE m.employee_id = lead.employee_id AND m.status = 'queued'"
    "    AND m.rule = lead.rule AND m.severity <> 'critical' AND " RANK_M " <= lead.rank"
    "    AND m.occurred_at >= lead.occurred_at - $3::bigint * interval '1 millisecond'"
    "  RETURNING m.id, m.employee_id, m.group_id, m.version),"
    " leader AS ("
    "  UPDATE alerts l SET group_id = l.id, updated_at = now()"
    "  WHERE l.id IN (SELECT group_id FROM mem) AND l.group_id IS NULL RETURNING l.id),"
    " audit AS ("
    "  INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
    "  SELECT $2, 'grouped', id, employee_id,"
    "    jsonb_build_object('group_id', group_id, 'version', version) FROM mem)"
    " SELECT count(*) FROM mem";

/* $1 limit: open questions whose group grew since their message was last
 * shown, at least 5 s ago, locked for the chat call (an answer waits). */
static const char *const GREW_SQL =
    "SELECT a.id, a.title, a.description, a.details::text,"
    "  to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "  a.chat_channel, a.chat_ts, e.chat_user_id, " SB_PROMPT_GROUP_COLUMNS
    " FROM (SELECT * FROM alerts l WHERE l.group_id = l.id AND l.status = 'prompted'"
    "   AND l.chat_ts IS NOT NULL"
    "   AND coalesce(l.group_shown_at, '-infinity') <= now() - interval '5 seconds'"
    "   AND (SELECT count(*) FROM alerts c WHERE c.group_id = l.id) <> l.group_shown"
    "   ORDER BY l.prompted_at LIMIT $1::int FOR UPDATE SKIP LOCKED) a"
    " JOIN employees e ON e.id = a.employee_id" SB_PROMPT_GROUP_JOIN;
enum {
    G_ID,
    G_TITLE,
    G_DESCRIPTION,
    G_DETAILS,
    G_OCCURRED,
    G_CHANNEL,
    G_TS,
    G_CHAT_ID,
    G_N,
    G_FIRST,
    G_LAST,
    G_TITLES
};

/* $1 leader, $2 the count now shown (NULL: not shown, tried again in 5 s). */
static const char *const SHOWN_SQL =
    "UPDATE alerts SET group_shown = coalesce($2::int, group_shown), group_shown_at = now()"
    " WHERE id = $1";

/* $1 actor: members whose leader's question closed without them. */
static const char *const RELEASE_SQL =
    "WITH rel AS ("
    "  UPDATE alerts m SET status = 'queued', group_id = NULL, version = m.version + 1,"
    "    updated_at = now()"
    "  FROM alerts l WHERE m.status = 'grouped' AND l.id = m.group_id"
    "    AND l.status NOT IN ('prompted', 'awaiting_code')"
    "  RETURNING m.id, m.employee_id, l.id AS leader, l.status AS leader_status, m.version)"
    " INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
    " SELECT $1, 'group_released', id, employee_id,"
    "   jsonb_build_object('group_id', leader, 'leader_status', leader_status,"
    "                      'version', version) FROM rel";

/* $1 leader, $2 actor, $3 the chat error code. */
static const char *const UNREACHABLE_SQL =
    "WITH esc AS ("
    "  UPDATE alerts SET status = 'escalation_requested', status_reason = 'unknown_employee',"
    "    version = version + 1, updated_at = now()"
    "  WHERE group_id = $1 AND id <> $1 AND status = 'grouped'"
    "  RETURNING id, employee_id, severity, version),"
    " audit AS ("
    "  INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
    "  SELECT $2, 'escalation_requested', id, employee_id,"
    "    jsonb_build_object('reason', 'unknown_employee', 'chat_error', $3::text,"
    "                       'group_id', $1::text, 'version', version) FROM esc)"
    " SELECT id, employee_id, severity FROM esc ORDER BY id";

/* "10 minutes", "90 seconds", "2 hours": the window as a person reads it. */
static void window_text(int64_t ms, char *out, size_t size) {
    int64_t s = ms / 1000;
    if (s >= 3600 && s % 3600 == 0)
        snprintf(out, size, "%lld hour%s", (long long)(s / 3600), s == 3600 ? "" : "s");
    else if (s >= 60 && s % 60 == 0)
        snprintf(out, size, "%lld minute%s", (long long)(s / 60), s == 60 ? "" : "s");
    else
        snprintf(out, size, "%lld second%s", (long long)s, s == 1 ? "" : "s");
}

char *sb_prompt_group_intro(const sb_prompt_t *p, long n, const char *first, const char *last,
                            const char *titles) {
    sb_buf_t b = {0};
    char head[128], window[48];
    int shown = 0;
    window_text(p->coalesce_window_ms, window, sizeof(window));
    snprintf(head, sizeof(head), "%ld alerts like this in the last %s: ", n, window);
    sb_buf_add(&b, head, strlen(head));
    for (const char *t = titles ? titles : ""; *t && shown < 6;) {
        size_t len = strcspn(t, SB_PROMPT_GROUP_SEP);
        if (shown == 5) {
            sb_buf_add(&b, "; …", strlen("; …"));
        } else {
            if (shown)
                sb_buf_add(&b, "; ", 2);
            sb_buf_add(&b, t, len);
        }
        shown++;
        t += len + (t[len] ? 1 : 0);
    }
    snprintf(head, sizeof(head), " (first %s UTC, last %s UTC). Was this all you?",
             first ? first : "?", last ? last : "?");
    sb_buf_add(&b, head, strlen(head));
    if (b.err) {
        sb_buf_free(&b);
        return NULL;
    }
    return sb_buf_take(&b);
}

int sb_prompt_group_attach(sb_prompt_t *p, const char *employees, const char *claimed, char *errstr,
                           size_t errstr_size) {
    char window[32], age[32];
    const char *params[] = {employees, p->worker, window, claimed, age};
    if (p->coalesce_window_ms <= 0)
        return 0;
    snprintf(window, sizeof(window), "%lld", (long long)p->coalesce_window_ms);
    snprintf(age, sizeof(age), "%lld", (long long)p->resend_after_ms);
    return sb_db_exec(p->db, ATTACH_SQL, 5, params, errstr, errstr_size);
}

int sb_prompt_group_unreachable(sb_prompt_t *p, const char *leader, const char *code, int *produced,
                                char *errstr, size_t errstr_size) {
    const char *params[] = {leader, p->worker, code};
    PGresult *res = sb_db_query(p->db, UNREACHABLE_SQL, 3, params, errstr, errstr_size);
    int rc = 0;
    if (!res)
        return -1;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        const char *id = PQgetvalue(res, i, 0);
        char now[32];
        sb_time_format_us(sb_time_now_us(), now, sizeof(now));
        char *msg = sb_message_escalation_request_group(id, PQgetvalue(res, i, 1),
                                                        "unknown_employee", PQgetvalue(res, i, 2),
                                                        NULL, p->worker, now, leader);
        rc = msg ? sb_producer_send(p->producer, p->topic_escalation_requests, id, strlen(id), msg,
                                    strlen(msg), errstr, errstr_size)
                 : (snprintf(errstr, errstr_size, "out of memory"), -1);
        free(msg);
        if (rc == 0) {
            sb_metrics_count(p->metrics, SB_M_PRODUCED, p->topic_escalation_requests, 1);
            *produced = 1;
        }
    }
    PQclear(res);
    return rc;
}

/* Shows row i of GREW_SQL's answer again; 0, or -1 on a database failure. */
static int refresh_one(sb_prompt_t *p, PGresult *res, int i, char *errstr, size_t errstr_size) {
    const char *id = PQgetvalue(res, i, G_ID);
    long n = strtol(PQgetvalue(res, i, G_N), NULL, 10);
    char *intro = sb_prompt_group_intro(p, n, PQgetvalue(res, i, G_FIRST),
                                        PQgetvalue(res, i, G_LAST), PQgetvalue(res, i, G_TITLES));
    cJSON *details =
        PQgetisnull(res, i, G_DETAILS) ? NULL : cJSON_Parse(PQgetvalue(res, i, G_DETAILS));
    sb_chat_ref_t ref;
    sb_chat_error_t err = {0};
    char shown[24];
    int ok;
    snprintf(ref.channel, sizeof(ref.channel), "%s", PQgetvalue(res, i, G_CHANNEL));
    snprintf(ref.ts, sizeof(ref.ts), "%s", PQgetvalue(res, i, G_TS));
    sb_chat_prompt_t pr = {
        .channel = ref.channel,
        .alert_id = id,
        .title = PQgetvalue(res, i, G_TITLE),
        .description =
            PQgetisnull(res, i, G_DESCRIPTION) ? NULL : PQgetvalue(res, i, G_DESCRIPTION),
        .details = cJSON_IsObject(details) ? details : NULL,
        .occurred_at = PQgetvalue(res, i, G_OCCURRED),
        .intro = intro,
        .chat_user_id = PQgetisnull(res, i, G_CHAT_ID) ? NULL : PQgetvalue(res, i, G_CHAT_ID),
    };
    ok = intro && sb_chat_refresh_prompt(p->chat, &ref, &pr, &err) == 0;
    if (!ok) {
        sb_metrics_count(p->metrics, SB_M_CHAT_ERRORS, intro ? err.code : "out_of_memory", 1);
        sb_prompt_log(SB_LOG_WARN, id, NULL, intro ? err.code : "out_of_memory",
                      "the group's question not updated (tried again in 5 s)");
    }
    snprintf(shown, sizeof(shown), "%ld", n);
    const char *params[] = {id, ok ? shown : NULL};
    free(intro);
    cJSON_Delete(details);
    return sb_db_exec(p->db, SHOWN_SQL, 2, params, errstr, errstr_size);
}

int sb_prompt_group_sweep(sb_prompt_t *p, char *errstr, size_t errstr_size) {
    char limit[16];
    const char *params[] = {limit}, *actor[] = {p->worker};
    PGresult *res = NULL;
    int rc = -1;

    if (sb_db_exec(p->db, RELEASE_SQL, 1, actor, errstr, errstr_size) == -1)
        return -1;
    snprintf(limit, sizeof(limit), "%d", p->sweep_limit);
    if (sb_db_begin(p->db, errstr, errstr_size) == -1)
        return -1;
    if (!(res = sb_db_query(p->db, GREW_SQL, 1, params, errstr, errstr_size)))
        goto out;
    for (int i = 0; i < PQntuples(res); i++)
        if (refresh_one(p, res, i, errstr, errstr_size) == -1)
            goto out;
    rc = sb_db_commit(p->db, errstr, errstr_size);
out:
    if (rc == -1)
        sb_db_rollback(p->db);
    PQclear(res);
    return rc;
}
