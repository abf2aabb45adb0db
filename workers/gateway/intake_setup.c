/* intake_setup: configure, start, reload on SIGHUP and stop sb-gateway's alert intake. */
#include "intake_setup.h"

#include <stdio.h>

#include "sb_log.h"

int sb_intake_setup_configure(sb_intake_setup_t *s, const char *prefix, char *errstr,
                              size_t errstr_size) {
    if (sb_kafka_topic(s->alerts, sizeof(s->alerts), prefix, SB_TOPIC_ALERTS) == -1 ||
        sb_kafka_topic(s->dlq, sizeof(s->dlq), prefix, SB_TOPIC_ALERTS_DLQ) == -1) {
        snprintf(errstr, errstr_size, "SECURITYBOT_TOPIC_PREFIX is too long");
        return -1;
    }
    if (!s->tokens_file || !*s->tokens_file)
        return 0; /* the intake is off */
    s->tokens = sb_tokens_load(s->tokens_file, errstr, errstr_size);
    return s->tokens ? 0 : -1;
}

int sb_intake_setup_start(sb_intake_setup_t *s, sb_publisher_t *pub, sb_metrics_t *metrics,
                          char *errstr, size_t errstr_size) {
    sb_intake_config_t ic = {.tokens_file = s->tokens_file,
                             .rate = (double)s->rate,
                             .alerts_topic = s->alerts,
                             .dlq_topic = s->dlq,
                             .user_label = s->user_label,
                             .pub = pub,
                             .metrics = metrics};
    size_t ntokens = sb_tokens_count(s->tokens);

    if (!s->tokens)
        return 0; /* the intake is off */
    s->intake = sb_intake_new(&ic, s->tokens, errstr, errstr_size);
    s->tokens = NULL; /* the intake's now, whatever the outcome */
    if (!s->intake)
        return -1;
    sb_log_info("intake on: %zu token(s) from %s", ntokens, s->tokens_file);
    return 0;
}

void sb_intake_setup_reload(sb_intake_setup_t *s) {
    char errstr[512];
    size_t n = 0;

    if (!s->intake)
        sb_log_info("SIGHUP: nothing to reload (SECURITYBOT_INTAKE_TOKENS_FILE is not set)");
    else if (sb_intake_reload(s->intake, &n, errstr, sizeof(errstr)) == 0)
        sb_log_info("SIGHUP: intake tokens reloaded, %zu token(s)", n);
    else
        sb_log_error("SIGHUP: %s; the tokens loaded before stay in force", errstr);
}

void sb_intake_setup_stop(sb_intake_setup_t *s) {
    sb_intake_destroy(s->intake);
    s->intake = NULL;
    sb_tokens_destroy(s->tokens); /* when start never ran */
    s->tokens = NULL;
}
