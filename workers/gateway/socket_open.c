/* socket_open: ask Slack for a Socket Mode URL (apps.connections.open) and check it. */
#include "socket_open.h"
#include "sb_utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/* One attempt per call: the caller's reconnect backoff does the retrying. */
#define OPEN_TIMEOUT_MS 5000

/* Copies [s, s + n) into dst of size; -1 when it does not fit or is empty. */
static int copy_part(char *dst, size_t size, const char *s, size_t n) {
    if (n == 0 || n >= size)
        return -1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

/* "host", "host:port", "[v6]" or "[v6]:port" of authority (n bytes). */
static int split_authority(const char *a, size_t n, sb_socket_url_t *out) {
    const char *colon = NULL, *host = a;
    size_t hlen = n;
    char *end;
    long port;

    if (n && a[0] == '[') {
        const char *rb = memchr(a, ']', n);
        if (!rb)
            return -1;
        host = a + 1;
        hlen = (size_t)(rb - host);
        colon = rb + 1 < a + n ? rb + 1 : NULL;
        if (colon && *colon != ':')
            return -1;
    } else if ((colon = memchr(a, ':', n))) {
        hlen = (size_t)(colon - a);
    }
    if (copy_part(out->host, sizeof(out->host), host, hlen) != 0 || memchr(out->host, '@', hlen))
        return -1;
    if (!colon)
        return 0;
    port = strtol(colon + 1, &end, 10);
    if (end != a + n || colon + 1 == end || port < 1 || port > 65535)
        return -1;
    out->port = (int)port;
    return 0;
}

int sb_socket_url_parse(const char *url, int allow_plain, sb_socket_url_t *out, char *errstr,
                        size_t errstr_size) {
    const char *rest, *slash;
    size_t alen;

    memset(out, 0, sizeof(*out));
    if (strncmp(url, "wss://", 6) == 0) {
        out->tls = 1;
        out->port = 443;
        rest = url + 6;
    } else if (strncmp(url, "ws://", 5) == 0 && allow_plain) {
        out->port = 80;
        rest = url + 5;
    } else {
        snprintf(errstr, errstr_size, "the Socket Mode URL is not %s",
                 allow_plain ? "ws:// or wss://" : "wss:// (SLACK_API_URL is https://)");
        return -1;
    }
    slash = strchr(rest, '/');
    alen = slash ? (size_t)(slash - rest) : strlen(rest);
    if (split_authority(rest, alen, out) != 0) {
        snprintf(errstr, errstr_size, "the Socket Mode URL's host or port is malformed");
        return -1;
    }
    if (copy_part(out->path, sizeof(out->path), slash ? slash : "/", strlen(slash ? slash : "/"))) {
        snprintf(errstr, errstr_size, "the Socket Mode URL's path is too long");
        return -1;
    }
    for (const char *p = out->path; *p; p++)
        if (*p <= ' ' || *p >= 0x7f) {
            snprintf(errstr, errstr_size, "the Socket Mode URL's path is not printable ASCII");
            return -1;
        }
    return 0;
}

/* Reads {"ok":true,"url":...} into out. */
static int read_answer(const sb_curl_resp_t *resp, int allow_plain, sb_socket_url_t *out,
                       char *errstr, size_t errstr_size) {
    cJSON *root = resp->body ? cJSON_ParseWithLength(resp->body, resp->body_len) : NULL;
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(root, "ok");
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(root, "url");
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
    int rc = -1;

    if (!cJSON_IsObject(root))
        snprintf(errstr, errstr_size, "apps.connections.open: HTTP %ld, not a JSON object",
                 resp->status);
    else if (!cJSON_IsTrue(ok))
        snprintf(errstr, errstr_size, "apps.connections.open: HTTP %ld, error %.*s", resp->status,
                 SB_UTF8_CUT(cJSON_IsString(err) ? err->valuestring : "(none)", 64));
    else if (!cJSON_IsString(url))
        snprintf(errstr, errstr_size, "apps.connections.open: ok without a url");
    else
        rc = sb_socket_url_parse(url->valuestring, allow_plain, out, errstr, errstr_size);
    cJSON_Delete(root);
    return rc;
}

int sb_socket_open(sb_curl_t *c, const char *api_url, const char *app_token, sb_socket_url_t *out,
                   char *errstr, size_t errstr_size) {
    char url[1024];
    size_t n = strlen(api_url);
    sb_curl_resp_t resp = {0};
    int rc;

    while (n > 8 && api_url[n - 1] == '/')
        n--;
    if ((size_t)snprintf(url, sizeof(url), "%.*s/apps.connections.open", (int)n, api_url) >=
        sizeof(url)) {
        snprintf(errstr, errstr_size, "SLACK_API_URL is too long");
        return -1;
    }
    sb_curl_req_t req = {.method = "POST",
                         .url = url,
                         .bearer_token = app_token,
                         .content_type = "application/x-www-form-urlencoded",
                         .timeout_ms = OPEN_TIMEOUT_MS,
                         .max_attempts = 1};
    rc = sb_curl_request(c, &req, &resp, errstr, errstr_size);
    if (rc == 0)
        rc = read_answer(&resp, strncmp(api_url, "http://", 7) == 0, out, errstr, errstr_size);
    sb_curl_resp_clear(&resp);
    return rc;
}
