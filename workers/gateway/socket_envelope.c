/* socket_envelope: what a Socket Mode frame is: hello, disconnect, a payload to publish, or
 * nothing. */
#include "socket_envelope.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

static void bad(sb_envelope_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bad(sb_envelope_t *out, const char *fmt, ...) {
    va_list ap;
    out->kind = SB_ENVELOPE_BAD;
    va_start(ap, fmt);
    vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
    va_end(ap);
}

static const char *get_string(const cJSON *obj, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* An integer field in [0, 1000000], or def. */
static int get_small_int(const cJSON *obj, const char *name, int def) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1000000)
        return def;
    return (int)v->valuedouble;
}

/* Copies s into dst when it is printable ASCII of 1..size-1 bytes (ids and
 * reason codes go to logs and back to Slack). -1 otherwise. */
static int copy_token(char *dst, size_t size, const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= size)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
            return -1;
    memcpy(dst, s, n + 1);
    return 0;
}

/* events_api and interactive: the payload read by the HTTP callbacks' code. */
static void read_payload(const cJSON *root, const char *type, const char *received_at,
                         sb_envelope_t *out) {
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(root, "payload");

    if (!cJSON_IsObject(payload)) {
        bad(out, "%s envelope without a payload object", type);
        return;
    }
    if (strcmp(type, "events_api") == 0)
        sb_payload_event_json(payload, received_at, &out->payload);
    else
        sb_payload_interaction_json(payload, received_at, &out->payload);
    out->kind = SB_ENVELOPE_PAYLOAD;
}

/* Everything after the type: the envelope's fields by kind. */
static void read_envelope(const cJSON *root, const char *type, const char *received_at,
                          sb_envelope_t *out) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "envelope_id");

    if (strcmp(type, "hello") == 0) {
        out->kind = SB_ENVELOPE_HELLO;
        out->num_connections = get_small_int(root, "num_connections", -1);
        return;
    }
    if (strcmp(type, "disconnect") == 0) {
        out->kind = SB_ENVELOPE_DISCONNECT;
        if (copy_token(out->reason, sizeof(out->reason), get_string(root, "reason")) != 0)
            strcpy(out->reason, "unknown");
        return;
    }
    if (!id) {
        bad(out, "%s frame without an envelope_id", out->type);
        return;
    }
    if (copy_token(out->envelope_id, sizeof(out->envelope_id), get_string(root, "envelope_id"))) {
        bad(out, "envelope_id is not a string of 1-%d printable characters", SB_ENVELOPE_ID_MAX);
        return;
    }
    out->retry_attempt = get_small_int(root, "retry_attempt", 0);
    if (copy_token(out->retry_reason, sizeof(out->retry_reason), get_string(root, "retry_reason")))
        out->retry_reason[0] = '\0';
    if (strcmp(type, "events_api") == 0 || strcmp(type, "interactive") == 0)
        read_payload(root, type, received_at, out);
    else
        out->kind = SB_ENVELOPE_OTHER;
}

void sb_envelope_read(const char *frame, size_t len, const char *received_at, sb_envelope_t *out) {
    cJSON *root;
    const char *type;

    memset(out, 0, sizeof(*out));
    out->num_connections = -1;
    if (len > SB_ENVELOPE_MAX_FRAME) {
        bad(out, "frame of %zu bytes, over %d", len, SB_ENVELOPE_MAX_FRAME);
        return;
    }
    if (!(root = sb_payload_parse_object(frame, len, &out->payload))) {
        bad(out, "%s", out->payload.detail);
        return;
    }
    type = get_string(root, "type");
    if (copy_token(out->type, sizeof(out->type), type) != 0)
        bad(out, "frame without a type");
    else
        read_envelope(root, type, received_at, out);
    cJSON_Delete(root);
}

int sb_envelope_ack(const char *envelope_id, char *buf, size_t size) {
    char id[SB_ENVELOPE_ID_MAX + 1];
    int n;

    /* the id was checked on the way in; checked again so the frame is JSON */
    if (copy_token(id, sizeof(id), envelope_id) != 0)
        return -1;
    n = snprintf(buf, size, "{\"envelope_id\":\"%s\"}", id);
    return n < 0 || (size_t)n >= size ? -1 : n;
}

void sb_envelope_clear(sb_envelope_t *out) {
    sb_payload_clear(&out->payload);
}
