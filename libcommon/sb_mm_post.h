/* sb_mm_post: the JSON of Mattermost posts (message text, attachments, buttons), for
 * sb_chat_mattermost.c. */
#ifndef SB_MM_POST_H
#define SB_MM_POST_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "sb_buf.h"
#include "sb_chat.h"

/* Mattermost's limits, in characters (runes): a post's message (server
 * setting PostMessageMaxRunesV2) and what we give an attachment's text. */
#define SB_MM_MESSAGE_MAX 16383
#define SB_MM_TEXT_MAX    3000

/* Action ids: Mattermost wants letters and digits only. */
#define SB_MM_CONFIRM_ID "sbconfirm"
#define SB_MM_DENY_ID    "sbdeny"
#define SB_MM_NOT_ME_ID  "sbnotme"

/* Where and how the buttons point: the gateway's /mattermost/actions, a
 * context MAC'd with secret, valid until expires (Unix seconds). */
typedef struct {
    const char *actions_url;
    const char *secret;
    int64_t expires;
} sb_mm_buttons_t;

/* Appends at most max characters of s shown literally in Mattermost's
 * Markdown: \ ` * _ [ ] ~ # | < > escaped with a backslash, and "@" made
 * inert (a zero-width space after it) so that no text from an alert
 * mentions @channel or anyone. keep_emphasis: * and _ go as they are (the
 * bot's own texts use them). Returns the characters appended. */
size_t sb_mm_add_text(sb_buf_t *b, const char *s, size_t max, int keep_emphasis);

/* The bot's own text (replies, reports, the digest) as a message: lines
 * between two lines "```" form a code block, copied verbatim (a backtick
 * cannot close it, "@" is inert); the rest as sb_mm_add_text with
 * keep_emphasis. At most max characters of s; a block cut short is
 * closed. Returns the characters taken from s. */
size_t sb_mm_add_bot_text(sb_buf_t *b, const char *s, size_t max);

/* Appends s with Slack's three entities (SB_BUF_ENTITIES: &amp; &lt;
 * &gt;) turned back into & < >; any other "&" as it is. The security
 * channel's texts come escaped for Slack (sb_chat_post_channel), and
 * Markdown would show an entity inside a code block (the digest) as it is:
 * the text is escaped again for Markdown after this. */
void sb_mm_add_slack_decoded(sb_buf_t *b, const char *s);

/* The props of a prompt: one attachment with the alert (title, description,
 * details and time as fields) and, with buttons, its two buttons, each with
 * a context MAC'd for p->chat_user_id; answer_text (may be NULL) goes under
 * the alert in their place. NULL when out of memory or when a context
 * cannot be made (*why says which). Owned by the caller. */
cJSON *sb_mm_prompt_props(const sb_chat_prompt_t *p, const sb_mm_buttons_t *buttons,
                          const char *answer_text, const char **why);

/* How long a dialog's state is honoured; the longest words taken. */
#define SB_MM_DIALOG_TTL_S 900
#define SB_MM_WORDS_MAX    3000

/* The body of POST /actions/dialogs/open: with trigger_id, submitting to
 * dialogs_url (the gateway's /mattermost/dialogs) one input named `what`:
 * "code" (a text of 6 to 8 characters; callback id "sbcode") or "words" (a
 * textarea of up to SB_MM_WORDS_MAX; "sbwords"), its state a context
 * {alert_id, action `what`, user_id, expires, mac} MAC'd with secret, as
 * compact JSON. NULL when out of memory or when the state cannot be made.
 * Owned by the caller. */
cJSON *sb_mm_dialog(const char *what, const char *trigger_id, const char *dialogs_url,
                    const char *secret, const char *user_id, const char *alert_id, int64_t expires);

/* The notification text of a prompt (the intro, or "title"), escaped. */
void sb_mm_prompt_message(sb_buf_t *b, const sb_chat_prompt_t *p);

#endif
