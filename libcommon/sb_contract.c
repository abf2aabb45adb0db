/* sb_contract: the field tables of every message type in schemas/ (alert, dead letter, ...). */
#include "sb_contract.h"

#include <string.h>

#include "sb_schema.h"
#include "sb_severity.h"

/* The rules below are the C twin of schemas/<name>.v1.json; both are
 * checked against the labelled files in schemas/examples/ by
 * tests/unit/test_sb_schema.c and tests/integration/0001-schemas.sh.
 * Change one, change the other. */

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define STR(n, fl, lo, hi)                                                                         \
    { n, SB_T_STRING, fl, SB_FMT_NONE, lo, hi, NULL, NULL }
#define FMT(n, fl, f)                                                                              \
    { n, SB_T_STRING, fl, f, 0, 0, NULL, NULL }
#define ENUM(n, fl, e)                                                                             \
    { n, SB_T_STRING, fl, SB_FMT_NONE, 0, 0, e, NULL }
#define INT(n, fl, lo)                                                                             \
    { n, SB_T_INTEGER, fl, SB_FMT_NONE, lo, 0, NULL, NULL }
#define OBJ(n, fl, s)                                                                              \
    { n, SB_T_OBJECT, fl, SB_FMT_NONE, 0, 0, NULL, s }

const char *const sb_contract_reject_codes[] = {
    "invalid_json",  "not_object",    "missing_field", "invalid_type", "field_too_long",
    "invalid_value", "duplicate_key", "invalid_utf8",  "too_large",    NULL};
static const char *const e_encoding[] = {"base64", NULL};
static const char *const e_platform[] = {"slack", "console", "mattermost", NULL};
static const char *const e_kind[] = {"confirm", "deny", "not_me", "text", NULL};
static const char *const e_esc_reason[] = {"denied",
                                           "second_factor_failed",
                                           "unverified_confirmation",
                                           "no_response",
                                           "unknown_employee",
                                           "opted_out",
                                           "reported_fraud",
                                           "second_factor_unavailable",
                                           "second_factor_locked",
                                           "wrong_employee",
                                           "manual",
                                           NULL};
static const char *const e_priority[] = {"low", "normal", "high", NULL};
static const char *const e_second_factor[] = {"passed", "failed",   "not_enrolled", "not_attempted",
                                              "reused", "bypassed", "locked",       NULL};
/* Optional: messages written before it existed lack it (see schemas/README.md). */
static const char *const e_sf_method[] = {"totp",   "duo_push", "duo_passcode",
                                          "reused", "none",     NULL};
static const char *const e_outcome[] = {
    "confirmed",  "confirmed_unverified", "denied",    "no_response",        "second_factor_failed",
    "suppressed", "unknown_employee",     "opted_out", "confirmed_recently", "wrong_employee",
    NULL};
static const char *const e_answer[] = {"confirm", "deny", "not_me", "none", NULL};
static const char *const c_dlq[] = {"alert-dlq.v1", NULL};
static const char *const c_prompt[] = {"prompt.v1", NULL};
static const char *const c_response[] = {"response.v1", NULL};
static const char *const c_esc_req[] = {"escalation-request.v1", NULL};
static const char *const c_esc[] = {"escalation.v1", NULL};
static const char *const c_outcome[] = {"outcome.v1", NULL};
static const char *const c_resolution[] = {"resolution.v1", NULL};
static const char *const e_verdict[] = {"benign", "true_positive", "false_positive", "duplicate",
                                        NULL};

static const sb_field_t alert_fields[SB_A_COUNT] = {
    [SB_A_SOURCE] = STR("source", SB_F_REQ, 1, 128),
    [SB_A_RULE] = STR("rule", SB_F_REQ, 1, 256),
    [SB_A_TITLE] = STR("title", SB_F_REQ, 1, 200),
    [SB_A_USER] = STR("user", SB_F_REQ, 1, 320),
    [SB_A_OCCURRED_AT] = FMT("occurred_at", SB_F_REQ, SB_FMT_RFC3339),
    [SB_A_ID] = STR("id", 0, 1, 256),
    [SB_A_DESCRIPTION] = STR("description", 0, 0, 4000),
    [SB_A_SEVERITY] = ENUM("severity", 0, sb_severity_names),
    [SB_A_URL] = STR("url", 0, 1, 2048),
    [SB_A_DETAILS] = {"details", SB_T_OBJECT, 0, SB_FMT_DETAILS, 0, 0, NULL, NULL},
};

static const sb_field_t dlq_fields[] = {
    ENUM("schema", SB_F_REQ, c_dlq),
    ENUM("reason", SB_F_REQ, sb_contract_reject_codes),
    STR("detail", SB_F_REQ, 1, 1024),
    STR("original", SB_F_REQ, 0, 0),
    ENUM("original_encoding", 0, e_encoding),
    STR("topic", SB_F_REQ, 1, 249),
    INT("partition", SB_F_REQ, 0),
    INT("offset", SB_F_REQ, 0),
    FMT("rejected_at", SB_F_REQ, SB_FMT_RFC3339),
};

static const sb_field_t prompt_fields[] = {
    ENUM("schema", SB_F_REQ, c_prompt),
    FMT("message_id", SB_F_REQ, SB_FMT_HEX64),
    FMT("alert_id", SB_F_REQ, SB_FMT_HEX64),
    {"employee_id", SB_T_STRING, SB_F_REQ, SB_FMT_DIGITS, 1, 64, NULL, NULL},
    ENUM("severity", SB_F_REQ, sb_severity_names),
    STR("rule", SB_F_REQ, 1, 256),
    STR("title", SB_F_REQ, 1, 200),
    FMT("occurred_at", SB_F_REQ, SB_FMT_RFC3339),
    FMT("requested_at", SB_F_REQ, SB_FMT_RFC3339),
    /* Optional: an alert asked within a group (SECURITYBOT_COALESCE_WINDOW). */
    FMT("group_id", 0, SB_FMT_HEX64),
};

static const sb_field_t response_fields[] = {
    ENUM("schema", SB_F_REQ, c_response),
    STR("event_id", SB_F_REQ, 1, 256),
    ENUM("platform", SB_F_REQ, e_platform),
    STR("chat_user_id", SB_F_REQ, 1, 64),
    FMT("alert_id", SB_F_REQ | SB_F_NUL, SB_FMT_HEX64),
    ENUM("kind", SB_F_REQ, e_kind),
    STR("text", SB_F_REQ, 0, 4000),
    FMT("received_at", SB_F_REQ, SB_FMT_RFC3339),
    STR("trigger_id", 0, 1, 256),
};

static const sb_field_t esc_req_fields[] = {
    ENUM("schema", SB_F_REQ, c_esc_req),           FMT("message_id", SB_F_REQ, SB_FMT_HEX64),
    FMT("alert_id", SB_F_REQ, SB_FMT_HEX64),       STR("employee_id", SB_F_REQ | SB_F_NUL, 1, 64),
    ENUM("reason", SB_F_REQ, e_esc_reason),        ENUM("priority", SB_F_REQ, e_priority),
    STR("comment", SB_F_REQ | SB_F_NUL, 0, 4000),  STR("requested_by", SB_F_REQ, 1, 64),
    FMT("requested_at", SB_F_REQ, SB_FMT_RFC3339),
};

static const sb_field_t employee_fields[] = {
    STR("id", SB_F_REQ, 1, 64),
    STR("username", SB_F_REQ, 1, 256),
    STR("email", SB_F_REQ | SB_F_NUL, 1, 320),
};
static const sb_contract_t employee_schema = {"employee", employee_fields, COUNT(employee_fields),
                                              0};

static const sb_field_t esc_fields[] = {
    ENUM("schema", SB_F_REQ, c_esc),
    FMT("message_id", SB_F_REQ, SB_FMT_HEX64),
    FMT("alert_id", SB_F_REQ, SB_FMT_HEX64),
    OBJ("alert", SB_F_REQ, NULL),
    OBJ("employee", SB_F_REQ | SB_F_NUL, &employee_schema),
    ENUM("reason", SB_F_REQ, e_esc_reason),
    STR("comment", SB_F_REQ | SB_F_NUL, 0, 4000),
    ENUM("second_factor", SB_F_REQ, e_second_factor),
    ENUM("second_factor_method", 0, e_sf_method),
    ENUM("severity", SB_F_REQ, sb_severity_names),
    FMT("raised_at", SB_F_REQ, SB_FMT_RFC3339),
    FMT("prompted_at", SB_F_REQ | SB_F_NUL, SB_FMT_RFC3339),
    FMT("answered_at", SB_F_REQ | SB_F_NUL, SB_FMT_RFC3339),
    /* Optional: messages written before issue 16 lack it (read as normal). */
    ENUM("priority", 0, e_priority),
    FMT("group_id", 0, SB_FMT_HEX64),
};

static const sb_field_t outcome_fields[] = {
    ENUM("schema", SB_F_REQ, c_outcome),
    FMT("message_id", SB_F_REQ, SB_FMT_HEX64),
    FMT("alert_id", SB_F_REQ, SB_FMT_HEX64),
    ENUM("outcome", SB_F_REQ, e_outcome),
    STR("employee_id", SB_F_REQ | SB_F_NUL, 1, 64),
    ENUM("answer", SB_F_REQ, e_answer),
    STR("comment", SB_F_REQ | SB_F_NUL, 0, 4000),
    ENUM("second_factor", SB_F_REQ, e_second_factor),
    ENUM("second_factor_method", 0, e_sf_method),
    STR("rule", SB_F_REQ, 1, 256),
    ENUM("severity", SB_F_REQ, sb_severity_names),
    FMT("decided_at", SB_F_REQ, SB_FMT_RFC3339),
    FMT("prompted_at", 0, SB_FMT_RFC3339),
    FMT("answered_at", 0, SB_FMT_RFC3339),
    FMT("recent_confirmation", 0, SB_FMT_HEX64),
    FMT("group_id", 0, SB_FMT_HEX64),
};

/* The security team's verdict on an escalation (sb-console). */
static const sb_field_t resolution_fields[] = {
    ENUM("schema", SB_F_REQ, c_resolution),
    FMT("message_id", SB_F_REQ, SB_FMT_HEX64),
    FMT("alert_id", SB_F_REQ, SB_FMT_HEX64),
    ENUM("verdict", SB_F_REQ, e_verdict),
    STR("note", SB_F_REQ | SB_F_NUL, 0, 4000),
    STR("resolved_by", SB_F_REQ, 1, 128),
    FMT("resolved_at", SB_F_REQ, SB_FMT_RFC3339),
    STR("acknowledged_by", SB_F_REQ | SB_F_NUL, 1, 128),
    STR("rule", SB_F_REQ, 1, 256),
    ENUM("severity", SB_F_REQ, sb_severity_names),
};

/* A dead letter carries the rejected input (up to 64 KiB, base64 when it
 * was not UTF-8) plus the envelope, so it may exceed the 64 KiB limit. */
static const sb_contract_t schemas[] = {
    {"alert", alert_fields, COUNT(alert_fields), SB_ALERT_MAX_BYTES},
    {"alert-dlq", dlq_fields, COUNT(dlq_fields), 4 * SB_ALERT_MAX_BYTES},
    {"prompt", prompt_fields, COUNT(prompt_fields), SB_ALERT_MAX_BYTES},
    {"response", response_fields, COUNT(response_fields), SB_ALERT_MAX_BYTES},
    {"escalation-request", esc_req_fields, COUNT(esc_req_fields), SB_ALERT_MAX_BYTES},
    {"escalation", esc_fields, COUNT(esc_fields), 2 * SB_ALERT_MAX_BYTES},
    {"outcome", outcome_fields, COUNT(outcome_fields), SB_ALERT_MAX_BYTES},
    {"resolution", resolution_fields, COUNT(resolution_fields), SB_ALERT_MAX_BYTES},
};

const sb_contract_t *sb_contract_find(const char *name) {
    for (size_t i = 0; name && i < COUNT(schemas); i++) {
        if (strcmp(schemas[i].name, name) == 0)
            return &schemas[i];
    }
    return NULL;
}
