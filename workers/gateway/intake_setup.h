/* intake_setup: the alert intake's life in sb-gateway, one call per worker hook. */
#ifndef SB_GATEWAY_INTAKE_SETUP_H
#define SB_GATEWAY_INTAKE_SETUP_H

#include <stddef.h>

#include "intake.h"
#include "publisher.h"
#include "sb_kafka.h"
#include "sb_metrics.h"
#include "tokens.h"

/* The intake's settings (filled by the configuration table) and what the
 * hooks make of them. Zero-initialise; main.c owns it, the functions below
 * fill and empty it. */
typedef struct {
    char *tokens_file; /* SECURITYBOT_INTAKE_TOKENS_FILE; NULL or "": the intake is off */
    long rate;         /* SECURITYBOT_INTAKE_RATE */
    char *user_label;  /* SECURITYBOT_ALERTMANAGER_USER_LABEL */
    char alerts[SB_TOPIC_MAX], dlq[SB_TOPIC_MAX]; /* <prefix>alerts, <prefix>alerts.dlq */
    sb_tokens_t *tokens;                          /* owned from configure until start */
    sb_intake_t *intake;                          /* owned from start; NULL: the intake is off */
} sb_intake_setup_t;

/* The configure hook's part: the topic names, and the tokens file read
 * now, so a bad file exits 2 before anything serves. 0, or -1 with
 * errstr. */
int sb_intake_setup_configure(sb_intake_setup_t *s, const char *prefix, char *errstr,
                              size_t errstr_size);

/* The start hook's part: the intake, when configured (s->intake stays NULL
 * otherwise), publishing through pub (borrowed, must outlive it). Logs
 * "intake on". 0, or -1 with errstr. */
int sb_intake_setup_start(sb_intake_setup_t *s, sb_publisher_t *pub, sb_metrics_t *metrics,
                          char *errstr, size_t errstr_size);

/* SIGHUP: re-reads the tokens file and logs the outcome; a bad file keeps
 * the tokens in force. */
void sb_intake_setup_reload(sb_intake_setup_t *s);

/* The stop hook's part, after the HTTP server stopped: frees the intake
 * (or the tokens, when start never ran). Idempotent. */
void sb_intake_setup_stop(sb_intake_setup_t *s);

#endif
