/* api: routes every /api/v1/ request through authentication, its role, CSRF, then its handler. */
#include "api.h"

#include <stdio.h>
#include <string.h>

#include "login.h"
#include "sb_log.h"
#include "sb_time.h"

/* One endpoint: the least role it needs (NONE: public). */
typedef struct {
    const char *method, *pattern;
    console_role_t role;
    api_handler_t handler;
} api_route_t;

static int on_login(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    return login_handle(c, call->req, call->db, resp);
}
static int on_logout(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    return login_logout(c, call->auth, call->db, resp);
}
static int on_session(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    return login_session(c, call->auth, call->db, resp);
}

static const api_route_t routes[] = {
    {"POST", "/api/v1/login", CONSOLE_ROLE_NONE, on_login},
    {"POST", "/api/v1/logout", CONSOLE_ROLE_VIEWER, on_logout},
    {"GET", "/api/v1/session", CONSOLE_ROLE_VIEWER, on_session},
    {"GET", "/api/v1/alerts", CONSOLE_ROLE_VIEWER, api_alerts_list},
    {"GET", "/api/v1/alerts/{}", CONSOLE_ROLE_VIEWER, api_alert_show},
    {"GET", "/api/v1/escalations", CONSOLE_ROLE_VIEWER, api_escalations_list},
    {"POST", "/api/v1/escalations/{}/acknowledge", CONSOLE_ROLE_RESPONDER, api_escalation_ack},
    {"POST", "/api/v1/escalations/{}/resolve", CONSOLE_ROLE_RESPONDER, api_escalation_resolve},
    {"POST", "/api/v1/alerts", CONSOLE_ROLE_RESPONDER, api_alert_create},
    {"GET", "/api/v1/rules", CONSOLE_ROLE_VIEWER, api_rules},
    {"GET", "/api/v1/employees", CONSOLE_ROLE_VIEWER, api_employees_list},
    {"POST", "/api/v1/employees/{}/optout", CONSOLE_ROLE_ADMIN, api_employee_optout},
    {"POST", "/api/v1/employees/{}/optin", CONSOLE_ROLE_ADMIN, api_employee_optin},
    {"POST", "/api/v1/employees/{}/reset-second-factor", CONSOLE_ROLE_ADMIN,
     api_employee_reset_2fa},
    {"GET", "/api/v1/ignore-rules", CONSOLE_ROLE_VIEWER, api_ignore_list},
    {"POST", "/api/v1/ignore-rules", CONSOLE_ROLE_RESPONDER, api_ignore_add},
    {"DELETE", "/api/v1/ignore-rules", CONSOLE_ROLE_RESPONDER, api_ignore_remove},
    {"GET", "/api/v1/dead-letters", CONSOLE_ROLE_VIEWER, api_dlq_list},
    {"POST", "/api/v1/dead-letters/{}/replay", CONSOLE_ROLE_RESPONDER, api_dlq_replay},
    {"GET", "/api/v1/users", CONSOLE_ROLE_ADMIN, api_users_list},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

int api_path_match(const char *pattern, const char *path, char params[2][80]) {
    int np = 0;
    while (*pattern) {
        if (pattern[0] == '{' && pattern[1] == '}') {
            size_t n = strcspn(path, "/");
            if (n == 0 || n >= 80 || np == 2)
                return 0;
            memcpy(params[np], path, n);
            params[np++][n] = '\0';
            path += n;
            pattern += 2;
        } else if (*pattern++ != *path++) {
            return 0;
        }
    }
    return *path == '\0';
}

/* The route for req: 1 found; 0 with a 404 or 405 answered. */
static int find_route(const sb_http_request_t *req, const api_route_t **out, char params[2][80],
                      sb_http_response_t *resp) {
    char allow[64] = "";
    for (size_t i = 0; i < NROUTES; i++) {
        if (!api_path_match(routes[i].pattern, req->path, params))
            continue;
        if (strcmp(routes[i].method, req->method) == 0) {
            *out = &routes[i];
            return 1;
        }
        if (!strstr(allow, routes[i].method) && strlen(allow) + 8 < sizeof(allow)) {
            if (allow[0])
                strcat(allow, ", ");
            strcat(allow, routes[i].method);
        }
    }
    if (!allow[0])
        return console_error(resp, 404, "not_found", "no such endpoint") == 0 ? 0 : -1;
    if (sb_http_add_header(resp, "Allow", allow) != 0)
        return -1;
    return console_error(resp, 405, "method_not_allowed", "method not allowed here") == 0 ? 0 : -1;
}

/* Authentication, role and CSRF for a non-public route: 1 to go on. */
static int admit(console_t *c, const api_route_t *r, api_call_t *call, sb_http_response_t *resp) {
    int rc = auth_identify(c, call->req, call->db, call->auth, resp);
    if (rc != 1)
        return rc;
    if (call->auth->who.role < r->role) {
        sb_log_kv_t kv[] = {{"actor", call->auth->who.actor}, {"path", call->req->path}};
        sb_log_kv(SB_LOG_INFO, kv, 2, "console request refused: role %s needs %s",
                  console_role_name(call->auth->who.role), console_role_name(r->role));
        return console_error(resp, 403, "forbidden", "your role may not do this") == 0 ? 0 : -1;
    }
    if (strcmp(call->req->method, "GET") != 0)
        return auth_csrf_ok(call->auth, call->req, resp);
    return 1;
}

/* A body, when there is one, must be JSON. */
static int body_ok(const sb_http_request_t *req) {
    return req->body_len == 0 ||
           sb_http_media_type_is(sb_http_header(req, "Content-Type"), "application/json");
}

int api_dispatch(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    console_t *c = ctx;
    const api_route_t *r = NULL;
    auth_t auth;
    api_call_t call = {.req = req, .auth = &auth};
    char errstr[512], status[8];
    int64_t t0 = sb_time_monotonic_us();
    int rc = find_route(req, &r, call.params, resp);

    if (rc == 1 && !body_ok(req))
        rc = console_error(resp, 415, "unsupported_media_type", "send application/json") == 0 ? 0
                                                                                              : -1;
    if (rc == 1 && !(call.db = console_pool_acquire(c->pool, errstr, sizeof(errstr)))) {
        sb_log_error("console: %s", errstr);
        rc = console_error(resp, 503, "unavailable", "the database is unavailable") == 0 ? 0 : -1;
    }
    if (rc == 1 && r->role != CONSOLE_ROLE_NONE)
        rc = admit(c, r, &call, resp);
    if (rc == 1)
        rc = r->handler(c, &call, resp);
    console_pool_release(c->pool, call.db);
    snprintf(status, sizeof(status), "%d", rc == 0 ? resp->status : 500);
    sb_metrics_count(c->metrics, SB_M_HTTP, status, 1);
    sb_metrics_observe(c->metrics, (double)(sb_time_monotonic_us() - t0) / 1e6);
    return rc == 0 ? 0 : -1;
}
