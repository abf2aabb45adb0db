/* serve: the routes of sb-console (pages, files, probes, the API) and its serve loop. */
#include "serve.h"

#include <stdio.h>
#include <string.h>

#include "api.h"
#include "assets.h"
#include "sb_log.h"
#include "sb_signal.h"
#include "sb_time.h"
#include "sb_worker.h"

#define JS_TYPE "text/javascript; charset=utf-8"

/* Strict by default: only the console's own files run, no inline script
 * or style, no framing (clickjacking), no plugin, forms post only here. */
const char *const serve_security_headers[] = {
    "Content-Security-Policy",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options",
    "nosniff",
    "X-Frame-Options",
    "DENY",
    "Referrer-Policy",
    "same-origin",
    "Cache-Control",
    "no-store",
    NULL,
};

static int on_index(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    const console_t *c = ctx;
    (void)req;
    return assets_serve(c->set->assets_dir, "index.html", resp);
}

static int on_login_page(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    const console_t *c = ctx;
    (void)req;
    return assets_serve(c->set->assets_dir, "login.html", resp);
}

/* GET /assets/NAME: a file of the assets folder, never outside it. */
static int on_asset(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    const console_t *c = ctx;
    return assets_serve(c->set->assets_dir, req->path + strlen("/assets/"), resp);
}

/* GET /vendor/chart.js: Chart.js as its package installed it. */
static int on_chartjs(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    const console_t *c = ctx;
    (void)req;
    return assets_serve_file(c->set->chartjs, JS_TYPE, resp);
}

static int on_healthz(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    (void)ctx;
    (void)req;
    return sb_http_respond(resp, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

/* GET /readyz: PostgreSQL answers. */
static int on_readyz(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    console_t *c = ctx;
    char errstr[512];
    sb_db_t *db = console_pool_acquire(c->pool, errstr, sizeof(errstr));
    int ok = db && sb_db_exec(db, "SELECT 1", 0, NULL, errstr, sizeof(errstr)) == 0;
    (void)req;
    console_pool_release(c->pool, db);
    if (ok)
        return sb_http_respond(resp, 200, "text/plain; charset=utf-8", "ready\n", 6);
    sb_log_warn("not ready: %s", errstr);
    return sb_http_respond(resp, 503, "text/plain; charset=utf-8", "not ready\n", 10);
}

static const sb_http_route_t routes[] = {
    {"GET", "/", NULL, 0, on_index, NULL},
    {"GET", "/login", NULL, 0, on_login_page, NULL},
    {"GET", "/assets/*", NULL, 0, on_asset, NULL},
    {"GET", "/vendor/chart.js", NULL, 0, on_chartjs, NULL},
    {"GET", "/healthz", NULL, 0, on_healthz, NULL},
    {"GET", "/readyz", NULL, 0, on_readyz, NULL},
    {"GET", "/api/v1/*", NULL, 0, api_dispatch, NULL},
    {"POST", "/api/v1/*", NULL, CONSOLE_MAX_BODY, api_dispatch, NULL},
    {"DELETE", "/api/v1/*", NULL, CONSOLE_MAX_BODY, api_dispatch, NULL},
};

int serve_run(console_t *c, char *errstr, size_t errstr_size) {
    char port[16];
    sb_http_server_t *srv =
        sb_http_start_full(c->set->listen, routes, sizeof(routes) / sizeof(routes[0]), c,
                           &c->set->http, serve_security_headers, errstr, errstr_size);
    if (!srv && strncmp(errstr, "SECURITYBOT_HTTP_LISTEN:", 24) == 0) {
        /* a malformed address is a configuration error (a busy port is not):
         * named by this worker's variable */
        char why[400];
        snprintf(why, sizeof(why), "%s", errstr + 24);
        snprintf(errstr, errstr_size, "SECURITYBOT_CONSOLE_LISTEN:%s", why);
        return SB_WORKER_CONFIG_ERROR;
    }
    if (!srv)
        return -1;
    snprintf(port, sizeof(port), "%d", sb_http_port(srv));
    sb_log_kv_t kv[] = {{"listen", c->set->listen}, {"port", port}, {"assets", c->set->assets_dir}};
    sb_log_kv(SB_LOG_INFO, kv, 3, "listening");
    while (sb_running) {
        sb_metrics_beat(c->metrics);
        sb_time_sleep_ms(100);
    }
    sb_http_stop(srv); /* stop accepting, finish the requests in flight */
    return 0;
}
