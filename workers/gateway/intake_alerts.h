/* intake_alerts: POST /v1/alerts: a detector's alerts, checked like sb-ingest's, published,
 * acknowledged. */
#ifndef SB_GATEWAY_INTAKE_ALERTS_H
#define SB_GATEWAY_INTAKE_ALERTS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "intake.h"
#include "intake_body.h"
#include "sb_crypto.h"
#include "sb_schema.h"

/* The verdict on a request's alerts, decided without Kafka (unit-tested). */
typedef struct {
    size_t n;
    sb_alert_t *alerts;                 /* n; those that passed are filled */
    char (*ids)[SB_SHA256_HEX_LEN + 1]; /* n; the alert ids of those that passed */
    cJSON *errors;     /* [{"index", "reason", "detail"}] of those that failed; NULL: none */
    long other_source; /* the first valid alert whose source is not the token's, or -1 */
} sb_intake_checked_t;

/* Runs each item through sb_alert_parse and sb_id_alert, as sb-ingest
 * does, and compares its source with the token's. 0, or -1 when out of
 * memory. Free with sb_intake_checked_clear. */
int sb_intake_alerts_check(const sb_intake_item_t *items, size_t n, const char *source,
                           sb_intake_checked_t *out);
void sb_intake_checked_clear(sb_intake_checked_t *c);

/* The whole request: authenticate (404/400/401), content type (415), split
 * (400, 413 over SB_INTAKE_MAX_ALERTS), rate (429), check (403 when any
 * alert is of another source, then 422 when any is invalid; nothing is
 * published), publish and wait for Kafka (503 + Retry-After), then 202
 * {"accepted": N, "ids": [...]} with the ids in input order. Returns 0
 * with resp set, or -1 (500). */
int sb_intake_alerts(sb_intake_t *in, const sb_http_request_t *req, sb_http_response_t *resp);

#endif
