/* intake: bearer tokens (reloadable), per-token rate buckets, and the intake's publishing. */
#include "intake.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "bucket.h"
#include "sb_log.h"
#include "sb_message.h"
#include "sb_time.h"

struct sb_intake_s {
    sb_intake_config_t cfg;
    pthread_rwlock_t lock; /* readers: requests; writer: a reload */
    sb_tokens_t *tokens;   /* guarded by lock */
    sb_bucket_t *buckets;  /* one per token, guarded by lock (the array) and bucket_lock */
    pthread_mutex_t bucket_lock;
};

/* Buckets for table t, carrying over the state of the tokens that old (may
 * be NULL) had too, so a reload does not refill anyone's bucket. Called
 * with the write lock held, or before the intake is shared. */
static sb_bucket_t *buckets_for(const sb_intake_t *in, const sb_tokens_t *t, const sb_tokens_t *old,
                                const sb_bucket_t *old_buckets) {
    size_t n = sb_tokens_count(t);
    sb_bucket_t *b = calloc(n ? n : 1, sizeof(*b));
    int64_t now = sb_time_monotonic_us();
    if (!b)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        sb_bucket_init(&b[i], in->cfg.rate, in->cfg.rate, now);
        for (size_t j = 0; j < sb_tokens_count(old); j++)
            if (strcmp(sb_tokens_hash(t, i), sb_tokens_hash(old, j)) == 0)
                b[i] = old_buckets[j];
    }
    return b;
}

sb_intake_t *sb_intake_new(const sb_intake_config_t *cfg, sb_tokens_t *tokens, char *errstr,
                           size_t errstr_size) {
    sb_intake_t *in = calloc(1, sizeof(*in));
    if (!in)
        goto fail;
    in->cfg = *cfg;
    if (pthread_rwlock_init(&in->lock, NULL) != 0) {
        free(in);
        in = NULL;
        goto fail;
    }
    pthread_mutex_init(&in->bucket_lock, NULL);
    if (!(in->buckets = buckets_for(in, tokens, NULL, NULL)))
        goto fail;
    in->tokens = tokens; /* now the intake's */
    return in;
fail:
    sb_seterr(errstr, errstr_size, "out of memory");
    sb_tokens_destroy(tokens);
    sb_intake_destroy(in);
    return NULL;
}

int sb_intake_reload(sb_intake_t *in, size_t *count, char *errstr, size_t errstr_size) {
    sb_tokens_t *t = sb_tokens_load(in->cfg.tokens_file, errstr, errstr_size), *old;
    sb_bucket_t *b, *old_b;

    if (!t)
        return -1;
    pthread_rwlock_wrlock(&in->lock);
    if (!(b = buckets_for(in, t, in->tokens, in->buckets))) {
        pthread_rwlock_unlock(&in->lock);
        sb_tokens_destroy(t);
        sb_seterr(errstr, errstr_size, "out of memory");
        return -1;
    }
    old = in->tokens;
    old_b = in->buckets;
    in->tokens = t;
    in->buckets = b;
    *count = sb_tokens_count(t);
    pthread_rwlock_unlock(&in->lock);
    sb_tokens_destroy(old);
    free(old_b);
    return 0;
}

void sb_intake_destroy(sb_intake_t *in) {
    if (!in)
        return;
    sb_tokens_destroy(in->tokens);
    free(in->buckets);
    pthread_rwlock_destroy(&in->lock);
    pthread_mutex_destroy(&in->bucket_lock);
    free(in);
}

const char *sb_intake_user_label(const sb_intake_t *in) {
    return in ? in->cfg.user_label : NULL;
}

int sb_intake_refuse(sb_http_response_t *resp, int status, const char *code, const char *detail) {
    cJSON *o = cJSON_CreateObject();
    char *body = NULL;
    int rc = -1;
    if (o && cJSON_AddStringToObject(o, "error", code) &&
        cJSON_AddStringToObject(o, "detail", detail) && (body = cJSON_PrintUnformatted(o)))
        rc = sb_http_respond(resp, status, "application/json", body, strlen(body));
    free(body);
    cJSON_Delete(o);
    return rc;
}

int sb_intake_unavailable(sb_http_response_t *resp) {
    char s[16];
    snprintf(s, sizeof(s), "%d", SB_INTAKE_RETRY_AFTER_S);
    if (sb_intake_refuse(resp, 503, "unavailable", "not acknowledged by Kafka, retry later") != 0)
        return -1;
    return sb_http_add_header(resp, "Retry-After", s);
}

/* Logs a refusal with its reason code (never a token) and counts it. */
static void log_refusal(sb_intake_t *in, const char *path, int status, const char *code) {
    char st[8];
    snprintf(st, sizeof(st), "%d", status);
    sb_log_kv_t kv[] = {{"path", path}, {"status", st}, {"reason", code}};
    sb_log_kv(SB_LOG_WARN, kv, 3, "intake request refused");
    sb_metrics_count(in->cfg.metrics, SB_M_FAILED, "intake_refused", 1);
}

/* The bearer token of an Authorization value ("Bearer <token68>", the
 * scheme in any case), or NULL. */
static const char *bearer(const char *v, size_t *len) {
    static const char token68[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                                  "-._~+/";
    size_t n;
    if (!v || strncasecmp(v, "Bearer ", 7) != 0)
        return NULL;
    for (v += 7; *v == ' '; v++)
        ;
    n = strspn(v, token68);
    *len = n;
    while (v[*len] == '=')
        (*len)++;
    for (n = *len; v[n] == ' ' || v[n] == '\t'; n++)
        ;
    return *len > 0 && v[n] == '\0' ? v : NULL;
}

int sb_intake_authenticate(sb_intake_t *in, const sb_http_request_t *req, sb_intake_sender_t *who,
                           sb_http_response_t *resp) {
    size_t nauth = sb_http_header_count(req, "Authorization"), len = 0;
    const char *token;
    long i;

    if (!in) /* off: look like any unknown path */
        return sb_http_respond(resp, 404, "text/plain; charset=utf-8", "not found\n", 10);
    if (sb_http_query_count(req) > 0) {
        log_refusal(in, req->path, 400, "query_string");
        return sb_intake_refuse(resp, 400, "bad_request",
                                "no query string is accepted (a token goes in Authorization)");
    }
    if (nauth > 1) {
        log_refusal(in, req->path, 400, "repeated_authorization");
        return sb_intake_refuse(resp, 400, "bad_request", "more than one Authorization header");
    }
    token = bearer(sb_http_header(req, "Authorization"), &len);
    pthread_rwlock_rdlock(&in->lock);
    i = token ? sb_tokens_lookup(in->tokens, token, len) : -1;
    if (i >= 0) {
        snprintf(who->source, sizeof(who->source), "%s", sb_tokens_source(in->tokens, (size_t)i));
        snprintf(who->hash, sizeof(who->hash), "%s", sb_tokens_hash(in->tokens, (size_t)i));
    }
    pthread_rwlock_unlock(&in->lock);
    if (i >= 0)
        return 1;
    log_refusal(in, req->path, 401,
                nauth == 0 ? "missing_token"
                : token    ? "unknown_token"
                           : "malformed_token");
    if (sb_http_add_header(resp, "WWW-Authenticate", "Bearer") != 0)
        return -1;
    return sb_intake_refuse(resp, 401, "unauthorized", "a valid bearer token is required");
}

int sb_intake_charge(sb_intake_t *in, const sb_intake_sender_t *who, const char *path, size_t n,
                     sb_http_response_t *resp) {
    int64_t wait_s = -1;
    char s[32];

    pthread_rwlock_rdlock(&in->lock);
    for (size_t i = 0; i < sb_tokens_count(in->tokens); i++) {
        if (strcmp(sb_tokens_hash(in->tokens, i), who->hash) != 0)
            continue;
        pthread_mutex_lock(&in->bucket_lock);
        wait_s = sb_bucket_take(&in->buckets[i], (double)n, sb_time_monotonic_us());
        pthread_mutex_unlock(&in->bucket_lock);
        break;
    }
    pthread_rwlock_unlock(&in->lock);
    if (wait_s == 0)
        return 1;
    if (wait_s < 0) { /* a reload removed the token since it was checked */
        log_refusal(in, path, 401, "token_removed");
        return sb_intake_refuse(resp, 401, "unauthorized", "a valid bearer token is required");
    }
    log_refusal(in, path, 429, "rate_limited");
    snprintf(s, sizeof(s), "%lld", (long long)wait_s);
    if (sb_intake_refuse(resp, 429, "rate_limited", "too many alerts for this token") != 0)
        return -1;
    return sb_http_add_header(resp, "Retry-After", s);
}

int sb_intake_publish(sb_intake_t *in, const sb_intake_alert_t *alerts, size_t n, char *errstr,
                      size_t errstr_size) {
    sb_publisher_msg_t *m = calloc(n ? n : 1, sizeof(*m));
    int rc;
    if (!m) {
        sb_seterr(errstr, errstr_size, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        m[i] = (sb_publisher_msg_t){alerts[i].user, strlen(alerts[i].user), alerts[i].json,
                                    alerts[i].len};
    rc = sb_publisher_send_batch(in->cfg.pub, in->cfg.alerts_topic, m, n, SB_INTAKE_ACK_TIMEOUT_MS,
                                 errstr, errstr_size);
    if (rc == 0)
        sb_metrics_count(in->cfg.metrics, SB_M_PRODUCED, in->cfg.alerts_topic, (double)n);
    free(m);
    return rc;
}

int sb_intake_dead_letters(sb_intake_t *in, const char *path, const sb_intake_sender_t *who,
                           const sb_intake_dead_t *dead, size_t n, char *errstr,
                           size_t errstr_size) {
    sb_publisher_msg_t *m = calloc(n ? n : 1, sizeof(*m));
    char origin[300], now[32];
    size_t built = 0;
    int rc = -1;

    snprintf(origin, sizeof(origin), "http:%s", path);
    sb_time_format_us(sb_time_now_us(), now, sizeof(now));
    for (; m && built < n; built++) {
        const sb_intake_dead_t *d = &dead[built];
        cJSON *o = sb_message_dead_letter(origin, 0, (int64_t)d->index, d->original, d->len,
                                          d->reason, d->detail, now);
        char *json = o && cJSON_AddStringToObject(o, "intake_source", who->source)
                         ? cJSON_PrintUnformatted(o)
                         : NULL;
        cJSON_Delete(o);
        if (!json)
            break;
        m[built] = (sb_publisher_msg_t){d->key, d->key ? strlen(d->key) : 0, json, strlen(json)};
    }
    if (!m || built < n)
        sb_seterr(errstr, errstr_size, "out of memory building a dead letter");
    else if ((rc = sb_publisher_send_batch(in->cfg.pub, in->cfg.dlq_topic, m, n,
                                           SB_INTAKE_ACK_TIMEOUT_MS, errstr, errstr_size)) == 0)
        sb_metrics_count(in->cfg.metrics, SB_M_PRODUCED, in->cfg.dlq_topic, (double)n);
    for (size_t i = 0; m && i < built; i++)
        free((char *)m[i].value);
    free(m);
    return rc;
}
