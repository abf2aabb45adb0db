/* batch: the prompts of one poll together: claimed at once, sent concurrently, recorded at once. */

/* The same rules as one prompt at a time (prompt.c), a batch at a time:
 * one transaction claims the next alert of every employee of the batch
 * (those already in a conversation are left out; a concurrent claim of
 * another replica fails the statement with 23505, and the batch falls
 * back to one employee at a time); a second transaction locks every
 * claimed, unsent row (FOR UPDATE SKIP LOCKED, as the one-prompt send),
 * sends all their prompts through sb_chat_send_prompts (Slack: up to
 * max_in_flight at once), records every outcome and commits. While it
 * runs, the rows' locks keep the sweep (of any replica) off them; after
 * it, chat_ts says "sent". Only a crash or a database failure between
 * the platform's answers and that COMMIT sends prompts twice: the sweep
 * sends the batch's unrecorded claims again. */
#include "batch.h"
#include "group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_buf.h"
#include "sb_publish.h"
#include "sb_time.h"

/* $1 employee ids (bigint[]), $2 actor, $3 the highest rank that waits
 * for working hours, $4 now, $5 when each employee may be asked
 * (timestamptz[], aligned with $1; now when they are working): every
 * employee's next alert: severity first, then time, then id. Outside
 * working hours an employee's alerts of that rank or below are held
 * (ask_at) and the next of the others is claimed, so a held alert never
 * blocks a higher one. Employees with an open conversation are left out
 * (their claim would fail the statement). prompt.c runs it for one. */
const char *const sb_prompt_claim_sql =
    "WITH emp AS (SELECT DISTINCT ON (employee_id) employee_id, ask_at"
    "  FROM unnest($1::bigint[], $5::timestamptz[]) AS u(employee_id, ask_at)),"
    " next AS ("
    "  SELECT n.id FROM emp CROSS JOIN LATERAL ("
    "   SELECT id FROM alerts WHERE employee_id = emp.employee_id AND status = 'queued'"
    "   AND (" SB_PROMPT_RANK_SQL " > $3::int OR emp.ask_at <= $4::timestamptz)"
    "   ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2"
    "            ELSE 3 END, occurred_at, id"
    "   LIMIT 1 FOR UPDATE SKIP LOCKED) n"
    "  WHERE NOT EXISTS (SELECT 1 FROM alerts o WHERE o.employee_id = emp.employee_id"
    "                    AND o.status IN ('prompted', 'awaiting_code'))),"
    " held AS ("
    "  UPDATE alerts a SET ask_at = emp.ask_at, updated_at = now() FROM emp"
    "  WHERE a.employee_id = emp.employee_id AND a.status = 'queued'"
    "    AND " SB_PROMPT_RANK_SQL " <= $3::int AND emp.ask_at > $4::timestamptz"
    "    AND a.ask_at IS DISTINCT FROM emp.ask_at"
    "  RETURNING a.id, a.employee_id, a.ask_at),"
    " held_audit AS ("
    "  INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
    "  SELECT $2, 'prompt_held', id, employee_id, jsonb_build_object('ask_at', ask_at)"
    "  FROM held),"
    " claimed AS ("
    "  UPDATE alerts a SET status = 'prompted', prompted_at = now(), version = a.version + 1,"
    "    updated_at = now()"
    "  FROM next WHERE a.id = next.id AND a.status = 'queued'"
    "  RETURNING a.id, a.employee_id, a.version),"
    " audit AS ("
    "  INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
    "  SELECT $2, 'prompt_claimed', id, employee_id, jsonb_build_object('version', version)"
    "  FROM claimed)"
    " SELECT id FROM claimed";

/* $1 employee ids (bigint[]), $2 actor: an employee who opted out after
 * their alerts were queued is not asked; those alerts go to the security
 * team. */
const char *const sb_prompt_opted_out_sql =
    "WITH esc AS ("
    "  UPDATE alerts a SET status = 'escalation_requested', status_reason = 'opted_out',"
    "    version = a.version + 1, updated_at = now()"
    "  FROM employees e WHERE e.id = ANY($1::bigint[]) AND e.opted_out"
    "    AND a.employee_id = e.id AND a.status = 'queued'"
    "  RETURNING a.id, a.employee_id, a.severity, a.version),"
    " audit AS ("
    "  INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
    "  SELECT $2, 'escalation_requested', id, employee_id,"
    "    jsonb_build_object('reason', 'opted_out', 'version', version) FROM esc)"
    " SELECT id, employee_id, severity FROM esc";

/* $1 alert ids (text[]): the claimed, unsent ones, locked for the send;
 * prompt.c's LOCK_SQL for many, with the id first. */
static const char *const LOCK_BATCH_SQL =
    "SELECT a.id, a.title, a.description, a.details::text,"
    "  to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "  a.employee_id, e.username, e.email, e.chat_user_id, a.severity, a.rule,"
    "  EXISTS (SELECT 1 FROM alerts o WHERE o.employee_id = a.employee_id AND o.id <> a.id"
    "          AND o.chat_ts IS NOT NULL AND o.prompted_at > now() - interval '1 hour'),"
    "  " SB_PROMPT_GROUP_COLUMNS
    " FROM (SELECT * FROM alerts WHERE id = ANY($1::text[]) FOR UPDATE SKIP LOCKED) a"
    " JOIN employees e ON e.id = a.employee_id" SB_PROMPT_GROUP_JOIN
    " WHERE a.status = 'prompted' AND a.chat_ts IS NULL";
enum {
    B_ID,
    B_TITLE,
    B_DESCRIPTION,
    B_DETAILS,
    B_OCCURRED,
    B_EMPLOYEE,
    B_USERNAME,
    B_EMAIL,
    B_CHAT_ID,
    B_SEVERITY,
    B_RULE,
    B_RECENT,
    B_GROUP_N,
    B_GROUP_FIRST,
    B_GROUP_LAST,
    B_GROUP_TITLES
};

/* $1 alert ids, $2 channels, $3 ts (text[] each, in step), $4 actor:
 * prompt.c's SENT_SQL for many. */
static const char *const SENT_BATCH_SQL =
    "WITH v AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS v(id, channel, ts)),"
    " sent AS ("
    "  UPDATE alerts a SET chat_channel = v.channel, chat_ts = v.ts, version = a.version + 1,"
    "    updated_at = now(), group_shown_at = now(), group_shown = CASE WHEN a.group_id = a.id"
    "      THEN (SELECT count(*) FROM alerts m WHERE m.group_id = a.id) ELSE 1 END"
    "  FROM v WHERE a.id = v.id AND a.chat_ts IS NULL"
    "  RETURNING a.id, a.employee_id, a.version, v.channel, v.ts)"
    " INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
    " SELECT $4, 'prompt_sent', id, employee_id,"
    "   jsonb_build_object('channel', channel, 'ts', ts, 'version', version) FROM sent";

/* Appends s to a PostgreSQL array literal as a quoted element. */
static void array_add(sb_buf_t *b, const char *s) {
    sb_buf_add(b, b->len > 1 ? ",\"" : "\"", b->len > 1 ? 2 : 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            sb_buf_add(b, "\\", 1);
        sb_buf_add(b, s, 1);
    }
    sb_buf_add(b, "\"", 1);
}

/* "{...}" of n strings; the caller frees b. 0 or -1 (out of memory). */
static int array_of(sb_buf_t *b, const char *const *v, size_t n) {
    sb_buf_add(b, "{", 1);
    for (size_t i = 0; i < n; i++)
        array_add(b, v[i]);
    sb_buf_add(b, "}", 1);
    return b->err ? -1 : 0;
}

/* When each of employees[0..n) (array literal ids) may be asked
 * (hold.c), as an array literal in ask_ats aligned with them; w gets the
 * clock's now and the rank, read once for all. 0, or -1 on a database
 * failure (or no memory). */
static int when_all(sb_prompt_t *p, const char *ids, const char *const *employees, size_t n,
                    sb_prompt_when_t *w, sb_buf_t *ask_ats, char *errstr, size_t errstr_size) {
    sb_prompt_when_t *each = calloc(n, sizeof(*each));
    int rc = -1;
    if (!each) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    if (sb_prompt_when_many(p, ids, employees, n, each, errstr, errstr_size) == -1)
        goto out;
    *w = each[0];
    sb_buf_add(ask_ats, "{", 1);
    for (size_t i = 0; i < n; i++)
        array_add(ask_ats, each[i].ask_at);
    sb_buf_add(ask_ats, "}", 1);
    if ((rc = ask_ats->err ? -1 : 0) == -1)
        snprintf(errstr, errstr_size, "out of memory");
out:
    free(each);
    return rc;
}

/* Escalates the queued alerts of the batch's employees who opted out and
 * claims the next alert of every other one, in one transaction. Fills
 * ids (owned strings, *n of them). 0; 1 when another replica's claim
 * collided (23505: nothing was done); -1 with errstr. */
static int claim_all(sb_prompt_t *p, const char *employees, const sb_prompt_when_t *w,
                     const char *ask_ats, char ***ids, size_t *n, char *errstr,
                     size_t errstr_size) {
    const char *params[] = {employees, p->worker, w->max_rank, w->now, ask_ats};
    PGresult *res = NULL;
    sb_buf_t claimed = {0};
    int produced = 0, rc = -1;

    *ids = NULL, *n = 0;
    if (sb_db_begin(p->db, errstr, errstr_size) == -1)
        return -1;
    if (!(res = sb_db_query(p->db, sb_prompt_opted_out_sql, 2, params, errstr, errstr_size)))
        goto out;
    produced = PQntuples(res) > 0;
    for (int i = 0; i < PQntuples(res); i++)
        if (sb_prompt_request_escalation(p, res, i, errstr, errstr_size) == -1)
            goto out;
    PQclear(res);
    if (!(res = sb_db_query(p->db, sb_prompt_claim_sql, 5, params, errstr, errstr_size))) {
        if (!strcmp(sb_db_last_sqlstate(p->db), "23505"))
            rc = 1; /* alerts_one_conversation: a claim of another replica */
        goto out;
    }
    if (PQntuples(res) > 0 && !(*ids = calloc((size_t)PQntuples(res), sizeof(char *)))) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    for (int i = 0; i < PQntuples(res); i++)
        if (((*ids)[(*n)++] = strdup(PQgetvalue(res, i, 0))) == NULL) {
            snprintf(errstr, errstr_size, "out of memory");
            goto out;
        }
    /* the claimed questions, and those open, take their rules' queued alerts */
    if (array_of(&claimed, (const char *const *)*ids, *n) == -1) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    if (sb_prompt_group_attach(p, employees, sb_buf_str(&claimed), errstr, errstr_size) == -1)
        goto out;
    rc = sb_publish_commit(p->producer, produced, p->db, errstr, errstr_size);
out:
    if (rc != 0) {
        sb_db_rollback(p->db);
        for (size_t i = 0; i < *n; i++)
            free((*ids)[i]);
        free(*ids);
        *ids = NULL, *n = 0;
    }
    sb_buf_free(&claimed);
    PQclear(res);
    return rc;
}

/* Fills item i of the send from row i of the locked rows. */
static int item_of(sb_prompt_t *p, PGresult *rows, int i, sb_chat_batch_t *it, char **intro,
                   cJSON **details) {
    sb_texts_vars_t vars = {PQgetvalue(rows, i, B_USERNAME), PQgetvalue(rows, i, B_RULE),
                            PQgetvalue(rows, i, B_SEVERITY), PQgetvalue(rows, i, B_TITLE)};
    int recent = !strcmp(PQgetvalue(rows, i, B_RECENT), "t");
    long group = strtol(PQgetvalue(rows, i, B_GROUP_N), NULL, 10);
    /* a group's question says how many alerts it stands for (group.c) */
    *intro = group > 1 ? sb_prompt_group_intro(p, group, PQgetvalue(rows, i, B_GROUP_FIRST),
                                               PQgetvalue(rows, i, B_GROUP_LAST),
                                               PQgetvalue(rows, i, B_GROUP_TITLES))
                       : sb_texts_expand(recent ? p->texts->next : p->texts->intro, &vars);
    *details = PQgetisnull(rows, i, B_DETAILS) ? NULL : cJSON_Parse(PQgetvalue(rows, i, B_DETAILS));
    *it = (sb_chat_batch_t){
        .chat_user_id = PQgetisnull(rows, i, B_CHAT_ID) ? NULL : PQgetvalue(rows, i, B_CHAT_ID),
        .email = PQgetisnull(rows, i, B_EMAIL) ? NULL : PQgetvalue(rows, i, B_EMAIL),
        .prompt =
            {
                .alert_id = PQgetvalue(rows, i, B_ID),
                .title = PQgetvalue(rows, i, B_TITLE),
                .description =
                    PQgetisnull(rows, i, B_DESCRIPTION) ? NULL : PQgetvalue(rows, i, B_DESCRIPTION),
                .details = cJSON_IsObject(*details) ? *details : NULL,
                .occurred_at = PQgetvalue(rows, i, B_OCCURRED),
                .intro = *intro,
            },
    };
    return *intro ? 0 : -1;
}

/* Inside the send transaction: every item's outcome but the unreachable
 * employees' (escalate_unreachable, after the COMMIT). 0 or -1. */
static int record(sb_prompt_t *p, PGresult *rows, sb_chat_batch_t *items, size_t n, char *errstr,
                  size_t errstr_size) {
    const char **ids = calloc(n + 1, sizeof(char *)), **chans = calloc(n + 1, sizeof(char *)),
               **tss = calloc(n + 1, sizeof(char *));
    sb_buf_t a = {0}, c = {0}, t = {0};
    size_t sent = 0;
    int rc = -1;

    if (!ids || !chans || !tss) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        sb_chat_batch_t *it = &items[i];
        const char *alert = PQgetvalue(rows, (int)i, B_ID);
        const char *employee = PQgetvalue(rows, (int)i, B_EMPLOYEE);
        if (it->user_found[0] &&
            sb_prompt_store_chat_id(p, employee, it->user_found, errstr, errstr_size) == -1)
            goto out;
        if (it->rc == 0) {
            ids[sent] = alert, chans[sent] = it->ref.channel, tss[sent++] = it->ref.ts;
            continue;
        }
        sb_metrics_count(p->metrics, SB_M_CHAT_ERRORS, it->err.code, 1);
        if ((it->err.retryable || !sb_prompt_unreachable(it->err.code)) &&
            sb_prompt_backoff(p, alert, employee, &it->err, errstr, errstr_size) == -1)
            goto out;
    }
    if (sent > 0) {
        if (array_of(&a, ids, sent) == -1 || array_of(&c, chans, sent) == -1 ||
            array_of(&t, tss, sent) == -1) {
            snprintf(errstr, errstr_size, "out of memory");
            goto out;
        }
        const char *params[] = {sb_buf_str(&a), sb_buf_str(&c), sb_buf_str(&t), p->worker};
        /* A crash from here to COMMIT sends these prompts again (the sweep). */
        if (sb_db_exec(p->db, SENT_BATCH_SQL, 4, params, errstr, errstr_size) == -1)
            goto out;
    }
    rc = 0;
out:
    sb_buf_free(&a), sb_buf_free(&c), sb_buf_free(&t);
    free(ids), free(chans), free(tss);
    return rc;
}

/* After the batch's COMMIT, in a statement of its own: queued alerts that
 * arrived for these employees while their questions were claimed and not
 * yet sent join them. Another replica's claim transaction leaves a fresh,
 * unsent claim alone (group.c), so this is where they join; a failure only
 * leaves them queued (asked after the question), never the sends undone. */
static void attach_late(sb_prompt_t *p, PGresult *rows, const sb_chat_batch_t *items, size_t n) {
    const char **ids, **emps;
    sb_buf_t a = {0}, e = {0};
    size_t k = 0;
    char why[512];

    if (p->coalesce_window_ms <= 0)
        return; /* no groups: nothing to join */
    ids = calloc(n + 1, sizeof(char *)), emps = calloc(n + 1, sizeof(char *));
    if (!ids || !emps)
        goto out;
    for (size_t i = 0; i < n; i++)
        if (items[i].rc == 0) {
            ids[k] = PQgetvalue(rows, (int)i, B_ID);
            emps[k++] = PQgetvalue(rows, (int)i, B_EMPLOYEE);
        }
    if (k > 0 &&
        (array_of(&a, ids, k) == -1 || array_of(&e, emps, k) == -1 ||
         sb_prompt_group_attach(p, sb_buf_str(&e), sb_buf_str(&a), why, sizeof(why)) == -1))
        sb_prompt_log(SB_LOG_WARN, NULL, NULL, "database",
                      a.err || e.err ? "out of memory attaching to the questions sent" : why);
out:
    sb_buf_free(&a), sb_buf_free(&e);
    free(ids), free(emps);
}

/* After the batch's COMMIT: each unreachable employee's alert escalated in
 * a transaction of its own, which waits for Kafka: a broker away then
 * fails that one alert (the sweep tries it again), never the record of
 * the prompts sent beside it. */
static void escalate_unreachable(sb_prompt_t *p, PGresult *rows, sb_chat_batch_t *items, size_t n) {
    char why[512];
    for (size_t i = 0; i < n; i++) {
        const char *alert = PQgetvalue(rows, (int)i, B_ID);
        int produced = 0;
        if (items[i].rc == 0 || items[i].err.retryable || !sb_prompt_unreachable(items[i].err.code))
            continue;
        if (sb_db_begin(p->db, why, sizeof(why)) == -1 ||
            sb_prompt_escalate_queue(p, alert, items[i].err.code, &produced, why, sizeof(why)) ==
                -1 ||
            sb_publish_commit(p->producer, produced, p->db, why, sizeof(why)) == -1) {
            sb_db_rollback(p->db);
            sb_prompt_log(SB_LOG_WARN, alert, PQgetvalue(rows, (int)i, B_EMPLOYEE), "escalation",
                          why);
        }
    }
}

int sb_prompt_deliver(sb_prompt_t *p, const char *const *ids, size_t nids, char *errstr,
                      size_t errstr_size) {
    sb_buf_t arr = {0};
    PGresult *rows = NULL;
    sb_chat_batch_t *items = NULL;
    char **intros = NULL;
    cJSON **details = NULL;
    size_t n = 0;
    int rc = -1;
    int64_t t0 = sb_time_monotonic_us(), t1 = t0, t2 = t0;

    if (nids == 0)
        return 0;
    if (array_of(&arr, ids, nids) == -1) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    const char *params[] = {sb_buf_str(&arr)};
    if (sb_db_begin(p->db, errstr, errstr_size) == -1)
        goto done;
    if (!(rows = sb_db_query(p->db, LOCK_BATCH_SQL, 1, params, errstr, errstr_size)))
        goto out;
    n = (size_t)PQntuples(rows);
    items = calloc(n + 1, sizeof(*items));
    intros = calloc(n + 1, sizeof(*intros));
    details = calloc(n + 1, sizeof(*details));
    if (!items || !intros || !details) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (item_of(p, rows, (int)i, &items[i], &intros[i], &details[i]) == -1) {
            snprintf(errstr, errstr_size, "out of memory expanding the template");
            goto out;
        }
    t1 = sb_time_monotonic_us();
    sb_chat_send_prompts(p->chat, items, n, p->max_in_flight);
    t2 = sb_time_monotonic_us();
    if (record(p, rows, items, n, errstr, errstr_size) == -1)
        goto out;
    if ((rc = sb_db_commit(p->db, errstr, errstr_size)) == 0)
        sb_log_debug("batch of %zu prompts: lock %.1f ms, chat %.1f ms, record %.1f ms", n,
                     (double)(t1 - t0) / 1e3, (double)(t2 - t1) / 1e3,
                     (double)(sb_time_monotonic_us() - t2) / 1e3);
    if (rc == 0) {
        for (size_t i = 0; i < n; i++)
            if (items[i].rc == 0)
                sb_prompt_log(SB_LOG_INFO, PQgetvalue(rows, (int)i, B_ID),
                              PQgetvalue(rows, (int)i, B_EMPLOYEE), NULL, "prompt sent");
        attach_late(p, rows, items, n);
        escalate_unreachable(p, rows, items, n);
    }
out:
    if (rc == -1)
        sb_db_rollback(p->db);
done:
    for (size_t i = 0; intros && details && i < n; i++) {
        free(intros[i]);
        cJSON_Delete(details[i]);
    }
    free(intros), free(details), free(items);
    PQclear(rows);
    sb_buf_free(&arr);
    return rc;
}

/* Employee ids are decimal (the schema says so); anything else is left
 * to the one-at-a-time path, which reports it. */
static int decimal(const char *s) {
    if (!*s || strlen(s) > 19)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

int sb_prompt_wake_batch(sb_prompt_t *p, const char *const *employees, size_t n, char *errstr,
                         size_t errstr_size) {
    sb_buf_t arr = {0}, ask_ats = {0};
    sb_prompt_when_t when;
    char **ids = NULL, why[512];
    size_t nids = 0;
    int rc = -1, odd = 0;

    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        odd |= !decimal(employees[i]);
    if (sb_db_ensure(p->db, errstr, errstr_size) == -1)
        return -1;
    if (odd || array_of(&arr, employees, n) == -1)
        goto one_by_one;
    int64_t t0 = sb_time_monotonic_us();
    if (when_all(p, sb_buf_str(&arr), employees, n, &when, &ask_ats, errstr, errstr_size) == -1) {
        sb_buf_free(&arr);
        sb_buf_free(&ask_ats);
        return -1;
    }
    rc = claim_all(p, sb_buf_str(&arr), &when, sb_buf_str(&ask_ats), &ids, &nids, errstr,
                   errstr_size);
    sb_log_debug("claimed %zu alerts for %zu employees in %.1f ms", nids, n,
                 (double)(sb_time_monotonic_us() - t0) / 1e3);
    sb_buf_free(&arr);
    sb_buf_free(&ask_ats);
    if (rc == 1)
        goto one_by_one;
    if (rc == -1)
        return -1;
    /* The claims are durable: from here on a failure is the sweep's. */
    if (sb_prompt_deliver(p, (const char *const *)ids, nids, why, sizeof(why)) == -1)
        sb_prompt_log(SB_LOG_WARN, NULL, NULL, "database", why);
    for (size_t i = 0; i < nids; i++)
        free(ids[i]);
    free(ids);
    return 0;
one_by_one:
    sb_buf_free(&arr);
    for (size_t i = 0; i < n; i++)
        if (sb_prompt_wake(p, employees[i], errstr, errstr_size) == -1)
            return -1;
    return 0;
}
