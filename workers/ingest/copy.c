/* copy: sb-ingest's fast path, a batch loaded with COPY after one query resolves its employees. */

/* The recording statement (record.c) does everything in one statement:
 * unnest the batch, DISTINCT ON its ids, resolve each alert's employee,
 * ignore rules and recent confirmations, insert ON CONFLICT DO NOTHING and
 * return the inserted rows. For the common batch (fresh alerts, no rule or
 * confirmation to apply) most of that is work COPY does not do (issue 17,
 * section 3): here C deduplicates and orders the batch, one query resolves
 * its distinct (user, rule) pairs, and COPY loads the rows. Anything else
 * (an alert recorded before, a dead letter, a rule to apply, any failure)
 * is left to the statement, which stays the one complete description of
 * what recording means. */
#include "copy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sb_buf.h"
#include "sb_log.h"

/* Per distinct (user, rule) pair, in the order given ($1 users, $2 rules,
 * $3 the confirmation backoff in milliseconds, 0: off): the employee (NULL:
 * none), whether they opted out, and whether the statement must decide
 * (an active ignore rule for this rule or '*', or a confirmation within the
 * backoff for this rule; title and severity are left to the statement). */
static const char *const RESOLVE_SQL =
    "SELECT e.id, e.opted_out,"
    "  e.id IS NOT NULL AND NOT e.opted_out AND ("
    /* as in the statement: one hashed lookup, a probe only for employees
     * who have an active rule at all */
    "    (e.id IN (SELECT employee_id FROM ignore_rules WHERE until > now())"
    "     AND EXISTS (SELECT 1 FROM ignore_rules r WHERE r.employee_id = e.id"
    "                 AND r.rule IN (u.rule, '*') AND r.until > now()))"
    "    OR ($3::int8 > 0 AND EXISTS (SELECT 1 FROM alerts p"
    "        WHERE p.employee_id = e.id AND p.rule = u.rule"
    "          AND p.outcome = 'confirmed' AND p.second_factor = 'passed'"
    "          AND p.decided_at > now() - $3::int8 * interval '1 millisecond')))"
    " FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(usr, rule, n)"
    " LEFT JOIN employee_identities ei ON ei.identity = lower(u.usr)"
    " LEFT JOIN employees e ON e.id = ei.employee_id"
    " ORDER BY u.n";

/* The columns the rows below fill, in order; the others keep their
 * defaults (NULL outcome, decided_at and recent_confirmation, as the
 * statement writes for a queued or escalated alert). */
static const char *const COPY_SQL =
    "COPY alerts (id, source, rule, title, username, detector_id, description, severity, url,"
    " details, occurred_at, raw, employee_id, status, status_reason, src_topic, src_partition,"
    " src_offset) FROM STDIN";

/* The recording statement's result columns, which produce() reads. */
static const char *const MADE_COLUMNS[] = {
    "id",   "employee_id", "status",      "status_reason",      "severity",
    "rule", "title",       "occurred_at", "recent_confirmation"};
#define NMADE (sizeof(MADE_COLUMNS) / sizeof(MADE_COLUMNS[0]))

typedef struct {
    sb_ingest_item_t *it;
    size_t pair; /* its (user, rule) in the resolution */
} ref_t;

static int by_id_then_position(const void *a, const void *b) {
    const sb_ingest_item_t *x = ((const ref_t *)a)->it, *y = ((const ref_t *)b)->it;
    int c = strcmp(x->id, y->id);
    if (c)
        return c;
    if (x->m->partition != y->m->partition)
        return x->m->partition < y->m->partition ? -1 : 1;
    return x->m->offset < y->m->offset ? -1 : x->m->offset > y->m->offset;
}

static int by_id(const void *a, const void *b) {
    return strcmp(((const ref_t *)a)->it->id, ((const ref_t *)b)->it->id);
}

static int by_user_rule(const void *a, const void *b) {
    const sb_alert_t *x = &((const ref_t *)a)->it->alert, *y = &((const ref_t *)b)->it->alert;
    int c = strcmp(x->user, y->user);
    return c ? c : strcmp(x->rule, y->rule);
}

/* The lane's items, deduplicated by id keeping the lowest partition and
 * offset (as the statement's DISTINCT ON), in id order, each with its pair
 * number; the pairs' users and rules added to users and rules in pair
 * order, their count in *npairs. NULL (and *count 0) when the lane has
 * fewer than SB_INGEST_COPY_MIN alerts or holds a refused item, or out of
 * memory. */
static ref_t *lane_refs(sb_ingest_item_t *items, size_t n, size_t lane, size_t nlanes,
                        sb_db_array_t *users, sb_db_array_t *rules, size_t *count, size_t *npairs) {
    ref_t *refs = malloc((n ? n : 1) * sizeof(*refs));
    size_t k = 0, m = 0;

    *count = *npairs = 0;
    if (!refs)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if ((size_t)items[i].m->partition % nlanes != lane)
            continue;
        if (items[i].reject != SB_REJECT_NONE) {
            free(refs); /* a dead letter goes with the statement */
            return NULL;
        }
        refs[k++].it = &items[i];
    }
    if (k < SB_INGEST_COPY_MIN) {
        free(refs);
        return NULL;
    }
    qsort(refs, k, sizeof(*refs), by_id_then_position);
    for (size_t i = 0; i < k; i++)
        if (m == 0 || strcmp(refs[m - 1].it->id, refs[i].it->id) != 0)
            refs[m++] = refs[i];
    qsort(refs, m, sizeof(*refs), by_user_rule);
    for (size_t i = 0; i < m; i++) {
        const sb_alert_t *a = &refs[i].it->alert;
        if (i == 0 || by_user_rule(&refs[i - 1], &refs[i]) != 0) {
            sb_db_array_add(users, a->user, strlen(a->user));
            sb_db_array_add(rules, a->rule, strlen(a->rule));
            (*npairs)++;
        }
        refs[i].pair = *npairs - 1;
    }
    qsort(refs, m, sizeof(*refs), by_id); /* the statement's insert order: no deadlocks */
    *count = m;
    return refs;
}

/* The resolution of the pairs (rows in pair order), or NULL when it failed
 * or some pair needs the statement. */
static PGresult *resolve(sb_ingest_t *ing, sb_db_t *db, sb_db_array_t *users, sb_db_array_t *rules,
                         size_t npairs) {
    const char *values[3];
    int lengths[3] = {0, 0, 0}, formats[3] = {1, 1, 0};
    char backoff_ms[24], why[512];
    PGresult *res;

    if (!(values[0] = sb_db_array_finish(users, &lengths[0])) ||
        !(values[1] = sb_db_array_finish(rules, &lengths[1])))
        return NULL;
    snprintf(backoff_ms, sizeof(backoff_ms), "%lld", (long long)ing->confirm_backoff_ms);
    values[2] = backoff_ms;
    if (!(res = sb_db_query_prepared(db, "sb_ingest_resolve", RESOLVE_SQL, 3, values, lengths,
                                     formats, why, sizeof(why)))) {
        sb_log_debug("fast path: resolving failed (%s)", why);
        return NULL;
    }
    if ((size_t)PQntuples(res) != npairs || PQnfields(res) != 3) {
        PQclear(res);
        return NULL;
    }
    for (int p = 0; p < PQntuples(res); p++)
        if (PQgetvalue(res, p, 2)[0] == 't') {
            PQclear(res); /* a rule or a confirmation to apply: the statement's */
            return NULL;
        }
    return res;
}

/* s[0..len) as a field of COPY's text format (NULL: \N). */
static void copy_field(sb_buf_t *b, const char *s, size_t len) {
    size_t from = 0;
    if (!s) {
        sb_buf_add(b, "\\N", 2);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        const char *esc;
        switch (s[i]) {
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default: continue;
        }
        sb_buf_add(b, s + from, i - from);
        sb_buf_add(b, esc, 2);
        from = i + 1;
    }
    sb_buf_add(b, s + from, len - from);
}

static void copy_str(sb_buf_t *b, const char *s, char sep) {
    copy_field(b, s, s ? strlen(s) : 0);
    sb_buf_add(b, &sep, 1);
}

/* One alert's COPY line, and its row of the result. */
static int add_row(sb_ingest_t *ing, sb_buf_t *b, PGresult *made, int row,
                   const sb_ingest_item_t *it, const char *employee, int opted_out) {
    const sb_alert_t *a = &it->alert;
    const char *status = !employee || opted_out ? "escalation_requested" : "queued";
    const char *reason = !employee ? "unknown_employee" : opted_out ? "opted_out" : NULL;
    const char *cols[NMADE] = {it->id,   employee,           status, reason, a->severity, a->rule,
                               a->title, a->occurred_at_utc, NULL};
    char *details = a->details ? cJSON_PrintUnformatted(a->details) : NULL;
    char num[48];

    if (a->details && !details)
        return -1;
    copy_str(b, it->id, '\t');
    copy_str(b, a->source, '\t');
    copy_str(b, a->rule, '\t');
    copy_str(b, a->title, '\t');
    copy_str(b, a->user, '\t');
    copy_str(b, a->id, '\t');
    copy_str(b, a->description, '\t');
    copy_str(b, a->severity, '\t');
    copy_str(b, a->url, '\t');
    copy_str(b, details, '\t');
    copy_str(b, a->occurred_at_utc, '\t');
    copy_field(b, it->m->payload, it->m->len);
    sb_buf_add(b, "\t", 1);
    copy_str(b, employee, '\t');
    copy_str(b, status, '\t');
    copy_str(b, reason, '\t');
    copy_str(b, ing->topic_alerts, '\t');
    snprintf(num, sizeof(num), "%d\t%lld\n", (int)it->m->partition, (long long)it->m->offset);
    sb_buf_add_str(b, num);
    free(details);
    for (size_t c = 0; c < NMADE; c++)
        if (!PQsetvalue(made, row, (int)c, (char *)cols[c], cols[c] ? (int)strlen(cols[c]) : -1))
            return -1;
    return 0;
}

/* An empty result with the statement's columns, all text. */
static PGresult *made_new(void) {
    PGresAttDesc attrs[NMADE];
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    if (!res)
        return NULL;
    for (size_t c = 0; c < NMADE; c++)
        attrs[c] = (PGresAttDesc){.name = (char *)MADE_COLUMNS[c],
                                  .typid = SB_DB_OID_TEXT,
                                  .typlen = -1,
                                  .atttypmod = -1};
    if (!PQsetResultAttrs(res, (int)NMADE, attrs)) {
        PQclear(res);
        return NULL;
    }
    return res;
}

int sb_ingest_copy_prepare(sb_ingest_t *ing, sb_db_t *db, sb_ingest_item_t *items, size_t n,
                           size_t lane, size_t nlanes, sb_buf_t *rows, PGresult **made) {
    size_t count, npairs;
    sb_db_array_t users, rules;
    ref_t *refs;
    PGresult *res = NULL;
    int rc = 0;

    sb_buf_reset(rows);
    *made = NULL;
    sb_db_array_init(&users, SB_DB_OID_TEXT);
    sb_db_array_init(&rules, SB_DB_OID_TEXT);
    refs = lane_refs(items, n, lane, nlanes, &users, &rules, &count, &npairs);
    if (!refs || !(res = resolve(ing, db, &users, &rules, npairs)) || !(*made = made_new()))
        goto out;
    for (size_t i = 0; i < count; i++) {
        int r = (int)refs[i].pair;
        const char *employee = PQgetisnull(res, r, 0) ? NULL : PQgetvalue(res, r, 0);
        if (add_row(ing, rows, *made, (int)i, refs[i].it, employee,
                    PQgetvalue(res, r, 1)[0] == 't') == -1)
            goto out;
    }
    rc = !rows->err;
out:
    if (!rc) {
        PQclear(*made);
        *made = NULL;
        sb_buf_reset(rows);
    }
    PQclear(res);
    free(refs);
    sb_db_array_free(&users);
    sb_db_array_free(&rules);
    return rc;
}

int sb_ingest_copy_send(sb_db_t *db, const sb_buf_t *rows) {
    char why[512];
    if (sb_db_copy_send(db, COPY_SQL, rows->s, rows->len, why, sizeof(why)) == 0)
        return 0;
    sb_log_debug("fast path: COPY did not start (%s)", why);
    return -1;
}
