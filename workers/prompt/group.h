/* group: one question for an alert storm (SECURITYBOT_COALESCE_WINDOW). */
#ifndef SB_PROMPT_GROUP_H
#define SB_PROMPT_GROUP_H

#include <stddef.h>

#include "prompt.h"

/* The group of the alert row `a` of a statement, as four more columns:
 * its size (0: asked on its own; the leader counts itself), the first
 * and last time (RFC 3339, UTC) and up to six distinct titles in the
 * order they first occurred, joined by SB_PROMPT_GROUP_SEP. Append
 * SB_PROMPT_GROUP_JOIN after the FROM items and SB_PROMPT_GROUP_COLUMNS
 * to the SELECT list. */
#define SB_PROMPT_GROUP_SEP     "\x1f"
#define SB_PROMPT_GROUP_COLUMNS "coalesce(g.n, 0), g.first, g.last, gt.titles"
#define SB_PROMPT_GROUP_JOIN                                                                       \
    " LEFT JOIN LATERAL (SELECT count(*) AS n,"                                                    \
    "   to_char(min(m.occurred_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS first,"         \
    "   to_char(max(m.occurred_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS last"           \
    "   FROM alerts m WHERE m.group_id = a.id) g ON a.group_id = a.id"                             \
    " LEFT JOIN LATERAL (SELECT string_agg(x.t, chr(31) ORDER BY x.f) AS titles FROM ("            \
    "   SELECT m.title AS t, min(m.occurred_at) AS f FROM alerts m WHERE m.group_id = a.id"        \
    "   GROUP BY m.title ORDER BY f LIMIT 6) x) gt ON a.group_id = a.id"

/* The question of a group of n alerts (n > 1): "12 alerts like this in
 * the last 10 minutes: T1; T2 (first ..., last ...). Was this all you?"
 * with up to five titles (titles as SB_PROMPT_GROUP_COLUMNS gives them).
 * Owned string, or NULL (out of memory). */
char *sb_prompt_group_intro(const sb_prompt_t *p, long n, const char *first, const char *last,
                            const char *titles);

/* Inside the claim's transaction, after the claim: every queued alert of
 * employees (array literal of ids) that has the rule of their open,
 * unanswered question (status prompted: claimed here, in claimed, an
 * array literal of alert ids; or sent; or an unsent claim old enough to
 * be the sweep's, never another replica's fresh claim), a severity at or
 * below its leader's and not critical, and occurred at most the window
 * before it, joins that question (status grouped, group_id). Nothing when
 * the window is 0. 0, or -1 with errstr (the caller rolls back). */
int sb_prompt_group_attach(sb_prompt_t *p, const char *employees, const char *claimed, char *errstr,
                           size_t errstr_size);

/* Inside the transaction that escalated the unreachable leader: its
 * members too (unknown_employee, code), each with its own request marked
 * with group_id, queued on the producer (*produced = 1 when any). 0 or -1. */
int sb_prompt_group_unreachable(sb_prompt_t *p, const char *leader, const char *code, int *produced,
                                char *errstr, size_t errstr_size);

/* The sweep's part: (1) the messages of open questions whose group grew
 * since they were last shown, and were last shown at least 5 s ago, shown
 * again with the new count and times (one chat.update each); (2) members
 * of a question that closed without them (an operator's action, an
 * unreachable employee) queued again, to be asked on their own. 0, or -1
 * with errstr (the next sweep tries again). */
int sb_prompt_group_sweep(sb_prompt_t *p, char *errstr, size_t errstr_size);

#endif
