/* loop: sb-prompt's consume loop: the prompt requests of one poll handled together. */

/* The skeleton's message-at-a-time loop (sb_worker_consume), a poll at a
 * time: the first request is waited for alone (a quiet request is not
 * held for others to arrive), then whatever the consumer already holds
 * joins it, up to BATCH_MAX. The batch's offsets are committed once its
 * claims are durable, never before. */
#include "loop.h"

#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "sb_consumer.h"
#include "sb_schema.h"
#include "sb_signal.h"
#include "sb_time.h"

#define POLL_MS 100

/* Polls a batch: the first message waited for, the rest already there. */
static size_t poll(sb_consumer_t *c, rd_kafka_message_t **msgs) {
    size_t n = sb_consumer_poll_batch(c, msgs, 1, POLL_MS);
    return n ? n + sb_consumer_poll_batch(c, msgs + 1, SB_PROMPT_BATCH_MAX - 1, 0) : 0;
}

/* The employees the batch's valid requests name (borrowed from roots);
 * a request that fails the schema is logged and committed with the rest:
 * it can never succeed. */
static size_t employees_of(rd_kafka_message_t **msgs, size_t n, cJSON **roots,
                           const char **employees) {
    char errstr[512];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        rd_kafka_message_t *m = msgs[i];
        roots[i] = NULL;
        if (sb_schema_parse("prompt", m->payload ? m->payload : "", m->payload ? m->len : 0,
                            &roots[i], errstr, sizeof(errstr)) == -1) {
            sb_worker_log_message(SB_LOG_WARN, m, errstr);
            continue;
        }
        employees[k++] = cJSON_GetObjectItemCaseSensitive(roots[i], "employee_id")->valuestring;
    }
    return k;
}

/* One batch until its claims are durable, then its offsets. -1 when
 * shutdown interrupted the retries: nothing is committed and the batch
 * comes back. */
static int handle(sb_prompt_t *p, sb_worker_t *w, rd_kafka_message_t **msgs, size_t n) {
    cJSON *roots[SB_PROMPT_BATCH_MAX];
    const char *employees[SB_PROMPT_BATCH_MAX];
    char errstr[512];
    long backoff = SB_WORKER_BACKOFF_MIN_MS;
    int64_t t0 = sb_time_monotonic_us();
    size_t k = employees_of(msgs, n, roots, employees);
    int rc = 0;

    sb_log_debug("%zu prompt requests polled", n);
    while (sb_prompt_wake_batch(p, employees, k, errstr, sizeof(errstr)) == -1) {
        /* after a fatal producer error no flush succeeds: the process exits */
        if (!sb_running || sb_producer_fatal(w->producer)) {
            sb_worker_log_message(SB_LOG_WARN, msgs[0],
                                  "shutting down; the prompt requests from here on will be "
                                  "redelivered");
            rc = -1;
            goto out;
        }
        backoff = sb_worker_retry_wait(w->metrics, errstr, backoff);
    }
    sb_metrics_count(w->metrics, SB_M_CONSUMED, w->topic, (double)n);
    sb_metrics_observe(w->metrics, (double)(sb_time_monotonic_us() - t0) / 1e6);
    /* A failed commit only means a redelivery, which the claim absorbs. */
    if (sb_consumer_commit(w->consumer, msgs, n, sb_running ? 1 : 0, errstr, sizeof(errstr)) == -1)
        sb_log_warn("%s (the prompt requests will be redelivered)", errstr);
out:
    for (size_t i = 0; i < n; i++)
        cJSON_Delete(roots[i]);
    return rc;
}

/* One sweep; a failure is the next one's to retry. */
static void sweep(sb_prompt_t *p) {
    char errstr[512];
    if (sb_prompt_sweep(p, errstr, sizeof(errstr)) == -1 && sb_running)
        sb_log_warn("sweep: %s (the next one retries)", errstr);
}

int sb_prompt_run(sb_prompt_t *p, sb_worker_t *w, int64_t sweep_every_ms) {
    rd_kafka_message_t *msgs[SB_PROMPT_BATCH_MAX];
    int64_t last_sweep = 0;
    while (sb_running && !sb_consumer_fatal(w->consumer) && !sb_producer_fatal(w->producer)) {
        sb_metrics_beat(w->metrics);
        size_t n = poll(w->consumer, msgs);
        int rc = n ? handle(p, w, msgs, n) : 0;
        for (size_t i = 0; i < n; i++)
            rd_kafka_message_destroy(msgs[i]);
        if (rc == -1)
            break;
        if (sb_running && (sb_time_monotonic_us() - last_sweep) / 1000 >= sweep_every_ms) {
            sweep(p);
            last_sweep = sb_time_monotonic_us();
        }
    }
    return 0;
}
