/* sb_change: what a guarded change needs and what a factor's answer does to it (see the header). */
#include "sb_change.h"

#include <stddef.h>
#include <string.h>

sb_change_decision_t sb_change_request(const sb_change_request_t *q) {
    if (q->kind == SB_CHANGE_IGNORE && !q->has_rule)
        return SB_CHANGE_NO_RULE;
    if (q->kind == SB_CHANGE_IGNORE && q->critical)
        return SB_CHANGE_REFUSE_CRITICAL;
    if ((q->kind == SB_CHANGE_STOP && q->opted_out) ||
        (q->kind == SB_CHANGE_START && !q->opted_out))
        return SB_CHANGE_ALREADY;
    if (!q->enrolled)
        return q->require_2fa ? SB_CHANGE_REFUSE_NOT_ENROLLED : SB_CHANGE_APPLY;
    if (q->locked)
        return SB_CHANGE_REFUSE_LOCKED;
    if (q->code_due)
        return SB_CHANGE_BUSY;
    return q->duo ? SB_CHANGE_ASK_PUSH : SB_CHANGE_ASK_CODE;
}

static void applied(sb_change_result_t *r, const char *second_factor, const char *method) {
    r->verdict = SB_CHANGE_APPLIED;
    r->second_factor = second_factor;
    r->method = method;
}

static void refused(sb_change_result_t *r, const char *reason, const char *second_factor,
                    const char *method, int failure) {
    r->verdict = SB_CHANGE_REFUSED;
    r->reason = reason;
    r->second_factor = second_factor;
    r->method = method;
    r->failure = failure;
}

void sb_change_factor(sb_conv_event_t event, int code_failures, int require_2fa,
                      sb_change_result_t *r) {
    memset(r, 0, sizeof(*r));
    r->code_failures = code_failures;
    switch (event) {
    case SB_CONV_CODE_RIGHT: applied(r, "passed", "totp"); break;
    case SB_CONV_PUSH_ALLOWED: applied(r, "passed", "duo_push"); break;
    case SB_CONV_PASSCODE_RIGHT: applied(r, "passed", "duo_passcode"); break;
    case SB_CONV_DUO_BYPASS: applied(r, "bypassed", "none"); break;
    case SB_CONV_CODE_WRONG:
        r->code_failures = code_failures + 1;
        if (r->code_failures < SB_CONV_MAX_CODE_FAILURES) {
            r->verdict = SB_CHANGE_RETRY;
            r->failure = 1;
            r->method = "totp";
        } else {
            refused(r, "code_failed", "failed", "totp", 1);
        }
        break;
    case SB_CONV_PASSCODE_WRONG: refused(r, "code_failed", "failed", "duo_passcode", 1); break;
    case SB_CONV_PUSH_DENIED: refused(r, "push_denied", "failed", "duo_push", 1); break;
    case SB_CONV_PUSH_FRAUD: refused(r, "reported_fraud", "failed", "duo_push", 1); break;
    case SB_CONV_PUSH_TIMEOUT: refused(r, "push_timed_out", "not_attempted", "duo_push", 0); break;
    case SB_CONV_DUO_NO_FACTOR:
        if (require_2fa)
            refused(r, "not_enrolled", "not_enrolled", "none", 0);
        else
            applied(r, "not_enrolled", "none");
        break;
    case SB_CONV_LOCKED: /* past the hourly limit: the code is not checked */
        refused(r, "second_factor_locked", "locked", "totp", 0);
        break;
    case SB_CONV_DUO_UNAVAILABLE: /* no fail-open */
        refused(r, "second_factor_unavailable", "not_attempted", "duo_push", 0);
        break;
    default: refused(r, "not_a_factor", "not_attempted", "none", 0); break;
    }
}

const char *sb_change_kind_name(sb_change_kind_t kind) {
    static const char *const names[] = {"ignore", "stop", "start"};
    return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

int sb_change_kind_parse(const char *name) {
    for (int k = SB_CHANGE_IGNORE; k <= SB_CHANGE_START; k++)
        if (name && !strcmp(name, sb_change_kind_name((sb_change_kind_t)k)))
            return k;
    return -1;
}

const char *sb_change_decision_name(sb_change_decision_t d) {
    static const char *const names[] = {
        "no_rule",      "critical_alert", "already",        "second_factor_locked", "code_due",
        "not_enrolled", "applied",        "code_requested", "push_requested",
    };
    return (unsigned)d < sizeof(names) / sizeof(names[0]) ? names[d] : "unknown";
}
