/* sb-response: its configuration and the hooks the worker skeleton calls. */

/* The decisions live in response.c, answer.c, commands.c and turn.c. */
#include <stdio.h>

#include "response.h"
#include "sb_crypto.h"
#include "sb_worker.h"

#define SWEEP_LIMIT 100

/* What --help says the worker does. */
static const char summary[] =
    "Consumes response events from <prefix>responses and runs each alert's "
    "conversation in PostgreSQL: a yes asks for the employee's one-time code, a no "
    "or three wrong codes publish an escalation request, every decided alert gets "
    "one outcome event; answers from anyone but the alert's employee are refused "
    "and audited.";

typedef struct {
    sb_worker_config_t w;
    char *secret_key_file;
    int require_2fa;
    int64_t comment_window_ms;
    sb_response_t r;
} response_main_t;

/* The at-rest key, when configured. Without it nobody's code can be
 * checked: said once at startup, and to each employee who sends one. */
static int configure(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    response_main_t *m = ctx;
    char why[256];
    m->r = (sb_response_t){.worker = w->name,
                           .platform = m->w.chat.platform,
                           .require_2fa = m->require_2fa,
                           .comment_window_ms = m->comment_window_ms,
                           .sweep_limit = SWEEP_LIMIT};
    if (sb_response_init(&m->r, w->prefix, errstr, errstr_size) == -1)
        return -1;
    if (!m->secret_key_file)
        return 0;
    if (sb_crypto_key_load(m->secret_key_file, m->r.key, why, sizeof(why)) == -1) {
        snprintf(errstr, errstr_size, "SECURITYBOT_SECRET_KEY_FILE: %s", why);
        return -1;
    }
    m->r.has_key = 1;
    return 0;
}

static int start(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    sb_response_t *r = &((response_main_t *)ctx)->r;
    r->db = w->db, r->producer = w->producer, r->metrics = w->metrics, r->chat = w->chat;
    if (!r->has_key)
        sb_log_warn("SECURITYBOT_SECRET_KEY_FILE is not set: enrolled employees' codes cannot be "
                    "checked");
    return 0;
}

static void stop(void *ctx) {
    sb_response_t *r = &((response_main_t *)ctx)->r;
    sb_crypto_wipe(r->key, sizeof(r->key));
}

static int handle(void *ctx, const cJSON *ev, char *errstr, size_t errstr_size) {
    return sb_response_handle(&((response_main_t *)ctx)->r, ev, errstr, errstr_size);
}

static int sweep(void *ctx, char *errstr, size_t errstr_size) {
    return sb_response_sweep(&((response_main_t *)ctx)->r, errstr, errstr_size);
}

int main(int argc, char **argv) {
    static const int64_t sweep_every_ms = 1000; /* between outcome sweeps */
    response_main_t m = {0};
    /* one entry a line: a table that reads on its own */
    /* clang-format off */
    const sb_cfg_entry_t table[] = {
        SB_WORKER_CONFIG_ENTRIES(&m.w, "SECURITYBOT_RESPONSE_GROUP", "securitybot-response"),
        SB_CFG_BOOL("SECURITYBOT_REQUIRE_2FA", &m.require_2fa, "true", "a yes from an employee without a second factor is confirmed_unverified and escalated at low priority (false: simply confirmed)"),
        SB_CFG_DURATION("SECURITYBOT_COMMENT_WINDOW", &m.comment_window_ms, "2m", "after a bare no, how long the employee's next message counts as their explanation"),
        SB_CFG_STR("SECURITYBOT_SECRET_KEY_FILE", &m.secret_key_file, NULL, "32-byte key that opens the TOTP secrets (as for sbctl enroll); unset: codes cannot be checked"),
        SB_CHAT_CONFIG_ENTRIES(&m.w.chat, "replies"),
    };
    static const char *const produces[] = {SB_TOPIC_ESCALATION_REQUESTS, SB_TOPIC_OUTCOMES,
                                           SB_TOPIC_PROMPTS, SB_TOPIC_ALERTS, NULL};
    /* an invalid event is only a warning: the gateway writes only valid ones */
    const sb_worker_spec_t spec = {
        .name = "sb-response", .summary = summary, SB_WORKER_TABLE(table), .settings = &m.w,
        .chat = 1, .db = 1, .consumes = SB_TOPIC_RESPONSES, .produces = produces,
        .configure = configure, .start = start, .stop = stop, .ctx = &m,
        .schema = "response", .what = "response", .invalid_level = SB_LOG_WARN,
        .handle = handle, .skip_permanent = 1, .tick = sweep, .tick_what = "outcome sweep", .tick_every_ms = &sweep_every_ms,
    };
    /* clang-format on */
    return sb_worker_main(&spec, argc, argv);
}
