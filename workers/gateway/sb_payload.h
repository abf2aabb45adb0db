/* sb_payload: Slack's Events API and interactivity payloads, read into response events. */

/* sb-gateway's parser, in the stage's library so that its unit tests and
 * fuzz targets link it. */
#ifndef SB_PAYLOAD_H
#define SB_PAYLOAD_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* The longest text a response event carries, in code points (response.v1). */
#define SB_PAYLOAD_TEXT_MAX 4000
/* The longest trigger_id forwarded (response.v1). */
#define SB_PAYLOAD_TRIGGER_MAX 256

typedef enum {
    SB_PAYLOAD_ERROR,     /* out of memory: answer 500 */
    SB_PAYLOAD_BAD,       /* malformed or a field missing: answer 400 */
    SB_PAYLOAD_IGNORE,    /* well-formed, nothing to forward: answer 200 */
    SB_PAYLOAD_CHALLENGE, /* url_verification: answer 200 with the challenge */
    SB_PAYLOAD_PUBLISH,   /* forward `event`, keyed by `chat_user_id` */
} sb_payload_verdict_t;

/* What a payload asks for. reason is a stable code ("invalid_json",
 * "missing_field", "bot_message", "unknown_action"...), detail names the
 * field; neither holds message text. */
typedef struct {
    sb_payload_verdict_t verdict;
    const char *reason;
    char detail[160];
    char *challenge;          /* CHALLENGE: owned */
    cJSON *event;             /* PUBLISH: the response.v1 event, owned */
    const char *chat_user_id; /* PUBLISH: points into event */
} sb_payload_t;

/* Reads an Events API body (JSON): url_verification, or an event_callback
 * whose event is a direct message (message with channel_type "im") from a
 * person: not a bot (bot_id or subtype bot_message), not an edit or any
 * other subtype. The event id is Slack's event_id. received_at is RFC 3339. */
void sb_payload_read_event(const char *body, size_t len, const char *received_at,
                           sb_payload_t *out);

/* Reads an interactivity body (form with a `payload` JSON): block_actions
 * whose first action is sb_confirm, sb_deny or sb_not_me (kind not_me) with a hex64 alert id as
 * value (the click's trigger_id goes along), or the view_submission of
 * the code modal (callback sb_code: a text event with the code, for the
 * alert in private_metadata). The event id is hex SHA-256 of
 * "block_actions|" + user.id + "|" + action_ts + "|" + action_id, or
 * "view_submission|" + user.id + "|" + view.id + "|" + view.hash. */
void sb_payload_read_interaction(const char *body, size_t len, const char *received_at,
                                 sb_payload_t *out);

/* The same two readers on an already parsed payload: Socket Mode carries
 * the callback's body as the envelope's `payload` object (socket_envelope.c),
 * so both transports decide (and name events) with this one code. root is
 * borrowed; out is overwritten. */
void sb_payload_event_json(const cJSON *root, const char *received_at, sb_payload_t *out);
void sb_payload_interaction_json(const cJSON *root, const char *received_at, sb_payload_t *out);

/* Parses body as one JSON object (UTF-8, no NUL, nothing after it); the
 * caller owns the result. NULL with out's verdict (BAD) set otherwise. */
cJSON *sb_payload_parse_object(const char *body, size_t len, sb_payload_t *out);

/* Sets out to PUBLISH a response.v1 event (alert_id NULL: JSON null; text
 * cut to SB_PAYLOAD_TEXT_MAX code points), or to ERROR when out of memory.
 * For every reader of a platform's payload (Slack here, mattermost.c). */
void sb_payload_publish(sb_payload_t *out, const char *platform, const char *event_id,
                        const char *user, const char *alert_id, const char *kind, const char *text,
                        const char *received_at);

/* Frees what a read left in out. */
void sb_payload_clear(sb_payload_t *out);

#endif
