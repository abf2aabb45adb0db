/* gateway: the HTTP handlers of sb-gateway (Slack callbacks, alert intake, health, readiness). */
#ifndef SB_GATEWAY_H
#define SB_GATEWAY_H

#include "intake.h"
#include "intake_setup.h"
#include "publisher.h"
#include "sb_http.h"
#include "sb_metrics.h"
#include "sb_payload.h"

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
    const char *signing_secret;  /* NULL in Socket Mode: the Slack callbacks answer 404 */
    const char *responses_topic; /* <prefix>responses */
    sb_publisher_t *pub;
    sb_intake_t *intake;           /* NULL: the intake is off (its paths answer 404) */
    sb_metrics_t *metrics;         /* may be NULL; thread-safe */
    sb_http_limits_t http;         /* threads, connection caps, request timeout */
    struct sb_socket_s *socket;    /* Socket Mode's client (socket_mode.h); NULL in events mode */
    const char *mm_actions_secret; /* MATTERMOST_ACTIONS_SECRET; NULL: /mattermost/actions 404 */
    const char *mm_command_token;  /* MATTERMOST_COMMAND_TOKEN; NULL: /mattermost/commands 404 */
} sb_gateway_t;

/* What sb_gateway_publish did. */
#define SB_GATEWAY_PUBLISHED     0
#define SB_GATEWAY_PUBLISH_RETRY (-1) /* not acknowledged by Kafka in time: Slack retries */
#define SB_GATEWAY_PUBLISH_BUG   (-2) /* the event fails response.v1 (logged) */

/* Validates p's event (verdict PUBLISH), produces it to the responses topic
 * keyed by the chat user id and waits up to SB_GATEWAY_ACK_TIMEOUT_MS for
 * Kafka's acknowledgement. via ("http", "socket") goes to the log line.
 * Thread-safe. The one way both transports publish. */
int sb_gateway_publish(const sb_gateway_t *gw, const sb_payload_t *p, const char *via);

/* The route table for sb_http_start with ctx = an sb_gateway_t. */
extern const sb_http_route_t sb_gateway_routes[];
extern const size_t sb_gateway_nroutes;

/* Socket Mode's settings: api_url NULL in events mode. */
typedef struct {
    const char *api_url;   /* SLACK_API_URL */
    const char *app_token; /* SLACK_APP_TOKEN */
} sb_gateway_socket_t;

/* Serves the routes on listen (and, with sock->api_url, holds a Socket
 * Mode connection: socket_mode.h) until shutdown (sb_running cleared) or a
 * fatal producer error, then stops accepting and lets the requests in
 * flight finish; on SIGHUP re-reads intake's tokens. 0; -1 with errstr;
 * SB_WORKER_CONFIG_ERROR when listen is malformed (a busy port is -1). */
int sb_gateway_serve(sb_gateway_t *gw, const char *listen, sb_intake_setup_t *intake,
                     const sb_gateway_socket_t *sock, char *errstr, size_t errstr_size);

#endif
