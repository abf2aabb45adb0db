/* intake_alertmanager: POST /v1/alerts/alertmanager: Alertmanager's webhook, mapped, published,
 * acknowledged. */
#ifndef SB_GATEWAY_INTAKE_ALERTMANAGER_H
#define SB_GATEWAY_INTAKE_ALERTMANAGER_H

#include "alertmanager.h"
#include "intake.h"
#include "sb_http.h"

/* The route's body cap (413 above it): exactly what the mapping reads, so
 * a group of SB_AM_MAX_ALERTS ordinary alerts fits and nothing the mapping
 * would refuse for its size is read whole. */
#define SB_INTAKE_AM_MAX_BODY SB_AM_MAX_BODY_BYTES

/* The whole request: authenticate (404 off, 400 ambiguous, 401), content
 * type (400 for two, 415 for anything but application/json), map with
 * sb_am_map (400 {"error": "bad_request", "detail"} for a body that is
 * not Alertmanager's webhook), charge every firing item, mapped or dead
 * (429), publish the mapped alerts to <prefix>alerts and the dead ones to
 * <prefix>alerts.dlq and wait for Kafka (503 + Retry-After), then 200
 * {"accepted": N, "dead_lettered": M, "resolved_ignored": K}. There is no
 * 403: every alert's source is the token's (the mapping stamps it).
 * Logs Alertmanager's truncatedAlerts. Returns 0 with resp set, or -1
 * (500: out of memory). */
int sb_intake_alertmanager(sb_intake_t *in, const sb_http_request_t *req, sb_http_response_t *resp);

#endif
