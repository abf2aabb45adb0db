/* sb_chat: the chat platform interface (Slack, Mattermost, console), chosen by name. */
#ifndef SB_CHAT_H
#define SB_CHAT_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define SB_CHAT_DEFAULT_SLACK_API_URL "https://slack.com/api"
#define SB_CHAT_DEFAULT_CONSOLE_LOG   "var/console-chat.log"
#define SB_CHAT_DEFAULT_MM_BUTTON_TTL (7 * 86400) /* seconds a Mattermost button stays valid */

/* Button labels and action ids of a prompt; the gateway matches the ids. */
#define SB_CHAT_CONFIRM_LABEL  "Yes, this was me"
#define SB_CHAT_DENY_LABEL     "No, this wasn't me"
#define SB_CHAT_CONFIRM_ACTION "sb_confirm"
#define SB_CHAT_DENY_ACTION    "sb_deny"
/* "this alert is not about me at all" (issue 16): the directory or the
 * detector's identity mapping is wrong; never a confirmation or a denial */
#define SB_CHAT_NOT_ME_LABEL  "Not me \xe2\x80\x94 wrong person" /* an em dash */
#define SB_CHAT_NOT_ME_ACTION "sb_not_me"

/* The code modal (Slack): its callback id and its input's block and
 * action ids; the gateway reads a submission by them. */
#define SB_CHAT_CODE_CALLBACK "sb_code"
#define SB_CHAT_CODE_BLOCK    "sb_code"
#define SB_CHAT_CODE_INPUT    "sb_code_input"
/* After a wrong code (Slack): a button that opens the code modal again;
 * the gateway reads its click as a "yes" with a trigger. */
#define SB_CHAT_ENTER_CODE_LABEL  "Enter code"
#define SB_CHAT_ENTER_CODE_ACTION "sb_enter_code"

/* Slack's documented limits, in characters (Block Kit reference: section
 * block, button element; chat.postMessage). Texts are cut to fit, with an
 * ellipsis; a character outside the BMP counts as two. */
#define SB_CHAT_SECTION_MAX  3000  /* section text */
#define SB_CHAT_FIELD_MAX    2000  /* one section field */
#define SB_CHAT_FIELDS_MAX   10    /* fields per section */
#define SB_CHAT_BUTTON_MAX   75    /* button text */
#define SB_CHAT_VALUE_MAX    2000  /* button value: a longer alert id is refused */
#define SB_CHAT_TEXT_MAX     40000 /* message text: Slack truncates above */
#define SB_CHAT_NOTIFY_MAX   4000  /* the fallback text of a prompt (notifications) */
#define SB_CHAT_CHANNEL_SIZE 128
#define SB_CHAT_TS_SIZE      32
#define SB_CHAT_CODE_SIZE    64
#define SB_CHAT_ERRSTR_SIZE  512

typedef struct {
    const char *slack_api_url;    /* SLACK_API_URL; NULL: SB_CHAT_DEFAULT_SLACK_API_URL */
    const char *slack_bot_token;  /* SLACK_BOT_TOKEN; secret: never logged nor in errors */
    long timeout_ms;              /* per HTTP attempt; 0: sb_curl's default */
    int max_attempts;             /* per call, including the first; 0: 4 */
    long max_backoff_ms;          /* cap on one wait (and on Retry-After); 0: sb_curl's */
    const char *console_log_path; /* console; NULL: SB_CHAT_DEFAULT_CONSOLE_LOG (cwd) */
    /* Mattermost */
    const char *mattermost_url;       /* MATTERMOST_URL: the server, without /api/v4 */
    const char *mattermost_bot_token; /* MATTERMOST_BOT_TOKEN; secret like slack_bot_token */
    const char *public_url;           /* SECURITYBOT_PUBLIC_URL: sb-gateway as Mattermost reaches
                                       * it; NULL: no buttons (a prompt fails) */
    const char *mm_actions_secret;    /* MATTERMOST_ACTIONS_SECRET: the buttons' MAC key;
                                       * NULL: no buttons (a prompt fails) */
    int64_t mm_button_ttl_s;          /* how long a button is honoured; 0: the default */
} sb_chat_config_t;

/* Why a call failed. retryable: the platform may answer later (network,
 * HTTP 5xx, 429 once sb_curl's retries ran out, Slack's internal_error,
 * shutdown during a wait): back off and keep the offset. Otherwise
 * permanent: the same call will fail again (invalid_auth, not_authed,
 * channel_not_found, users_not_found, invalid_arguments, account_inactive,
 * invalid_blocks, HTTP 4xx...). code is Slack's error or one of ours
 * ("network", "ratelimited", "http_<status>", "invalid_response",
 * "interrupted", "invalid_arguments", "io_error"); msg names the call and
 * never holds the token. */
typedef struct {
    int retryable;
    char code[SB_CHAT_CODE_SIZE];
    char msg[SB_CHAT_ERRSTR_SIZE];
} sb_chat_error_t;

/* Where a message was posted: enough to update it later (Mattermost: the
 * channel id and the post id in ts). */
typedef struct {
    char channel[SB_CHAT_CHANNEL_SIZE];
    char ts[SB_CHAT_TS_SIZE];
} sb_chat_ref_t;

/* A "did you do this?" prompt. Every text is shown literally (Slack's
 * control characters are escaped) and cut to the limits above. */
typedef struct {
    const char *channel;      /* from sb_chat_open_dm; required */
    const char *alert_id;     /* the buttons' value; required */
    const char *title;        /* required */
    const char *description;  /* may be NULL */
    const cJSON *details;     /* object of name -> value, or NULL; not owned */
    const char *occurred_at;  /* RFC 3339, or NULL */
    const char *intro;        /* the sentence before the alert, or NULL */
    const char *chat_user_id; /* who the prompt is for; Mattermost: required (the buttons'
                               * proof names them), others: ignored */
    int enter_code;           /* an update: an "Enter code" button under the text (Slack) */
} sb_chat_prompt_t;

typedef struct sb_chat_s sb_chat_t;

/* platform: "slack", "mattermost" or "console". Returns an owned client, or NULL with
 * errstr. A client is used by one thread at a time (Slack: one HTTP
 * connection); the console client may be shared. */
sb_chat_t *sb_chat_new(const char *platform, const sb_chat_config_t *cfg, char *errstr,
                       size_t errstr_size);
void sb_chat_destroy(sb_chat_t *chat); /* NULL is a no-op */
const char *sb_chat_platform(const sb_chat_t *chat);

/* Every call returns 0 on success or -1 with *err filled in (err may be
 * NULL). Texts are UTF-8; invalid UTF-8 is refused as invalid_arguments. */

/* The direct conversation with a chat user (Slack: conversations.open;
 * Mattermost: POST /channels/direct; console: "console:<user id>"). */
int sb_chat_open_dm(sb_chat_t *chat, const char *chat_user_id, char *channel_out,
                    size_t channel_size, sb_chat_error_t *err);

/* The chat user id of an e-mail address: 0 found, 1 not found, -1 error
 * (Slack: users.lookupByEmail; Mattermost: GET /users/email/{email};
 * console: the part before "@"). */
int sb_chat_lookup_email(sb_chat_t *chat, const char *email, char *user_id_out, size_t user_id_size,
                         sb_chat_error_t *err);

/* The time zone (IANA name) of a chat user's profile: 0 with zone_out
 * filled ("" when the profile has none), 1 when the platform does not tell
 * (console, Mattermost), -1 error (Slack: users.info `tz`). */
int sb_chat_user_timezone(sb_chat_t *chat, const char *chat_user_id, char *zone_out,
                          size_t zone_size, sb_chat_error_t *err);

/* Sends the prompt with its two buttons; ref_out (may be NULL) gets its
 * channel and ts. */
int sb_chat_send_prompt(sb_chat_t *chat, const sb_chat_prompt_t *p, sb_chat_ref_t *ref_out,
                        sb_chat_error_t *err);

/* One prompt of a batch for sb_chat_send_prompts. */
typedef struct {
    const char *chat_user_id; /* who it is for; NULL: found by email first */
    const char *email;        /* used when chat_user_id is NULL; NULL: no_chat_id */
    sb_chat_prompt_t prompt;  /* channel and chat_user_id are filled in by the call */
    /* the outcome */
    char user_found[SB_CHAT_CHANNEL_SIZE]; /* the chat user id found by e-mail, or "" */
    int rc;                                /* 0: sent, ref filled; -1: err */
    sb_chat_ref_t ref;
    sb_chat_error_t err;
} sb_chat_batch_t;

/* Sends every prompt of items to its user's direct conversation, and
 * fills each item's outcome (a user without a chat id is looked up by
 * e-mail first: users_not_found when nobody has it, no_chat_id without an
 * e-mail). Slack: up to max_in_flight calls on the wire at once, a 429
 * holding back only the calls of its method (sb_curl_multi), and each
 * prompt in one chat.postMessage to the user's id, which Slack posts to
 * the app's DM with them (no conversations.open: a Tier 3 method, 50+ a
 * minute). Mattermost and console: one after the other, as the
 * single-prompt calls do. */
void sb_chat_send_prompts(sb_chat_t *chat, sb_chat_batch_t *items, size_t n, int max_in_flight);

/* Sends text (shown literally; *bold* and _italic_ still work). */
int sb_chat_send_text(sb_chat_t *chat, const char *channel, const char *text,
                      sb_chat_ref_t *ref_out, sb_chat_error_t *err);

/* Replaces a posted message (and so its buttons) with text. */
int sb_chat_update(sb_chat_t *chat, const sb_chat_ref_t *ref, const char *text,
                   sb_chat_error_t *err);

/* Like sb_chat_update but keeps the alert: the prompt p without its
 * buttons, then text. p->channel is ignored (ref has it). */
int sb_chat_update_prompt(sb_chat_t *chat, const sb_chat_ref_t *ref, const sb_chat_prompt_t *p,
                          const char *text, sb_chat_error_t *err);

/* Shows the prompt p again in place of the message ref, buttons and all
 * (a group's question whose count or times changed: Slack chat.update,
 * Mattermost PUT /posts/{id}/patch, console an "update" line with the
 * buttons). p->channel is ignored (ref has it). The caller keeps to
 * Slack's pace: at most one update per 5 s per message. */
int sb_chat_refresh_prompt(sb_chat_t *chat, const sb_chat_ref_t *ref, const sb_chat_prompt_t *p,
                           sb_chat_error_t *err);

/* Posts text to a channel (e.g. the security team's). The text is Slack's
 * mrkdwn: the caller escaped what came from outside (sb_buf_add_text with
 * SB_BUF_ENTITIES), once, where it built the text. Slack takes it as is;
 * Mattermost (Markdown, which shows an entity in a code block literally)
 * turns the entities back into & < > and escapes the text for Markdown. */
int sb_chat_post_channel(sb_chat_t *chat, const char *channel, const char *text,
                         sb_chat_error_t *err);

/* Opens a modal with one input for the one-time code of alert_id (its
 * private_metadata), for the click whose trigger_id is given (Slack:
 * views.open; the trigger lives 3 s: expired_trigger_id after). The
 * console platform has no modals: not_supported. */
int sb_chat_open_code_modal(sb_chat_t *chat, const char *trigger_id, const char *alert_id,
                            sb_chat_error_t *err);
/* Opens a dialog that asks user (a chat user id), about alert_id, for
 * `what`: "code" (after a "yes") or "words" (after a "no"), with
 * trigger_id, the trigger of the click (Mattermost takes it for 3 s). Its
 * submission reaches sb-gateway and becomes the same event as typed text.
 * 0; -1 with err: "unsupported" (Slack and console: the direct message
 * asks instead), "expired_trigger_id", "not_configured" (no
 * SECURITYBOT_PUBLIC_URL or MATTERMOST_ACTIONS_SECRET), or what any call
 * fails with. The caller falls back to the message. */
int sb_chat_ask(sb_chat_t *chat, const char *what, const char *trigger_id, const char *user,
                const char *alert_id, sb_chat_error_t *err);

/* ---- for the implementations (sb_chat_slack.c, sb_chat_console.c) ------- */

/* The vtable; each implementation embeds struct sb_chat_s first. */
typedef struct {
    const char *name;
    void (*destroy)(sb_chat_t *chat);
    int (*open_dm)(sb_chat_t *chat, const char *user, char *out, size_t size, sb_chat_error_t *err);
    int (*lookup_email)(sb_chat_t *chat, const char *email, char *out, size_t size,
                        sb_chat_error_t *err);
    int (*send_prompt)(sb_chat_t *chat, const sb_chat_prompt_t *p, sb_chat_ref_t *ref,
                       sb_chat_error_t *err);
    int (*send_text)(sb_chat_t *chat, const char *channel, const char *text, sb_chat_ref_t *ref,
                     sb_chat_error_t *err);
    /* p NULL: text only */
    int (*update)(sb_chat_t *chat, const sb_chat_ref_t *ref, const sb_chat_prompt_t *p,
                  const char *text, sb_chat_error_t *err);
    int (*post_channel)(sb_chat_t *chat, const char *channel, const char *text,
                        sb_chat_error_t *err);
    /* the prompt again, with its buttons, in place of ref */
    int (*refresh)(sb_chat_t *chat, const sb_chat_ref_t *ref, const sb_chat_prompt_t *p,
                   sb_chat_error_t *err);
    /* NULL: the platform has no modals */
    int (*open_code_modal)(sb_chat_t *chat, const char *trigger_id, const char *alert_id,
                           sb_chat_error_t *err);
    /* NULL: one at a time through open_dm and send_prompt */
    void (*send_prompts)(sb_chat_t *chat, sb_chat_batch_t *items, size_t n, int max_in_flight);
    /* NULL: "unsupported" */
    int (*ask)(sb_chat_t *chat, const char *what, const char *trigger_id, const char *user,
               const char *alert_id, sb_chat_error_t *err);
    /* NULL: the platform does not tell a user's time zone */
    int (*user_timezone)(sb_chat_t *chat, const char *user, char *out, size_t size,
                         sb_chat_error_t *err);
} sb_chat_ops_t;

struct sb_chat_s {
    const sb_chat_ops_t *ops;
};

sb_chat_t *sb_chat_slack_new(const sb_chat_config_t *cfg, char *errstr, size_t errstr_size);
sb_chat_t *sb_chat_console_new(const sb_chat_config_t *cfg, char *errstr, size_t errstr_size);
sb_chat_t *sb_chat_mattermost_new(const sb_chat_config_t *cfg, char *errstr, size_t errstr_size);

/* Fills *err (when not NULL); returns -1 for `return sb_chat_fail(...)`. */
int sb_chat_fail(sb_chat_error_t *err, int retryable, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A detail's value as text: strings as they are, other JSON compactly.
 * Returns a malloc'd string or NULL. */
char *sb_chat_detail_text(const cJSON *value);

/* Checks a prompt's required fields and UTF-8; 0 or -1 with *err. */
int sb_chat_prompt_check(const sb_chat_prompt_t *p, sb_chat_error_t *err);

/* 1 when s is NULL or valid UTF-8. */
int sb_chat_utf8_ok(const char *s);

#endif
