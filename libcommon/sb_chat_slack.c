/* sb_chat_slack: the Slack platform over its Web API (calls, retries, DMs, posts, updates). */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_buf.h"
#include "sb_chat.h"
#include "sb_curl.h"
#include "sb_curl_multi.h"
#include "sb_slack_blocks.h"
#include "sb_signal.h"
#include "sb_url.h"

#define DEFAULT_ATTEMPTS 4
#define JSON_TYPE        "application/json; charset=utf-8"

typedef struct {
    sb_chat_t base; /* first: the vtable */
    sb_curl_t *curl;
    sb_curl_multi_t *multi; /* made by the first batch, for its max_in_flight */
    int multi_max;
    char *api_url; /* without a trailing slash */
    char *token;
    long timeout_ms, max_backoff_ms;
    int max_attempts;
} slack_t;

/* ---- the Web API call ---------------------------------------------------- */

/* Slack's ok:false codes that mean "try again later"; every other is final. */
static int error_retryable(const char *code) {
    static const char *const retryable[] = {"ratelimited", "internal_error", "fatal_error",
                                            "service_unavailable", "request_timeout"};
    for (size_t i = 0; i < sizeof(retryable) / sizeof(retryable[0]); i++)
        if (strcmp(code, retryable[i]) == 0)
            return 1;
    return 0;
}

/* Classifies a request that sb_curl gave up on (its errstr in why). */
static int transport_fail(const char *method, const sb_curl_resp_t *resp, const char *why,
                          sb_chat_error_t *err) {
    if (!sb_running || strstr(why, "interrupted"))
        return sb_chat_fail(err, 1, "interrupted", "slack %s: %s", method, why);
    if (resp->status == 429)
        return sb_chat_fail(err, 1, "ratelimited", "slack %s: %s", method, why);
    if (resp->status >= 500) {
        char code[32];
        snprintf(code, sizeof(code), "http_%ld", resp->status);
        return sb_chat_fail(err, 1, code, "slack %s: %s", method, why);
    }
    if (strstr(why, "gave up after"))
        return sb_chat_fail(err, 1, "network", "slack %s: %s", method, why);
    /* bad URL, TLS verification, an oversize answer: the same next time */
    return sb_chat_fail(err, 0, "transport", "slack %s: %s", method, why);
}

/* Slack's answer: 0 with *out (ok:true, caller deletes), or -1 classified. */
static int answer(const char *method, const sb_curl_resp_t *resp, cJSON **out,
                  sb_chat_error_t *err) {
    cJSON *root = resp->body ? cJSON_Parse(resp->body) : NULL;
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    const char *code = cJSON_IsString(error) ? error->valuestring : NULL;
    int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "ok"));
    char http[32];

    if (resp->status >= 200 && resp->status < 300 && ok) {
        *out = root;
        return 0;
    }
    snprintf(http, sizeof(http), "http_%ld", resp->status);
    if (resp->status >= 200 && resp->status < 300 && !root)
        sb_chat_fail(err, 1, "invalid_response", "slack %s: HTTP %ld with a body that is not JSON",
                     method, resp->status);
    else if (resp->status >= 200 && resp->status < 300)
        sb_chat_fail(err, code ? error_retryable(code) : 1, code ? code : "invalid_response",
                     "slack %s: %s", method, code ? code : "ok:false without an error");
    else /* 3xx, 4xx but 429: final (sb_curl retried 429 and 5xx) */
        sb_chat_fail(err, 0, code ? code : http, "slack %s: HTTP %ld%s%s", method, resp->status,
                     code ? ": " : "", code ? code : "");
    cJSON_Delete(root);
    return -1;
}

/* Calls method: a POST of body (JSON) or, body NULL, a GET with query. */
static int call(slack_t *s, const char *method, const char *query, const char *body, cJSON **out,
                sb_chat_error_t *err) {
    char url[1024], why[SB_CHAT_ERRSTR_SIZE];
    sb_curl_resp_t resp;
    int n = snprintf(url, sizeof(url), "%s/%s%s%s", s->api_url, method, query ? "?" : "",
                     query ? query : "");
    if (n < 0 || (size_t)n >= sizeof(url))
        return sb_chat_fail(err, 0, "invalid_arguments", "slack %s: URL too long", method);
    sb_curl_req_t req = {
        .method = body ? "POST" : "GET",
        .url = url,
        .bearer_token = s->token,
        .content_type = body ? JSON_TYPE : NULL,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .timeout_ms = s->timeout_ms,
        .max_attempts = s->max_attempts,
        .max_backoff_ms = s->max_backoff_ms,
    };
    *out = NULL;
    why[0] = '\0';
    int rc = sb_curl_request(s->curl, &req, &resp, why, sizeof(why));
    if (rc == -1)
        transport_fail(method, &resp, why, err);
    else
        rc = answer(method, &resp, out, err);
    sb_curl_resp_clear(&resp);
    return rc;
}

/* POSTs args (consumed) as JSON. */
static int call_json(slack_t *s, const char *method, cJSON *args, cJSON **out,
                     sb_chat_error_t *err) {
    char *body = args ? cJSON_PrintUnformatted(args) : NULL;
    cJSON_Delete(args);
    if (!body)
        return sb_chat_fail(err, 1, "out_of_memory", "slack %s: cannot build the request", method);
    int rc = call(s, method, NULL, body, out, err);
    free(body);
    return rc;
}

/* Copies a string at path k1[.k2] of an answer; -1 when missing or too long. */
static int copy_str(const cJSON *root, const char *k1, const char *k2, char *out, size_t size) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, k1);
    if (k2)
        v = cJSON_GetObjectItemCaseSensitive(v, k2);
    if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) >= size)
        return -1;
    memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
    return 0;
}

/* ---- the operations ------------------------------------------------------ */

static int slack_open_dm(sb_chat_t *chat, const char *user, char *out, size_t size,
                         sb_chat_error_t *err) {
    slack_t *s = (slack_t *)chat;
    cJSON *args = cJSON_CreateObject(), *res;
    cJSON_AddStringToObject(args, "users", user);
    if (call_json(s, "conversations.open", args, &res, err) == -1)
        return -1;
    int rc = copy_str(res, "channel", "id", out, size);
    cJSON_Delete(res);
    if (rc == -1)
        return sb_chat_fail(err, 0, "invalid_response",
                            "slack conversations.open: no channel id (or over %zu bytes)", size);
    return 0;
}

static int slack_lookup_email(sb_chat_t *chat, const char *email, char *out, size_t size,
                              sb_chat_error_t *err) {
    slack_t *s = (slack_t *)chat;
    char query[800];
    cJSON *res;
    if (strlen(email) > 254) /* RFC 5321 path limit */
        return sb_chat_fail(err, 0, "invalid_arguments", "slack: e-mail address too long");
    strcpy(query, "email=");
    sb_url_encode(query + 6, sizeof(query) - 6, email, NULL); /* as a form value */
    if (call(s, "users.lookupByEmail", query, NULL, &res, err) == -1) {
        if (strcmp(err->code, "users_not_found") == 0) { /* err: never NULL here */
            memset(err, 0, sizeof(*err));
            return 1;
        }
        return -1;
    }
    int rc = copy_str(res, "user", "id", out, size);
    cJSON_Delete(res);
    if (rc == -1)
        return sb_chat_fail(err, 0, "invalid_response",
                            "slack users.lookupByEmail: no user id (or over %zu bytes)", size);
    return 0;
}

/* users.info (scope users:read): the profile's IANA zone `tz`, or "" when
 * the profile has none (or one too long to be a zone name). */
static int slack_user_timezone(sb_chat_t *chat, const char *user, char *out, size_t size,
                               sb_chat_error_t *err) {
    slack_t *s = (slack_t *)chat;
    char query[256];
    cJSON *res;
    if (strlen(user) > 64)
        return sb_chat_fail(err, 0, "invalid_arguments", "slack: user id too long");
    strcpy(query, "user=");
    sb_url_encode(query + 5, sizeof(query) - 5, user, NULL);
    if (call(s, "users.info", query, NULL, &res, err) == -1)
        return -1;
    if (copy_str(res, "user", "tz", out, size) == -1)
        out[0] = '\0';
    cJSON_Delete(res);
    return 0;
}

/* chat.postMessage or chat.update with text (escaped here, or already
 * escaped: raw) and blocks (consumed, may be NULL); fills ref. */
static int post(slack_t *s, const char *method, const char *channel, const char *ts,
                const char *text, int raw, cJSON *blocks, sb_chat_ref_t *ref,
                sb_chat_error_t *err) {
    sb_buf_t b = {0};
    cJSON *args = cJSON_CreateObject(), *res;
    if (!raw)
        sb_buf_add_text(&b, text, SB_CHAT_TEXT_MAX, SB_BUF_ENTITIES);
    cJSON_AddStringToObject(args, "channel", channel);
    if (ts)
        cJSON_AddStringToObject(args, "ts", ts);
    cJSON_AddStringToObject(args, "text", raw ? text : sb_buf_str(&b));
    if (blocks)
        cJSON_AddItemToObject(args, "blocks", blocks);
    if (b.err || !args) {
        sb_buf_free(&b);
        cJSON_Delete(args);
        return sb_chat_fail(err, 1, "out_of_memory", "slack %s: out of memory", method);
    }
    sb_buf_free(&b);
    if (call_json(s, method, args, &res, err) == -1)
        return -1;
    int rc = 0;
    if (ref && (copy_str(res, "channel", NULL, ref->channel, sizeof(ref->channel)) == -1 ||
                copy_str(res, "ts", NULL, ref->ts, sizeof(ref->ts)) == -1))
        rc = sb_chat_fail(err, 0, "invalid_response", "slack %s: no channel or ts in the answer",
                          method);
    cJSON_Delete(res);
    return rc;
}

/* A prompt's blocks and fallback text through method: chat.postMessage to
 * p->channel (at, ref: NULL) or chat.update of the message at. */
static int prompt_call(sb_chat_t *chat, const char *method, const sb_chat_prompt_t *p,
                       const sb_chat_ref_t *at, sb_chat_ref_t *ref, sb_chat_error_t *err) {
    sb_buf_t b = {0};
    cJSON *blocks = sb_slack_prompt_blocks(p, NULL);
    sb_slack_fallback_text(&b, p);
    if (!blocks || b.err) {
        cJSON_Delete(blocks);
        sb_buf_free(&b);
        return sb_chat_fail(err, 1, "out_of_memory", "slack: out of memory building a prompt");
    }
    int rc = post((slack_t *)chat, method, at ? at->channel : p->channel, at ? at->ts : NULL, b.s,
                  1, blocks, ref, err);
    sb_buf_free(&b);
    return rc;
}

static int slack_send_prompt(sb_chat_t *chat, const sb_chat_prompt_t *p, sb_chat_ref_t *ref,
                             sb_chat_error_t *err) {
    return prompt_call(chat, "chat.postMessage", p, NULL, ref, err);
}

static int slack_send_text(sb_chat_t *chat, const char *channel, const char *text,
                           sb_chat_ref_t *ref, sb_chat_error_t *err) {
    return post((slack_t *)chat, "chat.postMessage", channel, NULL, text, 0, NULL, ref, err);
}

static int slack_post_channel(sb_chat_t *chat, const char *channel, const char *text,
                              sb_chat_error_t *err) {
    /* mrkdwn already escaped where it was built (sb_chat.h): escaping it
     * again here showed "&" as "&amp;amp;" and broke links */
    return post((slack_t *)chat, "chat.postMessage", channel, NULL, text, 1, NULL, NULL, err);
}

/* The buttons go: blocks are the alert (when p) and a section of text. */
static int slack_update(sb_chat_t *chat, const sb_chat_ref_t *ref, const sb_chat_prompt_t *p,
                        const char *text, sb_chat_error_t *err) {
    cJSON *blocks = p ? sb_slack_prompt_blocks(p, text) : sb_slack_text_blocks(text);
    if (!blocks)
        return sb_chat_fail(err, 1, "out_of_memory", "slack: out of memory building an update");
    return post((slack_t *)chat, "chat.update", ref->channel, ref->ts, text, 0, blocks, NULL, err);
}

/* The prompt again, buttons and all: chat.update with the postMessage's blocks. */
static int slack_refresh(sb_chat_t *chat, const sb_chat_ref_t *ref, const sb_chat_prompt_t *p,
                         sb_chat_error_t *err) {
    return prompt_call(chat, "chat.update", p, ref, NULL, err);
}

static cJSON *plain(const char *text) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "plain_text");
    cJSON_AddStringToObject(o, "text", text);
    return o;
}

/* views.open: one input for the code; its submission (view_submission)
 * names the alert in private_metadata. */
static int slack_open_code_modal(sb_chat_t *chat, const char *trigger_id, const char *alert_id,
                                 sb_chat_error_t *err) {
    cJSON *args = cJSON_CreateObject(), *view = cJSON_CreateObject(), *blocks, *input, *el, *res;
    cJSON_AddStringToObject(args, "trigger_id", trigger_id);
    cJSON_AddStringToObject(view, "type", "modal");
    cJSON_AddStringToObject(view, "callback_id", SB_CHAT_CODE_CALLBACK);
    cJSON_AddStringToObject(view, "private_metadata", alert_id);
    cJSON_AddItemToObject(view, "title", plain("securitybot"));
    cJSON_AddItemToObject(view, "submit", plain("Confirm"));
    cJSON_AddItemToObject(view, "close", plain("Cancel"));
    blocks = cJSON_AddArrayToObject(view, "blocks");
    input = cJSON_CreateObject();
    cJSON_AddStringToObject(input, "type", "input");
    cJSON_AddStringToObject(input, "block_id", SB_CHAT_CODE_BLOCK);
    cJSON_AddItemToObject(input, "label", plain("The 6-digit code from your authenticator app"));
    el = cJSON_CreateObject();
    cJSON_AddStringToObject(el, "type", "plain_text_input");
    cJSON_AddStringToObject(el, "action_id", SB_CHAT_CODE_INPUT);
    cJSON_AddNumberToObject(el, "min_length", 6);
    cJSON_AddNumberToObject(el, "max_length", 9); /* "123 456" */
    cJSON_AddItemToObject(input, "element", el);
    cJSON_AddItemToArray(blocks, input);
    cJSON_AddItemToObject(args, "view", view);
    if (call_json((slack_t *)chat, "views.open", args, &res, err) == -1)
        return -1;
    cJSON_Delete(res);
    return 0;
}

/* ---- many prompts at once ------------------------------------------------ */

/* One stage of a batch: a request per item that needs one. */
typedef struct {
    slack_t *s;
    sb_chat_batch_t *items;
    size_t *item; /* request -> item */
    const char *method;
    sb_curl_req_t *reqs;
    char **bodies; /* owned; NULL for a GET */
    char (*urls)[1024];
    const char **keys;
    size_t n;
} stage_t;

static void stage_free(stage_t *st) {
    for (size_t i = 0; st->bodies && i < st->n; i++)
        free(st->bodies[i]);
    free(st->bodies);
    free(st->urls);
    free(st->reqs);
    free(st->keys);
    free(st->item);
}

/* Room for up to n requests of method; 0 or -1 (out of memory). */
static int stage_init(stage_t *st, slack_t *s, sb_chat_batch_t *items, size_t n,
                      const char *method) {
    *st = (stage_t){.s = s, .items = items, .method = method};
    st->item = calloc(n, sizeof(*st->item));
    st->reqs = calloc(n, sizeof(*st->reqs));
    st->bodies = calloc(n, sizeof(*st->bodies));
    st->urls = calloc(n, sizeof(*st->urls));
    st->keys = calloc(n, sizeof(*st->keys));
    if (!st->item || !st->reqs || !st->bodies || !st->urls || !st->keys) {
        stage_free(st);
        return -1;
    }
    return 0;
}

/* Adds item i's request: a POST of body (owned from here) or a GET. */
static void stage_add(stage_t *st, size_t i, const char *query, char *body) {
    size_t k = st->n++;
    snprintf(st->urls[k], sizeof(st->urls[k]), "%s/%s%s%s", st->s->api_url, st->method,
             query ? "?" : "", query ? query : "");
    st->bodies[k] = body;
    st->item[k] = i;
    st->keys[k] = st->method; /* Slack's limits are per method (and per channel: one each) */
    st->reqs[k] = (sb_curl_req_t){
        .method = body ? "POST" : "GET",
        .url = st->urls[k],
        .bearer_token = st->s->token,
        .content_type = body ? JSON_TYPE : NULL,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .timeout_ms = st->s->timeout_ms,
        .max_attempts = st->s->max_attempts,
        .max_backoff_ms = st->s->max_backoff_ms,
    };
}

/* A lookup or a post answered (or gave up). */
static void stage_done(void *ctx, size_t k, int rc, const sb_curl_resp_t *resp, const char *why) {
    stage_t *st = ctx;
    sb_chat_batch_t *it = &st->items[st->item[k]];
    cJSON *res = NULL;
    if (rc == -1) {
        transport_fail(st->method, resp, why, &it->err);
        return;
    }
    if (answer(st->method, resp, &res, &it->err) == -1) {
        if (!strcmp(st->method, "users.lookupByEmail") && !strcmp(it->err.code, "users_not_found"))
            sb_chat_fail(&it->err, 0, "users_not_found", "no chat user has the e-mail");
        return;
    }
    if (!strcmp(st->method, "users.lookupByEmail")) {
        if (copy_str(res, "user", "id", it->user_found, sizeof(it->user_found)) == -1)
            sb_chat_fail(&it->err, 0, "invalid_response",
                         "slack users.lookupByEmail: no user id (or too long)");
    } else if (copy_str(res, "channel", NULL, it->ref.channel, sizeof(it->ref.channel)) == -1 ||
               copy_str(res, "ts", NULL, it->ref.ts, sizeof(it->ref.ts)) == -1) {
        sb_chat_fail(&it->err, 0, "invalid_response",
                     "slack chat.postMessage: no channel or ts in the answer");
    } else {
        it->rc = 0;
    }
    cJSON_Delete(res);
}

/* chat.postMessage's body for item it (to its user's id), or NULL with
 * it->err. */
static char *prompt_body(sb_chat_batch_t *it, const char *user) {
    sb_buf_t b = {0};
    cJSON *args, *blocks;
    char *body;
    it->prompt.channel = user;
    it->prompt.chat_user_id = user;
    if (sb_chat_prompt_check(&it->prompt, &it->err) == -1)
        return NULL;
    blocks = sb_slack_prompt_blocks(&it->prompt, NULL);
    sb_slack_fallback_text(&b, &it->prompt);
    args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "channel", user);
    cJSON_AddStringToObject(args, "text", b.s ? b.s : "");
    if (blocks)
        cJSON_AddItemToObject(args, "blocks", blocks);
    body = blocks && !b.err && args ? cJSON_PrintUnformatted(args) : NULL;
    cJSON_Delete(args);
    sb_buf_free(&b);
    if (!body)
        sb_chat_fail(&it->err, 1, "out_of_memory", "slack: out of memory building a prompt");
    return body;
}

/* Runs a stage's requests, at most multi_max at a time. */
static void stage_run(stage_t *st) {
    if (st->n > 0)
        sb_curl_multi_run(st->s->multi, st->reqs, st->keys, st->n, stage_done, st);
}

static void slack_send_prompts(sb_chat_t *chat, sb_chat_batch_t *items, size_t n,
                               int max_in_flight) {
    slack_t *s = (slack_t *)chat;
    char errstr[256], query[800];
    stage_t st;

    if (max_in_flight < 1)
        max_in_flight = 1;
    if (s->multi && s->multi_max != max_in_flight) {
        sb_curl_multi_destroy(s->multi);
        s->multi = NULL;
    }
    if (!s->multi && !(s->multi = sb_curl_multi_new(max_in_flight, errstr, sizeof(errstr)))) {
        for (size_t i = 0; i < n; i++)
            sb_chat_fail(&items[i].err, 1, "out_of_memory", "slack: %s", errstr);
        return;
    }
    s->multi_max = max_in_flight;
    /* 1: the users without a chat id, by e-mail */
    if (stage_init(&st, s, items, n, "users.lookupByEmail") == 0) {
        for (size_t i = 0; i < n; i++) {
            sb_chat_batch_t *it = &items[i];
            if (it->chat_user_id)
                continue;
            if (!it->email || !*it->email)
                sb_chat_fail(&it->err, 0, "no_chat_id", "no chat id and no e-mail");
            else if (strlen(it->email) > 254) /* RFC 5321 path limit */
                sb_chat_fail(&it->err, 0, "invalid_arguments", "slack: e-mail address too long");
            else if (!sb_chat_utf8_ok(it->email))
                sb_chat_fail(&it->err, 0, "invalid_arguments", "slack: e-mail not UTF-8");
            else {
                strcpy(query, "email=");
                sb_url_encode(query + 6, sizeof(query) - 6, it->email, NULL);
                stage_add(&st, i, query, NULL);
            }
        }
        stage_run(&st);
        stage_free(&st);
    }
    /* 2: the prompts of everyone with an id */
    if (stage_init(&st, s, items, n, "chat.postMessage") == -1) {
        for (size_t i = 0; i < n; i++)
            sb_chat_fail(&items[i].err, 1, "out_of_memory", "slack: out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        sb_chat_batch_t *it = &items[i];
        const char *user = it->chat_user_id ? it->chat_user_id : it->user_found;
        char *body;
        if (!*user || it->err.code[0])
            continue;
        if (!sb_chat_utf8_ok(user) || strlen(user) > 255)
            sb_chat_fail(&it->err, 0, "invalid_arguments", "slack: invalid chat user id");
        else if ((body = prompt_body(it, user)))
            stage_add(&st, i, NULL, body);
    }
    stage_run(&st);
    stage_free(&st);
    for (size_t i = 0; i < n; i++) {
        items[i].prompt.channel = NULL; /* they pointed into the items */
        if (items[i].rc == -1 && !items[i].err.code[0])
            sb_chat_fail(&items[i].err, 1, "interrupted", "slack: not sent");
    }
}

static void slack_destroy(sb_chat_t *chat) {
    slack_t *s = (slack_t *)chat;
    sb_curl_destroy(s->curl);
    sb_curl_multi_destroy(s->multi);
    if (s->token) /* the secret does not outlive the client */
        memset(s->token, 0, strlen(s->token));
    free(s->token);
    free(s->api_url);
    free(s);
}

static const sb_chat_ops_t slack_ops = {
    .name = "slack",
    .destroy = slack_destroy,
    .open_dm = slack_open_dm,
    .lookup_email = slack_lookup_email,
    .send_prompt = slack_send_prompt,
    .send_text = slack_send_text,
    .update = slack_update,
    .refresh = slack_refresh,
    .post_channel = slack_post_channel,
    .open_code_modal = slack_open_code_modal,
    .user_timezone = slack_user_timezone,
    .send_prompts = slack_send_prompts,
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

sb_chat_t *sb_chat_slack_new(const sb_chat_config_t *cfg, char *errstr, size_t errstr_size) {
    const char *url = cfg->slack_api_url && *cfg->slack_api_url ? cfg->slack_api_url
                                                                : SB_CHAT_DEFAULT_SLACK_API_URL;
    slack_t *s;
    if (!token_ok(cfg->slack_bot_token)) {
        snprintf(errstr, errstr_size, "SLACK_BOT_TOKEN is %s",
                 cfg->slack_bot_token && *cfg->slack_bot_token ? "malformed" : "not set");
        return NULL;
    }
    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
        snprintf(errstr, errstr_size, "SLACK_API_URL must start with https:// or http://");
        return NULL;
    }
    if (!(s = calloc(1, sizeof(*s))))
        goto oom;
    s->base.ops = &slack_ops;
    s->api_url = strdup(url);
    s->token = strdup(cfg->slack_bot_token);
    if (!s->api_url || !s->token)
        goto oom;
    while (strlen(s->api_url) > 8 && s->api_url[strlen(s->api_url) - 1] == '/')
        s->api_url[strlen(s->api_url) - 1] = '\0';
    s->timeout_ms = cfg->timeout_ms;
    s->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : DEFAULT_ATTEMPTS;
    s->max_backoff_ms = cfg->max_backoff_ms;
    if (!(s->curl = sb_curl_new(errstr, errstr_size))) {
        slack_destroy(&s->base);
        return NULL;
    }
    return &s->base;
oom:
    if (s)
        slack_destroy(&s->base);
    snprintf(errstr, errstr_size, "slack: out of memory");
    return NULL;
}
