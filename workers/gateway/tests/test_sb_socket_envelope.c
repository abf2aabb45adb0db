/* Unit tests for socket_envelope and socket_open: Socket Mode frames and the URL Slack hands out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sb_payload.h"
#include "sb_test.h"
#include "socket_envelope.h"
#include "socket_open.h"

static const char NOW[] = "2026-11-29T12:00:00.123456Z";
static const char ALERT[] = "5e43d3fecfb1e24a8e3fd5d1eec3fa26f4dca95020aa1149aed95319383580e7";
/* sha256("block_actions|U0123ABC|1700000000.123456|sb_confirm"), as test_sb_payload.c */
static const char CLICK_CONFIRM[] =
    "2762fdf15c063d9bb49934d0dce313792af97ac22608f4a506317c084d7a32cf";

static const char *event_field(const sb_envelope_t *e, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e->payload.event, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void read_str(const char *frame, sb_envelope_t *e) {
    sb_envelope_read(frame, strlen(frame), NOW, e);
}

/* The same click through both transports: the same event. */
static void test_interactive_is_the_callback(void) {
    char frame[1024], form[1024];
    sb_envelope_t e;
    sb_payload_t p;
    const char *click = "{\"type\":\"block_actions\",\"user\":{\"id\":\"U0123ABC\"},\"actions\":[{"
                        "\"action_id\":\"sb_confirm\",\"value\":\"%s\",\"text\":{\"type\":"
                        "\"plain_text\",\"text\":\"Yes\"},\"action_ts\":\"1700000000.123456\"}]}";
    char payload[512];

    snprintf(payload, sizeof(payload), click, ALERT);
    snprintf(frame, sizeof(frame),
             "{\"envelope_id\":\"57d6a792-4d35-4d0b-b6aa-3361493e1caf\",\"payload\":%s,"
             "\"type\":\"interactive\",\"accepts_response_payload\":false}",
             payload);
    read_str(frame, &e);
    SB_CHECK(e.kind == SB_ENVELOPE_PAYLOAD);
    SB_CHECK_STR(e.envelope_id, "57d6a792-4d35-4d0b-b6aa-3361493e1caf");
    SB_CHECK(e.payload.verdict == SB_PAYLOAD_PUBLISH);
    SB_CHECK_STR(event_field(&e, "event_id"), CLICK_CONFIRM);
    SB_CHECK_STR(event_field(&e, "kind"), "confirm");
    SB_CHECK_STR(e.payload.chat_user_id, "U0123ABC");
    /* the HTTP callback's form body with the same payload */
    snprintf(form, sizeof(form), "payload=");
    for (const char *c = payload; *c; c++)
        snprintf(form + strlen(form), sizeof(form) - strlen(form),
                 strchr("{}\":,[]", *c) ? "%%%02X" : "%c", (unsigned char)*c);
    sb_payload_read_interaction(form, strlen(form), NOW, &p);
    SB_CHECK(p.verdict == SB_PAYLOAD_PUBLISH);
    if (p.event && e.payload.event) {
        char *a = cJSON_PrintUnformatted(p.event), *b = cJSON_PrintUnformatted(e.payload.event);
        SB_CHECK_STR(a, b);
        free(a);
        free(b);
    }
    sb_payload_clear(&p);
    sb_envelope_clear(&e);
}

/* A "not me" click over Socket Mode: kind not_me, the HTTP callback's id. */
static void test_not_me(void) {
    sb_envelope_t e;
    char frame[1024];
    snprintf(frame, sizeof(frame),
             "{\"envelope_id\":\"n1\",\"type\":\"interactive\",\"payload\":{\"type\":"
             "\"block_actions\",\"user\":{\"id\":\"U0123ABC\"},\"actions\":[{\"action_id\":"
             "\"sb_not_me\",\"value\":\"%s\",\"action_ts\":\"1700000000.123456\"}]}}",
             ALERT);
    read_str(frame, &e);
    SB_CHECK(e.kind == SB_ENVELOPE_PAYLOAD && e.payload.verdict == SB_PAYLOAD_PUBLISH);
    SB_CHECK_STR(event_field(&e, "kind"), "not_me");
    /* sha256("block_actions|U0123ABC|1700000000.123456|sb_not_me"), as test_sb_payload.c */
    SB_CHECK_STR(event_field(&e, "event_id"),
                 "0ffdb2ff27888a85a6740bac4e58fca11d94962625cefa789177b410421890eb");
    sb_envelope_clear(&e);
}

static void test_events_api(void) {
    sb_envelope_t e;
    read_str("{\"envelope_id\":\"e1\",\"type\":\"events_api\",\"retry_attempt\":2,"
             "\"retry_reason\":\"timeout\",\"payload\":{\"type\":\"event_callback\",\"event_id\":"
             "\"Ev01\",\"event\":{\"type\":\"message\",\"channel_type\":\"im\",\"user\":\"U1\","
             "\"text\":\"no, not me\"}}}",
             &e);
    SB_CHECK(e.kind == SB_ENVELOPE_PAYLOAD && e.payload.verdict == SB_PAYLOAD_PUBLISH);
    SB_CHECK_STR(event_field(&e, "event_id"), "Ev01");
    SB_CHECK_STR(event_field(&e, "text"), "no, not me");
    SB_CHECK(e.retry_attempt == 2);
    SB_CHECK_STR(e.retry_reason, "timeout");
    sb_envelope_clear(&e);
}

/* frame, kind, payload verdict (for PAYLOAD), envelope id, reason */
static const struct {
    const char *frame;
    sb_envelope_kind_t kind;
    sb_payload_verdict_t verdict;
    const char *id, *reason;
} cases[] = {
    {"{\"type\":\"hello\",\"num_connections\":3}", SB_ENVELOPE_HELLO, 0, "", ""},
    {"{\"type\":\"disconnect\",\"reason\":\"refresh_requested\"}", SB_ENVELOPE_DISCONNECT, 0, "",
     "refresh_requested"},
    {"{\"type\":\"disconnect\",\"reason\":\"link_disabled\"}", SB_ENVELOPE_DISCONNECT, 0, "",
     "link_disabled"},
    {"{\"type\":\"disconnect\"}", SB_ENVELOPE_DISCONNECT, 0, "", "unknown"},
    {"{\"type\":\"slash_commands\",\"envelope_id\":\"s1\",\"payload\":{}}", SB_ENVELOPE_OTHER, 0,
     "s1", ""},
    {"{\"type\":\"events_api\",\"envelope_id\":\"x\",\"payload\":{\"type\":\"event_callback\","
     "\"event\":{\"type\":\"reaction_added\"}}}",
     SB_ENVELOPE_PAYLOAD, SB_PAYLOAD_IGNORE, "x", ""},
    {"{\"type\":\"events_api\",\"envelope_id\":\"x\",\"payload\":{\"type\":\"event_callback\"}}",
     SB_ENVELOPE_PAYLOAD, SB_PAYLOAD_BAD, "x", ""},
    {"{\"type\":\"interactive\",\"envelope_id\":\"x\",\"payload\":{\"type\":\"view_closed\"}}",
     SB_ENVELOPE_PAYLOAD, SB_PAYLOAD_IGNORE, "x", ""},
    {"{\"type\":\"events_api\",\"envelope_id\":\"x\",\"payload\":\"not an object\"}",
     SB_ENVELOPE_BAD, 0, "x", ""},
    {"{\"type\":\"events_api\",\"payload\":{}}", SB_ENVELOPE_BAD, 0, "", ""},
    {"{\"type\":\"events_api\",\"envelope_id\":7,\"payload\":{}}", SB_ENVELOPE_BAD, 0, "", ""},
    {"{\"type\":\"events_api\",\"envelope_id\":\"a\\\"b\",\"payload\":{}}", SB_ENVELOPE_BAD, 0, "",
     ""},
    {"{\"type\":\"events_api\",\"envelope_id\":\"\",\"payload\":{}}", SB_ENVELOPE_BAD, 0, "", ""},
    {"{\"envelope_id\":\"x\"}", SB_ENVELOPE_BAD, 0, "", ""},
    {"[1,2]", SB_ENVELOPE_BAD, 0, "", ""},
    {"{\"type\":\"hello\"} trailing", SB_ENVELOPE_BAD, 0, "", ""},
    {"", SB_ENVELOPE_BAD, 0, "", ""},
};

static void test_table(void) {
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sb_envelope_t e;
        read_str(cases[i].frame, &e);
        SB_CHECK_MSG(e.kind == cases[i].kind, "case %zu: kind %d", i, (int)e.kind);
        if (cases[i].kind == SB_ENVELOPE_PAYLOAD)
            SB_CHECK_MSG(e.payload.verdict == cases[i].verdict, "case %zu: verdict %d", i,
                         (int)e.payload.verdict);
        if (e.kind != SB_ENVELOPE_BAD)
            SB_CHECK_STR(e.envelope_id, cases[i].id);
        SB_CHECK_STR(e.reason, cases[i].reason);
        SB_CHECK_MSG(e.kind == SB_ENVELOPE_PAYLOAD || !e.payload.event, "case %zu: event", i);
        sb_envelope_clear(&e);
    }
}

static void test_limits(void) {
    sb_envelope_t e;
    size_t n = SB_ENVELOPE_MAX_FRAME + 1;
    char *big = malloc(n), id[SB_ENVELOPE_ID_MAX + 2], frame[512];

    memset(big, ' ', n);
    sb_envelope_read(big, n, NOW, &e);
    SB_CHECK(e.kind == SB_ENVELOPE_BAD);
    free(big);
    memset(id, 'a', sizeof(id) - 1);
    id[sizeof(id) - 1] = '\0';
    snprintf(frame, sizeof(frame), "{\"type\":\"slash_commands\",\"envelope_id\":\"%s\"}", id);
    read_str(frame, &e);
    SB_CHECK_MSG(e.kind == SB_ENVELOPE_BAD, "id of %zu chars", strlen(id));
    id[SB_ENVELOPE_ID_MAX] = '\0';
    snprintf(frame, sizeof(frame), "{\"type\":\"slash_commands\",\"envelope_id\":\"%s\"}", id);
    read_str(frame, &e);
    SB_CHECK_MSG(e.kind == SB_ENVELOPE_OTHER, "id of %d chars", SB_ENVELOPE_ID_MAX);
}

static void test_ack(void) {
    char buf[64];
    SB_CHECK(sb_envelope_ack("57d6a792", buf, sizeof(buf)) == 26);
    SB_CHECK_STR(buf, "{\"envelope_id\":\"57d6a792\"}");
    SB_CHECK(sb_envelope_ack("a\"b", buf, sizeof(buf)) == -1);
    SB_CHECK(sb_envelope_ack("", buf, sizeof(buf)) == -1);
    SB_CHECK(sb_envelope_ack("57d6a792", buf, 20) == -1);
}

static void test_url(void) {
    sb_socket_url_t u;
    char err[128];
    SB_CHECK(sb_socket_url_parse("wss://wss-primary.slack.com/link/?ticket=t&app_id=A", 0, &u, err,
                                 sizeof(err)) == 0);
    SB_CHECK(u.tls == 1 && u.port == 443);
    SB_CHECK_STR(u.host, "wss-primary.slack.com");
    SB_CHECK_STR(u.path, "/link/?ticket=t&app_id=A");
    SB_CHECK(sb_socket_url_parse("ws://127.0.0.1:4567/link/?ticket=t", 1, &u, err, sizeof(err)) ==
             0);
    SB_CHECK(u.tls == 0 && u.port == 4567);
    SB_CHECK_STR(u.host, "127.0.0.1");
    SB_CHECK(sb_socket_url_parse("wss://[::1]:8443", 0, &u, err, sizeof(err)) == 0);
    SB_CHECK_STR(u.host, "::1");
    SB_CHECK(u.port == 8443);
    SB_CHECK_STR(u.path, "/");
    /* a real deployment never falls back to plain text */
    SB_CHECK(sb_socket_url_parse("ws://x/link", 0, &u, err, sizeof(err)) == -1);
    SB_CHECK(strstr(err, "wss://") != NULL);
    SB_CHECK(sb_socket_url_parse("https://x/link", 1, &u, err, sizeof(err)) == -1);
    SB_CHECK(sb_socket_url_parse("wss://x:0/", 0, &u, err, sizeof(err)) == -1);
    SB_CHECK(sb_socket_url_parse("wss://x:99999/", 0, &u, err, sizeof(err)) == -1);
    SB_CHECK(sb_socket_url_parse("wss://user@x/", 0, &u, err, sizeof(err)) == -1);
    SB_CHECK(sb_socket_url_parse("wss:///path", 0, &u, err, sizeof(err)) == -1);
    SB_CHECK(sb_socket_url_parse("wss://x/a b", 0, &u, err, sizeof(err)) == -1);
    SB_CHECK(sb_socket_url_parse("wss://[::1/", 0, &u, err, sizeof(err)) == -1);
    /* the ticket never reaches an error message */
    SB_CHECK(sb_socket_url_parse("ws://x/?ticket=SECRET", 0, &u, err, sizeof(err)) == -1);
    SB_CHECK(strstr(err, "SECRET") == NULL);
}

int main(void) {
    test_not_me();
    test_interactive_is_the_callback();
    test_events_api();
    test_table();
    test_limits();
    test_ack();
    test_url();
    return SB_TEST_DONE();
}
