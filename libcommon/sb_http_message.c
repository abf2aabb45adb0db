/* sb_http_message: what a handler reads of a request and writes of its answer. */
#include "sb_http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int sb_http_media_type_is(const char *header, const char *want) {
    const char *end;
    size_t n;
    if (!header)
        return 0;
    while (*header == ' ' || *header == '\t')
        header++;
    end = strchr(header, ';');
    if (!end)
        end = header + strlen(header);
    while (end > header && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    n = (size_t)(end - header);
    return n == strlen(want) && strncasecmp(header, want, n) == 0;
}

typedef struct {
    const char *name; /* NULL: every value */
    size_t n;
} value_count_t;

/* MHD_get_connection_values' iterator: counts the values named c->name. */
static enum MHD_Result count_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
    value_count_t *c = cls;
    (void)kind;
    (void)value;
    if (!c->name || (key && strcasecmp(key, c->name) == 0))
        c->n++;
    return MHD_YES;
}

static size_t count_values(const sb_http_request_t *req, enum MHD_ValueKind kind,
                           const char *name) {
    value_count_t c = {name, 0};
    if (!req || !req->conn)
        return 0;
    MHD_get_connection_values(req->conn, kind, count_value, &c);
    return c.n;
}

const char *sb_http_header(const sb_http_request_t *req, const char *name) {
    if (!req || !req->conn || !name)
        return NULL;
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

size_t sb_http_header_count(const sb_http_request_t *req, const char *name) {
    return name ? count_values(req, MHD_HEADER_KIND, name) : 0;
}

size_t sb_http_query_count(const sb_http_request_t *req) {
    return count_values(req, MHD_GET_ARGUMENT_KIND, NULL);
}

const char *sb_http_query(const sb_http_request_t *req, const char *name) {
    const char *v;
    if (!req || !req->conn || !name ||
        !MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v,
                                       NULL))
        return NULL;
    return v ? v : "";
}

size_t sb_http_query_arg_count(const sb_http_request_t *req, const char *name) {
    return name ? count_values(req, MHD_GET_ARGUMENT_KIND, name) : 0;
}

int sb_http_client_address(const sb_http_request_t *req, char *buf, size_t size) {
    const union MHD_ConnectionInfo *ci;
    const struct sockaddr *sa;
    if (!req || !req->conn ||
        !(ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS)) ||
        !(sa = ci->client_addr))
        return -1;
    if (sa->sa_family == AF_INET)
        return inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)size)
                   ? 0
                   : -1;
    if (sa->sa_family == AF_INET6)
        return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
                         (socklen_t)size)
                   ? 0
                   : -1;
    return -1;
}

int sb_http_add_header(sb_http_response_t *resp, const char *name, const char *value) {
    char *n, *v;
    if (resp->nheaders == SB_HTTP_MAX_EXTRA_HEADERS)
        return -1;
    n = strdup(name);
    v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return -1;
    }
    resp->headers[resp->nheaders][0] = n;
    resp->headers[resp->nheaders][1] = v;
    resp->nheaders++;
    return 0;
}

int sb_http_respond(sb_http_response_t *resp, int status, const char *content_type,
                    const char *body, size_t len) {
    char *b = malloc(len + 1), *ct = NULL;
    if (!b || (content_type && !(ct = strdup(content_type)))) {
        free(b);
        return -1;
    }
    if (len)
        memcpy(b, body, len);
    b[len] = '\0';
    free(resp->body);
    free(resp->content_type);
    resp->status = status;
    resp->content_type = ct;
    resp->body = b;
    resp->body_len = len;
    return 0;
}
