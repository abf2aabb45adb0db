/* Unit tests for sb_message: shared message builders match the contract. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sb_id.h"
#include "sb_message.h"
#include "sb_schema.h"
#include "sb_test.h"

static const char ALERT[] = "5e43d3fecfb1e24a8e3fd5d1eec3fa26f4dca95020aa1149aed95319383580e7";

static void test_priority(void) {
    static const char *const table[][2] = {
        {"low", "low"}, {"medium", "normal"}, {"high", "high"}, {"critical", "high"}};
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        SB_CHECK_STR(sb_message_priority(table[i][0]), table[i][1]);
}

static const char OTHER_ALERT[] =
    "0000000000000000000000000000000000000000000000000000000000000001";

static void test_escalation_request(void) {
    char err[256], mid[SB_SHA256_HEX_LEN + 1];
    char *a = sb_message_escalation_request(ALERT, NULL, "unknown_employee", "critical", NULL,
                                            "sb-ingest", "2026-11-29T12:00:00.000000Z");
    char *b =
        sb_message_escalation_request_group(ALERT, "7", "denied", "low", "it was not me",
                                            "sb-response", "2026-11-29T12:00:01Z", OTHER_ALERT);
    cJSON *ja = a ? cJSON_Parse(a) : NULL, *jb = b ? cJSON_Parse(b) : NULL;
    SB_CHECK(ja && jb);
    if (ja && jb) {
        SB_CHECK_MSG(sb_schema_validate("escalation-request", ja, err, sizeof(err)) == 0, "%s",
                     err);
        SB_CHECK_MSG(sb_schema_validate("escalation-request", jb, err, sizeof(err)) == 0, "%s",
                     err);
        sb_id_message("escalation-request", ALERT, "unknown_employee", mid);
        SB_CHECK_STR(cJSON_GetObjectItem(ja, "message_id")->valuestring, mid);
        SB_CHECK(cJSON_IsNull(cJSON_GetObjectItem(ja, "employee_id")));
        SB_CHECK_STR(cJSON_GetObjectItem(ja, "priority")->valuestring, "high");
        SB_CHECK_STR(cJSON_GetObjectItem(jb, "comment")->valuestring, "it was not me");
        SB_CHECK_STR(cJSON_GetObjectItem(jb, "group_id")->valuestring, OTHER_ALERT);
        SB_CHECK(cJSON_GetObjectItem(ja, "group_id") == NULL);
        /* another reason is another request */
        SB_CHECK(strcmp(cJSON_GetObjectItem(jb, "message_id")->valuestring, mid) != 0);
    }
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    free(a);
    free(b);
}

/* An unverified confirmation is low priority whatever the severity; other
 * reasons keep the severity's priority. */
static void test_escalation_priority(void) {
    static const char *const table[][3] = {
        {"unverified_confirmation", "critical", "low"},
        {"unverified_confirmation", "high", "low"},
        {"unverified_confirmation", "medium", "low"},
        {"unverified_confirmation", "low", "low"},
        {"denied", "critical", "high"},
        {"denied", "medium", "normal"},
        {"second_factor_failed", "high", "high"},
        {"second_factor_failed", "low", "low"},
        {"no_response", "critical", "high"},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        char err[256], mid[SB_SHA256_HEX_LEN + 1];
        char *s = sb_message_escalation_request(ALERT, "42", table[i][0], table[i][1], NULL,
                                                "sb-response", "2026-11-29T12:00:00Z");
        cJSON *j = s ? cJSON_Parse(s) : NULL;
        SB_CHECK_MSG(j != NULL, "case %zu", i);
        if (j) {
            SB_CHECK_MSG(sb_schema_validate("escalation-request", j, err, sizeof(err)) == 0,
                         "case %zu: %s", i, err);
            SB_CHECK_STR(cJSON_GetObjectItem(j, "reason")->valuestring, table[i][0]);
            SB_CHECK_MSG(!strcmp(cJSON_GetObjectItem(j, "priority")->valuestring, table[i][2]),
                         "case %zu (%s, %s): priority %s, want %s", i, table[i][0], table[i][1],
                         cJSON_GetObjectItem(j, "priority")->valuestring, table[i][2]);
            SB_CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "comment")));
            sb_id_message("escalation-request", ALERT, table[i][0], mid);
            SB_CHECK_STR(cJSON_GetObjectItem(j, "message_id")->valuestring, mid);
        }
        cJSON_Delete(j);
        free(s);
    }
}

/* Builds, parses and validates an outcome; NULL when any step fails. */
static cJSON *outcome(const sb_message_outcome_t *m) {
    char err[256];
    char *s = sb_message_outcome(m);
    cJSON *j = s ? cJSON_Parse(s) : NULL;
    SB_CHECK_MSG(j != NULL, "outcome %s did not build", m->outcome);
    if (j)
        SB_CHECK_MSG(sb_schema_validate("outcome", j, err, sizeof(err)) == 0, "outcome %s: %s",
                     m->outcome, err);
    free(s);
    return j;
}

static const char *str(const cJSON *j, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_outcome_fields(void) {
    char mid[SB_SHA256_HEX_LEN + 1];
    sb_message_outcome_t m = {
        .alert_id = ALERT,
        .outcome = "denied",
        .employee_id = "7",
        .answer = "deny",
        .comment = "not me \"at all\"\n\xc3\xa9",
        .second_factor = "not_attempted",
        .rule = "ssh-login-new-country",
        .severity = "high",
        .decided_at = "2026-11-29T12:05:00.000000Z",
        .prompted_at = "2026-11-29T12:00:00Z",
        .answered_at = "2026-11-29T12:04:59.5+01:00",
    };
    cJSON *j = outcome(&m);
    if (!j)
        return;
    sb_id_message("outcome", ALERT, NULL, mid);
    SB_CHECK(cJSON_GetArraySize(j) == 14);
    SB_CHECK_STR(str(j, "schema"), "outcome.v1");
    SB_CHECK_STR(str(j, "message_id"), mid);
    SB_CHECK_STR(str(j, "alert_id"), ALERT);
    SB_CHECK_STR(str(j, "outcome"), "denied");
    SB_CHECK_STR(str(j, "employee_id"), "7");
    SB_CHECK_STR(str(j, "answer"), "deny");
    SB_CHECK_STR(str(j, "comment"), "not me \"at all\"\n\xc3\xa9");
    SB_CHECK_STR(str(j, "second_factor"), "not_attempted");
    SB_CHECK_STR(str(j, "second_factor_method"), "none");
    SB_CHECK_STR(str(j, "rule"), "ssh-login-new-country");
    SB_CHECK_STR(str(j, "severity"), "high");
    SB_CHECK_STR(str(j, "decided_at"), "2026-11-29T12:05:00.000000Z");
    SB_CHECK_STR(str(j, "prompted_at"), "2026-11-29T12:00:00Z");
    SB_CHECK_STR(str(j, "answered_at"), "2026-11-29T12:04:59.5+01:00");
    cJSON_Delete(j);
}

/* Never prompted, never answered: no times, nulls, and the defaults. */
static void test_outcome_optional(void) {
    sb_message_outcome_t m = {
        .alert_id = ALERT,
        .outcome = "unknown_employee",
        .rule = "r",
        .severity = "critical",
        .decided_at = "2026-11-29T12:00:00Z",
    };
    cJSON *j = outcome(&m);
    if (j) {
        SB_CHECK(cJSON_GetArraySize(j) == 12);
        SB_CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "employee_id")));
        SB_CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "comment")));
        SB_CHECK_STR(str(j, "answer"), "none");
        SB_CHECK_STR(str(j, "second_factor"), "not_attempted");
        SB_CHECK(cJSON_GetObjectItemCaseSensitive(j, "prompted_at") == NULL);
        SB_CHECK(cJSON_GetObjectItemCaseSensitive(j, "answered_at") == NULL);
    }
    cJSON_Delete(j);

    /* prompted, no answer: only prompted_at */
    m.outcome = "no_response";
    m.employee_id = "12";
    m.prompted_at = "2026-11-29T11:00:00Z";
    j = outcome(&m);
    if (j) {
        SB_CHECK(cJSON_GetArraySize(j) == 13);
        SB_CHECK_STR(str(j, "employee_id"), "12");
        SB_CHECK_STR(str(j, "prompted_at"), "2026-11-29T11:00:00Z");
        SB_CHECK(cJSON_GetObjectItemCaseSensitive(j, "answered_at") == NULL);
    }
    cJSON_Delete(j);

    /* answered_at alone, and an empty comment is a comment, not null */
    m.prompted_at = NULL;
    m.answered_at = "2026-11-29T11:30:00Z";
    m.comment = "";
    j = outcome(&m);
    if (j) {
        SB_CHECK(cJSON_GetObjectItemCaseSensitive(j, "prompted_at") == NULL);
        SB_CHECK_STR(str(j, "answered_at"), "2026-11-29T11:30:00Z");
        SB_CHECK_STR(str(j, "comment"), "");
    }
    cJSON_Delete(j);
}

/* One outcome per alert: the id depends on the alert and nothing else. */
static void test_outcome_message_id(void) {
    char mid[SB_SHA256_HEX_LEN + 1], other[SB_SHA256_HEX_LEN + 1];
    sb_message_outcome_t a = {
        ALERT, "confirmed", "7",  "confirm", NULL, "passed", "r", "high", "2026-11-29T12:00:00Z",
        NULL,  NULL,        NULL, NULL};
    sb_message_outcome_t b = {ALERT,
                              "second_factor_failed",
                              "8",
                              "confirm",
                              "x",
                              "failed",
                              "r2",
                              "low",
                              "2026-11-30T12:00:00Z",
                              "2026-11-29T12:00:00Z",
                              "2026-11-29T12:00:01Z",
                              "totp",
                              ALERT};
    sb_message_outcome_t c = a;
    c.alert_id = OTHER_ALERT;
    cJSON *ja = outcome(&a), *ja2 = outcome(&a), *jb = outcome(&b), *jc = outcome(&c);
    sb_id_message("outcome", ALERT, NULL, mid);
    sb_id_message("outcome", OTHER_ALERT, NULL, other);
    SB_CHECK(strcmp(mid, other) != 0);
    if (ja && ja2 && jb && jc) {
        SB_CHECK_STR(str(ja, "message_id"), mid);
        SB_CHECK_STR(str(ja2, "message_id"), mid);
        SB_CHECK_STR(str(jb, "message_id"), mid);
        SB_CHECK_STR(str(jc, "message_id"), other);
        SB_CHECK_STR(str(jc, "alert_id"), OTHER_ALERT);
        /* a group's member says whose question it shared; alone, nothing */
        SB_CHECK_STR(str(jb, "group_id"), ALERT);
        SB_CHECK(cJSON_GetObjectItemCaseSensitive(ja, "group_id") == NULL);
    }
    cJSON_Delete(ja);
    cJSON_Delete(ja2);
    cJSON_Delete(jb);
    cJSON_Delete(jc);
}

/* Every outcome the conversation can reach builds a valid message. */
static void test_outcome_kinds(void) {
    /* outcome, answer, second factor, method recorded (NULL: an alert
     * answered before the column existed), method sent */
    static const char *const rows[][5] = {
        {"confirmed", "confirm", "passed", NULL, "totp"},
        {"confirmed", "confirm", "passed", "duo_push", "duo_push"},
        {"confirmed", "confirm", "passed", "duo_passcode", "duo_passcode"},
        {"confirmed", "confirm", "reused", "reused", "reused"},
        {"confirmed", "confirm", "bypassed", "none", "none"},
        {"confirmed", "confirm", "not_enrolled", NULL, "none"},
        {"confirmed_unverified", "confirm", "not_enrolled", "none", "none"},
        {"denied", "deny", "not_attempted", NULL, "none"},
        {"second_factor_failed", "confirm", "failed", NULL, "totp"},
        {"second_factor_failed", "confirm", "locked", "totp", "totp"},
        {"no_response", "none", "not_attempted", NULL, "none"},
        {"suppressed", "none", "not_attempted", NULL, "none"},
        {"unknown_employee", "none", "not_attempted", NULL, "none"},
        {"opted_out", "none", "not_attempted", NULL, "none"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        sb_message_outcome_t m = {ALERT,      rows[i][0], "7",
                                  rows[i][1], NULL,       rows[i][2],
                                  "rule",     "medium",   "2026-11-29T12:00:00Z",
                                  NULL,       NULL,       rows[i][3],
                                  NULL};
        cJSON *j = outcome(&m);
        if (j) {
            SB_CHECK_STR(str(j, "outcome"), rows[i][0]);
            SB_CHECK_STR(str(j, "answer"), rows[i][1]);
            SB_CHECK_STR(str(j, "second_factor"), rows[i][2]);
            SB_CHECK_STR(str(j, "second_factor_method"), rows[i][4]);
        }
        cJSON_Delete(j);
    }
}

/* The dead letter: text or base64, cut at 64 KiB on a character
 * boundary, and valid alert-dlq.v1 whatever the origin. */
static void test_dead_letter(void) {
    char err[256], *big = malloc(70000);
    cJSON *o = sb_message_dead_letter("http:/v1/alerts/alertmanager", 0, 3, "{\"a\":1}", 7,
                                      "missing_field", "rule is required", "2026-11-29T12:00:00Z");
    SB_CHECK_MSG(o && sb_schema_validate("alert-dlq", o, err, sizeof(err)) == 0, "%s", err);
    SB_CHECK_STR(cJSON_GetObjectItem(o, "original")->valuestring, "{\"a\":1}");
    SB_CHECK_STR(cJSON_GetObjectItem(o, "topic")->valuestring, "http:/v1/alerts/alertmanager");
    SB_CHECK(cJSON_GetObjectItem(o, "offset")->valueint == 3);
    SB_CHECK(cJSON_GetObjectItem(o, "original_encoding") == NULL);
    cJSON_Delete(o);
    o = sb_message_dead_letter("t.alerts", 2, 9, "\xff\x00", 2, "invalid_utf8", "not UTF-8",
                               "2026-11-29T12:00:00Z");
    SB_CHECK_STR(cJSON_GetObjectItem(o, "original")->valuestring, "/wA=");
    SB_CHECK_STR(cJSON_GetObjectItem(o, "original_encoding")->valuestring, "base64");
    cJSON_Delete(o);
    /* 65535 ASCII bytes then a 2-byte character across the 64 KiB mark */
    memset(big, 'a', 70000);
    big[65535] = (char)0xc3;
    big[65536] = (char)0xa9;
    o = sb_message_dead_letter("t.alerts", 0, 0, big, 70000, "too_large", "over 64 KiB",
                               "2026-11-29T12:00:00Z");
    SB_CHECK(strlen(cJSON_GetObjectItem(o, "original")->valuestring) == 65535);
    SB_CHECK(cJSON_IsTrue(cJSON_GetObjectItem(o, "original_truncated")));
    SB_CHECK(cJSON_GetObjectItem(o, "original_bytes")->valueint == 70000);
    cJSON_Delete(o);
    free(big);
}

int main(void) {
    test_dead_letter();
    test_priority();
    test_escalation_request();
    test_escalation_priority();
    test_outcome_fields();
    test_outcome_optional();
    test_outcome_message_id();
    test_outcome_kinds();
    return SB_TEST_DONE();
}
