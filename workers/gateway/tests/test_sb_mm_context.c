/* Unit tests for mm_context: a Mattermost button's MAC'd context, made and checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mattermost.h"
#include "sb_mmctx.h"
#include "sb_crypto.h"
#include "sb_schema.h"
#include "sb_test.h"

static const char SECRET[] = "mm-actions-secret-0123456789abcdef";
static const char ALERT[] = "5e43d3fecfb1e24a8e3fd5d1eec3fa26f4dca95020aa1149aed95319383580e7";
static const char USER[] = "q7fhtx3ygfdo8qdbn9rmfpoyqe";
/* HMAC-SHA256(SECRET, "sbmm1|" ALERT "|deny|" USER "|1800000000"), by Python's hmac */
static const char MAC_DENY[] = "27b01895ec4715f85cb08c533d20faf8fc7e23af163ebf3998d63cdf24112279";

static const sb_mmctx_t good = {
    .alert_id = "5e43d3fecfb1e24a8e3fd5d1eec3fa26f4dca95020aa1149aed95319383580e7",
    .action = "deny",
    .user_id = "q7fhtx3ygfdo8qdbn9rmfpoyqe",
    .expires = 1800000000,
};

static void test_known_mac(void) {
    char mac[SB_SHA256_HEX_LEN + 1];
    SB_CHECK(sb_mmctx_mac(SECRET, &good, mac) == 0);
    SB_CHECK_STR(mac, MAC_DENY);
}

static void test_round_trip(void) {
    cJSON *ctx = sb_mmctx_make(SECRET, &good);
    sb_mmctx_t out;
    SB_CHECK(ctx != NULL);
    SB_CHECK(sb_mmctx_check(SECRET, ctx, USER, 1799999999, &out) == SB_MMCTX_OK);
    SB_CHECK_STR(out.alert_id, ALERT);
    SB_CHECK_STR(out.action, "deny");
    SB_CHECK(out.expires == 1800000000);
    /* the last second still counts; the next does not */
    SB_CHECK(sb_mmctx_check(SECRET, ctx, USER, 1800000000, &out) == SB_MMCTX_OK);
    SB_CHECK(sb_mmctx_check(SECRET, ctx, USER, 1800000001, &out) == SB_MMCTX_EXPIRED);
    SB_CHECK(sb_mmctx_check(SECRET, ctx, "someoneelse00000000000000a", 1, &out) ==
             SB_MMCTX_OTHER_USER);
    SB_CHECK(sb_mmctx_check("another-secret", ctx, USER, 1, &out) == SB_MMCTX_BAD_MAC);
    SB_CHECK(sb_mmctx_check(SECRET, ctx, NULL, 1, &out) == SB_MMCTX_MALFORMED);
    cJSON_Delete(ctx);
}

/* Each field changed after signing: the MAC no longer matches. */
static void test_tampering(void) {
    static const char *const fields[] = {"alert_id", "action", "user_id"};
    sb_mmctx_t out;
    for (size_t i = 0; i < 3; i++) {
        cJSON *ctx = sb_mmctx_make(SECRET, &good);
        cJSON_ReplaceItemInObject(ctx, fields[i], cJSON_CreateString("confirm"));
        SB_CHECK_MSG(sb_mmctx_check(SECRET, ctx, "confirm", 1, &out) == SB_MMCTX_BAD_MAC,
                     "%s changed", fields[i]);
        cJSON_Delete(ctx);
    }
    cJSON *ctx = sb_mmctx_make(SECRET, &good);
    cJSON_ReplaceItemInObject(ctx, "expires", cJSON_CreateNumber(1900000000));
    SB_CHECK(sb_mmctx_check(SECRET, ctx, USER, 1850000000, &out) == SB_MMCTX_BAD_MAC);
    cJSON_ReplaceItemInObject(ctx, "expires", cJSON_CreateNumber(1800000000));
    /* a MAC of another length, or in capitals, does not match either */
    cJSON_ReplaceItemInObject(ctx, "mac", cJSON_CreateString("abc"));
    SB_CHECK(sb_mmctx_check(SECRET, ctx, USER, 1, &out) == SB_MMCTX_BAD_MAC);
    char upper[SB_SHA256_HEX_LEN + 1];
    snprintf(upper, sizeof(upper), "%s", MAC_DENY);
    for (char *c = upper; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 'a' + 'A');
    cJSON_ReplaceItemInObject(ctx, "mac", cJSON_CreateString(upper));
    SB_CHECK(sb_mmctx_check(SECRET, ctx, USER, 1, &out) == SB_MMCTX_BAD_MAC);
    cJSON_Delete(ctx);
}

/* context JSON, expected verdict */
static const struct {
    const char *json;
    sb_mmctx_verdict_t want;
} cases[] = {
    {"{}", SB_MMCTX_MALFORMED},
    {"[]", SB_MMCTX_MALFORMED},
    {"{\"alert_id\":\"a\",\"action\":\"deny\",\"user_id\":\"u\",\"expires\":5}",
     SB_MMCTX_MALFORMED},
    {"{\"alert_id\":\"a\",\"action\":\"deny\",\"user_id\":\"u\",\"expires\":\"5\",\"mac\":\"x\"}",
     SB_MMCTX_MALFORMED},
    {"{\"alert_id\":\"a\",\"action\":\"deny\",\"user_id\":\"u\",\"expires\":5.5,\"mac\":\"x\"}",
     SB_MMCTX_MALFORMED},
    {"{\"alert_id\":\"a\",\"action\":\"deny\",\"user_id\":\"u\",\"expires\":-1,\"mac\":\"x\"}",
     SB_MMCTX_MALFORMED},
    {"{\"alert_id\":\"a|b\",\"action\":\"deny\",\"user_id\":\"u\",\"expires\":5,\"mac\":\"x\"}",
     SB_MMCTX_MALFORMED},
    {"{\"alert_id\":\"\",\"action\":\"deny\",\"user_id\":\"u\",\"expires\":5,\"mac\":\"x\"}",
     SB_MMCTX_MALFORMED},
    {"{\"alert_id\":\"a\",\"action\":\"deny\",\"user_id\":\"u\",\"expires\":5,\"mac\":\"x\"}",
     SB_MMCTX_BAD_MAC},
};

static void test_table(void) {
    sb_mmctx_t out;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *ctx = cJSON_Parse(cases[i].json);
        sb_mmctx_verdict_t v = sb_mmctx_check(SECRET, ctx, "u", 1, &out);
        SB_CHECK_MSG(v == cases[i].want, "case %zu: %s", i, sb_mmctx_reason(v));
        cJSON_Delete(ctx);
    }
    SB_CHECK(sb_mmctx_check(SECRET, NULL, "u", 1, &out) == SB_MMCTX_MALFORMED);
}

static void test_make_refuses(void) {
    sb_mmctx_t c = good;
    SB_CHECK(sb_mmctx_make("", &c) == NULL);
    strcpy(c.action, "de|ny");
    SB_CHECK(sb_mmctx_make(SECRET, &c) == NULL);
    c = good;
    c.user_id[0] = '\0';
    SB_CHECK(sb_mmctx_make(SECRET, &c) == NULL);
}

/* A Mattermost integration request for a click of ctx by user. */
static char *request(const cJSON *ctx, const char *user) {
    cJSON *r = cJSON_CreateObject();
    char *body;
    cJSON_AddStringToObject(r, "user_id", user);
    cJSON_AddStringToObject(r, "user_name", "alice");
    cJSON_AddStringToObject(r, "channel_id", "dmchannel0000000000000000a");
    cJSON_AddStringToObject(r, "post_id", "post00000000000000000000aa");
    cJSON_AddStringToObject(r, "trigger_id", "trigger-1");
    cJSON_AddStringToObject(r, "type", "button");
    if (ctx)
        cJSON_AddItemToObject(r, "context", cJSON_Duplicate(ctx, 1));
    body = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return body;
}

static void test_actions(void) {
    cJSON *ctx = sb_mmctx_make(SECRET, &good);
    char *body = request(ctx, USER), want[SB_SHA256_HEX_LEN + 1], err[256];
    const char *idsrc = "mm_action|q7fhtx3ygfdo8qdbn9rmfpoyqe|post00000000000000000000aa|deny|"
                        "trigger-1";
    sb_mm_action_t a;

    sb_mm_read_action(body, strlen(body), SECRET, 1700000000, "2026-11-29T12:00:00Z", &a);
    SB_CHECK(a.p.verdict == SB_PAYLOAD_PUBLISH && a.refused == SB_MMCTX_OK);
    SB_CHECK(sb_sha256_hex(idsrc, strlen(idsrc), want) == 0);
    if (a.p.event) {
        SB_CHECK_STR(cJSON_GetObjectItem(a.p.event, "trigger_id")->valuestring, "trigger-1");
        SB_CHECK_STR(cJSON_GetObjectItem(a.p.event, "event_id")->valuestring, want);
        SB_CHECK_STR(cJSON_GetObjectItem(a.p.event, "platform")->valuestring, "mattermost");
        SB_CHECK_STR(cJSON_GetObjectItem(a.p.event, "kind")->valuestring, "deny");
        SB_CHECK_STR(cJSON_GetObjectItem(a.p.event, "alert_id")->valuestring, ALERT);
        SB_CHECK(sb_schema_validate("response", a.p.event, err, sizeof(err)) == 0);
    }
    sb_payload_clear(&a.p);
    /* expired, another user, another secret: refused, nothing to publish */
    sb_mm_read_action(body, strlen(body), SECRET, 1800000001, "2026-11-29T12:00:00Z", &a);
    SB_CHECK(a.p.verdict == SB_PAYLOAD_IGNORE && a.refused == SB_MMCTX_EXPIRED && !a.p.event);
    SB_CHECK_STR(a.p.reason, "expired");
    sb_mm_read_action(body, strlen(body), "other", 1, "2026-11-29T12:00:00Z", &a);
    SB_CHECK(a.refused == SB_MMCTX_BAD_MAC && !a.p.event);
    free(body);
    body = request(ctx, "mallory0000000000000000000");
    sb_mm_read_action(body, strlen(body), SECRET, 1, "2026-11-29T12:00:00Z", &a);
    SB_CHECK(a.refused == SB_MMCTX_OTHER_USER && !a.p.event);
    free(body);
    body = request(NULL, USER);
    sb_mm_read_action(body, strlen(body), SECRET, 1, "2026-11-29T12:00:00Z", &a);
    SB_CHECK(a.refused == SB_MMCTX_MALFORMED && !a.p.event);
    free(body);
    /* "not me": its own kind and event id (the action is hashed) */
    {
        sb_mmctx_t nm = good;
        snprintf(nm.action, sizeof(nm.action), "not_me");
        cJSON *nctx = sb_mmctx_make(SECRET, &nm);
        const char *nsrc = "mm_action|q7fhtx3ygfdo8qdbn9rmfpoyqe|post00000000000000000000aa|"
                           "not_me|trigger-1";
        body = request(nctx, USER);
        sb_mm_read_action(body, strlen(body), SECRET, 1700000000, "2026-11-29T12:00:00Z", &a);
        SB_CHECK(a.p.verdict == SB_PAYLOAD_PUBLISH && a.refused == SB_MMCTX_OK && a.p.event);
        SB_CHECK(sb_sha256_hex(nsrc, strlen(nsrc), want) == 0);
        SB_CHECK_STR(want, "34a359bfd466243ae0991392b4499d16bde935b1919bf6eb82020c5660efd5ba");
        if (a.p.event) {
            SB_CHECK_STR(cJSON_GetObjectItem(a.p.event, "kind")->valuestring, "not_me");
            SB_CHECK_STR(cJSON_GetObjectItem(a.p.event, "event_id")->valuestring, want);
            SB_CHECK_STR(cJSON_GetObjectItem(a.p.event, "trigger_id")->valuestring, "trigger-1");
            SB_CHECK(sb_schema_validate("response", a.p.event, err, sizeof(err)) == 0);
        }
        sb_payload_clear(&a.p);
        free(body);
        /* a MAC'd action that is not a button's (a dialog's state): refused */
        snprintf(nm.action, sizeof(nm.action), "code");
        cJSON_Delete(nctx);
        nctx = sb_mmctx_make(SECRET, &nm);
        body = request(nctx, USER);
        sb_mm_read_action(body, strlen(body), SECRET, 1700000000, "2026-11-29T12:00:00Z", &a);
        SB_CHECK(a.p.verdict == SB_PAYLOAD_BAD && !a.p.event);
        sb_payload_clear(&a.p);
        free(body);
        cJSON_Delete(nctx);
    }
    sb_mm_read_action("{\"user_id\":5}", 13, SECRET, 1, "2026-11-29T12:00:00Z", &a);
    SB_CHECK(a.p.verdict == SB_PAYLOAD_BAD);
    sb_mm_read_action("not json", 8, SECRET, 1, "2026-11-29T12:00:00Z", &a);
    SB_CHECK(a.p.verdict == SB_PAYLOAD_BAD);
    cJSON_Delete(ctx);
}

/* The slash command: a matching token makes a "text" event. */
static void test_commands(void) {
    static const struct {
        const char *body;
        sb_payload_verdict_t verdict;
        const char *text; /* the event's, or NULL */
    } cmds[] = {
        {"token=cmdtok&user_id=u1&trigger_id=t1&text=ignore+2h&command=%2Fsecuritybot",
         SB_PAYLOAD_PUBLISH, "ignore 2h"},
        {"token=cmdtok&user_id=u1&trigger_id=t1&text=", SB_PAYLOAD_PUBLISH, "help"},
        {"token=cmdtok&user_id=u1&trigger_id=t1", SB_PAYLOAD_PUBLISH, "help"},
        {"token=cmdtoK&user_id=u1&trigger_id=t1&text=stop", SB_PAYLOAD_IGNORE, NULL},
        {"token=cmdtok2&user_id=u1&trigger_id=t1&text=stop", SB_PAYLOAD_IGNORE, NULL},
        {"user_id=u1&trigger_id=t1&text=stop", SB_PAYLOAD_IGNORE, NULL},
        {"token=cmdtok&trigger_id=t1&text=stop", SB_PAYLOAD_BAD, NULL},
        {"token=cmdtok&user_id=u1&text=stop", SB_PAYLOAD_BAD, NULL},
        {"token=cmdtok&token=cmdtok&user_id=u1&trigger_id=t1", SB_PAYLOAD_BAD, NULL},
        {"token=cmdtok&user_id=u1&trigger_id=t1&text=%FF", SB_PAYLOAD_BAD, NULL},
    };
    char want[SB_SHA256_HEX_LEN + 1], err[256];
    sb_mm_action_t a;
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        sb_mm_read_command(cmds[i].body, strlen(cmds[i].body), "cmdtok", "2026-11-29T12:00:00Z",
                           &a);
        SB_CHECK_MSG(a.p.verdict == cmds[i].verdict, "case %zu: %s", i, a.p.reason);
        SB_CHECK_MSG(!cmds[i].text == !a.p.event, "case %zu", i);
        if (cmds[i].text && a.p.event) {
            SB_CHECK_STR(cJSON_GetObjectItem(a.p.event, "text")->valuestring, cmds[i].text);
            SB_CHECK_STR(cJSON_GetObjectItem(a.p.event, "kind")->valuestring, "text");
            SB_CHECK(cJSON_IsNull(cJSON_GetObjectItem(a.p.event, "alert_id")));
            SB_CHECK(sb_sha256_hex("mm_command|u1|t1", 16, want) == 0);
            SB_CHECK_STR(cJSON_GetObjectItem(a.p.event, "event_id")->valuestring, want);
            SB_CHECK(sb_schema_validate("response", a.p.event, err, sizeof(err)) == 0);
        }
        sb_payload_clear(&a.p);
    }
}

/* A dialog submission with the state of c (NULL: none), by user. */
static char *submission(const sb_mmctx_t *c, const char *user, const char *code, int cancelled) {
    cJSON *r = cJSON_CreateObject(), *ctx = c ? sb_mmctx_make(SECRET, c) : NULL, *sub;
    char *state = ctx ? cJSON_PrintUnformatted(ctx) : NULL, *body;
    cJSON_AddStringToObject(r, "type", "dialog_submission");
    cJSON_AddStringToObject(r, "callback_id", "sbcode");
    cJSON_AddStringToObject(r, "user_id", user);
    if (state)
        cJSON_AddStringToObject(r, "state", state);
    sub = cJSON_AddObjectToObject(r, "submission");
    if (code)
        cJSON_AddStringToObject(sub, "code", code);
    cJSON_AddBoolToObject(r, "cancelled", cancelled);
    body = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    cJSON_Delete(ctx);
    free(state);
    return body;
}

static void test_dialogs(void) {
    sb_mmctx_t c = good;
    char *body, err[256];
    sb_mm_action_t a;
    static const char now[] = "2026-11-29T12:00:00Z";

    snprintf(c.action, sizeof(c.action), "code");
    body = submission(&c, USER, "123456", 0);
    sb_mm_read_dialog(body, strlen(body), SECRET, 1700000000, now, &a);
    SB_CHECK(a.p.verdict == SB_PAYLOAD_PUBLISH && a.refused == SB_MMCTX_OK);
    if (a.p.event) { /* what a typed code makes */
        SB_CHECK_STR(cJSON_GetObjectItem(a.p.event, "kind")->valuestring, "text");
        SB_CHECK_STR(cJSON_GetObjectItem(a.p.event, "text")->valuestring, "123456");
        SB_CHECK(cJSON_IsNull(cJSON_GetObjectItem(a.p.event, "alert_id")));
        SB_CHECK(sb_schema_validate("response", a.p.event, err, sizeof(err)) == 0);
    }
    sb_payload_clear(&a.p);
    /* expired, another secret, another user: 403, nothing published */
    sb_mm_read_dialog(body, strlen(body), SECRET, 1800000001, now, &a);
    SB_CHECK(a.refused == SB_MMCTX_EXPIRED && !a.p.event);
    sb_mm_read_dialog(body, strlen(body), "other", 1, now, &a);
    SB_CHECK(a.refused == SB_MMCTX_BAD_MAC && !a.p.event);
    free(body);
    body = submission(&c, "mallory0000000000000000000", "123456", 0);
    sb_mm_read_dialog(body, strlen(body), SECRET, 1, now, &a);
    SB_CHECK(a.refused == SB_MMCTX_OTHER_USER && !a.p.event);
    free(body);
    /* a button's context is not a code dialog's state */
    body = submission(&good, USER, "123456", 0);
    sb_mm_read_dialog(body, strlen(body), SECRET, 1, now, &a);
    SB_CHECK(a.p.verdict == SB_PAYLOAD_IGNORE && a.refused != SB_MMCTX_OK && !a.p.event);
    free(body);
    /* no state; cancelled; no code */
    body = submission(NULL, USER, "123456", 0);
    sb_mm_read_dialog(body, strlen(body), SECRET, 1, now, &a);
    SB_CHECK(a.refused == SB_MMCTX_MALFORMED && !a.p.event);
    free(body);
    body = submission(&c, USER, NULL, 1);
    sb_mm_read_dialog(body, strlen(body), SECRET, 1, now, &a);
    SB_CHECK(a.p.verdict == SB_PAYLOAD_IGNORE && a.refused == SB_MMCTX_OK && !a.p.event);
    free(body);
    body = submission(&c, USER, NULL, 0);
    sb_mm_read_dialog(body, strlen(body), SECRET, 1, now, &a);
    SB_CHECK(a.p.verdict == SB_PAYLOAD_BAD);
    free(body);
}

int main(void) {
    test_actions();
    test_dialogs();
    test_commands();
    test_known_mac();
    test_round_trip();
    test_tampering();
    test_table();
    test_make_refuses();
    SB_CHECK_STR(sb_mmctx_reason(SB_MMCTX_EXPIRED), "expired");
    return SB_TEST_DONE();
}
