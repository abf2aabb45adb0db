/* login: sb-console's password login with lockout, logout, and "who am I". */
#ifndef LOGIN_H
#define LOGIN_H

#include "auth.h"

/* Failed logins per user within the window before the account locks,
 * and how long it stays locked. */
#define LOGIN_MAX_FAILURES 5
#define LOGIN_WINDOW       "15 minutes"
#define LOGIN_LOCK         "15 minutes"

/* POST /api/v1/login {"user", "password"}: 200 with the session cookie
 * and {"user", "role", "csrf"}; 401 for a wrong name or password (the
 * same answer, after the same work); 429 with Retry-After while locked. */
int login_handle(console_t *c, const sb_http_request_t *req, sb_db_t *db, sb_http_response_t *resp);

/* POST /api/v1/logout: ends the cookie's session and clears the cookie. */
int login_logout(console_t *c, const auth_t *a, sb_db_t *db, sb_http_response_t *resp);

/* GET /api/v1/session: {"user", "role", "via", "csrf"}; an SSO user
 * without a session gets one here (the cookie that carries CSRF). */
int login_session(console_t *c, auth_t *a, sb_db_t *db, sb_http_response_t *resp);

#endif
