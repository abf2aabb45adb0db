/* socket_mode: sb-gateway as a Slack Socket Mode client (SECURITYBOT_SLACK_MODE=socket). */
#ifndef SB_SOCKET_MODE_H
#define SB_SOCKET_MODE_H

#include <stddef.h>

#include "gateway.h"

/* One replica, one connection (two for a moment while one replaces the
 * other): apps.connections.open with the app-level token, then a
 * WebSocket (libwebsockets; TLS verified; ws:// only when SLACK_API_URL is
 * http://, for tests). Each events_api or interactive envelope is read by
 * the HTTP callbacks' code (same events, same event ids), published, and
 * acknowledged only after Kafka acknowledged it; anything unacknowledged
 * is redelivered by Slack. On `disconnect` a new connection is opened
 * before the old one is closed; a dropped connection is redialled with
 * backoff and jitter; pings both ways. Runs on its own threads. */
typedef struct sb_socket_s sb_socket_t;

/* Starts connecting. gw is borrowed (its publisher must outlive this);
 * api_url and app_token are copied. NULL with errstr when it cannot start
 * (a failed connection is not an error: it is retried). */
sb_socket_t *sb_socket_start(const sb_gateway_t *gw, const char *api_url, const char *app_token,
                             char *errstr, size_t errstr_size);

/* Non-zero while a connection is open and Slack said hello on it. */
int sb_socket_ready(sb_socket_t *s);

/* Stops taking envelopes, lets the publishing ones finish and sends their
 * acknowledgements (bounded), closes the connections, frees. NULL: no-op. */
void sb_socket_stop(sb_socket_t *s);

#endif
