/* answer: an employee's answer applied to an alert (see answer.c). */
#ifndef SB_RESPONSE_ANSWER_H
#define SB_RESPONSE_ANSWER_H

#include "turn.h"

/* A button or a yes/no/code text for an alert (alert_id NULL:
 * the sender's open conversation). comment may be NULL. 0 or -1. */
int sb_answer_apply(sb_turn_t *t, const char *alert_id, sb_conv_event_t event, const char *comment,
                    const char *code, char *errstr, size_t errstr_size);

/* The employee's TOTP code checked against their sealed secret: 1 right
 * (the step stored), 0 wrong or replayed, -1 database failure, -2 cannot
 * be checked here (no key configured, or the secret does not open). */
int sb_answer_check_code(sb_turn_t *t, const char *code, char *errstr, size_t errstr_size);

/* Records a failed second factor of the employee (what: totp, duo_push,
 * duo_passcode) for an alert or a change (either may be NULL), towards
 * SECURITYBOT_2FA_MAX_FAILURES per hour. 0 or -1. */
int sb_answer_count_failure(sb_turn_t *t, const char *what, const char *alert_id,
                            const char *change_id, char *errstr, size_t errstr_size);

/* Audits what Duo said (why) about alert_id's second factor. 0 or -1. */
int sb_answer_duo_note(sb_turn_t *t, const char *alert_id, const char *why, char *errstr,
                       size_t errstr_size);

/* In a transaction of its own: up to limit outcomes that are due (a
 * decision committed, or a comment window passed), outcome_due_at cleared
 * and their outcome.v1 events acknowledged by Kafka before COMMIT. How
 * many, or -1 (rolled back: the next sweep retries). */
int sb_answer_publish_due(sb_response_t *r, int limit, char *errstr, size_t errstr_size);

#endif
