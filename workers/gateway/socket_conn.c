/* socket_conn: one Socket Mode WebSocket's events: frames in, acknowledgements out, closing. */
#include "socket_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_log.h"
#include "sb_time.h"

/* Acknowledgements are {"envelope_id":"<=128 chars"}. */
#define ACK_MAX (SB_ENVELOPE_ID_MAX + 32)

static void log_conn(sb_log_level_t level, const sb_socket_conn_t *c, const sb_envelope_t *env,
                     const char *msg) {
    char id[24], attempt[16];
    snprintf(id, sizeof(id), "%llu", (unsigned long long)c->id);
    snprintf(attempt, sizeof(attempt), "%d", env ? env->retry_attempt : 0);
    sb_log_kv_t kv[] = {{"connection", id},
                        {"type", env && env->type[0] ? env->type : NULL},
                        {"envelope_id", env && env->envelope_id[0] ? env->envelope_id : NULL},
                        {"retry_attempt", env && env->retry_attempt ? attempt : NULL},
                        {"retry_reason", env && env->retry_reason[0] ? env->retry_reason : NULL},
                        {"reason", env && env->kind == SB_ENVELOPE_PAYLOAD ? env->payload.reason
                                   : env && env->kind == SB_ENVELOPE_DISCONNECT ? env->reason
                                                                                : NULL}};
    sb_log_kv(level, kv, 6, "socket mode: %s", msg);
}

void sb_socket_queue_ack(sb_socket_t *s, uint64_t conn_id, const char *envelope_id) {
    sb_socket_ack_t *a = calloc(1, sizeof(*a)), **tail;
    int queued = 0;

    if (a)
        snprintf(a->id, sizeof(a->id), "%s", envelope_id);
    pthread_mutex_lock(&s->lock);
    for (int i = 0; a && i < SB_SOCKET_MAX_CONNS; i++) {
        sb_socket_conn_t *c = &s->conns[i];
        if (c->id != conn_id)
            continue;
        for (tail = &c->acks; *tail; tail = &(*tail)->next)
            ;
        *tail = a;
        c->nacks++;
        queued = 1;
    }
    pthread_mutex_unlock(&s->lock);
    if (!queued) {
        free(a);
        sb_log_warn("socket mode: the connection of envelope %s is gone, not acknowledged (Slack "
                    "redelivers it)",
                    envelope_id);
        return;
    }
    lws_cancel_service(s->ctx); /* the service thread asks for a writable callback */
}

/* An envelope to publish goes to the publishing threads, which acknowledge
 * it once Kafka has it; the rest is acknowledged at once, or not at all. */
static void on_payload(sb_socket_t *s, sb_socket_conn_t *c, sb_envelope_t *env) {
    int queued = 0;

    switch (env->payload.verdict) {
    case SB_PAYLOAD_PUBLISH:
        pthread_mutex_lock(&s->lock);
        if (!s->intake_stopped &&
            sb_socket_jobs_add(s->jobs, c->id, env->envelope_id, &env->payload) == 0) {
            c->inflight++;
            queued = 1;
        }
        pthread_mutex_unlock(&s->lock);
        if (!queued)
            log_conn(SB_LOG_WARN, c, env,
                     "envelope not taken (stopping, or too many in flight): "
                     "not acknowledged, Slack redelivers it");
        return;
    case SB_PAYLOAD_IGNORE:
    case SB_PAYLOAD_CHALLENGE: log_conn(SB_LOG_INFO, c, env, "envelope ignored"); break;
    case SB_PAYLOAD_BAD: /* a redelivery would be as bad: acknowledged */
        log_conn(SB_LOG_WARN, c, env, "envelope refused");
        break;
    case SB_PAYLOAD_ERROR:
        log_conn(SB_LOG_ERROR, c, env, "cannot read the envelope: not acknowledged");
        return;
    }
    sb_socket_queue_ack(s, c->id, env->envelope_id);
}

/* One whole text frame. */
static void on_frame(sb_socket_t *s, sb_socket_conn_t *c) {
    sb_envelope_t env;
    char now[40];

    sb_time_format_us(sb_time_now_us(), now, sizeof(now));
    sb_envelope_read(c->rx, c->rx_len, now, &env);
    switch (env.kind) {
    case SB_ENVELOPE_BAD: sb_log_warn("socket mode: frame ignored: %s", env.detail); break;
    case SB_ENVELOPE_HELLO:
        c->ready = 1;
        c->ready_us = sb_time_monotonic_us();
        s->tries = 0;
        atomic_store(&s->ready, 1);
        sb_log_info("socket mode: connection %llu ready (Slack counts %d connection(s))",
                    (unsigned long long)c->id, env.num_connections);
        break;
    case SB_ENVELOPE_DISCONNECT:
        c->replace = 1;
        log_conn(SB_LOG_INFO, c, &env, "Slack asks for a new connection");
        break;
    case SB_ENVELOPE_OTHER:
        log_conn(SB_LOG_INFO, c, &env, "envelope type not used, acknowledged");
        sb_socket_queue_ack(s, c->id, env.envelope_id);
        break;
    case SB_ENVELOPE_PAYLOAD:
        if (env.retry_attempt > 0)
            log_conn(SB_LOG_INFO, c, &env, "redelivered envelope");
        on_payload(s, c, &env);
        break;
    }
    sb_envelope_clear(&env);
}

/* Appends received bytes; a whole frame is handled. -1 closes. */
static int on_receive(sb_socket_t *s, sb_socket_conn_t *c, struct lws *wsi, const void *in,
                      size_t len) {
    char *grown;

    if (c->rx_len + len > SB_ENVELOPE_MAX_FRAME) {
        sb_log_warn("socket mode: a frame over %d bytes, closing the connection",
                    SB_ENVELOPE_MAX_FRAME);
        return -1;
    }
    if (!(grown = realloc(c->rx, c->rx_len + len + 1))) {
        sb_log_error("socket mode: out of memory reading a frame, closing the connection");
        return -1;
    }
    c->rx = grown;
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
        return 0;
    if (lws_frame_is_binary(wsi))
        sb_log_warn("socket mode: binary frame ignored");
    else
        on_frame(s, c);
    c->rx_len = 0;
    return 0;
}

/* Writes the first waiting acknowledgement, or closes when asked. */
static int on_writable(sb_socket_t *s, sb_socket_conn_t *c, struct lws *wsi) {
    unsigned char buf[LWS_PRE + ACK_MAX];
    sb_socket_ack_t *a;
    int n, more;

    if (c->closing) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *)"bye", 3);
        return -1;
    }
    pthread_mutex_lock(&s->lock);
    if ((a = c->acks)) {
        c->acks = a->next;
        c->nacks--;
    }
    more = c->acks != NULL;
    pthread_mutex_unlock(&s->lock);
    if (!a)
        return 0;
    n = sb_envelope_ack(a->id, (char *)buf + LWS_PRE, ACK_MAX);
    free(a);
    if (n > 0 && lws_write(wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_TEXT) < n)
        return -1;
    if (more)
        lws_callback_on_writable(wsi);
    return 0;
}

/* The connection is gone: its waiting acknowledgements with it (Slack
 * redelivers those envelopes), its slot free; redialled after the backoff
 * unless it was closed on purpose. */
static void on_closed(sb_socket_t *s, sb_socket_conn_t *c, const char *why) {
    sb_socket_ack_t *a, *next;
    size_t lost;
    int unexpected = !c->closing && !c->replace && !atomic_load(&s->stop);
    char msg[256];

    pthread_mutex_lock(&s->lock);
    lost = c->nacks;
    for (a = c->acks; a; a = next) {
        next = a->next;
        free(a);
    }
    free(c->rx);
    snprintf(msg, sizeof(msg), "connection %llu closed (%s)%s", (unsigned long long)c->id, why,
             lost ? "; acknowledgements not sent, Slack redelivers those envelopes" : "");
    *c = (sb_socket_conn_t){0};
    pthread_mutex_unlock(&s->lock);
    atomic_store(&s->ready, 0);
    for (int i = 0; i < SB_SOCKET_MAX_CONNS; i++)
        if (s->conns[i].id && s->conns[i].ready)
            atomic_store(&s->ready, 1);
    if (unexpected)
        sb_socket_backoff(s, msg);
    else
        sb_log_info("socket mode: %s", msg);
}

int sb_socket_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len) {
    sb_socket_t *s = lws_context_user(lws_get_context(wsi));
    sb_socket_conn_t *c = lws_get_opaque_user_data(wsi);
    char why[160];
    (void)user;

    if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) { /* another thread queued an ack */
        if (s)
            sb_socket_housekeep(s);
        return 0;
    }
    if (!c || !c->id || (c->wsi && c->wsi != wsi)) /* the context's own, or a gone wsi's */
        return 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        c->wsi = wsi;
        sb_log_info("socket mode: connection %llu open, waiting for hello",
                    (unsigned long long)c->id);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE: return on_receive(s, c, wsi, in, len);
    case LWS_CALLBACK_CLIENT_WRITEABLE: return on_writable(s, c, wsi);
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        snprintf(why, sizeof(why), "connection failed: %.120s", in ? (const char *)in : "unknown");
        on_closed(s, c, why);
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED: on_closed(s, c, "closed"); return 0;
    default: return 0;
    }
}
