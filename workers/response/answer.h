/* answer: an employee's answer applied to an alert (see answer.c). */
#ifndef SB_RESPONSE_ANSWER_H
#define SB_RESPONSE_ANSWER_H

#include "turn.h"

/* A button or a yes/no/code text for an alert (alert_id NULL:
 * the sender's open conversation). comment may be NULL. 0 or -1. */
int sb_answer_apply(sb_turn_t *t, const char *alert_id, sb_conv_event_t event, const char *comment,
                    const char *code, char *errstr, size_t errstr_size);

/* Audits what Duo said (why) about alert_id's second factor. 0 or -1. */
int sb_answer_duo_note(sb_turn_t *t, const char *alert_id, const char *why, char *errstr,
                       size_t errstr_size);

/* Publishes alert_id's outcome if it is due (row locked by the
 * caller's transaction) and clears outcome_due_at. 0 or -1. */
int sb_answer_publish_outcome(sb_response_t *r, const char *alert_id, char *errstr,
                              size_t errstr_size);

#endif
