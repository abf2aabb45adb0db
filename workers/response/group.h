/* group: an answer to a group's question applied to every alert of the group. */
#ifndef SB_RESPONSE_GROUP_H
#define SB_RESPONSE_GROUP_H

#include <stddef.h>

#include "turn.h"

/* After the leader's transition, in its transaction: when the leader's
 * question closed (status not prompted or awaiting_code), every member of
 * its group (status grouped) takes the leader's decision (status, answer,
 * comment, second factor, outcome and when it is due), with an audit row
 * each (action: the leader's) and, when escalation is a reason, an
 * escalation request each marked with group_id. Nothing for a leader that
 * is still open, or an alert asked on its own. 0, or -1 with errstr. */
int sb_group_close(sb_turn_t *t, const char *leader_id, const char *status, const char *action,
                   const char *escalate, const char *comment, char *errstr, size_t errstr_size);

/* The words of a "no" or "not me" reached the leader: its members'
 * outcomes (which read the leader's words) are due now too. 0 or -1. */
int sb_group_words(sb_turn_t *t, const char *leader_id, char *errstr, size_t errstr_size);

#endif
