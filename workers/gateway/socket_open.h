/* socket_open: apps.connections.open, and the WebSocket URL it returns taken apart. */
#ifndef SB_SOCKET_OPEN_H
#define SB_SOCKET_OPEN_H

#include <stddef.h>

#include "sb_curl.h"

/* Where to connect: a ws:// or wss:// URL in parts. */
typedef struct {
    int tls;        /* wss:// */
    char host[256]; /* without brackets for an IPv6 literal */
    int port;
    char path[2048]; /* path and query, "/" at least */
} sb_socket_url_t;

/* Splits url into out. A wss:// URL always; a ws:// one only when
 * allow_plain (SLACK_API_URL is http://: the test fakes), so a real
 * deployment's TLS cannot be talked out of by the URL Slack returns.
 * -1 with errstr (never the URL's query: it holds a ticket). */
int sb_socket_url_parse(const char *url, int allow_plain, sb_socket_url_t *out, char *errstr,
                        size_t errstr_size);

/* POSTs api_url/apps.connections.open with the app-level token (xapp-...)
 * on c, and splits the returned URL. -1 with errstr on a transport error,
 * an ok:false answer (Slack's error code in errstr) or an unusable URL. */
int sb_socket_open(sb_curl_t *c, const char *api_url, const char *app_token, sb_socket_url_t *out,
                   char *errstr, size_t errstr_size);

#endif
