/* socket_mode: dial Slack's Socket Mode, keep one live connection, replace it on request, stop
 * cleanly. */
#include "socket_mode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_log.h"
#include "sb_time.h"
#include "socket_conn.h"

/* Housekeeping period of the service thread. */
#define TICK_US 100000
/* A replaced connection is closed once its successor is ready and its own
 * envelopes are acknowledged, or this long after the successor's hello. */
#define RETIRE_GRACE_US 5000000
/* Publishing threads and the envelopes that may wait for them. */
#define JOB_THREADS 4
#define JOB_QUEUE   1024
/* At shutdown: how long acknowledgements and closing may take. */
#define STOP_ACKS_US  1000000
#define STOP_CLOSE_US 1000000

/* Pings: one after 5 s without traffic (as Slack's SDK), hang up after 20 s. */
static const lws_retry_bo_t idle_policy = {.secs_since_valid_ping = 5,
                                           .secs_since_valid_hangup = 20};
/* Redialling after a failure: 1 s doubling to 30 s, plus up to 50% jitter. */
static const uint32_t backoff_ms[] = {1000, 2000, 4000, 8000, 16000, 30000};
static const lws_retry_bo_t backoff = {.retry_ms_table = backoff_ms,
                                       .retry_ms_table_count = 6,
                                       .conceal_count = LWS_RETRY_CONCEAL_ALWAYS,
                                       .jitter_percent = 50};

static const struct lws_protocols protocols[] = {
    {"slack-socket-mode", sb_socket_callback, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0}, /* terminator */
};

void sb_socket_backoff(sb_socket_t *s, const char *why) {
    char conceal;
    unsigned int ms = lws_retry_get_delay_ms(s->ctx, &backoff, &s->tries, &conceal);
    s->next_dial_us = sb_time_monotonic_us() + (int64_t)ms * 1000;
    sb_log_warn("socket mode: %s; next attempt in %u ms", why, ms);
}

/* apps.connections.open, then the WebSocket into a free slot. */
static void dial(sb_socket_t *s, sb_socket_conn_t *c) {
    char errstr[256];
    struct lws_client_connect_info i;
    sb_socket_url_t url;

    if (sb_socket_open(s->curl, s->api_url, s->app_token, &url, errstr, sizeof(errstr)) != 0) {
        sb_socket_backoff(s, errstr);
        return;
    }
    pthread_mutex_lock(&s->lock);
    *c = (sb_socket_conn_t){.id = ++s->next_id, .url = url};
    pthread_mutex_unlock(&s->lock);
    memset(&i, 0, sizeof(i));
    i.context = s->ctx;
    i.address = c->url.host;
    i.port = c->url.port;
    i.path = c->url.path;
    i.host = c->url.host;
    i.origin = c->url.host;
    i.ssl_connection = c->url.tls ? LCCSCF_USE_SSL : 0; /* certificates and host name verified */
    i.local_protocol_name = protocols[0].name;
    i.retry_and_idle_policy = &idle_policy;
    i.opaque_user_data = c;
    sb_log_info("socket mode: connecting (connection %llu, %s://%s:%d)", (unsigned long long)c->id,
                c->url.tls ? "wss" : "ws", c->url.host, c->url.port);
    if (!lws_client_connect_via_info(&i) && c->id) {
        pthread_mutex_lock(&s->lock);
        *c = (sb_socket_conn_t){0};
        pthread_mutex_unlock(&s->lock);
        sb_socket_backoff(s, "cannot start the WebSocket connection");
    }
}

/* A live connection: one that is not being replaced. */
static int live_count(const sb_socket_t *s) {
    int n = 0;
    for (int i = 0; i < SB_SOCKET_MAX_CONNS; i++)
        n += s->conns[i].id && !s->conns[i].replace;
    return n;
}

/* The ready successor of a replaced connection, or NULL. */
static const sb_socket_conn_t *successor(const sb_socket_t *s) {
    for (int i = 0; i < SB_SOCKET_MAX_CONNS; i++)
        if (s->conns[i].id && s->conns[i].ready && !s->conns[i].replace)
            return &s->conns[i];
    return NULL;
}

static void maybe_dial(sb_socket_t *s) {
    if (atomic_load(&s->stop) || live_count(s) > 0 || sb_time_monotonic_us() < s->next_dial_us)
        return;
    for (int i = 0; i < SB_SOCKET_MAX_CONNS; i++)
        if (!s->conns[i].id) {
            dial(s, &s->conns[i]);
            return;
        }
}

void sb_socket_housekeep(sb_socket_t *s) {
    const sb_socket_conn_t *next;
    int64_t now = sb_time_monotonic_us();

    maybe_dial(s);
    next = successor(s);
    for (int i = 0; i < SB_SOCKET_MAX_CONNS; i++) {
        sb_socket_conn_t *c = &s->conns[i];
        int acks, idle;
        if (!c->id || !c->wsi)
            continue;
        pthread_mutex_lock(&s->lock);
        acks = c->nacks > 0;
        idle = !acks && c->inflight == 0;
        pthread_mutex_unlock(&s->lock);
        if (!c->closing &&
            ((atomic_load(&s->stop) && (idle || now > s->stop_deadline_us)) ||
             (c->replace && next && (idle || now - next->ready_us > RETIRE_GRACE_US)))) {
            c->closing = 1;
            sb_log_info("socket mode: closing connection %llu", (unsigned long long)c->id);
        }
        if (acks || c->closing)
            lws_callback_on_writable(c->wsi);
    }
}

static void tick(lws_sorted_usec_list_t *sul) {
    sb_socket_t *s = lws_container_of(sul, sb_socket_t, tick);
    sb_socket_housekeep(s);
    lws_sul_schedule(s->ctx, 0, &s->tick, tick, TICK_US);
}

static int any_conn(sb_socket_t *s) {
    for (int i = 0; i < SB_SOCKET_MAX_CONNS; i++)
        if (s->conns[i].id)
            return 1;
    return 0;
}

/* The service thread: until stopped and every connection closed (bounded). */
static void *service(void *arg) {
    sb_socket_t *s = arg;
    while (!atomic_load(&s->stop) ||
           (any_conn(s) && sb_time_monotonic_us() < s->stop_deadline_us + STOP_CLOSE_US))
        lws_service(s->ctx, 0);
    return NULL;
}

/* Routes libwebsockets' own errors to our log. */
static void lws_log(int level, const char *line) {
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    sb_log_kv(level == LLL_ERR ? SB_LOG_ERROR : SB_LOG_WARN, NULL, 0, "libwebsockets: %.*s", (int)n,
              line);
}

static void done(void *ctx, uint64_t conn_id, const char *envelope_id, int published) {
    sb_socket_t *s = ctx;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < SB_SOCKET_MAX_CONNS; i++)
        if (s->conns[i].id == conn_id && s->conns[i].inflight > 0)
            s->conns[i].inflight--;
    pthread_mutex_unlock(&s->lock);
    if (published)
        sb_socket_queue_ack(s, conn_id, envelope_id);
}

static int make_context(sb_socket_t *s, char *errstr, size_t errstr_size) {
    struct lws_context_creation_info info;

    lws_set_log_level(LLL_ERR, lws_log);
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.user = s;
    if (!(s->ctx = lws_create_context(&info))) {
        snprintf(errstr, errstr_size, "cannot create the libwebsockets context");
        return -1;
    }
    return 0;
}

sb_socket_t *sb_socket_start(const sb_gateway_t *gw, const char *api_url, const char *app_token,
                             char *errstr, size_t errstr_size) {
    sb_socket_t *s = calloc(1, sizeof(*s));

    if (!s) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    if (!(s->api_url = strdup(api_url)) || !(s->app_token = strdup(app_token))) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    s->gw = gw;
    if (!(s->curl = sb_curl_new(errstr, errstr_size)) || make_context(s, errstr, errstr_size) != 0)
        goto fail;
    if (!(s->jobs = sb_socket_jobs_new(gw, JOB_THREADS, JOB_QUEUE, done, s, errstr, errstr_size)))
        goto fail;
    lws_sul_schedule(s->ctx, 0, &s->tick, tick, 1);
    if (pthread_create(&s->thread, NULL, service, s) != 0) {
        snprintf(errstr, errstr_size, "cannot start the Socket Mode thread");
        goto fail;
    }
    s->started = 1;
    return s;
fail:
    sb_socket_stop(s);
    return NULL;
}

int sb_socket_ready(sb_socket_t *s) {
    return s && atomic_load(&s->ready);
}

/* Waits (bounded) until every connection's acknowledgements are written. */
static void wait_acks(sb_socket_t *s) {
    int64_t until = sb_time_monotonic_us() + STOP_ACKS_US;
    size_t waiting;
    do {
        waiting = 0;
        pthread_mutex_lock(&s->lock);
        for (int i = 0; i < SB_SOCKET_MAX_CONNS; i++)
            waiting += s->conns[i].nacks;
        pthread_mutex_unlock(&s->lock);
        if (waiting)
            sb_time_sleep_ms(10);
    } while (waiting && sb_time_monotonic_us() < until);
}

void sb_socket_stop(sb_socket_t *s) {
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->intake_stopped = 1; /* from here, envelopes are left to Slack's redelivery */
    pthread_mutex_unlock(&s->lock);
    sb_socket_jobs_destroy(s->jobs); /* the publishing ones finish and queue their acks */
    if (s->started) {
        wait_acks(s);
        s->stop_deadline_us = sb_time_monotonic_us();
        atomic_store(&s->stop, 1);
        lws_cancel_service(s->ctx);
        pthread_join(s->thread, NULL);
    }
    if (s->ctx)
        lws_context_destroy(s->ctx);
    sb_curl_destroy(s->curl);
    pthread_mutex_destroy(&s->lock);
    free(s->api_url);
    free(s->app_token);
    free(s);
}
