/* sb-console: the security team's console: its configuration and the hooks the worker skeleton
 * calls. */

/* The pages and their files (assets.c), the JSON API (api*.c) with who
 * may use it (auth.c, login.c), served by serve.c on libmicrohttpd.
 * Stateless: several replicas may serve behind one load balancer. */
#include <stdio.h>

#include "console.h"
#include "serve.h"
#include "sb_worker.h"

/* The source tree's assets folder, set by the build (workers/CMakeLists.txt). */
#ifndef SB_CONSOLE_ASSETS_DEFAULT
#define SB_CONSOLE_ASSETS_DEFAULT "/usr/share/securitybot/console"
#endif

static const char summary[] =
    "Serves the security team's console: pages (GET /, /login, /assets/*), Chart.js from its "
    "package (GET /vendor/chart.js) and a JSON API under /api/v1/ for the pages and for scripts "
    "with a bearer token (sbctl tokens create). Console users come from `sbctl users`; they log "
    "in with a password (a session cookie, CSRF token, lockout after failed logins) or through a "
    "single sign-on proxy's trusted header. GET /healthz and /readyz for probes.";

typedef struct {
    sb_worker_config_t w;
    console_settings_t set;
    console_t console;
} console_main_t;

static int configure(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    console_main_t *m = ctx;
    (void)w;
    m->set.assets_dir = m->set.assets ? m->set.assets : SB_CONSOLE_ASSETS_DEFAULT;
    if (m->set.session_idle_ms <= 0 || m->set.session_max_ms < m->set.session_idle_ms) {
        snprintf(errstr, errstr_size,
                 "SECURITYBOT_CONSOLE_SESSION_MAX must be at least "
                 "SECURITYBOT_CONSOLE_SESSION_IDLE, both above 0");
        return SB_WORKER_CONFIG_ERROR;
    }
    if (m->set.trusted_header && !m->set.trusted_proxies) {
        snprintf(errstr, errstr_size,
                 "SECURITYBOT_CONSOLE_TRUSTED_HEADER needs "
                 "SECURITYBOT_CONSOLE_TRUSTED_PROXIES");
        return SB_WORKER_CONFIG_ERROR;
    }
    if (console_trusted_parse(&m->console, m->set.trusted_proxies, errstr, errstr_size) != 0)
        return SB_WORKER_CONFIG_ERROR;
    return 0;
}

static int start(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    console_main_t *m = ctx;
    m->console.set = &m->set;
    m->console.metrics = w->metrics;
    m->console.worker = w->name;
    m->console.producer = w->producer;
    pthread_mutex_init(&m->console.produce_mu, NULL);
    if (sb_kafka_topic(m->console.topic_resolutions, SB_TOPIC_MAX, w->prefix,
                       SB_TOPIC_RESOLUTIONS) != 0 ||
        sb_kafka_topic(m->console.topic_alerts, SB_TOPIC_MAX, w->prefix, SB_TOPIC_ALERTS) != 0) {
        snprintf(errstr, errstr_size, "SECURITYBOT_TOPIC_PREFIX is too long");
        return -1;
    }
    m->console.pool = console_pool_new(m->w.common.database_url, w->name,
                                       (size_t)m->set.db_connections, errstr, errstr_size);
    return m->console.pool ? 0 : -1;
}

static int run(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    console_main_t *m = ctx;
    (void)w;
    return serve_run(&m->console, errstr, errstr_size);
}

static void stop(void *ctx) {
    console_main_t *m = ctx;
    console_pool_destroy(m->console.pool);
    m->console.pool = NULL;
}

int main(int argc, char **argv) {
    console_main_t m = {0};
    /* one entry a line: a table that reads on its own */
    /* clang-format off */
    const sb_cfg_entry_t table[] = {
        SB_COMMON_CONFIG_ENTRIES(&m.w.common),
        SB_METRICS_CONFIG_ENTRY(&m.w.metrics_listen),
        SB_CFG_STR("SECURITYBOT_CONSOLE_LISTEN", &m.set.listen, "127.0.0.1:8090", "ADDRESS:PORT to serve the console on (numeric IPv4, or [IPv6]; port 0 picks a free one)"),
        SB_CFG_STR("SECURITYBOT_CONSOLE_ASSETS", &m.set.assets, NULL, "folder of the console's pages and their files; unset: workers/console/assets of the source tree it was built from"),
        SB_CFG_STR("SECURITYBOT_CONSOLE_CHARTJS", &m.set.chartjs, "/usr/share/javascript/chart.js/chart.min.js", "Chart.js as a package installed it (Debian's libjs-chart.js)"),
        SB_CFG_BOOL("SECURITYBOT_CONSOLE_INSECURE_COOKIES", &m.set.insecure_cookies, "false", "true: session cookies without Secure, for plain-HTTP local runs only"),
        SB_CFG_STR("SECURITYBOT_CONSOLE_TRUSTED_HEADER", &m.set.trusted_header, NULL, "request header a single sign-on proxy sets to the user's name (e.g. X-Auth-Request-Email); unset: off"),
        SB_CFG_STR("SECURITYBOT_CONSOLE_TRUSTED_PROXIES", &m.set.trusted_proxies, NULL, "comma-separated addresses of the proxies allowed to set that header"),
        SB_CFG_DURATION("SECURITYBOT_CONSOLE_SESSION_IDLE", &m.set.session_idle_ms, "30m", "a session unused this long expires"),
        SB_CFG_DURATION("SECURITYBOT_CONSOLE_SESSION_MAX", &m.set.session_max_ms, "12h", "a session expires this long after login, used or not"),
        SB_CFG_INT("SECURITYBOT_CONSOLE_DB_CONNECTIONS", &m.set.db_connections, "4", 1, 64, "PostgreSQL connections the request threads share"),
        /* the gateway's names: each process reads its own environment; a
         * handler holds a database connection, so fewer threads by default */
        SB_HTTP_CONFIG_ENTRIES_THREADS(&m.set.http, "16"),
    };
    static const char *const produces[] = {SB_TOPIC_RESOLUTIONS, SB_TOPIC_ALERTS, NULL};
    const sb_worker_spec_t spec = {
        .name = "sb-console", .summary = summary, SB_WORKER_TABLE(table), .settings = &m.w,
        .produces = produces,
        .configure = configure, .start = start, .run = run, .stop = stop, .ctx = &m,
    };
    /* clang-format on */
    return sb_worker_main(&spec, argc, argv);
}
