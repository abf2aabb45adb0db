/* sb_mm_post: Mattermost posts for prompts: the attachment with the alert, its fields, the buttons
 * and their proofs. */
#include "sb_mm_post.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_mmctx.h"

#define INTRO_MAX  1000
#define TITLE_MAX  300
#define KEY_MAX    100
#define FIELD_MAX  2000
#define FIELDS_MAX 10

size_t sb_mm_add_text(sb_buf_t *b, const char *s, size_t max, int keep_emphasis) {
    sb_buf_t cut = {0};
    size_t n = sb_buf_add_text(&cut, s, max, 0);
    for (const char *c = sb_buf_str(&cut); *c; c++) {
        if (*c == '@') {
            sb_buf_add(b, "@\xe2\x80\x8b", 4); /* U+200B: no mention */
            continue;
        }
        if (strchr("\\`[]~#|<>", *c) || (!keep_emphasis && strchr("*_", *c)))
            sb_buf_add(b, "\\", 1);
        sb_buf_add(b, c, 1);
    }
    if (cut.err)
        b->err = 1;
    sb_buf_free(&cut);
    return n;
}

/* One line of a code block: verbatim (Markdown reads no escape there), but
 * a run of backticks cannot close the fence (U+200B after each) and "@"
 * mentions nobody. */
static void add_code_line(sb_buf_t *b, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        sb_buf_add(b, s + i, 1);
        if (s[i] == '`' || s[i] == '@')
            sb_buf_add(b, "\xe2\x80\x8b", 3);
    }
}

size_t sb_mm_add_bot_text(sb_buf_t *b, const char *s, size_t max) {
    sb_buf_t cut = {0};
    size_t n = sb_buf_add_text(&cut, s, max, 0);
    const char *c = sb_buf_str(&cut);
    int code = 0;

    while (*c) {
        size_t len = strcspn(c, "\n");
        char *line = strndup(c, len);
        if (!line)
            b->err = 1;
        else if (len == 3 && !strcmp(line, "```")) {
            code = !code;
            sb_buf_add(b, "```", 3);
        } else if (code)
            add_code_line(b, line, len);
        else
            sb_mm_add_text(b, line, len, 1);
        free(line);
        c += len;
        if (*c == '\n') {
            sb_buf_add(b, "\n", 1);
            c++;
        }
    }
    if (code) /* cut inside the block: close it */
        sb_buf_add(b, "\n```", 4);
    if (cut.err)
        b->err = 1;
    sb_buf_free(&cut);
    return n;
}

void sb_mm_add_slack_decoded(sb_buf_t *b, const char *s) {
    static const char *const entities[] = {"&amp;", "&lt;", "&gt;"};
    static const char chars[] = "&<>";
    const size_t n = sizeof(entities) / sizeof(entities[0]);
    while (s && *s) {
        size_t run = strcspn(s, "&"), i = 0;
        sb_buf_add(b, s, run);
        s += run;
        if (!*s)
            break;
        while (i < n && strncmp(s, entities[i], strlen(entities[i])) != 0)
            i++;
        sb_buf_add(b, i < n ? &chars[i] : s, 1); /* an "&" of no entity: as it is */
        s += i < n ? strlen(entities[i]) : 1;
    }
}

/* "**title**" and the description, within SB_MM_TEXT_MAX. */
static void alert_text(sb_buf_t *b, const sb_chat_prompt_t *p) {
    size_t used = 4;
    sb_buf_add(b, "**", 2);
    used += sb_mm_add_text(b, p->title, TITLE_MAX, 0);
    sb_buf_add(b, "**", 2);
    if (p->description && *p->description) {
        sb_buf_add(b, "\n", 1);
        sb_mm_add_text(b, p->description, SB_MM_TEXT_MAX - used - 1, 0);
    }
}

/* One field: its title plain (one line), its value Markdown shown literally. */
static void add_field(cJSON *fields, const char *name, const char *value) {
    sb_buf_t t = {0}, v = {0};
    cJSON *f = cJSON_CreateObject();
    sb_buf_add_text(&t, *name ? name : "(unnamed)", KEY_MAX, SB_BUF_ONE_LINE);
    if (!*value || !sb_chat_utf8_ok(value))
        sb_buf_add_str(&v, *value ? "(invalid UTF-8)" : "-");
    else
        sb_mm_add_text(&v, value, FIELD_MAX, 0);
    cJSON_AddStringToObject(f, "title", sb_buf_str(&t));
    cJSON_AddStringToObject(f, "value", sb_buf_str(&v));
    cJSON_AddBoolToObject(f, "short", 1);
    cJSON_AddItemToArray(fields, f);
    sb_buf_free(&t);
    sb_buf_free(&v);
}

/* The time, then the details in their order; the last field says how many
 * did not fit in FIELDS_MAX. NULL when there are none. */
static cJSON *prompt_fields(const sb_chat_prompt_t *p) {
    cJSON *fields = cJSON_CreateArray();
    int n = 0, room = FIELDS_MAX, shown = 0;
    const cJSON *d;
    if (p->occurred_at && *p->occurred_at) {
        add_field(fields, "When", p->occurred_at);
        room--;
    }
    cJSON_ArrayForEach(d, p->details) n++;
    cJSON_ArrayForEach(d, p->details) {
        if (n > room && shown == room - 1)
            break;
        char *v = sb_chat_detail_text(d);
        add_field(fields,
                  !d->string                   ? ""
                  : sb_chat_utf8_ok(d->string) ? d->string
                                               : "(invalid UTF-8)",
                  v ? v : "");
        free(v);
        shown++;
    }
    if (shown < n) {
        char more[64];
        snprintf(more, sizeof(more), "%d more not shown", n - shown);
        add_field(fields, "More details", more);
    }
    if (cJSON_GetArraySize(fields) == 0) {
        cJSON_Delete(fields);
        return NULL;
    }
    return fields;
}

/* A button whose context proves the action for the prompt's user. */
static cJSON *button(const sb_chat_prompt_t *p, const sb_mm_buttons_t *bt, const char *id,
                     const char *label, const char *action, const char *style) {
    sb_mmctx_t c = {.expires = bt->expires};
    cJSON *e, *in, *ctx;
    snprintf(c.alert_id, sizeof(c.alert_id), "%s", p->alert_id);
    snprintf(c.action, sizeof(c.action), "%s", action);
    snprintf(c.user_id, sizeof(c.user_id), "%s", p->chat_user_id ? p->chat_user_id : "");
    if (strlen(p->alert_id) >= sizeof(c.alert_id) || !(ctx = sb_mmctx_make(bt->secret, &c)))
        return NULL;
    e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "id", id);
    cJSON_AddStringToObject(e, "type", "button");
    cJSON_AddStringToObject(e, "name", label);
    cJSON_AddStringToObject(e, "style", style);
    in = cJSON_AddObjectToObject(e, "integration");
    cJSON_AddStringToObject(in, "url", bt->actions_url);
    if (!in)
        cJSON_Delete(ctx);
    else
        cJSON_AddItemToObject(in, "context", ctx);
    return e;
}

static cJSON *buttons(const sb_chat_prompt_t *p, const sb_mm_buttons_t *bt) {
    cJSON *a = cJSON_CreateArray();
    cJSON *yes = button(p, bt, SB_MM_CONFIRM_ID, SB_CHAT_CONFIRM_LABEL, "confirm", "good");
    cJSON *no = button(p, bt, SB_MM_DENY_ID, SB_CHAT_DENY_LABEL, "deny", "danger");
    cJSON *not_me = button(p, bt, SB_MM_NOT_ME_ID, SB_CHAT_NOT_ME_LABEL, "not_me", "default");
    if (!a || !yes || !no || !not_me) {
        cJSON_Delete(a);
        cJSON_Delete(yes);
        cJSON_Delete(no);
        cJSON_Delete(not_me);
        return NULL;
    }
    cJSON_AddItemToArray(a, yes);
    cJSON_AddItemToArray(a, no);
    cJSON_AddItemToArray(a, not_me);
    return a;
}

cJSON *sb_mm_prompt_props(const sb_chat_prompt_t *p, const sb_mm_buttons_t *bt,
                          const char *answer_text, const char **why) {
    sb_buf_t b = {0}, fb = {0};
    cJSON *props = cJSON_CreateObject(), *att = cJSON_CreateObject(), *fields, *acts;
    *why = "out of memory";
    alert_text(&b, p);
    if (answer_text) {
        sb_buf_add(&b, "\n\n", 2);
        sb_mm_add_text(&b, answer_text, SB_MM_TEXT_MAX, 1);
    }
    sb_mm_prompt_message(&fb, p);
    cJSON_AddStringToObject(att, "fallback", sb_buf_str(&fb));
    cJSON_AddStringToObject(att, "color", answer_text ? "#8d99ae" : "#d24b4e");
    cJSON_AddStringToObject(att, "text", sb_buf_str(&b));
    if ((fields = prompt_fields(p)) != NULL)
        cJSON_AddItemToObject(att, "fields", fields);
    if (!answer_text) {
        if (!bt || !(acts = buttons(p, bt))) {
            *why = "cannot make the buttons' context (MATTERMOST_ACTIONS_SECRET, the user id)";
            goto fail;
        }
        cJSON_AddItemToObject(att, "actions", acts);
    }
    if (b.err || fb.err || !props || !att)
        goto fail;
    cJSON_AddItemToArray(cJSON_AddArrayToObject(props, "attachments"), att);
    sb_buf_free(&b);
    sb_buf_free(&fb);
    *why = NULL;
    return props;
fail:
    sb_buf_free(&b);
    sb_buf_free(&fb);
    cJSON_Delete(att);
    cJSON_Delete(props);
    return NULL;
}

void sb_mm_prompt_message(sb_buf_t *b, const sb_chat_prompt_t *p) {
    if (p->intro && *p->intro)
        sb_mm_add_text(b, p->intro, INTRO_MAX, 1);
    else
        sb_mm_add_text(b, p->title, TITLE_MAX, 0);
}

/* The dialog's one input. */
static cJSON *element(int words) {
    cJSON *e = cJSON_CreateObject();
    if (!e || !cJSON_AddStringToObject(e, "display_name", words ? "What happened?" : "Code") ||
        !cJSON_AddStringToObject(e, "name", words ? "words" : "code") ||
        !cJSON_AddStringToObject(e, "type", words ? "textarea" : "text") ||
        !cJSON_AddNumberToObject(e, "min_length", words ? 1 : 6) ||
        !cJSON_AddNumberToObject(e, "max_length", words ? SB_MM_WORDS_MAX : 8) ||
        !cJSON_AddStringToObject(e, "help_text",
                                 words ? "A few words for the security team."
                                       : "The 6-digit code your authenticator app shows now.")) {
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

cJSON *sb_mm_dialog(const char *what, const char *trigger_id, const char *dialogs_url,
                    const char *secret, const char *user_id, const char *alert_id,
                    int64_t expires) {
    int words = strcmp(what, "words") == 0;
    sb_mmctx_t c = {.expires = expires};
    cJSON *root = cJSON_CreateObject(), *dialog, *elements, *ctx = NULL, *el;
    char *state = NULL;

    snprintf(c.alert_id, sizeof(c.alert_id), "%s", alert_id);
    snprintf(c.action, sizeof(c.action), "%s", words ? "words" : "code");
    snprintf(c.user_id, sizeof(c.user_id), "%s", user_id);
    if (strlen(alert_id) >= sizeof(c.alert_id) || strlen(user_id) >= sizeof(c.user_id) ||
        !(ctx = sb_mmctx_make(secret, &c)) || !(state = cJSON_PrintUnformatted(ctx)))
        goto fail;
    if (!root || !cJSON_AddStringToObject(root, "trigger_id", trigger_id) ||
        !cJSON_AddStringToObject(root, "url", dialogs_url) ||
        !(dialog = cJSON_AddObjectToObject(root, "dialog")) ||
        !cJSON_AddStringToObject(dialog, "callback_id", words ? "sbwords" : "sbcode") ||
        !cJSON_AddStringToObject(dialog, "title", words ? "What happened?" : "Confirm it's you") ||
        !cJSON_AddStringToObject(
            dialog, "introduction_text",
            words ? "You answered *no, this wasn't me*; the security team has been told. If you "
                    "can, tell them what you think happened."
                  : "You answered *yes, this was me*. To make sure it's really you, enter the "
                    "code from your authenticator app.") ||
        !cJSON_AddStringToObject(dialog, "submit_label", "Send") ||
        !cJSON_AddFalseToObject(dialog, "notify_on_cancel") ||
        !cJSON_AddStringToObject(dialog, "state", state) ||
        !(elements = cJSON_AddArrayToObject(dialog, "elements")) || !(el = element(words)))
        goto fail;
    cJSON_AddItemToArray(elements, el); /* owned by the dialog from here */
    cJSON_Delete(ctx);
    free(state);
    return root;
fail:
    cJSON_Delete(ctx);
    cJSON_Delete(root);
    free(state);
    return NULL;
}
