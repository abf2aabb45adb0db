/* alertmanager: Prometheus Alertmanager's webhook body (version 4) mapped to securitybot alerts. */

/* A pure mapping, no I/O: the caller (POST /v1/alerts/alertmanager)
 * publishes what it returns. The rules, with the reasons for them, are in
 * docs/alertmanager.md; in short:
 *
 *   rule        = labels.alertname
 *   user        = labels[user_label] (SECURITYBOT_ALERTMANAGER_USER_LABEL)
 *   title       = annotations.summary, else labels.alertname
 *   description = annotations.description (left out when absent or "")
 *   severity    = labels.severity: critical -> critical, high|error -> high,
 *                 warning -> medium, info|none -> low, anything else or
 *                 absent -> medium
 *   occurred_at = startsAt, normalised to UTC with microseconds
 *                 (sb_time_normalize: "2026-11-29T12:00:00.000000Z")
 *   id          = fingerprint "@" occurred_at (the normalised form above)
 *   url         = generatorURL (left out when absent or "")
 *   details     = every other label (all but alertname and the user label;
 *                 severity stays, since its mapping loses the original)
 *   source      = the token's source
 *
 * Each mapped alert is serialised and checked by sb_alert_parse(), the
 * validator sb-ingest runs, so what the caller publishes is exactly what
 * sb-ingest accepts. A firing alert that cannot be mapped, or whose mapping
 * the validator refuses, becomes a dead letter; it never fails the body. */
#ifndef SB_ALERTMANAGER_H
#define SB_ALERTMANAGER_H

#include <stddef.h>

#include "sb_crypto.h"
#include "sb_schema.h"

/* The most alerts one body may carry; a body with more is refused whole
 * (the receiver's `max_alerts` keeps Alertmanager under it; until then it
 * re-sends the group every group_interval). */
#define SB_AM_MAX_ALERTS 10000
/* The largest body the mapping reads: 10,000 alerts of about 1.6 KiB. The
 * HTTP layer may take less; it must not take more. */
#define SB_AM_MAX_BODY_BYTES (16u * 1024 * 1024)
/* The user label when none is configured. */
#define SB_AM_DEFAULT_USER_LABEL "user"

/* One firing alert, mapped and validated: for intake.h's sb_intake_alert_t,
 * user = alert.user, json = json, len = json_len. */
typedef struct {
    size_t index;                         /* its position in alerts[] */
    char *json;                           /* owned: the bytes sb_alert_parse() accepted */
    size_t json_len;                      /* strlen(json) */
    sb_alert_t alert;                     /* owned: json parsed; user is the Kafka key */
    char alert_id[SB_SHA256_HEX_LEN + 1]; /* sb_id_alert(), as sb-ingest computes it */
} sb_am_alert_t;

/* One item of alerts[] that is not a valid alert: for intake.h's
 * sb_intake_dead_t (published by sb_intake_dead_letters, built by
 * sb_message_dead_letter), original/original_len, index, and reason =
 * sb_reject_code(reason), detail. */
typedef struct {
    size_t index;        /* its position in alerts[] */
    sb_reject_t reason;  /* sb_reject_code() gives the dead letter's `reason` */
    char detail[256];    /* human text naming the field; valid UTF-8 */
    char *original;      /* owned: the item as JSON (re-serialised compactly by cJSON) */
    size_t original_len; /* strlen(original) */
} sb_am_dead_t;

typedef struct {
    sb_am_alert_t *alerts; /* owned array of `accepted`, in input order */
    size_t accepted;
    sb_am_dead_t *dead; /* owned array of `dead_lettered`, in input order */
    size_t dead_lettered;
    size_t resolved_ignored; /* items with status "resolved" */
    size_t truncated_alerts; /* the body's truncatedAlerts: alerts Alertmanager
                              * left out (its max_alerts); 0 when absent */
    sb_reject_t reject;      /* after -1: why the body was refused (400), or
                              * SB_REJECT_NONE when memory ran out (500) */
} sb_am_result_t;

/* Maps an Alertmanager webhook body (len bytes, need not be NUL-terminated).
 * source is the token's source; user_label the label that names the user
 * (NULL: SB_AM_DEFAULT_USER_LABEL). Returns 0 with *out filled (free it with
 * sb_am_result_clear), or -1 with errstr and out->reject set: the body is
 * not an Alertmanager webhook at all (over SB_AM_MAX_BODY_BYTES, not strict
 * JSON, not an object, no `alerts` array, more than SB_AM_MAX_ALERTS alerts)
 * or memory ran out. After -1 *out holds nothing to free. */
int sb_am_map(const void *body, size_t len, const char *source, const char *user_label,
              sb_am_result_t *out, char *errstr, size_t errstr_size);

/* Frees everything in r and zeroes it; r may be NULL. */
void sb_am_result_clear(sb_am_result_t *r);

#endif
