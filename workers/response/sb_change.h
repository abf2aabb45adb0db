/* sb_change: what an employee's guarded change (ignore, stop, start) needs, as a pure function. */

/* The changes an attacker holding an employee's chat session would want
 * most (`ignore <duration>`, `stop`, `start`) take effect only after the
 * employee passes their second factor for them. Two decisions, both pure
 * (change.c applies them in PostgreSQL; unit tests check every case):
 *
 *   the request:  ignore with no alert to take the rule from  -> no rule
 *                 ignore for the rule of a critical alert      -> refused
 *                 stop while opted out, start while opted in   -> nothing to do
 *                 locked out (too many failures this hour)     -> refused
 *                 an alert awaits its second factor            -> that first
 *                 no factor: refused, or with SECURITYBOT_REQUIRE_2FA=false
 *                 applied at once; TOTP: a code asked; Duo: a push sent
 *   the factor:   code right, push allowed, passcode right, Duo bypass -> applied
 *                 wrong code with tries left                    -> try again
 *                 third wrong code, push denied or reported as fraud,
 *                 push timed out, Duo unavailable               -> refused
 *                 a code past the employee's hourly limit       -> refused unchecked
 *                 Duo says the user has no factor (preauth enroll/deny):
 *                 as without a factor */
#ifndef SB_CHANGE_H
#define SB_CHANGE_H

#include "sb_conversation.h"

#define SB_CHANGE_TTL_S 600 /* a change waits this long for its code */

typedef enum { SB_CHANGE_IGNORE, SB_CHANGE_STOP, SB_CHANGE_START } sb_change_kind_t;

typedef struct {
    sb_change_kind_t kind;
    int has_rule;    /* ignore: an alert to take the rule from */
    int critical;    /* ignore: that alert is critical */
    int opted_out;   /* the employee is opted out now */
    int enrolled;    /* the employee has a second factor (TOTP or Duo) */
    int duo;         /* ... and it is Duo */
    int require_2fa; /* SECURITYBOT_REQUIRE_2FA */
    int code_due;    /* an alert of theirs awaits its second factor */
    int locked;      /* too many failed second factors this hour */
} sb_change_request_t;

typedef enum {
    SB_CHANGE_NO_RULE,             /* ignore: no alert whose rule to mute */
    SB_CHANGE_REFUSE_CRITICAL,     /* ignore: the rule of a critical alert */
    SB_CHANGE_ALREADY,             /* stop while opted out, start while opted in */
    SB_CHANGE_REFUSE_LOCKED,       /* too many failures: refused unchecked */
    SB_CHANGE_BUSY,                /* an alert awaits its second factor: that first */
    SB_CHANGE_REFUSE_NOT_ENROLLED, /* no factor and SECURITYBOT_REQUIRE_2FA */
    SB_CHANGE_APPLY,               /* no factor, SECURITYBOT_REQUIRE_2FA=false: at once */
    SB_CHANGE_ASK_CODE,            /* TOTP: the change waits for a code */
    SB_CHANGE_ASK_PUSH,            /* Duo: the change waits for a push */
} sb_change_decision_t;

/* What the employee's request leads to. */
sb_change_decision_t sb_change_request(const sb_change_request_t *q);

typedef enum { SB_CHANGE_APPLIED, SB_CHANGE_RETRY, SB_CHANGE_REFUSED } sb_change_verdict_t;

typedef struct {
    sb_change_verdict_t verdict;
    int code_failures;         /* the new count */
    int failure;               /* a failed try: counts towards the employee's hourly limit */
    const char *second_factor; /* passed, bypassed, not_enrolled, failed, not_attempted */
    const char *method;        /* totp, duo_push, duo_passcode, none */
    const char *reason;        /* refused: code_failed, push_denied, reported_fraud,
                                * push_timed_out, not_enrolled, second_factor_unavailable,
                                * second_factor_locked */
} sb_change_result_t;

/* What a second factor's answer (a code or Duo's) does to a change that
 * waits for it with code_failures wrong codes so far. Always fills *r;
 * events that are not a factor's answer (confirm, deny) refuse. */
void sb_change_factor(sb_conv_event_t event, int code_failures, int require_2fa,
                      sb_change_result_t *r);

/* "ignore", "stop", "start"; sb_change_kind_parse: -1 for anything else. */
const char *sb_change_kind_name(sb_change_kind_t kind);
int sb_change_kind_parse(const char *name);

/* A stable name for a decision (audit_log's reason). */
const char *sb_change_decision_name(sb_change_decision_t d);

#endif
