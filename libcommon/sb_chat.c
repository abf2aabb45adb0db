/* sb_chat: the platform interface: dispatch by name and the text helpers both platforms share. */
#include "sb_chat.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_utf8.h"

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, one character */

sb_chat_t *sb_chat_new(const char *platform, const sb_chat_config_t *cfg, char *errstr,
                       size_t errstr_size) {
    sb_chat_config_t none = {0};
    if (!cfg)
        cfg = &none;
    if (platform && strcmp(platform, "slack") == 0)
        return sb_chat_slack_new(cfg, errstr, errstr_size);
    if (platform && strcmp(platform, "console") == 0)
        return sb_chat_console_new(cfg, errstr, errstr_size);
    snprintf(errstr, errstr_size, "unknown chat platform \"%.32s\" (slack or console)",
             platform ? platform : "");
    return NULL;
}

void sb_chat_destroy(sb_chat_t *chat) {
    if (chat)
        chat->ops->destroy(chat);
}

const char *sb_chat_platform(const sb_chat_t *chat) {
    return chat ? chat->ops->name : NULL;
}

int sb_chat_fail(sb_chat_error_t *err, int retryable, const char *code, const char *fmt, ...) {
    va_list ap;
    if (!err)
        return -1;
    err->retryable = retryable;
    snprintf(err->code, sizeof(err->code), "%s", code);
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

static void clear_error(sb_chat_error_t *err) {
    if (err)
        memset(err, 0, sizeof(*err));
}

int sb_chat_utf8_ok(const char *s) {
    return !s || sb_utf8_valid(s, strlen(s));
}

/* Arguments every call needs; refuses them before any I/O. */
static int need(sb_chat_t *chat, const char *what, const char *s, sb_chat_error_t *err) {
    clear_error(err);
    if (!chat)
        return sb_chat_fail(err, 0, "invalid_arguments", "chat: no client");
    if (!s || !*s)
        return sb_chat_fail(err, 0, "invalid_arguments", "chat: %s is missing", what);
    if (!sb_chat_utf8_ok(s))
        return sb_chat_fail(err, 0, "invalid_arguments", "chat: %s is not valid UTF-8", what);
    return 0;
}

int sb_chat_open_dm(sb_chat_t *chat, const char *chat_user_id, char *channel_out,
                    size_t channel_size, sb_chat_error_t *err) {
    sb_chat_error_t scratch; /* implementations may read err->code */
    err = err ? err : &scratch;
    if (need(chat, "the chat user id", chat_user_id, err) == -1)
        return -1;
    if (!channel_out || channel_size == 0)
        return sb_chat_fail(err, 0, "invalid_arguments", "chat: no room for the channel id");
    channel_out[0] = '\0';
    return chat->ops->open_dm(chat, chat_user_id, channel_out, channel_size, err);
}

int sb_chat_lookup_email(sb_chat_t *chat, const char *email, char *user_id_out, size_t user_id_size,
                         sb_chat_error_t *err) {
    sb_chat_error_t scratch; /* implementations may read err->code */
    err = err ? err : &scratch;
    if (need(chat, "the e-mail address", email, err) == -1)
        return -1;
    if (!user_id_out || user_id_size == 0)
        return sb_chat_fail(err, 0, "invalid_arguments", "chat: no room for the user id");
    user_id_out[0] = '\0';
    return chat->ops->lookup_email(chat, email, user_id_out, user_id_size, err);
}

int sb_chat_send_prompt(sb_chat_t *chat, const sb_chat_prompt_t *p, sb_chat_ref_t *ref_out,
                        sb_chat_error_t *err) {
    sb_chat_error_t scratch; /* implementations may read err->code */
    err = err ? err : &scratch;
    clear_error(err);
    if (!chat)
        return sb_chat_fail(err, 0, "invalid_arguments", "chat: no client");
    if (sb_chat_prompt_check(p, err) == -1 || need(chat, "the channel", p->channel, err) == -1)
        return -1;
    if (ref_out)
        memset(ref_out, 0, sizeof(*ref_out));
    return chat->ops->send_prompt(chat, p, ref_out, err);
}

int sb_chat_send_text(sb_chat_t *chat, const char *channel, const char *text,
                      sb_chat_ref_t *ref_out, sb_chat_error_t *err) {
    sb_chat_error_t scratch; /* implementations may read err->code */
    err = err ? err : &scratch;
    if (need(chat, "the channel", channel, err) == -1 || need(chat, "the text", text, err) == -1)
        return -1;
    if (ref_out)
        memset(ref_out, 0, sizeof(*ref_out));
    return chat->ops->send_text(chat, channel, text, ref_out, err);
}

int sb_chat_update(sb_chat_t *chat, const sb_chat_ref_t *ref, const char *text,
                   sb_chat_error_t *err) {
    return sb_chat_update_prompt(chat, ref, NULL, text, err);
}

int sb_chat_update_prompt(sb_chat_t *chat, const sb_chat_ref_t *ref, const sb_chat_prompt_t *p,
                          const char *text, sb_chat_error_t *err) {
    sb_chat_error_t scratch; /* implementations may read err->code */
    err = err ? err : &scratch;
    if (need(chat, "the text", text, err) == -1)
        return -1;
    if (!ref)
        return sb_chat_fail(err, 0, "invalid_arguments", "chat: no message reference");
    if (need(chat, "the message's channel", ref->channel, err) == -1 ||
        need(chat, "the message's ts", ref->ts, err) == -1)
        return -1;
    if (p && sb_chat_prompt_check(p, err) == -1)
        return -1;
    return chat->ops->update(chat, ref, p, text, err);
}

int sb_chat_post_channel(sb_chat_t *chat, const char *channel, const char *text,
                         sb_chat_error_t *err) {
    sb_chat_error_t scratch; /* implementations may read err->code */
    err = err ? err : &scratch;
    if (need(chat, "the channel", channel, err) == -1 || need(chat, "the text", text, err) == -1)
        return -1;
    return chat->ops->post_channel(chat, channel, text, err);
}

int sb_chat_prompt_check(const sb_chat_prompt_t *p, sb_chat_error_t *err) {
    if (!p)
        return sb_chat_fail(err, 0, "invalid_arguments", "chat: no prompt");
    if (!p->alert_id || !*p->alert_id || !p->title || !*p->title)
        return sb_chat_fail(err, 0, "invalid_arguments",
                            "chat: a prompt needs an alert id and a title");
    if (strlen(p->alert_id) > SB_CHAT_VALUE_MAX)
        return sb_chat_fail(err, 0, "invalid_arguments", "chat: alert id over %d characters",
                            SB_CHAT_VALUE_MAX);
    if (p->details && !cJSON_IsObject(p->details))
        return sb_chat_fail(err, 0, "invalid_arguments", "chat: details must be a JSON object");
    if (!sb_chat_utf8_ok(p->alert_id) || !sb_chat_utf8_ok(p->title) ||
        !sb_chat_utf8_ok(p->description) || !sb_chat_utf8_ok(p->occurred_at) ||
        !sb_chat_utf8_ok(p->intro))
        return sb_chat_fail(err, 0, "invalid_arguments", "chat: prompt %.64s: invalid UTF-8",
                            sb_chat_utf8_ok(p->alert_id) ? p->alert_id : "(id)");
    return 0;
}

/* ---- text ---------------------------------------------------------------- */

void sb_chat_buf_add(sb_chat_buf_t *b, const char *s, size_t n) {
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void sb_chat_buf_free(sb_chat_buf_t *b) {
    free(b->s);
    memset(b, 0, sizeof(*b));
}

/* The next character of s: its bytes (*in_len), what to write (*out,
 * *out_len), and what Slack counts, returned: UTF-16 units, so a character
 * outside the BMP is two, which is safe whichever way Slack counts. */
static size_t next_char(const char *s, int flags, size_t *in_len, const char **out,
                        size_t *out_len) {
    unsigned char c = (unsigned char)s[0];
    size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    for (size_t i = 1; i < n; i++)
        if (s[i] == '\0') /* truncated sequence: one byte at a time */
            n = 1;
    *in_len = *out_len = n;
    *out = s;
    if (c < 0x20 && !((c == '\n' || c == '\t') && !(flags & SB_CHAT_ONE_LINE))) {
        *out = " ";
        return 1;
    }
    if (flags & SB_CHAT_ESCAPE) {
        const char *e = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : NULL;
        if (e) {
            *out = e;
            *out_len = strlen(e);
            return *out_len;
        }
    }
    return n == 4 ? 2 : 1;
}

size_t sb_chat_text_add(sb_chat_buf_t *b, const char *s, size_t max, int flags) {
    const char *out, *p;
    size_t in_len, out_len, total = 0, used = 0, cost;

    if (!s || max == 0)
        return 0;
    for (p = s; *p; p += in_len)
        total += next_char(p, flags, &in_len, &out, &out_len);
    for (p = s; *p; p += in_len) {
        cost = next_char(p, flags, &in_len, &out, &out_len);
        if (total > max && used + cost > max - 1) {
            sb_chat_buf_add(b, ELLIPSIS, strlen(ELLIPSIS));
            return used + 1;
        }
        sb_chat_buf_add(b, out, out_len);
        used += cost;
    }
    return used;
}

char *sb_chat_detail_text(const cJSON *value) {
    if (cJSON_IsString(value))
        return strdup(value->valuestring);
    return value ? cJSON_PrintUnformatted(value) : NULL;
}
