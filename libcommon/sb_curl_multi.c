/* sb_curl_multi: many HTTP requests at once over libcurl's multi interface, bounded in flight. */

/* The same retry rules as sb_curl_request, but a request that waits does
 * not hold up the others: each carries the time it may start again, and a
 * 429 also holds back its key (the API method it counts against). */
#include "sb_curl_multi.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb_curl_easy.h"
#include "sb_log.h"
#include "sb_signal.h"
#include "sb_time.h"

#define MAX_WAIT_MS 100 /* how quickly a run notices sb_running == 0 */

typedef struct {
    CURL *easy;
    sb_curl_body_t buf;
    struct curl_slist *headers;
    size_t job; /* index of the request it carries */
    int busy;
    char curlerr[CURL_ERROR_SIZE];
} slot_t;

typedef struct {
    char name[64];
    int64_t until_us; /* no request of this key starts before */
} ratekey_t;

struct sb_curl_multi_s {
    CURLM *multi;
    slot_t *slots;
    int max, peak;
    uint64_t rng;
    ratekey_t keys[SB_CURL_MULTI_MAX_KEYS];
};

enum { WAITING, RUNNING, DONE };

typedef struct {
    int state, attempts;
    int64_t not_before_us;
} job_t;

/* One run's state, so that helpers take one pointer. */
typedef struct {
    sb_curl_multi_t *m;
    const sb_curl_req_t *reqs;
    const char *const *keys;
    job_t *jobs;
    size_t n, left, next; /* next: the first job that may still be WAITING */
    sb_curl_multi_done_fn done;
    void *ctx;
    int running;
} run_t;

sb_curl_multi_t *sb_curl_multi_new(int max_in_flight, char *errstr, size_t errstr_size) {
    sb_curl_multi_t *m;
    if (max_in_flight < 1)
        max_in_flight = 1;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(errstr, errstr_size, "curl: global initialisation failed");
        return NULL;
    }
    if (!(m = calloc(1, sizeof(*m))) || !(m->slots = calloc((size_t)max_in_flight, sizeof(slot_t))))
        goto fail;
    m->max = max_in_flight;
    if (!(m->multi = curl_multi_init()))
        goto fail;
    /* every slot's connection stays in the cache between runs */
    curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, (long)max_in_flight);
    for (int i = 0; i < max_in_flight; i++)
        if (!(m->slots[i].easy = curl_easy_init()))
            goto fail;
    m->rng = (uint64_t)sb_time_monotonic_us() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)m;
    if (m->rng == 0)
        m->rng = 0x9e3779b97f4a7c15ULL;
    return m;
fail:
    snprintf(errstr, errstr_size, "curl: cannot create the multi handle (out of memory?)");
    sb_curl_multi_destroy(m);
    if (!m)
        curl_global_cleanup();
    return NULL;
}

void sb_curl_multi_destroy(sb_curl_multi_t *m) {
    if (!m)
        return;
    for (int i = 0; m->slots && i < m->max; i++) {
        if (m->slots[i].busy)
            curl_multi_remove_handle(m->multi, m->slots[i].easy);
        curl_easy_cleanup(m->slots[i].easy);
        curl_slist_free_all(m->slots[i].headers);
        sb_buf_free(&m->slots[i].buf.b);
    }
    curl_multi_cleanup(m->multi); /* closes the kept-alive connections */
    free(m->slots);
    free(m);
    curl_global_cleanup();
}

int sb_curl_multi_peak(const sb_curl_multi_t *m) {
    return m ? m->peak : 0;
}

/* The key entry of request i (made on first use), or NULL: no key, or the
 * table is full (then the request is not held back by anything else). */
static ratekey_t *key_of(run_t *r, size_t i) {
    const char *name = r->keys ? r->keys[i] : NULL;
    ratekey_t *free_key = NULL;
    if (!name || !*name || strlen(name) >= sizeof(r->m->keys[0].name))
        return NULL;
    for (int k = 0; k < SB_CURL_MULTI_MAX_KEYS; k++) {
        if (!strcmp(r->m->keys[k].name, name))
            return &r->m->keys[k];
        if (!free_key && !r->m->keys[k].name[0])
            free_key = &r->m->keys[k];
    }
    if (free_key)
        snprintf(free_key->name, sizeof(free_key->name), "%s", name);
    return free_key;
}

/* Request i is over. */
static void finish(run_t *r, size_t i, int rc, const sb_curl_resp_t *resp, const char *why) {
    r->jobs[i].state = DONE;
    r->left--;
    r->done(r->ctx, i, rc, resp, why);
}

/* "host: why" into out, the token scrubbed. */
static void explain(run_t *r, size_t i, const char *why, char *out, size_t size) {
    char host[256];
    sb_curl_url_host(r->reqs[i].url, host, sizeof(host));
    snprintf(out, size, "%s: %s", host, why);
    sb_curl_scrub(out, r->reqs[i].bearer_token);
}

/* Puts request i on a free slot. */
static void start(run_t *r, size_t i, slot_t *s) {
    job_t *j = &r->jobs[i];
    char why[300];
    sb_buf_reset(&s->buf.b);
    s->buf.overflow = 0;
    s->curlerr[0] = '\0';
    curl_slist_free_all(s->headers);
    s->headers = NULL;
    if (sb_curl_easy_setup(s->easy, &r->reqs[i], &s->buf, &s->headers, s->curlerr) == -1 ||
        curl_easy_setopt(s->easy, CURLOPT_PRIVATE, (void *)s) != CURLE_OK ||
        curl_multi_add_handle(r->m->multi, s->easy) != CURLM_OK) {
        explain(r, i, "cannot set up the request", why, sizeof(why));
        sb_curl_resp_t none = {0};
        finish(r, i, -1, &none, why);
        return;
    }
    j->state = RUNNING;
    j->attempts++;
    s->job = i;
    s->busy = 1;
    if (++r->running > r->m->peak)
        r->m->peak = r->running;
}

/* Starts every waiting request whose time has come, in order, while a
 * slot is free; returns how long until the next one may start (ms). */
static long start_due(run_t *r) {
    int64_t now = sb_time_monotonic_us(), wake = now + MAX_WAIT_MS * 1000;
    int slot = 0;
    while (r->next < r->n && r->jobs[r->next].state == DONE)
        r->next++;
    for (size_t i = r->next; i < r->n; i++) {
        job_t *j = &r->jobs[i];
        ratekey_t *k;
        if (j->state != WAITING)
            continue;
        int64_t at = j->not_before_us;
        if ((k = key_of(r, i)) && k->until_us > at)
            at = k->until_us;
        if (at > now) {
            wake = at < wake ? at : wake;
            continue;
        }
        while (slot < r->m->max && r->m->slots[slot].busy)
            slot++;
        if (slot == r->m->max)
            break; /* full: a finished transfer wakes the poll */
        start(r, i, &r->m->slots[slot]);
    }
    return (long)((wake - now) / 1000);
}

/* A transfer ended: the answer, or a retry at a later time. */
static void ended(run_t *r, slot_t *s, CURLcode rc) {
    size_t i = s->job;
    const sb_curl_req_t *req = &r->reqs[i];
    job_t *j = &r->jobs[i];
    long status = 0, max_backoff = req->max_backoff_ms > 0 ? req->max_backoff_ms
                                                           : SB_CURL_DEFAULT_MAX_BACKOFF_MS;
    curl_off_t retry_after = 0;
    sb_curl_resp_t resp = {0};
    char why[CURL_ERROR_SIZE + 64], msg[CURL_ERROR_SIZE + 400];
    long delay = -1; /* -1: final */

    curl_multi_remove_handle(r->m->multi, s->easy);
    s->busy = 0;
    r->running--;
    if (rc == CURLE_OK) {
        curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(s->easy, CURLINFO_RETRY_AFTER, &retry_after);
    }
    resp.status = status;
    resp.retry_after_s = (long)retry_after;
    resp.attempts = j->attempts;
    if (s->buf.overflow || rc == CURLE_FILESIZE_EXCEEDED || s->buf.b.err) {
        explain(r, i,
                s->buf.b.err ? "out of memory reading the response" : "response body exceeds 1 MiB",
                msg, sizeof(msg));
        finish(r, i, -1, &resp, msg);
        return;
    }
    if (rc != CURLE_OK) {
        snprintf(why, sizeof(why), "%s", s->curlerr[0] ? s->curlerr : curl_easy_strerror(rc));
        if (!sb_curl_transport_retryable(rc)) {
            explain(r, i, why, msg, sizeof(msg));
            finish(r, i, -1, &resp, msg);
            return;
        }
        delay = sb_curl_backoff_ms(&r->m->rng, j->attempts, max_backoff);
    } else if (status == 429 || status >= 500) {
        ratekey_t *k = status == 429 ? key_of(r, i) : NULL;
        snprintf(why, sizeof(why), "HTTP %ld", status);
        delay = sb_curl_backoff_ms(&r->m->rng, j->attempts, max_backoff);
        if (status == 429 && retry_after > 0) {
            snprintf(why, sizeof(why), "HTTP 429 (Retry-After: %ld s)", (long)retry_after);
            delay = retry_after > max_backoff / 1000 ? max_backoff : (long)retry_after * 1000;
        }
        if (k) /* the limit is the key's: its other requests wait as well */
            k->until_us = sb_time_monotonic_us() + (int64_t)delay * 1000;
    }
    if (delay < 0) {
        sb_curl_take_body(&s->buf, &resp);
        finish(r, i, 0, &resp, NULL);
        sb_curl_resp_clear(&resp);
        return;
    }
    explain(r, i, why, msg, sizeof(msg));
    int max_attempts = req->max_attempts < 1 ? 1 : req->max_attempts;
    if (j->attempts >= max_attempts) {
        size_t len = strlen(msg);
        snprintf(msg + len, sizeof(msg) - len, " (gave up after %d attempts)", j->attempts);
        sb_curl_take_body(&s->buf, &resp);
        finish(r, i, -1, &resp, msg);
        sb_curl_resp_clear(&resp);
        return;
    }
    sb_log_warn("%s request failed, retrying in %ld ms (attempt %d of %d%s%s): %s", req->method,
                delay, j->attempts, max_attempts, r->keys && r->keys[i] ? ", " : "",
                r->keys && r->keys[i] ? r->keys[i] : "", msg);
    j->state = WAITING;
    j->not_before_us = sb_time_monotonic_us() + (int64_t)delay * 1000;
    if (i < r->next)
        r->next = i;
}

/* Shutdown: every request waiting to start (or to be retried) ends
 * "interrupted"; those on the wire are let finish (within their timeout),
 * as the server may act on them: their answers are not thrown away. */
static void interrupt(run_t *r) {
    char msg[300];
    sb_curl_resp_t none = {0};
    for (size_t i = 0; i < r->n; i++)
        if (r->jobs[i].state == WAITING) {
            explain(r, i, "interrupted (shutting down)", msg, sizeof(msg));
            finish(r, i, -1, &none, msg);
        }
}

void sb_curl_multi_run(sb_curl_multi_t *m, const sb_curl_req_t *reqs, const char *const *keys,
                       size_t n, sb_curl_multi_done_fn done, void *ctx) {
    run_t r = {.m = m, .reqs = reqs, .keys = keys, .n = n, .left = n, .done = done, .ctx = ctx};
    sb_curl_resp_t none = {0};
    if (n == 0)
        return;
    if (!(r.jobs = calloc(n, sizeof(job_t)))) {
        for (size_t i = 0; i < n; i++)
            done(ctx, i, -1, &none, "out of memory");
        return;
    }
    while (r.left > 0) {
        int still = 0, queued;
        CURLMsg *msg;
        if (!sb_running) {
            interrupt(&r);
            if (r.left == 0)
                break;
        }
        long wait = sb_running ? start_due(&r) : MAX_WAIT_MS;
        curl_multi_perform(m->multi, &still);
        while ((msg = curl_multi_info_read(m->multi, &queued)))
            if (msg->msg == CURLMSG_DONE) {
                slot_t *s = NULL;
                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
                ended(&r, s, msg->data.result);
                wait = 0; /* a slot is free: start the next at once */
            }
        if (r.left > 0 && wait > 0)
            curl_multi_poll(m->multi, NULL, 0, (int)(wait < MAX_WAIT_MS ? wait : MAX_WAIT_MS),
                            NULL);
    }
    free(r.jobs);
}
