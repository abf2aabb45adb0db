/* sb_metrics: a worker's Prometheus metrics and its /healthz. */

/* A worker's Prometheus metrics and its /healthz, served on
 * SECURITYBOT_METRICS_LISTEN. One registry per process, created in main
 * and passed (borrowed) to whoever counts; every call accepts NULL (no
 * metrics configured) and is thread-safe. */
#ifndef SB_METRICS_H
#define SB_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "sb_config.h"

/* The families every worker may use. Counters take one label value (the
 * label's name is fixed per family), NULL for families without a label. */
#define SB_M_CONSUMED    "securitybot_messages_consumed_total" /* topic */
#define SB_M_PRODUCED    "securitybot_messages_produced_total" /* topic */
#define SB_M_FAILED      "securitybot_failures_total"          /* kind */
#define SB_M_CHAT_ERRORS "securitybot_chat_errors_total"       /* code */
#define SB_M_HTTP        "securitybot_http_requests_total"     /* status */
#define SB_M_LATENCY     "securitybot_batch_seconds"           /* histogram: one batch or message */
#define SB_M_LAG         "securitybot_consumer_lag"            /* gauge: messages behind */

#define SB_METRICS_LIVENESS_S 60

/* The configuration entry every worker declares (sb_config.h's table). */
#define SB_METRICS_CONFIG_ENTRY(target)                                                            \
    SB_CFG_STR(                                                                                    \
        "SECURITYBOT_METRICS_LISTEN", (target), NULL,                                              \
        "address for GET /metrics (Prometheus) and GET /healthz, e.g. 0.0.0.0:9100; unset: "       \
        "off")

typedef struct sb_metrics_s sb_metrics_t;

/* A registry for worker (the "worker" label of every sample). Owned by
 * the caller; NULL on allocation failure. */
sb_metrics_t *sb_metrics_new(const char *worker);

/* The registry for a worker's main: NULL (metrics off, every call a
 * no-op) when listen is NULL or empty, else a registry already serving.
 * Sets *failed and errstr when listen was given but cannot be served. */
sb_metrics_t *sb_metrics_setup(const char *worker, const char *listen, int *failed, char *errstr,
                               size_t errstr_size);

/* Serves GET /metrics (text format 0.0.4) and GET /healthz on listen
 * ("0.0.0.0:9100"; port 0 picks one, see sb_metrics_port). 0 or -1. */
int sb_metrics_serve(sb_metrics_t *m, const char *listen, char *errstr, size_t errstr_size);
int sb_metrics_port(const sb_metrics_t *m);

/* Stops the server and frees everything. NULL is a no-op. */
void sb_metrics_destroy(sb_metrics_t *m);

/* Adds n to the counter family name with label value (at most 64 label
 * values per family; more are counted under "other"). */
void sb_metrics_count(sb_metrics_t *m, const char *name, const char *label, double n);

/* Records one observation of seconds in the latency histogram. */
void sb_metrics_observe(sb_metrics_t *m, double seconds);

/* The consumer lag gauge is read at scrape time from fn(ctx) (-1: unknown). */
void sb_metrics_lag_source(sb_metrics_t *m, int64_t (*fn)(void *ctx), void *ctx);

/* A lag source for sb_metrics_lag_source: ctx is an sb_consumer_t. */
int64_t sb_metrics_consumer_lag(void *consumer);

/* The main loop is alive: /healthz answers 200 until SB_METRICS_LIVENESS_S
 * pass without a beat. */
void sb_metrics_beat(sb_metrics_t *m);

/* The text a scrape returns (owned by the caller), for tests. */
char *sb_metrics_render(sb_metrics_t *m);

#endif
