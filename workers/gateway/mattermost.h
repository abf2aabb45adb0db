/* mattermost: a Mattermost button click (POST /mattermost/actions) read into a response event. */
#ifndef SB_MATTERMOST_H
#define SB_MATTERMOST_H

#include <stddef.h>
#include <stdint.h>

#include "sb_mmctx.h"
#include "sb_payload.h"

/* What a click asks for: p.verdict PUBLISH (a confirm/deny event on the
 * responses topic), BAD (400: not a click request), ERROR (500), or
 * IGNORE with refused set: the context is not ours to honour (403: a MAC
 * that does not match, an expired context, another user's click);
 * reason is a stable code for the log line either way. */
typedef struct {
    sb_payload_t p;
    sb_mmctx_verdict_t refused; /* SB_MMCTX_OK unless refused */
} sb_mm_action_t;

/* Reads Mattermost's integration request body (JSON: user_id, post_id,
 * trigger_id, context) and checks its context with secret at now_s. The
 * event's id is the hex SHA-256 of "mm_action|" user_id "|" post_id "|"
 * action "|" trigger_id: a replayed request has the same one, and
 * sb-response applies it once. The event carries the click's trigger_id
 * (sb-response opens the code dialog with it). Free with sb_payload_clear(&out->p). */
void sb_mm_read_action(const char *body, size_t len, const char *secret, int64_t now_s,
                       const char *received_at, sb_mm_action_t *out);

/* Reads a slash command request (form: token, user_id, trigger_id, text,
 * ...) checked against token (MATTERMOST_COMMAND_TOKEN, constant time).
 * A matching one becomes a "text" event, exactly like a direct message on
 * Slack: its text is a command ("help", "status", "ignore 2h", "stop",
 * "start", "test"), a code, or the words after a "no"; an empty text is
 * "help". Event id: hex SHA-256 of "mm_command|" user_id "|" trigger_id.
 * A token that does not match: IGNORE with refused SB_MMCTX_BAD_MAC (401);
 * malformed: BAD. Free with sb_payload_clear(&out->p). */
void sb_mm_read_command(const char *body, size_t len, const char *token, const char *received_at,
                        sb_mm_action_t *out);

/* Longest dialog state read (the context JSON sb_chat_mattermost makes). */
#define SB_MM_STATE_MAX 1024

/* Reads an interactive dialog's submission (JSON: type, callback_id,
 * state, user_id, submission{code or words}, cancelled). Its state is a
 * context (sb_mmctx) with action "code" or "words", checked like a
 * button's: MAC (constant time), expiry, user. A valid one becomes the
 * same "text" event typed text makes (alert_id null, text = the code or
 * the words). Event id: hex SHA-256 of "mm_dialog|" user_id "|" state's
 * mac "|" text (a repeated submission applies once). Cancelled: IGNORE
 * with refused OK (200, nothing published); refused: IGNORE with refused
 * set (403); malformed: BAD. Free with sb_payload_clear(&out->p). */
void sb_mm_read_dialog(const char *body, size_t len, const char *secret, int64_t now_s,
                       const char *received_at, sb_mm_action_t *out);

#endif
