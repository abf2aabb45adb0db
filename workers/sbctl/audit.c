/* audit: `sbctl audit verify|export`, the audit log's hash chain checked and copied out. */

/* Every audit_log row has a row in audit_chain: seq (its place, in commit
 * order), content_hash (SHA-256 of its content) and chain_hash (SHA-256 of
 * the previous place's chain_hash followed by its content_hash); see
 * schemas/sql/0011_audit_chain.sql. verify recomputes both, row by row in
 * chain order, and names the first row where the chain breaks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_crypto.h"
#include "sb_signal.h"
#include "sb_time.h"
#include "sbctl.h"

static const char USAGE[] =
    "Usage: sbctl audit verify [--since T]\n"
    "       sbctl audit export [--since T]\n\n"
    "The audit log is a hash chain: each row carries the SHA-256 of its content\n"
    "and of the previous row's hash, in commit order, so an edited, deleted or\n"
    "re-ordered row breaks the chain from there on. sb-escalation seals the rows\n"
    "committed since its last tick (SECURITYBOT_TIMER_EVERY) into the chain.\n\n"
    "verify recomputes every row's content hash and its link to the row before,\n"
    "in chain order, up to the chain's head as it was when verify started; it\n"
    "prints how many rows it checked and the latest hash, or the id of the first\n"
    "broken row and why (exit 1). --since starts at the first row written since T\n"
    "(its predecessor's hash is taken as it is).\n\n"
    "export writes the rows as JSON lines in chain order (id, chain_seq, at, actor,\n"
    "action, alert_id, employee_id, detail, content_hash, prev_hash, chain_hash),\n"
    "so a copy kept outside the database can prove what was there: each line's\n"
    "chain_hash is SHA-256(prev_hash || content_hash) of the hex-decoded hashes,\n"
    "and the digest in the security channel posts the latest chain hash.\n"
    "T: a duration back from now (24h, 7d, 90m) or an RFC 3339 time.\n"
    "Exit codes: 0 ok, 1 the chain is broken (or failed), 2 usage, 3 unavailable.\n";

#define PAGE 5000 /* rows per query */

static const char *const HEAD_SQL = "SELECT seq::text, encode(hash, 'hex') FROM audit_chain_head";

/* $1 since: the chain position of the first row written since then. */
static const char *const START_SQL =
    "SELECT coalesce(min(c.seq), 0)::text FROM audit_chain c JOIN audit_log a ON a.id = c.audit_id"
    " WHERE a.at >= $1::timestamptz";

/* $1 position: the chain hash there (no row: the position is missing). */
static const char *const AT_SQL =
    "SELECT encode(chain_hash, 'hex') FROM audit_chain WHERE seq = $1::bigint";

/* $1 after this position, $2 up to the head's, $3 page size. */
static const char *const VERIFY_SQL =
    "SELECT c.audit_id::text, c.seq::text, encode(c.content_hash, 'hex'),"
    "  encode(c.chain_hash, 'hex'), CASE WHEN a.id IS NULL THEN 'missing'"
    "    WHEN audit_log_content_hash(a) = c.content_hash THEN 'same' ELSE 'changed' END"
    " FROM audit_chain c LEFT JOIN audit_log a ON a.id = c.audit_id"
    " WHERE c.seq > $1::bigint AND c.seq <= $2::bigint ORDER BY c.seq LIMIT $3::int";
enum { V_ID, V_SEQ, V_CONTENT, V_CHAIN, V_ROW };

/* $1 since (NULL: all): a row with no place in the chain and not waiting
 * for one: written with the chain's triggers disabled. */
static const char *const UNCHAINED_SQL =
    "SELECT a.id::text FROM audit_log a WHERE ($1::timestamptz IS NULL OR a.at >= $1)"
    "  AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.audit_id = a.id)"
    "  AND NOT EXISTS (SELECT 1 FROM audit_pending p WHERE p.audit_id = a.id)"
    " ORDER BY a.id LIMIT 1";

/* Rows committed and not sealed yet (sb-escalation seals them every tick). */
static const char *const PENDING_SQL = "SELECT count(*)::text FROM audit_pending";

/* clang-format off */
static const char *const EXPORT_SQL =
    "SELECT c.seq::text, jsonb_build_object('id', c.audit_id, 'chain_seq', c.seq,"
    "  'at', " SBCTL_TS("a.at") ", 'actor', a.actor, 'action', a.action,"
    "  'alert_id', a.alert_id, 'employee_id', a.employee_id, 'detail', a.detail,"
    "  'content_hash', encode(c.content_hash, 'hex'),"
    "  'prev_hash', CASE WHEN c.seq = 1 THEN repeat('0', 64) ELSE encode(p.chain_hash, 'hex') END,"
    "  'chain_hash', encode(c.chain_hash, 'hex'))::text"
    " FROM audit_chain c LEFT JOIN audit_log a ON a.id = c.audit_id"
    " LEFT JOIN audit_chain p ON p.seq = c.seq - 1"
    " WHERE c.seq > $1::bigint AND c.seq <= $2::bigint ORDER BY c.seq LIMIT $3::int";
/* clang-format on */

typedef struct {
    long long seq;                    /* the last position checked */
    char hash[SB_SHA256_HEX_LEN + 1]; /* its chain hash, hex */
    long long head_seq;               /* where the chain ended when we started */
    char head_hash[SB_SHA256_HEX_LEN + 1];
    long long rows;
} walk_t;

/* 0, or -1 when hex is not 64 hex digits. */
static int unhex(const char *hex, unsigned char out[32]) {
    if (strlen(hex) != 64)
        return -1;
    for (int i = 0; i < 32; i++) {
        int hi = sb_hex_value(hex[2 * i]), lo = sb_hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

/* 1 when chain == SHA-256(prev || content), all hex. */
static int links(const char *prev, const char *content, const char *chain) {
    unsigned char buf[64];
    char hex[SB_SHA256_HEX_LEN + 1];
    if (unhex(prev, buf) == -1 || unhex(content, buf + 32) == -1 ||
        sb_sha256_hex(buf, sizeof(buf), hex) == -1)
        return 0;
    return strcmp(hex, chain) == 0;
}

/* One value of a one-row query into out, its parameter $1 (may be NULL)
 * when nparams is 1; 1 found, 0 no row, -1 failed (printed). */
static int one(sbctl_t *ctl, const char *cmd, const char *sql, int nparams, const char *param,
               char *out, size_t size, int *rc) {
    char errstr[512];
    const char *params[] = {param};
    PGresult *res = sb_db_query(ctl->db, sql, nparams, params, errstr, sizeof(errstr));
    int found;
    if (!res) {
        *rc = sbctl_db_failed(ctl, cmd, errstr);
        return -1;
    }
    found = PQntuples(res) > 0;
    if (found)
        snprintf(out, size, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return found;
}

/* Where the walk starts (w->seq, w->hash) and ends (the head); SBCTL_OK, or
 * an exit status (printed). A missing predecessor of the start is a break,
 * printed when report (verify's output; export's is JSON lines). */
static int start(sbctl_t *ctl, const char *cmd, const char *since, int report, walk_t *w) {
    char errstr[512], pos[32];
    int rc = SBCTL_FAIL, got;
    PGresult *res = sb_db_query(ctl->db, HEAD_SQL, 0, NULL, errstr, sizeof(errstr));
    if (!res)
        return sbctl_db_failed(ctl, cmd, errstr);
    if (PQntuples(res) != 1) {
        PQclear(res);
        fprintf(stderr, "sbctl %s: the chain's head (audit_chain_head) is missing its row\n", cmd);
        return SBCTL_FAIL;
    }
    w->head_seq = atoll(PQgetvalue(res, 0, 0));
    snprintf(w->head_hash, sizeof(w->head_hash), "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    memset(w->hash, '0', SB_SHA256_HEX_LEN);
    w->hash[SB_SHA256_HEX_LEN] = '\0';
    w->seq = 0;
    if (!since)
        return SBCTL_OK;
    if (one(ctl, cmd, START_SQL, 1, since, pos, sizeof(pos), &rc) != 1)
        return rc;
    w->seq = atoll(pos) - 1;
    if (w->seq <= 0) {
        w->seq = atoll(pos) == 0 ? w->head_seq : 0; /* nothing since: an empty walk */
        return SBCTL_OK;
    }
    snprintf(pos, sizeof(pos), "%lld", w->seq);
    if ((got = one(ctl, cmd, AT_SQL, 1, pos, w->hash, sizeof(w->hash), &rc)) == 1)
        return SBCTL_OK;
    if (got == 0 && report)
        printf("audit chain broken before chain position %lld: the row at %s is missing\n",
               w->seq + 1, pos);
    return SBCTL_FAIL;
}

/* Checks one row; 0, or -1 after printing why the chain breaks there. */
static int check_row(walk_t *w, PGresult *res, int r) {
    const char *id = PQgetvalue(res, r, V_ID);
    long long seq = atoll(PQgetvalue(res, r, V_SEQ));
    const char *why = NULL;
    const char *row = PQgetvalue(res, r, V_ROW);
    if (seq != w->seq + 1)
        why = "the place before it in the chain is missing (deleted)";
    else if (!strcmp(row, "missing"))
        why = "the row is missing (deleted)";
    else if (strcmp(row, "same") != 0)
        why = "its content does not match its hash (edited)";
    else if (!links(w->hash, PQgetvalue(res, r, V_CONTENT), PQgetvalue(res, r, V_CHAIN)))
        why = "it does not follow the row before it (re-ordered, or the chain rewritten)";
    if (why) {
        printf("audit chain broken at row id %s (chain position %lld): %s\n", id, seq, why);
        return -1;
    }
    w->seq = seq;
    snprintf(w->hash, sizeof(w->hash), "%s", PQgetvalue(res, r, V_CHAIN));
    w->rows++;
    return 0;
}

/* The next page of rows after w->seq up to the head; NULL (printed) on failure. */
static PGresult *page(sbctl_t *ctl, const char *cmd, const char *sql, const walk_t *w, int *rc) {
    char after[32], head[32], limit[16], errstr[512];
    const char *params[] = {after, head, limit};
    PGresult *res;
    snprintf(after, sizeof(after), "%lld", w->seq);
    snprintf(head, sizeof(head), "%lld", w->head_seq);
    snprintf(limit, sizeof(limit), "%d", PAGE);
    if (!(res = sb_db_query(ctl->db, sql, 3, params, errstr, sizeof(errstr))))
        *rc = sbctl_db_failed(ctl, cmd, errstr);
    return res;
}

/* The rows up to the head; SBCTL_OK, or SBCTL_FAIL at the first break (printed). */
static int walk(sbctl_t *ctl, walk_t *w) {
    int rc = SBCTL_OK, n;
    do {
        PGresult *res = page(ctl, "audit verify", VERIFY_SQL, w, &rc);
        if (!res)
            return rc;
        n = PQntuples(res);
        for (int r = 0; r < n && rc == SBCTL_OK; r++)
            if (check_row(w, res, r) == -1)
                rc = SBCTL_FAIL;
        PQclear(res);
    } while (rc == SBCTL_OK && n == PAGE && sb_running);
    if (rc == SBCTL_OK && !sb_running) {
        fprintf(stderr, "sbctl audit verify: interrupted after %lld rows\n", w->rows);
        return SBCTL_FAIL;
    }
    if (rc == SBCTL_OK && w->seq != w->head_seq) {
        printf("audit chain broken at its end: the head is at chain position %lld, the last row "
               "at %lld (rows at the end were deleted)\n",
               w->head_seq, w->seq);
        return SBCTL_FAIL;
    }
    if (rc == SBCTL_OK && w->seq > 0 && strcmp(w->hash, w->head_hash) != 0) {
        printf("audit chain broken at its end: the last row's hash is not the head's\n");
        return SBCTL_FAIL;
    }
    return rc;
}

/* SBCTL_OK when every row has its place in the chain; else the first that
 * has none is printed (SBCTL_FAIL). */
static int unchained(sbctl_t *ctl, const char *since) {
    char id[32];
    int rc = SBCTL_FAIL,
        got = one(ctl, "audit verify", UNCHAINED_SQL, 1, since, id, sizeof(id), &rc);
    if (got == 1)
        printf("audit chain broken at row id %s: it has no place in the chain (written with the "
               "chain's triggers disabled)\n",
               id);
    return got == 0 ? SBCTL_OK : rc;
}

static int cmd_verify(sbctl_t *ctl, int argc, char **argv) {
    const char *since = NULL, *pos[1];
    const sbctl_opt_t opts[] = {{"--since", &since, NULL}};
    char since_buf[32], pending[32];
    int64_t since_us;
    walk_t w = {0};
    int npos, rc;

    if (sbctl_parse_opts("audit verify", argc, argv, 2, opts, 1, pos, 0, &npos) == -1 ||
        (since && sbctl_parse_time("audit verify", "--since", since, sb_time_now_us(), &since_us,
                                   since_buf, sizeof(since_buf)) == -1))
        return SBCTL_USAGE;
    if (!sbctl_db(ctl))
        return SBCTL_UNAVAILABLE;
    if ((rc = start(ctl, "audit verify", since ? since_buf : NULL, 1, &w)) != SBCTL_OK)
        return rc;
    long long first = w.seq + 1;
    if ((rc = walk(ctl, &w)) != SBCTL_OK ||
        (rc = unchained(ctl, since ? since_buf : NULL)) != SBCTL_OK)
        return rc;
    if (w.rows == 0)
        printf("audit chain verified: no rows%s\n", since ? " since then" : "");
    else
        printf("audit chain verified: %lld rows (chain positions %lld to %lld), latest hash %s\n",
               w.rows, first, w.seq, w.hash);
    if (one(ctl, "audit verify", PENDING_SQL, 0, NULL, pending, sizeof(pending), &rc) != 1)
        return rc;
    if (strcmp(pending, "0") != 0)
        printf("%s newer row(s) not sealed yet (sb-escalation seals them every tick; sealed, "
               "they are checked by the next verify)\n",
               pending);
    return SBCTL_OK;
}

static int cmd_export(sbctl_t *ctl, int argc, char **argv) {
    const char *since = NULL, *pos[1];
    const sbctl_opt_t opts[] = {{"--since", &since, NULL}};
    char since_buf[32];
    int64_t since_us;
    walk_t w = {0};
    int npos, rc, n;

    if (sbctl_parse_opts("audit export", argc, argv, 2, opts, 1, pos, 0, &npos) == -1 ||
        (since && sbctl_parse_time("audit export", "--since", since, sb_time_now_us(), &since_us,
                                   since_buf, sizeof(since_buf)) == -1))
        return SBCTL_USAGE;
    if (!sbctl_db(ctl))
        return SBCTL_UNAVAILABLE;
    /* a missing start is for verify to report; export writes what is there */
    if ((rc = start(ctl, "audit export", since ? since_buf : NULL, 0, &w)) == SBCTL_UNAVAILABLE)
        return rc;
    rc = SBCTL_OK;
    do {
        PGresult *res = page(ctl, "audit export", EXPORT_SQL, &w, &rc);
        if (!res)
            return rc;
        n = PQntuples(res);
        for (int r = 0; r < n; r++)
            puts(PQgetvalue(res, r, 1));
        if (n > 0)
            w.seq = atoll(PQgetvalue(res, n - 1, 0));
        PQclear(res);
    } while (n == PAGE && sb_running);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "sbctl audit export: cannot write the output\n");
        return SBCTL_FAIL;
    }
    if (!sb_running) {
        fprintf(stderr, "sbctl audit export: interrupted; the output is incomplete\n");
        return SBCTL_FAIL;
    }
    return SBCTL_OK;
}

int sbctl_cmd_audit(sbctl_t *ctl, int argc, char **argv) {
    static const sbctl_sub_t subs[] = {
        {"verify", cmd_verify},
        {"export", cmd_export},
    };
    return sbctl_dispatch(ctl, argc, argv, USAGE, subs, sizeof(subs) / sizeof(subs[0]));
}
