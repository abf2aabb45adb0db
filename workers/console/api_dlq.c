/* api_dlq: GET /api/v1/dead-letters (with the original) and POST /api/v1/dead-letters/{id}/replay.
 */

/* A dead letter's id is "TOPIC:PARTITION:OFFSET", its position in Kafka.
 * A replay publishes the original bytes with their key to <prefix>alerts,
 * waits for Kafka, then marks it replayed (audited) in one transaction; a
 * replayed letter is 409. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "sb_crypto.h"
#include "sb_log.h"
#include "sb_publish.h"
#include "sb_utf8.h"

static const char list_sql[] =
    "SELECT src_topic || ':' || src_partition || ':' || src_offset, reason, detail, rejected_by, "
    "rejected_at, replayed_at, original, length(original) FROM dead_letters "
    "ORDER BY rejected_at DESC, src_topic, src_partition, src_offset LIMIT 500";

/* A bytea column as text when it is UTF-8, else as base64. */
static void add_original(cJSON *o, const PGresult *r, int row, int col) {
    size_t n = 0;
    unsigned char *b = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &n);
    char *text;
    if (!b)
        return;
    if (sb_utf8_valid((const char *)b, n) && memchr(b, 0, n) == NULL && (text = malloc(n + 1))) {
        memcpy(text, b, n);
        text[n] = '\0';
        cJSON_AddStringToObject(o, "original", text);
        free(text);
    } else if ((text = sb_base64_encode(b, n))) {
        cJSON_AddStringToObject(o, "original", text);
        cJSON_AddStringToObject(o, "original_encoding", "base64");
        free(text);
    }
    PQfreemem(b);
}

int api_dlq_list(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    static const char *const keys[] = {"id",          "reason",      "detail",
                                       "rejected_by", "rejected_at", "replayed_at"};
    char errstr[512];
    cJSON *doc, *arr;
    PGresult *r;
    (void)c;
    if (sb_http_query_count(call->req) != 0)
        return console_error(resp, 400, "bad_request", "no query parameters here");
    if (!(r = sb_db_query(call->db, list_sql, 0, NULL, errstr, sizeof(errstr)))) {
        sb_log_error("dead letters: %s", errstr);
        return -1;
    }
    doc = cJSON_CreateObject();
    arr = cJSON_AddArrayToObject(doc, "dead_letters");
    for (int i = 0; arr && i < PQntuples(r); i++) {
        cJSON *o = cJSON_CreateObject();
        for (int k = 0; k < 6; k++)
            PQgetisnull(r, i, k) ? cJSON_AddNullToObject(o, keys[k])
                                 : cJSON_AddStringToObject(o, keys[k], PQgetvalue(r, i, k));
        cJSON_AddNumberToObject(o, "size", atof(PQgetvalue(r, i, 7)));
        add_original(o, r, i, 6);
        cJSON_AddItemToArray(arr, o);
    }
    PQclear(r);
    return console_json(resp, 200, doc);
}

/* "TOPIC:PARTITION:OFFSET" into its three parts; 0 or -1. */
static int split_id(const char *id, char topic[SB_TOPIC_MAX], char part[12], char off[21]) {
    const char *a = strchr(id, ':'), *b = a ? strchr(a + 1, ':') : NULL;
    size_t tl = a ? (size_t)(a - id) : 0, pl = b ? (size_t)(b - a - 1) : 0;
    if (!b || tl == 0 || tl >= SB_TOPIC_MAX || pl == 0 || pl >= 12 || strlen(b + 1) == 0 ||
        strlen(b + 1) >= 21 || strspn(a + 1, "0123456789") != pl ||
        strspn(b + 1, "0123456789") != strlen(b + 1))
        return -1;
    memcpy(topic, id, tl);
    topic[tl] = '\0';
    memcpy(part, a + 1, pl);
    part[pl] = '\0';
    strcpy(off, b + 1);
    return 0;
}

int api_dlq_replay(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    char topic[SB_TOPIC_MAX], part[12], off[21], errstr[512];
    const char *p[] = {topic, part, off, call->auth->who.actor, c->topic_alerts};
    PGresult *r = NULL;
    size_t olen = 0, klen = 0;
    unsigned char *orig = NULL, *key = NULL;
    int rc = -1, bad;
    if (split_id(call->params[0], topic, part, off) != 0)
        return console_error(resp, 404, "not_found", "no such dead letter");
    if (sb_db_begin(call->db, errstr, sizeof(errstr)) != 0 ||
        !(r = sb_db_query(call->db,
                          "SELECT original, msg_key, replayed_at IS NOT NULL FROM dead_letters "
                          "WHERE src_topic = $1 AND src_partition = $2::int AND src_offset = "
                          "$3::bigint FOR UPDATE",
                          3, p, errstr, sizeof(errstr))))
        goto fail;
    if (PQntuples(r) == 0 || PQgetvalue(r, 0, 2)[0] == 't') {
        rc = PQntuples(r) == 0 ? console_error(resp, 404, "not_found", "no such dead letter")
                               : console_error(resp, 409, "conflict", "replayed already");
        goto out;
    }
    orig = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 0), &olen);
    if (!PQgetisnull(r, 0, 1))
        key = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 1), &klen);
    if (!orig || sb_db_exec(call->db,
                            "WITH upd AS (UPDATE dead_letters SET replayed_at = now() WHERE "
                            "src_topic = $1 AND src_partition = $2::int AND src_offset = "
                            "$3::bigint RETURNING reason) INSERT INTO audit_log (actor, action, "
                            "detail) SELECT $4, 'dead_letter_replayed', jsonb_build_object("
                            "'topic', $1::text, 'partition', $2::int, 'offset', $3::bigint, "
                            "'reason', reason, 'to', $5::text) FROM upd",
                            5, p, errstr, sizeof(errstr)) != 0)
        goto fail;
    pthread_mutex_lock(&c->produce_mu);
    bad = sb_producer_send(c->producer, c->topic_alerts, key, klen, orig, olen, errstr,
                           sizeof(errstr)) != 0 ||
          sb_publish_commit(c->producer, 1, call->db, errstr, sizeof(errstr)) != 0;
    pthread_mutex_unlock(&c->produce_mu);
    if (bad) {
        sb_log_warn("dead letter not replayed: %s", errstr);
        rc = console_error(resp, 503, "unavailable", "not published: try again");
        goto out;
    }
    rc = console_json(resp, 200, cJSON_CreateObject());
    goto out;
fail:
    sb_log_error("replay: %s", errstr);
out:
    sb_db_rollback(call->db);
    PQfreemem(orig);
    PQfreemem(key);
    PQclear(r);
    return rc;
}
