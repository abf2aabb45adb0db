/* sb_message: the messages several stages send, built in one place. */
#include "sb_message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_crypto.h"
#include "sb_id.h"
#include "sb_schema.h"
#include "sb_severity.h"
#include "sb_utf8.h"

const char *sb_message_priority(const char *severity) {
    int rank = severity ? sb_severity_rank(severity) : SB_SEVERITY_MEDIUM;
    if (rank == SB_SEVERITY_MEDIUM)
        return "normal";
    if (rank == SB_SEVERITY_LOW)
        return "low";
    return "high"; /* high, critical (and a name the contract would refuse) */
}

const char *sb_message_request_priority(const char *reason, const char *severity) {
    /* a "yes" without a second factor, and an alert about the wrong person
     * (the directory or the detector's mapping to fix), are no incident */
    if (!strcmp(reason, "unverified_confirmation") || !strcmp(reason, "wrong_employee"))
        return "low";
    return sb_message_priority(severity);
}

int sb_message_start(cJSON *o, const char *kind, const char *alert_id, const char *extra) {
    char schema[64], mid[SB_SHA256_HEX_LEN + 1];
    if ((size_t)snprintf(schema, sizeof(schema), "%s.v1", kind) >= sizeof(schema) ||
        sb_id_message(kind, alert_id, extra, mid) == -1)
        return -1;
    return cJSON_AddStringToObject(o, "schema", schema) &&
                   cJSON_AddStringToObject(o, "message_id", mid) &&
                   cJSON_AddStringToObject(o, "alert_id", alert_id)
               ? 0
               : -1;
}

/* A string field, or JSON null when value is NULL. */
static void add_nullable(cJSON *o, const char *name, const char *value) {
    if (value)
        cJSON_AddStringToObject(o, name, value);
    else
        cJSON_AddNullToObject(o, name);
}

char *sb_message_escalation_request(const char *alert_id, const char *employee_id,
                                    const char *reason, const char *severity, const char *comment,
                                    const char *requested_by, const char *now) {
    return sb_message_escalation_request_group(alert_id, employee_id, reason, severity, comment,
                                               requested_by, now, NULL);
}

char *sb_message_escalation_request_group(const char *alert_id, const char *employee_id,
                                          const char *reason, const char *severity,
                                          const char *comment, const char *requested_by,
                                          const char *now, const char *group_id) {
    cJSON *o = cJSON_CreateObject();
    char *out = NULL;
    if (o && sb_message_start(o, "escalation-request", alert_id, reason) == 0) {
        add_nullable(o, "employee_id", employee_id);
        cJSON_AddStringToObject(o, "reason", reason);
        cJSON_AddStringToObject(o, "priority", sb_message_request_priority(reason, severity));
        add_nullable(o, "comment", comment);
        cJSON_AddStringToObject(o, "requested_by", requested_by);
        cJSON_AddStringToObject(o, "requested_at", now);
        if (group_id && *group_id)
            cJSON_AddStringToObject(o, "group_id", group_id);
        out = cJSON_PrintUnformatted(o);
    }
    cJSON_Delete(o);
    return out;
}

const char *sb_message_factor_method(const char *second_factor, const char *method) {
    if (method && *method)
        return method;
    if (second_factor && (!strcmp(second_factor, "passed") || !strcmp(second_factor, "failed")))
        return "totp";
    return "none";
}

char *sb_message_outcome(const sb_message_outcome_t *m) {
    cJSON *o = cJSON_CreateObject();
    char *out = NULL;
    if (o && sb_message_start(o, "outcome", m->alert_id, NULL) == 0) {
        cJSON_AddStringToObject(o, "outcome", m->outcome);
        add_nullable(o, "employee_id", m->employee_id);
        cJSON_AddStringToObject(o, "answer", m->answer ? m->answer : "none");
        add_nullable(o, "comment", m->comment);
        cJSON_AddStringToObject(o, "second_factor",
                                m->second_factor ? m->second_factor : "not_attempted");
        cJSON_AddStringToObject(
            o, "second_factor_method",
            sb_message_factor_method(m->second_factor, m->second_factor_method));
        cJSON_AddStringToObject(o, "rule", m->rule);
        cJSON_AddStringToObject(o, "severity", m->severity);
        cJSON_AddStringToObject(o, "decided_at", m->decided_at);
        if (m->prompted_at)
            cJSON_AddStringToObject(o, "prompted_at", m->prompted_at);
        if (m->answered_at)
            cJSON_AddStringToObject(o, "answered_at", m->answered_at);
        if (m->group_id && *m->group_id)
            cJSON_AddStringToObject(o, "group_id", m->group_id);
        out = cJSON_PrintUnformatted(o);
    }
    cJSON_Delete(o);
    return out;
}

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

cJSON *sb_message_dead_letter(const char *topic, int32_t partition, int64_t offset,
                              const void *original, size_t len, const char *reason,
                              const char *detail, const char *now) {
    const char *payload = original ? original : "";
    cJSON *o = cJSON_CreateObject();
    char *b64 = NULL;
    int as_text = sb_utf8_valid(payload, len) && memchr(payload, '\0', len) == NULL;
    size_t n = len > DLQ_ORIGINAL_MAX ? DLQ_ORIGINAL_MAX : len;

    if (!o)
        return NULL;
    /* valid UTF-8: the byte at n starts a character, so the cut is too */
    while (as_text && n < len && n > 0 && ((unsigned char)payload[n] & 0xC0) == 0x80)
        n--;
    cJSON_AddStringToObject(o, "schema", "alert-dlq.v1");
    cJSON_AddStringToObject(o, "reason", reason);
    cJSON_AddStringToObject(o, "detail", detail);
    if (as_text) {
        char *copy = malloc(n + 1);
        if (!copy)
            goto fail;
        memcpy(copy, payload, n);
        copy[n] = '\0';
        cJSON_AddStringToObject(o, "original", copy);
        free(copy);
    } else {
        if (!(b64 = sb_base64_encode(payload, n)))
            goto fail;
        cJSON_AddStringToObject(o, "original", b64);
        cJSON_AddStringToObject(o, "original_encoding", "base64");
    }
    if (n < len) {
        cJSON_AddTrueToObject(o, "original_truncated");
        cJSON_AddNumberToObject(o, "original_bytes", (double)len);
    }
    cJSON_AddStringToObject(o, "topic", topic);
    cJSON_AddNumberToObject(o, "partition", partition);
    cJSON_AddNumberToObject(o, "offset", (double)offset);
    cJSON_AddStringToObject(o, "rejected_at", now);
    free(b64);
    return o;
fail:
    free(b64);
    cJSON_Delete(o);
    return NULL;
}
