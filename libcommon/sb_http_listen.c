/* sb_http_listen: where a server listens (its address) and how many sockets it may open. */
#include "sb_http_listen.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "sb_log.h"

/* "a.b.c.d:port" or "[v6]:port" into *ss. */
int sb_http_parse_listen(const char *listen, struct sockaddr_storage *ss, char *errstr,
                         size_t errstr_size) {
    char host[INET6_ADDRSTRLEN + 1];
    const char *colon, *hs, *he;
    unsigned long port = 0;
    int v6 = listen && listen[0] == '[';

    if (!listen)
        goto fail;
    hs = listen + v6;
    he = v6 ? strchr(hs, ']') : strrchr(hs, ':');
    colon = v6 && he ? he + 1 : he;
    if (!he || !colon || *colon != ':' || colon[1] == '\0' || strlen(colon + 1) > 5 ||
        (size_t)(he - hs) >= sizeof(host) || he == hs)
        goto fail;
    for (const char *p = colon + 1; *p; p++) {
        if (*p < '0' || *p > '9')
            goto fail;
        port = port * 10 + (unsigned long)(*p - '0');
    }
    if (port > 65535)
        goto fail;
    memcpy(host, hs, (size_t)(he - hs));
    host[he - hs] = '\0';
    memset(ss, 0, sizeof(*ss));
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &a->sin6_addr) == 1)
            return 0;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &a->sin_addr) == 1)
            return 0;
    }
fail:
    snprintf(errstr, errstr_size,
             "SECURITYBOT_HTTP_LISTEN: \"%.64s\" is not ADDRESS:PORT with a numeric IPv4 "
             "address or a bracketed IPv6 one (\"127.0.0.1:8080\", \"[::1]:8080\")",
             listen ? listen : "");
    return -1;
}

/* Room in the open-file limit for max connections (and the process's own
 * files): the soft limit is raised, up to the hard one. A shortfall is only
 * logged: accept() then fails, and libmicrohttpd retries later. */
void sb_http_fit_open_files(long max) {
    struct rlimit rl;
    rlim_t want = (rlim_t)max + 256;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
        sb_log_warn("http: the open-file limit (%llu) is below %ld connections; raise it "
                    "(ulimit -n, LimitNOFILE=)",
                    (unsigned long long)rl.rlim_cur, max);
}
