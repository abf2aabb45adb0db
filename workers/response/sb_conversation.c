/* sb_conversation: what an answer does to an alert (see the header's diagram). */
#include "sb_conversation.h"

#include <string.h>

int sb_conv_open(const char *status) {
    return status && (!strcmp(status, "prompted") || !strcmp(status, "awaiting_code"));
}

static void refuse(sb_conv_result_t *r, sb_conv_action_t a) {
    r->action = a;
}

static void change(sb_conv_result_t *r, sb_conv_action_t a, const char *status) {
    r->action = a;
    r->changes = 1;
    r->status = status;
}

static void confirm(const sb_conv_state_t *s, sb_conv_result_t *r) {
    if (!strcmp(s->status, "awaiting_code")) {
        refuse(r, SB_CONV_CODE_STILL_DUE);
        return;
    }
    r->answer = "confirm";
    if (s->enrolled && s->reusable) {
        change(r, SB_CONV_REUSED, "confirmed");
        r->second_factor = "reused";
        r->second_factor_method = "reused";
        r->outcome = "confirmed";
    } else if (s->duo) {
        change(r, SB_CONV_ASK_PUSH, "awaiting_code");
    } else if (s->enrolled) {
        change(r, SB_CONV_ASK_CODE, "awaiting_code");
    } else if (s->require_2fa) {
        change(r, SB_CONV_UNVERIFIED, "confirmed_unverified");
        r->second_factor = "not_enrolled";
        r->second_factor_method = "none";
        r->outcome = "confirmed_unverified";
        r->escalate = "unverified_confirmation";
    } else {
        change(r, SB_CONV_CONFIRMED, "confirmed");
        r->second_factor = "not_enrolled";
        r->second_factor_method = "none";
        r->outcome = "confirmed";
    }
}

static void deny(const sb_conv_state_t *s, sb_conv_result_t *r) {
    change(r, SB_CONV_DENIED, "denied");
    r->answer = "deny";
    /* also after a "yes" whose code has not come: they changed their mind */
    (void)s;
    r->second_factor = "not_attempted";
    r->second_factor_method = "none";
    r->outcome = "denied";
    r->escalate = "denied";
}

/* Not about this employee at all: the directory or the detector's identity
 * mapping is wrong. Escalated at low priority for the mapping to be fixed;
 * the answer is neither a "yes" nor a "no". */
static void not_me(sb_conv_result_t *r) {
    change(r, SB_CONV_WRONG_EMPLOYEE, "escalation_requested");
    r->status_reason = "wrong_employee";
    r->answer = "not_me";
    r->second_factor = "not_attempted";
    r->second_factor_method = "none";
    r->outcome = "wrong_employee";
    r->escalate = "wrong_employee";
}

static void code(const sb_conv_state_t *s, sb_conv_event_t event, sb_conv_result_t *r) {
    /* an employee on Duo types Duo passcodes, checked by Duo (PASSCODE_*) */
    if (strcmp(s->status, "awaiting_code") != 0 || s->duo) {
        refuse(r, SB_CONV_NO_CODE_EXPECTED);
        return;
    }
    if (event == SB_CONV_CODE_RIGHT) {
        change(r, SB_CONV_CONFIRMED, "confirmed");
        r->second_factor = "passed";
        r->second_factor_method = "totp";
        r->outcome = "confirmed";
        return;
    }
    r->code_failures = s->code_failures + 1;
    if (r->code_failures < SB_CONV_MAX_CODE_FAILURES) {
        change(r, SB_CONV_CODE_RETRY, "awaiting_code");
        return;
    }
    change(r, SB_CONV_CODE_FAILED, "escalation_requested");
    r->status_reason = "second_factor_failed";
    r->second_factor = "failed";
    r->second_factor_method = "totp";
    r->outcome = "second_factor_failed";
    r->escalate = "second_factor_failed";
}

int sb_conv_duo_event(sb_conv_event_t event) {
    return event >= SB_CONV_PUSH_ALLOWED && event <= SB_CONV_DUO_UNAVAILABLE;
}

/* The second factor failed (a deny, fraud, the third try): escalate. */
static void failed(sb_conv_result_t *r, sb_conv_action_t a, const char *reason,
                   const char *method) {
    change(r, a, "escalation_requested");
    r->status_reason = reason;
    r->second_factor = "failed";
    r->second_factor_method = method;
    r->outcome = "second_factor_failed";
    r->escalate = reason;
}

/* A try that did not pass (push timed out, wrong passcode). */
static void try_failed(const sb_conv_state_t *s, sb_conv_result_t *r, sb_conv_action_t retry,
                       const char *method) {
    r->code_failures = s->code_failures + 1;
    if (r->code_failures < SB_CONV_MAX_CODE_FAILURES)
        change(r, retry, "awaiting_code");
    else
        failed(r, SB_CONV_CODE_FAILED, "second_factor_failed", method);
}

static void passed(sb_conv_result_t *r, const char *second_factor, const char *method) {
    change(r, second_factor[0] == 'b' ? SB_CONV_BYPASSED : SB_CONV_CONFIRMED, "confirmed");
    r->second_factor = second_factor;
    r->second_factor_method = method;
    r->outcome = "confirmed";
}

/* Duo's answer for an alert awaiting its second factor. */
static void duo(const sb_conv_state_t *s, sb_conv_event_t event, sb_conv_result_t *r) {
    if (strcmp(s->status, "awaiting_code") != 0 || !s->duo) {
        refuse(r, SB_CONV_NO_CODE_EXPECTED);
        return;
    }
    switch (event) {
    case SB_CONV_PUSH_ALLOWED: passed(r, "passed", "duo_push"); break;
    case SB_CONV_PASSCODE_RIGHT: passed(r, "passed", "duo_passcode"); break;
    case SB_CONV_DUO_BYPASS: passed(r, "bypassed", "none"); break;
    case SB_CONV_PUSH_DENIED:
        failed(r, SB_CONV_CODE_FAILED, "second_factor_failed", "duo_push");
        break;
    case SB_CONV_PUSH_FRAUD: failed(r, SB_CONV_REPORTED_FRAUD, "reported_fraud", "duo_push"); break;
    case SB_CONV_PUSH_TIMEOUT: try_failed(s, r, SB_CONV_PUSH_RETRY, "duo_push"); break;
    case SB_CONV_PASSCODE_WRONG: try_failed(s, r, SB_CONV_CODE_RETRY, "duo_passcode"); break;
    case SB_CONV_DUO_NO_FACTOR: {
        sb_conv_state_t none = *s;
        none.status = "prompted";
        none.duo = none.enrolled = 0;
        confirm(&none, r);
        r->answer = NULL; /* given already */
        break;
    }
    default: /* SB_CONV_DUO_UNAVAILABLE: no fail-open, the team checks */
        change(r, SB_CONV_UNAVAILABLE, "escalation_requested");
        r->status_reason = "second_factor_unavailable";
        r->second_factor = "not_attempted";
        r->second_factor_method = "duo_push";
        r->outcome = "confirmed_unverified";
        r->escalate = "second_factor_unavailable";
        break;
    }
}

/* Too many failed second factors for the employee this hour: their code
 * is refused unchecked (no push sent) and the alert escalated. */
static void locked(const sb_conv_state_t *s, sb_conv_result_t *r) {
    change(r, SB_CONV_LOCKED_OUT, "escalation_requested");
    if (!strcmp(s->status, "prompted"))
        r->answer = "confirm";
    r->status_reason = "second_factor_locked";
    r->second_factor = "locked";
    r->second_factor_method = s->duo ? "duo_push" : "totp";
    r->outcome = "second_factor_failed";
    r->escalate = "second_factor_locked";
}

void sb_conv_decide(const sb_conv_state_t *s, sb_conv_event_t event, sb_conv_result_t *r) {
    memset(r, 0, sizeof(*r));
    r->code_failures = s->code_failures;
    if (!s->owner) {
        refuse(r, SB_CONV_REFUSE_NOT_OWNER);
        return;
    }
    if (!s->status || !strcmp(s->status, "queued")) {
        refuse(r, SB_CONV_REFUSE_NOT_OPEN);
        return;
    }
    if (!sb_conv_open(s->status)) {
        refuse(r, (event == SB_CONV_CODE_RIGHT || event == SB_CONV_CODE_WRONG ||
                   event == SB_CONV_LOCKED || sb_conv_duo_event(event))
                      ? SB_CONV_NO_CODE_EXPECTED
                      : SB_CONV_REFUSE_CLOSED);
        return;
    }
    switch (event) {
    case SB_CONV_CONFIRM: confirm(s, r); break;
    case SB_CONV_DENY: deny(s, r); break;
    case SB_CONV_CODE_RIGHT:
    case SB_CONV_CODE_WRONG: code(s, event, r); break;
    case SB_CONV_LOCKED: locked(s, r); break;
    case SB_CONV_NOT_ME: not_me(r); break;
    default: duo(s, event, r); break;
    }
}

const char *sb_conv_action_name(sb_conv_action_t a) {
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
    return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "unknown";
}
