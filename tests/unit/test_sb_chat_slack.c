/* Unit tests for sb_chat's Slack platform against tests/fakes/fake_slack.py: what Slack receives.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sb_chat.h"
#include "sb_curl.h"
#include "sb_test.h"
#include "sb_test_fake_slack.h"
#include "sb_time.h"
#include "sb_utf8.h"

#define TOKEN    "xoxb-s3cr3t-t0ken-4242"
#define ALERT_ID "a1b2c3d4-0000-4000-8000-000000000001"

static pid_t fake_pid = -1;
static char base[64];  /* http://127.0.0.1:<port> */
static char api[80];   /* base + /api */
static sb_curl_t *ctl; /* a client for the control API */
static sb_chat_t *chat;

/* ---- the fake (as in test_sb_curl.c) -------------------------------------- */

static int fake_start(void) {
    fake_pid = sb_fake_slack_start(TOKEN, __FILE__, base, sizeof(base));
    if (fake_pid <= 0)
        return -1;
    snprintf(api, sizeof(api), "%s/api/", base); /* a trailing slash is tolerated */
    return 0;
}

static void fake_stop(void) {
    sb_fake_slack_stop(fake_pid);
}

static void control(const char *what, const char *json) {
    sb_fake_slack_post(ctl, base, what, json);
}

static cJSON *control_get(const char *what) {
    return sb_fake_slack_get(ctl, base, what);
}

static int violations(void) {
    return sb_fake_slack_violations(ctl, base);
}

static void reset(void) {
    control("reset", "{}");
    control("config", "{\"users\":{\"jdoe@example.com\":\"U100\"},\"channels\":[\"C0SEC\"]}");
}

/* ---- JSON helpers --------------------------------------------------------- */

static const cJSON *at(const cJSON *j, const char *key) {
    return cJSON_GetObjectItemCaseSensitive(j, key);
}

static const char *str(const cJSON *j, const char *key) {
    const cJSON *v = at(j, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int count_calls(cJSON *calls) {
    return cJSON_GetArraySize(at(calls, "calls"));
}

/* The received calls (caller deletes) and the last one's args. */
static cJSON *last_call(const cJSON **call) {
    cJSON *calls = control_get("calls");
    *call = cJSON_GetArrayItem(at(calls, "calls"), count_calls(calls) - 1);
    return calls;
}

/* The one message the fake holds (caller deletes the root in *root). */
static const cJSON *only_message(cJSON **root) {
    *root = control_get("messages");
    const cJSON *msgs = at(*root, "messages");
    SB_CHECK_MSG(cJSON_GetArraySize(msgs) == 1, "%d messages", cJSON_GetArraySize(msgs));
    return cJSON_GetArrayItem(msgs, 0);
}

static long elapsed_ms(int64_t start_us) {
    return (long)((sb_time_monotonic_us() - start_us) / 1000);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_lookup_and_dm(void) {
    char id[64], channel[SB_CHAT_CHANNEL_SIZE];
    sb_chat_error_t err;
    const cJSON *call;
    reset();
    SB_CHECK_MSG(sb_chat_lookup_email(chat, "jdoe@example.com", id, sizeof(id), &err) == 0, "%s",
                 err.msg);
    SB_CHECK_STR(id, "U100");
    /* err may be NULL: not found is still told apart from an error */
    SB_CHECK(sb_chat_lookup_email(chat, "nobody@example.com", id, sizeof(id), NULL) == 1);
    SB_CHECK(sb_chat_lookup_email(chat, "JDoe+x@example.com", id, sizeof(id), &err) == 1);
    SB_CHECK(id[0] == '\0' && err.code[0] == '\0');
    cJSON *calls = last_call(&call);
    SB_CHECK_STR(str(call, "http_method"), "GET"); /* never JSON: the fake refuses it */
    SB_CHECK_STR(str(at(call, "args"), "email"), "JDoe+x@example.com");
    SB_CHECK_STR(str(at(call, "headers"), "authorization"), "Bearer " TOKEN);
    cJSON_Delete(calls);

    SB_CHECK_MSG(sb_chat_open_dm(chat, "U100", channel, sizeof(channel), &err) == 0, "%s", err.msg);
    SB_CHECK(channel[0] == 'D');
    calls = last_call(&call);
    SB_CHECK_STR(str(call, "method"), "conversations.open");
    SB_CHECK_STR(str(at(call, "args"), "users"), "U100");
    SB_CHECK_STR(str(at(call, "headers"), "content_type"), "application/json; charset=utf-8");
    SB_CHECK(count_calls(calls) == 4);
    cJSON_Delete(calls);
    SB_CHECK(violations() == 0);
}

/* A prompt with hostile text, a description over the section limit and
 * more details than fields. */
static void test_prompt(void) {
    char channel[SB_CHAT_CHANNEL_SIZE], desc[5001];
    sb_chat_error_t err;
    sb_chat_ref_t ref;
    cJSON *root;
    reset();
    SB_CHECK(sb_chat_open_dm(chat, "U100", channel, sizeof(channel), &err) == 0);
    memset(desc, 'x', 5000);
    desc[5000] = '\0';
    cJSON *details = cJSON_CreateObject();
    cJSON_AddStringToObject(details, "source_ip", "203.0.113.9 <script>");
    cJSON_AddNumberToObject(details, "files", 1240);
    for (int i = 0; i < 12; i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%d", i);
        cJSON_AddStringToObject(details, k, "v");
    }
    sb_chat_prompt_t p = {channel,
                          ALERT_ID,
                          "SSH login <script>&",
                          desc,
                          details,
                          "2026-11-29T12:00:00Z",
                          "Hi! Did you do this?",
                          NULL,
                          0};
    SB_CHECK_MSG(sb_chat_send_prompt(chat, &p, &ref, &err) == 0, "%s", err.msg);
    SB_CHECK_STR(ref.channel, channel);

    const cJSON *msg = only_message(&root);
    SB_CHECK_STR(str(msg, "ts"), ref.ts);
    const char *text = str(msg, "text");
    SB_CHECK_MSG(text && strstr(text, "SSH login &lt;script&gt;&amp;") && !strstr(text, "<script"),
                 "%s", text ? text : "(null)");
    SB_CHECK(text && sb_utf8_length(text) <= SB_CHAT_NOTIFY_MAX);
    const cJSON *blocks = at(msg, "blocks");
    SB_CHECK(cJSON_GetArraySize(blocks) == 2);
    const cJSON *sec = cJSON_GetArrayItem(blocks, 0), *act = cJSON_GetArrayItem(blocks, 1);
    SB_CHECK_STR(str(sec, "type"), "section");
    SB_CHECK_STR(str(at(sec, "text"), "type"), "mrkdwn");
    const char *st = str(at(sec, "text"), "text");
    SB_CHECK_MSG(
        st && strncmp(st, "Hi! Did you do this?\n\n*SSH login &lt;script&gt;&amp;*\nxxx", 55) == 0,
        "%.80s", st ? st : "(null)");
    SB_CHECK(st && sb_utf8_length(st) == SB_CHAT_SECTION_MAX);
    SB_CHECK(st && strcmp(st + strlen(st) - 3, "\xe2\x80\xa6") == 0); /* the ellipsis */

    const cJSON *fields = at(sec, "fields");
    SB_CHECK(cJSON_GetArraySize(fields) == SB_CHAT_FIELDS_MAX);
    SB_CHECK_STR(str(cJSON_GetArrayItem(fields, 0), "text"),
                 "*When*\n<!date^1795953600^{date_short_pretty} {time_secs}|2026-11-29T12:00:00Z>");
    SB_CHECK_STR(str(cJSON_GetArrayItem(fields, 1), "text"),
                 "*source_ip*\n203.0.113.9 &lt;script&gt;");
    SB_CHECK_STR(str(cJSON_GetArrayItem(fields, 2), "text"), "*files*\n1240");
    SB_CHECK_STR(str(cJSON_GetArrayItem(fields, 9), "text"), "*More details*\n6 more not shown");

    SB_CHECK_STR(str(act, "type"), "actions");
    const cJSON *els = at(act, "elements");
    /* the third, "not me", has no style: Slack's default look */
    static const char *const want[3][3] = {{"Yes, this was me", "sb_confirm", "primary"},
                                           {"No, this wasn't me", "sb_deny", "danger"},
                                           {"Not me \xe2\x80\x94 wrong person", "sb_not_me", NULL}};
    SB_CHECK(cJSON_GetArraySize(els) == 3);
    for (int i = 0; i < 3; i++) {
        const cJSON *b = cJSON_GetArrayItem(els, i);
        SB_CHECK_STR(str(b, "type"), "button");
        SB_CHECK_STR(str(at(b, "text"), "type"), "plain_text");
        SB_CHECK_STR(str(at(b, "text"), "text"), want[i][0]);
        SB_CHECK_STR(str(b, "action_id"), want[i][1]);
        if (want[i][2])
            SB_CHECK_STR(str(b, "style"), want[i][2]);
        else
            SB_CHECK(cJSON_GetObjectItem(b, "style") == NULL);
        SB_CHECK_STR(str(b, "value"), ALERT_ID);
    }
    cJSON_Delete(root);

    /* a group's question shown again (chat.update): the new intro, the
     * alert and the three buttons */
    sb_chat_prompt_t g = p;
    g.intro = "12 alerts like this in the last 10 minutes: x. Was this all you?";
    SB_CHECK_MSG(sb_chat_refresh_prompt(chat, &ref, &g, &err) == 0, "%s", err.msg);
    msg = only_message(&root);
    {
        char *all = cJSON_PrintUnformatted(at(msg, "blocks"));
        SB_CHECK(all && strstr(all, "12 alerts like this") && strstr(all, "sb_confirm") &&
                 strstr(all, "sb_not_me"));
        free(all);
    }
    SB_CHECK(cJSON_GetObjectItem(msg, "updates")->valueint == 1);
    cJSON_Delete(root);

    /* chat.update: the alert stays, the buttons become the answer */
    SB_CHECK_MSG(sb_chat_update_prompt(chat, &ref, &p, "Thanks <3 & bye", &err) == 0, "%s",
                 err.msg);
    msg = only_message(&root);
    blocks = at(msg, "blocks");
    SB_CHECK(cJSON_GetArraySize(blocks) == 2 && cJSON_GetObjectItem(msg, "updates")->valueint == 2);
    SB_CHECK_STR(str(cJSON_GetArrayItem(blocks, 1), "type"), "section");
    SB_CHECK_STR(str(at(cJSON_GetArrayItem(blocks, 1), "text"), "text"), "Thanks &lt;3 &amp; bye");
    SB_CHECK_STR(str(msg, "text"), "Thanks &lt;3 &amp; bye");
    cJSON_Delete(root);
    SB_CHECK(sb_chat_update(chat, &ref, "Confirmed.", &err) == 0);
    msg = only_message(&root);
    blocks = at(msg, "blocks");
    SB_CHECK(cJSON_GetArraySize(blocks) == 1);
    SB_CHECK_STR(str(at(cJSON_GetArrayItem(blocks, 0), "text"), "text"), "Confirmed.");
    char *printed = cJSON_PrintUnformatted(blocks);
    SB_CHECK(printed && !strstr(printed, "sb_confirm") && !strstr(printed, "button"));
    free(printed);
    cJSON_Delete(root);

    /* multi-byte text is cut between characters: the fake would refuse
     * invalid UTF-8 as invalid_charset */
    char *wide = malloc(2 * 4000 + 1);
    for (int i = 0; i < 4000; i++)
        memcpy(wide + 2 * i, "\xc3\xa9", 2);
    wide[8000] = '\0';
    sb_chat_prompt_t q = {channel, "a2", "\xf0\x9f\x98\x80 emoji", wide, NULL, NULL, NULL, NULL, 0};
    SB_CHECK_MSG(sb_chat_send_prompt(chat, &q, NULL, &err) == 0, "%s", err.msg);
    free(wide);
    cJSON_Delete(details);
    SB_CHECK(violations() == 0);
}

static void test_text_and_channel(void) {
    sb_chat_error_t err;
    sb_chat_ref_t ref;
    const cJSON *call;
    reset();
    SB_CHECK_MSG(sb_chat_send_text(chat, "U100", "Enter the *code*: <b>", &ref, &err) == 0, "%s",
                 err.msg);
    SB_CHECK(ref.channel[0] == 'D' && ref.ts[0] != '\0');
    cJSON *calls = last_call(&call);
    SB_CHECK_STR(str(at(call, "args"), "text"), "Enter the *code*: &lt;b&gt;");
    cJSON_Delete(calls);
    /* mrkdwn as the caller built it: not escaped a second time */
    SB_CHECK(sb_chat_post_channel(chat, "C0SEC", "Escalated: a &amp; b <https://x/?a=1&amp;b=2>",
                                  &err) == 0);
    calls = last_call(&call);
    SB_CHECK_STR(str(call, "method"), "chat.postMessage");
    SB_CHECK_STR(str(at(call, "args"), "channel"), "C0SEC");
    SB_CHECK_STR(str(at(call, "args"), "text"), "Escalated: a &amp; b <https://x/?a=1&amp;b=2>");
    cJSON_Delete(calls);
    SB_CHECK(violations() == 0);
}

/* The code modal: views.open with the trigger; an expired trigger, a
 * trigger used twice, and the console platform (no modals) refused. */
static void test_modal(void) {
    static const char alert[] = "4b1e3c2a9d8f7e6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a";
    sb_chat_error_t err;
    reset();
    control("config", "{\"expired_triggers\":[\"13345224609.expired\"]}");
    SB_CHECK_MSG(sb_chat_open_code_modal(chat, "13345224609.738474920.8088930838", alert, &err) ==
                     0,
                 "%s", err.msg);
    cJSON *views = control_get("views");
    const cJSON *v = cJSON_GetArrayItem(at(views, "views"), 0);
    SB_CHECK_STR(str(v, "callback_id"), SB_CHAT_CODE_CALLBACK);
    SB_CHECK_STR(str(v, "private_metadata"), alert);
    SB_CHECK_STR(str(v, "trigger_id"), "13345224609.738474920.8088930838");
    const cJSON *input = cJSON_GetArrayItem(at(v, "blocks"), 0);
    SB_CHECK_STR(str(input, "block_id"), SB_CHAT_CODE_BLOCK);
    SB_CHECK_STR(str(at(input, "element"), "action_id"), SB_CHAT_CODE_INPUT);
    cJSON_Delete(views);
    SB_CHECK(sb_chat_open_code_modal(chat, "13345224609.738474920.8088930838", alert, &err) == -1);
    SB_CHECK_STR(err.code, "exchanged_trigger_id");
    SB_CHECK(sb_chat_open_code_modal(chat, "13345224609.expired", alert, &err) == -1);
    SB_CHECK_STR(err.code, "expired_trigger_id");
    SB_CHECK(!err.retryable);
    SB_CHECK(sb_chat_open_code_modal(chat, "", alert, &err) == -1);
    SB_CHECK_STR(err.code, "invalid_arguments");
    char errstr[256];
    sb_chat_config_t ccfg = {.console_log_path = "/dev/null"};
    sb_chat_t *console = sb_chat_new("console", &ccfg, errstr, sizeof(errstr));
    SB_CHECK(console && sb_chat_open_code_modal(console, "t1", alert, &err) == -1);
    SB_CHECK_STR(err.code, "not_supported");
    sb_chat_destroy(console);
    /* exchanged_trigger_id is a client's mistake; the expired one is not */
    SB_CHECK(violations() == 1);

    /* after a wrong code, the prompt's update offers the modal again */
    sb_chat_ref_t ref;
    sb_chat_prompt_t p = {.channel = "U100", .alert_id = alert, .title = "SSH login"};
    SB_CHECK(sb_chat_send_prompt(chat, &p, &ref, &err) == 0);
    p.enter_code = 1;
    SB_CHECK_MSG(sb_chat_update_prompt(chat, &ref, &p, "That code didn't work.", &err) == 0, "%s",
                 err.msg);
    const cJSON *call;
    cJSON *calls = last_call(&call);
    const cJSON *blocks = at(at(call, "args"), "blocks");
    const cJSON *last = cJSON_GetArrayItem(blocks, cJSON_GetArraySize(blocks) - 1);
    const cJSON *b = cJSON_GetArrayItem(at(last, "elements"), 0);
    SB_CHECK_STR(str(last, "type"), "actions");
    SB_CHECK_STR(str(b, "action_id"), SB_CHAT_ENTER_CODE_ACTION);
    SB_CHECK_STR(str(b, "value"), alert);
    SB_CHECK_STR(str(at(b, "text"), "text"), SB_CHAT_ENTER_CODE_LABEL);
    cJSON_Delete(calls);
}

/* Failures: {client, fail injected, op, rc, retryable, code, calls seen,
 * min ms, violations the fake records}. */
static void test_errors(void) {
    char errstr[512], url[128];
    sb_chat_config_t bad_cfg = {.slack_api_url = api,
                                .slack_bot_token = "xoxb-wrong-" TOKEN,
                                .timeout_ms = 3000,
                                .max_attempts = 4,
                                .max_backoff_ms = 300};
    sb_chat_t *bad = sb_chat_new("slack", &bad_cfg, errstr, sizeof(errstr));
    snprintf(url, sizeof(url), "http://127.0.0.1:1/api"); /* nothing listens on port 1 */
    sb_chat_config_t down_cfg = {.slack_api_url = url,
                                 .slack_bot_token = TOKEN,
                                 .timeout_ms = 500,
                                 .max_attempts = 2,
                                 .max_backoff_ms = 50};
    sb_chat_t *down = sb_chat_new("slack", &down_cfg, errstr, sizeof(errstr));
    SB_CHECK(bad && down);
    static const struct {
        int client; /* 0 chat, 1 wrong token, 2 nothing listening */
        const char *fail, *channel;
        int rc, retryable;
        const char *code;
        int calls;
        long min_ms;
        int violations;
    } cases[] = {
        {1, NULL, "U100", -1, 0, "invalid_auth", 1, 0, 1},
        {0, NULL, "C404", -1, 0, "channel_not_found", 1, 0, 1},
        {0, "{\"count\":3,\"error\":\"channel_not_found\"}", "U100", -1, 0, "channel_not_found", 1,
         0, 0},
        {0, "{\"count\":1,\"error\":\"account_inactive\"}", "U100", -1, 0, "account_inactive", 1, 0,
         0},
        {0, "{\"count\":1,\"error\":\"internal_error\"}", "U100", -1, 1, "internal_error", 1, 0, 0},
        {0, "{\"count\":1,\"status\":400}", "U100", -1, 0, "http_400", 1, 0, 0},
        {0, "{\"method\":\"chat.postMessage\",\"count\":1,\"status\":429,\"retry_after\":1}",
         "U100", 0, 0, "", 2, 900, 0},
        {0, "{\"count\":2,\"status\":500}", "U100", 0, 0, "", 3, 0, 0},
        {0, "{\"count\":99,\"status\":503}", "U100", -1, 1, "http_503", 4, 0, 0},
        {0, "{\"count\":99,\"status\":429}", "U100", -1, 1, "ratelimited", 4, 0, 0},
        {2, NULL, "U100", -1, 1, "network", 0, 0, 0},
        {0, NULL, "", -1, 0, "invalid_arguments", 0, 0, 0},
        {0, NULL, "U100\xff", -1, 0, "invalid_arguments", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sb_chat_t *c = cases[i].client == 1 ? bad : cases[i].client == 2 ? down : chat;
        sb_chat_error_t err;
        sb_chat_ref_t ref;
        reset();
        if (cases[i].fail)
            control("fail", cases[i].fail);
        int64_t t0 = sb_time_monotonic_us();
        int rc = sb_chat_send_text(c, cases[i].channel, "hello", &ref, &err);
        long ms = elapsed_ms(t0);
        SB_CHECK_MSG(rc == cases[i].rc, "case %zu: rc %d: %s", i, rc, err.msg);
        SB_CHECK_MSG(rc == 0 || err.retryable == cases[i].retryable, "case %zu: retryable %d", i,
                     err.retryable);
        SB_CHECK_MSG(rc == 0 || strcmp(err.code, cases[i].code) == 0, "case %zu: %s", i, err.code);
        SB_CHECK_MSG(rc == -1 || (ref.ts[0] && ref.channel[0] == 'D'), "case %zu", i);
        SB_CHECK_MSG(ms >= cases[i].min_ms, "case %zu: %ld ms", i, ms);
        SB_CHECK_MSG(!strstr(err.msg, "s3cr3t") && !strstr(err.code, "s3cr3t"), "case %zu: %s", i,
                     err.msg);
        SB_CHECK_MSG(rc == 0 || strlen(err.msg) > 0, "case %zu: an error says why", i);
        cJSON *calls = control_get("calls");
        SB_CHECK_MSG(count_calls(calls) == cases[i].calls, "case %zu: %d calls", i,
                     count_calls(calls));
        cJSON_Delete(calls);
        SB_CHECK_MSG(violations() == cases[i].violations, "case %zu", i);
    }
    sb_chat_destroy(bad);
    sb_chat_destroy(down);
}

/* users.info: the profile's zone, none, an unknown user, a refused token. */
static void test_user_timezone(void) {
    char zone[65], errstr[512];
    sb_chat_error_t err;
    const cJSON *call;
    reset();
    control("config", "{\"users\":{\"ann@example.com\":\"U101\"},"
                      "\"timezones\":{\"U100\":\"America/Los_Angeles\"}}");
    SB_CHECK_MSG(sb_chat_user_timezone(chat, "U100", zone, sizeof(zone), &err) == 0, "%s", err.msg);
    SB_CHECK_STR(zone, "America/Los_Angeles");
    cJSON *calls = last_call(&call);
    SB_CHECK_STR(str(call, "method"), "users.info");
    SB_CHECK_STR(str(call, "http_method"), "GET"); /* form arguments: the fake refuses JSON */
    SB_CHECK_STR(str(at(call, "args"), "user"), "U100");
    cJSON_Delete(calls);
    SB_CHECK(sb_chat_user_timezone(chat, "U101", zone, sizeof(zone), &err) == 0);
    SB_CHECK_STR(zone, ""); /* a profile without a zone */
    SB_CHECK(sb_chat_user_timezone(chat, "U999", zone, sizeof(zone), &err) == -1);
    SB_CHECK_STR(err.code, "user_not_found");
    SB_CHECK(sb_chat_user_timezone(chat, "", zone, sizeof(zone), &err) == -1);
    sb_chat_config_t bad = {.slack_api_url = api,
                            .slack_bot_token = "xoxb-not-the-token",
                            .timeout_ms = 3000,
                            .max_attempts = 1};
    sb_chat_t *wrong = sb_chat_new("slack", &bad, errstr, sizeof(errstr));
    SB_CHECK(wrong && sb_chat_user_timezone(wrong, "U100", zone, sizeof(zone), &err) == -1);
    SB_CHECK_STR(err.code, "invalid_auth");
    sb_chat_destroy(wrong);
    SB_CHECK(violations() == 2); /* the unknown user and the wrong token, as Slack refuses them */
}

/* sb_chat_send_prompts: ids and e-mails mixed, each outcome its own; a
 * 429 holds the posts back for its Retry-After, then all go. */
static void test_batch(void) {
    sb_chat_batch_t items[5];
    static const struct {
        const char *user, *email, *code;
        int rc;
        const char *found;
    } cases[] = {
        {"U100", NULL, "", 0, ""},
        {NULL, "jdoe@example.com", "", 0, "U100"},
        {NULL, "nobody@example.com", "users_not_found", -1, ""},
        {NULL, NULL, "no_chat_id", -1, ""},
        {"U404", NULL, "channel_not_found", -1, ""},
    };
    reset();
    control("config", "{\"users\":{\"a@example.com\":\"U101\",\"b@example.com\":\"U102\"}}");
    for (size_t i = 0; i < 5; i++)
        items[i] = (sb_chat_batch_t){.chat_user_id = cases[i].user,
                                     .email = cases[i].email,
                                     .prompt = {.alert_id = ALERT_ID, .title = "Batch"}};
    sb_chat_send_prompts(chat, items, 5, 3);
    for (size_t i = 0; i < 5; i++) {
        SB_CHECK_MSG(items[i].rc == cases[i].rc, "case %zu: %d %s", i, items[i].rc,
                     items[i].err.msg);
        SB_CHECK_MSG(!strcmp(items[i].err.code, cases[i].code), "case %zu: %s", i,
                     items[i].err.code);
        SB_CHECK_MSG(!strcmp(items[i].user_found, cases[i].found), "case %zu: %s", i,
                     items[i].user_found);
        SB_CHECK_MSG(items[i].rc == -1 || (items[i].ref.channel[0] == 'D' && items[i].ref.ts[0]),
                     "case %zu", i);
        SB_CHECK_MSG(items[i].rc == 0 || !items[i].err.retryable, "case %zu", i);
    }
    cJSON *calls = control_get("calls");
    SB_CHECK_MSG(count_calls(calls) == 5, "%d calls", count_calls(calls)); /* 2 lookups, 3 posts */
    cJSON_Delete(calls);
    SB_CHECK(violations() == 1); /* U404: the fake counts the unknown channel */

    /* a 429 on the first post: every post waits for its Retry-After */
    reset();
    control("config", "{\"users\":{\"a@example.com\":\"U101\",\"b@example.com\":\"U102\"}}");
    control("fail",
            "{\"method\":\"chat.postMessage\",\"count\":1,\"status\":429,\"retry_after\":1}");
    static const char *const users[] = {"U100", "U101", "U102"};
    for (size_t i = 0; i < 3; i++)
        items[i] = (sb_chat_batch_t){.chat_user_id = users[i],
                                     .prompt = {.alert_id = ALERT_ID, .title = "Batch"}};
    int64_t t0 = sb_time_monotonic_us();
    sb_chat_send_prompts(chat, items, 3, 1);
    long ms = elapsed_ms(t0);
    for (size_t i = 0; i < 3; i++)
        SB_CHECK_MSG(items[i].rc == 0, "after the 429, %zu: %s", i, items[i].err.msg);
    SB_CHECK_MSG(ms >= 900, "%ld ms", ms);
    calls = control_get("calls");
    SB_CHECK_MSG(count_calls(calls) == 4, "%d calls", count_calls(calls));
    cJSON_Delete(calls);
    SB_CHECK(violations() == 0);
}

/* Arguments refused before any call, and constructors refusing configs. */
static void test_refusals(void) {
    char errstr[512];
    sb_chat_error_t err;
    sb_chat_ref_t ref = {"", "1.2"};
    reset();
    sb_chat_prompt_t no_title = {"D1", ALERT_ID, "", NULL, NULL, NULL, NULL, NULL, 0};
    SB_CHECK(sb_chat_send_prompt(chat, &no_title, NULL, &err) == -1);
    SB_CHECK_STR(err.code, "invalid_arguments");
    SB_CHECK(err.retryable == 0);
    sb_chat_prompt_t bad_utf8 = {"D1", ALERT_ID, "t\xc3", NULL, NULL, NULL, NULL, NULL, 0};
    SB_CHECK(sb_chat_send_prompt(chat, &bad_utf8, NULL, &err) == -1);
    SB_CHECK(sb_chat_update(chat, &ref, "x", &err) == -1);
    SB_CHECK(sb_chat_update(chat, NULL, "x", &err) == -1);
    SB_CHECK(sb_chat_send_text(NULL, "D1", "x", NULL, &err) == -1);
    SB_CHECK(sb_chat_send_text(chat, "D1", "x", NULL, NULL) == -1); /* err may be NULL */
    cJSON *calls = control_get("calls");
    SB_CHECK(count_calls(calls) == 1); /* only the last one reached the fake */
    cJSON_Delete(calls);

    static const sb_chat_config_t bad_cfgs[] = {
        {.slack_bot_token = NULL},
        {.slack_bot_token = ""},
        {.slack_bot_token = "xoxb-with space"},
        {.slack_api_url = "ftp://slack.com/api", .slack_bot_token = TOKEN},
    };
    for (size_t i = 0; i < sizeof(bad_cfgs) / sizeof(bad_cfgs[0]); i++) {
        errstr[0] = '\0';
        SB_CHECK_MSG(sb_chat_new("slack", &bad_cfgs[i], errstr, sizeof(errstr)) == NULL, "case %zu",
                     i);
        SB_CHECK_MSG(errstr[0] && !strstr(errstr, "s3cr3t"), "case %zu: %s", i, errstr);
    }
    SB_CHECK(sb_chat_new("irc", &bad_cfgs[0], errstr, sizeof(errstr)) == NULL);
    SB_CHECK(strstr(errstr, "irc") != NULL);
    sb_chat_destroy(NULL);
}

int main(void) {
    char errstr[512];
    int64_t t0 = sb_time_monotonic_us();
    signal(SIGPIPE, SIG_IGN);
    ctl = sb_curl_new(errstr, sizeof(errstr));
    if (!ctl || fake_start() == -1) {
        SB_CHECK_MSG(0, "cannot start the fake Slack: %s", strerror(errno));
        fake_stop();
        sb_curl_destroy(ctl);
        return SB_TEST_DONE();
    }
    /* Retry-After: 1 is honoured */
    sb_chat_config_t cfg = {.slack_api_url = api,
                            .slack_bot_token = TOKEN,
                            .timeout_ms = 3000,
                            .max_attempts = 4,
                            .max_backoff_ms = 1500};
    chat = sb_chat_new("slack", &cfg, errstr, sizeof(errstr));
    SB_CHECK_MSG(chat != NULL, "%s", errstr);
    if (chat) {
        SB_CHECK_STR(sb_chat_platform(chat), "slack");
        test_lookup_and_dm();
        test_prompt();
        test_text_and_channel();
        test_modal();
        test_errors();
        test_refusals();
        test_user_timezone();
        test_batch();
    }
    sb_chat_destroy(chat);
    fake_stop();
    sb_curl_destroy(ctl);
    fprintf(stderr, "test_sb_chat_slack: %ld ms\n", elapsed_ms(t0));
    return SB_TEST_DONE();
}
