/* auth: bearer tokens, the trusted SSO header, session cookies, and CSRF. */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sb_log.h"

#define BEARER_MAX 128
/* A session's last use is written when older than idle / AUTH_TOUCH_PARTS,
 * AUTH_TOUCH_MAX_MS at most. */
#define AUTH_TOUCH_PARTS  20
#define AUTH_TOUCH_MAX_MS 60000

int auth_cookie_value(const char *header, const char *name, char *out, size_t size) {
    size_t nl = strlen(name);
    int found = 0;
    for (const char *p = header; p && *p;) {
        size_t len;
        while (*p == ' ' || *p == ';')
            p++;
        len = strcspn(p, ";");
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t vl = len - nl - 1;
            if (found || vl >= size)
                return -1;
            memcpy(out, p + nl + 1, vl);
            out[vl] = '\0';
            found = 1;
        }
        p += len;
    }
    return found;
}

void auth_who_user(console_who_t *who, console_via_t via, const char *id, const char *name,
                   const char *role) {
    who->via = via;
    who->user_id = strtoll(id, NULL, 10);
    who->role = console_role_parse(role);
    snprintf(who->name, sizeof(who->name), "%s", name);
    snprintf(who->actor, sizeof(who->actor), "console:%s", name);
}

int auth_session_lookup(console_t *c, sb_db_t *db, const char *hash, auth_t *a) {
    char idle[32], step[32], errstr[512];
    const char *p[] = {hash, idle, step};
    PGresult *r;
    int found;
    int64_t step_ms = c->set->session_idle_ms / AUTH_TOUCH_PARTS;
    snprintf(idle, sizeof(idle), "%lld", (long long)c->set->session_idle_ms);
    snprintf(step, sizeof(step), "%lld",
             (long long)(step_ms < AUTH_TOUCH_MAX_MS ? step_ms : AUTH_TOUCH_MAX_MS));
    /* The idle expiry moves with use, the absolute one never. last_seen_at
     * is written only when it is older than a step (a twentieth of the idle
     * time, a minute at most): a read then commits no write, so waits for
     * no WAL flush; the idle expiry may come that much early. */
    r = sb_db_query(db,
                    "WITH s AS (SELECT s.token_hash, s.last_seen_at, u.id, u.name, u.role, "
                    "s.csrf_token FROM console_sessions s JOIN console_users u ON u.id = s.user_id "
                    "WHERE s.token_hash = $1 AND NOT u.disabled AND s.expires_at > now() "
                    "AND s.last_seen_at > now() - $2::bigint * interval '1 millisecond'), "
                    "touched AS (UPDATE console_sessions SET last_seen_at = now() "
                    "WHERE token_hash IN (SELECT token_hash FROM s "
                    "WHERE last_seen_at < now() - $3::bigint * interval '1 millisecond')) "
                    "SELECT id, name, role, csrf_token FROM s",
                    3, p, errstr, sizeof(errstr));
    if (!r) {
        sb_log_error("session lookup: %s", errstr);
        return -1;
    }
    found = PQntuples(r) == 1;
    if (found) {
        auth_who_user(&a->who, CONSOLE_VIA_SESSION, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
                      PQgetvalue(r, 0, 2));
        snprintf(a->csrf, sizeof(a->csrf), "%s", PQgetvalue(r, 0, 3));
        snprintf(a->session_hash, sizeof(a->session_hash), "%s", hash);
    }
    PQclear(r);
    return found;
}

int auth_session_create(console_t *c, sb_db_t *db, int64_t user_id, char token[SB_TOKEN_MAX],
                        auth_t *a) {
    char hash[SB_SHA256_HEX_LEN + 1], uid[24], max[32], errstr[512];
    const char *p[] = {hash, uid, a->csrf, max};
    if (sb_random_token("sbs_", token) != 0 || sb_random_token("", a->csrf) != 0 ||
        sb_sha256_hex(token, strlen(token), hash) != 0)
        return -1;
    snprintf(uid, sizeof(uid), "%lld", (long long)user_id);
    snprintf(max, sizeof(max), "%lld", (long long)c->set->session_max_ms);
    if (sb_db_exec(db,
                   "INSERT INTO console_sessions (token_hash, user_id, csrf_token, expires_at) "
                   "VALUES ($1, $2, $3, now() + $4::bigint * interval '1 millisecond')",
                   4, p, errstr, sizeof(errstr)) != 0) {
        sb_log_error("session create: %s", errstr);
        return -1;
    }
    snprintf(a->session_hash, sizeof(a->session_hash), "%s", hash);
    return 0;
}

int auth_set_cookie(const console_t *c, sb_http_response_t *resp, const char *token) {
    char v[256];
    snprintf(v, sizeof(v), AUTH_COOKIE "=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s",
             token ? token : "", token ? (long long)(c->set->session_max_ms / 1000) : 0LL,
             c->set->insecure_cookies ? "" : "; Secure");
    return sb_http_add_header(resp, "Set-Cookie", v);
}

/* Authorization: Bearer TOKEN; 1 with a filled, 0 with resp filled. */
static int by_token(sb_db_t *db, const char *authz, auth_t *a, sb_http_response_t *resp) {
    char hash[SB_SHA256_HEX_LEN + 1], errstr[512];
    const char *tok = authz + 7, *p[] = {hash};
    PGresult *r;
    int found;
    if (strncasecmp(authz, "Bearer ", 7) != 0 || strlen(tok) > BEARER_MAX || !*tok)
        return console_error(resp, 401, "invalid_token", "Authorization must be Bearer TOKEN");
    if (sb_sha256_hex(tok, strlen(tok), hash) != 0)
        return -1;
    /* last_used_at to the minute: most requests write nothing (no WAL flush) */
    r = sb_db_query(db,
                    "WITH t AS (SELECT id, name, role, last_used_at FROM console_tokens "
                    "WHERE token_hash = $1 AND revoked_at IS NULL), "
                    "touched AS (UPDATE console_tokens SET last_used_at = now() "
                    "WHERE id IN (SELECT id FROM t WHERE last_used_at IS NULL "
                    "OR last_used_at < now() - interval '1 minute')) "
                    "SELECT name, role FROM t",
                    1, p, errstr, sizeof(errstr));
    if (!r) {
        sb_log_error("token lookup: %s", errstr);
        return -1;
    }
    found = PQntuples(r) == 1;
    if (found) {
        a->who.via = CONSOLE_VIA_TOKEN;
        a->who.role = console_role_parse(PQgetvalue(r, 0, 1));
        snprintf(a->who.name, sizeof(a->who.name), "%s", PQgetvalue(r, 0, 0));
        snprintf(a->who.actor, sizeof(a->who.actor), "console-token:%s", a->who.name);
    }
    PQclear(r);
    return found ? 1 : (console_error(resp, 401, "invalid_token", "unknown or revoked token"));
}

/* The SSO proxy's header names an existing, enabled console user. */
static int by_header(sb_db_t *db, const char *name, auth_t *a, sb_http_response_t *resp) {
    char errstr[512];
    const char *p[] = {name};
    PGresult *r = sb_db_query(db,
                              "SELECT id, name, role FROM console_users "
                              "WHERE lower(name) = lower($1) AND NOT disabled",
                              1, p, errstr, sizeof(errstr));
    int found;
    if (!r) {
        sb_log_error("user lookup: %s", errstr);
        return -1;
    }
    found = PQntuples(r) == 1;
    if (found)
        auth_who_user(&a->who, CONSOLE_VIA_HEADER, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
                      PQgetvalue(r, 0, 2));
    PQclear(r);
    return found ? 1 : (console_error(resp, 403, "unknown_user", "not a console user"));
}

/* The session cookie: 1 alive (a filled), 0 absent, 2 expired or unknown,
 * 3 ambiguous, -1 on failure. */
static int by_cookie(console_t *c, const sb_http_request_t *req, sb_db_t *db, auth_t *a) {
    char token[SB_TOKEN_MAX + 8], hash[SB_SHA256_HEX_LEN + 1];
    int rc;
    if (sb_http_header_count(req, "Cookie") > 1)
        return 3;
    rc = auth_cookie_value(sb_http_header(req, "Cookie"), AUTH_COOKIE, token, sizeof(token));
    if (rc <= 0)
        return rc == 0 ? 0 : 3;
    if (sb_sha256_hex(token, strlen(token), hash) != 0)
        return -1;
    rc = auth_session_lookup(c, db, hash, a);
    return rc == 0 ? 2 : rc;
}

int auth_identify(console_t *c, const sb_http_request_t *req, sb_db_t *db, auth_t *a,
                  sb_http_response_t *resp) {
    const char *authz = sb_http_header(req, "Authorization"), *sso = NULL;
    char peer[64] = "";
    int rc;
    memset(a, 0, sizeof(*a));
    if (sb_http_header_count(req, "Authorization") > 1)
        return console_error(resp, 400, "bad_request", "more than one Authorization header");
    if (authz)
        return by_token(db, authz, a, resp);
    if (c->set->trusted_header && (sso = sb_http_header(req, c->set->trusted_header))) {
        sb_http_client_address(req, peer, sizeof(peer));
        if (sb_http_header_count(req, c->set->trusted_header) > 1)
            return console_error(resp, 400, "bad_request", "repeated identity header");
        if (console_trusted_peer(c, peer)) {
            auth_t s = {0};
            if ((rc = by_header(db, sso, a, resp)) != 1)
                return rc;
            /* the CSRF token comes from this user's session, when the cookie holds one */
            if (by_cookie(c, req, db, &s) == 1 && s.who.user_id == a->who.user_id) {
                memcpy(a->csrf, s.csrf, sizeof(a->csrf));
                memcpy(a->session_hash, s.session_hash, sizeof(a->session_hash));
            }
            return 1;
        }
        sb_log_kv_t kv[] = {{"peer", peer}, {"header", c->set->trusted_header}};
        sb_log_kv(SB_LOG_WARN, kv, 2, "identity header from an untrusted address ignored");
    }
    rc = by_cookie(c, req, db, a);
    if (rc == 1 || rc == -1)
        return rc;
    if (rc == 3)
        return console_error(resp, 400, "bad_request", "ambiguous session cookie");
    return console_error(resp, 401, rc == 2 ? "session_expired" : "unauthenticated",
                         rc == 2 ? "the session expired: log in again" : "log in first");
}

int auth_csrf_ok(const auth_t *a, const sb_http_request_t *req, sb_http_response_t *resp) {
    const char *got = sb_http_header(req, "X-CSRF-Token");
    if (a->who.via == CONSOLE_VIA_TOKEN)
        return 1;
    if (got && a->csrf[0] && sb_http_header_count(req, "X-CSRF-Token") == 1 &&
        sb_crypto_equal(got, strlen(got), a->csrf, strlen(a->csrf)))
        return 1;
    return console_error(resp, 403, "csrf", "missing or wrong X-CSRF-Token");
}
