/* intake: what every alert-intake endpoint shares: who sent a request, its rate, publishing alerts
 * and dead letters. */
#ifndef SB_GATEWAY_INTAKE_H
#define SB_GATEWAY_INTAKE_H

#include <stddef.h>

#include "publisher.h"
#include "sb_http.h"
#include "sb_metrics.h"
#include "tokens.h"

/* An intake request's body cap (the route's max_body: 413 above it). */
#define SB_INTAKE_MAX_BODY (1024 * 1024)
/* How long a request waits for Kafka's acknowledgement of all its
 * messages; past it, 503 with Retry-After SB_INTAKE_RETRY_AFTER_S. */
#define SB_INTAKE_ACK_TIMEOUT_MS 5000
#define SB_INTAKE_RETRY_AFTER_S  5

/* Shared by every handler thread: the token table behind a rwlock (SIGHUP
 * swaps it), the per-token rate buckets behind a mutex. */
typedef struct sb_intake_s sb_intake_t;

typedef struct {
    const char *tokens_file; /* re-read by sb_intake_reload */
    double rate;             /* alerts a second per token; the burst is the same */
    const char *alerts_topic, *dlq_topic;
    const char *user_label; /* Alertmanager's label naming the user; NULL: the default */
    sb_publisher_t *pub;    /* borrowed; thread-safe */
    sb_metrics_t *metrics;  /* borrowed; may be NULL */
} sb_intake_config_t;

/* The intake with a table already loaded (sb_tokens_load at configuration
 * time, so a bad file exits 2); takes tokens whatever the outcome. The
 * strings in cfg must outlive it. NULL with errstr on failure. */
sb_intake_t *sb_intake_new(const sb_intake_config_t *cfg, sb_tokens_t *tokens, char *errstr,
                           size_t errstr_size);

/* Re-reads the tokens file and swaps the table in; requests in flight
 * finish with the table they started with. A token kept keeps its rate
 * bucket. On failure (-1 with errstr) the old table stays. Sets *count to
 * the number of tokens now in force. */
int sb_intake_reload(sb_intake_t *in, size_t *count, char *errstr, size_t errstr_size);

/* NULL is a no-op. After the HTTP server stopped. */
void sb_intake_destroy(sb_intake_t *in);

/* The configured Alertmanager user label (cfg->user_label, may be NULL). */
const char *sb_intake_user_label(const sb_intake_t *in);

/* Who sent a request. */
typedef struct {
    char source[SB_TOKENS_SOURCE_MAX + 1];
    char hash[65]; /* finds the token's rate bucket again; never logged */
} sb_intake_sender_t;

/* Checks who sent req, before its body is looked at. Returns 1 with *who
 * set; 0 with resp answered: 404 when in is NULL (the intake is off: the
 * same answer as an unknown path), 400 for an ambiguous request (any
 * query string, so a token in the URL is never honoured; a repeated
 * Authorization header), 401 for a missing, malformed or unknown bearer
 * token; -1 (500) when an answer could not be built. Logs each refusal
 * with its reason code, never a token or its hash. */
int sb_intake_authenticate(sb_intake_t *in, const sb_http_request_t *req, sb_intake_sender_t *who,
                           sb_http_response_t *resp);

/* Charges n alerts to who's bucket. 1 when within the rate; 0 with resp
 * answered 429 and Retry-After (seconds, rounded up), or 401 when a reload
 * removed the token meanwhile; -1 (500). */
int sb_intake_charge(sb_intake_t *in, const sb_intake_sender_t *who, const char *path, size_t n,
                     sb_http_response_t *resp);

/* One validated alert: its bytes as received, published as they are, so
 * sb-ingest validates them again and derives the same alert id. */
typedef struct {
    const char *user; /* the key: one employee's alerts stay in order */
    const char *json;
    size_t len;
} sb_intake_alert_t;

/* Publishes the n alerts to <prefix>alerts and waits for Kafka's
 * acknowledgement of all of them (SB_INTAKE_ACK_TIMEOUT_MS). 0, or -1 with
 * errstr: answer sb_intake_unavailable, and the sender's retry (the same
 * alerts, the same ids) doubles nothing. */
int sb_intake_publish(sb_intake_t *in, const sb_intake_alert_t *alerts, size_t n, char *errstr,
                      size_t errstr_size);

/* One item that cannot become an alert. */
typedef struct {
    const void *original; /* the item's own bytes (its JSON) */
    size_t len;
    const char *key;             /* may be NULL */
    size_t index;                /* its place in the request */
    const char *reason, *detail; /* an sb_reject_code() and a human text */
} sb_intake_dead_t;

/* Publishes n dead letters to <prefix>alerts.dlq in sb-ingest's format
 * (alert-dlq.v1, sb_message_dead_letter), where the input's origin is the
 * request: topic "http:<path>", partition 0, offset the item's index, and
 * "intake_source" the sender's source. Waits for all acknowledgements like
 * sb_intake_publish. 0 or -1 with errstr. */
int sb_intake_dead_letters(sb_intake_t *in, const char *path, const sb_intake_sender_t *who,
                           const sb_intake_dead_t *dead, size_t n, char *errstr,
                           size_t errstr_size);

/* Answers {"error": code, "detail": detail} with status. 0 or -1. */
int sb_intake_refuse(sb_http_response_t *resp, int status, const char *code, const char *detail);

/* Answers 503 with Retry-After after a failed publish. 0 or -1. */
int sb_intake_unavailable(sb_http_response_t *resp);

#endif
