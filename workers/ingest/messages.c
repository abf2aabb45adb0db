/* messages: the JSON of the messages sb-ingest sends. */

/* Prompt requests, escalation requests, suppressed outcomes and dead
 * letters (the contract in schemas/README.md; ids from sb_id). */
#include "messages.h"
#include "sb_message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sb_crypto.h"
#include "sb_id.h"
#include "sb_schema.h"
#include "sb_utf8.h"

/* The most of the input a dead letter carries. An input over the 64 KiB
 * limit (too_large) can be as large as the broker takes (1 MiB by
 * default), and its dead letter, with every control character escaped to
 * six bytes or the whole in base64, would not fit on alerts.dlq: the
 * producer refused it and the batch was retried for ever, stopping the
 * partition. Such a dead letter carries the input's first 64 KiB (cut on a
 * character boundary), original_truncated and original_bytes; the
 * dead_letters table keeps every byte. With the key cut the same way
 * (ingest.c), a dead letter is at most about 450 KiB: 64 KiB escaped
 * six-fold, the key and the envelope. */
#define DLQ_ORIGINAL_MAX SB_ALERT_MAX_BYTES

char *sb_ingest_dead_letter_json(const char *topic, const rd_kafka_message_t *m, const char *reason,
                                 const char *detail, const char *now) {
    const char *payload = m->payload ? m->payload : "";
    cJSON *o = cJSON_CreateObject();
    char *out = NULL, *b64 = NULL;
    int as_text = sb_utf8_valid(payload, m->len) && memchr(payload, '\0', m->len) == NULL;
    size_t n = m->len > DLQ_ORIGINAL_MAX ? DLQ_ORIGINAL_MAX : m->len;

    if (!o)
        return NULL;
    /* valid UTF-8: the byte at n starts a character, so the cut is too */
    while (as_text && n < m->len && n > 0 && ((unsigned char)payload[n] & 0xC0) == 0x80)
        n--;
    cJSON_AddStringToObject(o, "schema", "alert-dlq.v1");
    cJSON_AddStringToObject(o, "reason", reason);
    cJSON_AddStringToObject(o, "detail", detail);
    if (as_text) {
        char *copy = malloc(n + 1);
        if (!copy)
            goto out;
        memcpy(copy, payload, n);
        copy[n] = '\0';
        cJSON_AddStringToObject(o, "original", copy);
        free(copy);
    } else {
        if (!(b64 = sb_base64_encode(payload, n)))
            goto out;
        cJSON_AddStringToObject(o, "original", b64);
        cJSON_AddStringToObject(o, "original_encoding", "base64");
    }
    if (n < m->len) {
        cJSON_AddTrueToObject(o, "original_truncated");
        cJSON_AddNumberToObject(o, "original_bytes", (double)m->len);
    }
    cJSON_AddStringToObject(o, "topic", topic);
    cJSON_AddNumberToObject(o, "partition", m->partition);
    cJSON_AddNumberToObject(o, "offset", (double)m->offset);
    cJSON_AddStringToObject(o, "rejected_at", now);
    out = cJSON_PrintUnformatted(o);
out:
    free(b64);
    cJSON_Delete(o);
    return out;
}

char *sb_ingest_downstream_json(PGresult *res, int row, const char *now, sb_ingest_target_t *target,
                                const char **key) {
    const char *id = PQgetvalue(res, row, 0), *status = PQgetvalue(res, row, 2),
               *reason = PQgetvalue(res, row, 3), *severity = PQgetvalue(res, row, 4);
    const char *employee = PQgetisnull(res, row, 1) ? NULL : PQgetvalue(res, row, 1);
    cJSON *o = cJSON_CreateObject();
    char *out = NULL;

    if (!o)
        return NULL;
    if (!strcmp(status, "queued")) {
        sb_message_start(o, "prompt", id, NULL);
        cJSON_AddStringToObject(o, "employee_id", employee);
        cJSON_AddStringToObject(o, "severity", severity);
        cJSON_AddStringToObject(o, "rule", PQgetvalue(res, row, 5));
        cJSON_AddStringToObject(o, "title", PQgetvalue(res, row, 6));
        cJSON_AddStringToObject(o, "occurred_at", PQgetvalue(res, row, 7));
        cJSON_AddStringToObject(o, "requested_at", now);
        *target = SB_INGEST_TO_PROMPTS;
        *key = employee;
    } else if (!strcmp(status, "escalation_requested")) {
        cJSON_Delete(o);
        *target = SB_INGEST_TO_ESCALATION_REQUESTS;
        *key = id;
        return sb_message_escalation_request(id, employee, reason, severity, NULL, "sb-ingest",
                                             now);
    } else if (!strcmp(status, "suppressed")) {
        sb_message_start(o, "outcome", id, NULL);
        cJSON_AddStringToObject(o, "outcome", "suppressed");
        cJSON_AddStringToObject(o, "employee_id", employee);
        cJSON_AddStringToObject(o, "answer", "none");
        cJSON_AddNullToObject(o, "comment");
        cJSON_AddStringToObject(o, "second_factor", "not_attempted");
        cJSON_AddStringToObject(o, "rule", PQgetvalue(res, row, 5));
        cJSON_AddStringToObject(o, "severity", severity);
        cJSON_AddStringToObject(o, "decided_at", now);
        *target = SB_INGEST_TO_OUTCOMES;
        *key = id;
    } else {
        /* Already moved on by a later stage: nothing left to dispatch. */
        cJSON_Delete(o);
        return NULL;
    }
    out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return out;
}
