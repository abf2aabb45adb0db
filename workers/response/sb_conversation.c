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
    if (s->enrolled) {
        change(r, SB_CONV_ASK_CODE, "awaiting_code");
    } else if (s->require_2fa) {
        change(r, SB_CONV_UNVERIFIED, "confirmed_unverified");
        r->second_factor = "not_enrolled";
        r->outcome = "confirmed_unverified";
        r->escalate = "unverified_confirmation";
    } else {
        change(r, SB_CONV_CONFIRMED, "confirmed");
        r->second_factor = "not_enrolled";
        r->outcome = "confirmed";
    }
}

static void deny(const sb_conv_state_t *s, sb_conv_result_t *r) {
    change(r, SB_CONV_DENIED, "denied");
    r->answer = "deny";
    /* also after a "yes" whose code has not come: they changed their mind */
    (void)s;
    r->second_factor = "not_attempted";
    r->outcome = "denied";
    r->escalate = "denied";
}

static void code(const sb_conv_state_t *s, sb_conv_event_t event, sb_conv_result_t *r) {
    if (strcmp(s->status, "awaiting_code") != 0) {
        refuse(r, SB_CONV_NO_CODE_EXPECTED);
        return;
    }
    if (event == SB_CONV_CODE_RIGHT) {
        change(r, SB_CONV_CONFIRMED, "confirmed");
        r->second_factor = "passed";
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
    r->outcome = "second_factor_failed";
    r->escalate = "second_factor_failed";
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
        refuse(r, (event == SB_CONV_CODE_RIGHT || event == SB_CONV_CODE_WRONG)
                      ? SB_CONV_NO_CODE_EXPECTED
                      : SB_CONV_REFUSE_CLOSED);
        return;
    }
    switch (event) {
    case SB_CONV_CONFIRM: confirm(s, r); break;
    case SB_CONV_DENY: deny(s, r); break;
    default: code(s, event, r); break;
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
    };
    return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "unknown";
}
