/* turn: one response event being handled. */

/* One response event being handled, shared by response.c, answer.c
 * and commands.c: who sent it, what to say and do after COMMIT, and its
 * audit lines. Calls go one way: response.c -> answer.c, commands.c ->
 * turn.c. */
#ifndef SB_RESPONSE_TURN_H
#define SB_RESPONSE_TURN_H

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "response.h"

/* One event being handled: who sent it, and what to do after COMMIT. */
typedef struct {
    sb_response_t *r;
    const char *event_id;
    const char *chat_user;
    const char *trigger_id; /* a click's trigger (Slack: a modal, Mattermost: a dialog), or NULL */
    char actor[96];         /* "chat:<user id>" for audit_log */
    char employee[24];      /* employees.id */
    char username[322];
    int enrolled; /* the employee has a second factor (TOTP or Duo) */
    int duo;      /* ... and it is Duo */
    char duo_username[322];
    int duo_retry;        /* a Duo try failed with tries left: the push waits for "push" */
    char reused_from[72]; /* the alert whose pass a "yes" reused, or "" */
    int withhold;         /* a code request is open: runs of 6 to 8 digits are withheld */
    int opted_out;        /* the employee opted out of being asked */
    int locked;           /* too many failed second factors this hour: codes refused */
    int produced;         /* something was produced: flush before COMMIT */
    int outcome_due;      /* an outcome became due: publish it after COMMIT */
    /* after COMMIT */
    char *reply;                              /* owned: text for the sender's DM */
    char reply_channel[SB_CHAT_CHANNEL_SIZE]; /* "" = open the sender's DM */
    PGresult *update_row;  /* owned: the alert whose prompt to update (answer.c's columns) */
    char *update_text;     /* owned */
    int update_enter_code; /* the update gets an "Enter code" button (a wrong TOTP code) */
    int wake;              /* the conversation ended: wake sb-prompt for the next alert */
    char *notice;          /* owned: text for the security channel */
    char modal_alert[72];  /* open the code modal for this alert (with trigger_id), or "" */
    char ask[72];          /* the alert a dialog asks about (trigger_id set), or "" */
    const char *ask_what;  /* "code" or "words" */
    int ask_not_me;        /* the words are a "not me"'s, not a "no"'s */
} sb_turn_t;

/* Sets the reply (formatted). */
void sb_turn_reply(sb_turn_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends an audit_log line; detail is consumed. 0 or -1. */
int sb_turn_audit(sb_turn_t *t, const char *action, const char *alert_id, cJSON *detail,
                  char *errstr, size_t errstr_size);

/* What was read of an answer's sender (by the batch before its answers
 * ran, or by the answer itself): row `row` of sb_response_senders' result
 * (borrowed). */
typedef struct {
    const PGresult *res;
    int row;
} sb_turn_pre_t;

/* One read for a batch's senders: for each of the n chat users, in order,
 * one row with what sb_response_apply would read of them (their employee,
 * whether a code request of theirs is open). Owned result (PQclear), or
 * NULL with errstr (response.c). */
PGresult *sb_response_senders(sb_response_t *r, const char *const *chat_users, size_t n,
                              char *errstr, size_t errstr_size);

/* Applies one response.v1 event (already validated) inside the caller's
 * open transaction, filling *t (the caller frees it with sb_turn_free,
 * and keeps ev alive as long as t: t borrows its strings): recorded once
 * (a duplicate event changes nothing and says nothing), its sender found,
 * its meaning applied. pre: the sender as the batch read it, valid only
 * while nothing in the transaction can have changed it (batch.c says
 * when); NULL: read now. 0, or -1 with errstr and sb_db_last_class set:
 * the caller rolls back what it did (response.c). */
int sb_response_apply(sb_response_t *r, const cJSON *ev, const sb_turn_pre_t *pre, sb_turn_t *t,
                      char *errstr, size_t errstr_size);

/* After the turn's transaction committed: its outcome published, the
 * prompt updated, the reply sent, sb-prompt woken (response.c). */
void sb_turn_after_commit(sb_turn_t *t);

/* After a batch committed: a prompt request for each employee's next
 * queued alert (the turns' wake, in one query; employees are
 * employees.id). Best effort, as a turn's. */
void sb_response_wake(sb_response_t *r, const char *const *employees, size_t n);

/* Frees what the turn owns (reply, update row and text). */
void sb_turn_free(sb_turn_t *t);

#endif
