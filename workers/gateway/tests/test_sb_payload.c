/* Unit tests for sb_payload: Slack event and interactivity bodies read into response events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sb_crypto.h"
#include "sb_payload.h"
#include "sb_schema.h"
#include "sb_test.h"
#include "sb_utf8.h"

static const char NOW[] = "2026-11-29T12:00:00.123456Z";
static const char ALERT[] = "5e43d3fecfb1e24a8e3fd5d1eec3fa26f4dca95020aa1149aed95319383580e7";
/* sha256("block_actions|U0123ABC|1700000000.123456|sb_confirm"), by Python's hashlib */
static const char CLICK_CONFIRM[] =
    "2762fdf15c063d9bb49934d0dce313792af97ac22608f4a506317c084d7a32cf";
/* sha256("block_actions|U0123ABC|1700000000.123456|sb_deny") */
static const char CLICK_DENY[] = "e46a4c2b4c94d129790fa7523740c42ea6477a2abd16e0ae26c50339e3b001a6";
/* sha256("block_actions|U0123ABC|1700000000.123456|sb_not_me") */
static const char CLICK_NOT_ME[] =
    "0ffdb2ff27888a85a6740bac4e58fca11d94962625cefa789177b410421890eb";

static const char *verdict_name(sb_payload_verdict_t v) {
    static const char *const names[] = {"error", "bad", "ignore", "challenge", "publish"};
    return (unsigned)v < 5 ? names[v] : "?";
}

static const char *str_field(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Checks a PUBLISH: every field of the response.v1 event, and the schema. */
static void check_publish(const sb_payload_t *p, const char *what, const char *event_id,
                          const char *user, const char *alert_id, const char *kind,
                          const char *text) {
    char err[256];
    SB_CHECK_MSG(p->verdict == SB_PAYLOAD_PUBLISH, "%s: %s %s (%s)", what, verdict_name(p->verdict),
                 p->reason ? p->reason : "(null)", p->detail);
    SB_CHECK_MSG(p->event != NULL && p->challenge == NULL, "%s: no event", what);
    if (p->verdict != SB_PAYLOAD_PUBLISH || !p->event)
        return;
    SB_CHECK_STR(p->reason, "publish");
    SB_CHECK_MSG(cJSON_GetArraySize(p->event) == 8, "%s: %d fields", what,
                 cJSON_GetArraySize(p->event));
    SB_CHECK_STR(str_field(p->event, "schema"), "response.v1");
    if (event_id)
        SB_CHECK_STR(str_field(p->event, "event_id"), event_id);
    else
        SB_CHECK_MSG(str_field(p->event, "event_id") != NULL, "%s: no event_id", what);
    SB_CHECK_STR(str_field(p->event, "platform"), "slack");
    SB_CHECK_STR(str_field(p->event, "chat_user_id"), user);
    SB_CHECK_MSG(p->chat_user_id == str_field(p->event, "chat_user_id"),
                 "%s: chat_user_id does not point into the event", what);
    if (alert_id)
        SB_CHECK_STR(str_field(p->event, "alert_id"), alert_id);
    else
        SB_CHECK_MSG(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(p->event, "alert_id")),
                     "%s: alert_id is not null", what);
    SB_CHECK_STR(str_field(p->event, "kind"), kind);
    if (text)
        SB_CHECK_STR(str_field(p->event, "text"), text);
    SB_CHECK_STR(str_field(p->event, "received_at"), NOW);
    SB_CHECK_MSG(sb_schema_validate("response", p->event, err, sizeof(err)) == 0, "%s: %s", what,
                 err);
}

/* Checks a verdict without an event: reason, and the detail names what it should. */
static void check_verdict(const sb_payload_t *p, const char *what, sb_payload_verdict_t v,
                          const char *reason, const char *detail) {
    SB_CHECK_MSG(p->verdict == v, "%s: %s, want %s (%s: %s)", what, verdict_name(p->verdict),
                 verdict_name(v), p->reason ? p->reason : "(null)", p->detail);
    SB_CHECK_MSG(p->reason && !strcmp(p->reason, reason), "%s: reason %s, want %s", what,
                 p->reason ? p->reason : "(null)", reason);
    if (detail)
        SB_CHECK_MSG(strstr(p->detail, detail) != NULL, "%s: detail \"%s\" lacks \"%s\"", what,
                     p->detail, detail);
    SB_CHECK_MSG(p->event == NULL && p->chat_user_id == NULL, "%s: an event", what);
    if (v != SB_PAYLOAD_CHALLENGE)
        SB_CHECK_MSG(p->challenge == NULL, "%s: a challenge", what);
}

static void read_event(const char *body, sb_payload_t *p) {
    /* a heap copy without terminator: the parser must keep to len */
    size_t len = strlen(body);
    char *copy = malloc(len ? len : 1);
    memcpy(copy, body, len);
    sb_payload_read_event(copy, len, NOW, p);
    free(copy);
}

/* A message event as Slack sends it; user and text may be NULL (left out). */
static char *message_event(const char *event_id, const char *user, const char *text) {
    cJSON *o = cJSON_CreateObject(), *ev = cJSON_CreateObject();
    char *s;
    cJSON_AddStringToObject(o, "token", "unused");
    cJSON_AddStringToObject(o, "team_id", "T1");
    cJSON_AddStringToObject(o, "type", "event_callback");
    if (event_id)
        cJSON_AddStringToObject(o, "event_id", event_id);
    cJSON_AddNumberToObject(o, "event_time", 1700000000);
    cJSON_AddStringToObject(ev, "type", "message");
    cJSON_AddStringToObject(ev, "channel", "D1");
    if (user)
        cJSON_AddStringToObject(ev, "user", user);
    if (text)
        cJSON_AddStringToObject(ev, "text", text);
    cJSON_AddStringToObject(ev, "ts", "1700000000.000100");
    cJSON_AddStringToObject(ev, "channel_type", "im");
    cJSON_AddItemToObject(o, "event", ev);
    s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static void test_challenge(void) {
    sb_payload_t p;
    read_event(
        "{\"token\":\"x\",\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\","
        "\"type\":\"url_verification\"}",
        &p);
    SB_CHECK(p.verdict == SB_PAYLOAD_CHALLENGE);
    SB_CHECK_STR(p.reason, "url_verification");
    SB_CHECK_STR(p.challenge, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
    SB_CHECK(p.event == NULL && p.chat_user_id == NULL);
    sb_payload_clear(&p);
    SB_CHECK(p.challenge == NULL && p.event == NULL);
    sb_payload_clear(&p); /* twice is harmless */

    read_event("{\"type\":\"url_verification\"}", &p);
    check_verdict(&p, "no challenge", SB_PAYLOAD_BAD, "missing_field", "challenge");
    read_event("{\"type\":\"url_verification\",\"challenge\":\"\"}", &p);
    check_verdict(&p, "empty challenge", SB_PAYLOAD_BAD, "missing_field", "challenge");
    read_event("{\"type\":\"url_verification\",\"challenge\":42}", &p);
    check_verdict(&p, "number challenge", SB_PAYLOAD_BAD, "missing_field", "challenge");
    sb_payload_clear(&p);
}

static void test_message(void) {
    sb_payload_t p;
    char *body = message_event("Ev0123ABC", "U0123ABC", "no - not me");
    read_event(body, &p);
    check_publish(&p, "message", "Ev0123ABC", "U0123ABC", NULL, "text", "no - not me");
    sb_payload_clear(&p);
    SB_CHECK(p.event == NULL && p.chat_user_id == NULL);
    free(body);

    /* escapes and non-ASCII text come through decoded */
    read_event(
        "{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event\":{\"type\":\"message\","
        "\"channel_type\":\"im\",\"user\":\"U1\",\"text\":\"\\u00e7a \\\"va\\\"\\n\xc3\xa9\","
        "\"bot_id\":null}}\n \r\n",
        &p);
    check_publish(&p, "escaped", "Ev1", "U1", NULL, "text",
                  "\xc3\xa7"
                  "a \"va\"\n\xc3\xa9");
    sb_payload_clear(&p);

    /* an empty text is still an answer (the parser reads it as EMPTY) */
    body = message_event("Ev2", "U1", "");
    read_event(body, &p);
    check_publish(&p, "empty text", "Ev2", "U1", NULL, "text", "");
    sb_payload_clear(&p);
    free(body);
}

/* Event ids and user ids at their limits (response.v1: 256 and 64 code points). */
static void test_limits(void) {
    char id[4 * 257 + 1] = "", user[4 * 65 + 1] = "";
    sb_payload_t p;
    char *body;

    for (int i = 0; i < 256; i++)
        strcat(id, "\xc3\xa9");
    for (int i = 0; i < 64; i++)
        strcat(user, "U");
    body = message_event(id, user, "yes");
    read_event(body, &p);
    check_publish(&p, "ids at their limits", id, user, NULL, "text", "yes");
    sb_payload_clear(&p);
    free(body);

    strcat(id, "x");
    body = message_event(id, "U1", "yes");
    read_event(body, &p);
    check_verdict(&p, "event_id 257", SB_PAYLOAD_BAD, "missing_field", "event_id");
    free(body);

    strcat(user, "\xf0\x9f\x91\x8d");
    body = message_event("Ev1", user, "yes");
    read_event(body, &p);
    check_verdict(&p, "user 65", SB_PAYLOAD_BAD, "missing_field", "event.user");
    free(body);
}

/* Texts longer than SB_PAYLOAD_TEXT_MAX code points are cut to exactly that,
 * on a character boundary; shorter ones are unchanged. */
static void test_long_text(void) {
    static const char *const chars[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x91\x8d"};
    const size_t counts[] = {SB_PAYLOAD_TEXT_MAX - 1, SB_PAYLOAD_TEXT_MAX, SB_PAYLOAD_TEXT_MAX + 1,
                             3 * SB_PAYLOAD_TEXT_MAX};
    for (size_t c = 0; c < 4; c++) {
        for (size_t k = 0; k < 4; k++) {
            size_t w = strlen(chars[c]), n = counts[k];
            char *text = malloc(n * w + 1), *body, what[64];
            sb_payload_t p;
            for (size_t i = 0; i < n; i++)
                memcpy(text + i * w, chars[c], w);
            text[n * w] = '\0';
            body = message_event("Ev1", "U1", text);
            read_event(body, &p);
            snprintf(what, sizeof(what), "%zu x %zu-byte chars", n, w);
            check_publish(&p, what, "Ev1", "U1", NULL, "text", NULL);
            const char *got = p.event ? str_field(p.event, "text") : NULL;
            size_t want = n < SB_PAYLOAD_TEXT_MAX ? n : SB_PAYLOAD_TEXT_MAX;
            SB_CHECK_MSG(got && sb_utf8_length(got) == want && strlen(got) == want * w &&
                             memcmp(got, text, want * w) == 0,
                         "%s: text of %zu chars", what, got ? sb_utf8_length(got) : 0);
            sb_payload_clear(&p);
            free(body);
            free(text);
        }
    }
}

/* Well-formed events that are not a person's direct message, and malformed ones. */
static void test_event_table(void) {
#define MSG(extra)                                                                                 \
    "{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event\":{\"type\":\"message\","           \
    "\"channel_type\":\"im\",\"user\":\"U1\",\"text\":\"secret words\"" extra "}}"
    static const struct {
        const char *body;
        sb_payload_verdict_t verdict;
        const char *reason, *detail;
    } cases[] = {
        {MSG(",\"bot_id\":\"B1\""), SB_PAYLOAD_IGNORE, "bot_message", NULL},
        {MSG(",\"subtype\":\"bot_message\""), SB_PAYLOAD_IGNORE, "bot_message", NULL},
        {MSG(",\"subtype\":\"message_changed\""), SB_PAYLOAD_IGNORE, "subtype", "message_changed"},
        {MSG(",\"subtype\":\"message_deleted\""), SB_PAYLOAD_IGNORE, "subtype", "message_deleted"},
        {MSG(",\"subtype\":\"channel_join\""), SB_PAYLOAD_IGNORE, "subtype", NULL},
        {MSG(",\"subtype\":7"), SB_PAYLOAD_IGNORE, "subtype", NULL},
        {"{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event\":{\"type\":\"message\","
         "\"channel_type\":\"channel\",\"user\":\"U1\",\"text\":\"secret words\"}}",
         SB_PAYLOAD_IGNORE, "not_im", NULL},
        {"{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event\":{\"type\":\"message\","
         "\"channel_type\":\"mpim\",\"user\":\"U1\",\"text\":\"secret words\"}}",
         SB_PAYLOAD_IGNORE, "not_im", NULL},
        {"{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event\":{\"type\":\"message\","
         "\"user\":\"U1\",\"text\":\"secret words\"}}",
         SB_PAYLOAD_IGNORE, "not_im", NULL},
        {"{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event\":{\"type\":\"app_mention\","
         "\"user\":\"U1\",\"text\":\"secret words\"}}",
         SB_PAYLOAD_IGNORE, "not_message", "app_mention"},
        {"{\"type\":\"app_rate_limited\",\"minute_rate_limited\":1}", SB_PAYLOAD_IGNORE,
         "other_type", "app_rate_limited"},
        /* missing or mistyped fields */
        {"{}", SB_PAYLOAD_BAD, "missing_field", "type"},
        {"{\"type\":5}", SB_PAYLOAD_BAD, "missing_field", "type"},
        {"{\"type\":\"event_callback\",\"event_id\":\"Ev1\"}", SB_PAYLOAD_BAD, "missing_field",
         "event"},
        {"{\"type\":\"event_callback\",\"event\":\"message\"}", SB_PAYLOAD_BAD, "missing_field",
         "event"},
        {"{\"type\":\"event_callback\",\"event\":{\"text\":\"secret words\"}}", SB_PAYLOAD_BAD,
         "missing_field", "event.type"},
        {"{\"type\":\"event_callback\",\"event\":{\"type\":\"message\",\"channel_type\":\"im\","
         "\"user\":\"U1\",\"text\":\"secret words\"}}",
         SB_PAYLOAD_BAD, "missing_field", "event_id"},
        {"{\"type\":\"event_callback\",\"event_id\":\"\",\"event\":{\"type\":\"message\","
         "\"channel_type\":\"im\",\"user\":\"U1\",\"text\":\"secret words\"}}",
         SB_PAYLOAD_BAD, "missing_field", "event_id"},
        {"{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event\":{\"type\":\"message\","
         "\"channel_type\":\"im\",\"text\":\"secret words\"}}",
         SB_PAYLOAD_BAD, "missing_field", "event.user"},
        {"{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event\":{\"type\":\"message\","
         "\"channel_type\":\"im\",\"user\":\"\",\"text\":\"secret words\"}}",
         SB_PAYLOAD_BAD, "missing_field", "event.user"},
        {"{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event\":{\"type\":\"message\","
         "\"channel_type\":\"im\",\"user\":\"U1\"}}",
         SB_PAYLOAD_BAD, "missing_field", "event.text"},
        {"{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event\":{\"type\":\"message\","
         "\"channel_type\":\"im\",\"user\":\"U1\",\"text\":null}}",
         SB_PAYLOAD_BAD, "missing_field", "event.text"},
        /* not one JSON object */
        {"", SB_PAYLOAD_BAD, "invalid_json", NULL},
        {"   ", SB_PAYLOAD_BAD, "invalid_json", NULL},
        {"{", SB_PAYLOAD_BAD, "invalid_json", NULL},
        {"{\"type\":\"url_verification\",\"challenge\":\"c\"", SB_PAYLOAD_BAD, "invalid_json",
         NULL},
        {"{\"type\":\"url_verification\",\"challenge\":\"c\"} {}", SB_PAYLOAD_BAD, "invalid_json",
         NULL},
        {"{\"type\":\"url_verification\",\"challenge\":\"c\"}x", SB_PAYLOAD_BAD, "invalid_json",
         NULL},
        {"{'type':'url_verification'}", SB_PAYLOAD_BAD, "invalid_json", NULL},
        {"[]", SB_PAYLOAD_BAD, "not_object", NULL},
        {"\"event_callback\"", SB_PAYLOAD_BAD, "not_object", NULL},
        {"null", SB_PAYLOAD_BAD, "not_object", NULL},
        {"{\"type\":\"\xff\"}", SB_PAYLOAD_BAD, "invalid_utf8", NULL},
        {"{\"type\":\"\xc0\xaf\"}", SB_PAYLOAD_BAD, "invalid_utf8", NULL},
        {"{\"type\":\"\xed\xa0\x80\"}", SB_PAYLOAD_BAD, "invalid_utf8", NULL},
    };
#undef MSG
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sb_payload_t p;
        char what[32];
        snprintf(what, sizeof(what), "event case %zu", i);
        read_event(cases[i].body, &p);
        check_verdict(&p, what, cases[i].verdict, cases[i].reason, cases[i].detail);
        /* reason and detail never carry the message text */
        SB_CHECK_MSG(!strstr(p.detail, "secret"), "%s: detail \"%s\"", what, p.detail);
        sb_payload_clear(&p);
    }
}

/* The length bounds the body; a NUL inside it is not JSON text. */
static void test_event_lengths(void) {
    static const char body[] = "{\"type\":\"url_verification\",\"challenge\":\"c\"}garbage";
    sb_payload_t p;
    sb_payload_read_event(body, strlen(body) - 7, NOW, &p);
    SB_CHECK(p.verdict == SB_PAYLOAD_CHALLENGE && p.challenge && !strcmp(p.challenge, "c"));
    sb_payload_clear(&p);
    sb_payload_read_event(body, strlen(body) - 8, NOW, &p);
    check_verdict(&p, "cut", SB_PAYLOAD_BAD, "invalid_json", NULL);
    static const char nul[] = "{\"type\":\"url_verification\",\"challenge\":\"c\"}\0";
    sb_payload_read_event(nul, sizeof(nul) - 1, NOW, &p);
    check_verdict(&p, "trailing NUL", SB_PAYLOAD_BAD, "invalid_utf8", NULL);
    static const char inner[] = "{\"type\":\"url_verification\",\"challenge\":\"c\0d\"}";
    sb_payload_read_event(inner, sizeof(inner) - 1, NOW, &p);
    check_verdict(&p, "inner NUL", SB_PAYLOAD_BAD, "invalid_utf8", NULL);
    sb_payload_clear(&p);
}

/* "payload=" + json, percent-encoded as a browser or Slack would. */
static char *form(const char *json) {
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(json);
    char *out = malloc(8 + 3 * n + 1), *o = out;
    memcpy(o, "payload=", 8);
    o += 8;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)json[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-_.~", c)) {
            *o++ = (char)c;
        } else if (c == ' ') {
            *o++ = '+';
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

static void read_interaction(const char *body, sb_payload_t *p) {
    size_t len = strlen(body);
    char *copy = malloc(len ? len : 1);
    memcpy(copy, body, len);
    sb_payload_read_interaction(copy, len, NOW, p);
    free(copy);
}

/* A block_actions payload with one action; NULL fields are left out. */
static char *click(const char *user, const char *action_id, const char *value,
                   const char *action_ts, const char *label) {
    char json[16384];
    int n = snprintf(json, sizeof(json),
                     "{\"type\":\"block_actions\",\"team\":{\"id\":\"T1\"},\"user\":{%s%s%s"
                     "\"username\":\"alice\"},\"actions\":[{\"type\":\"button\",\"block_id\":\"b\"",
                     user ? "\"id\":\"" : "", user ? user : "", user ? "\"," : "");
#define ADD(name, v)                                                                               \
    if (v)                                                                                         \
        n += snprintf(json + n, sizeof(json) - n, ",\"" name "\":\"%s\"", v);
    ADD("action_id", action_id)
    ADD("value", value)
    ADD("action_ts", action_ts)
#undef ADD
    if (label)
        n += snprintf(json + n, sizeof(json) - n,
                      ",\"text\":{\"type\":\"plain_text\",\"text\":\"%s\"}", label);
    snprintf(json + n, sizeof(json) - n, "}]}");
    return form(json);
}

static void test_clicks(void) {
    const char *ts = "1700000000.123456";
    sb_payload_t p;
    char *body, hex[SB_SHA256_HEX_LEN + 1];
    const char pre[] = "block_actions|U0123ABC|1700000000.123456|sb_confirm";

    body = click("U0123ABC", "sb_confirm", ALERT, ts, "Yes, it was me");
    read_interaction(body, &p);
    check_publish(&p, "confirm", CLICK_CONFIRM, "U0123ABC", ALERT, "confirm", "Yes, it was me");
    SB_CHECK(sb_sha256_hex(pre, strlen(pre), hex) == 0 && !strcmp(hex, CLICK_CONFIRM));
    sb_payload_clear(&p);
    /* a retried delivery of the same click has the same id */
    read_interaction(body, &p);
    check_publish(&p, "confirm again", CLICK_CONFIRM, "U0123ABC", ALERT, "confirm", NULL);
    sb_payload_clear(&p);
    free(body);

    body = click("U0123ABC", "sb_deny", ALERT, ts, NULL);
    read_interaction(body, &p);
    check_publish(&p, "deny", CLICK_DENY, "U0123ABC", ALERT, "deny", "");
    sb_payload_clear(&p);
    free(body);

    /* "not me": its own kind, and an id of its own (the action_id is hashed) */
    body = click("U0123ABC", "sb_not_me", ALERT, ts, "Not me \xe2\x80\x94 wrong person");
    read_interaction(body, &p);
    check_publish(&p, "not me", CLICK_NOT_ME, "U0123ABC", ALERT, "not_me",
                  "Not me \xe2\x80\x94 wrong person");
    SB_CHECK(strcmp(CLICK_NOT_ME, CLICK_DENY) != 0 && strcmp(CLICK_NOT_ME, CLICK_CONFIRM) != 0);
    SB_CHECK(sb_schema_validate("response", p.event, hex, sizeof(hex)) == 0);
    sb_payload_clear(&p);
    free(body);
    body = click("U0123ABC", "sb_not_me", "not-an-alert", ts, NULL);
    read_interaction(body, &p);
    SB_CHECK(p.verdict == SB_PAYLOAD_BAD && !p.event);
    sb_payload_clear(&p);
    free(body);

    /* another time, another click */
    body = click("U0123ABC", "sb_confirm", ALERT, "1700000000.123457", "Yes");
    read_interaction(body, &p);
    SB_CHECK(p.verdict == SB_PAYLOAD_PUBLISH && p.event &&
             strcmp(str_field(p.event, "event_id"), CLICK_CONFIRM) != 0);
    sb_payload_clear(&p);
    free(body);

    /* the first action decides */
    body = form("{\"type\":\"block_actions\",\"user\":{\"id\":\"U0123ABC\"},\"actions\":["
                "{\"action_id\":\"sb_deny\",\"value\":\"5e43d3fecfb1e24a8e3fd5d1eec3fa26f4dca95020"
                "aa1149aed95319383580e7\",\"action_ts\":\"1700000000.123456\"},"
                "{\"action_id\":\"sb_confirm\",\"value\":\"5e43d3fecfb1e24a8e3fd5d1eec3fa26f4dca95"
                "020aa1149aed95319383580e7\",\"action_ts\":\"1700000000.123456\"}]}");
    read_interaction(body, &p);
    check_publish(&p, "two actions", CLICK_DENY, "U0123ABC", ALERT, "deny", "");
    sb_payload_clear(&p);
    free(body);
}

/* The code modal: a click's trigger_id goes along; a view_submission of
 * the code modal is a text event for the modal's alert. */
static void test_modal(void) {
    sb_payload_t p;
    char *body, hex[SB_SHA256_HEX_LEN + 1], json[2048];
    const char pre[] = "view_submission|U0123ABC|V0ABC123|1712345678.abcd";

    body = form("{\"type\":\"block_actions\",\"trigger_id\":\"13345224609.738474920.8088930838\","
                "\"user\":{\"id\":\"U0123ABC\"},\"actions\":[{\"action_id\":\"sb_confirm\","
                "\"value\":\"5e43d3fecfb1e24a8e3fd5d1eec3fa26f4dca95020aa1149aed95319383580e7\","
                "\"action_ts\":\"1700000000.123456\"}]}");
    read_interaction(body, &p);
    SB_CHECK(p.verdict == SB_PAYLOAD_PUBLISH && cJSON_GetArraySize(p.event) == 9);
    SB_CHECK_STR(str_field(p.event, "trigger_id"), "13345224609.738474920.8088930838");
    SB_CHECK_STR(str_field(p.event, "event_id"), CLICK_CONFIRM);
    SB_CHECK(sb_schema_validate("response", p.event, hex, sizeof(hex)) == 0);
    sb_payload_clear(&p);
    free(body);
    /* "Enter code" after a wrong code: a yes again, with its trigger */
    body = click("U0123ABC", "sb_enter_code", ALERT, "1700000000.123456", "Enter code");
    read_interaction(body, &p);
    check_publish(&p, "enter code", NULL, "U0123ABC", ALERT, "confirm", "Enter code");
    sb_payload_clear(&p);
    free(body);

#define SUBMISSION(callback, metadata, value)                                                      \
    snprintf(json, sizeof(json),                                                                   \
             "{\"type\":\"view_submission\",\"user\":{\"id\":\"U0123ABC\"},\"view\":{"             \
             "\"id\":\"V0ABC123\",\"hash\":\"1712345678.abcd\",\"callback_id\":\"%s\","            \
             "\"private_metadata\":\"%s\",\"state\":{\"values\":{\"sb_code\":{\"sb_code_input\":{" \
             "\"type\":\"plain_text_input\"%s}}}}}}",                                              \
             callback, metadata, value)
    SUBMISSION("sb_code", ALERT, ",\"value\":\"123 456\"");
    body = form(json);
    read_interaction(body, &p);
    SB_CHECK(sb_sha256_hex(pre, strlen(pre), hex) == 0);
    check_publish(&p, "submission", hex, "U0123ABC", ALERT, "text", "123 456");
    sb_payload_clear(&p);
    read_interaction(body, &p); /* a retried delivery: the same id */
    check_publish(&p, "submission again", hex, "U0123ABC", ALERT, "text", NULL);
    sb_payload_clear(&p);
    free(body);

    SUBMISSION("other_modal", ALERT, ",\"value\":\"123456\"");
    body = form(json);
    read_interaction(body, &p);
    check_verdict(&p, "another modal", SB_PAYLOAD_IGNORE, "unknown_view", "other_modal");
    free(body);
    SUBMISSION("sb_code", "not-an-alert", ",\"value\":\"123456\"");
    body = form(json);
    read_interaction(body, &p);
    check_verdict(&p, "bad metadata", SB_PAYLOAD_BAD, "invalid_value", "private_metadata");
    free(body);
    SUBMISSION("sb_code", ALERT, "");
    body = form(json);
    read_interaction(body, &p);
    check_verdict(&p, "no code", SB_PAYLOAD_BAD, "missing_field", "the code");
    free(body);
#undef SUBMISSION
    body = form("{\"type\":\"view_submission\",\"user\":{\"id\":\"U0123ABC\"}}");
    read_interaction(body, &p);
    check_verdict(&p, "no view", SB_PAYLOAD_BAD, "missing_field", "view");
    free(body);
}

/* A button label longer than response.v1 allows is cut like a message text. */
static void test_long_label(void) {
    char label[3 * (SB_PAYLOAD_TEXT_MAX + 5) + 1];
    sb_payload_t p;
    for (size_t i = 0; i < SB_PAYLOAD_TEXT_MAX + 5; i++)
        memcpy(label + 3 * i, "\xe2\x82\xac", 3);
    label[3 * (SB_PAYLOAD_TEXT_MAX + 5)] = '\0';
    char *body = click("U1", "sb_confirm", ALERT, "1.2", label);
    read_interaction(body, &p);
    check_publish(&p, "long label", NULL, "U1", ALERT, "confirm", NULL);
    const char *got = p.event ? str_field(p.event, "text") : NULL;
    SB_CHECK(got && sb_utf8_length(got) == SB_PAYLOAD_TEXT_MAX &&
             strlen(got) == 3 * SB_PAYLOAD_TEXT_MAX);
    sb_payload_clear(&p);
    free(body);
}

static void test_interaction_table(void) {
    static const char upper[] = "5E43D3FECFB1E24A8E3FD5D1EEC3FA26F4DCA95020AA1149AED95319383580E7";
    static const char short_id[] =
        "5e43d3fecfb1e24a8e3fd5d1eec3fa26f4dca95020aa1149aed95319383580e";
    static const char long_id[] =
        "5e43d3fecfb1e24a8e3fd5d1eec3fa26f4dca95020aa1149aed95319383580e70";
    char user65[66];
    memset(user65, 'U', 65);
    user65[65] = '\0';
    struct {
        char *body;
        sb_payload_verdict_t verdict;
        const char *reason, *detail;
    } cases[] = {
        {click("U1", "other_button", ALERT, "1.2", NULL), SB_PAYLOAD_IGNORE, "unknown_action",
         "other_button"},
        {click("U1", "SB_CONFIRM", ALERT, "1.2", NULL), SB_PAYLOAD_IGNORE, "unknown_action", NULL},
        {click("U1", "sb_confirm", upper, "1.2", NULL), SB_PAYLOAD_BAD, "invalid_value", NULL},
        {click("U1", "sb_confirm", short_id, "1.2", NULL), SB_PAYLOAD_BAD, "invalid_value", NULL},
        {click("U1", "sb_confirm", long_id, "1.2", NULL), SB_PAYLOAD_BAD, "invalid_value", NULL},
        {click("U1", "sb_deny", "", "1.2", NULL), SB_PAYLOAD_BAD, "invalid_value", NULL},
        {click("U1", "sb_deny", NULL, "1.2", NULL), SB_PAYLOAD_BAD, "invalid_value", NULL},
        {click("U1", "sb_deny", "../../etc/passwd", "1.2", NULL), SB_PAYLOAD_BAD, "invalid_value",
         NULL},
        {click(NULL, "sb_confirm", ALERT, "1.2", NULL), SB_PAYLOAD_BAD, "missing_field", "user.id"},
        {click("", "sb_confirm", ALERT, "1.2", NULL), SB_PAYLOAD_BAD, "missing_field", "user.id"},
        {click(user65, "sb_confirm", ALERT, "1.2", NULL), SB_PAYLOAD_BAD, "missing_field",
         "user.id"},
        {click("U1", "sb_confirm", ALERT, NULL, NULL), SB_PAYLOAD_BAD, "missing_field",
         "action_ts"},
        {click("U1", "sb_confirm", ALERT, "", NULL), SB_PAYLOAD_BAD, "missing_field", "action_ts"},
        {click("U1", NULL, ALERT, "1.2", NULL), SB_PAYLOAD_BAD, "missing_field", "action_id"},
        {form("{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"actions\":[]}"),
         SB_PAYLOAD_BAD, "missing_field", "actions[0]"},
        {form("{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"}}"), SB_PAYLOAD_BAD,
         "missing_field", "actions[0]"},
        {form("{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"actions\":[\"sb_deny\"]}"),
         SB_PAYLOAD_BAD, "missing_field", "actions[0]"},
        {form("{\"type\":\"block_actions\",\"user\":\"U1\",\"actions\":[{\"action_id\":"
              "\"sb_deny\",\"value\":\"5e43d3fecfb1e24a8e3fd5d1eec3fa26f4dca95020aa1149aed9531938"
              "3580e7\",\"action_ts\":\"1.2\"}]}"),
         SB_PAYLOAD_BAD, "missing_field", "user.id"},
        {form("{\"user\":{\"id\":\"U1\"}}"), SB_PAYLOAD_BAD, "missing_field", "payload.type"},
        {form("{\"type\":\"view_closed\"}"), SB_PAYLOAD_IGNORE, "other_type", "view_closed"},
        {form("{\"type\":\"view_submission\"}"), SB_PAYLOAD_BAD, "missing_field", "view"},
        {form("{\"type\":\"block_actions\""), SB_PAYLOAD_BAD, "invalid_json", NULL},
        {form("{} {}"), SB_PAYLOAD_BAD, "invalid_json", NULL},
        {form("[]"), SB_PAYLOAD_BAD, "not_object", NULL},
        {strdup("payload=%FF"), SB_PAYLOAD_BAD, "invalid_utf8", NULL},
        {strdup("payload="), SB_PAYLOAD_BAD, "invalid_json", NULL},
        /* the form itself */
        {strdup(""), SB_PAYLOAD_BAD, "missing_field", "payload"},
        {strdup("token=x&other=1"), SB_PAYLOAD_BAD, "missing_field", "payload"},
        {strdup("{\"type\":\"block_actions\"}"), SB_PAYLOAD_BAD, "missing_field", "payload"},
        {strdup("payload=%G1"), SB_PAYLOAD_BAD, "invalid_form", NULL},
        {strdup("payload=%7B%7D%"), SB_PAYLOAD_BAD, "invalid_form", NULL},
        {strdup("payload=%7B%00%7D"), SB_PAYLOAD_BAD, "invalid_form", NULL},
        {strdup("payload=%7B%7D&payload=%7B%7D"), SB_PAYLOAD_BAD, "invalid_form", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sb_payload_t p;
        char what[32];
        snprintf(what, sizeof(what), "interaction case %zu", i);
        read_interaction(cases[i].body, &p);
        check_verdict(&p, what, cases[i].verdict, cases[i].reason, cases[i].detail);
        sb_payload_clear(&p);
        free(cases[i].body);
    }
}

/* '+' for spaces and lower-case escapes are ordinary form encoding. */
static void test_form_spellings(void) {
    sb_payload_t p;
    char *body = click("U0123ABC", "sb_confirm", ALERT, "1700000000.123456", "Yes it was me");
    for (char *c = body; *c; c++)
        if (c[0] == '%' && c[1] >= 'A' && c[1] <= 'F')
            c[1] = (char)(c[1] - 'A' + 'a');
    SB_CHECK(strstr(body, "Yes+it+was+me") != NULL);
    read_interaction(body, &p);
    check_publish(&p, "spellings", CLICK_CONFIRM, "U0123ABC", ALERT, "confirm", "Yes it was me");
    sb_payload_clear(&p);
    /* the length bounds the body: the same form cut short is malformed JSON */
    sb_payload_read_interaction(body, strlen(body) - 3, NOW, &p);
    check_verdict(&p, "cut form", SB_PAYLOAD_BAD, "invalid_json", NULL);
    free(body);
}

int main(void) {
    test_challenge();
    test_message();
    test_limits();
    test_long_text();
    test_event_table();
    test_event_lengths();
    test_clicks();
    test_modal();
    test_long_label();
    test_interaction_table();
    test_form_spellings();
    return SB_TEST_DONE();
}
