/* login: passwords checked with Argon2id, failed logins counted and locked, sessions made. */
#include "login.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_log.h"
#include "sb_password.h"

typedef struct {
    char id[24], name[CONSOLE_NAME_MAX + 1], role[16], hash[SB_PASSWORD_HASH_MAX];
    char actor[CONSOLE_NAME_MAX + 16]; /* "console:NAME" */
    int exists, usable, locked;
    long retry_s;
} login_user_t;

/* The user row, locked FOR UPDATE so concurrent failures count once each. */
static int load_user(sb_db_t *db, const char *name, login_user_t *u) {
    char errstr[512];
    const char *p[] = {name};
    PGresult *r = sb_db_query(db,
                              "SELECT id, name, role, coalesce(password_hash, ''), NOT disabled, "
                              "coalesce(locked_until > now(), false), "
                              "coalesce(ceil(extract(epoch FROM locked_until - now())), 0)::bigint "
                              "FROM console_users WHERE lower(name) = lower($1) FOR UPDATE",
                              1, p, errstr, sizeof(errstr));
    if (!r) {
        sb_log_error("login: %s", errstr);
        return -1;
    }
    memset(u, 0, sizeof(*u));
    if ((u->exists = PQntuples(r) == 1)) {
        snprintf(u->id, sizeof(u->id), "%s", PQgetvalue(r, 0, 0));
        snprintf(u->name, sizeof(u->name), "%s", PQgetvalue(r, 0, 1));
        snprintf(u->actor, sizeof(u->actor), "console:%s", u->name);
        snprintf(u->role, sizeof(u->role), "%s", PQgetvalue(r, 0, 2));
        snprintf(u->hash, sizeof(u->hash), "%s", PQgetvalue(r, 0, 3));
        u->usable = PQgetvalue(r, 0, 4)[0] == 't';
        u->locked = PQgetvalue(r, 0, 5)[0] == 't';
        u->retry_s = atol(PQgetvalue(r, 0, 6));
    }
    PQclear(r);
    return 0;
}

/* Counts a failure; locks the account at the limit (audited). 0 or -1. */
static int record_failure(sb_db_t *db, const login_user_t *u, const char *why) {
    char errstr[512], detail[160];
    const char *p[] = {u->id};
    PGresult *r;
    int n;
    snprintf(detail, sizeof(detail), "{\"reason\": \"%s\"}", why);
    if (console_audit(db, u->actor, "console_login_failed", NULL, detail, errstr, sizeof(errstr)) !=
            0 ||
        sb_db_exec(db, "INSERT INTO console_login_failures (user_id) VALUES ($1)", 1, p, errstr,
                   sizeof(errstr)) != 0 ||
        !(r = sb_db_query(db,
                          "SELECT count(*) FROM console_login_failures WHERE user_id = $1 "
                          "AND at > now() - interval '" LOGIN_WINDOW "'",
                          1, p, errstr, sizeof(errstr))))
        goto fail;
    n = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (n < LOGIN_MAX_FAILURES)
        return 0;
    snprintf(detail, sizeof(detail), "{\"failures\": %d, \"window\": \"" LOGIN_WINDOW "\"}", n);
    if (sb_db_exec(db,
                   "UPDATE console_users SET locked_until = now() + interval '" LOGIN_LOCK "', "
                   "updated_at = now() WHERE id = $1",
                   1, p, errstr, sizeof(errstr)) == 0 &&
        sb_db_exec(db, "DELETE FROM console_login_failures WHERE user_id = $1", 1, p, errstr,
                   sizeof(errstr)) == 0 &&
        console_audit(db, u->actor, "console_user_locked", NULL, detail, errstr, sizeof(errstr)) ==
            0) {
        sb_log_kv_t kv[] = {{"console_user", u->name}};
        sb_log_kv(SB_LOG_WARN, kv, 1, "console user locked after %d failed logins", n);
        return 0;
    }
fail:
    sb_log_error("login: %s", errstr);
    return -1;
}

/* The credentials of a login body; 0, or -1 when it is not the object
 * {"user": string, "password": string}. */
static int read_body(const sb_http_request_t *req, cJSON **root, const char **user,
                     const char **password) {
    const cJSON *u, *p;
    *root = cJSON_ParseWithLength(req->body, req->body_len);
    u = cJSON_GetObjectItemCaseSensitive(*root, "user");
    p = cJSON_GetObjectItemCaseSensitive(*root, "password");
    if (!cJSON_IsObject(*root) || !cJSON_IsString(u) || !cJSON_IsString(p) ||
        strlen(u->valuestring) > CONSOLE_NAME_MAX || strlen(p->valuestring) > SB_PASSWORD_MAX)
        return -1;
    *user = u->valuestring;
    *password = p->valuestring;
    return 0;
}

/* A successful login: the session, its audit row, the cookie. */
static int open_session(console_t *c, sb_db_t *db, const login_user_t *u,
                        sb_http_response_t *resp) {
    auth_t a = {0};
    char token[SB_TOKEN_MAX], errstr[512];
    cJSON *doc = cJSON_CreateObject();
    int rc = -1;
    if (!doc || auth_session_create(c, db, strtoll(u->id, NULL, 10), token, &a) != 0 ||
        console_audit(db, u->actor, "console_login", NULL, NULL, errstr, sizeof(errstr)) != 0 ||
        sb_db_commit(db, errstr, sizeof(errstr)) != 0)
        goto out;
    cJSON_AddStringToObject(doc, "user", u->name);
    cJSON_AddStringToObject(doc, "role", u->role);
    cJSON_AddStringToObject(doc, "csrf", a.csrf);
    rc = auth_set_cookie(c, resp, token) == 0 ? console_json(resp, 200, doc) : -1;
    doc = NULL;
out:
    cJSON_Delete(doc);
    sb_crypto_wipe(token, sizeof(token));
    return rc;
}

int login_handle(console_t *c, const sb_http_request_t *req, sb_db_t *db,
                 sb_http_response_t *resp) {
    cJSON *root = NULL;
    const char *name, *password;
    login_user_t u;
    char errstr[512], retry[24];
    int rc = -1, ok;

    if (read_body(req, &root, &name, &password) != 0) {
        rc = console_error(resp, 400, "bad_request", "expected {\"user\": ..., \"password\": ...}");
        goto out;
    }
    if (sb_db_begin(db, errstr, sizeof(errstr)) != 0 || load_user(db, name, &u) != 0)
        goto out;
    if (u.exists && u.locked) {
        snprintf(retry, sizeof(retry), "%ld", u.retry_s > 0 ? u.retry_s : 1);
        if (console_audit(db, u.actor, "console_login_refused", NULL, "{\"reason\": \"locked\"}",
                          errstr, sizeof(errstr)) != 0 ||
            sb_db_commit(db, errstr, sizeof(errstr)) != 0)
            goto out;
        sb_http_add_header(resp, "Retry-After", retry);
        rc = console_error(resp, 429, "locked", "too many failed logins: try again later");
        goto out;
    }
    ok = sb_password_verify(u.exists && u.hash[0] ? u.hash : NULL, password);
    if (ok && u.usable) {
        rc = open_session(c, db, &u, resp);
        goto out;
    }
    if (u.exists && (record_failure(db, &u, ok ? "disabled" : "password") != 0 ||
                     sb_db_commit(db, errstr, sizeof(errstr)) != 0))
        goto out;
    rc = console_error(resp, 401, "bad_credentials", "wrong user name or password");
out:
    sb_db_rollback(db);
    cJSON_Delete(root);
    return rc;
}

int login_logout(console_t *c, const auth_t *a, sb_db_t *db, sb_http_response_t *resp) {
    char errstr[512];
    const char *p[] = {a->session_hash};
    if (a->session_hash[0] && sb_db_exec(db, "DELETE FROM console_sessions WHERE token_hash = $1",
                                         1, p, errstr, sizeof(errstr)) != 0)
        return -1;
    if (console_audit(db, a->who.actor, "console_logout", NULL, NULL, errstr, sizeof(errstr)) !=
            0 ||
        auth_set_cookie(c, resp, NULL) != 0)
        return -1;
    return console_json(resp, 200, cJSON_CreateObject());
}

int login_session(console_t *c, auth_t *a, sb_db_t *db, sb_http_response_t *resp) {
    static const char *const via[] = {"none", "session", "token", "header"};
    char token[SB_TOKEN_MAX] = "", errstr[512];
    cJSON *doc;
    if (a->who.via == CONSOLE_VIA_HEADER && !a->csrf[0]) {
        if (auth_session_create(c, db, a->who.user_id, token, a) != 0 ||
            console_audit(db, a->who.actor, "console_login", NULL, "{\"via\": \"header\"}", errstr,
                          sizeof(errstr)) != 0 ||
            auth_set_cookie(c, resp, token) != 0)
            return -1;
        sb_crypto_wipe(token, sizeof(token));
    }
    if (!(doc = cJSON_CreateObject()))
        return -1;
    cJSON_AddStringToObject(doc, "user", a->who.name);
    cJSON_AddStringToObject(doc, "role", console_role_name(a->who.role));
    cJSON_AddStringToObject(doc, "via", via[a->who.via]);
    if (a->csrf[0])
        cJSON_AddStringToObject(doc, "csrf", a->csrf);
    return console_json(resp, 200, doc);
}
