/* sb_metrics: counters, a latency histogram and a lag gauge, for Prometheus. */

/* Kept in memory and rendered in Prometheus' text format on each scrape. */
#include "sb_metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_buf.h"
#include "sb_http.h"
#include "sb_kafka.h"
#include "sb_log.h"
#include "sb_time.h"

#define MAX_LABELS 64

static const double BUCKETS[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKETS (sizeof(BUCKETS) / sizeof(BUCKETS[0]))

typedef struct {
    const char *name, *label, *help;
} family_def_t;

static const family_def_t FAMILIES[] = {
    {SB_M_CONSUMED, "topic", "Kafka messages consumed and handled"},
    {SB_M_PRODUCED, "topic", "Kafka messages produced"},
    {SB_M_FAILED, "kind", "failures by kind (database, kafka, invalid input, ...)"},
    {SB_M_CHAT_ERRORS, "code", "chat API calls that failed, by error code"},
    {SB_M_HTTP, "status", "HTTP requests answered, by status"},
};
#define NFAMILIES (sizeof(FAMILIES) / sizeof(FAMILIES[0]))

typedef struct {
    char *values[MAX_LABELS];
    double counts[MAX_LABELS];
    int n;
} family_t;

struct sb_metrics_s {
    pthread_mutex_t lock;
    char *worker;
    family_t families[NFAMILIES];
    uint64_t buckets[NBUCKETS];
    uint64_t observations;
    double sum;
    int64_t (*lag_fn)(void *);
    void *lag_ctx;
    int64_t last_beat_us;
    sb_http_server_t *srv;
};

sb_metrics_t *sb_metrics_new(const char *worker) {
    sb_metrics_t *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    if (!(m->worker = strdup(worker)) || pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m->worker);
        free(m);
        return NULL;
    }
    m->last_beat_us = sb_time_monotonic_us();
    return m;
}

void sb_metrics_destroy(sb_metrics_t *m) {
    if (!m)
        return;
    sb_http_stop(m->srv);
    for (size_t f = 0; f < NFAMILIES; f++)
        for (int i = 0; i < m->families[f].n; i++)
            free(m->families[f].values[i]);
    pthread_mutex_destroy(&m->lock);
    free(m->worker);
    free(m);
}

void sb_metrics_count(sb_metrics_t *m, const char *name, const char *label, double n) {
    size_t f;
    if (!m)
        return;
    for (f = 0; f < NFAMILIES && strcmp(FAMILIES[f].name, name) != 0; f++)
        ;
    if (f == NFAMILIES)
        return;
    family_t *fam = &m->families[f];
    const char *want = label ? label : "";
    pthread_mutex_lock(&m->lock);
    int i;
    for (i = 0; i < fam->n && strcmp(fam->values[i], want) != 0; i++)
        ;
    if (i == fam->n) {
        /* bounded: a flood of distinct codes cannot grow memory */
        const char *v = fam->n < MAX_LABELS - 1 ? want : "other";
        for (i = 0; i < fam->n && strcmp(fam->values[i], v) != 0; i++)
            ;
        if (i == fam->n && (fam->values[i] = strdup(v)))
            fam->n++;
    }
    if (i < fam->n)
        fam->counts[i] += n;
    pthread_mutex_unlock(&m->lock);
}

void sb_metrics_observe(sb_metrics_t *m, double seconds) {
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    for (size_t b = 0; b < NBUCKETS; b++)
        if (seconds <= BUCKETS[b])
            m->buckets[b]++;
    m->observations++;
    m->sum += seconds;
    pthread_mutex_unlock(&m->lock);
}

void sb_metrics_lag_source(sb_metrics_t *m, int64_t (*fn)(void *ctx), void *ctx) {
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->lag_fn = fn;
    m->lag_ctx = ctx;
    pthread_mutex_unlock(&m->lock);
}

void sb_metrics_beat(sb_metrics_t *m) {
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->last_beat_us = sb_time_monotonic_us();
    pthread_mutex_unlock(&m->lock);
}

/* A label value as Prometheus wants it: \ " and newline escaped. */
static void add_label(sb_buf_t *b, const char *v) {
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            sb_buf_add(b, "\\", 1);
        if (*v == '\n')
            sb_buf_add(b, "\\n", 2);
        else
            sb_buf_add(b, v, 1);
    }
}

char *sb_metrics_render(sb_metrics_t *m) {
    sb_buf_t b = {0};
    int64_t lag = -1;
    int64_t (*fn)(void *);
    void *ctx;
    if (!m)
        return NULL;
    pthread_mutex_lock(&m->lock);
    fn = m->lag_fn;
    ctx = m->lag_ctx;
    pthread_mutex_unlock(&m->lock);
    if (fn) /* outside the lock: it asks librdkafka */
        lag = fn(ctx);
    pthread_mutex_lock(&m->lock);
    for (size_t f = 0; f < NFAMILIES; f++) {
        const family_t *fam = &m->families[f];
        sb_buf_addf(&b, "# HELP %s %s\n# TYPE %s counter\n", FAMILIES[f].name, FAMILIES[f].help,
                    FAMILIES[f].name);
        for (int i = 0; i < fam->n; i++) {
            sb_buf_addf(&b, "%s{worker=\"", FAMILIES[f].name);
            add_label(&b, m->worker);
            sb_buf_addf(&b, "\",%s=\"", FAMILIES[f].label);
            add_label(&b, fam->values[i]);
            sb_buf_addf(&b, "\"} %.17g\n", fam->counts[i]);
        }
    }
    sb_buf_addf(&b, "# HELP %s time to handle one batch or message\n# TYPE %s histogram\n",
                SB_M_LATENCY, SB_M_LATENCY);
    for (size_t i = 0; i < NBUCKETS; i++)
        sb_buf_addf(&b, "%s_bucket{worker=\"%s\",le=\"%g\"} %llu\n", SB_M_LATENCY, m->worker,
                    BUCKETS[i], (unsigned long long)m->buckets[i]);
    sb_buf_addf(&b, "%s_bucket{worker=\"%s\",le=\"+Inf\"} %llu\n", SB_M_LATENCY, m->worker,
                (unsigned long long)m->observations);
    sb_buf_addf(&b, "%s_sum{worker=\"%s\"} %.9f\n%s_count{worker=\"%s\"} %llu\n", SB_M_LATENCY,
                m->worker, m->sum, SB_M_LATENCY, m->worker, (unsigned long long)m->observations);
    if (fn && lag >= 0)
        sb_buf_addf(&b,
                    "# HELP %s messages behind the end of the assigned partitions\n# TYPE %s "
                    "gauge\n%s{worker=\"%s\"} %lld\n",
                    SB_M_LAG, SB_M_LAG, SB_M_LAG, m->worker, (long long)lag);
    pthread_mutex_unlock(&m->lock);
    return sb_buf_take(&b); /* NULL when out of memory */
}

static int handle_metrics(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    char *text = sb_metrics_render(ctx);
    int rc;
    (void)req;
    if (!text)
        return -1;
    rc = sb_http_respond(resp, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
    free(text);
    return rc;
}

static int handle_healthz(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    sb_metrics_t *m = ctx;
    (void)req;
    pthread_mutex_lock(&m->lock);
    int64_t age_s = (sb_time_monotonic_us() - m->last_beat_us) / 1000000;
    pthread_mutex_unlock(&m->lock);
    if (age_s > SB_METRICS_LIVENESS_S)
        return sb_http_respond(resp, 503, "text/plain", "stalled\n", 8);
    return sb_http_respond(resp, 200, "text/plain", "ok\n", 3);
}

static const sb_http_route_t ROUTES[] = {
    {"GET", "/metrics", NULL, 0, handle_metrics, NULL},
    {"GET", "/healthz", NULL, 0, handle_healthz, NULL},
};

int sb_metrics_serve(sb_metrics_t *m, const char *listen, char *errstr, size_t errstr_size) {
    char why[256];
    if (!(m->srv = sb_http_start(listen, ROUTES, sizeof(ROUTES) / sizeof(ROUTES[0]), m, why,
                                 sizeof(why)))) {
        snprintf(errstr, errstr_size, "SECURITYBOT_METRICS_LISTEN=%s: %s", listen, why);
        return -1;
    }
    return 0;
}

int sb_metrics_port(const sb_metrics_t *m) {
    return m && m->srv ? sb_http_port(m->srv) : -1;
}

sb_metrics_t *sb_metrics_setup(const char *worker, const char *listen, int *failed, char *errstr,
                               size_t errstr_size) {
    sb_metrics_t *m;
    *failed = 0;
    if (!listen || !*listen)
        return NULL;
    if (!(m = sb_metrics_new(worker)) || sb_metrics_serve(m, listen, errstr, errstr_size) == -1) {
        if (!m)
            snprintf(errstr, errstr_size, "out of memory");
        sb_metrics_destroy(m);
        *failed = 1;
        return NULL;
    }
    char port[16];
    snprintf(port, sizeof(port), "%d", sb_metrics_port(m));
    sb_log_kv_t kv[] = {{"listen", listen}, {"port", port}};
    sb_log_kv(SB_LOG_INFO, kv, 2, "metrics listening");
    return m;
}

int64_t sb_metrics_consumer_lag(void *consumer) {
    return sb_consumer_lag(consumer);
}
