/* change: an employee's guarded change (ignore, stop, start) asked for, checked and applied. */

/* `ignore <duration>`, `stop` and `start` from chat, held until the
 * employee passes their second factor (sb_change.h decides; this applies
 * in PostgreSQL, inside the caller's transaction): a guarded_changes row
 * waits for a code (TOTP) or a Duo push (a duo_pushes row the Duo threads
 * drive), then the change is applied (an ignore rule, employees.opted_out)
 * or refused. Every step is audited; an applied change, and one refused
 * after a failed second factor, is posted to the security channel after
 * COMMIT (t->notice). */
#ifndef SB_RESPONSE_CHANGE_H
#define SB_RESPONSE_CHANGE_H

#include "sb_command.h"
#include "sb_conversation.h"
#include "turn.h"

/* The employee typed `ignore <duration>`, `stop` or `start`. 0 or -1. */
int sb_change_begin(sb_turn_t *t, const sb_command_t *cmd, char *errstr, size_t errstr_size);

/* A code the employee typed, for their change that waits for one: 1
 * taken (checked, the change decided or a try counted), 0 no change
 * waits for it (or one of their alerts does: the alert comes first), -1
 * failure. */
int sb_change_code(sb_turn_t *t, const char *code, char *errstr, size_t errstr_size);

/* Duo's final answer (why: what Duo said) for the change change_id. 0
 * (also when the change is no longer waiting) or -1. */
int sb_change_duo(sb_turn_t *t, const char *change_id, sb_conv_event_t event, const char *why,
                  char *errstr, size_t errstr_size);

#endif
