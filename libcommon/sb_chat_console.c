/* sb_chat_console: the console platform: one JSON line per message in a log a person can tail. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sb_buf.h"
#include "sb_chat.h"
#include "sb_time.h"

#define DM_PREFIX "console:"

typedef struct {
    sb_chat_t base; /* first: the vtable */
    int fd;         /* O_APPEND: one write() per line keeps lines whole */
    char *path;
    atomic_llong last_us; /* the last ts handed out, so that ts are unique */
} console_t;

/* A Slack-like ts ("seconds.micros"), strictly increasing per client. */
static void next_ts(console_t *c, char *out, size_t size) {
    long long now = (long long)sb_time_now_us(), last = atomic_load(&c->last_us), ts;
    do {
        ts = now > last ? now : last + 1;
    } while (!atomic_compare_exchange_weak(&c->last_us, &last, ts));
    snprintf(out, size, "%lld.%06lld", ts / 1000000, ts % 1000000);
}

/* Writes line (consumed) as one JSON line with a single write(). */
static int write_line(console_t *c, cJSON *line, sb_chat_error_t *err) {
    char now[32];
    sb_time_format_us(sb_time_now_us(), now, sizeof(now));
    cJSON_AddStringToObject(line, "time", now);
    char *s = cJSON_PrintUnformatted(line);
    cJSON_Delete(line);
    if (!s)
        return sb_chat_fail(err, 1, "out_of_memory", "console: out of memory");
    size_t n = strlen(s);
    char *nl = realloc(s, n + 2);
    if (!nl) {
        free(s);
        return sb_chat_fail(err, 1, "out_of_memory", "console: out of memory");
    }
    nl[n] = '\n';
    nl[n + 1] = '\0';
    ssize_t w;
    do
        w = write(c->fd, nl, n + 1);
    while (w == -1 && errno == EINTR);
    int e = errno;
    free(nl);
    if (w != (ssize_t)(n + 1))
        return sb_chat_fail(err, 1, "io_error", "console: cannot append to %s: %s", c->path,
                            w == -1 ? strerror(e) : "short write");
    return 0;
}

/* The start of a line: op, channel, ts and, when known, the alert. */
static cJSON *line_new(const char *op, const char *channel, const char *ts, const char *alert_id) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "op", op);
    cJSON_AddStringToObject(j, "channel", channel);
    cJSON_AddStringToObject(j, "ts", ts);
    if (alert_id)
        cJSON_AddStringToObject(j, "alert_id", alert_id);
    return j;
}

/* What the person would read: intro, title, description, details, time. */
static void prompt_text(sb_buf_t *b, const sb_chat_prompt_t *p) {
    const cJSON *d;
    if (p->intro && *p->intro) {
        sb_buf_add_text(b, p->intro, SB_CHAT_SECTION_MAX, 0);
        sb_buf_add(b, "\n\n", 2);
    }
    sb_buf_add_text(b, p->title, SB_CHAT_SECTION_MAX, SB_BUF_ONE_LINE);
    if (p->description && *p->description) {
        sb_buf_add(b, "\n", 1);
        sb_buf_add_text(b, p->description, SB_CHAT_SECTION_MAX, 0);
    }
    cJSON_ArrayForEach(d, p->details) {
        char *v = sb_chat_detail_text(d);
        sb_buf_add(b, "\n", 1);
        sb_buf_add_text(b, d->string && sb_chat_utf8_ok(d->string) ? d->string : "?",
                        SB_CHAT_FIELD_MAX, SB_BUF_ONE_LINE);
        sb_buf_add(b, ": ", 2);
        sb_buf_add_text(b, v && sb_chat_utf8_ok(v) ? v : "?", SB_CHAT_FIELD_MAX, 0);
        free(v);
    }
    if (p->occurred_at && *p->occurred_at) {
        sb_buf_add(b, "\nWhen: ", 7);
        sb_buf_add_text(b, p->occurred_at, SB_CHAT_FIELD_MAX, SB_BUF_ONE_LINE);
    }
}

static cJSON *button(const char *label, const char *action_id, const char *style,
                     const char *value) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "text", label);
    cJSON_AddStringToObject(e, "action_id", action_id);
    if (style) /* none: Slack's default look */
        cJSON_AddStringToObject(e, "style", style);
    cJSON_AddStringToObject(e, "value", value);
    return e;
}

/* ---- the operations ------------------------------------------------------ */

static int console_open_dm(sb_chat_t *chat, const char *user, char *out, size_t size,
                           sb_chat_error_t *err) {
    (void)chat;
    int n = snprintf(out, size, DM_PREFIX "%s", user);
    if (n < 0 || (size_t)n >= size || n >= SB_CHAT_CHANNEL_SIZE) {
        out[0] = '\0';
        return sb_chat_fail(err, 0, "invalid_arguments", "console: user id too long");
    }
    return 0;
}

/* The chat user id is the part before "@" (alice@example.com -> alice),
 * the id that `sbctl respond` names. No "@" or nothing before it: 1. */
static int console_lookup_email(sb_chat_t *chat, const char *email, char *out, size_t size,
                                sb_chat_error_t *err) {
    (void)chat;
    const char *at = strchr(email, '@');
    if (!at || at == email)
        return 1;
    if ((size_t)(at - email) >= size)
        return sb_chat_fail(err, 0, "invalid_arguments", "console: user id too long");
    memcpy(out, email, (size_t)(at - email));
    out[at - email] = '\0';
    return 0;
}

/* Copies channel and ts into ref (when not NULL). */
static int fill_ref(sb_chat_ref_t *ref, const char *channel, const char *ts, sb_chat_error_t *err) {
    if (strlen(channel) >= sizeof(ref->channel))
        return sb_chat_fail(err, 0, "invalid_arguments", "console: channel too long");
    if (ref) {
        memcpy(ref->channel, channel, strlen(channel) + 1);
        snprintf(ref->ts, sizeof(ref->ts), "%s", ts);
    }
    return 0;
}

/* A prompt line with its buttons: op "prompt" (a new message) or "update"
 * (the message channel/ts shown again). */
static int prompt_line(console_t *c, const char *op, const char *channel, const char *ts,
                       const sb_chat_prompt_t *p, sb_chat_error_t *err) {
    sb_buf_t b = {0};
    prompt_text(&b, p);
    cJSON *line = line_new(op, channel, ts, p->alert_id);
    cJSON_AddStringToObject(line, "text", sb_buf_str(&b));
    cJSON *buttons = cJSON_AddArrayToObject(line, "buttons");
    cJSON_AddItemToArray(
        buttons, button(SB_CHAT_CONFIRM_LABEL, SB_CHAT_CONFIRM_ACTION, "primary", p->alert_id));
    cJSON_AddItemToArray(buttons,
                         button(SB_CHAT_DENY_LABEL, SB_CHAT_DENY_ACTION, "danger", p->alert_id));
    cJSON_AddItemToArray(buttons,
                         button(SB_CHAT_NOT_ME_LABEL, SB_CHAT_NOT_ME_ACTION, NULL, p->alert_id));
    int oom = b.err;
    sb_buf_free(&b);
    if (oom) {
        cJSON_Delete(line);
        return sb_chat_fail(err, 1, "out_of_memory", "console: out of memory");
    }
    return write_line(c, line, err);
}

static int console_send_prompt(sb_chat_t *chat, const sb_chat_prompt_t *p, sb_chat_ref_t *ref,
                               sb_chat_error_t *err) {
    console_t *c = (console_t *)chat;
    char ts[SB_CHAT_TS_SIZE];
    if (fill_ref(NULL, p->channel, "", err) == -1)
        return -1;
    next_ts(c, ts, sizeof(ts));
    if (prompt_line(c, "prompt", p->channel, ts, p, err) == -1)
        return -1;
    return fill_ref(ref, p->channel, ts, err);
}

static int console_refresh(sb_chat_t *chat, const sb_chat_ref_t *ref, const sb_chat_prompt_t *p,
                           sb_chat_error_t *err) {
    return prompt_line((console_t *)chat, "update", ref->channel, ref->ts, p, err);
}

/* A text line: op "text" (with ref) or "channel". */
static int text_line(console_t *c, const char *op, const char *channel, const char *text,
                     sb_chat_ref_t *ref, sb_chat_error_t *err) {
    sb_buf_t b = {0};
    char ts[SB_CHAT_TS_SIZE];
    if (fill_ref(NULL, channel, "", err) == -1)
        return -1;
    next_ts(c, ts, sizeof(ts));
    sb_buf_add_text(&b, text, SB_CHAT_TEXT_MAX, 0);
    cJSON *line = line_new(op, channel, ts, NULL);
    cJSON_AddStringToObject(line, "text", sb_buf_str(&b));
    sb_buf_free(&b);
    if (write_line(c, line, err) == -1)
        return -1;
    return fill_ref(ref, channel, ts, err);
}

static int console_send_text(sb_chat_t *chat, const char *channel, const char *text,
                             sb_chat_ref_t *ref, sb_chat_error_t *err) {
    return text_line((console_t *)chat, "text", channel, text, ref, err);
}

static int console_post_channel(sb_chat_t *chat, const char *channel, const char *text,
                                sb_chat_error_t *err) {
    return text_line((console_t *)chat, "channel", channel, text, NULL, err);
}

/* The message ref->ts now reads text (after the alert, when p); no buttons. */
static int console_update(sb_chat_t *chat, const sb_chat_ref_t *ref, const sb_chat_prompt_t *p,
                          const char *text, sb_chat_error_t *err) {
    sb_buf_t b = {0};
    if (p) {
        prompt_text(&b, p);
        sb_buf_add(&b, "\n\n", 2);
    }
    sb_buf_add_text(&b, text, SB_CHAT_TEXT_MAX, 0);
    cJSON *line = line_new("update", ref->channel, ref->ts, p ? p->alert_id : NULL);
    cJSON_AddStringToObject(line, "text", sb_buf_str(&b));
    cJSON_AddArrayToObject(line, "buttons");
    sb_buf_free(&b);
    return write_line((console_t *)chat, line, err);
}

static void console_destroy(sb_chat_t *chat) {
    console_t *c = (console_t *)chat;
    if (c->fd >= 0)
        close(c->fd);
    free(c->path);
    free(c);
}

static const sb_chat_ops_t console_ops = {
    .name = "console",
    .destroy = console_destroy,
    .open_dm = console_open_dm,
    .lookup_email = console_lookup_email,
    .send_prompt = console_send_prompt,
    .send_text = console_send_text,
    .update = console_update,
    .refresh = console_refresh,
    .post_channel = console_post_channel,
};

/* Creates the log's directory when it is missing (one level: "var/"). */
static void make_parent(const char *path) {
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash || slash == path || (size_t)(slash - path) >= sizeof(dir))
        return;
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    if (mkdir(dir, 0755) == -1 && errno != EEXIST)
        return; /* open() reports the problem */
}

sb_chat_t *sb_chat_console_new(const sb_chat_config_t *cfg, char *errstr, size_t errstr_size) {
    const char *path = cfg->console_log_path && *cfg->console_log_path
                           ? cfg->console_log_path
                           : SB_CHAT_DEFAULT_CONSOLE_LOG;
    console_t *c = calloc(1, sizeof(*c));
    if (!c || !(c->path = strdup(path))) {
        free(c);
        snprintf(errstr, errstr_size, "console: out of memory");
        return NULL;
    }
    c->base.ops = &console_ops;
    atomic_init(&c->last_us, 0);
    make_parent(path);
    c->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (c->fd == -1) {
        snprintf(errstr, errstr_size, "console: cannot open %s: %s", path, strerror(errno));
        console_destroy(&c->base);
        return NULL;
    }
    return &c->base;
}
