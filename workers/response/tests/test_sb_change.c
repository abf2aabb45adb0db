/* Unit tests for sb_change: every decision on a guarded change and every factor's answer to one. */
#include <stdio.h>
#include <string.h>

#include "sb_change.h"
#include "sb_test.h"

static int str_eq(const char *a, const char *b) {
    return a && b && !strcmp(a, b);
}

static void test_request(void) {
    static const struct {
        sb_change_request_t q;
        sb_change_decision_t want;
    } cases[] = {
        /* kind, has_rule, critical, opted_out, enrolled, duo, require_2fa, code_due, locked */
        {{SB_CHANGE_IGNORE, 0, 0, 0, 1, 0, 1, 0, 0}, SB_CHANGE_NO_RULE},
        {{SB_CHANGE_IGNORE, 1, 1, 0, 1, 0, 1, 0, 0}, SB_CHANGE_REFUSE_CRITICAL},
        {{SB_CHANGE_IGNORE, 1, 1, 0, 0, 0, 0, 0, 0}, SB_CHANGE_REFUSE_CRITICAL}, /* outright */
        {{SB_CHANGE_IGNORE, 1, 1, 0, 1, 1, 1, 0, 0}, SB_CHANGE_REFUSE_CRITICAL},
        {{SB_CHANGE_IGNORE, 1, 0, 0, 1, 0, 1, 0, 0}, SB_CHANGE_ASK_CODE},
        {{SB_CHANGE_IGNORE, 1, 0, 0, 1, 1, 1, 0, 0}, SB_CHANGE_ASK_PUSH},
        {{SB_CHANGE_IGNORE, 1, 0, 0, 0, 0, 1, 0, 0}, SB_CHANGE_REFUSE_NOT_ENROLLED},
        {{SB_CHANGE_IGNORE, 1, 0, 0, 0, 0, 0, 0, 0}, SB_CHANGE_APPLY},
        {{SB_CHANGE_IGNORE, 1, 0, 0, 1, 0, 1, 1, 0}, SB_CHANGE_BUSY},
        {{SB_CHANGE_IGNORE, 1, 0, 0, 1, 0, 1, 0, 1}, SB_CHANGE_REFUSE_LOCKED},
        {{SB_CHANGE_IGNORE, 1, 0, 0, 1, 0, 1, 1, 1}, SB_CHANGE_REFUSE_LOCKED},
        {{SB_CHANGE_IGNORE, 1, 0, 1, 1, 0, 1, 0, 0}, SB_CHANGE_ASK_CODE}, /* opted out: no matter */
        {{SB_CHANGE_STOP, 0, 0, 0, 1, 0, 1, 0, 0}, SB_CHANGE_ASK_CODE},
        {{SB_CHANGE_STOP, 0, 0, 0, 1, 1, 1, 0, 0}, SB_CHANGE_ASK_PUSH},
        {{SB_CHANGE_STOP, 0, 0, 1, 1, 0, 1, 0, 0}, SB_CHANGE_ALREADY},
        {{SB_CHANGE_STOP, 0, 0, 0, 0, 0, 1, 0, 0}, SB_CHANGE_REFUSE_NOT_ENROLLED},
        {{SB_CHANGE_STOP, 0, 0, 0, 0, 0, 0, 0, 0}, SB_CHANGE_APPLY},
        {{SB_CHANGE_STOP, 0, 0, 0, 1, 0, 1, 1, 0}, SB_CHANGE_BUSY},
        {{SB_CHANGE_START, 0, 0, 1, 1, 0, 1, 0, 0}, SB_CHANGE_ASK_CODE},
        {{SB_CHANGE_START, 0, 0, 1, 1, 1, 1, 0, 0}, SB_CHANGE_ASK_PUSH},
        {{SB_CHANGE_START, 0, 0, 0, 1, 0, 1, 0, 0}, SB_CHANGE_ALREADY},
        {{SB_CHANGE_START, 0, 0, 1, 0, 0, 1, 0, 0}, SB_CHANGE_REFUSE_NOT_ENROLLED},
        {{SB_CHANGE_START, 0, 0, 1, 0, 0, 0, 0, 0}, SB_CHANGE_APPLY},
        {{SB_CHANGE_START, 0, 0, 1, 1, 1, 1, 0, 1}, SB_CHANGE_REFUSE_LOCKED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sb_change_decision_t d = sb_change_request(&cases[i].q);
        SB_CHECK_MSG(d == cases[i].want, "case %zu: %s, want %s", i, sb_change_decision_name(d),
                     sb_change_decision_name(cases[i].want));
    }
}

static void test_factor(void) {
    static const struct {
        sb_conv_event_t event;
        int failures, require_2fa;
        sb_change_verdict_t verdict;
        int new_failures, failure;
        const char *second_factor, *method, *reason;
    } cases[] = {
        {SB_CONV_CODE_RIGHT, 0, 1, SB_CHANGE_APPLIED, 0, 0, "passed", "totp", NULL},
        {SB_CONV_CODE_RIGHT, 2, 1, SB_CHANGE_APPLIED, 2, 0, "passed", "totp", NULL},
        {SB_CONV_CODE_WRONG, 0, 1, SB_CHANGE_RETRY, 1, 1, NULL, "totp", NULL},
        {SB_CONV_CODE_WRONG, 1, 1, SB_CHANGE_RETRY, 2, 1, NULL, "totp", NULL},
        {SB_CONV_CODE_WRONG, 2, 1, SB_CHANGE_REFUSED, 3, 1, "failed", "totp", "code_failed"},
        {SB_CONV_PUSH_ALLOWED, 0, 1, SB_CHANGE_APPLIED, 0, 0, "passed", "duo_push", NULL},
        {SB_CONV_PASSCODE_RIGHT, 0, 1, SB_CHANGE_APPLIED, 0, 0, "passed", "duo_passcode", NULL},
        {SB_CONV_DUO_BYPASS, 0, 1, SB_CHANGE_APPLIED, 0, 0, "bypassed", "none", NULL},
        {SB_CONV_PUSH_DENIED, 0, 1, SB_CHANGE_REFUSED, 0, 1, "failed", "duo_push", "push_denied"},
        {SB_CONV_PUSH_FRAUD, 0, 1, SB_CHANGE_REFUSED, 0, 1, "failed", "duo_push", "reported_fraud"},
        {SB_CONV_PASSCODE_WRONG, 0, 1, SB_CHANGE_REFUSED, 0, 1, "failed", "duo_passcode",
         "code_failed"},
        {SB_CONV_PUSH_TIMEOUT, 0, 1, SB_CHANGE_REFUSED, 0, 0, "not_attempted", "duo_push",
         "push_timed_out"},
        {SB_CONV_DUO_UNAVAILABLE, 0, 1, SB_CHANGE_REFUSED, 0, 0, "not_attempted", "duo_push",
         "second_factor_unavailable"},
        {SB_CONV_DUO_NO_FACTOR, 0, 1, SB_CHANGE_REFUSED, 0, 0, "not_enrolled", "none",
         "not_enrolled"},
        {SB_CONV_DUO_NO_FACTOR, 0, 0, SB_CHANGE_APPLIED, 0, 0, "not_enrolled", "none", NULL},
        {SB_CONV_LOCKED, 1, 1, SB_CHANGE_REFUSED, 1, 0, "locked", "totp", "second_factor_locked"},
        {SB_CONV_CONFIRM, 0, 1, SB_CHANGE_REFUSED, 0, 0, "not_attempted", "none", "not_a_factor"},
        {SB_CONV_DENY, 0, 0, SB_CHANGE_REFUSED, 0, 0, "not_attempted", "none", "not_a_factor"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sb_change_result_t r;
        sb_change_factor(cases[i].event, cases[i].failures, cases[i].require_2fa, &r);
        SB_CHECK_MSG(r.verdict == cases[i].verdict, "case %zu: verdict %d", i, (int)r.verdict);
        SB_CHECK_MSG(r.code_failures == cases[i].new_failures, "case %zu: failures %d", i,
                     r.code_failures);
        SB_CHECK_MSG(r.failure == cases[i].failure, "case %zu: failure %d", i, r.failure);
        SB_CHECK_MSG(cases[i].second_factor ? str_eq(r.second_factor, cases[i].second_factor)
                                            : !r.second_factor,
                     "case %zu: second factor %s", i, r.second_factor ? r.second_factor : "-");
        SB_CHECK_MSG(str_eq(r.method, cases[i].method), "case %zu: method", i);
        SB_CHECK_MSG(cases[i].reason ? str_eq(r.reason, cases[i].reason) : !r.reason,
                     "case %zu: reason %s", i, r.reason ? r.reason : "-");
    }
}

static void test_names(void) {
    for (int k = SB_CHANGE_IGNORE; k <= SB_CHANGE_START; k++)
        SB_CHECK(sb_change_kind_parse(sb_change_kind_name((sb_change_kind_t)k)) == k);
    SB_CHECK(sb_change_kind_parse("mute") == -1);
    SB_CHECK(sb_change_kind_parse(NULL) == -1);
    SB_CHECK_STR(sb_change_kind_name((sb_change_kind_t)7), "unknown");
    SB_CHECK_STR(sb_change_decision_name(SB_CHANGE_REFUSE_CRITICAL), "critical_alert");
    SB_CHECK_STR(sb_change_decision_name(SB_CHANGE_ASK_PUSH), "push_requested");
    SB_CHECK_STR(sb_change_decision_name((sb_change_decision_t)99), "unknown");
}

int main(void) {
    test_request();
    test_factor();
    test_names();
    return SB_TEST_DONE();
}
