/* sb-prompt: its configuration and the hooks the worker skeleton calls. */

/* The decisions live in prompt.c, the message texts in texts.c. */
#include <stdio.h>
#include <string.h>

#include "loop.h"
#include "prompt.h"
#include "sb_worker.h"
#include "texts.h"

#define RESEND_AFTER_MS 3000 /* a claim this old without chat_ts is the sweep's */
#define SWEEP_LIMIT     100

/* What --help says the worker does. */
static const char summary[] =
    "Consumes prompt requests from <prefix>prompts and sends each employee their "
    "alerts in chat, one conversation at a time, most severe first; records where "
    "each prompt went in PostgreSQL. Employees the chat platform cannot reach get "
    "an escalation request (unknown_employee). Alerts at or below "
    "SECURITYBOT_OFF_HOURS_MAX_SEVERITY that would be asked outside the employee's "
    "working hours, in their time zone, are held until their next working period. "
    "Alerts of one employee and rule within SECURITYBOT_COALESCE_WINDOW become one "
    "question, whose message shows their count.";

typedef struct {
    sb_worker_config_t w;
    char *messages_file;
    int64_t sweep_every_ms;
    int max_in_flight;
    int64_t coalesce_window_ms;
    sb_texts_t texts;
    sb_hours_config_t hours;
    sb_prompt_t pr;
} prompt_main_t;

static int configure(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    prompt_main_t *m = ctx;
    const sb_chat_settings_t *c = &m->w.chat;
    /* Mattermost's buttons post to the gateway with a proof made here */
    if (c->platform && !strcmp(c->platform, "mattermost") &&
        (!c->public_url || !*c->public_url || !c->mm_actions_secret || !*c->mm_actions_secret)) {
        snprintf(errstr, errstr_size, "SECURITYBOT_CHAT=mattermost needs %s",
                 !c->public_url || !*c->public_url ? "SECURITYBOT_PUBLIC_URL"
                                                   : "MATTERMOST_ACTIONS_SECRET");
        return SB_WORKER_CONFIG_ERROR;
    }
    m->pr = (sb_prompt_t){.worker = w->name,
                          .texts = &m->texts,
                          .resend_after_ms = RESEND_AFTER_MS,
                          .sweep_limit = SWEEP_LIMIT,
                          .hours = &m->hours,
                          .max_in_flight = m->max_in_flight,
                          .coalesce_window_ms = m->coalesce_window_ms};
    if (sb_hours_settle(&m->hours, errstr, errstr_size) == -1)
        return SB_WORKER_CONFIG_ERROR;
    if (sb_prompt_init(&m->pr, w->prefix, errstr, errstr_size) == -1)
        return -1;
    return sb_texts_load(&m->texts, m->messages_file, errstr, errstr_size);
}

static int start(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    sb_prompt_t *pr = &((prompt_main_t *)ctx)->pr;
    pr->db = w->db, pr->producer = w->producer, pr->metrics = w->metrics, pr->chat = w->chat;
    return 0;
}

static void stop(void *ctx) {
    sb_texts_free(&((prompt_main_t *)ctx)->texts);
}

/* A prompt request only wakes its employee: the alert itself is in
 * PostgreSQL already. The requests of a poll are handled together (loop.c);
 * no failure is skipped as permanent: the sweep would find the employees
 * anyway, but a wake-up that keeps failing means the database is away,
 * and waiting for it is right. */
static int run(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    prompt_main_t *m = ctx;
    (void)errstr, (void)errstr_size;
    return sb_prompt_run(&m->pr, w, m->sweep_every_ms);
}

int main(int argc, char **argv) {
    prompt_main_t m = {0};
    /* one entry a line: a table that reads on its own */
    /* clang-format off */
    const sb_cfg_entry_t table[] = {
        SB_WORKER_CONFIG_ENTRIES(&m.w, "SECURITYBOT_PROMPT_GROUP", "securitybot-prompt"),
        SB_CFG_DURATION("SECURITYBOT_PROMPT_SWEEP_EVERY", &m.sweep_every_ms, "1s", "how often to look for unsent claims and employees free for their next alert"),
        SB_CFG_INT("SECURITYBOT_PROMPT_MAX_IN_FLIGHT", &m.max_in_flight, "64", 1, 1024, "Slack calls on the wire at once when a batch of prompts goes out (1: one after the other); Mattermost and console send one at a time"),
        SB_CFG_DURATION("SECURITYBOT_COALESCE_WINDOW", &m.coalesce_window_ms, "10m", "alerts of one employee and one rule that arrive while a question about that rule is open, or within this long before it is asked, become one question (never a higher severity or a critical one; 0: every alert asked on its own)"),
        SB_CHAT_CONFIG_ENTRIES(&m.w.chat, "prompts"),
        SB_HOURS_CONFIG_ENTRIES(&m.hours),
        SB_CFG_STR("SECURITYBOT_MESSAGES_FILE", &m.messages_file, NULL, "message templates (JSON, e.g. deploy/messages.json); unset: built-in texts"),
    };
    static const char *const produces[] = {SB_TOPIC_ESCALATION_REQUESTS, NULL};
    const sb_worker_spec_t spec = {
        .name = "sb-prompt", .summary = summary, SB_WORKER_TABLE(table), .settings = &m.w,
        .chat = 1, .db = 1, .consumes = SB_TOPIC_PROMPTS, .produces = produces,
        .configure = configure, .start = start, .stop = stop, .ctx = &m,
        .run = run,
    };
    /* clang-format on */
    return sb_worker_main(&spec, argc, argv);
}
