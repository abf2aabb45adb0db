/* sb-response: its configuration and the hooks the worker skeleton calls. */

/* The decisions live in response.c, answer.c, commands.c and turn.c. */
#include <stdio.h>

#include "batch.h"
#include "duo.h"
#include "response.h"
#include "sb_crypto.h"
#include "sb_curl.h"
#include "sb_severity.h"
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
    /* Duo (unset host: no Duo; employees on Duo are then as without a factor) */
    char *duo_host, *duo_ikey, *duo_skey, *duo_url;
    long duo_threads;
    int64_t duo_give_up_ms, duo_timeout_ms;
    int64_t reuse_window_ms;
    char duo_base[512];
    char *reuse_max;
    char *security_channel;
    long max_failures, test_per_hour; /* SB_CFG_INT targets are long */
    long batch_max, lanes;
    sb_duo_poll_config_t duo;
    sb_duo_poll_t *poll;
} response_main_t;

/* The Duo settings hang together: a host needs both keys. */
static int configure_duo(response_main_t *m, char *errstr, size_t errstr_size) {
    if (!m->duo_host || !*m->duo_host)
        return 0;
    if (!m->duo_ikey || !*m->duo_ikey || !m->duo_skey || !*m->duo_skey) {
        snprintf(errstr, errstr_size,
                 "SECURITYBOT_DUO_API_HOST needs SECURITYBOT_DUO_IKEY and "
                 "SECURITYBOT_DUO_SKEY");
        return SB_WORKER_CONFIG_ERROR;
    }
    snprintf(m->duo_base, sizeof(m->duo_base), "%s%s", m->duo_url && *m->duo_url ? "" : "https://",
             m->duo_url && *m->duo_url ? m->duo_url : m->duo_host);
    /* every request carries the signature made with the secret key */
    if (sb_curl_check_secret_url("SECURITYBOT_DUO_URL", m->duo_base, errstr, errstr_size) == -1)
        return SB_WORKER_CONFIG_ERROR;
    m->duo = (sb_duo_poll_config_t){
        .duo = {.api_host = m->duo_host,
                .base_url = m->duo_base,
                .ikey = m->duo_ikey,
                .skey = m->duo_skey,
                .timeout_ms = (long)m->duo_timeout_ms},
        .database_url = m->w.common.database_url,
        .chat = &m->w.chat,
        .base = &m->r,
        .threads = (int)m->duo_threads,
        .give_up_ms = m->duo_give_up_ms,
    };
    m->r.duo_enabled = 1;
    return 0;
}

/* The at-rest key, when configured. Without it nobody's code can be
 * checked: said once at startup, and to each employee who sends one. */
static int configure(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    response_main_t *m = ctx;
    char why[256];
    int rc;
    m->r = (sb_response_t){.worker = w->name,
                           .platform = m->w.chat.platform,
                           .security_channel = m->security_channel,
                           .max_failures = (int)m->max_failures,
                           .test_per_hour = (int)m->test_per_hour,
                           .require_2fa = m->require_2fa,
                           .comment_window_ms = m->comment_window_ms,
                           .reuse_window_ms = m->reuse_window_ms,
                           .sweep_limit = SWEEP_LIMIT};
    if (sb_response_init(&m->r, w->prefix, errstr, errstr_size) == -1)
        return -1;
    if ((rc = configure_duo(m, errstr, errstr_size)) != 0)
        return rc;
    if ((m->r.reuse_max_rank = sb_severity_rank(m->reuse_max)) < 0) {
        snprintf(errstr, errstr_size,
                 "SECURITYBOT_2FA_REUSE_MAX_SEVERITY: low, medium, high or critical");
        return SB_WORKER_CONFIG_ERROR;
    }
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
    response_main_t *m = ctx;
    sb_response_t *r = &m->r;
    r->db = w->db, r->producer = w->producer, r->metrics = w->metrics, r->chat = w->chat;
    if (!r->has_key)
        sb_log_warn("SECURITYBOT_SECRET_KEY_FILE is not set: enrolled employees' codes cannot be "
                    "checked");
    if (!r->duo_enabled) {
        sb_log_info("SECURITYBOT_DUO_API_HOST is not set: employees on Duo are treated as "
                    "having no second factor");
        return 0;
    }
    /* the Duo threads copy r: every client it borrows exists by now */
    return (m->poll = sb_duo_poll_start(&m->duo, errstr, errstr_size)) ? 0 : -1;
}

static void stop(void *ctx) {
    response_main_t *m = ctx;
    sb_duo_poll_stop(m->poll);
    m->poll = NULL;
    sb_crypto_wipe(m->r.key, sizeof(m->r.key));
}

/* The consume loop: a poll's answers in one transaction (batch.c). */
static int run(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    response_main_t *m = ctx;
    const sb_response_batching_t b = {.batch_max = (int)m->batch_max,
                                      .lanes = (int)m->lanes,
                                      .database_url = m->w.common.database_url,
                                      .sweep_every_ms = 1000};
    if (sb_response_run(&m->r, w, &b) == -1) {
        snprintf(errstr, errstr_size, "SECURITYBOT_RESPONSE_LANES: no memory or connection");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    response_main_t m = {0};
    /* one entry a line: a table that reads on its own */
    /* clang-format off */
    const sb_cfg_entry_t table[] = {
        SB_WORKER_CONFIG_ENTRIES(&m.w, "SECURITYBOT_RESPONSE_GROUP", "securitybot-response"),
        SB_CFG_BOOL("SECURITYBOT_REQUIRE_2FA", &m.require_2fa, "true", "a yes from an employee without a second factor is confirmed_unverified and escalated at low priority (false: simply confirmed)"),
        SB_CFG_DURATION("SECURITYBOT_COMMENT_WINDOW", &m.comment_window_ms, "2m", "after a bare no, how long the employee's next message counts as their explanation"),
        SB_CFG_STR("SECURITYBOT_SECRET_KEY_FILE", &m.secret_key_file, NULL, "32-byte key that opens the TOTP secrets (as for sbctl enroll); unset: codes cannot be checked"),
        SB_CFG_DURATION_OR_OFF("SECURITYBOT_2FA_REUSE_WINDOW", &m.reuse_window_ms, "0", "a yes from an employee who passed a second factor within this long is confirmed without asking again (second factor reused); 0: never"),
        SB_CFG_STR("SECURITYBOT_2FA_REUSE_MAX_SEVERITY", &m.reuse_max, "medium", "the reuse window never applies above this severity (low, medium, high, critical)"),
        SB_CFG_INT("SECURITYBOT_2FA_MAX_FAILURES", &m.max_failures, "10", 1, 1000, "failed codes or denied pushes per employee per hour; beyond it codes are refused unchecked and the open alert is escalated second_factor_locked"),
        SB_CFG_INT("SECURITYBOT_RESPONSE_BATCH_MAX", &m.batch_max, "64", 1, SB_RESPONSE_BATCH_LIMIT, "response events handled together, from what one poll already holds: one transaction per lane, a savepoint per answer only after one failed (1: one answer at a time)"),
        SB_CFG_INT("SECURITYBOT_RESPONSE_LANES", &m.lanes, "4", 1, 16, "transactions this replica runs at once over a batch, each on its own PostgreSQL connection, a partition's answers always in one of them (1: one transaction per batch)"),
        SB_CFG_INT("SECURITYBOT_TEST_PER_HOUR", &m.test_per_hour, "3", 0, 1000, "test alerts an employee may ask for per hour"),
        SB_CFG_STR("SECURITYBOT_SECURITY_CHANNEL", &m.security_channel, NULL, "the security team's channel (Slack channel id), told of each ignore, stop and start from chat; unset: logged only"),
        SB_CFG_STR("SECURITYBOT_DUO_API_HOST", &m.duo_host, NULL, "Duo Auth API host (api-XXXXXXXX.duosecurity.com), always the one signed; unset: no Duo"),
        SB_CFG_STR("SECURITYBOT_DUO_IKEY", &m.duo_ikey, NULL, "Duo integration key (with SECURITYBOT_DUO_API_HOST)"),
        SB_CFG_SECRET("SECURITYBOT_DUO_SKEY", &m.duo_skey, "Duo secret key (with SECURITYBOT_DUO_API_HOST)"),
        SB_CFG_STR("SECURITYBOT_DUO_URL", &m.duo_url, NULL, "base URL of the Duo API (unset: https:// + SECURITYBOT_DUO_API_HOST; tests point it at the fake)"),
        SB_CFG_INT("SECURITYBOT_DUO_THREADS", &m.duo_threads, "4", 1, SB_DUO_MAX_THREADS, "Duo pushes in flight handled at once by this replica (one thread each)"),
        SB_CFG_DURATION("SECURITYBOT_DUO_TIMEOUT", &m.duo_timeout_ms, "75s", "one call to Duo, whole exchange (auth_status long-polls up to about a minute); a crashed replica's pushes are taken over this + 15 s later"),
        SB_CFG_DURATION("SECURITYBOT_DUO_UNAVAILABLE_AFTER", &m.duo_give_up_ms, "5m", "Duo silent (errors, 5xx, 429) this long: the employee is told and the alert escalated second_factor_unavailable"),
        SB_CHAT_CONFIG_ENTRIES(&m.w.chat, "replies"),
    };
    static const char *const produces[] = {SB_TOPIC_ESCALATION_REQUESTS, SB_TOPIC_OUTCOMES,
                                           SB_TOPIC_PROMPTS, SB_TOPIC_ALERTS, NULL};
    const sb_worker_spec_t spec = {
        .name = "sb-response", .summary = summary, SB_WORKER_TABLE(table), .settings = &m.w,
        .chat = 1, .db = 1, .consumes = SB_TOPIC_RESPONSES, .produces = produces,
        .configure = configure, .start = start, .stop = stop, .ctx = &m,
        .run = run,
    };
    /* clang-format on */
    return sb_worker_main(&spec, argc, argv);
}
