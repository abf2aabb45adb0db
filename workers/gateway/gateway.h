/* gateway: the HTTP handlers of sb-gateway (Slack callbacks, alert intake, health, readiness). */
#ifndef SB_GATEWAY_H
#define SB_GATEWAY_H

#include "intake.h"
#include "intake_setup.h"
#include "publisher.h"
#include "sb_http.h"
#include "sb_metrics.h"

/* Largest request body accepted from Slack. */
#define SB_GATEWAY_MAX_BODY 65536
/* How long a request waits for Kafka's acknowledgement before answering
 * 503: Slack wants an answer within 3 s and retries what fails. */
#define SB_GATEWAY_ACK_TIMEOUT_MS 2000
/* How long /readyz waits for a broker. */
#define SB_GATEWAY_READY_TIMEOUT_MS 1000

/* Shared, read-only state of every handler (handlers run concurrently;
 * the publisher and the intake are thread-safe, everything else is per
 * request). */
typedef struct {
    const char *signing_secret;
    const char *responses_topic; /* <prefix>responses */
    sb_publisher_t *pub;
    sb_intake_t *intake;   /* NULL: the intake is off (its paths answer 404) */
    sb_metrics_t *metrics; /* may be NULL; thread-safe */
    sb_http_limits_t http; /* threads, connection caps, request timeout */
} sb_gateway_t;

/* The route table for sb_http_start with ctx = an sb_gateway_t. */
extern const sb_http_route_t sb_gateway_routes[];
extern const size_t sb_gateway_nroutes;

/* Serves the routes on listen until shutdown (sb_running cleared) or a
 * fatal producer error, then stops accepting and lets the requests in
 * flight finish; on SIGHUP re-reads intake's tokens. 0; -1 with errstr;
 * SB_WORKER_CONFIG_ERROR when listen is malformed (a busy port is -1). */
int sb_gateway_serve(sb_gateway_t *gw, const char *listen, sb_intake_setup_t *intake, char *errstr,
                     size_t errstr_size);

#endif
