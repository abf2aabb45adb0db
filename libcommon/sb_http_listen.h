/* sb_http_listen: where a server listens (its address) and how many sockets it may open. */
#ifndef SB_HTTP_LISTEN_H
#define SB_HTTP_LISTEN_H

#include <stddef.h>
#include <sys/socket.h>

/* Private to sb_http. "a.b.c.d:port" or "[v6]:port" (numeric addresses
 * only) into *ss: 0, or -1 with errstr naming SECURITYBOT_HTTP_LISTEN. */
int sb_http_parse_listen(const char *listen, struct sockaddr_storage *ss, char *errstr,
                         size_t errstr_size);

/* Raises the soft open-file limit (up to the hard one) to fit max
 * connections and the process's own files; a shortfall is logged. */
void sb_http_fit_open_files(long max);

#endif
