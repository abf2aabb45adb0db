/* payload: what a Slack request means: a challenge, a response event, or nothing. */
#include "sb_payload.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_chat.h"
#include "sb_crypto.h"
#include "sb_form.h"
#include "sb_utf8.h"

/* Field limits of response.v1, in code points. */
#define EVENT_ID_MAX     256
#define CHAT_USER_ID_MAX 64

static void judge(sb_payload_t *out, sb_payload_verdict_t v, const char *reason, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));

static void judge(sb_payload_t *out, sb_payload_verdict_t v, const char *reason, const char *fmt,
                  ...) {
    va_list ap;
    out->verdict = v;
    out->reason = reason;
    va_start(ap, fmt);
    vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
    va_end(ap);
    /* the "%.64s" of what a client sent must not split a character */
    out->detail[sb_utf8_cut(out->detail, sizeof(out->detail) - 1)] = '\0';
}

static const char *get_string(const cJSON *obj, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* 1 when s is a string of 1..max code points. */
static int sized(const char *s, size_t max) {
    return s && *s && sb_utf8_length(s) <= max;
}

cJSON *sb_payload_parse_object(const char *body, size_t len, sb_payload_t *out) {
    const char *end = NULL;
    cJSON *root;

    if (!sb_utf8_valid(body, len) || memchr(body, '\0', len)) {
        judge(out, SB_PAYLOAD_BAD, "invalid_utf8", "the JSON is not UTF-8 text");
        return NULL;
    }
    root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    while (root && end < body + len && strchr(" \t\r\n", *end))
        end++;
    if (!root || end != body + len) {
        judge(out, SB_PAYLOAD_BAD, "invalid_json", "the body is not one JSON value");
        cJSON_Delete(root);
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        judge(out, SB_PAYLOAD_BAD, "not_object", "the body is not a JSON object");
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* A copy of s cut to at most max code points, at a code point boundary
 * (s is valid UTF-8: every byte that is not 10xxxxxx starts one). */
static char *truncate_code_points(const char *s, size_t max) {
    size_t i, n = 0;
    for (i = 0; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && n++ == max)
            break;
    }
    return strndup(s, i);
}

void sb_payload_publish(sb_payload_t *out, const char *platform, const char *event_id,
                        const char *user, const char *alert_id, const char *kind, const char *text,
                        const char *received_at) {
    char *cut = truncate_code_points(text, SB_PAYLOAD_TEXT_MAX);
    cJSON *ev = cJSON_CreateObject(), *uid = NULL;
    int ok = cut && ev && cJSON_AddStringToObject(ev, "schema", "response.v1") &&
             cJSON_AddStringToObject(ev, "event_id", event_id) &&
             cJSON_AddStringToObject(ev, "platform", platform) &&
             (uid = cJSON_AddStringToObject(ev, "chat_user_id", user)) &&
             (alert_id ? cJSON_AddStringToObject(ev, "alert_id", alert_id) != NULL
                       : cJSON_AddNullToObject(ev, "alert_id") != NULL) &&
             cJSON_AddStringToObject(ev, "kind", kind) &&
             cJSON_AddStringToObject(ev, "text", cut) &&
             cJSON_AddStringToObject(ev, "received_at", received_at);

    free(cut);
    if (!ok) {
        cJSON_Delete(ev);
        judge(out, SB_PAYLOAD_ERROR, "out_of_memory", "building the response event");
        return;
    }
    out->event = ev; /* owned by out from here */
    out->chat_user_id = uid->valuestring;
    judge(out, SB_PAYLOAD_PUBLISH, "publish", "%s", kind);
}

/* An event_callback: forwards a person's direct message, ignores the rest. */
static void read_callback(const cJSON *root, const char *received_at, sb_payload_t *out) {
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(root, "event");
    const char *event_id = get_string(root, "event_id"), *type = get_string(ev, "type");
    const char *channel_type = get_string(ev, "channel_type"), *subtype = get_string(ev, "subtype");
    const char *user = get_string(ev, "user"), *text = get_string(ev, "text");
    const cJSON *bot_id = cJSON_GetObjectItemCaseSensitive(ev, "bot_id");

    if (!cJSON_IsObject(ev))
        judge(out, SB_PAYLOAD_BAD, "missing_field", "event_callback without an event");
    else if (!type)
        judge(out, SB_PAYLOAD_BAD, "missing_field", "event.type");
    else if (strcmp(type, "message") != 0)
        judge(out, SB_PAYLOAD_IGNORE, "not_message", "event type %.64s", type);
    else if (!channel_type || strcmp(channel_type, "im") != 0)
        judge(out, SB_PAYLOAD_IGNORE, "not_im", "a message outside a direct conversation");
    else if ((bot_id && !cJSON_IsNull(bot_id)) || (subtype && strcmp(subtype, "bot_message") == 0))
        judge(out, SB_PAYLOAD_IGNORE, "bot_message", "a message from a bot");
    else if (cJSON_GetObjectItemCaseSensitive(ev, "subtype")) /* edits, deletions, joins... */
        judge(out, SB_PAYLOAD_IGNORE, "subtype", "message subtype %.64s",
              subtype ? subtype : "(not a string)");
    else if (!sized(event_id, EVENT_ID_MAX))
        judge(out, SB_PAYLOAD_BAD, "missing_field", "event_id (1-%d chars)", EVENT_ID_MAX);
    else if (!sized(user, CHAT_USER_ID_MAX))
        judge(out, SB_PAYLOAD_BAD, "missing_field", "event.user (1-%d chars)", CHAT_USER_ID_MAX);
    else if (!text)
        judge(out, SB_PAYLOAD_BAD, "missing_field", "event.text");
    else
        sb_payload_publish(out, "slack", event_id, user, NULL, "text", text, received_at);
}

void sb_payload_read_event(const char *body, size_t len, const char *received_at,
                           sb_payload_t *out) {
    cJSON *root;

    memset(out, 0, sizeof(*out));
    if (!(root = sb_payload_parse_object(body, len, out)))
        return;
    sb_payload_event_json(root, received_at, out);
    cJSON_Delete(root);
}

void sb_payload_event_json(const cJSON *root, const char *received_at, sb_payload_t *out) {
    const char *type = get_string(root, "type"), *challenge;

    memset(out, 0, sizeof(*out));
    if (!type) {
        judge(out, SB_PAYLOAD_BAD, "missing_field", "type");
    } else if (strcmp(type, "url_verification") == 0) {
        challenge = get_string(root, "challenge");
        if (!challenge || !*challenge)
            judge(out, SB_PAYLOAD_BAD, "missing_field", "challenge");
        else if (!(out->challenge = strdup(challenge)))
            judge(out, SB_PAYLOAD_ERROR, "out_of_memory", "copying the challenge");
        else
            judge(out, SB_PAYLOAD_CHALLENGE, "url_verification", "challenge");
    } else if (strcmp(type, "event_callback") == 0) {
        read_callback(root, received_at, out);
    } else {
        judge(out, SB_PAYLOAD_IGNORE, "other_type", "payload type %.64s", type);
    }
}

static int is_hex64(const char *s) {
    size_t n = 0;
    for (; s && ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')); s++)
        n++;
    return s && *s == '\0' && n == SB_SHA256_HEX_LEN;
}

/* Slack's block_actions payload carries no event id. This one is the same
 * for a retried delivery of the same click (same user, action_ts, action),
 * so downstream deduplication works as it does for Events API ids. */
static int click_id(const char *type, const char *user, const char *action_ts,
                    const char *action_id, char out[SB_SHA256_HEX_LEN + 1]) {
    sb_sha256_t h;
    if (sb_sha256_init(&h) != 0)
        return -1;
    sb_sha256_update(&h, type, strlen(type));
    sb_sha256_update(&h, "|", 1);
    sb_sha256_update(&h, user, strlen(user));
    sb_sha256_update(&h, "|", 1);
    sb_sha256_update(&h, action_ts, strlen(action_ts));
    sb_sha256_update(&h, "|", 1);
    sb_sha256_update(&h, action_id, strlen(action_id));
    sb_sha256_final_hex(&h, out);
    return 0;
}

/* The kind of a button's action_id, or NULL for a button that is not ours
 * (the ids are the ones sb_chat puts on a prompt's buttons). */
static const char *button_kind(const char *action_id) {
    if (strcmp(action_id, SB_CHAT_CONFIRM_ACTION) == 0)
        return "confirm";
    if (strcmp(action_id, SB_CHAT_DENY_ACTION) == 0)
        return "deny";
    if (strcmp(action_id, SB_CHAT_NOT_ME_ACTION) == 0)
        return "not_me";
    if (strcmp(action_id, SB_CHAT_ENTER_CODE_ACTION) == 0)
        return "confirm"; /* a "yes" again: sb-response opens the code modal */
    return NULL;
}

/* The click's trigger_id (Slack: valid 3 s), for sb-response to open the
 * code modal with; a missing or oversized one is left out. */
static void add_trigger(const cJSON *root, sb_payload_t *out) {
    const char *trigger = get_string(root, "trigger_id");
    if (out->verdict == SB_PAYLOAD_PUBLISH && sized(trigger, SB_PAYLOAD_TRIGGER_MAX) &&
        !cJSON_AddStringToObject(out->event, "trigger_id", trigger)) {
        sb_payload_clear(out);
        judge(out, SB_PAYLOAD_ERROR, "out_of_memory", "building the response event");
    }
}

/* A block_actions payload: the first action decides (a button click sends one). */
static void read_actions(const cJSON *root, const char *received_at, sb_payload_t *out) {
    const cJSON *actions = cJSON_GetObjectItemCaseSensitive(root, "actions");
    const cJSON *action = cJSON_IsArray(actions) ? cJSON_GetArrayItem(actions, 0) : NULL;
    const char *user = get_string(cJSON_GetObjectItemCaseSensitive(root, "user"), "id");
    const char *action_id = get_string(action, "action_id"), *value = get_string(action, "value");
    const char *action_ts = get_string(action, "action_ts");
    const char *text = get_string(cJSON_GetObjectItemCaseSensitive(action, "text"), "text");
    char id[SB_SHA256_HEX_LEN + 1];

    if (!cJSON_IsObject(action))
        judge(out, SB_PAYLOAD_BAD, "missing_field", "actions[0]");
    else if (!action_id)
        judge(out, SB_PAYLOAD_BAD, "missing_field", "actions[0].action_id");
    else if (!button_kind(action_id))
        judge(out, SB_PAYLOAD_IGNORE, "unknown_action", "action_id %.64s", action_id);
    else if (!sized(user, CHAT_USER_ID_MAX))
        judge(out, SB_PAYLOAD_BAD, "missing_field", "user.id (1-%d chars)", CHAT_USER_ID_MAX);
    else if (!is_hex64(value))
        judge(out, SB_PAYLOAD_BAD, "invalid_value",
              "actions[0].value is not an alert id (64 lowercase hex digits)");
    else if (!action_ts || !*action_ts)
        judge(out, SB_PAYLOAD_BAD, "missing_field", "actions[0].action_ts");
    else if (click_id("block_actions", user, action_ts, action_id, id) != 0)
        judge(out, SB_PAYLOAD_ERROR, "internal_error", "hashing the event id");
    else {
        sb_payload_publish(out, "slack", id, user, value, button_kind(action_id), text ? text : "",
                           received_at);
        add_trigger(root, out);
    }
}

/* A code modal's submission (view_submission, callback sb_code): a text
 * event for the alert in private_metadata; its id is the same for a
 * retried delivery (user, view id and hash). */
static void read_submission(const cJSON *root, const char *received_at, sb_payload_t *out) {
    const cJSON *view = cJSON_GetObjectItemCaseSensitive(root, "view");
    const cJSON *values =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(view, "state"), "values");
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(values, SB_CHAT_CODE_BLOCK), SB_CHAT_CODE_INPUT);
    const char *user = get_string(cJSON_GetObjectItemCaseSensitive(root, "user"), "id");
    const char *callback = get_string(view, "callback_id"), *view_id = get_string(view, "id");
    const char *alert = get_string(view, "private_metadata"), *code = get_string(input, "value");
    const char *hash = get_string(view, "hash");
    char id[SB_SHA256_HEX_LEN + 1];

    if (!cJSON_IsObject(view))
        judge(out, SB_PAYLOAD_BAD, "missing_field", "view");
    else if (!callback || strcmp(callback, SB_CHAT_CODE_CALLBACK) != 0)
        judge(out, SB_PAYLOAD_IGNORE, "unknown_view", "callback_id %.64s",
              callback ? callback : "");
    else if (!sized(user, CHAT_USER_ID_MAX))
        judge(out, SB_PAYLOAD_BAD, "missing_field", "user.id (1-%d chars)", CHAT_USER_ID_MAX);
    else if (!is_hex64(alert))
        judge(out, SB_PAYLOAD_BAD, "invalid_value", "view.private_metadata is not an alert id");
    else if (!view_id || !*view_id)
        judge(out, SB_PAYLOAD_BAD, "missing_field", "view.id");
    else if (!code)
        judge(out, SB_PAYLOAD_BAD, "missing_field", "view.state.values (the code)");
    else if (click_id("view_submission", user, view_id, hash ? hash : "", id) != 0)
        judge(out, SB_PAYLOAD_ERROR, "internal_error", "hashing the event id");
    else
        sb_payload_publish(out, "slack", id, user, alert, "text", code, received_at);
}

void sb_payload_read_interaction(const char *body, size_t len, const char *received_at,
                                 sb_payload_t *out) {
    char *json = NULL;
    cJSON *root = NULL;
    int found;

    memset(out, 0, sizeof(*out));
    found = sb_form_get(body, len, "payload", &json);
    if (found == -1) {
        judge(out, SB_PAYLOAD_BAD, "invalid_form", "the form is malformed or repeats payload");
        goto out;
    }
    if (found == 0) {
        judge(out, SB_PAYLOAD_BAD, "missing_field", "payload");
        goto out;
    }
    if ((root = sb_payload_parse_object(json, strlen(json), out)))
        sb_payload_interaction_json(root, received_at, out);
out:
    cJSON_Delete(root);
    free(json);
}

void sb_payload_interaction_json(const cJSON *root, const char *received_at, sb_payload_t *out) {
    const char *type = get_string(root, "type");

    memset(out, 0, sizeof(*out));
    if (!type)
        judge(out, SB_PAYLOAD_BAD, "missing_field", "payload.type");
    else if (!strcmp(type, "view_submission"))
        read_submission(root, received_at, out);
    else if (strcmp(type, "block_actions") != 0)
        judge(out, SB_PAYLOAD_IGNORE, "other_type", "interaction type %.64s", type);
    else
        read_actions(root, received_at, out);
}

void sb_payload_clear(sb_payload_t *out) {
    free(out->challenge);
    cJSON_Delete(out->event);
    out->challenge = NULL;
    out->event = NULL;
    out->chat_user_id = NULL;
}
