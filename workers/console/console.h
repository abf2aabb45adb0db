/* console: sb-console's shared context, roles and the helpers its API modules use. */

/* The security team's console: pages and a JSON API under /api/v1/ on
 * libmicrohttpd, reading PostgreSQL and producing to Kafka. Every replica
 * is stateless: sessions, lockouts and tokens live in PostgreSQL. */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "pool.h"
#include "sb_kafka.h"
#include "sb_producer.h"
#include "sb_http.h"
#include "sb_metrics.h"

/* What a console user may do; each level includes the ones below. */
typedef enum {
    CONSOLE_ROLE_NONE = 0, /* not logged in */
    CONSOLE_ROLE_VIEWER,
    CONSOLE_ROLE_RESPONDER,
    CONSOLE_ROLE_ADMIN,
} console_role_t;

/* "viewer", "responder", "admin" to a role; CONSOLE_ROLE_NONE otherwise. */
console_role_t console_role_parse(const char *s);
const char *console_role_name(console_role_t r);

/* Bounds of the request bodies and names the API takes. */
#define CONSOLE_MAX_BODY    (64 * 1024)
#define CONSOLE_NAME_MAX    64
#define CONSOLE_TRUSTED_MAX 16

/* The settings sb-console reads (main.c's table fills them). */
typedef struct {
    char *listen;
    char *assets;           /* SECURITYBOT_CONSOLE_ASSETS; NULL: unset */
    const char *assets_dir; /* the folder served: assets, or the build's default */
    char *chartjs;          /* Chart.js from its package */
    int insecure_cookies;   /* no Secure attribute: plain-HTTP local runs */
    char *trusted_header;   /* SSO proxy's user header; NULL: off */
    char *trusted_proxies;  /* comma-separated addresses allowed to set it */
    int64_t session_idle_ms, session_max_ms;
    long db_connections;
    sb_http_limits_t http; /* SECURITYBOT_HTTP_*, as the gateway's */
} console_settings_t;

/* Everything the handlers share; read-only after start but for what the
 * pool guards. */
typedef struct {
    const console_settings_t *set;
    console_pool_t *pool;
    sb_metrics_t *metrics;
    sb_producer_t *producer; /* its send and flush under produce_mu: a flush
                              * reports on everything since the last one */
    pthread_mutex_t produce_mu;
    char topic_resolutions[SB_TOPIC_MAX]; /* <prefix>resolutions */
    char topic_alerts[SB_TOPIC_MAX];      /* <prefix>alerts */
    const char *worker;                   /* "sb-console" */
    char trusted[CONSOLE_TRUSTED_MAX][48];
    size_t ntrusted;
} console_t;

/* Who sent a request, once authenticated. */
typedef enum {
    CONSOLE_VIA_NONE,
    CONSOLE_VIA_SESSION,
    CONSOLE_VIA_TOKEN,
    CONSOLE_VIA_HEADER
} console_via_t;

typedef struct {
    console_role_t role;
    console_via_t via;
    int64_t user_id; /* console_users.id; 0 for a token */
    char name[CONSOLE_NAME_MAX + 1];
    char actor[CONSOLE_NAME_MAX + 16]; /* audit_log.actor: "console:alice", "console-token:ci" */
} console_who_t;

/* Answers {"error": code, "detail": detail} with status. 0 or -1. */
int console_error(sb_http_response_t *resp, int status, const char *code, const char *detail);

/* Answers a JSON document (deleted here) with status. 0 or -1. */
int console_json(sb_http_response_t *resp, int status, cJSON *doc);

/* Appends one audit_log row on db (the caller's transaction or not):
 * actor, action, the alert (NULL: none) and detail (a JSON object text,
 * NULL: none). 0 or -1 with errstr. */
int console_audit(sb_db_t *db, const char *actor, const char *action, const char *alert_id,
                  const char *detail, char *errstr, size_t errstr_size);

/* Parses the comma-separated list of trusted proxy addresses into c;
 * 0, or -1 with errstr naming the variable. */
int console_trusted_parse(console_t *c, const char *list, char *errstr, size_t errstr_size);

/* 1 when addr is one of the trusted proxies. */
int console_trusted_peer(const console_t *c, const char *addr);

#endif
