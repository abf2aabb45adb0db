/* sb_http: route table, body caps and refusals (404/405/413/415) on libmicrohttpd. */
#include "sb_http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sb_buf.h"
#include "sb_http_deadline.h"
#include "sb_http_listen.h"
#include "sb_log.h"

/* After the cap is hit, up to this much more of a body without a
 * Content-Length (chunked) is read and discarded so that the client can get
 * its 413; beyond it the connection is closed. */
#define DRAIN_MAX ((uint64_t)1 << 20)
/* How long sb_http_stop waits for handlers in progress. */
#define STOP_WAIT_MS 5000

struct sb_http_server_s {
    struct MHD_Daemon *mhd;
    sb_http_route_t *routes; /* owned copy */
    size_t nroutes;
    void *ctx;
    const char *const *headers; /* added to every answer; borrowed */
    int port;
    atomic_int inflight;          /* requests past the header checks, not yet completed */
    sb_http_deadline_t *deadline; /* NULL: no request timeout */
};

/* Per-request state between the calls of the access handler. */
typedef struct {
    const sb_http_route_t *route;
    sb_buf_t body;      /* accumulated body, owned */
    uint64_t discarded; /* bytes dropped after the body went over max_body */
    int too_large;
} req_state_t;

static void log_refusal(sb_log_level_t level, const char *method, const char *path, int status,
                        const char *reason) {
    char st[8];
    snprintf(st, sizeof(st), "%d", status);
    sb_log_kv_t kv[] = {{"method", method}, {"path", path}, {"status", st}, {"reason", reason}};
    sb_log_kv(level, kv, sizeof(kv) / sizeof(kv[0]), "http request refused");
}

/* Queues a short text/plain answer, with one more header when hname is
 * set (Allow for a 405; Connection: close where the request's end is
 * unknown). */
/* The server's own headers (sb_http_start_with_headers) on r. */
static void add_server_headers(const sb_http_server_t *srv, struct MHD_Response *r) {
    for (const char *const *h = srv->headers; h && h[0] && h[1]; h += 2)
        MHD_add_response_header(r, h[0], h[1]);
}

static enum MHD_Result reply(const sb_http_server_t *srv, struct MHD_Connection *conn, int status,
                             const char *text, const char *hname, const char *hvalue) {
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret;
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    add_server_headers(srv, r);
    if (hname)
        MHD_add_response_header(r, hname, hvalue);
    ret = MHD_queue_response(conn, (unsigned int)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result refuse(const sb_http_server_t *srv, struct MHD_Connection *conn,
                              const char *method, const char *path, int status, const char *reason,
                              const char *text, const char *hname, const char *hvalue) {
    log_refusal(SB_LOG_INFO, method, path, status, reason);
    return reply(srv, conn, status, text, hname, hvalue);
}

/* Parses a Content-Length; -1 when absent or not a plain decimal number. */
static int content_length(struct MHD_Connection *conn, uint64_t *out) {
    const char *s =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    uint64_t v = 0;
    if (!s || !*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

/* Conflicting framing (RFC 9112 6.1, 6.3): two Content-Length headers, or
 * a Content-Length beside a Transfer-Encoding. libmicrohttpd takes one of
 * them; a proxy in front may take the other, and the body of one request
 * would then smuggle a second. Refused, whatever the route. */
static int framing_ambiguous(struct MHD_Connection *conn) {
    sb_http_request_t req = {.conn = conn};
    size_t cl = sb_http_header_count(&req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    return cl > 1 || (cl == 1 && sb_http_header_count(&req, MHD_HTTP_HEADER_TRANSFER_ENCODING) > 0);
}

/* RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without a
 * Host header, and to any request with more than one. */
static int host_bad(struct MHD_Connection *conn, const char *version) {
    sb_http_request_t req = {.conn = conn};
    size_t n = sb_http_header_count(&req, MHD_HTTP_HEADER_HOST);
    return n > 1 || (n == 0 && version && strcmp(version, MHD_HTTP_VERSION_1_0) != 0);
}

/* A route's path against a request's: exact, or a prefix before a final '*'. */
static int path_matches(const char *route, const char *path) {
    size_t n = strlen(route);
    if (n > 0 && route[n - 1] == '*')
        return strncmp(route, path, n - 1) == 0;
    return strcmp(route, path) == 0;
}

/* First call for a request: route lookup and the checks that need only the
 * headers. Returns the route, or NULL after queueing a refusal in *ret. */
static const sb_http_route_t *check_headers(sb_http_server_t *srv, struct MHD_Connection *conn,
                                            const char *path, const char *method,
                                            const char *version, enum MHD_Result *ret) {
    const sb_http_route_t *route = NULL;
    char allow[256] = "";
    int path_known = 0;
    uint64_t clen;

    if (host_bad(conn, version)) {
        *ret = refuse(srv, conn, method, path, 400, "bad_host", "one Host header is required\n",
                      NULL, NULL);
        return NULL;
    }
    if (framing_ambiguous(conn)) {
        /* where this request's body ends is unknown: the connection closes */
        *ret = refuse(srv, conn, method, path, 400, "ambiguous_framing",
                      "conflicting Content-Length or Transfer-Encoding\n",
                      MHD_HTTP_HEADER_CONNECTION, "close");
        return NULL;
    }
    for (size_t i = 0; i < srv->nroutes; i++) {
        const sb_http_route_t *r = &srv->routes[i];
        if (!path_matches(r->path, path))
            continue;
        path_known = 1;
        if (strcmp(r->method, method) == 0) {
            route = r;
            break;
        }
        if (strlen(allow) + strlen(r->method) + 3 < sizeof(allow)) {
            if (allow[0])
                strcat(allow, ", ");
            strcat(allow, r->method);
        }
    }
    if (!route && !path_known)
        *ret = refuse(srv, conn, method, path, 404, "not_found", "not found\n", NULL, NULL);
    else if (!route)
        *ret = refuse(srv, conn, method, path, 405, "method_not_allowed", "method not allowed\n",
                      MHD_HTTP_HEADER_ALLOW, allow);
    else if (route->content_type &&
             !sb_http_media_type_is(
                 MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
                 route->content_type))
        *ret = refuse(srv, conn, method, path, 415, "unsupported_media_type",
                      "unsupported media type\n", NULL, NULL);
    else if (content_length(conn, &clen) == 0 && clen > route->max_body)
        *ret = refuse(srv, conn, method, path, 413, "body_too_large", "request body too large\n",
                      NULL, NULL);
    else
        return route;
    return NULL;
}

/* Appends a piece of body, or switches to discarding once over the cap.
 * Returns -1 when the connection should be closed. */
static int take_body(req_state_t *st, const char *data, size_t size) {
    if (!st->too_large && size > st->route->max_body - st->body.len) {
        st->too_large = 1;
        sb_buf_free(&st->body); /* nothing more is kept */
    }
    if (st->too_large) {
        st->discarded += size;
        return st->discarded > DRAIN_MAX ? -1 : 0;
    }
    sb_buf_add(&st->body, data, size);
    return st->body.err ? -1 : 0;
}

static void response_free(sb_http_response_t *resp) {
    free(resp->body);
    free(resp->content_type);
    for (size_t i = 0; i < resp->nheaders; i++) {
        free(resp->headers[i][0]);
        free(resp->headers[i][1]);
    }
}

/* Queues what a handler or a precheck answered (rc: its return value,
 * 0 for an answer); a failure or an impossible status answers 500. */
static enum MHD_Result queue_answer(const sb_http_server_t *srv, struct MHD_Connection *conn,
                                    sb_http_response_t *resp, int rc, const char *path,
                                    const char *method) {
    struct MHD_Response *r;
    enum MHD_Result ret;

    if (rc != 0 || resp->status < 200 || resp->status > 599) {
        log_refusal(SB_LOG_ERROR, method, path, 500,
                    rc != 0 ? "handler_failed" : "handler_bad_status");
        response_free(resp);
        return reply(srv, conn, 500, "internal error\n", NULL, NULL);
    }
    /* the body now belongs to the response, which frees it */
    r = MHD_create_response_from_buffer(resp->body_len, resp->body ? resp->body : (void *)"",
                                        resp->body ? MHD_RESPMEM_MUST_FREE
                                                   : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        response_free(resp);
        return MHD_NO;
    }
    resp->body = NULL;
    if (resp->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    add_server_headers(srv, r);
    for (size_t i = 0; i < resp->nheaders; i++)
        MHD_add_response_header(r, resp->headers[i][0], resp->headers[i][1]);
    response_free(resp);
    ret = MHD_queue_response(conn, (unsigned int)resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The connection's entry in the deadline registry, or NULL. */
static sb_http_conn_t *conn_entry(struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? i->socket_context : NULL;
}

/* Last call for a request: runs the handler (its time does not count as
 * receiving) and queues its answer. */
static enum MHD_Result run_handler(sb_http_server_t *srv, struct MHD_Connection *conn,
                                   req_state_t *st, const char *path, const char *method) {
    sb_http_request_t req = {method, path, sb_buf_str(&st->body), st->body.len, conn};
    sb_http_response_t resp = {.status = 200};
    sb_http_conn_t *c = srv->deadline ? conn_entry(conn) : NULL;
    int rc;
    sb_http_deadline_busy(srv->deadline, c, 1);
    rc = st->route->handler(srv->ctx, &req, &resp);
    sb_http_deadline_busy(srv->deadline, c, 0);
    return queue_answer(srv, conn, &resp, rc, path, method);
}

/* The route's precheck, on the headers alone: 1 to read the body, 0 after
 * queueing its refusal (or a 500) in *ret. */
static int precheck(sb_http_server_t *srv, struct MHD_Connection *conn,
                    const sb_http_route_t *route, const char *path, const char *method,
                    enum MHD_Result *ret) {
    sb_http_request_t req = {method, path, "", 0, conn};
    sb_http_response_t resp = {.status = 200};
    int rc = route->precheck(srv->ctx, &req, &resp);
    if (rc == 1) {
        response_free(&resp);
        return 1;
    }
    *ret = queue_answer(srv, conn, &resp, rc == 0 ? 0 : -1, path, method);
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
    sb_http_server_t *srv = cls;
    req_state_t *st = *con_cls;
    enum MHD_Result ret = MHD_NO;

    if (!st) { /* headers only so far */
        const sb_http_route_t *route = check_headers(srv, conn, url, method, version, &ret);
        if (!route || (route->precheck && !precheck(srv, conn, route, url, method, &ret)))
            return ret;
        st = calloc(1, sizeof(*st));
        if (!st)
            return MHD_NO;
        st->route = route;
        atomic_fetch_add(&srv->inflight, 1);
        *con_cls = st; /* freed in on_completed */
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (take_body(st, upload_data, *upload_data_size) != 0) {
            log_refusal(SB_LOG_INFO, method, url, 413, "body_too_large_closed");
            return MHD_NO;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (st->too_large)
        return refuse(srv, conn, method, url, 413, "body_too_large", "request body too large\n",
                      NULL, NULL);
    return run_handler(srv, conn, st, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    sb_http_server_t *srv = cls;
    req_state_t *st = *con_cls;
    if (!st)
        return;
    sb_buf_free(&st->body);
    free(st);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->inflight, 1);
}

/* Connections come and go: the deadline registry follows them. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
    sb_http_server_t *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *i =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = i ? sb_http_deadline_join(srv->deadline, i->connect_fd) : NULL;
    } else {
        sb_http_deadline_leave(srv->deadline, *socket_context);
        *socket_context = NULL;
    }
}

/* libmicrohttpd's own messages, as log lines. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    char msg[512];
    size_t n;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    sb_log_warn("microhttpd: %s", msg);
}

/* Every way to start a server: limits NULL for the defaults, headers NULL
 * for none. */
static sb_http_server_t *start(const char *listen, const sb_http_route_t *routes, size_t n,
                               void *ctx, const sb_http_limits_t *limits,
                               const char *const *headers, char *errstr, size_t errstr_size) {
    static const sb_http_limits_t defaults = SB_HTTP_LIMITS_DEFAULT;
    const sb_http_limits_t *l = limits ? limits : &defaults;
    struct sockaddr_storage ss;
    sb_http_server_t *srv = NULL;
    const union MHD_DaemonInfo *info;
    /* a pool of threads on epoll: an idle or slow connection holds no
     * thread, so slow clients cannot take every thread (slowloris) */
    unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;

    if (sb_http_parse_listen(listen, &ss, errstr, errstr_size) != 0)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!routes[i].method || !routes[i].path || !routes[i].handler) {
            snprintf(errstr, errstr_size, "http route %zu lacks a method, path or handler", i);
            return NULL;
        }
    }
    srv = calloc(1, sizeof(*srv));
    if (!srv || (n && !(srv->routes = malloc(n * sizeof(*routes))))) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    if (n)
        memcpy(srv->routes, routes, n * sizeof(*routes));
    srv->nroutes = n;
    srv->ctx = ctx;
    srv->headers = headers;
    atomic_init(&srv->inflight, 0);
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (l->request_timeout_ms > 0 &&
        !(srv->deadline = sb_http_deadline_new(l->request_timeout_ms))) {
        snprintf(errstr, errstr_size, "http: cannot start the request timer: %s", strerror(errno));
        goto fail;
    }
    sb_http_fit_open_files(l->max_connections);

    /* the logger goes first so that MHD never writes its own format */
    srv->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned int)l->threads, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SB_HTTP_TIMEOUT_S,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)l->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)l->max_per_ip,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION,
        srv->deadline ? on_connection : NULL, srv, MHD_OPTION_END);
    if (!srv->mhd) {
        snprintf(errstr, errstr_size, "http: cannot listen on %s: %s", listen, strerror(errno));
        goto fail;
    }
    info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? (int)info->port : -1;
    return srv;

fail:
    if (srv) {
        sb_http_deadline_free(srv->deadline);
        free(srv->routes);
    }
    free(srv);
    return NULL;
}

sb_http_server_t *sb_http_start(const char *listen, const sb_http_route_t *routes, size_t n,
                                void *ctx, char *errstr, size_t errstr_size) {
    return start(listen, routes, n, ctx, NULL, NULL, errstr, errstr_size);
}

sb_http_server_t *sb_http_start_limits(const char *listen, const sb_http_route_t *routes, size_t n,
                                       void *ctx, const sb_http_limits_t *limits, char *errstr,
                                       size_t errstr_size) {
    return start(listen, routes, n, ctx, limits, NULL, errstr, errstr_size);
}

sb_http_server_t *sb_http_start_full(const char *listen, const sb_http_route_t *routes, size_t n,
                                     void *ctx, const sb_http_limits_t *limits,
                                     const char *const *headers, char *errstr, size_t errstr_size) {
    return start(listen, routes, n, ctx, limits, headers, errstr, errstr_size);
}

sb_http_server_t *sb_http_start_with_headers(const char *listen, const sb_http_route_t *routes,
                                             size_t n, void *ctx, const char *const *headers,
                                             char *errstr, size_t errstr_size) {
    return start(listen, routes, n, ctx, NULL, headers, errstr, errstr_size);
}

int sb_http_port(const sb_http_server_t *srv) {
    return srv ? srv->port : -1;
}

void sb_http_stop(sb_http_server_t *srv) {
    MHD_socket lsock;
    struct timespec tick = {0, 10 * 1000 * 1000};

    if (!srv)
        return;
    /* stop accepting, let the handlers in progress answer, then close */
    lsock = MHD_quiesce_daemon(srv->mhd);
    for (int waited = 0; atomic_load(&srv->inflight) > 0 && waited < STOP_WAIT_MS; waited += 10)
        nanosleep(&tick, NULL);
    MHD_stop_daemon(srv->mhd); /* every connection has left the registry now */
    if (lsock != MHD_INVALID_SOCKET)
        close(lsock); /* quiesce handed the listening socket over to us */
    sb_http_deadline_free(srv->deadline);
    free(srv->routes);
    free(srv);
}
