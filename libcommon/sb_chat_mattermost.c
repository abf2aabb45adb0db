/* sb_chat_mattermost: the Mattermost platform over its REST API v4 (calls, retries, DMs, posts,
 * patches). */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_buf.h"
#include "sb_chat.h"
#include "sb_curl.h"
#include "sb_mm_post.h"
#include "sb_signal.h"
#include "sb_time.h"
#include "sb_url.h"

#define DEFAULT_ATTEMPTS 4
#define JSON_TYPE        "application/json"
#define ID_SIZE          64 /* Mattermost ids are 26 characters */

typedef struct {
    sb_chat_t base; /* first: the vtable */
    sb_curl_t *curl;
    char *api_url;     /* MATTERMOST_URL + "/api/v4" */
    char *token;       /* secret */
    char *actions_url; /* SECURITYBOT_PUBLIC_URL + "/mattermost/actions"; NULL: no buttons */
    char *dialogs_url; /* SECURITYBOT_PUBLIC_URL + "/mattermost/dialogs"; NULL with actions_url */
    char *secret;      /* MATTERMOST_ACTIONS_SECRET; NULL: no buttons */
    int64_t ttl_s;
    long timeout_ms, max_backoff_ms;
    int max_attempts;
    char bot_id[ID_SIZE]; /* GET /users/me, once */
} mm_t;

/* ---- the API call -------------------------------------------------------- */

/* Classifies a request that sb_curl gave up on (its errstr in why). */
static int transport_fail(const char *what, const sb_curl_resp_t *resp, const char *why,
                          sb_chat_error_t *err) {
    if (!sb_running || strstr(why, "interrupted"))
        return sb_chat_fail(err, 1, "interrupted", "mattermost %s: %s", what, why);
    if (resp->status == 429)
        return sb_chat_fail(err, 1, "ratelimited", "mattermost %s: %s", what, why);
    if (resp->status >= 500) {
        char code[32];
        snprintf(code, sizeof(code), "http_%ld", resp->status);
        return sb_chat_fail(err, 1, code, "mattermost %s: %s", what, why);
    }
    if (strstr(why, "gave up after"))
        return sb_chat_fail(err, 1, "network", "mattermost %s: %s", what, why);
    return sb_chat_fail(err, 0, "transport", "mattermost %s: %s", what, why);
}

/* A final 4xx (sb_curl retried 429 and 5xx): Mattermost's AppError body
 * {"id", "message", "status_code", ...} names it. 401: the token; 403: a
 * permission; 404 (and 400 when missing_code says so): what was asked for
 * is not there, as missing_code. All permanent. */
static int api_fail(const char *what, const sb_curl_resp_t *resp, const char *missing_code,
                    sb_chat_error_t *err) {
    cJSON *root = resp->body ? cJSON_Parse(resp->body) : NULL;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    const char *app = cJSON_IsString(id) ? id->valuestring : "";
    char code[32];
    if (resp->status == 401)
        snprintf(code, sizeof(code), "invalid_auth");
    else if (resp->status == 403)
        snprintf(code, sizeof(code), "forbidden");
    else if (resp->status == 404 && missing_code)
        snprintf(code, sizeof(code), "%s", missing_code);
    else
        snprintf(code, sizeof(code), "http_%ld", resp->status);
    sb_chat_fail(err, 0, code, "mattermost %s: HTTP %ld%s%.100s", what, resp->status,
                 *app ? ": " : "", app);
    cJSON_Delete(root);
    return -1;
}

/* method (GET, POST, PUT) path under /api/v4 with body (JSON or NULL).
 * 0 with *out (the parsed answer, caller deletes), or -1 classified. */
static int call(mm_t *m, const char *method, const char *path, const char *body,
                const char *missing_code, cJSON **out, sb_chat_error_t *err) {
    char url[1024], what[160], why[SB_CHAT_ERRSTR_SIZE];
    sb_curl_resp_t resp;
    int n = snprintf(url, sizeof(url), "%s%s", m->api_url, path);
    snprintf(what, sizeof(what), "%s %.120s", method, path);
    if (n < 0 || (size_t)n >= sizeof(url))
        return sb_chat_fail(err, 0, "invalid_arguments", "mattermost %s: URL too long", what);
    sb_curl_req_t req = {
        .method = method,
        .url = url,
        .bearer_token = m->token,
        .content_type = body ? JSON_TYPE : NULL,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .timeout_ms = m->timeout_ms,
        .max_attempts = m->max_attempts,
        .max_backoff_ms = m->max_backoff_ms,
    };
    *out = NULL;
    why[0] = '\0';
    int rc = sb_curl_request(m->curl, &req, &resp, why, sizeof(why));
    if (rc == -1)
        transport_fail(what, &resp, why, err);
    else if (resp.status < 200 || resp.status >= 300)
        rc = api_fail(what, &resp, missing_code, err);
    else if (!(*out = resp.body ? cJSON_Parse(resp.body) : NULL))
        rc =
            sb_chat_fail(err, 1, "invalid_response",
                         "mattermost %s: HTTP %ld with a body that is not JSON", what, resp.status);
    sb_curl_resp_clear(&resp);
    return rc;
}

/* Sends args (consumed) as JSON. */
static int call_json(mm_t *m, const char *method, const char *path, cJSON *args,
                     const char *missing_code, cJSON **out, sb_chat_error_t *err) {
    char *body = args ? cJSON_PrintUnformatted(args) : NULL;
    cJSON_Delete(args);
    if (!body)
        return sb_chat_fail(err, 1, "out_of_memory", "mattermost %s %s: cannot build the request",
                            method, path);
    int rc = call(m, method, path, body, missing_code, out, err);
    free(body);
    return rc;
}

/* Copies the string key of an answer; -1 when missing or too long. */
static int copy_str(const cJSON *root, const char *key, char *out, size_t size) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) >= size)
        return -1;
    memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
    return 0;
}

/* An id goes into a path: letters and digits only (Mattermost's are). */
static int id_ok(const char *s) {
    size_t n = strlen(s);
    return n > 0 && n < ID_SIZE &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == n;
}

/* ---- the operations ------------------------------------------------------ */

/* The bot's own user id, asked once (a DM channel names both members). */
static int bot_id(mm_t *m, sb_chat_error_t *err) {
    cJSON *res;
    if (m->bot_id[0])
        return 0;
    if (call(m, "GET", "/users/me", NULL, NULL, &res, err) == -1)
        return -1;
    int rc = copy_str(res, "id", m->bot_id, sizeof(m->bot_id));
    cJSON_Delete(res);
    if (rc == -1 || !id_ok(m->bot_id)) {
        m->bot_id[0] = '\0';
        return sb_chat_fail(err, 0, "invalid_response", "mattermost GET /users/me: no user id");
    }
    return 0;
}

static int mm_open_dm(sb_chat_t *chat, const char *user, char *out, size_t size,
                      sb_chat_error_t *err) {
    mm_t *m = (mm_t *)chat;
    cJSON *args, *res;
    if (!id_ok(user))
        return sb_chat_fail(err, 0, "user_not_found", "mattermost: \"%.64s\" is not a user id",
                            user);
    if (bot_id(m, err) == -1)
        return -1;
    args = cJSON_CreateArray();
    cJSON_AddItemToArray(args, cJSON_CreateString(m->bot_id));
    cJSON_AddItemToArray(args, cJSON_CreateString(user));
    if (call_json(m, "POST", "/channels/direct", args, "user_not_found", &res, err) == -1) {
        if (err->code[0] == 'h' && strcmp(err->code, "http_400") == 0) /* an unknown user id */
            snprintf(err->code, sizeof(err->code), "user_not_found");
        return -1;
    }
    int rc = copy_str(res, "id", out, size);
    cJSON_Delete(res);
    if (rc == -1)
        return sb_chat_fail(err, 0, "invalid_response",
                            "mattermost POST /channels/direct: no channel id (or over %zu bytes)",
                            size);
    return 0;
}

static int mm_lookup_email(sb_chat_t *chat, const char *email, char *out, size_t size,
                           sb_chat_error_t *err) {
    mm_t *m = (mm_t *)chat;
    char path[820];
    cJSON *res;
    if (strlen(email) > 254) /* RFC 5321 path limit */
        return sb_chat_fail(err, 0, "invalid_arguments", "mattermost: e-mail address too long");
    strcpy(path, "/users/email/");
    sb_url_encode(path + 13, sizeof(path) - 13, email, "@+"); /* one path segment */
    if (call(m, "GET", path, NULL, "users_not_found", &res, err) == -1) {
        if (strcmp(err->code, "users_not_found") == 0) { /* err: never NULL here */
            memset(err, 0, sizeof(*err));
            return 1;
        }
        return -1;
    }
    int rc = copy_str(res, "id", out, size);
    cJSON_Delete(res);
    if (rc == -1)
        return sb_chat_fail(err, 0, "invalid_response",
                            "mattermost GET /users/email: no user id (or over %zu bytes)", size);
    return 0;
}

/* POST /posts (post_id NULL) or PUT /posts/{id}/patch with message
 * (already escaped) and props (consumed, may be NULL); fills ref. */
static int post(mm_t *m, const char *channel, const char *post_id, const char *message,
                cJSON *props, sb_chat_ref_t *ref, sb_chat_error_t *err) {
    char path[128];
    cJSON *args = cJSON_CreateObject(), *res;
    if (!id_ok(channel) || (post_id && !id_ok(post_id))) {
        cJSON_Delete(props);
        cJSON_Delete(args);
        return sb_chat_fail(err, 0, post_id ? "message_not_found" : "channel_not_found",
                            "mattermost: a channel or post id that is not one");
    }
    if (post_id)
        snprintf(path, sizeof(path), "/posts/%s/patch", post_id);
    else
        cJSON_AddStringToObject(args, "channel_id", channel);
    cJSON_AddStringToObject(args, "message", message);
    if (props)
        cJSON_AddItemToObject(args, "props", props);
    if (call_json(m, post_id ? "PUT" : "POST", post_id ? path : "/posts", args,
                  post_id ? "message_not_found" : "channel_not_found", &res, err) == -1)
        return -1;
    int rc = 0;
    if (ref && (copy_str(res, "channel_id", ref->channel, sizeof(ref->channel)) == -1 ||
                copy_str(res, "id", ref->ts, sizeof(ref->ts)) == -1))
        rc = sb_chat_fail(err, 0, "invalid_response",
                          "mattermost %s: no id or channel_id in the answer",
                          post_id ? "PUT /posts/{id}/patch" : "POST /posts");
    cJSON_Delete(res);
    return rc;
}

/* text as a message: literal but for * and _ and ``` code blocks, cut to
 * Mattermost's limit. */
static int post_text(mm_t *m, const char *channel, const char *post_id, const char *text,
                     cJSON *props, sb_chat_ref_t *ref, sb_chat_error_t *err) {
    sb_buf_t b = {0};
    sb_mm_add_bot_text(&b, text, SB_MM_MESSAGE_MAX / 2); /* an escape doubles a character */
    if (b.err) {
        sb_buf_free(&b);
        cJSON_Delete(props);
        return sb_chat_fail(err, 1, "out_of_memory", "mattermost: out of memory");
    }
    int rc = post(m, channel, post_id, sb_buf_str(&b), props, ref, err);
    sb_buf_free(&b);
    return rc;
}

/* A prompt with its buttons: posted to p->channel (old NULL), or in
 * place of the post old (PUT /posts/{id}/patch). */
static int prompt_post(mm_t *m, const sb_chat_prompt_t *p, const sb_chat_ref_t *old,
                       sb_chat_ref_t *ref, sb_chat_error_t *err) {
    sb_buf_t b = {0};
    const char *why;
    sb_mm_buttons_t bt = {m->actions_url, m->secret, sb_time_now_us() / 1000000 + m->ttl_s};
    if (!m->actions_url || !m->secret)
        return sb_chat_fail(err, 0, "not_configured",
                            "mattermost: a prompt's buttons need SECURITYBOT_PUBLIC_URL and "
                            "MATTERMOST_ACTIONS_SECRET");
    if (!p->chat_user_id || !id_ok(p->chat_user_id))
        return sb_chat_fail(err, 0, "invalid_arguments", "mattermost: a prompt needs its user id");
    cJSON *props = sb_mm_prompt_props(p, &bt, NULL, &why);
    if (!props)
        return sb_chat_fail(err, 1, "out_of_memory", "mattermost: %s", why);
    sb_mm_prompt_message(&b, p);
    if (b.err) {
        cJSON_Delete(props);
        sb_buf_free(&b);
        return sb_chat_fail(err, 1, "out_of_memory", "mattermost: out of memory");
    }
    int rc = old ? post(m, old->channel, old->ts, sb_buf_str(&b), props, NULL, err)
                 : post(m, p->channel, NULL, sb_buf_str(&b), props, ref, err);
    sb_buf_free(&b);
    return rc;
}

static int mm_send_prompt(sb_chat_t *chat, const sb_chat_prompt_t *p, sb_chat_ref_t *ref,
                          sb_chat_error_t *err) {
    return prompt_post((mm_t *)chat, p, NULL, ref, err);
}

static int mm_refresh(sb_chat_t *chat, const sb_chat_ref_t *ref, const sb_chat_prompt_t *p,
                      sb_chat_error_t *err) {
    return prompt_post((mm_t *)chat, p, ref, NULL, err);
}

static int mm_send_text(sb_chat_t *chat, const char *channel, const char *text, sb_chat_ref_t *ref,
                        sb_chat_error_t *err) {
    return post_text((mm_t *)chat, channel, NULL, text, NULL, ref, err);
}

/* The text comes escaped for Slack (sb_chat.h): back to plain text, then
 * escaped for Markdown by post_text; an entity left in would show as it is
 * in the digest's code block. */
static int mm_post_channel(sb_chat_t *chat, const char *channel, const char *text,
                           sb_chat_error_t *err) {
    sb_buf_t plain = {0};
    sb_mm_add_slack_decoded(&plain, text);
    if (plain.err) {
        sb_buf_free(&plain);
        return sb_chat_fail(err, 1, "out_of_memory", "mattermost: out of memory");
    }
    int rc = post_text((mm_t *)chat, channel, NULL, sb_buf_str(&plain), NULL, NULL, err);
    sb_buf_free(&plain);
    return rc;
}

/* The buttons go: the attachment keeps the alert (when p) with text under
 * it; without p the post becomes text alone (its attachments emptied). */
static int mm_update(sb_chat_t *chat, const sb_chat_ref_t *ref, const sb_chat_prompt_t *p,
                     const char *text, sb_chat_error_t *err) {
    mm_t *m = (mm_t *)chat;
    const char *why;
    cJSON *props = p ? sb_mm_prompt_props(p, NULL, text, &why) : cJSON_CreateObject();
    if (props && !p)
        cJSON_AddArrayToObject(props, "attachments");
    if (!props)
        return sb_chat_fail(err, 1, "out_of_memory", "mattermost: out of memory building a patch");
    if (p) {
        sb_buf_t b = {0};
        sb_mm_prompt_message(&b, p);
        int rc = b.err ? sb_chat_fail(err, 1, "out_of_memory", "mattermost: out of memory")
                       : post(m, ref->channel, ref->ts, sb_buf_str(&b), props, NULL, err);
        if (b.err)
            cJSON_Delete(props);
        sb_buf_free(&b);
        return rc;
    }
    return post_text(m, ref->channel, ref->ts, text, props, NULL, err);
}

/* POST /actions/dialogs/open; Mattermost's 400 for a trigger past its 3 s
 * (AppError interactive_message.decode_trigger_id.expired) becomes
 * "expired_trigger_id". Not retried past sb_curl's own retries: the
 * trigger does not outlive them. */
static int mm_ask(sb_chat_t *chat, const char *what, const char *trigger_id, const char *user,
                  const char *alert_id, sb_chat_error_t *err) {
    mm_t *m = (mm_t *)chat;
    cJSON *out = NULL, *args;
    if (!m->dialogs_url || !m->secret)
        return sb_chat_fail(err, 0, "not_configured",
                            "mattermost: a dialog needs SECURITYBOT_PUBLIC_URL and "
                            "MATTERMOST_ACTIONS_SECRET");
    if (!id_ok(user))
        return sb_chat_fail(err, 0, "invalid_arguments", "mattermost: a malformed user id");
    args = sb_mm_dialog(what, trigger_id, m->dialogs_url, m->secret, user, alert_id,
                        sb_time_now_us() / 1000000 + SB_MM_DIALOG_TTL_S);
    if (!args)
        return sb_chat_fail(err, 0, "invalid_arguments", "mattermost: cannot build the dialog");
    int rc = call_json(m, "POST", "/actions/dialogs/open", args, NULL, &out, err);
    cJSON_Delete(out);
    if (rc == -1 && strstr(err->msg, "trigger_id.expired"))
        snprintf(err->code, sizeof(err->code), "expired_trigger_id");
    return rc;
}

static void mm_destroy(sb_chat_t *chat) {
    mm_t *m = (mm_t *)chat;
    sb_curl_destroy(m->curl);
    if (m->token) /* the secrets do not outlive the client */
        memset(m->token, 0, strlen(m->token));
    if (m->secret)
        memset(m->secret, 0, strlen(m->secret));
    free(m->token);
    free(m->secret);
    free(m->api_url);
    free(m->actions_url);
    free(m->dialogs_url);
    free(m);
}

static const sb_chat_ops_t mm_ops = {
    .name = "mattermost",
    .destroy = mm_destroy,
    .open_dm = mm_open_dm,
    .lookup_email = mm_lookup_email,
    .send_prompt = mm_send_prompt,
    .send_text = mm_send_text,
    .update = mm_update,
    .refresh = mm_refresh,
    .post_channel = mm_post_channel,
    .ask = mm_ask,
};

/* A token is one header word: printable ASCII, no spaces. */
static int token_ok(const char *t) {
    if (!t || !*t)
        return 0;
    for (; *t; t++)
        if (*t <= ' ' || *t >= 0x7f)
            return 0;
    return 1;
}

/* base without its trailing slashes, then suffix; NULL when out of memory. */
static char *join(const char *base, const char *suffix) {
    size_t n = strlen(base);
    while (n > 8 && base[n - 1] == '/')
        n--;
    char *s = malloc(n + strlen(suffix) + 1);
    if (s) {
        memcpy(s, base, n);
        strcpy(s + n, suffix);
    }
    return s;
}

static int check_config(const sb_chat_config_t *cfg, char *errstr, size_t errstr_size) {
    if (!token_ok(cfg->mattermost_bot_token)) {
        snprintf(errstr, errstr_size, "MATTERMOST_BOT_TOKEN is %s",
                 cfg->mattermost_bot_token && *cfg->mattermost_bot_token ? "malformed" : "not set");
        return -1;
    }
    if (!cfg->mattermost_url || !*cfg->mattermost_url) {
        snprintf(errstr, errstr_size, "MATTERMOST_URL is not set");
        return -1;
    }
    /* every call carries the bot token */
    if (sb_curl_check_secret_url("MATTERMOST_URL", cfg->mattermost_url, errstr, errstr_size) == -1)
        return -1;
    if (cfg->public_url && *cfg->public_url && strncmp(cfg->public_url, "https://", 8) != 0 &&
        strncmp(cfg->public_url, "http://", 7) != 0) {
        snprintf(errstr, errstr_size, "SECURITYBOT_PUBLIC_URL must start with https:// or http://");
        return -1;
    }
    return 0;
}

sb_chat_t *sb_chat_mattermost_new(const sb_chat_config_t *cfg, char *errstr, size_t errstr_size) {
    mm_t *m;
    if (check_config(cfg, errstr, errstr_size) == -1)
        return NULL;
    if (!(m = calloc(1, sizeof(*m))))
        goto oom;
    m->base.ops = &mm_ops;
    m->api_url = join(cfg->mattermost_url, "/api/v4");
    m->token = strdup(cfg->mattermost_bot_token);
    if (!m->api_url || !m->token)
        goto oom;
    if (cfg->public_url && *cfg->public_url && cfg->mm_actions_secret && *cfg->mm_actions_secret) {
        m->actions_url = join(cfg->public_url, "/mattermost/actions");
        m->dialogs_url = join(cfg->public_url, "/mattermost/dialogs");
        m->secret = strdup(cfg->mm_actions_secret);
        if (!m->actions_url || !m->dialogs_url || !m->secret)
            goto oom;
    }
    m->ttl_s = cfg->mm_button_ttl_s > 0 ? cfg->mm_button_ttl_s : SB_CHAT_DEFAULT_MM_BUTTON_TTL;
    m->timeout_ms = cfg->timeout_ms;
    m->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : DEFAULT_ATTEMPTS;
    m->max_backoff_ms = cfg->max_backoff_ms;
    if (!(m->curl = sb_curl_new(errstr, errstr_size))) {
        mm_destroy(&m->base);
        return NULL;
    }
    return &m->base;
oom:
    if (m)
        mm_destroy(&m->base);
    snprintf(errstr, errstr_size, "mattermost: out of memory");
    return NULL;
}
