/* Unit tests for sb_conversation: every transition and every refusal of an alert's conversation. */
#include <stdio.h>
#include <string.h>

#include "sb_conversation.h"
#include "sb_test.h"

#define ANY (-1)

static const char *const statuses[] = {"queued",
                                       "prompted",
                                       "awaiting_code",
                                       "confirmed",
                                       "confirmed_unverified",
                                       "denied",
                                       "escalation_requested",
                                       "escalated",
                                       "suppressed",
                                       "expired",
                                       NULL};
#define N_STATUSES (sizeof(statuses) / sizeof(statuses[0]))

/* Answered or moved on: nothing the employee does changes them. */
static const char *const closed[] = {"confirmed", "confirmed_unverified",
                                     "denied",    "escalation_requested",
                                     "escalated", "suppressed",
                                     "expired",   "Prompted",
                                     "bogus",     ""};

static const sb_conv_event_t events[] = {SB_CONV_CONFIRM, SB_CONV_DENY, SB_CONV_CODE_RIGHT,
                                         SB_CONV_CODE_WRONG};
static const char *const event_names[] = {"confirm", "deny", "code_right", "code_wrong"};

/* The expected result; code_failures ANY means "unchanged". */
typedef struct {
    sb_conv_action_t action;
    int changes;
    const char *status, *status_reason, *answer, *second_factor, *outcome, *escalate;
    int code_failures;
} want_t;

/* The diagram of sb_conversation.h, for the open states and an owner. */
static struct {
    const char *status;
    sb_conv_event_t event;
    int enrolled, require_2fa, code_failures; /* ANY: every value */
    want_t want;
    int seen;
} rules[] = {
    {"prompted",
     SB_CONV_CONFIRM,
     1,
     ANY,
     ANY,
     {SB_CONV_ASK_CODE, 1, "awaiting_code", NULL, "confirm", NULL, NULL, NULL, ANY},
     0},
    {"prompted",
     SB_CONV_CONFIRM,
     0,
     1,
     ANY,
     {SB_CONV_UNVERIFIED, 1, "confirmed_unverified", NULL, "confirm", "not_enrolled",
      "confirmed_unverified", "unverified_confirmation", ANY},
     0},
    {"prompted",
     SB_CONV_CONFIRM,
     0,
     0,
     ANY,
     {SB_CONV_CONFIRMED, 1, "confirmed", NULL, "confirm", "not_enrolled", "confirmed", NULL, ANY},
     0},
    {"prompted",
     SB_CONV_DENY,
     ANY,
     ANY,
     ANY,
     {SB_CONV_DENIED, 1, "denied", NULL, "deny", "not_attempted", "denied", "denied", ANY},
     0},
    {"prompted",
     SB_CONV_CODE_RIGHT,
     ANY,
     ANY,
     ANY,
     {SB_CONV_NO_CODE_EXPECTED, 0, NULL, NULL, NULL, NULL, NULL, NULL, ANY},
     0},
    {"prompted",
     SB_CONV_CODE_WRONG,
     ANY,
     ANY,
     ANY,
     {SB_CONV_NO_CODE_EXPECTED, 0, NULL, NULL, NULL, NULL, NULL, NULL, ANY},
     0},
    {"awaiting_code",
     SB_CONV_CONFIRM,
     ANY,
     ANY,
     ANY,
     {SB_CONV_CODE_STILL_DUE, 0, NULL, NULL, NULL, NULL, NULL, NULL, ANY},
     0},
    {"awaiting_code",
     SB_CONV_DENY,
     ANY,
     ANY,
     ANY,
     {SB_CONV_DENIED, 1, "denied", NULL, "deny", "not_attempted", "denied", "denied", ANY},
     0},
    {"awaiting_code",
     SB_CONV_CODE_RIGHT,
     ANY,
     ANY,
     ANY,
     {SB_CONV_CONFIRMED, 1, "confirmed", NULL, NULL, "passed", "confirmed", NULL, ANY},
     0},
    {"awaiting_code",
     SB_CONV_CODE_WRONG,
     ANY,
     ANY,
     0,
     {SB_CONV_CODE_RETRY, 1, "awaiting_code", NULL, NULL, NULL, NULL, NULL, 1},
     0},
    {"awaiting_code",
     SB_CONV_CODE_WRONG,
     ANY,
     ANY,
     1,
     {SB_CONV_CODE_RETRY, 1, "awaiting_code", NULL, NULL, NULL, NULL, NULL, 2},
     0},
    {"awaiting_code",
     SB_CONV_CODE_WRONG,
     ANY,
     ANY,
     2,
     {SB_CONV_CODE_FAILED, 1, "escalation_requested", "second_factor_failed", NULL, "failed",
      "second_factor_failed", "second_factor_failed", 3},
     0},
};
#define N_RULES (sizeof(rules) / sizeof(rules[0]))

static int str_eq(const char *a, const char *b) {
    return a == b || (a && b && strcmp(a, b) == 0);
}

static int matches(int rule_value, int value) {
    return rule_value == ANY || rule_value == value;
}

static want_t refusal(sb_conv_action_t a) {
    want_t w = {a, 0, NULL, NULL, NULL, NULL, NULL, NULL, ANY};
    return w;
}

static int is_closed(const char *status) {
    for (size_t i = 0; status && i < sizeof(closed) / sizeof(closed[0]); i++)
        if (!strcmp(closed[i], status))
            return 1;
    return 0;
}

/* What the header promises for s and event. */
static want_t expected(const sb_conv_state_t *s, sb_conv_event_t event) {
    int is_code = event == SB_CONV_CODE_RIGHT || event == SB_CONV_CODE_WRONG;
    if (!s->owner)
        return refusal(SB_CONV_REFUSE_NOT_OWNER);
    if (!s->status || !strcmp(s->status, "queued"))
        return refusal(SB_CONV_REFUSE_NOT_OPEN);
    if (is_closed(s->status))
        return refusal(is_code ? SB_CONV_NO_CODE_EXPECTED : SB_CONV_REFUSE_CLOSED);
    for (size_t i = 0; i < N_RULES; i++) {
        if (!strcmp(rules[i].status, s->status) && rules[i].event == event &&
            matches(rules[i].enrolled, s->enrolled) &&
            matches(rules[i].require_2fa, s->require_2fa) &&
            matches(rules[i].code_failures, s->code_failures)) {
            rules[i].seen++;
            return rules[i].want;
        }
    }
    fprintf(stderr, "no rule for %s\n", s->status);
    return refusal((sb_conv_action_t)-1);
}

static void check(const sb_conv_state_t *s, sb_conv_event_t event, const want_t *w) {
    sb_conv_result_t r = {(sb_conv_action_t)99, 7, "x", "x", "x", "x", "x", "x", -5, "x"};
    int failures = w->code_failures == ANY ? s->code_failures : w->code_failures;
    char what[160];
    snprintf(what, sizeof(what), "%s/%s owner %d enrolled %d 2fa %d failures %d",
             s->status ? s->status : "NULL", event_names[event], s->owner, s->enrolled,
             s->require_2fa, s->code_failures);

    sb_conv_decide(s, event, &r);
    SB_CHECK_MSG(r.action == w->action, "%s: action %s, want %s", what,
                 sb_conv_action_name(r.action), sb_conv_action_name(w->action));
    SB_CHECK_MSG(r.changes == w->changes, "%s: changes %d", what, r.changes);
    SB_CHECK_MSG(str_eq(r.status, w->status), "%s: status %s", what, r.status);
    SB_CHECK_MSG(str_eq(r.status_reason, w->status_reason), "%s: status_reason %s", what,
                 r.status_reason);
    SB_CHECK_MSG(str_eq(r.answer, w->answer), "%s: answer %s", what, r.answer);
    SB_CHECK_MSG(str_eq(r.second_factor, w->second_factor), "%s: second_factor %s", what,
                 r.second_factor);
    SB_CHECK_MSG(str_eq(r.outcome, w->outcome), "%s: outcome %s", what, r.outcome);
    SB_CHECK_MSG(str_eq(r.escalate, w->escalate), "%s: escalate %s", what, r.escalate);
    SB_CHECK_MSG(r.code_failures == failures, "%s: code_failures %d, want %d", what,
                 r.code_failures, failures);
    /* the method goes with the second factor: TOTP for a code checked */
    SB_CHECK_MSG(!r.second_factor
                     ? !r.second_factor_method
                     : str_eq(r.second_factor_method, !strcmp(r.second_factor, "passed") ||
                                                              !strcmp(r.second_factor, "failed")
                                                          ? "totp"
                                                          : "none"),
                 "%s: second_factor_method %s", what, r.second_factor_method);
    /* whatever the case: a change has a status, a refusal has nothing */
    SB_CHECK_MSG(r.changes ? r.status != NULL
                           : !r.status && !r.answer && !r.outcome && !r.escalate &&
                                 r.code_failures == s->code_failures,
                 "%s: inconsistent result", what);
}

/* Every status x event x owner x enrolled x require_2fa x code_failures. */
static void test_all(void) {
    const char *more[] = {"Prompted", "bogus", ""};
    int count = 0;
    for (size_t si = 0; si < N_STATUSES + 3; si++) {
        const char *status = si < N_STATUSES ? statuses[si] : more[si - N_STATUSES];
        for (size_t e = 0; e < 4; e++)
            for (int owner = 0; owner <= 1; owner++)
                for (int enrolled = 0; enrolled <= 1; enrolled++)
                    for (int tfa = 0; tfa <= 1; tfa++)
                        for (int cf = 0; cf <= 2; cf++) {
                            sb_conv_state_t s = {status, owner, enrolled, tfa, cf, 0, 0};
                            want_t w = expected(&s, events[e]);
                            check(&s, events[e], &w);
                            count++;
                        }
    }
    SB_CHECK(count == (int)(N_STATUSES + 3) * 4 * 2 * 2 * 2 * 3);
    for (size_t i = 0; i < N_RULES; i++)
        SB_CHECK_MSG(rules[i].seen > 0, "rule %zu never applied", i);
}

/* A non-owner changes nothing, whatever the state, even with odd counts. */
static void test_not_owner(void) {
    for (size_t si = 0; si < N_STATUSES; si++)
        for (size_t e = 0; e < 4; e++) {
            sb_conv_state_t s = {statuses[si], 0, 1, 1, 5, 0, 0};
            sb_conv_result_t r;
            sb_conv_decide(&s, events[e], &r);
            SB_CHECK(r.action == SB_CONV_REFUSE_NOT_OWNER && r.changes == 0 && !r.status &&
                     r.code_failures == 5);
        }
}

/* Conversations as sb-response plays them: the result becomes the next state. */
static void apply(sb_conv_state_t *s, const sb_conv_result_t *r) {
    if (r->changes) {
        s->status = r->status;
        s->code_failures = r->code_failures;
    }
}

static void test_conversations(void) {
    static const struct {
        int enrolled, require_2fa;
        sb_conv_event_t events[6];
        sb_conv_action_t actions[6];
        size_t n;
        const char *final_status;
    } plays[] = {
        {1,
         1,
         {SB_CONV_CONFIRM, SB_CONV_CODE_WRONG, SB_CONV_CONFIRM, SB_CONV_CODE_WRONG,
          SB_CONV_CODE_RIGHT, SB_CONV_DENY},
         {SB_CONV_ASK_CODE, SB_CONV_CODE_RETRY, SB_CONV_CODE_STILL_DUE, SB_CONV_CODE_RETRY,
          SB_CONV_CONFIRMED, SB_CONV_REFUSE_CLOSED},
         6,
         "confirmed"},
        {1,
         0,
         {SB_CONV_CODE_RIGHT, SB_CONV_CONFIRM, SB_CONV_CODE_WRONG, SB_CONV_CODE_WRONG,
          SB_CONV_CODE_WRONG, SB_CONV_CODE_RIGHT},
         {SB_CONV_NO_CODE_EXPECTED, SB_CONV_ASK_CODE, SB_CONV_CODE_RETRY, SB_CONV_CODE_RETRY,
          SB_CONV_CODE_FAILED, SB_CONV_NO_CODE_EXPECTED},
         6,
         "escalation_requested"},
        {1,
         1,
         {SB_CONV_CONFIRM, SB_CONV_CODE_WRONG, SB_CONV_DENY, SB_CONV_CONFIRM},
         {SB_CONV_ASK_CODE, SB_CONV_CODE_RETRY, SB_CONV_DENIED, SB_CONV_REFUSE_CLOSED},
         4,
         "denied"},
        {0,
         1,
         {SB_CONV_CONFIRM, SB_CONV_DENY, SB_CONV_CODE_RIGHT},
         {SB_CONV_UNVERIFIED, SB_CONV_REFUSE_CLOSED, SB_CONV_NO_CODE_EXPECTED},
         3,
         "confirmed_unverified"},
        {0,
         0,
         {SB_CONV_CONFIRM, SB_CONV_CONFIRM},
         {SB_CONV_CONFIRMED, SB_CONV_REFUSE_CLOSED},
         2,
         "confirmed"},
    };
    for (size_t p = 0; p < sizeof(plays) / sizeof(plays[0]); p++) {
        sb_conv_state_t s = {"prompted", 1, plays[p].enrolled, plays[p].require_2fa, 0, 0, 0};
        for (size_t i = 0; i < plays[p].n; i++) {
            sb_conv_result_t r;
            sb_conv_decide(&s, plays[p].events[i], &r);
            SB_CHECK_MSG(r.action == plays[p].actions[i], "play %zu step %zu: %s, want %s", p, i,
                         sb_conv_action_name(r.action), sb_conv_action_name(plays[p].actions[i]));
            apply(&s, &r);
        }
        SB_CHECK_STR(s.status, plays[p].final_status);
    }
}

static void test_names(void) {
    static const char *const names[] = {
        "answer_refused_not_owner",
        "answer_refused_closed",
        "answer_refused_not_open",
        "code_not_expected",
        "code_still_due",
        "code_requested",
        "confirmed",
        "confirmed_unverified",
        "denied",
        "code_wrong",
        "second_factor_failed",
        "push_requested",
        "push_timed_out",
        "reported_fraud",
        "second_factor_bypassed",
        "second_factor_unavailable",
        "second_factor_reused",
        "second_factor_locked",
        "wrong_employee",
    };
    const size_t n = sizeof(names) / sizeof(names[0]);
    SB_CHECK(n == SB_CONV_WRONG_EMPLOYEE + 1);
    for (size_t i = 0; i < n; i++) {
        SB_CHECK_STR(sb_conv_action_name((sb_conv_action_t)i), names[i]);
        for (size_t j = 0; j < i; j++)
            SB_CHECK_MSG(strcmp(sb_conv_action_name((sb_conv_action_t)i),
                                sb_conv_action_name((sb_conv_action_t)j)) != 0,
                         "actions %zu and %zu share a name", i, j);
    }
    SB_CHECK_STR(sb_conv_action_name((sb_conv_action_t)n), "unknown");
    SB_CHECK_STR(sb_conv_action_name((sb_conv_action_t)-1), "unknown");
}

static void test_open(void) {
    for (size_t i = 0; i < N_STATUSES; i++) {
        const char *st = statuses[i];
        int want = st && (!strcmp(st, "prompted") || !strcmp(st, "awaiting_code"));
        SB_CHECK_MSG(sb_conv_open(st) == want, "%s", st ? st : "NULL");
    }
    SB_CHECK(sb_conv_open("Prompted") == 0);
    SB_CHECK(sb_conv_open("prompted ") == 0);
    SB_CHECK(sb_conv_open("") == 0);
}

/* An employee on Duo: each of Duo's answers from awaiting_code. */
static const struct {
    sb_conv_event_t event;
    int require_2fa, code_failures;
    sb_conv_action_t action;
    const char *status, *second_factor, *method, *outcome, *escalate;
    int failures_after;
} duo_rules[] = {
    {SB_CONV_PUSH_ALLOWED, 1, 0, SB_CONV_CONFIRMED, "confirmed", "passed", "duo_push", "confirmed",
     NULL, 0},
    {SB_CONV_PASSCODE_RIGHT, 1, 2, SB_CONV_CONFIRMED, "confirmed", "passed", "duo_passcode",
     "confirmed", NULL, 2},
    {SB_CONV_DUO_BYPASS, 1, 0, SB_CONV_BYPASSED, "confirmed", "bypassed", "none", "confirmed", NULL,
     0},
    {SB_CONV_PUSH_DENIED, 1, 0, SB_CONV_CODE_FAILED, "escalation_requested", "failed", "duo_push",
     "second_factor_failed", "second_factor_failed", 0},
    {SB_CONV_PUSH_FRAUD, 1, 1, SB_CONV_REPORTED_FRAUD, "escalation_requested", "failed", "duo_push",
     "second_factor_failed", "reported_fraud", 1},
    {SB_CONV_PUSH_TIMEOUT, 1, 0, SB_CONV_PUSH_RETRY, "awaiting_code", NULL, NULL, NULL, NULL, 1},
    {SB_CONV_PUSH_TIMEOUT, 1, 1, SB_CONV_PUSH_RETRY, "awaiting_code", NULL, NULL, NULL, NULL, 2},
    {SB_CONV_PUSH_TIMEOUT, 1, 2, SB_CONV_CODE_FAILED, "escalation_requested", "failed", "duo_push",
     "second_factor_failed", "second_factor_failed", 3},
    {SB_CONV_PASSCODE_WRONG, 1, 0, SB_CONV_CODE_RETRY, "awaiting_code", NULL, NULL, NULL, NULL, 1},
    {SB_CONV_PASSCODE_WRONG, 1, 2, SB_CONV_CODE_FAILED, "escalation_requested", "failed",
     "duo_passcode", "second_factor_failed", "second_factor_failed", 3},
    {SB_CONV_DUO_NO_FACTOR, 1, 0, SB_CONV_UNVERIFIED, "confirmed_unverified", "not_enrolled",
     "none", "confirmed_unverified", "unverified_confirmation", 0},
    {SB_CONV_DUO_NO_FACTOR, 0, 0, SB_CONV_CONFIRMED, "confirmed", "not_enrolled", "none",
     "confirmed", NULL, 0},
    {SB_CONV_DUO_UNAVAILABLE, 1, 1, SB_CONV_UNAVAILABLE, "escalation_requested", "not_attempted",
     "duo_push", "confirmed_unverified", "second_factor_unavailable", 1},
    /* a TOTP code from an employee on Duo is not checked as one */
    {SB_CONV_CODE_RIGHT, 1, 0, SB_CONV_NO_CODE_EXPECTED, NULL, NULL, NULL, NULL, NULL, 0},
    {SB_CONV_CODE_WRONG, 1, 0, SB_CONV_NO_CODE_EXPECTED, NULL, NULL, NULL, NULL, NULL, 0},
};

static void test_duo(void) {
    sb_conv_result_t r;
    for (size_t i = 0; i < sizeof(duo_rules) / sizeof(duo_rules[0]); i++) {
        sb_conv_state_t s = {
            "awaiting_code", 1, 1, duo_rules[i].require_2fa, duo_rules[i].code_failures, 1, 0};
        sb_conv_decide(&s, duo_rules[i].event, &r);
        SB_CHECK_MSG(r.action == duo_rules[i].action, "duo %zu: %s", i,
                     sb_conv_action_name(r.action));
        SB_CHECK_MSG(r.changes == (duo_rules[i].status != NULL), "duo %zu: changes", i);
        SB_CHECK_MSG(str_eq(r.status, duo_rules[i].status), "duo %zu: status %s", i, r.status);
        SB_CHECK_MSG(str_eq(r.second_factor, duo_rules[i].second_factor), "duo %zu: %s", i,
                     r.second_factor);
        SB_CHECK_MSG(str_eq(r.second_factor_method, duo_rules[i].method), "duo %zu: %s", i,
                     r.second_factor_method);
        SB_CHECK_MSG(str_eq(r.outcome, duo_rules[i].outcome), "duo %zu: %s", i, r.outcome);
        SB_CHECK_MSG(str_eq(r.escalate, duo_rules[i].escalate), "duo %zu: %s", i, r.escalate);
        SB_CHECK_MSG(r.code_failures == duo_rules[i].failures_after, "duo %zu: failures %d", i,
                     r.code_failures);
        SB_CHECK_MSG(r.answer == NULL, "duo %zu: the answer was given with the yes", i);
    }
    /* a yes asks for a push; Duo's answers anywhere else, or for a TOTP
     * employee, change nothing */
    sb_conv_state_t s = {"prompted", 1, 1, 1, 0, 1, 0};
    sb_conv_decide(&s, SB_CONV_CONFIRM, &r);
    SB_CHECK(r.action == SB_CONV_ASK_PUSH && str_eq(r.status, "awaiting_code") &&
             str_eq(r.answer, "confirm") && !r.second_factor);
    for (int e = SB_CONV_PUSH_ALLOWED; e <= SB_CONV_DUO_UNAVAILABLE; e++) {
        const char *where[] = {"prompted", "confirmed", "queued", "escalation_requested"};
        SB_CHECK(sb_conv_duo_event((sb_conv_event_t)e));
        for (size_t w = 0; w < 4; w++) {
            sb_conv_state_t o = {where[w], 1, 1, 1, 0, 1, 0};
            sb_conv_decide(&o, (sb_conv_event_t)e, &r);
            SB_CHECK_MSG(!r.changes, "%s: event %d changed it", where[w], e);
        }
        sb_conv_state_t totp = {"awaiting_code", 1, 1, 1, 0, 0, 0};
        sb_conv_decide(&totp, (sb_conv_event_t)e, &r);
        SB_CHECK(r.action == SB_CONV_NO_CODE_EXPECTED && !r.changes);
        sb_conv_state_t other = {"awaiting_code", 0, 1, 1, 0, 1, 0};
        sb_conv_decide(&other, (sb_conv_event_t)e, &r);
        SB_CHECK(r.action == SB_CONV_REFUSE_NOT_OWNER);
    }
    SB_CHECK(!sb_conv_duo_event(SB_CONV_CODE_WRONG) && !sb_conv_duo_event(SB_CONV_CONFIRM));
}

/* A recent pass stands for a new one: only for an enrolled employee's yes. */
static void test_reuse(void) {
    static const struct {
        const char *status;
        sb_conv_event_t event;
        int enrolled, duo;
        sb_conv_action_t action;
    } cases[] = {
        {"prompted", SB_CONV_CONFIRM, 1, 0, SB_CONV_REUSED},
        {"prompted", SB_CONV_CONFIRM, 1, 1, SB_CONV_REUSED},
        {"prompted", SB_CONV_CONFIRM, 0, 0, SB_CONV_UNVERIFIED}, /* nothing to reuse */
        {"awaiting_code", SB_CONV_CONFIRM, 1, 0, SB_CONV_CODE_STILL_DUE},
        {"prompted", SB_CONV_DENY, 1, 0, SB_CONV_DENIED},
        {"confirmed", SB_CONV_CONFIRM, 1, 0, SB_CONV_REFUSE_CLOSED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sb_conv_state_t s = {cases[i].status, 1, cases[i].enrolled, 1, 0, cases[i].duo, 1};
        sb_conv_result_t r;
        sb_conv_decide(&s, cases[i].event, &r);
        SB_CHECK_MSG(r.action == cases[i].action, "reuse %zu: %s", i,
                     sb_conv_action_name(r.action));
        if (r.action == SB_CONV_REUSED)
            SB_CHECK(str_eq(r.status, "confirmed") && str_eq(r.second_factor, "reused") &&
                     str_eq(r.second_factor_method, "reused") && str_eq(r.outcome, "confirmed") &&
                     str_eq(r.answer, "confirm") && !r.escalate);
    }
}

/* Past the employee's hourly limit of failed second factors. */
static void test_locked(void) {
    static const struct {
        const char *status;
        int duo;
        sb_conv_action_t action;
        const char *answer, *method;
    } cases[] = {
        {"awaiting_code", 0, SB_CONV_LOCKED_OUT, NULL, "totp"},
        {"awaiting_code", 1, SB_CONV_LOCKED_OUT, NULL, "duo_push"},
        {"prompted", 0, SB_CONV_LOCKED_OUT, "confirm", "totp"},
        {"prompted", 1, SB_CONV_LOCKED_OUT, "confirm", "duo_push"},
        {"queued", 0, SB_CONV_REFUSE_NOT_OPEN, NULL, NULL},
        {"confirmed", 0, SB_CONV_NO_CODE_EXPECTED, NULL, NULL},
        {"escalation_requested", 1, SB_CONV_NO_CODE_EXPECTED, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sb_conv_state_t s = {cases[i].status, 1, 1, 1, 2, cases[i].duo, 0};
        sb_conv_result_t r;
        sb_conv_decide(&s, SB_CONV_LOCKED, &r);
        SB_CHECK_MSG(r.action == cases[i].action, "locked %zu: %s", i,
                     sb_conv_action_name(r.action));
        if (r.action != SB_CONV_LOCKED_OUT) {
            SB_CHECK(!r.changes);
            continue;
        }
        SB_CHECK(r.changes && str_eq(r.status, "escalation_requested") &&
                 str_eq(r.status_reason, "second_factor_locked") &&
                 str_eq(r.second_factor, "locked") && str_eq(r.outcome, "second_factor_failed") &&
                 str_eq(r.escalate, "second_factor_locked") && r.code_failures == 2);
        SB_CHECK(cases[i].answer ? str_eq(r.answer, cases[i].answer) : !r.answer);
        SB_CHECK(str_eq(r.second_factor_method, cases[i].method));
    }
    sb_conv_state_t other = {"awaiting_code", 0, 1, 1, 0, 0, 0};
    sb_conv_result_t r;
    sb_conv_decide(&other, SB_CONV_LOCKED, &r);
    SB_CHECK(r.action == SB_CONV_REFUSE_NOT_OWNER && !r.changes);
    SB_CHECK_STR(sb_conv_action_name(SB_CONV_LOCKED_OUT), "second_factor_locked");
}

/* "Not me, wrong person": escalated (low, by its reason), neither a yes nor
 * a no, from both open states whatever the factor; refused otherwise. */
static void test_not_me(void) {
    static const struct {
        const char *status;
        int owner, enrolled, duo, failures;
        sb_conv_action_t action;
    } cases[] = {
        {"prompted", 1, 1, 0, 0, SB_CONV_WRONG_EMPLOYEE},
        {"prompted", 1, 0, 0, 0, SB_CONV_WRONG_EMPLOYEE},
        {"prompted", 1, 1, 1, 0, SB_CONV_WRONG_EMPLOYEE},
        {"awaiting_code", 1, 1, 0, 2, SB_CONV_WRONG_EMPLOYEE}, /* changed their mind */
        {"awaiting_code", 1, 1, 1, 1, SB_CONV_WRONG_EMPLOYEE},
        {"queued", 1, 1, 0, 0, SB_CONV_REFUSE_NOT_OPEN},
        {"confirmed", 1, 1, 0, 0, SB_CONV_REFUSE_CLOSED},
        {"denied", 1, 1, 0, 0, SB_CONV_REFUSE_CLOSED},
        {"escalation_requested", 1, 1, 0, 0, SB_CONV_REFUSE_CLOSED},
        {"escalated", 1, 1, 0, 0, SB_CONV_REFUSE_CLOSED},
        {"prompted", 0, 1, 0, 0, SB_CONV_REFUSE_NOT_OWNER},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sb_conv_state_t s = {cases[i].status,
                             cases[i].owner,
                             cases[i].enrolled,
                             1,
                             cases[i].failures,
                             cases[i].duo,
                             0};
        sb_conv_result_t r;
        sb_conv_decide(&s, SB_CONV_NOT_ME, &r);
        SB_CHECK_MSG(r.action == cases[i].action, "not me %zu: %s", i,
                     sb_conv_action_name(r.action));
        if (r.action != SB_CONV_WRONG_EMPLOYEE) {
            SB_CHECK(!r.changes && !r.outcome && !r.escalate && !r.answer);
            continue;
        }
        SB_CHECK(r.changes && str_eq(r.status, "escalation_requested") &&
                 str_eq(r.status_reason, "wrong_employee") && str_eq(r.answer, "not_me") &&
                 str_eq(r.outcome, "wrong_employee") && str_eq(r.escalate, "wrong_employee") &&
                 str_eq(r.second_factor, "not_attempted") &&
                 str_eq(r.second_factor_method, "none") && r.code_failures == cases[i].failures);
        /* never a confirmation or a denial */
        SB_CHECK(!str_eq(r.answer, "confirm") && !str_eq(r.answer, "deny") &&
                 !str_eq(r.outcome, "confirmed") && !str_eq(r.outcome, "denied"));
    }
    SB_CHECK_STR(sb_conv_action_name(SB_CONV_WRONG_EMPLOYEE), "wrong_employee");
    SB_CHECK(!sb_conv_duo_event(SB_CONV_NOT_ME));
}

int main(void) {
    test_not_me();
    test_locked();
    test_all();
    test_not_owner();
    test_duo();
    test_reuse();
    test_conversations();
    test_names();
    test_open();
    return SB_TEST_DONE();
}
