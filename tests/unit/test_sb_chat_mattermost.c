/* Unit tests for sb_chat's Mattermost platform against tests/fakes/fake_mattermost.py. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sb_chat.h"
#include "sb_curl.h"
#include "sb_mm_post.h"
#include "sb_mmctx.h"
#include "sb_test.h"
#include "sb_test_fake_slack.h"
#include "sb_time.h"

#define TOKEN    "mm-s3cr3t-t0ken-4242"
#define SECRET   "actions-s3cr3t-key"
#define ALERT_ID "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define USER     "q7fhtx3ygfdo8qdbn9rmfpoyqe"
#define CHANNEL  "sec0channel0000000000000ab"

static pid_t fake_pid = -1;
static char base[64]; /* http://127.0.0.1:<port> */
static sb_curl_t *ctl;
static sb_chat_t *chat;

static void reset(void) {
    sb_fake_slack_post(ctl, base, "reset", "{}");
    sb_fake_slack_post(ctl, base, "config",
                       "{\"users\":{\"jdoe@example.com\":\"" USER "\"},\"channels\":[\"" CHANNEL
                       "\"]}");
}

/* The n-th call the fake recorded (owned by calls). */
static const cJSON *call_at(const cJSON *calls, int n) {
    return cJSON_GetArrayItem(cJSON_GetObjectItem(calls, "calls"), n);
}

static const char *str_at(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void test_lookup_and_dm(void) {
    char id[64], channel[SB_CHAT_CHANNEL_SIZE];
    sb_chat_error_t err;
    reset();
    SB_CHECK(sb_chat_lookup_email(chat, "jdoe@example.com", id, sizeof(id), &err) == 0);
    SB_CHECK_STR(id, USER);
    SB_CHECK(sb_chat_lookup_email(chat, "nobody@example.com", id, sizeof(id), &err) == 1);
    SB_CHECK(id[0] == '\0' && err.code[0] == '\0');
    SB_CHECK(sb_chat_open_dm(chat, USER, channel, sizeof(channel), &err) == 0);
    SB_CHECK(strlen(channel) == 26);
    SB_CHECK(sb_chat_open_dm(chat, "zzzzzzzzzzzzzzzzzzzzzzzzzz", channel, sizeof(channel), &err) ==
             -1);
    SB_CHECK_STR(err.code, "user_not_found");
    SB_CHECK(err.retryable == 0);
    cJSON *calls = sb_fake_slack_get(ctl, base, "calls");
    /* users/email twice, users/me once (cached), channels/direct twice */
    SB_CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(calls, "calls")) == 5);
    SB_CHECK_STR(str_at(call_at(calls, 2), "path"), "/users/me");
    SB_CHECK_STR(str_at(call_at(calls, 3), "path"), "/channels/direct");
    SB_CHECK(cJSON_GetObjectItem(call_at(calls, 3), "status")->valueint == 201);
    cJSON_Delete(calls);
}

/* The post's first attachment and its actions. */
static const cJSON *attachment(const cJSON *post) {
    return cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(post, "props"), "attachments"), 0);
}

static void test_prompt_and_update(void) {
    char channel[SB_CHAT_CHANNEL_SIZE];
    sb_chat_error_t err;
    sb_chat_ref_t ref;
    cJSON *details = cJSON_Parse("{\"ip\":\"203.0.113.9\",\"who\":\"@channel *x*\"}");
    reset();
    SB_CHECK(sb_chat_open_dm(chat, USER, channel, sizeof(channel), &err) == 0);
    sb_chat_prompt_t p = {channel,
                          ALERT_ID,
                          "SSH login [new] #1",
                          "from `evil`",
                          details,
                          "2026-12-06T06:00:00Z",
                          "Hi @jdoe, did you do this?",
                          USER,
                          0};
    SB_CHECK_MSG(sb_chat_send_prompt(chat, &p, &ref, &err) == 0, "%s", err.msg);
    SB_CHECK_STR(ref.channel, channel);
    SB_CHECK(strlen(ref.ts) == 26);

    cJSON *posts = sb_fake_slack_get(ctl, base, "posts");
    const cJSON *post = cJSON_GetArrayItem(cJSON_GetObjectItem(posts, "posts"), 0);
    const cJSON *att = attachment(post);
    const cJSON *acts = cJSON_GetObjectItem(att, "actions");
    SB_CHECK(cJSON_GetArraySize(acts) == 3);
    SB_CHECK_STR(str_at(post, "message"), "Hi @\xe2\x80\x8bjdoe, did you do this?");
    SB_CHECK_STR(str_at(att, "text"), "**SSH login \\[new\\] \\#1**\nfrom \\`evil\\`");
    SB_CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(att, "fields")) == 3);
    SB_CHECK_STR(str_at(cJSON_GetArrayItem(cJSON_GetObjectItem(att, "fields"), 2), "value"),
                 "@\xe2\x80\x8b"
                 "channel \\*x\\*");
    static const char *const ids[] = {SB_MM_CONFIRM_ID, SB_MM_DENY_ID, SB_MM_NOT_ME_ID};
    static const char *const labels[] = {SB_CHAT_CONFIRM_LABEL, SB_CHAT_DENY_LABEL,
                                         SB_CHAT_NOT_ME_LABEL};
    static const char *const actions[] = {"confirm", "deny", "not_me"};
    for (int i = 0; i < 3; i++) {
        const cJSON *a = cJSON_GetArrayItem(acts, i);
        const cJSON *in = cJSON_GetObjectItem(a, "integration");
        sb_mmctx_t got;
        SB_CHECK_STR(str_at(a, "id"), ids[i]);
        SB_CHECK_STR(str_at(a, "name"), labels[i]);
        SB_CHECK_STR(str_at(in, "url"), "https://gw.example.com/mattermost/actions");
        /* the proof the gateway checks: for this user, this alert, this action */
        SB_CHECK(sb_mmctx_check(SECRET, cJSON_GetObjectItem(in, "context"), USER,
                                sb_time_now_us() / 1000000, &got) == SB_MMCTX_OK);
        SB_CHECK_STR(got.action, actions[i]);
        SB_CHECK_STR(got.alert_id, ALERT_ID);
        SB_CHECK(got.expires > sb_time_now_us() / 1000000 + 3590 &&
                 got.expires <= sb_time_now_us() / 1000000 + 3600);
        SB_CHECK(sb_mmctx_check(SECRET, cJSON_GetObjectItem(in, "context"), "other0user",
                                sb_time_now_us() / 1000000, &got) == SB_MMCTX_OTHER_USER);
    }
    cJSON_Delete(posts);

    /* a group's question shown again (PUT /posts/{id}/patch): the new
     * message, the alert and its three buttons */
    sb_chat_prompt_t g = p;
    g.intro = "12 alerts like this in the last 10 minutes. Was this all you?";
    SB_CHECK_MSG(sb_chat_refresh_prompt(chat, &ref, &g, &err) == 0, "%s", err.msg);
    posts = sb_fake_slack_get(ctl, base, "posts");
    SB_CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(posts, "posts")) == 1);
    post = cJSON_GetArrayItem(cJSON_GetObjectItem(posts, "posts"), 0);
    SB_CHECK_STR(str_at(post, "message"),
                 "12 alerts like this in the last 10 minutes. Was this all you?");
    SB_CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(attachment(post), "actions")) == 3);
    cJSON_Delete(posts);

    /* the answer replaces the buttons; the alert stays */
    SB_CHECK_MSG(sb_chat_update_prompt(chat, &ref, &p, "Thanks, *confirmed*.", &err) == 0, "%s",
                 err.msg);
    posts = sb_fake_slack_get(ctl, base, "posts");
    post = cJSON_GetArrayItem(cJSON_GetObjectItem(posts, "posts"), 0);
    att = attachment(post);
    SB_CHECK(cJSON_GetObjectItem(att, "actions") == NULL);
    SB_CHECK(strstr(str_at(att, "text"), "Thanks, *confirmed*.") != NULL);
    SB_CHECK(cJSON_GetObjectItem(post, "edit_at")->valuedouble > 0);
    cJSON_Delete(posts);
    /* text only: the attachments go */
    SB_CHECK(sb_chat_update(chat, &ref, "Gone.", &err) == 0);
    posts = sb_fake_slack_get(ctl, base, "posts");
    post = cJSON_GetArrayItem(cJSON_GetObjectItem(posts, "posts"), 0);
    SB_CHECK_STR(str_at(post, "message"), "Gone.");
    SB_CHECK(attachment(post) == NULL);
    cJSON_Delete(posts);

    /* a prompt without its user cannot carry a proof */
    p.chat_user_id = NULL;
    SB_CHECK(sb_chat_send_prompt(chat, &p, &ref, &err) == -1);
    SB_CHECK_STR(err.code, "invalid_arguments");
    cJSON_Delete(details);
}

/* Statuses as Mattermost answers them, and what each becomes. */
static void test_errors(void) {
    static const struct {
        const char *fail; /* /_fake/fail body, or NULL */
        int rc, retryable;
        const char *code;
    } cases[] = {
        {"{\"path\":\"/posts\",\"count\":1,\"status\":429,\"retry_after\":0}", 0, 0, ""},
        {"{\"path\":\"/posts\",\"count\":9,\"status\":429,\"retry_after\":0}", -1, 1,
         "ratelimited"},
        {"{\"path\":\"/posts\",\"count\":9,\"status\":503}", -1, 1, "http_503"},
        {"{\"path\":\"/posts\",\"count\":1,\"status\":403}", -1, 0, "forbidden"},
    };
    sb_chat_error_t err;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        reset();
        sb_fake_slack_post(ctl, base, "fail", cases[i].fail);
        int rc = sb_chat_post_channel(chat, CHANNEL, "report", &err);
        SB_CHECK_MSG(rc == cases[i].rc, "case %zu: %s", i, err.msg);
        SB_CHECK_MSG(rc == 0 || (err.retryable == cases[i].retryable &&
                                 strcmp(err.code, cases[i].code) == 0),
                     "case %zu: %s", i, err.code);
        SB_CHECK_MSG(!strstr(err.msg, "s3cr3t"), "case %zu: %s", i, err.msg);
    }
    reset();
    /* a channel the bot is not in; an unknown post */
    SB_CHECK(sb_chat_post_channel(chat, "nochannel00000000000000000", "x", &err) == -1);
    SB_CHECK_STR(err.code, "forbidden");
    sb_chat_ref_t ref = {CHANNEL, "nopost0000000000000000000a"};
    SB_CHECK(sb_chat_update(chat, &ref, "x", &err) == -1);
    SB_CHECK_STR(err.code, "message_not_found");
    /* a wrong token: 401 */
    sb_chat_config_t bad = {.mattermost_url = base, .mattermost_bot_token = "wrong-" TOKEN};
    char errstr[256];
    sb_chat_t *c = sb_chat_new("mattermost", &bad, errstr, sizeof(errstr));
    SB_CHECK(c && sb_chat_post_channel(c, CHANNEL, "x", &err) == -1);
    SB_CHECK_STR(err.code, "invalid_auth");
    SB_CHECK(!strstr(err.msg, "s3cr3t"));
    /* no buttons without the public URL and the secret */
    sb_chat_prompt_t p = {CHANNEL, ALERT_ID, "t", NULL, NULL, NULL, NULL, USER, 0};
    SB_CHECK(c && sb_chat_send_prompt(c, &p, NULL, &err) == -1);
    SB_CHECK_STR(err.code, "not_configured");
    sb_chat_destroy(c);
}

static void test_config(void) {
    static const sb_chat_config_t bad[] = {
        {.mattermost_url = "https://mm.example.com"},
        {.mattermost_url = "https://mm.example.com", .mattermost_bot_token = "with space"},
        {.mattermost_bot_token = TOKEN},
        {.mattermost_url = "http://mm.example.com", .mattermost_bot_token = TOKEN},
        {.mattermost_url = "https://mm.example.com",
         .mattermost_bot_token = TOKEN,
         .public_url = "gw.example.com"},
    };
    char errstr[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errstr[0] = '\0';
        SB_CHECK_MSG(sb_chat_new("mattermost", &bad[i], errstr, sizeof(errstr)) == NULL, "case %zu",
                     i);
        SB_CHECK_MSG(errstr[0] && !strstr(errstr, TOKEN), "case %zu: %s", i, errstr);
    }
}

/* The bot's texts: a ``` block verbatim, the rest escaped. */
static void test_bot_text(void) {
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"*digest* a_b\n```\nrule | n\n#1 <x>\n```", "*digest* a_b\n```\nrule | n\n#1 <x>\n```"},
        {"a | b `c`", "a \\| b \\`c\\`"},
        {"```\nx ``` @all\n```", "```\nx `\xe2\x80\x8b`\xe2\x80\x8b`\xe2\x80\x8b @\xe2\x80\x8b"
                                 "all\n```"},
        {"```\nopen", "```\nopen\n```"}, /* closed when cut short */
        {"@channel", "@\xe2\x80\x8b"
                     "channel"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sb_buf_t b = {0};
        sb_mm_add_bot_text(&b, cases[i].in, 1000);
        SB_CHECK_STR(sb_buf_str(&b), cases[i].want);
        sb_buf_free(&b);
    }
}

/* The security channel's texts come escaped for Slack: Mattermost gets
 * & < > back, verbatim in the digest's code block (where Markdown would show
 * "&amp;" as it is), escaped for Markdown outside it. */
static void test_channel_entities(void) {
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"a &amp; b &lt;x&gt;", "a & b <x>"},
        {"&amp;amp; &lt &; &", "&amp; &lt &; &"}, /* an escaped entity, no entity */
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sb_buf_t b = {0};
        sb_mm_add_slack_decoded(&b, cases[i].in);
        SB_CHECK_STR(sb_buf_str(&b), cases[i].want);
        sb_buf_free(&b);
    }
    sb_chat_error_t err;
    reset();
    SB_CHECK(sb_chat_post_channel(chat, CHANNEL,
                                  "*Their words:* \"AT&amp;T &lt;b&gt;\"\n```\nrule &lt;x&gt; "
                                  "&amp; y | 2\n```",
                                  &err) == 0);
    cJSON *posts = sb_fake_slack_get(ctl, base, "posts");
    const cJSON *post = cJSON_GetArrayItem(cJSON_GetObjectItem(posts, "posts"), 0);
    SB_CHECK_STR(str_at(post, "message"),
                 "*Their words:* \"AT&T \\<b\\>\"\n```\nrule <x> & y | 2\n```");
    cJSON_Delete(posts);
}

/* The code dialog: dialogs/open with the trigger, a MAC'd state. */
static void test_ask_code(void) {
    sb_chat_error_t err;
    reset();
    /* a trigger the fake never issued: Mattermost's 400 */
    SB_CHECK(sb_chat_ask(chat, "code", "nosuchtrigger", USER, ALERT_ID, &err) == -1);
    SB_CHECK_STR(err.code, "http_400");
    SB_CHECK(!err.retryable);
    SB_CHECK(sb_chat_ask(chat, "code", "", USER, ALERT_ID, &err) == -1);
    SB_CHECK_STR(err.code, "invalid_arguments");
    SB_CHECK(sb_chat_ask(chat, "pin", "t", USER, ALERT_ID, &err) == -1);
    SB_CHECK_STR(err.code, "invalid_arguments");
}

int main(void) {
    char errstr[512];
    signal(SIGPIPE, SIG_IGN);
    ctl = sb_curl_new(errstr, sizeof(errstr));
    fake_pid = sb_fake_start("fake_mattermost.py", TOKEN, __FILE__, base, sizeof(base));
    if (!ctl || fake_pid <= 0) {
        SB_CHECK_MSG(0, "cannot start the fake Mattermost: %s", strerror(errno));
        sb_fake_slack_stop(fake_pid);
        sb_curl_destroy(ctl);
        return SB_TEST_DONE();
    }
    sb_chat_config_t cfg = {.mattermost_url = base,
                            .mattermost_bot_token = TOKEN,
                            .public_url = "https://gw.example.com/",
                            .mm_actions_secret = SECRET,
                            .mm_button_ttl_s = 3600,
                            .timeout_ms = 3000,
                            .max_attempts = 3,
                            .max_backoff_ms = 50};
    chat = sb_chat_new("mattermost", &cfg, errstr, sizeof(errstr));
    SB_CHECK_MSG(chat != NULL, "%s", errstr);
    if (chat) {
        SB_CHECK_STR(sb_chat_platform(chat), "mattermost");
        test_lookup_and_dm();
        test_prompt_and_update();
        test_errors();
        test_config();
        test_bot_text();
        test_channel_entities();
        test_ask_code();
    }
    sb_chat_destroy(chat);
    sb_fake_slack_stop(fake_pid);
    sb_curl_destroy(ctl);
    return SB_TEST_DONE();
}
