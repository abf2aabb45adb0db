/* answer_factor: a "yes"'s second factor besides the code (see answer_factor.c). */
#ifndef SB_RESPONSE_ANSWER_FACTOR_H
#define SB_RESPONSE_ANSWER_FACTOR_H

#include "turn.h"

/* 1 when a pass of the employee within SECURITYBOT_2FA_REUSE_WINDOW may
 * stand for this "yes" on an alert of severity (its id in
 * t->reused_from), 0 when not (off, not enrolled, above the maximum
 * severity, none recent), -1 on a failure. */
int sb_answer_reusable(sb_turn_t *t, const char *severity, char *errstr, size_t errstr_size);

/* A code from an employee on Duo: a Duo passcode, queued for the Duo
 * threads when a push waits; the employee is told. 0 or -1. */
int sb_answer_duo_passcode(sb_turn_t *t, const char *code, char *errstr, size_t errstr_size);

#endif
