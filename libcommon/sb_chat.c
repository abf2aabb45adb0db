/* sb_chat: the platform interface: dispatch by name and the text helpers every platform shares. */
#include "sb_chat.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_signal.h"
#include "sb_utf8.h"

sb_chat_t *sb_chat_new(const char *platform, const sb_chat_config_t *cfg, char *errstr,
                       size_t errstr_size) {
    sb_chat_config_t none = {0};
    if (!cfg)
        cfg = &none;
    if (platform && strcmp(platform, "slack") == 0)
        return sb_chat_slack_new(cfg, errstr, errstr_size);
    if (platform && strcmp(platform, "console") == 0)
        return sb_chat_console_new(cfg, errstr, errstr_size);
    if (platform && strcmp(platform, "mattermost") == 0)
        return sb_chat_mattermost_new(cfg, errstr, errstr_size);
    snprintf(errstr, errstr_size, "unknown chat platform \"%.32s\" (slack, mattermost or console)",
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

int sb_chat_user_timezone(sb_chat_t *chat, const char *chat_user_id, char *zone_out,
                          size_t zone_size, sb_chat_error_t *err) {
    sb_chat_error_t scratch;
    err = err ? err : &scratch;
    memset(err, 0, sizeof(*err));
    if (!chat_user_id || !*chat_user_id || !zone_out || zone_size == 0)
        return sb_chat_fail(err, 0, "invalid_arguments", "chat: no user or no room for the zone");
    zone_out[0] = '\0';
    if (!chat->ops->user_timezone)
        return 1;
    return chat->ops->user_timezone(chat, chat_user_id, zone_out, zone_size, err);
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

/* The batch one prompt at a time (platforms without a concurrent client). */
static void send_one(sb_chat_t *chat, sb_chat_batch_t *it) {
    const char *user = it->chat_user_id;
    char channel[SB_CHAT_CHANNEL_SIZE];
    int found;
    if (!user && (!it->email || !*it->email)) {
        it->rc = sb_chat_fail(&it->err, 0, "no_chat_id", "no chat id and no e-mail");
        return;
    }
    if (!user) {
        found =
            sb_chat_lookup_email(chat, it->email, it->user_found, sizeof(it->user_found), &it->err);
        if (found == 1)
            it->rc = sb_chat_fail(&it->err, 0, "users_not_found", "no chat user has the e-mail");
        if (found != 0) {
            it->rc = -1;
            return;
        }
        user = it->user_found;
    }
    if ((it->rc = sb_chat_open_dm(chat, user, channel, sizeof(channel), &it->err)) == -1)
        return;
    it->prompt.channel = channel;
    it->prompt.chat_user_id = user;
    it->rc = sb_chat_send_prompt(chat, &it->prompt, &it->ref, &it->err);
    it->prompt.channel = NULL; /* channel does not outlive this call */
}

void sb_chat_send_prompts(sb_chat_t *chat, sb_chat_batch_t *items, size_t n, int max_in_flight) {
    for (size_t i = 0; i < n; i++) {
        items[i].rc = -1;
        items[i].user_found[0] = '\0';
        memset(&items[i].ref, 0, sizeof(items[i].ref));
        clear_error(&items[i].err);
    }
    if (!chat) {
        for (size_t i = 0; i < n; i++)
            sb_chat_fail(&items[i].err, 0, "invalid_arguments", "chat: no client");
        return;
    }
    if (chat->ops->send_prompts) {
        chat->ops->send_prompts(chat, items, n, max_in_flight);
        return;
    }
    for (size_t i = 0; i < n && sb_running; i++)
        send_one(chat, &items[i]);
    for (size_t i = 0; i < n; i++) /* shutdown: the rest is the sweep's */
        if (items[i].rc == -1 && !items[i].err.code[0])
            sb_chat_fail(&items[i].err, 1, "interrupted", "chat: shutting down");
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

int sb_chat_refresh_prompt(sb_chat_t *chat, const sb_chat_ref_t *ref, const sb_chat_prompt_t *p,
                           sb_chat_error_t *err) {
    sb_chat_error_t scratch; /* implementations may read err->code */
    err = err ? err : &scratch;
    if (!ref || !p)
        return sb_chat_fail(err, 0, "invalid_arguments", "chat: no message or prompt");
    if (need(chat, "the message's channel", ref->channel, err) == -1 ||
        need(chat, "the message's ts", ref->ts, err) == -1 || sb_chat_prompt_check(p, err) == -1)
        return -1;
    if (!chat->ops->refresh)
        return sb_chat_fail(err, 0, "not_supported", "chat: %s cannot update a prompt",
                            chat->ops->name);
    return chat->ops->refresh(chat, ref, p, err);
}

int sb_chat_post_channel(sb_chat_t *chat, const char *channel, const char *text,
                         sb_chat_error_t *err) {
    sb_chat_error_t scratch; /* implementations may read err->code */
    err = err ? err : &scratch;
    if (need(chat, "the channel", channel, err) == -1 || need(chat, "the text", text, err) == -1)
        return -1;
    return chat->ops->post_channel(chat, channel, text, err);
}

int sb_chat_open_code_modal(sb_chat_t *chat, const char *trigger_id, const char *alert_id,
                            sb_chat_error_t *err) {
    sb_chat_error_t scratch;
    err = err ? err : &scratch;
    if (need(chat, "the trigger id", trigger_id, err) == -1 ||
        need(chat, "the alert id", alert_id, err) == -1)
        return -1;
    if (!chat->ops->open_code_modal)
        return sb_chat_fail(err, 0, "not_supported", "%s: no modals", chat->ops->name);
    if (!sb_chat_utf8_ok(trigger_id) || strlen(trigger_id) > 256 ||
        strlen(alert_id) > SB_CHAT_VALUE_MAX)
        return sb_chat_fail(err, 0, "invalid_arguments", "chat: invalid trigger or alert id");
    return chat->ops->open_code_modal(chat, trigger_id, alert_id, err);
}

int sb_chat_ask(sb_chat_t *chat, const char *what, const char *trigger_id, const char *user,
                const char *alert_id, sb_chat_error_t *err) {
    sb_chat_error_t scratch;
    err = err ? err : &scratch;
    if (need(chat, "the trigger", trigger_id, err) == -1 ||
        need(chat, "the user", user, err) == -1 || need(chat, "the alert id", alert_id, err) == -1)
        return -1;
    if (!what || (strcmp(what, "code") != 0 && strcmp(what, "words") != 0))
        return sb_chat_fail(err, 0, "invalid_arguments", "chat: ask for a code or words");
    if (!chat->ops->ask)
        return sb_chat_fail(err, 0, "unsupported", "%s: no dialogs", chat->ops->name);
    return chat->ops->ask(chat, what, trigger_id, user, alert_id, err);
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

char *sb_chat_detail_text(const cJSON *value) {
    if (cJSON_IsString(value))
        return strdup(value->valuestring);
    return value ? cJSON_PrintUnformatted(value) : NULL;
}
