/* mattermost: what a Mattermost button click means, once its context's MAC is checked. */
#include "mattermost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_crypto.h"
#include "sb_form.h"
#include "sb_utf8.h"

#define ID_MAX 64

static const char *get_string(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int sized(const char *s) {
    return s && *s && sb_utf8_length(s) <= ID_MAX && !strchr(s, '|');
}

static void verdict(sb_mm_action_t *out, sb_payload_verdict_t v, const char *reason,
                    const char *detail) {
    out->p.verdict = v;
    out->p.reason = reason;
    snprintf(out->p.detail, sizeof(out->p.detail), "%s", detail);
}

/* hex SHA-256 of the n parts joined with '|'. */
static int parts_id(const char *const *parts, size_t n, char out[SB_SHA256_HEX_LEN + 1]) {
    sb_sha256_t h;
    if (sb_sha256_init(&h) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_sha256_update(&h, "|", 1);
        sb_sha256_update(&h, parts[i], strlen(parts[i]));
    }
    sb_sha256_final_hex(&h, out);
    return 0;
}

/* hex SHA-256 of "mm_action|user|post|action|trigger". */
static int click_id(const char *user, const char *post, const char *action, const char *trigger,
                    char out[SB_SHA256_HEX_LEN + 1]) {
    const char *parts[] = {"mm_action", user, post, action, trigger};
    return parts_id(parts, 5, out);
}

/* A well-formed request: the context decides. */
static void read_click(const cJSON *root, const char *secret, int64_t now_s,
                       const char *received_at, sb_mm_action_t *out) {
    const char *user = get_string(root, "user_id"), *post = get_string(root, "post_id");
    const char *trigger = get_string(root, "trigger_id");
    char id[SB_SHA256_HEX_LEN + 1];
    sb_mmctx_t ctx;

    if (!sized(user) || !sized(post))
        return verdict(out, SB_PAYLOAD_BAD, "missing_field", "user_id or post_id (1-64 chars)");
    out->refused = sb_mmctx_check(secret, cJSON_GetObjectItemCaseSensitive(root, "context"), user,
                                  now_s, &ctx);
    if (out->refused == SB_MMCTX_ERROR) {
        out->refused = SB_MMCTX_OK;
        return verdict(out, SB_PAYLOAD_ERROR, "internal_error", "checking the context's MAC");
    }
    if (out->refused != SB_MMCTX_OK)
        return verdict(out, SB_PAYLOAD_IGNORE, sb_mmctx_reason(out->refused), "context refused");
    if (strcmp(ctx.action, "confirm") != 0 && strcmp(ctx.action, "deny") != 0 &&
        strcmp(ctx.action, "not_me") != 0)
        return verdict(out, SB_PAYLOAD_BAD, "unknown_action", "context.action");
    if (strlen(ctx.alert_id) != SB_SHA256_HEX_LEN ||
        strspn(ctx.alert_id, "0123456789abcdef") != SB_SHA256_HEX_LEN)
        return verdict(out, SB_PAYLOAD_BAD, "invalid_value", "context.alert_id is not an alert id");
    if (click_id(user, post, ctx.action, sized(trigger) ? trigger : "", id) != 0)
        return verdict(out, SB_PAYLOAD_ERROR, "internal_error", "hashing the event id");
    sb_payload_publish(&out->p, "mattermost", id, user, ctx.alert_id, ctx.action, ctx.action,
                       received_at);
    /* a "yes" may need a code: sb-response opens the dialog with it */
    if (out->p.verdict == SB_PAYLOAD_PUBLISH && sized(trigger) &&
        !cJSON_AddStringToObject(out->p.event, "trigger_id", trigger))
        verdict(out, SB_PAYLOAD_ERROR, "out_of_memory", "building the response event");
}

void sb_mm_read_action(const char *body, size_t len, const char *secret, int64_t now_s,
                       const char *received_at, sb_mm_action_t *out) {
    cJSON *root;

    memset(out, 0, sizeof(*out));
    if (!(root = sb_payload_parse_object(body, len, &out->p)))
        return;
    read_click(root, secret, now_s, received_at, out);
    cJSON_Delete(root);
}

/* The form fields a command needs, malloc'd; -1 when malformed. */
enum { F_TOKEN, F_USER, F_TRIGGER, F_TEXT, F_N };

static int read_form(const char *body, size_t len, char *v[F_N]) {
    static const char *const names[F_N] = {"token", "user_id", "trigger_id", "text"};
    for (int i = 0; i < F_N; i++)
        if (sb_form_get(body, len, names[i], &v[i]) == -1)
            return -1;
    return 0;
}

void sb_mm_read_command(const char *body, size_t len, const char *token, const char *received_at,
                        sb_mm_action_t *out) {
    char *v[F_N] = {0}, id[SB_SHA256_HEX_LEN + 1];

    memset(out, 0, sizeof(*out));
    if (read_form(body, len, v) != 0)
        verdict(out, SB_PAYLOAD_BAD, "invalid_form", "not a form, or a field twice");
    else if (!v[F_TOKEN] ||
             !sb_crypto_equal(v[F_TOKEN], strlen(v[F_TOKEN]), token, strlen(token))) {
        out->refused = SB_MMCTX_BAD_MAC;
        verdict(out, SB_PAYLOAD_IGNORE, "bad_token", "the command token does not match");
    } else if (!sized(v[F_USER]) || !sized(v[F_TRIGGER]))
        verdict(out, SB_PAYLOAD_BAD, "missing_field", "user_id or trigger_id (1-64 chars)");
    else if (v[F_TEXT] && !sb_utf8_valid(v[F_TEXT], strlen(v[F_TEXT])))
        verdict(out, SB_PAYLOAD_BAD, "invalid_value", "text is not UTF-8");
    else {
        const char *parts[] = {"mm_command", v[F_USER], v[F_TRIGGER]};
        const char *text = v[F_TEXT] && v[F_TEXT][strspn(v[F_TEXT], " \t")] ? v[F_TEXT] : "help";
        if (parts_id(parts, 3, id) != 0)
            verdict(out, SB_PAYLOAD_ERROR, "internal_error", "hashing the event id");
        else
            sb_payload_publish(&out->p, "mattermost", id, v[F_USER], NULL, "text", text,
                               received_at);
    }
    for (int i = 0; i < F_N; i++)
        free(v[i]);
}

/* A submission's input for action: "code" (1-64 bytes) or "words" (1 to
 * SB_MM_STATE_MAX * 16 bytes), UTF-8; NULL otherwise. */
static const char *dialog_text(const cJSON *root, const char *action) {
    int words = strcmp(action, "words") == 0;
    const char *t =
        get_string(cJSON_GetObjectItemCaseSensitive(root, "submission"), words ? "words" : "code");
    size_t n = t ? strlen(t) : 0;
    return n && n <= (words ? (size_t)SB_MM_STATE_MAX * 16 : ID_MAX) && sb_utf8_valid(t, n) ? t
                                                                                            : NULL;
}

/* A well-formed, not cancelled submission: its state decides. */
static void read_submission(const cJSON *root, const char *secret, int64_t now_s,
                            const char *received_at, sb_mm_action_t *out) {
    const char *user = get_string(root, "user_id"), *state = get_string(root, "state");
    const char *text;
    char id[SB_SHA256_HEX_LEN + 1];
    cJSON *ctx = state && strlen(state) <= SB_MM_STATE_MAX ? cJSON_Parse(state) : NULL;
    sb_mmctx_t c;

    if (!sized(user)) {
        verdict(out, SB_PAYLOAD_BAD, "missing_field", "user_id");
        goto out;
    }
    out->refused = sb_mmctx_check(secret, ctx, user, now_s, &c);
    if (out->refused == SB_MMCTX_ERROR) {
        out->refused = SB_MMCTX_OK;
        verdict(out, SB_PAYLOAD_ERROR, "internal_error", "checking the state's MAC");
    } else if (out->refused != SB_MMCTX_OK)
        verdict(out, SB_PAYLOAD_IGNORE, sb_mmctx_reason(out->refused), "state refused");
    else if (strcmp(c.action, "code") != 0 && strcmp(c.action, "words") != 0) {
        out->refused = SB_MMCTX_MALFORMED; /* a button's context is not a dialog's state */
        verdict(out, SB_PAYLOAD_IGNORE, "not_a_dialog", "state refused");
    } else if (!(text = dialog_text(root, c.action)))
        verdict(out, SB_PAYLOAD_BAD, "missing_field", "submission.code or submission.words");
    else {
        const char *parts[] = {"mm_dialog", user, get_string(ctx, "mac"), text};
        if (parts_id(parts, 4, id) != 0)
            verdict(out, SB_PAYLOAD_ERROR, "internal_error", "hashing the event id");
        else /* exactly what typed text is: a text event without an alert */
            sb_payload_publish(&out->p, "mattermost", id, user, NULL, "text", text, received_at);
    }
out:
    cJSON_Delete(ctx);
}

void sb_mm_read_dialog(const char *body, size_t len, const char *secret, int64_t now_s,
                       const char *received_at, sb_mm_action_t *out) {
    cJSON *root;
    const cJSON *cancelled;

    memset(out, 0, sizeof(*out));
    if (!(root = sb_payload_parse_object(body, len, &out->p)))
        return;
    cancelled = cJSON_GetObjectItemCaseSensitive(root, "cancelled");
    if (cJSON_IsTrue(cancelled))
        verdict(out, SB_PAYLOAD_IGNORE, "cancelled", "the dialog was cancelled");
    else
        read_submission(root, secret, now_s, received_at, out);
    cJSON_Delete(root);
}
