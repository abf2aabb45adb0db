/* digest: the scheduled report in the security channel. */

/* Periods are aligned on the epoch (24h: midnight UTC); when one ends, the
 * first replica to get the advisory lock posts the report of the period
 * that ended and records it in `digests`, so each period is posted once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escalation.h"
#include "sb_buf.h"
#include "sb_log.h"
#include "sb_report.h"
#include "sb_time.h"

/* Replicas take turns on this; the loser skips (no waiting). */
static const char *const LOCK_SQL = "SELECT pg_try_advisory_xact_lock(hashtext('sb-digest'))";
static const char *const DONE_SQL =
    "SELECT count(*) FROM digests WHERE period_start = to_timestamp($1::double precision)";
static const char *const RECORD_SQL =
    "INSERT INTO digests (period_start, period_end, posted_by)"
    " VALUES (to_timestamp($1::double precision), to_timestamp($2::double precision), $3)"
    " ON CONFLICT (period_start) DO NOTHING";
/* The audit chain's end, posted with the digest: a copy outside the
 * database that `sbctl audit verify` and an export can be held against. */
static const char *const HEAD_SQL =
    "SELECT 'audit chain: ' || seq || ' rows, latest hash ' || encode(hash, 'hex')"
    " FROM audit_chain_head";

static int one(sb_db_t *db, const char *sql, int n, const char *const *params, char *errstr,
               size_t errstr_size) {
    PGresult *res = sb_db_query(db, sql, n, params, errstr, errstr_size);
    int v = -1;
    if (res && PQntuples(res) == 1) {
        const char *s = PQgetvalue(res, 0, 0);
        v = !strcmp(s, "t") ? 1 : !strcmp(s, "f") ? 0 : atoi(s);
    }
    PQclear(res);
    return v;
}

/* The text for the channel: a title line, the report in a code block and
 * the audit chain's head (may be NULL). */
static char *digest_text(const char *report, const char *head, int64_t from_us, int64_t to_us) {
    char from[40], to[40];
    sb_buf_t b = {0};
    sb_time_format_us(from_us, from, sizeof(from));
    sb_time_format_us(to_us, to, sizeof(to));
    sb_buf_addf(&b, "*securitybot digest* %s to %s\n```\n", from, to);
    sb_buf_add_text(&b, report, SB_CHAT_TEXT_MAX - 200, SB_BUF_ENTITIES);
    sb_buf_add(&b, "\n```", 4);
    if (head)
        sb_buf_addf(&b, "\n`%s`", head);
    return sb_buf_take(&b); /* NULL when out of memory */
}

int sb_esc_digest(sb_esc_t *e, char *errstr, size_t errstr_size) {
    int64_t period_us, end_us, start_us;
    char start[32], end[32];
    const char *params[] = {start, end, e->worker};
    char *report = NULL, *text = NULL;
    PGresult *head = NULL;
    int rc = -1, got;

    if (!e->security_channel || e->digest_every_ms <= 0) /* off: no period to divide by */
        return 0;
    period_us = e->digest_every_ms * 1000;
    end_us = sb_time_now_us() / period_us * period_us;
    start_us = end_us - period_us;
    if (end_us <= e->digest_done_us) /* this replica saw it posted already */
        return 0;
    snprintf(start, sizeof(start), "%.6f", (double)start_us / 1e6);
    snprintf(end, sizeof(end), "%.6f", (double)end_us / 1e6);
    if (sb_db_begin(e->db, errstr, errstr_size) == -1)
        return -1;
    if ((got = one(e->db, LOCK_SQL, 0, NULL, errstr, errstr_size)) != 1) {
        rc = got == 0 ? sb_db_commit(e->db, errstr, errstr_size) : -1; /* another replica */
        goto out;
    }
    if ((got = one(e->db, DONE_SQL, 1, params, errstr, errstr_size)) != 0) {
        if (got > 0) {
            e->digest_done_us = end_us;
            rc = sb_db_commit(e->db, errstr, errstr_size);
        }
        goto out;
    }
    if (!(report = sb_report_build(e->db, start_us, end_us, SB_REPORT_TEXT, e->console_url, errstr,
                                   errstr_size)))
        goto out;
    if (!(head = sb_db_query(e->db, HEAD_SQL, 0, NULL, errstr, errstr_size)))
        goto out;
    if (!(text = digest_text(report, PQntuples(head) ? PQgetvalue(head, 0, 0) : NULL, start_us,
                             end_us))) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    sb_chat_error_t err = {0};
    if (sb_chat_post_channel(e->chat, e->security_channel, text, &err) == -1) {
        sb_metrics_count(e->metrics, SB_M_CHAT_ERRORS, err.code, 1);
        snprintf(errstr, errstr_size, "digest not posted: %s", err.msg);
        goto out;
    }
    if (sb_db_exec(e->db, RECORD_SQL, 3, params, errstr, errstr_size) == -1 ||
        sb_db_commit(e->db, errstr, errstr_size) == -1)
        goto out;
    e->digest_done_us = end_us;
    sb_log_info("digest for %s .. %s posted in %s", start, end, e->security_channel);
    rc = 0;
out:
    if (rc == -1)
        sb_db_rollback(e->db);
    PQclear(head);
    free(text);
    free(report);
    return rc;
}
