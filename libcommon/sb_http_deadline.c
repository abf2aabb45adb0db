/* sb_http_deadline: closes connections that take too long to send a request (slow clients). */
#include "sb_http_deadline.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "sb_log.h"

/* How often the sweeper looks; a connection lives at most this much past
 * its deadline. */
#define SWEEP_MS 250

struct sb_http_conn_s {
    int fd;
    int64_t since_ms; /* accepted, or its last answer queued */
    int busy;         /* a handler is running */
    int cut;          /* already shut down */
    sb_http_conn_t *prev, *next;
};

struct sb_http_deadline_s {
    int64_t timeout_ms;
    pthread_mutex_t lock; /* guards the list and every entry's fields */
    pthread_cond_t wake;
    sb_http_conn_t *head;
    int stopping;
    pthread_t sweeper;
};

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One pass: shuts down what is overdue. Called with the lock held. */
static void sweep(sb_http_deadline_t *d) {
    int64_t now = now_ms();
    unsigned n = 0;
    for (sb_http_conn_t *c = d->head; c; c = c->next) {
        if (c->busy || c->cut || now - c->since_ms <= d->timeout_ms)
            continue;
        /* the socket stays open (libmicrohttpd owns it); the peer and
         * libmicrohttpd both see the stream end */
        shutdown(c->fd, SHUT_RDWR);
        c->cut = 1;
        n++;
    }
    if (n)
        sb_log_info("http: closed %u connection(s) still sending a request after %lld ms", n,
                    (long long)d->timeout_ms);
}

static void *sweeper_main(void *arg) {
    sb_http_deadline_t *d = arg;
    pthread_mutex_lock(&d->lock);
    while (!d->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += SWEEP_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&d->wake, &d->lock, &until);
        if (!d->stopping)
            sweep(d);
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

sb_http_deadline_t *sb_http_deadline_new(int64_t timeout_ms) {
    sb_http_deadline_t *d = calloc(1, sizeof(*d));
    int rc;
    if (!d)
        return NULL;
    d->timeout_ms = timeout_ms;
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->wake, NULL);
    if ((rc = pthread_create(&d->sweeper, NULL, sweeper_main, d)) != 0) {
        pthread_cond_destroy(&d->wake);
        pthread_mutex_destroy(&d->lock);
        free(d);
        errno = rc;
        return NULL;
    }
    return d;
}

sb_http_conn_t *sb_http_deadline_join(sb_http_deadline_t *d, int fd) {
    sb_http_conn_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->fd = fd;
    c->since_ms = now_ms();
    pthread_mutex_lock(&d->lock);
    c->next = d->head;
    if (d->head)
        d->head->prev = c;
    d->head = c;
    pthread_mutex_unlock(&d->lock);
    return c;
}

void sb_http_deadline_busy(sb_http_deadline_t *d, sb_http_conn_t *c, int busy) {
    if (!c)
        return;
    pthread_mutex_lock(&d->lock);
    c->busy = busy;
    if (!busy)
        c->since_ms = now_ms();
    pthread_mutex_unlock(&d->lock);
}

void sb_http_deadline_leave(sb_http_deadline_t *d, sb_http_conn_t *c) {
    if (!c)
        return;
    pthread_mutex_lock(&d->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        d->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&d->lock);
    free(c);
}

void sb_http_deadline_free(sb_http_deadline_t *d) {
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->stopping = 1;
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->sweeper, NULL);
    /* anything left (a connection libmicrohttpd never reported closed) */
    while (d->head) {
        sb_http_conn_t *c = d->head;
        d->head = c->next;
        free(c);
    }
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->lock);
    free(d);
}
