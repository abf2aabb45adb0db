/* duo: Duo pushes in flight, taken by lease and driven to Duo's final answer. */
#include "duo.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "answer.h"
#include "change.h"
#include "sb_aead.h"
#include "sb_crypto.h"
#include "sb_log.h"
#include "sb_publish.h"
#include "sb_signal.h"
#include "turn.h"

/* $1 owner, $2 lease seconds: the next due row no one holds, leased. A
 * push is for an alert or for a guarded change (change.c): a change
 * waiting reads as an alert awaiting its code. */
static const char *const CLAIM_SQL =
    "WITH c AS (UPDATE duo_pushes d SET lease_owner = $1,"
    "   lease_until = now() + $2::int * interval '1 s', updated_at = now()"
    " WHERE d.id = (SELECT id FROM duo_pushes WHERE stage <> 'waiting'"
    "    AND next_at <= now() AND (lease_until IS NULL OR lease_until < now())"
    "    ORDER BY next_at LIMIT 1 FOR UPDATE SKIP LOCKED)"
    " RETURNING d.*)"
    " SELECT c.id, coalesce(c.alert_id, ''), coalesce(c.change_id::text, ''), c.employee_id,"
    "   c.duo_username, c.stage, coalesce(c.txid, ''), c.failures,"
    "   coalesce((extract(epoch FROM now() - c.unavailable_since) * 1000)::bigint, 0),"
    "   coalesce(a.status, CASE g.status WHEN 'awaiting_factor' THEN 'awaiting_code'"
    "                      ELSE g.status END, ''),"
    "   coalesce(a.title, 'Confirm your securitybot change: ' || g.kind || coalesce(' ' || g.rule,"
    "            '')),"
    "   coalesce(a.rule, g.rule, 'securitybot'), coalesce(a.source, 'securitybot'),"
    "   coalesce(a.chat_channel, ''), coalesce(e.chat_user_id, ''),"
    "   coalesce(encode(c.passcode_enc, 'hex'), '')"
    " FROM c JOIN employees e ON e.id = c.employee_id LEFT JOIN alerts a ON a.id = c.alert_id"
    " LEFT JOIN guarded_changes g ON g.id = c.change_id";
enum {
    J_ID,
    J_ALERT,
    J_CHANGE,
    J_EMPLOYEE,
    J_DUO_USER,
    J_STAGE,
    J_TXID,
    J_FAILURES,
    J_UNAVAILABLE_MS,
    J_STATUS,
    J_TITLE,
    J_RULE,
    J_SOURCE,
    J_CHANNEL,
    J_CHAT_USER,
    J_PASSCODE
};

/* Rows by duo_pushes.id. $1 id, $2 owner, $3 next stage, $4 txid (NULL:
 * keep), $5 pushes added. */
static const char *const ADVANCE_SQL =
    "UPDATE duo_pushes SET stage = $3, txid = coalesce($4, txid), pushes = pushes + $5::int,"
    "   failures = 0, unavailable_since = NULL, next_at = now(), lease_owner = NULL,"
    "   lease_until = NULL, updated_at = now()"
    " WHERE id = $1::bigint AND lease_owner = $2";
/* $1 id, $2 owner, $3 ms until the next try. */
static const char *const BACKOFF_SQL =
    "UPDATE duo_pushes SET failures = failures + 1,"
    "   unavailable_since = coalesce(unavailable_since, now()),"
    "   next_at = now() + $3::bigint * interval '1 millisecond', lease_owner = NULL,"
    "   lease_until = NULL, updated_at = now()"
    " WHERE id = $1::bigint AND lease_owner = $2";
static const char *const MINE_SQL =
    "SELECT 1 FROM duo_pushes WHERE id = $1::bigint AND lease_owner = $2 FOR UPDATE";
static const char *const DONE_SQL = "DELETE FROM duo_pushes WHERE id = $1::bigint";
static const char *const WAIT_SQL =
    "UPDATE duo_pushes SET stage = 'waiting', txid = NULL, failures = 0, passcode_enc = NULL,"
    "   unavailable_since = NULL, lease_owner = NULL, lease_until = NULL, updated_at = now()"
    " WHERE id = $1::bigint";
static const char *const REQUEST_SQL =
    "INSERT INTO duo_pushes (alert_id, employee_id, duo_username, stage)"
    " VALUES ($1, $2::bigint, $3, 'preauth')"
    " ON CONFLICT (alert_id) DO UPDATE SET stage = 'preauth', txid = NULL, failures = 0,"
    "   unavailable_since = NULL, next_at = now(), updated_at = now()";
static const char *const PASSCODE_SQL =
    "UPDATE duo_pushes d SET stage = 'passcode', passcode_enc = $2, next_at = now(),"
    "   updated_at = now()"
    "  FROM alerts a WHERE d.employee_id = $1::bigint AND d.stage = 'waiting'"
    "   AND a.id = d.alert_id AND a.status = 'awaiting_code' RETURNING d.alert_id";
static const char *const AGAIN_SQL =
    "UPDATE duo_pushes d SET stage = 'push', next_at = now(), updated_at = now()"
    "  FROM alerts a WHERE d.employee_id = $1::bigint AND d.stage = 'waiting'"
    "   AND a.id = d.alert_id AND a.status = 'awaiting_code' RETURNING d.alert_id";

typedef struct {
    struct sb_duo_poll_s *p;
    pthread_t tid;
    int started;
    char owner[96];
    sb_response_t r; /* own db and chat; the rest copied from the base */
    sb_curl_t *curl;
} poller_t;

struct sb_duo_poll_s {
    sb_duo_poll_config_t cfg;
    atomic_int stop;
    int n;
    poller_t threads[SB_DUO_MAX_THREADS];
};

int sb_duo_push_request(sb_db_t *db, const char *alert_id, const char *employee_id,
                        const char *duo_username, char *errstr, size_t errstr_size) {
    const char *params[] = {alert_id, employee_id, duo_username};
    return sb_db_exec(db, REQUEST_SQL, 3, params, errstr, errstr_size);
}

int sb_duo_passcode_request(sb_db_t *db, const unsigned char *key, const char *employee_id,
                            const char *passcode, char *errstr, size_t errstr_size) {
    unsigned char box[SB_DUO_PASSCODE_MAX + SB_AEAD_OVERHEAD];
    size_t boxlen = 0, len = strlen(passcode);
    PGresult *res;
    int n;

    if (len > SB_DUO_PASSCODE_MAX ||
        sb_aead_seal(key, passcode, len, employee_id, strlen(employee_id), box, &boxlen) == -1) {
        snprintf(errstr, errstr_size, "cannot seal the passcode");
        return -1;
    }
    const char *params[] = {employee_id, (const char *)box};
    const int lengths[] = {0, (int)boxlen}, formats[] = {0, 1};
    res = sb_db_query_prepared(db, "sb_duo_passcode", PASSCODE_SQL, 2, params, lengths, formats,
                               errstr, errstr_size);
    if (!res)
        return -1;
    n = PQntuples(res);
    PQclear(res);
    return n > 0;
}

int sb_duo_push_again(sb_db_t *db, const char *employee_id, char *errstr, size_t errstr_size) {
    const char *params[] = {employee_id};
    PGresult *res = sb_db_query(db, AGAIN_SQL, 1, params, errstr, errstr_size);
    int n;
    if (!res)
        return -1;
    n = PQntuples(res);
    PQclear(res);
    return n > 0;
}

static const char *col(PGresult *job, int c) {
    return PQgetvalue(job, 0, c);
}

/* Says text in the alert's conversation (after any COMMIT). Best effort. */
static void tell(poller_t *t, PGresult *job, const char *text) {
    sb_chat_error_t err = {0};
    char channel[SB_CHAT_CHANNEL_SIZE];
    snprintf(channel, sizeof(channel), "%s", col(job, J_CHANNEL));
    if ((!channel[0] &&
         sb_chat_open_dm(t->r.chat, col(job, J_CHAT_USER), channel, sizeof(channel), &err) == -1) ||
        sb_chat_send_text(t->r.chat, channel, text, NULL, &err) == -1) {
        sb_log_kv_t kv[] = {{"alert_id", col(job, J_ALERT)}, {"reason", err.code}};
        sb_log_kv(SB_LOG_WARN, kv, 2, "could not tell the employee: %s", err.msg);
    }
}

/* Duo's final answer applied as the employee's answer (or to their
 * guarded change), in one transaction that also ends (or parks) the push.
 * 0 or -1. */
static int apply(poller_t *t, PGresult *job, sb_conv_event_t event, const char *why) {
    const char *alert = col(job, J_ALERT), *change = col(job, J_CHANGE),
               *params[] = {col(job, J_ID), t->owner};
    char errstr[512], event_id[200];
    sb_turn_t turn = {.r = &t->r,
                      .event_id = event_id,
                      .chat_user = col(job, J_CHAT_USER),
                      .enrolled = 1,
                      .duo = 1};
    PGresult *mine = NULL;
    int rc = -1;

    snprintf(event_id, sizeof(event_id), "duo:%s:%s:%d", alert[0] ? alert : change,
             col(job, J_TXID), (int)event);
    snprintf(turn.actor, sizeof(turn.actor), "duo:%s", col(job, J_DUO_USER));
    snprintf(turn.employee, sizeof(turn.employee), "%s", col(job, J_EMPLOYEE));
    if (sb_db_begin(t->r.db, errstr, sizeof(errstr)) == -1)
        goto out;
    if (!(mine = sb_db_query(t->r.db, MINE_SQL, 2, params, errstr, sizeof(errstr))))
        goto out;
    if (PQntuples(mine) != 1) { /* our lease ran out: another replica has it */
        snprintf(errstr, sizeof(errstr), "lease lost");
        goto out;
    }
    if (change[0]) {
        if (sb_change_duo(&turn, change, event, why, errstr, sizeof(errstr)) == -1)
            goto out;
    } else if (sb_answer_apply(&turn, alert, event, NULL, NULL, errstr, sizeof(errstr)) == -1 ||
               sb_answer_duo_note(&turn, alert, why, errstr, sizeof(errstr)) == -1) {
        goto out;
    }
    if (sb_db_exec(t->r.db, turn.duo_retry ? WAIT_SQL : DONE_SQL, 1, params, errstr,
                   sizeof(errstr)) == -1 ||
        sb_publish_commit(t->r.producer, turn.produced, t->r.db, errstr, sizeof(errstr)) == -1)
        goto out;
    rc = 0;
    sb_turn_after_commit(&turn);
out:
    if (rc == -1) {
        sb_log_kv_t kv[] = {{"alert_id", alert[0] ? alert : NULL}};
        sb_log_kv(SB_LOG_WARN, kv, 1, "Duo's answer not applied yet: %s", errstr);
        sb_db_rollback(t->r.db);
    }
    PQclear(mine);
    sb_turn_free(&turn);
    return rc;
}

/* Duo did not answer: back off (1 s doubling to 32 s, plus up to 1 s of
 * jitter), or after give_up_ms without an answer, escalate. */
static int unavailable(poller_t *t, PGresult *job, const char *why) {
    int failures = atoi(col(job, J_FAILURES));
    long long since = atoll(col(job, J_UNAVAILABLE_MS)), delay;
    unsigned char r[2] = {0};
    char errstr[256], ms[32];
    const char *params[] = {col(job, J_ID), t->owner, ms};
    sb_log_kv_t kv[] = {{"alert_id", col(job, J_ALERT)[0] ? col(job, J_ALERT) : NULL}};

    sb_log_kv(SB_LOG_WARN, kv, 1, "Duo unavailable (%d failures): %s", failures + 1, why);
    if (failures > 0 && since >= t->p->cfg.give_up_ms)
        return apply(t, job, SB_CONV_DUO_UNAVAILABLE, why);
    sb_random_bytes(r, sizeof(r));
    delay = (1000LL << (failures < 5 ? failures : 5)) + (r[0] << 8 | r[1]) % 1000;
    snprintf(ms, sizeof(ms), "%lld", delay);
    return sb_db_exec(t->r.db, BACKOFF_SQL, 3, params, errstr, sizeof(errstr));
}

/* Moves the row to its next stage and releases it. */
static int advance(poller_t *t, PGresult *job, const char *stage, const char *txid, int pushed) {
    char errstr[256];
    const char *params[] = {col(job, J_ID), t->owner, stage, txid, pushed ? "1" : "0"};
    int rc = sb_db_exec(t->r.db, ADVANCE_SQL, 5, params, errstr, sizeof(errstr));
    if (rc == -1)
        sb_log_warn("duo: %s", errstr);
    return rc;
}

static int preauth(poller_t *t, PGresult *job, const cJSON *resp) {
    sb_duo_preauth_t pre;
    char msg[SB_DUO_MSG_SIZE], why[SB_DUO_MSG_SIZE + 32];
    if (sb_duo_read_preauth(resp, &pre, msg) == -1)
        return unavailable(t, job, "preauth: an answer that is not Duo's");
    snprintf(why, sizeof(why), "preauth %s: %s",
             pre == SB_DUO_PREAUTH_ALLOW    ? "allow"
             : pre == SB_DUO_PREAUTH_DENY   ? "deny"
             : pre == SB_DUO_PREAUTH_ENROLL ? "enroll"
                                            : "auth",
             msg);
    switch (pre) {
    case SB_DUO_PREAUTH_PUSH: return advance(t, job, "push", NULL, 0);
    case SB_DUO_PREAUTH_NO_PUSH:
        if (col(job, J_CHANGE)[0]) /* a change takes a push only: as one not approved */
            return apply(t, job, SB_CONV_PUSH_TIMEOUT, why);
        if (advance(t, job, "waiting", NULL, 0) == 0)
            tell(t, job,
                 "Your Duo account has no device that takes pushes: reply with a Duo "
                 "passcode instead.");
        return 0;
    case SB_DUO_PREAUTH_ALLOW: return apply(t, job, SB_CONV_DUO_BYPASS, why);
    default: return apply(t, job, SB_CONV_DUO_NO_FACTOR, why);
    }
}

static int pushed(poller_t *t, PGresult *job, const cJSON *resp) {
    char txid[SB_DUO_TXID_SIZE];
    if (sb_duo_read_txid(resp, txid) == -1)
        return unavailable(t, job, "auth: no txid in Duo's answer");
    if (advance(t, job, "status", txid, 1) == -1)
        return -1;
    tell(t, job, "I've sent a Duo push to your phone: approve it to confirm it was you.");
    return 0;
}

static int status(poller_t *t, PGresult *job, const cJSON *resp) {
    static const sb_conv_event_t events[] = {[SB_DUO_ALLOW] = SB_CONV_PUSH_ALLOWED,
                                             [SB_DUO_DENY] = SB_CONV_PUSH_DENIED,
                                             [SB_DUO_FRAUD] = SB_CONV_PUSH_FRAUD,
                                             [SB_DUO_TIMEOUT] = SB_CONV_PUSH_TIMEOUT};
    sb_duo_status_t st;
    char msg[SB_DUO_MSG_SIZE], why[SB_DUO_MSG_SIZE + 32];
    if (sb_duo_read_status(resp, &st, msg) == -1)
        return unavailable(t, job, "auth_status: an answer that is not Duo's");
    if (st == SB_DUO_WAITING)
        return advance(t, job, "status", NULL, 0);
    snprintf(why, sizeof(why), "auth_status: %s", msg);
    return apply(t, job, events[st], why);
}

/* The sealed passcode opened into out[SB_DUO_PASSCODE_MAX + 1]. 0 or -1. */
static int open_passcode(poller_t *t, PGresult *job, char *out) {
    const char *hex = col(job, J_PASSCODE);
    unsigned char box[SB_DUO_PASSCODE_MAX + SB_AEAD_OVERHEAD];
    size_t n = strlen(hex) / 2, len = 0;
    int rc = -1;

    if (!t->r.has_key || n < SB_AEAD_OVERHEAD || n > sizeof(box))
        return -1;
    for (size_t i = 0; i < n; i++)
        box[i] = (unsigned char)(sb_hex_value(hex[2 * i]) << 4 | sb_hex_value(hex[2 * i + 1]));
    if (sb_aead_open(t->r.key, box, n, col(job, J_EMPLOYEE), strlen(col(job, J_EMPLOYEE)),
                     (unsigned char *)out, &len) == 0) {
        out[len] = '\0';
        rc = 0;
    }
    sb_crypto_wipe(box, sizeof(box));
    return rc;
}

/* A passcode checked by Duo (a synchronous auth). */
static int passcode(poller_t *t, PGresult *job) {
    char code[SB_DUO_PASSCODE_MAX + 1], errstr[512], msg[SB_DUO_MSG_SIZE],
        why[SB_DUO_MSG_SIZE + 32];
    cJSON *resp = NULL;
    sb_duo_status_t st = SB_DUO_DENY;
    sb_duo_result_t res;
    int rc;

    if (open_passcode(t, job, code) == -1)
        return unavailable(t, job, "the passcode does not open with the configured key");
    const sb_duo_param_t p[] = {
        {"username", col(job, J_DUO_USER)}, {"factor", "passcode"}, {"passcode", code}};
    res = sb_duo_call(t->curl, &t->p->cfg.duo, "POST", "/auth/v2/auth", p, 3, time(NULL), &resp,
                      errstr, sizeof(errstr));
    sb_crypto_wipe(code, sizeof(code));
    if (res != SB_DUO_ANSWERED || sb_duo_read_status(resp, &st, msg) == -1 ||
        st == SB_DUO_WAITING) {
        rc = unavailable(t, job, res != SB_DUO_ANSWERED ? errstr : "auth: not Duo's answer");
    } else {
        snprintf(why, sizeof(why), "passcode: %s", msg);
        rc = apply(t, job, st == SB_DUO_ALLOW ? SB_CONV_PASSCODE_RIGHT : SB_CONV_PASSCODE_WRONG,
                   why);
    }
    cJSON_Delete(resp);
    return rc;
}

/* The Duo call the row's stage needs, and what its answer does. */
static int step(poller_t *t, PGresult *job) {
    const char *stage = col(job, J_STAGE), *user = col(job, J_DUO_USER);
    char errstr[512], *info = NULL;
    cJSON *resp = NULL;
    sb_duo_result_t res;
    int rc;

    if (!strcmp(stage, "passcode"))
        return passcode(t, job);
    if (!strcmp(stage, "preauth")) {
        const sb_duo_param_t p[] = {{"username", user}};
        res = sb_duo_call(t->curl, &t->p->cfg.duo, "POST", "/auth/v2/preauth", p, 1, time(NULL),
                          &resp, errstr, sizeof(errstr));
    } else if (!strcmp(stage, "push")) {
        const sb_duo_param_t pi[] = {{"title", col(job, J_TITLE)},
                                     {"rule", col(job, J_RULE)},
                                     {"source", col(job, J_SOURCE)}};
        info = sb_duo_params_canon(pi, 3);
        const sb_duo_param_t p[] = {{"username", user},      {"factor", "push"},
                                    {"device", "auto"},      {"async", "1"},
                                    {"type", "securitybot"}, {"pushinfo", info ? info : ""}};
        res = sb_duo_call(t->curl, &t->p->cfg.duo, "POST", "/auth/v2/auth", p, 6, time(NULL), &resp,
                          errstr, sizeof(errstr));
    } else {
        const sb_duo_param_t p[] = {{"txid", col(job, J_TXID)}};
        res = sb_duo_call(t->curl, &t->p->cfg.duo, "GET", "/auth/v2/auth_status", p, 1, time(NULL),
                          &resp, errstr, sizeof(errstr));
    }
    free(info);
    if (res != SB_DUO_ANSWERED) /* a refusal is our configuration: never fail open either */
        rc = unavailable(t, job, errstr);
    else if (!strcmp(stage, "preauth"))
        rc = preauth(t, job, resp);
    else if (!strcmp(stage, "push"))
        rc = pushed(t, job, resp);
    else
        rc = status(t, job, resp);
    cJSON_Delete(resp);
    return rc;
}

/* One due row, if any: 1 done one, 0 none due, -1 failure. */
static int once(poller_t *t) {
    char errstr[512], lease[32];
    const char *params[] = {t->owner, lease};
    PGresult *job;
    int rc;

    /* the lease outlasts the call, so no other replica takes the row meanwhile */
    snprintf(lease, sizeof(lease), "%ld", t->p->cfg.duo.timeout_ms / 1000 + SB_DUO_LEASE_SLACK_S);
    if (sb_db_ensure(t->r.db, errstr, sizeof(errstr)) == -1 ||
        !(job = sb_db_query(t->r.db, CLAIM_SQL, 2, params, errstr, sizeof(errstr)))) {
        sb_log_warn("duo: %s", errstr);
        return -1;
    }
    if (PQntuples(job) != 1) {
        PQclear(job);
        return 0;
    }
    if (strcmp(col(job, J_STATUS), "awaiting_code") != 0) { /* answered or moved on meanwhile */
        const char *done[] = {col(job, J_ID)};
        rc = sb_db_exec(t->r.db, DONE_SQL, 1, done, errstr, sizeof(errstr));
    } else {
        rc = step(t, job);
    }
    PQclear(job);
    return rc == -1 ? -1 : 1;
}

/* Sleeps ms in small steps, so a shutdown is seen within 100 ms. */
static void nap(sb_duo_poll_t *p, int ms) {
    for (; ms > 0 && !atomic_load(&p->stop) && sb_running; ms -= 100)
        usleep(100 * 1000);
}

static void *run(void *arg) {
    poller_t *t = arg;
    while (!atomic_load(&t->p->stop) && sb_running) {
        int rc = once(t);
        if (rc <= 0)
            nap(t->p, rc == 0 ? 200 : 1000);
    }
    return NULL;
}

static int thread_init(sb_duo_poll_t *p, int i, char *errstr, size_t errstr_size) {
    poller_t *t = &p->threads[i];
    char host[64] = "";
    t->p = p;
    t->r = *p->cfg.base;
    t->r.producer = NULL; /* its own handle below: its flush waits for its messages only */
    gethostname(host, sizeof(host) - 1);
    snprintf(t->owner, sizeof(t->owner), "%.63s:%ld:%d", host, (long)getpid(), i);
    if (!(t->r.producer = sb_producer_share(p->cfg.base->producer, errstr, errstr_size)) ||
        !(t->r.db = sb_db_connect_retry(p->cfg.database_url, "sb-response-duo", 0, errstr,
                                        errstr_size)) ||
        !(t->r.chat = sb_worker_chat_new(p->cfg.chat, errstr, errstr_size)) ||
        !(t->curl = sb_curl_new(errstr, errstr_size)))
        return -1;
    if (pthread_create(&t->tid, NULL, run, t) != 0) {
        snprintf(errstr, errstr_size, "cannot start a Duo thread");
        return -1;
    }
    t->started = 1;
    return 0;
}

sb_duo_poll_t *sb_duo_poll_start(const sb_duo_poll_config_t *cfg, char *errstr,
                                 size_t errstr_size) {
    sb_duo_poll_t *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    p->cfg = *cfg;
    p->n = cfg->threads < 1                    ? 1
           : cfg->threads > SB_DUO_MAX_THREADS ? SB_DUO_MAX_THREADS
                                               : cfg->threads;
    atomic_init(&p->stop, 0);
    for (int i = 0; i < p->n; i++) {
        if (thread_init(p, i, errstr, errstr_size) == -1) {
            sb_duo_poll_stop(p);
            return NULL;
        }
    }
    return p;
}

void sb_duo_poll_stop(sb_duo_poll_t *p) {
    if (!p)
        return;
    atomic_store(&p->stop, 1);
    for (int i = 0; i < p->n; i++) {
        poller_t *t = &p->threads[i];
        if (t->started)
            pthread_join(t->tid, NULL);
        sb_curl_destroy(t->curl);
        sb_chat_destroy(t->r.chat);
        sb_db_destroy(t->r.db);
        sb_producer_destroy(t->r.producer);
    }
    free(p);
}
