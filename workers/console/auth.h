/* auth: who sent a request to sb-console (bearer token, trusted SSO header or session cookie) and
 * the CSRF check. */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>

#include "console.h"
#include "sb_crypto.h"

#define AUTH_COOKIE "sb_session"

/* What authenticate found besides the user: the session behind the
 * cookie (its CSRF token), when there is one. */
typedef struct {
    console_who_t who;
    char csrf[SB_TOKEN_MAX]; /* "" when no session */
    char session_hash[65];   /* "" when no session */
} auth_t;

/* The value of cookie name in a Cookie header into out: 1 found, 0 absent,
 * -1 when it appears twice or does not fit (ambiguous: refused). */
int auth_cookie_value(const char *header, const char *name, char *out, size_t size);

/* Identifies req's sender on db: 1 with a filled, 0 with resp filled (400
 * for an ambiguous request, 401 when nobody is logged in or the session
 * expired, 403 for an SSO user who is not a console user), -1 on a
 * database failure. */
int auth_identify(console_t *c, const sb_http_request_t *req, sb_db_t *db, auth_t *a,
                  sb_http_response_t *resp);

/* 1 when a state-changing request carries what CSRF needs: nothing with a
 * bearer token; else an X-CSRF-Token equal to the session's. 0 with resp
 * filled (403) otherwise. */
int auth_csrf_ok(const auth_t *a, const sb_http_request_t *req, sb_http_response_t *resp);

/* The session row for a session token's hash, into a (who and csrf);
 * 1 found and alive (its last use now), 0 not, -1 on failure. */
int auth_session_lookup(console_t *c, sb_db_t *db, const char *hash, auth_t *a);

/* A new session for user_id: its cookie token into token, its CSRF token
 * into a->csrf; 0 or -1. */
int auth_session_create(console_t *c, sb_db_t *db, int64_t user_id, char token[SB_TOKEN_MAX],
                        auth_t *a);

/* Adds the Set-Cookie for token (NULL: one that clears the cookie). */
int auth_set_cookie(const console_t *c, sb_http_response_t *resp, const char *token);

/* Fills who for a console user row (id, name, role text). */
void auth_who_user(console_who_t *who, console_via_t via, const char *id, const char *name,
                   const char *role);

#endif
