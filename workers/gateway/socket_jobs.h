/* socket_jobs: Socket Mode envelopes published by a few threads, each acknowledged once Kafka has
 * it. */
#ifndef SB_SOCKET_JOBS_H
#define SB_SOCKET_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "gateway.h"
#include "sb_payload.h"

/* Publishing waits for Kafka (up to SB_GATEWAY_ACK_TIMEOUT_MS), which the
 * WebSocket's service loop must not: it would stop answering pings and
 * reading other envelopes. So envelopes to publish are queued (bounded)
 * to a few threads; each calls `done`, and the envelope is acknowledged
 * to Slack only when Kafka acknowledged its event. A job that fails, or one
 * that does not fit the queue, is not acknowledged: Slack redelivers it. */
typedef struct sb_socket_jobs_s sb_socket_jobs_t;

/* Called on a job thread once a job ended, with the connection the
 * envelope came on; published: Kafka acknowledged its event. */
typedef void (*sb_socket_done_fn)(void *ctx, uint64_t conn_id, const char *envelope_id,
                                  int published);

/* nthreads threads, at most cap queued jobs. gw is borrowed. */
sb_socket_jobs_t *sb_socket_jobs_new(const sb_gateway_t *gw, int nthreads, size_t cap,
                                     sb_socket_done_fn done, void *ctx, char *errstr,
                                     size_t errstr_size);

/* Queues p's event (verdict PUBLISH; the event is taken from p, p is left
 * cleared) for envelope_id on conn_id. 0; -1 when the queue is full or
 * stopping (p is cleared all the same). */
int sb_socket_jobs_add(sb_socket_jobs_t *j, uint64_t conn_id, const char *envelope_id,
                       sb_payload_t *p);

/* Jobs queued or running. */
size_t sb_socket_jobs_pending(sb_socket_jobs_t *j);

/* Lets the running jobs finish (their `done` is called), drops the queued
 * ones (never acknowledged: Slack redelivers them), joins, frees. */
void sb_socket_jobs_destroy(sb_socket_jobs_t *j);

#endif
