/* Unit tests for sb_http: routing, refusals, body caps, headers, failures, concurrency, stop
 * (loopback). */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sb_http.h"
#include "sb_test.h"

static int port;
static CURL *reuse; /* when set, request() sends on this handle (keep-alive) */
static atomic_int slow_entered;

static int echo(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    const char *h = sb_http_header(req, "X-SB-TEST");
    char *out = malloc(req->body_len + 256);
    int n, rc;
    if (!out)
        return -1;
    /* body_len and the terminator must agree */
    n = snprintf(out, 256, "%s %s hdr=%s nul=%d|", req->method, req->path, h ? h : "(none)",
                 req->body[req->body_len] == '\0');
    memcpy(out + n, req->body, req->body_len);
    rc = sb_http_respond(resp, 200, "text/plain", out, (size_t)n + req->body_len);
    free(out);
    return rc;
}

static int health(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    (*(atomic_int *)ctx)++;
    return sb_http_respond(resp, 200, "text/plain", "ok\n", 3);
}

static int fail(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    sb_http_respond(resp, 200, "text/plain", "secret detail", 13);
    return -1;
}

static int bad_status(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    return sb_http_respond(resp, 42, NULL, NULL, 0);
}

static int no_answer(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    return 0;
}

static int slow(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    struct timespec t = {0, 300 * 1000 * 1000};
    slow_entered = 1;
    nanosleep(&t, NULL);
    return sb_http_respond(resp, 202, "text/plain", "done", 4);
}

/* Reports how often X-SB-Test came, how many query arguments, and
 * answers with an extra header. */
static int count(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    char out[64];
    int n = snprintf(out, sizeof(out), "hdr=%zu query=%zu", sb_http_header_count(req, "x-sb-test"),
                     sb_http_query_count(req));
    if (sb_http_add_header(resp, "Retry-After", "7") != 0)
        return -1;
    return sb_http_respond(resp, 429, "text/plain", out, (size_t)n);
}

static atomic_int guarded_calls; /* how often the guarded handler ran */

/* The precheck of /guarded: "X-SB-Key: open" goes on, "fail" is a 500,
 * anything else a 401 before the body is read. */
static int guard(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    const char *key = sb_http_header(req, "X-SB-Key");
    if (req->body_len != 0)
        return -1; /* a precheck never sees a body */
    if (key && !strcmp(key, "open"))
        return 1;
    if (key && !strcmp(key, "fail"))
        return -1;
    return sb_http_respond(resp, 401, "text/plain", "who are you\n", 12) == 0 ? 0 : -1;
}

static int guarded(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    char out[64];
    int n = snprintf(out, sizeof(out), "guarded %zu", req->body_len);
    atomic_fetch_add(&guarded_calls, 1);
    return sb_http_respond(resp, 200, "text/plain", out, (size_t)n);
}

static const sb_http_route_t routes[] = {
    {"POST", "/guarded", NULL, 1 << 20, guarded, guard},
    {"GET", "/count", NULL, 0, count, NULL},
    {"POST", "/echo", "text/plain", 16, echo, NULL},
    {"PUT", "/echo", NULL, 16, echo, NULL},
    {"GET", "/healthz", NULL, 0, health, NULL},
    {"POST", "/fail", NULL, 64, fail, NULL},
    {"GET", "/badstatus", NULL, 0, bad_status, NULL},
    {"GET", "/empty", NULL, 0, no_answer, NULL},
    {"POST", "/slow", NULL, 0, slow, NULL},
};

typedef struct {
    CURLcode rc;
    long status;
    char body[1024];
    size_t body_len;
    char allow[128];
    char ctype[128];
    char retry_after[128];
    char server_hdr[128]; /* X-SB-Server: the server-wide header */
    size_t chunked_left;  /* bytes the read callback still sends */
} result_t;

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    result_t *r = ud;
    size_t len = size * n, room = sizeof(r->body) - 1 - r->body_len;
    memcpy(r->body + r->body_len, p, len < room ? len : room);
    r->body_len += len < room ? len : room;
    r->body[r->body_len] = '\0';
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
    result_t *r = ud;
    size_t len = size * n;
    char *dst = len > 6 && strncasecmp(p, "allow:", 6) == 0            ? r->allow
                : len > 13 && strncasecmp(p, "content-type:", 13) == 0 ? r->ctype
                : len > 12 && strncasecmp(p, "retry-after:", 12) == 0  ? r->retry_after
                : len > 12 && strncasecmp(p, "x-sb-server:", 12) == 0  ? r->server_hdr
                                                                       : NULL;
    if (dst) {
        const char *v = strchr(p, ':') + 1;
        size_t vl = len - (size_t)(v - p);
        while (vl && (*v == ' '))
            v++, vl--;
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
            vl--;
        snprintf(dst, 128, "%.*s", (int)vl, v);
    }
    return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud) {
    result_t *r = ud;
    size_t len = size * n < r->chunked_left ? size * n : r->chunked_left;
    memset(buf, 'a', len);
    r->chunked_left -= len;
    return len;
}

/* One request over loopback. body NULL: none. stream > 0: that many bytes
 * from a read callback, chunked unless announce is set, in which case a
 * Content-Length of announce is sent instead. */
static void request(const char *method, const char *path, const char *header, const char *ctype,
                    const char *body, size_t stream, curl_off_t announce, result_t *r) {
    char url[256], ct[160];
    struct curl_slist *hs = NULL;
    CURL *c = reuse ? reuse : curl_easy_init();

    memset(r, 0, sizeof(*r));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    if (header)
        hs = curl_slist_append(hs, header);
    snprintf(ct, sizeof(ct), "Content-Type: %s", ctype ? ctype : "");
    hs = curl_slist_append(hs, ct); /* "Content-Type:" alone removes curl's default */
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else if (stream) {
        r->chunked_left = stream;
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, r);
        if (announce)
            curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, announce);
        else
            hs = curl_slist_append(hs, "Transfer-Encoding: chunked");
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
    r->rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (c != reuse)
        curl_easy_cleanup(c);
    curl_slist_free_all(hs);
}

static void test_routes(void) {
    result_t r;
    request("POST", "/echo", "x-sb-test: Value 1", "text/plain", "hello", 0, 0, &r);
    SB_CHECK(r.rc == CURLE_OK && r.status == 200);
    SB_CHECK_STR(r.body, "POST /echo hdr=Value 1 nul=1|hello");
    SB_CHECK_STR(r.ctype, "text/plain");
    /* parameters and case of the media type do not matter; the query string is not the path */
    request("POST", "/echo?x=1", NULL, "Text/Plain ; charset=utf-8", "0123456789abcdef", 0, 0, &r);
    SB_CHECK(r.status == 200);
    SB_CHECK_STR(r.body, "POST /echo hdr=(none) nul=1|0123456789abcdef");
    request("PUT", "/echo", NULL, "application/octet-stream", "", 0, 0, &r);
    SB_CHECK(r.status == 200);
    SB_CHECK_STR(r.body, "PUT /echo hdr=(none) nul=1|");
    request("GET", "/healthz", NULL, NULL, NULL, 0, 0, &r);
    SB_CHECK(r.status == 200);
    SB_CHECK_STR(r.body, "ok\n");
    request("GET", "/empty", NULL, NULL, NULL, 0, 0, &r);
    SB_CHECK(r.rc == CURLE_OK && r.status == 200 && r.body_len == 0);
}

/* Repeated headers and query arguments are counted, not merged; an extra
 * response header reaches the client. */
static void test_counts(void) {
    result_t r;
    memset(&r, 0, sizeof(r));
    request("GET", "/count", NULL, NULL, NULL, 0, 0, &r);
    SB_CHECK(r.status == 429);
    SB_CHECK_STR(r.body, "hdr=0 query=0");
    SB_CHECK_STR(r.retry_after, "7");
    memset(&r, 0, sizeof(r));
    request("GET", "/count?a=1&token=x&b", "X-SB-Test: 1", NULL, NULL, 0, 0, &r);
    SB_CHECK_STR(r.body, "hdr=1 query=3");
    memset(&r, 0, sizeof(r));
    request("GET", "/count", "X-SB-Test: 1\r\nx-sb-test: 2", NULL, NULL, 0, 0, &r);
    SB_CHECK_STR(r.body, "hdr=2 query=0");
    SB_CHECK(sb_http_media_type_is(" Application/JSON ; charset=utf-8", "application/json"));
    SB_CHECK(!sb_http_media_type_is("application/jsonx", "application/json"));
    SB_CHECK(!sb_http_media_type_is(NULL, "application/json"));
}

static void test_refusals(void) {
    result_t r;
    request("GET", "/nope", NULL, NULL, NULL, 0, 0, &r);
    SB_CHECK(r.status == 404);
    request("GET", "/echo/", NULL, NULL, NULL, 0, 0, &r);
    SB_CHECK(r.status == 404);
    request("GET", "/echo", NULL, NULL, NULL, 0, 0, &r);
    SB_CHECK(r.status == 405);
    SB_CHECK_STR(r.allow, "POST, PUT");
    request("DELETE", "/healthz", NULL, NULL, NULL, 0, 0, &r);
    SB_CHECK(r.status == 405);
    SB_CHECK_STR(r.allow, "GET");
    request("post", "/echo", NULL, "text/plain", "x", 0, 0, &r); /* methods are case-sensitive */
    SB_CHECK(r.status == 405);
    request("POST", "/echo", NULL, "application/json", "{}", 0, 0, &r);
    SB_CHECK(r.status == 415);
    request("POST", "/echo", NULL, "text/plainx", "x", 0, 0, &r);
    SB_CHECK(r.status == 415);
    request("POST", "/echo", NULL, NULL, "x", 0, 0, &r);
    SB_CHECK(r.status == 415);
    /* 405 comes before 415, 415 before 413 */
    request("GET", "/echo", NULL, "application/json", NULL, 0, 0, &r);
    SB_CHECK(r.status == 405);
    request("POST", "/echo", NULL, "application/json", "0123456789abcdefX", 0, 0, &r);
    SB_CHECK(r.status == 415);
}

/* A precheck refuses on the headers, before the body is read, and the
 * handler never runs; a precheck that lets the request on leaves it as it
 * was. */
static void test_precheck(void) {
    result_t r;
    request("POST", "/guarded", NULL, "text/plain", "abc", 0, 0, &r);
    SB_CHECK(r.status == 401);
    SB_CHECK_STR(r.body, "who are you\n");
    /* a chunked body of 900 KB is not waited for */
    request("POST", "/guarded", "X-SB-Key: no", "text/plain", NULL, 900 * 1024, 0, &r);
    SB_CHECK(r.status == 401);
    request("POST", "/guarded", "X-SB-Key: fail", "text/plain", "abc", 0, 0, &r);
    SB_CHECK(r.status == 500);
    SB_CHECK(atomic_load(&guarded_calls) == 0);
    request("POST", "/guarded", "X-SB-Key: open", "text/plain", "abc", 0, 0, &r);
    SB_CHECK(r.status == 200);
    SB_CHECK_STR(r.body, "guarded 3");
    request("POST", "/guarded", "X-SB-Key: open", "text/plain", NULL, 900 * 1024, 0, &r);
    SB_CHECK(r.status == 200);
    SB_CHECK_STR(r.body, "guarded 921600");
    SB_CHECK(atomic_load(&guarded_calls) == 2);
}

/* Sends raw bytes (what curl will not send) and reads the answer until the
 * server closes the connection (or 5 s pass). Returns the status, or -1. */
static int raw_request(const char *bytes, int *closed) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct timeval tv = {5, 0};
    char buf[4096];
    size_t got = 0;
    ssize_t n;
    int fd = socket(AF_INET, SOCK_STREAM, 0), status = -1;

    *closed = 0;
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        write(fd, bytes, strlen(bytes)) != (ssize_t)strlen(bytes))
        goto out;
    while (got < sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
        got += (size_t)n;
    *closed = n == 0;
    buf[got] = '\0';
    if (sscanf(buf, "HTTP/1.1 %d", &status) != 1)
        status = -1;
out:
    if (fd >= 0)
        close(fd);
    return status;
}

/* Conflicting framing is refused with 400 before any route, and the
 * connection closes: a proxy might have split the bytes otherwise. */
static void test_framing(void) {
    int closed;
    SB_CHECK(raw_request("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                         "Content-Length: 3\r\nContent-Length: 5\r\n\r\nabcde",
                         &closed) == 400);
    SB_CHECK(closed);
    SB_CHECK(raw_request("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                         "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "3\r\nabc\r\n0\r\n\r\n",
                         &closed) == 400);
    SB_CHECK(closed);
    /* one of each is fine */
    SB_CHECK(raw_request("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                         "Connection: close\r\nContent-Length: 3\r\n\r\nabc",
                         &closed) == 200);
    SB_CHECK(raw_request("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                         "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "3\r\nabc\r\n0\r\n\r\n",
                         &closed) == 200);
}

static void test_body_caps(void) {
    result_t r;
    /* Content-Length one over the cap */
    request("POST", "/echo", NULL, "text/plain", "0123456789abcdefX", 0, 0, &r);
    SB_CHECK(r.status == 413);
    /* a large announced body is refused on its headers, before it is sent */
    request("POST", "/echo", NULL, "text/plain", NULL, 8 << 20, (curl_off_t)8 << 20, &r);
    SB_CHECK_MSG(r.status == 413, "status %ld rc %d", r.status, (int)r.rc);
    SB_CHECK(r.chunked_left > 0);
    /* chunked: the size is known only while reading */
    request("POST", "/echo", NULL, "text/plain", NULL, 16, 0, &r);
    SB_CHECK(r.status == 200);
    SB_CHECK_STR(r.body, "POST /echo hdr=(none) nul=1|aaaaaaaaaaaaaaaa");
    request("POST", "/echo", NULL, "text/plain", NULL, 17, 0, &r);
    SB_CHECK(r.status == 413);
    request("POST", "/echo", NULL, "text/plain", NULL, 100 << 10, 0, &r);
    SB_CHECK(r.status == 413);
    /* an endless stream is cut off rather than read forever */
    request("POST", "/echo", NULL, "text/plain", NULL, 64 << 20, 0, &r);
    SB_CHECK_MSG(r.status == 413 || r.rc != CURLE_OK, "status %ld rc %d", r.status, (int)r.rc);
    SB_CHECK(r.chunked_left > 0);
    /* a refused body is never read as the next request of the connection */
    reuse = curl_easy_init();
    request("POST", "/echo", NULL, "text/plain", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 0, 0,
            &r);
    SB_CHECK(r.status == 413);
    request("POST", "/echo", NULL, "text/plain", "next", 0, 0, &r);
    SB_CHECK(r.status == 200);
    SB_CHECK_STR(r.body, "POST /echo hdr=(none) nul=1|next");
    curl_easy_cleanup(reuse);
    reuse = NULL;
    /* a route with max_body 0 takes no body */
    request("POST", "/slow", NULL, NULL, "x", 0, 0, &r);
    SB_CHECK(r.status == 413);
    /* the server is still healthy */
    request("GET", "/healthz", NULL, NULL, NULL, 0, 0, &r);
    SB_CHECK(r.status == 200);
}

static void test_handler_failures(void) {
    result_t r;
    request("POST", "/fail", NULL, NULL, "x", 0, 0, &r);
    SB_CHECK(r.status == 500);
    SB_CHECK(strstr(r.body, "secret") == NULL); /* the handler's answer is dropped */
    request("GET", "/badstatus", NULL, NULL, NULL, 0, 0, &r);
    SB_CHECK(r.status == 500);
}

#define NTHREADS 4
#define NREQ     25

static void *client(void *arg) {
    long id = (long)(intptr_t)arg, ok = 0;
    for (int i = 0; i < NREQ; i++) {
        char body[16], want[64], hdr[32];
        result_t r;
        snprintf(body, sizeof(body), "t%ld-%d", id, i);
        snprintf(hdr, sizeof(hdr), "X-Sb-Test: %ld", id);
        snprintf(want, sizeof(want), "POST /echo hdr=%ld nul=1|%s", id, body);
        request("POST", "/echo", hdr, "text/plain", body, 0, 0, &r);
        ok += r.status == 200 && strcmp(r.body, want) == 0;
    }
    return (void *)(intptr_t)ok;
}

static void test_concurrent(void) {
    pthread_t t[NTHREADS];
    long ok = 0;
    for (long i = 0; i < NTHREADS; i++)
        SB_CHECK(pthread_create(&t[i], NULL, client, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < NTHREADS; i++) {
        void *res = NULL;
        pthread_join(t[i], &res);
        ok += (long)(intptr_t)res;
    }
    SB_CHECK_MSG(ok == NTHREADS * NREQ, "%ld of %d answered correctly", ok, NTHREADS * NREQ);
}

static void *slow_client(void *arg) {
    request("POST", "/slow", NULL, NULL, NULL, 0, 0, arg);
    return NULL;
}

/* A request in progress still gets its answer; afterwards nothing listens. */
static void test_stop(sb_http_server_t *srv) {
    pthread_t t;
    result_t r;
    struct timespec tick = {0, 5 * 1000 * 1000};
    SB_CHECK(pthread_create(&t, NULL, slow_client, &r) == 0);
    for (int i = 0; i < 1000 && !slow_entered; i++)
        nanosleep(&tick, NULL);
    SB_CHECK(slow_entered);
    sb_http_stop(srv);
    pthread_join(t, NULL);
    SB_CHECK_MSG(r.status == 202, "status %ld rc %d", r.status, (int)r.rc);
    SB_CHECK_STR(r.body, "done");
    request("GET", "/healthz", NULL, NULL, NULL, 0, 0, &r);
    SB_CHECK(r.rc == CURLE_COULDNT_CONNECT);
    sb_http_stop(NULL);
}

static void test_listen_strings(void) {
    static const char *const bad[] = {
        NULL,
        "",
        "127.0.0.1",
        "127.0.0.1:",
        "127.0.0.1:65536",
        ":8080",
        "localhost:1",
        "127.0.0.1:8x",
        "[::1:8080",
        "[::1]8080",
        "::1:8080",
        "[]:8080",
        "1.2.3:80",
        "127.0.0.1:123456",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        sb_http_server_t *s = sb_http_start(bad[i], routes, 1, NULL, err, sizeof(err));
        SB_CHECK_MSG(s == NULL && strstr(err, "SECURITYBOT_HTTP_LISTEN"), "\"%s\" accepted",
                     bad[i] ? bad[i] : "(null)");
        sb_http_stop(s);
    }
}

/* IPv6 loopback, when the host has it. */
static void test_ipv6(void) {
    char err[256], url[64];
    sb_http_server_t *s = sb_http_start("[::1]:0", routes, 3, NULL, err, sizeof(err));
    CURL *c;
    long status = 0;
    if (!s) {
        fprintf(stderr, "skipping IPv6: %s\n", err);
        return;
    }
    SB_CHECK(sb_http_port(s) > 0);
    snprintf(url, sizeof(url), "http://[::1]:%d/echo", sb_http_port(s));
    c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    SB_CHECK(status == 405); /* HEAD /echo: not a route method */
    sb_http_stop(s);
}

/* A prefix route: the path, a query argument, its count, the peer. */
static int files(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    char out[512], peer[64] = "?";
    const char *q = sb_http_query(req, "q");
    int n;
    sb_http_client_address(req, peer, sizeof(peer));
    n = snprintf(out, sizeof(out), "%s q=%s n=%zu peer=%s", req->path, q ? q : "(none)",
                 sb_http_query_arg_count(req, "q"), peer);
    return sb_http_respond(resp, 200, "text/plain", out, (size_t)n);
}

/* Server-wide headers reach every answer (refusals too); a route ending in
 * '*' matches by prefix; query arguments are read decoded. */
static void test_prefix_and_headers(void) {
    static const sb_http_route_t r2[] = {{"GET", "/files/*", NULL, 0, files, NULL}};
    static const char *const hdrs[] = {"X-SB-Server", "on", NULL};
    char err[256];
    int saved = port;
    result_t r;
    sb_http_server_t *s =
        sb_http_start_with_headers("127.0.0.1:0", r2, 1, NULL, hdrs, err, sizeof(err));
    SB_CHECK_MSG(s != NULL, "%s", err);
    if (!s)
        return;
    port = sb_http_port(s);
    request("GET", "/files/a/b.txt?q=x%20y", NULL, NULL, NULL, 0, 0, &r);
    SB_CHECK(r.status == 200);
    SB_CHECK_STR(r.body, "/files/a/b.txt q=x y n=1 peer=127.0.0.1");
    SB_CHECK_STR(r.server_hdr, "on");
    request("GET", "/files/?q=1&q=2", NULL, NULL, NULL, 0, 0, &r);
    SB_CHECK_STR(r.body, "/files/ q=1 n=2 peer=127.0.0.1");
    request("GET", "/file", NULL, NULL, NULL, 0, 0, &r);
    SB_CHECK(r.status == 404);
    SB_CHECK_STR(r.server_hdr, "on");
    request("POST", "/files/x", NULL, NULL, "", 0, 0, &r);
    SB_CHECK(r.status == 405);
    SB_CHECK_STR(r.server_hdr, "on");
    sb_http_stop(s);
    port = saved;
}

int main(void) {
    char err[256];
    atomic_int health_calls = 0;
    sb_http_server_t *srv;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    srv = sb_http_start("127.0.0.1:0", routes, sizeof(routes) / sizeof(routes[0]), &health_calls,
                        err, sizeof(err));
    SB_CHECK_MSG(srv != NULL, "%s", err);
    if (!srv)
        return SB_TEST_DONE();
    port = sb_http_port(srv);
    SB_CHECK(port > 0);

    test_routes();
    test_counts();
    test_refusals();
    test_precheck();
    test_framing();
    test_body_caps();
    test_handler_failures();
    test_concurrent();
    test_prefix_and_headers();
    SB_CHECK(health_calls == 2);
    test_stop(srv);
    test_listen_strings();
    test_ipv6();
    curl_global_cleanup();
    return SB_TEST_DONE();
}
