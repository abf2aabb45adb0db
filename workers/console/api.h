/* api: sb-console's JSON API under /api/v1/: routing, authentication, roles, CSRF. */
#ifndef API_H
#define API_H

#include "auth.h"

/* One API request as a handler sees it. */
typedef struct {
    const sb_http_request_t *req;
    auth_t *auth;       /* who sent it (empty for a public route) */
    sb_db_t *db;        /* a pooled connection for this request alone */
    char params[2][80]; /* the path's {} segments, in order */
} api_call_t;

typedef int (*api_handler_t)(console_t *c, api_call_t *call, sb_http_response_t *resp);

/* Every /api/v1/ request, whatever its method (the sb_http handler). */
int api_dispatch(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp);

/* 1 when pattern ("/api/v1/escalations/{}/resolve") matches path, each {}
 * one non-empty segment of at most 79 bytes copied into params (two at
 * most); 0 otherwise. */
int api_path_match(const char *pattern, const char *path, char params[2][80]);

/* How GET /api/v1/alerts searches the title text q (api_alerts.c says
 * why there are three ways). */
typedef enum {
    API_Q_SCAN,    /* the newest alerts, until enough match (no trigram in q) */
    API_Q_PROBE,   /* only among the newest API_Q_PROBE_ROWS of the other filters */
    API_Q_INDEXED, /* through the title search's trigram index */
} api_q_mode_t;
#define API_Q_PROBE_ROWS 2000

/* The mode a term starts with: API_Q_PROBE when pg_trgm can take a trigram
 * from it, else API_Q_SCAN. */
api_q_mode_t api_alerts_q_mode(const char *q);

/* GET /api/v1/alerts's statement for these values (NULL: absent): the nine
 * filters (employee, rule, source, severity, status, outcome, since, until,
 * q), the cursor's microseconds and alert id, and the limit (required), into
 * sql: only the terms of the values present, each value a parameter, in
 * order into params; q searched the way mode says. The parameter count, or
 * -1 when sql is too small. */
int api_alerts_statement(const char *const values[12], api_q_mode_t mode, char *sql, size_t size,
                         const char *params[12]);

/* Answers {"key": [...]} with the JSON array that sql (n params; one row,
 * one column, never NULL: coalesce(json_agg(...), '[]')) returns; -1 (a 500,
 * the error logged under key) when the statement fails. */
int api_list(api_call_t *call, sb_http_response_t *resp, const char *key, const char *sql, int n,
             const char *const *params);

/* The handlers, one module each. */
int api_alerts_list(console_t *c, api_call_t *call, sb_http_response_t *resp);
int api_alert_show(console_t *c, api_call_t *call, sb_http_response_t *resp);
int api_escalation_ack(console_t *c, api_call_t *call, sb_http_response_t *resp);
int api_escalations_list(console_t *c, api_call_t *call, sb_http_response_t *resp);
int api_escalation_resolve(console_t *c, api_call_t *call, sb_http_response_t *resp);
int api_rules(console_t *c, api_call_t *call, sb_http_response_t *resp);
int api_alert_create(console_t *c, api_call_t *call, sb_http_response_t *resp);
int api_ignore_list(console_t *c, api_call_t *call, sb_http_response_t *resp);
int api_ignore_add(console_t *c, api_call_t *call, sb_http_response_t *resp);
int api_ignore_remove(console_t *c, api_call_t *call, sb_http_response_t *resp);
int api_employees_list(console_t *c, api_call_t *call, sb_http_response_t *resp);
int api_employee_optout(console_t *c, api_call_t *call, sb_http_response_t *resp);
int api_employee_optin(console_t *c, api_call_t *call, sb_http_response_t *resp);
int api_employee_reset_2fa(console_t *c, api_call_t *call, sb_http_response_t *resp);
int api_dlq_list(console_t *c, api_call_t *call, sb_http_response_t *resp);
int api_dlq_replay(console_t *c, api_call_t *call, sb_http_response_t *resp);
int api_users_list(console_t *c, api_call_t *call, sb_http_response_t *resp);

#endif
