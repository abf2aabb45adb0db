/* sb_conversation: the conversation state machine of one alert, as a pure function. */

/* The conversation state machine of one alert, as a pure
 * function: given the alert's state and what the employee did, what
 * happens. sb-response applies the result in PostgreSQL (guarded by the
 * alert's version) and unit tests check every transition and refusal.
 *
 *   prompted --confirm--> awaiting_code --right code--> confirmed
 *                                       --3rd wrong--> second_factor_failed (escalate)
 *   prompted --confirm, not enrolled--> confirmed_unverified (escalate, low) | confirmed
 *   prompted --confirm, a recent pass to reuse--> confirmed (second factor reused)
 *   prompted | awaiting_code --deny--> denied (escalate)
 *   prompted | awaiting_code --not me--> wrong_employee (escalate, low): the
 *     alert is about someone else; neither a confirmation nor a denial
 * An employee on Duo (duo): "yes" asks for a push, still awaiting_code (the
 * push itself is sb-response's duo_pushes row); Duo's answers come back as
 * events:
 *   prompted --confirm--> awaiting_code (push asked)
 *   awaiting_code --push allowed | passcode right--> confirmed
 *                 --push denied--> second_factor_failed (escalate)
 *                 --fraud reported--> reported_fraud (escalate, critical)
 *                 --push timed out | passcode wrong--> a try counted; the 3rd fails
 *                 --preauth allow--> confirmed (bypassed)
 *                 --preauth enroll | deny--> as an employee without a factor
 *                 --Duo unavailable 5 min--> second_factor_unavailable (escalate)
 * An employee past SECURITYBOT_2FA_MAX_FAILURES failed second factors in
 * the past hour (their code is not checked, no push is sent):
 *   prompted | awaiting_code --locked--> second_factor_locked (escalate)
 * Anything else is refused and changes nothing. */
#ifndef SB_CONVERSATION_H
#define SB_CONVERSATION_H

#define SB_CONV_MAX_CODE_FAILURES 3

typedef enum {
    SB_CONV_CONFIRM,    /* "yes": button or text */
    SB_CONV_DENY,       /* "no": button or text */
    SB_CONV_CODE_RIGHT, /* a code that verified (fresh step) */
    SB_CONV_CODE_WRONG, /* a well-formed code that did not (wrong or replayed) */
    /* Duo's answers (an employee on Duo only) */
    SB_CONV_PUSH_ALLOWED,    /* auth_status allow */
    SB_CONV_PUSH_DENIED,     /* auth_status deny */
    SB_CONV_PUSH_FRAUD,      /* auth_status deny, status fraud */
    SB_CONV_PUSH_TIMEOUT,    /* auth_status deny, status timeout */
    SB_CONV_PASSCODE_RIGHT,  /* auth factor=passcode allow */
    SB_CONV_PASSCODE_WRONG,  /* auth factor=passcode deny */
    SB_CONV_DUO_BYPASS,      /* preauth allow */
    SB_CONV_DUO_NO_FACTOR,   /* preauth enroll or deny */
    SB_CONV_DUO_UNAVAILABLE, /* no answer from Duo for SB_CONV_DUO_GIVE_UP_MS */
    /* any employee */
    SB_CONV_LOCKED, /* a code or a yes from an employee past SECURITYBOT_2FA_MAX_FAILURES */
    SB_CONV_NOT_ME, /* "not me, wrong person": button or text */
} sb_conv_event_t;

#define SB_CONV_DUO_GIVE_UP_MS (5 * 60 * 1000LL)

typedef struct {
    const char *status; /* alerts.status */
    int owner;          /* the answer came from the alert's employee */
    int enrolled;       /* the employee has a TOTP secret */
    int require_2fa;    /* SECURITYBOT_REQUIRE_2FA */
    int code_failures;  /* alerts.code_failures */
    int duo;            /* the employee's factor is Duo (enrolled is then 1) */
    int reusable;       /* a pass within SECURITYBOT_2FA_REUSE_WINDOW may stand for this one */
} sb_conv_state_t;

typedef enum {
    SB_CONV_REFUSE_NOT_OWNER, /* another user's alert: audit, change nothing */
    SB_CONV_REFUSE_CLOSED,    /* already answered or moved on */
    SB_CONV_REFUSE_NOT_OPEN,  /* not asked yet (queued) */
    SB_CONV_NO_CODE_EXPECTED, /* a code while no "yes" waits for one */
    SB_CONV_CODE_STILL_DUE,   /* "yes" again while waiting for the code */
    SB_CONV_ASK_CODE,         /* -> awaiting_code */
    SB_CONV_CONFIRMED,        /* -> confirmed (second factor passed or not required) */
    SB_CONV_UNVERIFIED,       /* -> confirmed_unverified, escalate (low) */
    SB_CONV_DENIED,           /* -> denied, escalate */
    SB_CONV_CODE_RETRY,       /* wrong code, tries left: code_failures + 1 */
    SB_CONV_CODE_FAILED,      /* third wrong code: -> escalation_requested, escalate */
    SB_CONV_ASK_PUSH,         /* -> awaiting_code, a Duo push to send */
    SB_CONV_PUSH_RETRY,       /* a push timed out, tries left: code_failures + 1 */
    SB_CONV_REPORTED_FRAUD,   /* -> escalation_requested, escalate reported_fraud */
    SB_CONV_BYPASSED,         /* -> confirmed, second factor bypassed */
    SB_CONV_UNAVAILABLE,      /* -> escalation_requested, escalate second_factor_unavailable */
    SB_CONV_REUSED,           /* -> confirmed, a recent pass reused */
    SB_CONV_LOCKED_OUT,       /* -> escalation_requested, escalate second_factor_locked */
    SB_CONV_WRONG_EMPLOYEE,   /* -> escalation_requested, escalate wrong_employee (low) */
} sb_conv_action_t;

typedef struct {
    sb_conv_action_t action;
    int changes;                      /* 1 when the alert row changes */
    const char *status;               /* the new alerts.status (changes only) */
    const char *status_reason;        /* or NULL */
    const char *answer;               /* "confirm" / "deny" / "not_me", or NULL to keep */
    const char *second_factor;        /* passed / failed / not_enrolled / not_attempted / reused /
                                       * bypassed / locked, or NULL */
    const char *outcome;              /* terminal: the outcome.v1 outcome; else NULL */
    const char *escalate;             /* escalation-request reason, or NULL */
    int code_failures;                /* the new count */
    const char *second_factor_method; /* totp / duo_push / duo_passcode / none, set with
                                       * second_factor; or NULL */
} sb_conv_result_t;

/* Decides what event does to an alert in state s. Always fills *r. */
void sb_conv_decide(const sb_conv_state_t *s, sb_conv_event_t event, sb_conv_result_t *r);

/* A stable name for an action (audit_log actions, logs). */
const char *sb_conv_action_name(sb_conv_action_t a);

/* 1 for Duo's events (SB_CONV_PUSH_ALLOWED and after). */
int sb_conv_duo_event(sb_conv_event_t event);

/* 1 for the states in which an employee may still answer. */
int sb_conv_open(const char *status);

#endif
