/* dlq: `sbctl dlq list|replay`, the dead letters sb-ingest kept. */

/* The dead_letters table, and their re-publication to <prefix>alerts once
 * the cause is fixed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_crypto.h"
#include "sb_kafka.h"
#include "sb_signal.h"
#include "sb_utf8.h"
#include "sb_time.h"
#include "sbctl.h"

static const char USAGE[] =
    "Usage: sbctl dlq list [--since T] [--reason R] [--limit N] [--format text|json]\n"
    "       sbctl dlq replay [--since T] [--reason R] [--limit N] [--again] [--dry-run]\n\n"
    "list prints the dead letters, most recent first (default limit 100): why each\n"
    "was refused, where it came from, its size and whether it was replayed. JSON\n"
    "adds the original (as text, or base64 with \"original_encoding\" when it is\n"
    "not UTF-8 text) and its key.\n\n"
    "replay publishes each selected dead letter's original bytes, with its key,\n"
    "to <prefix>alerts again, in topic, partition and offset order; once the\n"
    "broker has acknowledged them they are marked replayed (and audited). A\n"
    "replayed letter is skipped unless --again is given. --dry-run prints what\n"
    "would be replayed and changes nothing. sb-ingest then records or refuses\n"
    "them as new messages (a refused one becomes a new dead letter).\n"
    "--since: a duration back from now (24h, 7d) or an RFC 3339 time, on\n"
    "rejected_at. Letters of a failed batch stay unmarked, so the next replay\n"
    "sends them again (the alert id makes a repeat the same alert).\n"
    "Exit codes: 0 ok, 1 a letter the producer refuses (or interrupted),\n"
    "2 usage, 3 Kafka or PostgreSQL unavailable.\n";

#define LIST_MAX   10000
#define REPLAY_MAX 1000000
#define BATCH      500 /* dead letters per transaction and flush */
#define FLUSH_MS   15000

/* $1 reason, $2 since (NULL: any), $3 limit, $4 with the original and key. */
/* clang-format off */
static const char *const LIST_SQL =
    "SELECT src_topic, src_partition::text, src_offset::text, reason, detail, rejected_by,"
    "  " SBCTL_TS("rejected_at") ", " SBCTL_TS("replayed_at") ", length(original)::text,"
    "  CASE WHEN $4::boolean THEN original END, CASE WHEN $4::boolean THEN msg_key END"
    " FROM dead_letters"
    " WHERE ($1::text IS NULL OR reason = $1) AND ($2::timestamptz IS NULL OR rejected_at >= $2)"
    " ORDER BY rejected_at DESC, src_topic, src_partition, src_offset LIMIT $3::int + 1";
/* clang-format on */
static const char *const LIST_KEYS[] = {"topic",  "partition",   "offset",      "reason",
                                        "detail", "rejected_by", "rejected_at", "replayed_at"};

/* $1 reason, $2 since, $3 again, $4-$6 after this position, $7 limit. The
 * lock keeps two replays from sending one letter twice; the dry run reads
 * the same rows without it. */
/* clang-format off */
#define SELECT_SQL \
    "SELECT src_topic, src_partition::text, src_offset::text, reason, original, msg_key," \
    "  length(original)::text, " SBCTL_TS("rejected_at") " FROM dead_letters" \
    " WHERE ($1::text IS NULL OR reason = $1) AND ($2::timestamptz IS NULL OR rejected_at >= $2)" \
    "   AND ($3::boolean OR replayed_at IS NULL)" \
    "   AND (src_topic, src_partition, src_offset) > ($4::text, $5::int, $6::bigint)" \
    " ORDER BY src_topic, src_partition, src_offset LIMIT $7::int"
/* clang-format on */
static const char *const PICK_SQL = SELECT_SQL " FOR UPDATE SKIP LOCKED";
static const char *const PEEK_SQL = SELECT_SQL;
enum { P_TOPIC, P_PARTITION, P_OFFSET, P_REASON, P_ORIGINAL, P_KEY, P_SIZE, P_REJECTED };

/* $1-$3 the positions replayed (arrays), $4 target topic, $5 operator. */
static const char *const MARK_SQL =
    "WITH upd AS (UPDATE dead_letters d SET replayed_at = now()"
    "   FROM unnest($1::text[], $2::int4[], $3::int8[]) AS x(t, p, o)"
    "   WHERE d.src_topic = x.t AND d.src_partition = x.p AND d.src_offset = x.o"
    "   RETURNING d.src_topic, d.src_partition, d.src_offset, d.reason)"
    " INSERT INTO audit_log (actor, action, detail)"
    " SELECT 'sbctl', 'dead_letter_replayed', jsonb_build_object('topic', src_topic,"
    "   'partition', src_partition, 'offset', src_offset, 'reason', reason, 'to', $4::text,"
    "   'operator', $5::text) FROM upd";

/* A bytea column's bytes (PQfreemem) or NULL when SQL NULL or unreadable. */
static unsigned char *bytes(PGresult *res, int row, int col, size_t *len) {
    *len = 0;
    if (PQgetisnull(res, row, col))
        return NULL;
    return PQunescapeBytea((const unsigned char *)PQgetvalue(res, row, col), len);
}

/* Adds name (and name_encoding "base64" when the bytes are not clean text). */
static void json_bytes(cJSON *o, const char *name, PGresult *res, int row, int col) {
    size_t len;
    unsigned char *b = bytes(res, row, col, &len);
    char encoding[64];
    if (!b) {
        cJSON_AddNullToObject(o, name);
        return;
    }
    if (sb_utf8_valid((const char *)b, len) && !memchr(b, '\0', len)) {
        char *s = malloc(len + 1);
        if (s) {
            memcpy(s, b, len);
            s[len] = '\0';
            cJSON_AddStringToObject(o, name, s);
            free(s);
        }
    } else {
        char *s = sb_base64_encode(b, len);
        if (s)
            cJSON_AddStringToObject(o, name, s);
        free(s);
        snprintf(encoding, sizeof(encoding), "%s_encoding", name);
        cJSON_AddStringToObject(o, encoding, "base64");
    }
    PQfreemem(b);
}

static void print_list_text(PGresult *res, int n) {
    printf("%-19s  %-14s %-40s %8s %-19s  %s\n", "REJECTED (UTC)", "REASON",
           "TOPIC/PARTITION/OFFSET", "BYTES", "REPLAYED (UTC)", "DETAIL");
    for (int r = 0; r < n; r++) {
        char when[20], replayed[20], pos[SB_TOPIC_MAX + 48];
        snprintf(when, sizeof(when), "%.19s", PQgetvalue(res, r, 6));
        when[10] = ' ';
        snprintf(replayed, sizeof(replayed), "%.19s",
                 PQgetisnull(res, r, 7) ? "-" : PQgetvalue(res, r, 7));
        if (strlen(replayed) > 10)
            replayed[10] = ' ';
        snprintf(pos, sizeof(pos), "%s/%s/%s", PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
                 PQgetvalue(res, r, 2));
        printf("%-19s  ", when);
        sbctl_print_clean(PQgetvalue(res, r, 3), 13, 14);
        printf(" %-40s %8s %-19s  ", pos, PQgetvalue(res, r, 8), replayed);
        sbctl_print_clean(PQgetvalue(res, r, 4), 120, 0);
        putchar('\n');
    }
}

static int cmd_list(sbctl_t *ctl, int argc, char **argv) {
    const char *since = NULL, *reason = NULL, *limit = NULL, *format = NULL, *pos[1];
    const sbctl_opt_t opts[] = {{"--since", &since, NULL},
                                {"--reason", &reason, NULL},
                                {"--limit", &limit, NULL},
                                {"--format", &format, NULL}};
    char since_buf[32], limit_buf[24], errstr[512];
    sb_report_format_t fmt;
    long max = 100;
    int64_t now_us = sb_time_now_us(), since_us;
    int npos, n, rc = SBCTL_OK;
    PGresult *res;
    sb_db_t *db;

    if (sbctl_parse_opts("dlq list", argc, argv, 2, opts, 4, pos, 0, &npos) == -1 ||
        sbctl_parse_format("dlq list", format, 0, &fmt) == -1 ||
        (limit && sbctl_parse_limit("dlq list", limit, LIST_MAX, &max) == -1) ||
        (since && sbctl_parse_time("dlq list", "--since", since, now_us, &since_us, since_buf,
                                   sizeof(since_buf)) == -1))
        return SBCTL_USAGE;
    snprintf(limit_buf, sizeof(limit_buf), "%ld", max);
    if (!(db = sbctl_db(ctl)))
        return SBCTL_UNAVAILABLE;
    {
        const char *params[] = {reason, since ? since_buf : NULL, limit_buf,
                                fmt == SB_REPORT_JSON ? "true" : "false"};
        res = sb_db_query(db, LIST_SQL, 4, params, errstr, sizeof(errstr));
    }
    if (!res)
        return sbctl_db_failed(ctl, "dlq list", errstr);
    n = PQntuples(res) > max ? (int)max : PQntuples(res);
    if (fmt == SB_REPORT_JSON) {
        cJSON *arr = cJSON_CreateArray();
        for (int r = 0; r < n; r++) {
            cJSON *o = cJSON_CreateObject();
            for (int c = 0; c < 8; c++) {
                if (c == 1 || c == 2)
                    cJSON_AddNumberToObject(o, LIST_KEYS[c], strtod(PQgetvalue(res, r, c), NULL));
                else
                    sbctl_json_string(o, LIST_KEYS[c],
                                      PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c));
            }
            cJSON_AddNumberToObject(o, "size", strtod(PQgetvalue(res, r, 8), NULL));
            json_bytes(o, "key", res, r, 10);
            json_bytes(o, "original", res, r, 9);
            cJSON_AddItemToArray(arr, o);
        }
        rc = sbctl_print_json(arr);
    } else {
        print_list_text(res, n);
    }
    if (PQntuples(res) > max)
        fprintf(stderr, "sbctl dlq list: more dead letters match than the %ld shown (--limit)\n",
                max);
    PQclear(res);
    return rc;
}

/* ---- replay ---- */

typedef struct {
    const char *reason, *since; /* filters; NULL: any */
    int again, dry_run;
    long limit;
    char topic[SB_TOPIC_MAX];                                              /* where to */
    char after_topic[SB_TOPIC_MAX], after_partition[16], after_offset[24]; /* keyset */
    long done;
} replay_t;

static void print_letter(const replay_t *rp, PGresult *res, int r) {
    printf("%s %s/%s/%s  ", rp->dry_run ? "would replay" : "replayed", PQgetvalue(res, r, P_TOPIC),
           PQgetvalue(res, r, P_PARTITION), PQgetvalue(res, r, P_OFFSET));
    sbctl_print_clean(PQgetvalue(res, r, P_REASON), 40, 0);
    printf("  %s bytes  rejected %s\n", PQgetvalue(res, r, P_SIZE), PQgetvalue(res, r, P_REJECTED));
}

/* The next page after the keyset position; NULL (printed) on failure. */
static PGresult *next_page(sbctl_t *ctl, replay_t *rp, const char *sql, int *rc) {
    char limit[24], errstr[512];
    long left = rp->limit - rp->done;
    snprintf(limit, sizeof(limit), "%ld", left < BATCH ? left : BATCH);
    const char *params[] = {rp->reason,
                            rp->since,
                            rp->again ? "true" : "false",
                            rp->after_topic,
                            rp->after_partition,
                            rp->after_offset,
                            limit};
    PGresult *res = sb_db_query(ctl->db, sql, 7, params, errstr, sizeof(errstr));
    if (!res)
        *rc = sbctl_db_failed(ctl, "dlq replay", errstr);
    return res;
}

static void advance(replay_t *rp, PGresult *res) {
    int last = PQntuples(res) - 1;
    snprintf(rp->after_topic, sizeof(rp->after_topic), "%s", PQgetvalue(res, last, P_TOPIC));
    snprintf(rp->after_partition, sizeof(rp->after_partition), "%s",
             PQgetvalue(res, last, P_PARTITION));
    snprintf(rp->after_offset, sizeof(rp->after_offset), "%s", PQgetvalue(res, last, P_OFFSET));
}

/* Sends one page's letters and waits for the broker's acknowledgements;
 * 0, or -1 (printed) with *rc: a letter the producer refuses (too large,
 * say) fails the replay, a broker that does not acknowledge is unavailable. */
static int send_page(sb_producer_t *p, const replay_t *rp, PGresult *res, int *rc) {
    char errstr[512];
    for (int r = 0; r < PQntuples(res); r++) {
        size_t vlen, klen;
        unsigned char *value = bytes(res, r, P_ORIGINAL, &vlen), *key = bytes(res, r, P_KEY, &klen);
        int sent = value ? sb_producer_send(p, rp->topic, key, key ? klen : 0, value, vlen, errstr,
                                            sizeof(errstr))
                         : -1;
        if (!value)
            snprintf(errstr, sizeof(errstr), "out of memory");
        PQfreemem(value);
        PQfreemem(key);
        if (sent == -1) {
            fprintf(stderr, "sbctl dlq replay: %s/%s/%s: %s\n", PQgetvalue(res, r, P_TOPIC),
                    PQgetvalue(res, r, P_PARTITION), PQgetvalue(res, r, P_OFFSET), errstr);
            *rc = SBCTL_FAIL;
            return -1;
        }
    }
    if (sb_producer_flush(p, FLUSH_MS, errstr, sizeof(errstr)) == -1) {
        fprintf(stderr, "sbctl dlq replay: %s\n", errstr);
        *rc = SBCTL_UNAVAILABLE;
        return -1;
    }
    return 0;
}

/* Marks the page replayed (with its audit rows); 0 or -1 with errstr. */
static int mark_page(sbctl_t *ctl, const replay_t *rp, PGresult *page, char *errstr,
                     size_t errstr_size) {
    sb_db_array_t a[3];
    const char *values[5];
    int lengths[5] = {0}, formats[5] = {1, 1, 1, 0, 0}, rc = -1;
    PGresult *res = NULL;
    sb_db_array_init(&a[0], SB_DB_OID_TEXT);
    sb_db_array_init(&a[1], SB_DB_OID_INT4);
    sb_db_array_init(&a[2], SB_DB_OID_INT8);
    for (int r = 0; r < PQntuples(page); r++) {
        const char *t = PQgetvalue(page, r, P_TOPIC);
        sb_db_array_add(&a[0], t, strlen(t));
        sb_db_array_add_int4(&a[1], (int32_t)atol(PQgetvalue(page, r, P_PARTITION)));
        sb_db_array_add_int8(&a[2], (int64_t)atoll(PQgetvalue(page, r, P_OFFSET)));
    }
    for (int i = 0; i < 3; i++) {
        if (!(values[i] = sb_db_array_finish(&a[i], &lengths[i]))) {
            snprintf(errstr, errstr_size, "out of memory");
            goto out;
        }
    }
    values[3] = rp->topic;
    values[4] = sbctl_operator();
    res = sb_db_query_prepared(ctl->db, "sbctl_dlq_mark", MARK_SQL, 5, values, lengths, formats,
                               errstr, errstr_size);
    rc = res ? 0 : -1;
out:
    PQclear(res);
    for (int i = 0; i < 3; i++)
        sb_db_array_free(&a[i]);
    return rc;
}

/* One page: lock, send, wait for the acknowledgements, mark, commit.
 * Returns the letters done (0: none left), or -1 with *rc set. A failure
 * after sending leaves the letters unmarked: they are sent again next time
 * (the alert id makes a repeat the same alert). */
static int replay_page(sbctl_t *ctl, replay_t *rp, sb_producer_t *p, int *rc) {
    char errstr[512];
    PGresult *page = NULL;
    int n = -1;

    if (sb_db_begin(ctl->db, errstr, sizeof(errstr)) == -1) {
        *rc = sbctl_db_failed(ctl, "dlq replay", errstr);
        return -1;
    }
    if (!(page = next_page(ctl, rp, PICK_SQL, rc)))
        goto out;
    if (PQntuples(page) > 0 && send_page(p, rp, page, rc) == -1)
        goto out;
    if (PQntuples(page) > 0 && mark_page(ctl, rp, page, errstr, sizeof(errstr)) == -1) {
        *rc = sbctl_db_failed(ctl, "dlq replay", errstr);
        goto out;
    }
    if (sb_db_commit(ctl->db, errstr, sizeof(errstr)) == -1) {
        *rc = sbctl_db_failed(ctl, "dlq replay", errstr);
        goto out;
    }
    n = PQntuples(page);
    for (int r = 0; r < n; r++)
        print_letter(rp, page, r);
    if (n > 0)
        advance(rp, page);
out:
    if (n == -1)
        sb_db_rollback(ctl->db);
    PQclear(page);
    return n;
}

/* The dry run: the same pages, read without locks. */
static int peek_page(sbctl_t *ctl, replay_t *rp, int *rc) {
    PGresult *page = next_page(ctl, rp, PEEK_SQL, rc);
    int n;
    if (!page)
        return -1;
    n = PQntuples(page);
    for (int r = 0; r < n; r++)
        print_letter(rp, page, r);
    if (n > 0)
        advance(rp, page);
    PQclear(page);
    return n;
}

static int cmd_replay(sbctl_t *ctl, int argc, char **argv) {
    const char *since = NULL, *limit = NULL, *pos[1];
    replay_t rp = {.limit = REPLAY_MAX, .after_partition = "-1", .after_offset = "-1"};
    const sbctl_opt_t opts[] = {{"--since", &since, NULL},
                                {"--reason", &rp.reason, NULL},
                                {"--limit", &limit, NULL},
                                {"--again", NULL, &rp.again},
                                {"--dry-run", NULL, &rp.dry_run}};
    char since_buf[32], errstr[512];
    sb_producer_t *p = NULL;
    int64_t now_us = sb_time_now_us(), since_us;
    int npos, n, rc = SBCTL_OK;

    if (sbctl_parse_opts("dlq replay", argc, argv, 2, opts, 5, pos, 0, &npos) == -1 ||
        (limit && sbctl_parse_limit("dlq replay", limit, REPLAY_MAX, &rp.limit) == -1) ||
        (since && sbctl_parse_time("dlq replay", "--since", since, now_us, &since_us, since_buf,
                                   sizeof(since_buf)) == -1))
        return SBCTL_USAGE;
    rp.since = since ? since_buf : NULL;
    if (sb_kafka_topic(rp.topic, sizeof(rp.topic), ctl->cfg.topic_prefix, SB_TOPIC_ALERTS) == -1) {
        fprintf(stderr, "sbctl dlq replay: SECURITYBOT_TOPIC_PREFIX is too long\n");
        return SBCTL_USAGE;
    }
    if (!sbctl_db(ctl))
        return SBCTL_UNAVAILABLE;
    if (!rp.dry_run && !(p = sb_producer_new(ctl->cfg.kafka_brokers, errstr, sizeof(errstr)))) {
        fprintf(stderr, "sbctl dlq replay: %s\n", errstr);
        return SBCTL_UNAVAILABLE;
    }
    /* a signal stops the replay between batches (a second one at once) */
    while (sb_running && rp.done < rp.limit) {
        n = rp.dry_run ? peek_page(ctl, &rp, &rc) : replay_page(ctl, &rp, p, &rc);
        if (n <= 0)
            break;
        rp.done += n;
    }
    if (!sb_running && rc == SBCTL_OK) {
        fprintf(stderr, "sbctl dlq replay: interrupted; the rest was not replayed\n");
        rc = SBCTL_FAIL;
    }
    printf("%s %ld dead letter(s) to %s%s\n", rp.dry_run ? "would replay" : "replayed", rp.done,
           rp.topic, rp.dry_run ? " (dry run: nothing changed)" : "");
    sb_producer_destroy(p);
    return rc;
}

int sbctl_cmd_dlq(sbctl_t *ctl, int argc, char **argv) {
    static const sbctl_sub_t subs[] = {
        {"list", cmd_list},
        {"replay", cmd_replay},
    };
    return sbctl_dispatch(ctl, argc, argv, USAGE, subs, sizeof(subs) / sizeof(subs[0]));
}
