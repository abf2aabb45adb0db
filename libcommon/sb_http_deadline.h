/* sb_http_deadline: closes connections that take too long to send a request (slow clients). */
#ifndef SB_HTTP_DEADLINE_H
#define SB_HTTP_DEADLINE_H

#include <stdint.h>

/* Private to sb_http. Every connection the server accepts is registered
 * here (by its socket); a sweeper thread shuts down, once, each connection
 * that has spent more than the timeout receiving: since it was accepted, or
 * since its last answer was queued (keep-alive). A connection whose handler
 * is running is never cut. libmicrohttpd then sees the end of the stream and
 * closes the connection itself; the socket is never closed here, so it
 * cannot be reused under us (connections leave the registry, under its
 * lock, before libmicrohttpd closes their socket). */
typedef struct sb_http_deadline_s sb_http_deadline_t;
typedef struct sb_http_conn_s sb_http_conn_t;

/* Starts the sweeper; timeout_ms > 0. NULL on failure (errno set). */
sb_http_deadline_t *sb_http_deadline_new(int64_t timeout_ms);

/* A new connection on socket fd: its entry (owned by the registry until
 * sb_http_deadline_leave), or NULL when out of memory (never cut). */
sb_http_conn_t *sb_http_deadline_join(sb_http_deadline_t *d, int fd);

/* The handler of a request on c starts (the clock stops) or its answer is
 * queued (the clock restarts for the next request). NULL c is a no-op. */
void sb_http_deadline_busy(sb_http_deadline_t *d, sb_http_conn_t *c, int busy);

/* The connection is closing: removes and frees c (NULL: no-op). */
void sb_http_deadline_leave(sb_http_deadline_t *d, sb_http_conn_t *c);

/* Stops the sweeper and frees the registry (call after the server stopped,
 * when every connection has left). NULL is a no-op. */
void sb_http_deadline_free(sb_http_deadline_t *d);

#endif
