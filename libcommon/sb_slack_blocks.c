/* sb_slack_blocks: Slack Block Kit for prompts: the alert section, its fields, the buttons. */
#include "sb_slack_blocks.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_time.h"

#define INTRO_MAX 1000 /* of the section's 3000: the intro, the title, then the description */
#define TITLE_MAX 300
#define KEY_MAX   100

static cJSON *text_obj(const char *type, const char *text) {
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "type", type);
    cJSON_AddStringToObject(t, "text", text);
    if (strcmp(type, "plain_text") == 0)
        cJSON_AddBoolToObject(t, "emoji", 1);
    return t;
}

static cJSON *section(const char *mrkdwn) {
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", "section");
    cJSON_AddItemToObject(b, "text", text_obj("mrkdwn", mrkdwn));
    return b;
}

/* The intro, the title in bold and the description, within one section. */
static void prompt_text(sb_buf_t *b, const sb_chat_prompt_t *p) {
    size_t used = 0;
    if (p->intro && *p->intro) {
        used += sb_buf_add_text(b, p->intro, INTRO_MAX, SB_BUF_ENTITIES);
        sb_buf_add(b, "\n\n", 2);
        used += 2;
    }
    sb_buf_add(b, "*", 1);
    used += sb_buf_add_text(b, p->title, TITLE_MAX, SB_BUF_ENTITIES | SB_BUF_ONE_LINE);
    sb_buf_add(b, "*", 1);
    used += 2;
    if (p->description && *p->description) {
        sb_buf_add(b, "\n", 1);
        used++;
        sb_buf_add_text(b, p->description, SB_CHAT_SECTION_MAX - used, SB_BUF_ENTITIES);
    }
}

/* One field: "*name*\nvalue" within SB_CHAT_FIELD_MAX. */
static void add_field(cJSON *fields, const char *name, const char *value, int value_is_mrkdwn) {
    sb_buf_t b = {0};
    size_t used = 3;
    sb_buf_add(&b, "*", 1);
    used +=
        sb_buf_add_text(&b, *name ? name : "(unnamed)", KEY_MAX, SB_BUF_ENTITIES | SB_BUF_ONE_LINE);
    sb_buf_add(&b, "*\n", 2);
    if (value_is_mrkdwn)
        sb_buf_add_str(&b, value);
    else if (!*value || !sb_chat_utf8_ok(value))
        sb_buf_add(&b, *value ? "(invalid UTF-8)" : "-", *value ? 15 : 1);
    else
        sb_buf_add_text(&b, value, SB_CHAT_FIELD_MAX - used, SB_BUF_ENTITIES);
    if (!b.err)
        cJSON_AddItemToArray(fields, text_obj("mrkdwn", b.s));
    sb_buf_free(&b);
}

/* "When": Slack's date formatting shows it in the reader's time zone, with
 * the RFC 3339 text as the fallback. */
static void add_time_field(cJSON *fields, const char *occurred_at) {
    char when[256];
    int64_t us;
    if (sb_time_parse_rfc3339(occurred_at, &us) == 0 && strlen(occurred_at) < 64) {
        snprintf(when, sizeof(when), "<!date^%lld^{date_short_pretty} {time_secs}|%s>",
                 (long long)(us / 1000000 - (us % 1000000 < 0)), occurred_at);
        add_field(fields, "When", when, 1);
    } else {
        add_field(fields, "When", occurred_at, 0);
    }
}

/* The time, then the details in their order; the last field says how many
 * did not fit in SB_CHAT_FIELDS_MAX. */
static cJSON *prompt_fields(const sb_chat_prompt_t *p) {
    cJSON *fields = cJSON_CreateArray();
    int n = 0, room = SB_CHAT_FIELDS_MAX, shown = 0;
    const cJSON *d;
    if (p->occurred_at && *p->occurred_at) {
        add_time_field(fields, p->occurred_at);
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
                  v ? v : "", 0);
        free(v);
        shown++;
    }
    if (shown < n) {
        char more[64];
        snprintf(more, sizeof(more), "%d more not shown", n - shown);
        add_field(fields, "More details", more, 0);
    }
    if (cJSON_GetArraySize(fields) == 0) {
        cJSON_Delete(fields);
        return NULL;
    }
    return fields;
}

static cJSON *button(const char *label, const char *action_id, const char *style,
                     const char *value) {
    sb_buf_t b = {0};
    cJSON *e = cJSON_CreateObject();
    sb_buf_add_text(&b, label, SB_CHAT_BUTTON_MAX, SB_BUF_ONE_LINE);
    cJSON_AddStringToObject(e, "type", "button");
    cJSON_AddItemToObject(e, "text", text_obj("plain_text", b.s ? b.s : label));
    cJSON_AddStringToObject(e, "action_id", action_id);
    if (style) /* none: Slack's default look */
        cJSON_AddStringToObject(e, "style", style);
    cJSON_AddStringToObject(e, "value", value);
    sb_buf_free(&b);
    return e;
}

cJSON *sb_slack_prompt_blocks(const sb_chat_prompt_t *p, const char *answer_text) {
    sb_buf_t b = {0};
    cJSON *blocks = cJSON_CreateArray(), *sec, *fields, *actions, *els;
    prompt_text(&b, p);
    sec = section(sb_buf_str(&b));
    sb_buf_free(&b);
    if ((fields = prompt_fields(p)) != NULL)
        cJSON_AddItemToObject(sec, "fields", fields);
    cJSON_AddItemToArray(blocks, sec);
    if (answer_text) {
        sb_buf_add_text(&b, answer_text, SB_CHAT_SECTION_MAX, SB_BUF_ENTITIES);
        cJSON_AddItemToArray(blocks, section(sb_buf_str(&b)));
        sb_buf_free(&b);
        if (p->enter_code) {
            actions = cJSON_CreateObject();
            cJSON_AddStringToObject(actions, "type", "actions");
            els = cJSON_AddArrayToObject(actions, "elements");
            cJSON_AddItemToArray(els, button(SB_CHAT_ENTER_CODE_LABEL, SB_CHAT_ENTER_CODE_ACTION,
                                             "primary", p->alert_id));
            cJSON_AddItemToArray(blocks, actions);
        }
        return blocks;
    }
    actions = cJSON_CreateObject();
    cJSON_AddStringToObject(actions, "type", "actions");
    els = cJSON_AddArrayToObject(actions, "elements");
    cJSON_AddItemToArray(
        els, button(SB_CHAT_CONFIRM_LABEL, SB_CHAT_CONFIRM_ACTION, "primary", p->alert_id));
    cJSON_AddItemToArray(els,
                         button(SB_CHAT_DENY_LABEL, SB_CHAT_DENY_ACTION, "danger", p->alert_id));
    /* no style: neither a yes nor a no */
    cJSON_AddItemToArray(els,
                         button(SB_CHAT_NOT_ME_LABEL, SB_CHAT_NOT_ME_ACTION, NULL, p->alert_id));
    cJSON_AddItemToArray(blocks, actions);
    return blocks;
}

void sb_slack_fallback_text(sb_buf_t *b, const sb_chat_prompt_t *p) {
    size_t used = 0;
    if (p->intro && *p->intro) {
        used += sb_buf_add_text(b, p->intro, INTRO_MAX, SB_BUF_ENTITIES | SB_BUF_ONE_LINE);
        sb_buf_add(b, " ", 1);
        used++;
    }
    used += sb_buf_add_text(b, p->title, TITLE_MAX, SB_BUF_ENTITIES | SB_BUF_ONE_LINE);
    if (p->description && *p->description) {
        sb_buf_add(b, ": ", 2);
        sb_buf_add_text(b, p->description, SB_CHAT_NOTIFY_MAX - used - 2, SB_BUF_ENTITIES);
    }
}

cJSON *sb_slack_text_blocks(const char *text) {
    sb_buf_t b = {0};
    cJSON *blocks = cJSON_CreateArray();
    sb_buf_add_text(&b, text, SB_CHAT_SECTION_MAX, SB_BUF_ENTITIES);
    cJSON_AddItemToArray(blocks, section(sb_buf_str(&b)));
    sb_buf_free(&b);
    return blocks;
}
