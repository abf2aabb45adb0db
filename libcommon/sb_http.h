/* sb_http: a small HTTP server on libmicrohttpd with a declarative route table and body caps. */
#ifndef SB_HTTP_H
#define SB_HTTP_H

#include <stddef.h>

#include <stdint.h>

#include "sb_config.h"

/* Per-connection inactivity timeout of every server. */
#define SB_HTTP_TIMEOUT_S 10

/* How much a server takes on. Connections cost a socket and a little
 * memory, not a thread: a pool of threads serves them all (epoll), so
 * thousands of idle or slow clients hold no thread; the handlers run on the
 * pool's threads. */
typedef struct {
    long threads;               /* the pool: handlers that may run at once */
    long max_connections;       /* open connections at most */
    long max_per_ip;            /* open connections from one address at most (0: any) */
    int64_t request_timeout_ms; /* to receive a request, headers and body (0: no limit) */
} sb_http_limits_t;

/* The limits of a server that does not configure its own (metrics). */
#define SB_HTTP_LIMITS_DEFAULT                                                                     \
    { 4, 1024, 32, 10000 }

/* The configuration entries of a server facing the network, into *l: the
 * same names in every binary that serves one (sb-gateway, sb-console), each
 * reading its own environment; threads_ is the default pool size. */
#define SB_HTTP_CONFIG_ENTRIES(l) SB_HTTP_CONFIG_ENTRIES_THREADS(l, "64")
#define SB_HTTP_CONFIG_ENTRIES_THREADS(l, threads_)                                                \
    SB_CFG_INT("SECURITYBOT_HTTP_THREADS", &(l)->threads, threads_, 1, 1024,                       \
               "threads serving HTTP requests (handlers that may run at once)"),                   \
        SB_CFG_INT("SECURITYBOT_HTTP_MAX_CONNECTIONS", &(l)->max_connections, "4096", 16, 65536,   \
                   "open HTTP connections at most (idle ones cost no thread)"),                    \
        SB_CFG_INT("SECURITYBOT_HTTP_MAX_CONNECTIONS_PER_IP", &(l)->max_per_ip, "32", 0, 65536,    \
                   "open HTTP connections from one address at most (0: no limit)"),                \
        SB_CFG_DURATION("SECURITYBOT_HTTP_REQUEST_TIMEOUT", &(l)->request_timeout_ms, "10s",       \
                        "longest time to receive a request's headers and body; slower "            \
                        "connections are closed")

/* One request as a handler sees it. Everything is valid only during the
 * handler call. body is a NUL-terminated copy ("" when there is none);
 * body_len excludes the terminator. */
typedef struct {
    const char *method;
    const char *path; /* without the query string */
    const char *body;
    size_t body_len;
    void *conn; /* private: the MHD connection, for sb_http_header */
} sb_http_request_t;

/* Extra response headers a handler may add (sb_http_add_header). */
#define SB_HTTP_MAX_EXTRA_HEADERS 8

/* What a handler answers; fill it with sb_http_respond (and
 * sb_http_add_header). Before the handler runs it is 200 with an empty body,
 * no content type and no extra header. Owned by the server. */
typedef struct {
    int status;
    char *content_type;
    char *body;
    size_t body_len;
    char *headers[SB_HTTP_MAX_EXTRA_HEADERS][2]; /* name, value; owned */
    size_t nheaders;
} sb_http_response_t;

/* Returns 0 with resp filled, or -1, which answers 500 with a generic body.
 * Handlers run concurrently on the server's threads (see sb_http_limits_t):
 * whatever they share through ctx must be thread-safe. A handler that
 * blocks holds its thread, and the connections that thread serves wait. */
typedef int (*sb_http_handler_t)(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp);

/* One route. Requests are matched on the exact path, then the method; a
 * path ending in '*' matches every path that starts with what precedes it
 * ("/assets/" then a star), and the first route that matches wins.
 * content_type is a media type compared case-insensitively without
 * parameters ("application/json" accepts "Application/JSON; charset=utf-8");
 * NULL accepts any. A body over max_body bytes answers 413 (0: no body). */
/* Runs on the headers alone, before the body is read (req->body is "").
 * Returns 1 to go on (read the body, run the handler); 0 with resp filled
 * to refuse the request without reading its body, so a sender that may not
 * send cannot make the server hold max_body bytes; -1 answers 500. */
typedef int (*sb_http_precheck_t)(void *ctx, const sb_http_request_t *req,
                                  sb_http_response_t *resp);

typedef struct {
    const char *method;
    const char *path;
    const char *content_type;
    size_t max_body;
    sb_http_handler_t handler;
    sb_http_precheck_t precheck; /* NULL: none */
} sb_http_route_t;

typedef struct sb_http_server_s sb_http_server_t;

/* Starts serving on listen ("127.0.0.1:8080", "[::1]:8080"; numeric
 * addresses only; port 0 picks a free port, see sb_http_port). The route
 * array is copied; its strings must outlive the server. Refusals (404, 405
 * with Allow, 413, 415) and handler failures are answered and logged here,
 * one line each, without bodies or header values. Returns NULL with errstr
 * set on failure. */
sb_http_server_t *sb_http_start(const char *listen, const sb_http_route_t *routes, size_t n,
                                void *ctx, char *errstr, size_t errstr_size);

/* The same with these limits and these headers added to every answer (as
 * sb_http_start_with_headers; NULL: none). */
sb_http_server_t *sb_http_start_full(const char *listen, const sb_http_route_t *routes, size_t n,
                                     void *ctx, const sb_http_limits_t *limits,
                                     const char *const *headers, char *errstr, size_t errstr_size);

/* The same with these limits (NULL: SB_HTTP_LIMITS_DEFAULT). Raises the
 * process's open-file limit (soft, up to the hard one) to fit them. */
sb_http_server_t *sb_http_start_limits(const char *listen, const sb_http_route_t *routes, size_t n,
                                       void *ctx, const sb_http_limits_t *limits, char *errstr,
                                       size_t errstr_size);

/* sb_http_start with headers added to every answer, refusals included
 * (security headers such as Content-Security-Policy): name, value pairs,
 * NULL-terminated, that must outlive the server. NULL: none. The limits are
 * SB_HTTP_LIMITS_DEFAULT. */
sb_http_server_t *sb_http_start_with_headers(const char *listen, const sb_http_route_t *routes,
                                             size_t n, void *ctx, const char *const *headers,
                                             char *errstr, size_t errstr_size);

/* The bound port (useful after port 0), or -1. */
int sb_http_port(const sb_http_server_t *srv);

/* Stops accepting, waits (bounded, a few seconds) for requests being handled
 * to finish, then closes every connection and frees the server. NULL is a
 * no-op. */
void sb_http_stop(sb_http_server_t *srv);

/* The value of request header name (case-insensitive), or NULL. With a
 * repeated header this is the first value: see sb_http_header_count. */
const char *sb_http_header(const sb_http_request_t *req, const char *name);

/* How many times header name (case-insensitive) appears in the request:
 * a handler that must refuse an ambiguous request (two Authorization
 * headers) asks this. */
size_t sb_http_header_count(const sb_http_request_t *req, const char *name);

/* How many arguments the request's query string holds ("?a=1&b" is 2). */
size_t sb_http_query_count(const sb_http_request_t *req);

/* The value of query argument name (case-sensitive, decoded), NULL when
 * absent, "" when given without a value. */
const char *sb_http_query(const sb_http_request_t *req, const char *name);

/* How many times query argument name appears (a handler refuses a
 * repeated filter rather than pick one). */
size_t sb_http_query_arg_count(const sb_http_request_t *req, const char *name);

/* The peer's address as text ("127.0.0.1", "::1") into buf; 0 or -1. */
int sb_http_client_address(const sb_http_request_t *req, char *buf, size_t size);

/* 1 when the media type of a Content-Type value (before any ';', without
 * surrounding blanks) equals want, ignoring case; 0 otherwise (NULL too). */
int sb_http_media_type_is(const char *header, const char *want);

/* Sets the answer: status, content type (NULL: none) and a copy of body
 * (len bytes; body may be NULL when len is 0). Replaces an earlier answer.
 * Returns 0, or -1 on allocation failure. */
int sb_http_respond(sb_http_response_t *resp, int status, const char *content_type,
                    const char *body, size_t len);

/* Adds a response header (copied), such as Retry-After. At most
 * SB_HTTP_MAX_EXTRA_HEADERS; returns 0, or -1 when full or out of memory. */
int sb_http_add_header(sb_http_response_t *resp, const char *name, const char *value);

#endif
