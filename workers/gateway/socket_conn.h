/* socket_conn: the state Socket Mode's service thread and publishing threads share (private). */
#ifndef SB_SOCKET_CONN_H
#define SB_SOCKET_CONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "sb_curl.h"
#include "socket_envelope.h"
#include "socket_jobs.h"
#include "socket_mode.h"
#include "socket_open.h"

/* One connection being replaced and its successor. */
#define SB_SOCKET_MAX_CONNS 2

/* An acknowledgement waiting for the connection to be writable. */
typedef struct sb_socket_ack_s {
    struct sb_socket_ack_s *next;
    char id[SB_ENVELOPE_ID_MAX + 1];
} sb_socket_ack_t;

/* One WebSocket. id 0: a free slot. Fields marked (lock) are shared with
 * the publishing threads under sb_socket_t.lock; the rest belong to the
 * service thread. */
typedef struct {
    uint64_t id;         /* (lock) */
    struct lws *wsi;     /* NULL until connected, and once closed */
    sb_socket_url_t url; /* kept: libwebsockets reads it while connecting */
    int ready;           /* Slack said hello */
    int replace;         /* Slack sent disconnect: a successor is wanted */
    int closing;         /* close at the next writable callback */
    int64_t ready_us;    /* when hello came (monotonic) */
    char *rx;            /* the frame being assembled */
    size_t rx_len;
    sb_socket_ack_t *acks;  /* (lock) in order */
    size_t nacks, inflight; /* (lock) acks waiting; envelopes being published */
} sb_socket_conn_t;

struct sb_socket_s {
    const sb_gateway_t *gw;
    char *api_url, *app_token;
    sb_curl_t *curl;
    struct lws_context *ctx;
    sb_socket_jobs_t *jobs;
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    sb_socket_conn_t conns[SB_SOCKET_MAX_CONNS];
    uint64_t next_id;
    uint16_t tries;       /* failed dials since the last hello */
    int64_t next_dial_us; /* monotonic; 0: now */
    int intake_stopped;   /* (lock) new envelopes are no longer published */
    atomic_int stop, ready;
    int64_t stop_deadline_us;
    lws_sorted_usec_list_t tick;
};

/* libwebsockets' callback for the Socket Mode protocol (socket_conn.c). */
int sb_socket_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len);

/* On the service thread: dials when no connection is live (after the
 * backoff), retires a replaced connection once its successor is ready,
 * asks for writable callbacks where acknowledgements wait, closes all when
 * stopping (socket_mode.c). */
void sb_socket_housekeep(sb_socket_t *s);

/* Sets when to dial next (lws backoff table with jitter), logs why. */
void sb_socket_backoff(sb_socket_t *s, const char *why);

/* Queues an acknowledgement of envelope_id on conn_id and wakes the
 * service thread; dropped when that connection is gone (Slack redelivers).
 * Any thread. */
void sb_socket_queue_ack(sb_socket_t *s, uint64_t conn_id, const char *envelope_id);

#endif
