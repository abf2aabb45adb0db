/* socket_jobs: a bounded queue of envelopes and the threads that publish them. */
#include "socket_jobs.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sb_log.h"
#include "socket_envelope.h"

#define MAX_THREADS 16

typedef struct job {
    struct job *next;
    uint64_t conn_id;
    char envelope_id[SB_ENVELOPE_ID_MAX + 1];
    sb_payload_t p; /* owns the event */
} job_t;

struct sb_socket_jobs_s {
    const sb_gateway_t *gw;
    sb_socket_done_fn done;
    void *ctx;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    job_t *head, *tail;
    size_t queued, running, cap;
    int stop, nthreads;
    pthread_t threads[MAX_THREADS];
};

static void job_free(job_t *jb) {
    sb_payload_clear(&jb->p);
    free(jb);
}

/* The next job, or NULL when stopping. */
static job_t *take(sb_socket_jobs_t *j) {
    job_t *jb = NULL;
    pthread_mutex_lock(&j->lock);
    while (!j->stop && !j->head)
        pthread_cond_wait(&j->cond, &j->lock);
    if (!j->stop && (jb = j->head)) {
        j->head = jb->next;
        if (!j->head)
            j->tail = NULL;
        j->queued--;
        j->running++;
    }
    pthread_mutex_unlock(&j->lock);
    return jb;
}

static void *worker(void *arg) {
    sb_socket_jobs_t *j = arg;
    job_t *jb;
    while ((jb = take(j))) {
        int ok = sb_gateway_publish(j->gw, &jb->p, "socket") == SB_GATEWAY_PUBLISHED;
        j->done(j->ctx, jb->conn_id, jb->envelope_id, ok);
        job_free(jb);
        pthread_mutex_lock(&j->lock);
        j->running--;
        pthread_mutex_unlock(&j->lock);
    }
    return NULL;
}

sb_socket_jobs_t *sb_socket_jobs_new(const sb_gateway_t *gw, int nthreads, size_t cap,
                                     sb_socket_done_fn done, void *ctx, char *errstr,
                                     size_t errstr_size) {
    sb_socket_jobs_t *j = calloc(1, sizeof(*j));
    if (!j) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    *j = (sb_socket_jobs_t){.gw = gw, .done = done, .ctx = ctx, .cap = cap};
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->cond, NULL);
    if (nthreads > MAX_THREADS)
        nthreads = MAX_THREADS;
    for (; j->nthreads < nthreads; j->nthreads++) {
        if (pthread_create(&j->threads[j->nthreads], NULL, worker, j) != 0) {
            snprintf(errstr, errstr_size, "cannot start the Socket Mode publishing threads");
            sb_socket_jobs_destroy(j);
            return NULL;
        }
    }
    return j;
}

int sb_socket_jobs_add(sb_socket_jobs_t *j, uint64_t conn_id, const char *envelope_id,
                       sb_payload_t *p) {
    job_t *jb = calloc(1, sizeof(*jb));
    int rc = -1;

    if (!jb || strlen(envelope_id) >= sizeof(jb->envelope_id)) {
        free(jb);
        sb_payload_clear(p);
        return -1;
    }
    jb->conn_id = conn_id;
    strcpy(jb->envelope_id, envelope_id);
    jb->p = *p; /* the event moves to the job */
    memset(p, 0, sizeof(*p));
    pthread_mutex_lock(&j->lock);
    if (!j->stop && j->queued < j->cap) {
        if (j->tail)
            j->tail->next = jb;
        else
            j->head = jb;
        j->tail = jb;
        j->queued++;
        pthread_cond_signal(&j->cond);
        rc = 0;
    }
    pthread_mutex_unlock(&j->lock);
    if (rc != 0)
        job_free(jb);
    return rc;
}

size_t sb_socket_jobs_pending(sb_socket_jobs_t *j) {
    size_t n;
    pthread_mutex_lock(&j->lock);
    n = j->queued + j->running;
    pthread_mutex_unlock(&j->lock);
    return n;
}

void sb_socket_jobs_destroy(sb_socket_jobs_t *j) {
    job_t *jb;
    if (!j)
        return;
    pthread_mutex_lock(&j->lock);
    j->stop = 1;
    pthread_cond_broadcast(&j->cond);
    pthread_mutex_unlock(&j->lock);
    for (int i = 0; i < j->nthreads; i++)
        pthread_join(j->threads[i], NULL);
    if (j->queued)
        sb_log_warn("socket mode: %zu envelope(s) not published at shutdown, not acknowledged "
                    "(Slack redelivers them)",
                    j->queued);
    while ((jb = j->head)) {
        j->head = jb->next;
        job_free(jb);
    }
    pthread_cond_destroy(&j->cond);
    pthread_mutex_destroy(&j->lock);
    free(j);
}
