/* response: sb-response's decisions: one response event read, recorded
 * once (responses.event_id), attributed to its employee, and applied to the
 * alert it answers in one PostgreSQL transaction, with the escalation
 * request and outcome it causes published before COMMIT; and the sweep
 * that publishes outcomes whose comment window has passed. */
#ifndef SB_RESPONSE_H
#define SB_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sb_chat.h"
#include "sb_command.h"
#include "sb_conversation.h"
#include "sb_aead.h"
#include "sb_crypto.h"
#include "sb_db.h"
#include "sb_kafka.h"
#include "sb_metrics.h"

typedef struct {
    sb_db_t *db;             /* borrowed */
    sb_producer_t *producer; /* borrowed */
    sb_metrics_t *metrics;   /* borrowed; may be NULL */
    sb_chat_t *chat;         /* borrowed */
    const char *worker;      /* requested_by, and the actor of the sweep's audit lines */
    const char *platform;    /* the deployment's chat platform; others are refused */
    int require_2fa;         /* SECURITYBOT_REQUIRE_2FA */
    int64_t comment_window_ms;
    int has_key; /* key holds SECURITYBOT_SECRET_KEY_FILE's key */
    unsigned char key[SB_AEAD_KEY_LEN];
    int sweep_limit;
    char topic_alerts[SB_TOPIC_MAX];
    char topic_prompts[SB_TOPIC_MAX];
    char topic_escalation_requests[SB_TOPIC_MAX];
    char topic_outcomes[SB_TOPIC_MAX];
} sb_response_t;

/* Fills the topic names from the prefix. 0 or -1. */
int sb_response_init(sb_response_t *r, const char *prefix, char *errstr, size_t errstr_size);

/* Applies one response.v1 event (already validated). Returns 0 once its
 * effect is committed (or it was a duplicate, or refused and audited):
 * the offset may be committed; -1 when the database or Kafka failed and
 * nothing was committed: retry the same event (sb_db_last_class tells
 * whether retrying can help). Chat replies are sent after COMMIT. */
int sb_response_handle(sb_response_t *r, const cJSON *event, char *errstr, size_t errstr_size);

/* Publishes the outcomes that are due (a "no" whose comment window has
 * passed), at most sweep_limit. 0 or -1. */
int sb_response_sweep(sb_response_t *r, char *errstr, size_t errstr_size);

/* ---- between response.c, answer.c and commands.c ------------------------ */

/* One event being handled: who sent it, and what to do after COMMIT. */
typedef struct {
    sb_response_t *r;
    const char *event_id;
    const char *chat_user;
    char actor[96];    /* "chat:<user id>" for audit_log */
    char employee[24]; /* employees.id */
    char username[322];
    int enrolled;
    int produced;    /* something was produced: flush before COMMIT */
    int outcome_due; /* an outcome became due: publish it after COMMIT */
    /* after COMMIT */
    char *reply;                              /* owned: text for the sender's DM */
    char reply_channel[SB_CHAT_CHANNEL_SIZE]; /* "" = open the sender's DM */
    PGresult *update_row; /* owned: the alert whose prompt to update (answer.c's columns) */
    char *update_text;    /* owned */
    int wake;             /* the conversation ended: wake sb-prompt for the next alert */
} sb_turn_t;

/* Sets the reply (formatted). */
void sb_turn_reply(sb_turn_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends an audit_log line; detail is consumed. 0 or -1. */
int sb_turn_audit(sb_turn_t *t, const char *action, const char *alert_id, cJSON *detail,
                  char *errstr, size_t errstr_size);

/* answer.c: a button or a yes/no/code text for an alert (alert_id NULL:
 * the sender's open conversation). comment may be NULL. 0 or -1. */
int sb_answer_apply(sb_turn_t *t, const char *alert_id, sb_conv_event_t event, const char *comment,
                    const char *code, char *errstr, size_t errstr_size);

/* answer.c: publishes alert_id's outcome if it is due (row locked by the
 * caller's transaction) and clears outcome_due_at. 0 or -1. */
int sb_answer_publish_outcome(sb_response_t *r, const char *alert_id, char *errstr,
                              size_t errstr_size);

/* commands.c: help, status, ignore, test, free text. 0 or -1. */
int sb_commands_run(sb_turn_t *t, const sb_command_t *cmd, const char *text, char *errstr,
                    size_t errstr_size);

#endif
